"""Customer search through the trigram index, kept current by the store's own
writes; and each service recovery rule, at and either side of its boundary."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from floorview.domain.recovery import RecoveryRules
from floorview.store.apply import Applier
from floorview.store.customers import recovery_list, search_customers
from floorview.store.engine import open_engine
from floorview.store.notes import save_note

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)
DAY_START = datetime(2026, 11, 20, tzinfo=timezone.utc).timestamp()


def iso(t: datetime) -> str:
    return t.isoformat()


def change(kind: str, rid: str, data: dict, version: int = 1) -> dict:
    return {"kind": kind, "id": rid, "version": version, "op": "upsert", "data": data}


def customer(cid: str, name: str, segment: str = "consumer") -> dict:
    return change("customer", cid, {"name": name, "segment": segment, "behavior": {"products": 2}})


def contact(
    iid: str,
    cid: str,
    at: datetime,
    wait: float | None = 10,
    abandoned: bool = False,
    transfers: int = 0,
    queue: str = "q1",
) -> dict:
    data = {"queue_id": queue, "channel": "voice", "customer_id": cid, "enqueued_at": iso(at), "transfers": transfers}
    if abandoned:
        data["abandoned_at"] = iso(at + timedelta(seconds=wait or 30))
    elif wait is not None:
        data["answered_at"] = iso(at + timedelta(seconds=wait))
    return change("interaction", iid, data)


@pytest.fixture
def store(tmp_path):
    engine = open_engine(tmp_path / "s" / "floorview.db")
    yield engine
    engine.dispose()


def apply(engine, changes) -> None:
    with engine.begin() as conn:
        Applier(conn, NOW.timestamp()).apply(changes)


def reader(engine) -> sqlite3.Connection:
    return sqlite3.connect(engine.url.database)


def test_search_finds_an_id_or_any_fragment_and_follows_every_write(store):
    apply(store, [customer("c-1", "Alex Nguyen"), customer("c-2", "Sam Ngata"), customer("c-3", "Robin Oyelaran")])
    con = reader(store)
    assert [h.id for h in search_customers(con, "c-2")] == ["c-2"]
    assert [h.name for h in search_customers(con, "guy")] == ["Alex Nguyen"]  # inside a word
    assert [h.name for h in search_customers(con, "NG")] == []  # under three letters: ids only
    assert [h.name for h in search_customers(con, "  nga ")] == ["Sam Ngata"]
    for hostile in ('"', 'a" OR "b', "Ng*", "NEAR(a b)", "'; DROP TABLE customer; --"):
        search_customers(con, hostile)  # literal text, never query syntax: no error
    assert [h.name for h in search_customers(con, 'x" OR "Ng')] == []
    # A rename, a new customer and a deletion reach the index through the store's own writes.
    apply(store, [change("customer", "c-1", {"name": "Alex Okafor"}, 2), customer("c-4", "Kim Nguyen")])
    with store.begin() as conn:
        Applier(conn, NOW.timestamp()).apply([{"kind": "customer", "id": "c-3", "version": 2, "op": "delete"}])
    con = reader(store)
    assert [h.id for h in search_customers(con, "nguyen")] == ["c-4"]
    assert [h.id for h in search_customers(con, "okafor")] == ["c-1"]
    assert search_customers(con, "oyelaran") == []


def test_each_recovery_rule_fires_at_its_boundary_and_not_before(store):
    t = NOW - timedelta(hours=2)
    queue = change("queue", "q1", {"name": "Billing", "channel": "voice", "sl_threshold_s": 20, "timezone": "UTC"})
    other = change("queue", "q2", {"name": "Sales", "channel": "voice", "sl_threshold_s": 20, "timezone": "UTC"})
    people = [customer(f"c{i}", f"Person {i}", "enterprise" if i == 4 else "consumer") for i in range(1, 12)]
    contacts = [
        contact("i1", "c1", t, wait=41),  # over 2 x 20 s: hurt
        contact("i2", "c2", t, wait=40),  # exactly 2 x 20 s: not
        contact("i3", "c3", t - timedelta(days=5), abandoned=True),
        contact("i4", "c3", t, abandoned=True),  # twice within 7 days, once today: hurt
        contact("i5", "c4", t - timedelta(days=8), abandoned=True),
        contact("i6", "c4", t, abandoned=True),  # the first is outside 7 days: not
        contact("i7", "c5", t - timedelta(hours=71)),
        contact("i8", "c5", t),  # back to the same queue within 72 hours: hurt
        contact("i9", "c6", t - timedelta(hours=73)),
        contact("i10", "c6", t),  # after 73 hours: not
        contact("i11", "c6", t - timedelta(hours=5), queue="q2"),  # another queue: not a repeat
        contact("i12", "c7", t, transfers=2),  # transferred twice: hurt
        contact("i13", "c8", t, transfers=1),  # once: not
    ]
    surveys = [
        change("survey", "s1", {"customer_id": "c9", "answered_at": iso(t), "nps": 6}),  # detractor
        change("survey", "s2", {"customer_id": "c10", "answered_at": iso(t), "nps": 7, "trust": "sometimes"}),
        change("survey", "s3", {"customer_id": "c11", "answered_at": iso(t), "trust": "no"}),
        change("survey", "s4", {"customer_id": "c2", "answered_at": iso(t - timedelta(days=1)), "nps": 0}),  # yesterday
    ]
    apply(store, [queue, other, *people, *contacts, *surveys])
    rules = RecoveryRules()
    cases = recovery_list(reader(store), NOW.timestamp(), DAY_START, rules, limit=1000).cases
    fired = {c.customer_id: sorted(h.rule for h in c.hurts) for c in cases}
    assert fired == {
        "c1": ["long_wait"],
        "c3": ["abandons"],
        "c5": ["repeat"],
        "c7": ["transfers"],
        "c9": ["detractor"],
        "c11": ["trust_no"],
    }
    why = {c.customer_id: c.hurts[0].why for c in cases}
    assert why["c1"] == "waited 0:41 on Billing (over 2x its 20 s)"
    assert why["c3"] == "hung up 2 times in 7 days" and why["c11"] == 'said no to "Do you trust us?"'
    # Recorded as recovered today: off the list.
    at = iso(NOW)
    with store.begin() as conn:
        save_note(
            conn,
            "r1",
            {
                "customer_id": "c1",
                "author": "me",
                "created_at": at,
                "updated_at": at,
                "type": "recovery",
                "visibility": "team",
                "body": "Called back.",
            },
        )
    left = {c.customer_id for c in recovery_list(reader(store), NOW.timestamp(), DAY_START, rules, limit=1000).cases}
    assert "c1" not in left and "c3" in left


# -- the panel's text: whole parts only -------------------------------------------------------------
REASONS = [
    "scored us 4 out of 10",
    'said no to "Do you trust us?"',
    "waited 2:23 on Tech support (over 2x its 30 s)",
    "hung up 8 times in 7 days",
]


@pytest.mark.parametrize("width", range(20, 140))  # 20: the narrowest Why column
def test_a_why_cell_holds_whole_reasons_and_counts_the_rest(width):
    from floorview.tui.customers.cells import fit_reasons

    text = fit_reasons(REASONS, width)
    assert len(text) <= width
    shown, more = re.fullmatch(r"(.*?)(?: \+(\d+) more)?", text).groups()
    more = int(more or 0)
    if shown.endswith("…"):  # the first reason alone is wider than the cell: cut between words
        assert REASONS[0].startswith(shown[:-1]) and REASONS[0][len(shown) - 1] == " " or shown == "…"
        assert more == len(REASONS) - 1
    else:
        pieces = shown.split("; ")
        assert pieces == REASONS[: len(pieces)] and len(pieces) + more == len(REASONS)


@pytest.mark.parametrize("width", [30, 50, 78, 118])
def test_flow_breaks_lines_between_parts_within_the_width(width):
    from floorview.tui.customers.cells import flow

    parts = ["logins 25", "active days 17", "products 4", "upgrades 1", "support 5", "posts 0", "usage trend -0.62"]
    lines = flow("Behavior", parts, width, sep=", ").plain.rstrip("\n").split("\n")
    assert all(len(line) <= width for line in lines)
    assert lines[0].startswith("Behavior ") and all(line.startswith(" " * 9) for line in lines[1:])
    running = " ".join(line.strip() for line in lines).removeprefix("Behavior ")
    assert running.split(", ") == parts  # every part whole, in order


def test_counts_agree_in_number():
    from floorview.domain.units import counted

    assert (counted(0, "customer"), counted(1, "customer"), counted(2, "answer")) == (
        "0 customers",
        "1 customer",
        "2 answers",
    )
