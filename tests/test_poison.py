"""H1: a record the store cannot write never stops the floor (protocol rule 5).

A lone surrogate in any text, integers past SQLite's 64 bits, NaN and
infinity: each such record is quarantined with a reason that is itself
storable, the rest of its page is applied, and the cursor moves on. Driven
through a scripted hub on loopback (the reference hub refuses such text), in
process and through `floorview sync --once`, and by hypothesis over every
field of every kind.
"""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import select

from floorview.domain import feed
from floorview.domain.metrics import COUNT_COLUMNS
from floorview.store import schema
from floorview.store.apply import Applier, StoreRefused, rebuild_aggregates
from floorview.store.engine import open_engine
from floorview.store.syncstate import cursor
from floorview.sync.syncer import Syncer
from floorview.sync.transport import HubClient

from .test_sync_cli import run, token_file

AT = "2026-11-20T14:00:00Z"
GOOD = {
    "queue": {
        "name": "Billing",
        "channel": "voice",
        "timezone": "UTC",
        "sl_threshold_s": 20,
        "sl_target": 0.8,
        "short_abandon_s": 5,
        "aht_target_s": 300,
        "abandon_target": 0.05,
        "cost_per_agent_hour": 31.5,
        "forecast": [{"start": AT, "minutes": 15, "offered": 12, "aht_s": 280}],
    },
    "agent": {
        "name": "Ada",
        "team": "Harbor",
        "state": "on_contact",
        "state_since": AT,
        "reason": "lunch",
        "queues": ["q-good"],
        "interaction_id": "i-good",
    },
    "interaction": {
        "queue_id": "q-good",
        "channel": "voice",
        "customer_id": "c-good",
        "agent_id": "a-good",
        "enqueued_at": AT,
        "answered_at": "2026-11-20T14:00:15Z",
        "abandoned_at": None,
        "ended_at": "2026-11-20T14:05:00Z",
        "wrap_s": 30,
        "transfers": 1,
        "resolved": True,
        "qa_score": 88,
    },
    "customer": {
        "name": "Cy",
        "segment": "gold",
        "since": "2020-01-01",
        "behavior": {
            "logins_30d": 4,
            "active_days_30d": 3,
            "products": 2,
            "upgrades_90d": 0,
            "support_contacts_30d": 1,
            "community_posts_30d": 0,
            "usage_trend": -0.2,
        },
    },
    "survey": {
        "customer_id": "c-good",
        "interaction_id": "i-good",
        "answered_at": AT,
        "nps": 9,
        "csat": 5,
        "ces": 2,
        "trust": "yes",
        "sincerity": 5,
        "competence": 4,
        "reliability": 5,
        "verbatim": "fine",
    },
    "note": {
        "agent_id": "a-good",
        "customer_id": "c-good",
        "author": "Bo",
        "created_at": AT,
        "updated_at": AT,
        "type": "coaching",
        "topic": "quality",
        "adkar": "ability",
        "follow_up_on": "2026-11-27",
        "interaction_id": "i-good",
        "visibility": "team",
        "body": "well done",
    },
}

# The audit's poison and its kin: (kind, field, value, what the reason names).
POISON = [
    ("agent", "name", "Ada \ud800", "name"),
    ("note", "body", "bad \ud800 text", "body"),
    ("survey", "verbatim", "\udfff", "verbatim"),
    ("customer", "segment", "x\ud83d", "segment"),
    ("queue", "timezone", "\ud800", "timezone"),
    ("interaction", "transfers", 2**63, "transfers"),
    ("queue", "sl_threshold_s", 10**30, "sl_threshold_s"),
    ("queue", "sl_target", math.nan, "sl_target"),
    ("interaction", "wrap_s", math.inf, "wrap_s"),
    ("queue", "cost_per_agent_hour", -math.inf, "cost_per_agent_hour"),
    ("customer", "behavior", {"logins_30d": 2**64}, "behavior.logins_30d"),
    ("queue", "forecast", [{"start": AT, "minutes": 15, "offered": math.nan, "aht_s": 1}], "forecast.0.offered"),
]


def change(kind: str, rid: str, data: dict | None = None, version: int = 1, op: str = "upsert") -> dict:
    return {"kind": kind, "id": rid, "version": version, "op": op, "data": data}


def good_page() -> list[dict]:
    short = {"queue": "q", "agent": "a", "interaction": "i", "customer": "c", "survey": "s", "note": "n"}
    return [change(kind, f"{short[kind]}-good", dict(data)) for kind, data in GOOD.items()]


def poison_page() -> list[dict]:
    bad = [change(kind, f"bad-{k}", {**GOOD[kind], field: value}) for k, (kind, field, value, _) in enumerate(POISON)]
    bad.append(change("agent", "\ud800", GOOD["agent"]))  # an unusable envelope
    return good_page() + bad


def feed_answer(pages: dict[str, tuple[list, str, bool]]):
    """A hub: /v1/me not implemented (404); /v1/changes answers `pages[cursor or ""]`
    as (changes, next cursor, more). json.dumps writes surrogates as \\ud800 and
    NaN/Infinity as such: both reach the client's JSON reader as they would from a hub."""

    def answer(h) -> None:
        url = urlsplit(h.path)
        if url.path != "/v1/changes":
            h.reply(404, b'{"detail": "not here"}', {"Content-Type": "application/json"})
            return
        at = parse_qs(url.query).get("cursor", [""])[0]
        changes, nxt, more = pages[at]
        body = json.dumps({"cursor": nxt, "more": more, "server_time": AT, "changes": changes}).encode()
        h.reply(200, body, {"Content-Type": "application/json"})

    return answer


def assert_inert(path: Path) -> None:
    """Every text in the store encodes as UTF-8 and carries no control character."""
    con = sqlite3.connect(path)
    con.text_factory = bytes
    try:
        # Real tables only: an FTS5 index keeps binary blobs in its shadow tables.
        tables = [r[1] for r in con.execute("PRAGMA table_list") if r[2] == b"table"]
        for table in tables:
            for row in con.execute(f'SELECT * FROM "{table.decode()}"'):
                for value in row:
                    if isinstance(value, bytes):
                        text = value.decode("utf-8")  # strict: a surrogate stored any way would fail here
                        assert not any(ch in text for ch in "\x1b\x07\x9b\u202e"), (table, text[:80])
    finally:
        con.close()


def check_the_poisoned_store(path: Path) -> None:
    con = sqlite3.connect(path)
    try:
        for table, rid in (
            ("queue", "q-good"),
            ("agent", "a-good"),
            ("interaction", "i-good"),
            ("customer", "c-good"),
            ("survey", "s-good"),
            ("note", "n-good"),
        ):
            assert con.execute(f"SELECT count(*) FROM {table} WHERE id = ?", (rid,)).fetchone()[0] == 1, table
        for table in ("queue", "agent", "interaction", "customer", "survey", "note"):
            assert con.execute(f"SELECT count(*) FROM {table} WHERE id LIKE 'bad-%'").fetchone()[0] == 0
        reasons = dict(con.execute("SELECT record_id, reason FROM quarantine").fetchall())
        assert con.execute("SELECT cursor FROM sync_state").fetchone()[0] == "c.2"
    finally:
        con.close()
    for k, (_, _, _, field) in enumerate(POISON):
        assert field in reasons[f"bad-{k}"], (k, reasons[f"bad-{k}"])
    assert "\\ud800" in reasons  # the bad envelope's id, kept as its escape
    assert len(reasons) == len(POISON) + 1
    assert_inert(path)


def test_poison_records_are_quarantined_and_the_rest_applied_in_process(scripted, tmp_path):
    scripted.answer = feed_answer({"": (poison_page(), "c.1", True), "c.1": ([], "c.2", False)})
    engine = open_engine(tmp_path / "s.db")
    try:
        result = Syncer(engine, HubClient(scripted.url, "t")).pull_until_caught_up()
    finally:
        engine.dispose()
    assert result.caught_up and result.pages == 2
    check_the_poisoned_store(tmp_path / "s.db")


def test_poison_records_do_not_stop_sync_once(scripted, tmp_path):
    scripted.answer = feed_answer({"": (poison_page(), "c.1", True), "c.1": ([], "c.2", False)})
    db = tmp_path / "store" / "floorview.db"
    out = run("sync", "--once", "--hub", scripted.url, "--token-file", str(token_file(tmp_path, "t")), "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert "synced" in out.stdout and "Traceback" not in out.stderr
    check_the_poisoned_store(db)


def test_a_later_page_still_applies_after_a_poisoned_one(scripted, tmp_path):
    later = [change("agent", "a-later", GOOD["agent"])]
    scripted.answer = feed_answer({"": (poison_page(), "c.1", False), "c.1": (later, "c.2", False)})
    engine = open_engine(tmp_path / "s.db")
    try:
        syncer = Syncer(engine, HubClient(scripted.url, "t"))
        syncer.pull_until_caught_up()
        syncer.pull_until_caught_up()
        with engine.connect() as conn:
            assert cursor(conn) == "c.2"
            assert conn.execute(select(schema.Agent.id).where(schema.Agent.id == "a-later")).first()
    finally:
        engine.dispose()


# -- what the models let through and the store still refuses ---------------------------


class LooseInteraction(feed.Interaction):
    transfers: int = 0  # no upper bound: the store's INTEGER overflows
    queue_id: str | None = None  # may be missing: the store's column is NOT NULL


class LooseAgent(feed.Agent):
    name: str  # no Unicode check: the store cannot encode a surrogate


def contact(k: int, version: int = 1, **over) -> dict:
    minute = f"2026-11-20T14:{k:02d}:00Z"
    return change(
        "interaction",
        f"i-{k}",
        {
            **GOOD["interaction"],
            "enqueued_at": minute,
            "answered_at": minute,
            "ended_at": "2026-11-20T15:00:00Z",
            **over,
        },
        version=version,
    )


def refused_page() -> list[dict]:
    """Records the loose models pass and the store refuses, among good ones."""
    return [
        contact(1, 2),
        contact(2),
        contact(3, transfers=2**64),
        contact(4),
        contact(5, queue_id=None),
        contact(6),
        change("agent", "a-1", GOOD["agent"]),
        change("agent", "a-2", {**GOOD["agent"], "name": "A\ud800"}),
        change("agent", "a-3", {**GOOD["agent"], "queues": ["q-good", "q-other"]}),
    ]


def check_the_refused_page(conn) -> None:
    reasons = dict(conn.execute(select(schema.Quarantine.record_id, schema.Quarantine.reason)).all())
    assert set(reasons) == {"i-3", "i-5", "a-2"}
    assert reasons["i-3"].startswith("the store could not write it: OverflowError")
    assert reasons["i-5"].startswith("the store could not write it: IntegrityError: NOT NULL")
    assert "UnicodeEncodeError" in reasons["a-2"] and "\\ud800" in reasons["a-2"]
    assert sorted(conn.execute(select(schema.Interaction.id, schema.Interaction.version)).all()) == [
        ("i-1", 2),
        ("i-2", 1),
        ("i-4", 1),
        ("i-6", 1),
    ]
    assert sorted(conn.execute(select(schema.AgentQueue.agent_id, schema.AgentQueue.queue_id)).all()) == [
        ("a-1", "q-good"),
        ("a-3", "q-good"),
        ("a-3", "q-other"),
    ]


def sums(conn) -> list[tuple]:
    """The per-minute and per-interval sums, buckets emptied again left out."""
    out = []
    for table in (schema.QueueMinute, schema.QueueInterval):
        counts = [table.__table__.columns.keys().index(c) for c in COUNT_COLUMNS]
        out.extend((table.__tablename__, *r) for r in conn.execute(select(table)).all() if any(r[i] for i in counts))
    return sorted(out, key=lambda r: r[:3])


def assert_same_sums(got: list[tuple], expected: list[tuple]) -> None:
    """Equal, floats to a relative 1e-9 (a float sum taken in another order may differ)."""
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert math.isclose(x, y, rel_tol=1e-9) if isinstance(x, float) else x == y, (a, b)


def test_what_the_store_refuses_is_quarantined_one_record_at_a_time(engine, monkeypatch):
    monkeypatch.setitem(feed.KINDS, "interaction", LooseInteraction)
    monkeypatch.setitem(feed.KINDS, "agent", LooseAgent)
    with engine.begin() as conn:  # stored earlier: its sums must be taken away as it is replaced
        Applier(conn, 0).apply([change("queue", "q-good", GOOD["queue"]), contact(1)])
    with engine.connect() as conn:
        before = sums(conn)

    # The fast path (no savepoints) refuses the page whole; its transaction is rolled back.
    with pytest.raises(StoreRefused, match="the store refused a record of kind (interaction|agent)"):
        with engine.begin() as conn:
            Applier(conn, 0).apply(refused_page())
    with engine.connect() as conn:
        assert conn.execute(select(schema.Interaction.id, schema.Interaction.version)).all() == [("i-1", 1)]
        assert_same_sums(sums(conn), before)

    with engine.begin() as conn:
        result = Applier(conn, 0, careful=True).apply(refused_page())
    assert (result.applied, result.quarantined) == (6, 3)
    with engine.begin() as conn:
        check_the_refused_page(conn)
        kept = sums(conn)
        rebuild_aggregates(conn)
        assert_same_sums(sums(conn), kept)  # the per-record retry kept the sums right


def test_the_sync_applies_a_refused_page_again_record_by_record(scripted, tmp_path, monkeypatch):
    monkeypatch.setitem(feed.KINDS, "interaction", LooseInteraction)
    monkeypatch.setitem(feed.KINDS, "agent", LooseAgent)
    first = [change("queue", "q-good", GOOD["queue"]), contact(1)]
    scripted.answer = feed_answer({"": (first, "c.1", True), "c.1": (refused_page(), "c.2", False)})
    engine = open_engine(tmp_path / "s.db")
    try:
        result = Syncer(engine, HubClient(scripted.url, "t")).pull_until_caught_up()
        assert result.caught_up
        with engine.connect() as conn:
            assert cursor(conn) == "c.2"
            check_the_refused_page(conn)
    finally:
        engine.dispose()


def test_a_fault_of_the_store_itself_stops_the_page_and_quarantines_nothing(engine, monkeypatch):
    def full(*_args, **_kw):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Applier, "_apply_kind", full)
    with pytest.raises(sqlite3.OperationalError):
        with engine.begin() as conn:
            Applier(conn, 0).apply(good_page())
    with engine.connect() as conn:
        assert conn.execute(select(schema.Quarantine.seq)).first() is None


def test_the_quarantine_keeps_hostile_envelopes_storable_and_inert(tmp_path):
    path = tmp_path / "s.db"
    engine = open_engine(path)
    with engine.begin() as conn:
        result = Applier(conn, 0).apply(
            [
                {"kind": "agent\x1b[31m\ud800", "id": "\udfff\u202e", "version": "x", "op": "upsert"},
                {"kind": "note", "id": ["a"], "version": 2**70, "op": "upsert", "data": {"body": "\ud800"}},
                {"kind": "note", "id": 10**5000, "version": 1, "op": "upsert", "data": {"n": 10**5000}},
                "not a change",
                None,
                7,
            ]
        )
        rows = conn.execute(
            select(schema.Quarantine.kind, schema.Quarantine.record_id, schema.Quarantine.version).order_by(
                schema.Quarantine.seq
            )
        ).all()
    engine.dispose()
    assert result.quarantined == 6
    assert rows[0] == ("agent[31m\\ud800", "\\udfff", 0)  # cleaned (rule 6), the surrogate as its escape
    assert rows[1] == ("note", '["a"]', 0)
    assert rows[2] == ("note", "int", 1)  # an integer too long to write out
    assert_inert(path)


@pytest.mark.parametrize("kind", ["q\ud800", "qé", "queue"])
def test_the_fast_envelope_check_agrees_with_the_model_on_any_text(kind):
    raw = {"kind": kind, "id": "x", "version": 1, "op": "upsert"}
    try:
        expected = feed.Change.model_validate(raw).model_dump()
    except ValidationError:
        expected = "invalid"
    try:
        got = feed.parse_change(raw).model_dump()
    except ValidationError:
        got = "invalid"
    assert got == expected


# -- hypothesis: however malformed, no record stops the page ------------------------------

SURROGATE = st.integers(0xD800, 0xDFFF).map(chr)


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def certainly_bad(value) -> bool:
    """Values no field of any kind accepts: a lone surrogate, NaN or infinity, lists in lists."""
    if isinstance(value, str):
        return any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list):
        return bool(value) and isinstance(value[0], list)
    return False


HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30, 10**300]),
    st.floats(),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -0.0, 5e-324]),
    st.text(max_size=12),
    st.builds(lambda a, s, b: a + s + b, st.text(max_size=4), SURROGATE, st.text(max_size=4)),
    st.text(alphabet="\x00\x1b\x07\x7f\x85\x9b\u202e\u2066[]=@/", max_size=12),
    st.sampled_from(["x" * 201, "é" * 4001, "\U0001f600" * 20001, "y" * (1 << 20)]),
    st.sampled_from(
        [
            "9999-12-31T23:59:59-23:59",
            "0001-01-01T00:00:00+23:59",
            "2026-11-20T14:00:00",
            "2026-13-40T00:00:00Z",
            "2026-11-20",
            "Europe/../../etc/passwd",
            "UTC\x00",
            "voice",
        ]
    ),
    st.lists(st.one_of(st.integers(), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=3), st.one_of(st.integers(), st.floats()), max_size=3),
    st.integers(2, 3000).map(nested),
)

FIELDS = {
    kind: sorted(data)
    + [f"behavior.{f}" for f in GOOD["customer"]["behavior"] if kind == "customer"]
    + [f"forecast.0.{f}" for f in GOOD["queue"]["forecast"][0] if kind == "queue"]
    for kind, data in GOOD.items()
}

BAD_ENVELOPES = (
    [("version", v) for v in (0, -1, 2**63, 1.5, "one", None, [1])]
    + [("id", v) for v in ("", "a b", "x\ud800", "é", "x" * 129, 7, None)]
    + [("op", v) for v in ("UPSERT", "", None, 3)]
    + [("kind", v) for v in ("", "k" * 65, 5, None, "q\ud800")]
)
UNKNOWN_KINDS = ["weather", "k" * 64, "Queue"]


def _parent(data: dict, path: str):
    """The dict holding `path`'s last key, or None if an earlier change took it away."""
    *parents, last = path.split(".")
    for key in parents:
        if isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        elif isinstance(data, dict) and key in data:
            data = data[key]
        else:
            return None, last
    return (data if isinstance(data, dict) else None), last


def _set(data: dict, path: str, value) -> bool:
    parent, last = _parent(data, path)
    if parent is None:
        return False
    parent[last] = value
    return True


def _holds(data: dict, path: str, value) -> bool:
    parent, last = _parent(data, path)
    return parent is not None and last in parent and parent[last] is value


def _drop(data: dict, path: str) -> None:
    parent, last = _parent(data, path)
    if parent is not None:
        parent.pop(last, None)


@st.composite
def records(draw, n: int):
    """(change, expectation): 'applied'; 'quarantined'; 'refused' (quarantined, its envelope
    unusable); 'unknown' (counted); or 'either' (a mutation that may or may not be valid:
    it must then be applied or quarantined, never lost)."""
    kind = draw(st.sampled_from(sorted(GOOD)))
    data = json.loads(json.dumps(GOOD[kind]))
    raw = change(kind, f"r-{n}", data, version=draw(st.integers(1, 2**63 - 1)))
    how = draw(st.sampled_from(["good", "extra", "set", "set", "set", "drop", "data", "envelope", "unknown", "whole"]))
    if how == "good":
        return raw, "applied"
    if how == "extra":  # unknown fields are ignored (rule 4), however hostile
        data[draw(st.text(max_size=8).filter(lambda k: k not in data))] = draw(HOSTILE)
        return raw, "applied"
    if how == "set":
        values = draw(st.lists(st.tuples(st.sampled_from(FIELDS[kind]), HOSTILE), min_size=1, max_size=3))
        for field, value in values:
            _set(data, field, value)
        # Only what is still in place counts: a later value may replace a field, or its parent.
        return raw, "quarantined" if any(
            certainly_bad(value) and _holds(data, field, value) for field, value in values
        ) else "either"
    if how == "drop":
        _drop(data, draw(st.sampled_from(FIELDS[kind])))
        return raw, "either"
    if how == "data":
        raw["data"] = draw(st.one_of(st.none(), st.just({}), st.just([1]), st.just("data")))
        return raw, "quarantined"  # every kind has required fields
    if how == "envelope":
        field, value = draw(st.sampled_from(BAD_ENVELOPES))
        raw[field] = value
        return raw, "refused"
    if how == "unknown":
        raw["kind"] = draw(st.sampled_from(UNKNOWN_KINDS))
        return raw, "unknown"
    return draw(st.sampled_from([None, 5, "change", [1, 2], {}])), "refused"


_TEMPLATE = Path(tempfile.mkdtemp()) / "empty.db"
open_engine(_TEMPLATE).dispose()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_no_record_however_malformed_stops_the_page(data):
    page = [data.draw(records(n)) for n in range(data.draw(st.integers(1, 14)))]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.db"
        shutil.copyfile(_TEMPLATE, path)
        engine = open_engine(path)
        try:
            careful = data.draw(st.booleans(), label="careful")  # both paths take what the models refuse
            with engine.begin() as conn:
                result = Applier(conn, 0, careful=careful).apply([c for c, _ in page])
            with engine.connect() as conn:
                stored = {
                    (kind, rid): v
                    for kind, table in schema.RECORD_TABLES.items()
                    for rid, v in conn.execute(select(table.id, table.version))
                }
                held = {(k, r) for k, r in conn.execute(select(schema.Quarantine.kind, schema.Quarantine.record_id))}
                n_held = len(conn.execute(select(schema.Quarantine.seq)).all())
                kept = sums(conn)
                rebuild_aggregates(conn)
                assert_same_sums(sums(conn), kept)
                conn.rollback()
        finally:
            engine.dispose()
        assert_inert(path)
    counted = {"unknown": 0, "refused": 0}
    for raw, expect in page:
        event(expect)
        if expect in counted:
            counted[expect] += 1
            continue
        key = (raw["kind"], raw["id"])
        if expect == "applied":
            assert stored.get(key) == raw["version"], (key, raw)
            assert key not in held
        elif expect == "quarantined":
            assert key in held and key not in stored, raw
        else:
            assert (key in stored) != (key in held), raw
    assert result.unknown == counted["unknown"]
    assert (
        result.quarantined
        == n_held
        == counted["refused"]
        + sum(1 for raw, expect in page if expect in ("quarantined", "either") and (raw["kind"], raw["id"]) in held)
    )
    assert result.applied == len(stored)
    assert result.applied + result.quarantined + result.unknown == len(page)
