"""Issue 14, "a client that behaves when hubs misbehave" (security audit L2,
L13): a busy hub in `sync --once`, a hub that answers 410 on every cursor,
a failover to another hub database, two databases answering in turn, and a
hub that answers long polls at once. The hubs are real HTTP servers on
loopback (the scripted one, or the reference hub); waits are counted through
the stop event `Syncer.run` waits on, never measured by the wall clock."""

from __future__ import annotations

import json
import logging
import random
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from floorview.store import schema
from floorview.store.syncstate import cursor
from floorview.sync.backoff import Backoff
from floorview.sync.syncer import GaveUp, Restarting, Syncer
from floorview.sync.transport import HubClient

from .hubs import Scripted, start_hub
from .test_poison import AT, GOOD, change
from .test_sync import feed_hub
from .test_sync_cli import run, token_file


class Waits(threading.Event):
    """The stop event `Syncer.run` waits on: every wait is recorded and returns
    at once; the event is set after `n` waits (so a run is n turns of its loop)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n
        self.waits: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        if len(self.waits) >= self.n:
            self.set()
        return self.is_set()


def page(cursor: str, changes: list | None = None, more: bool = False) -> bytes:
    return json.dumps({"cursor": cursor, "more": more, "server_time": AT, "changes": changes or []}).encode()


def agent(aid: str, name: str = "Ada") -> dict:
    return change("agent", aid, {**GOOD["agent"], "name": name})


def script(server: Scripted, changes) -> list[str | None]:
    """`changes(cursor or None)` answers `/v1/changes` as (status, body, headers);
    `/v1/me` is 404 (an adapter that does not say). Returns the cursors asked
    from, as they come."""
    asked: list[str | None] = []
    lock = threading.Lock()

    def answer(h) -> None:
        url = urlsplit(h.path)
        if url.path != "/v1/changes":
            h.reply(404, b'{"detail": "not here"}', {"Content-Type": "application/json"})
            return
        at = parse_qs(url.query).get("cursor", [None])[0]
        with lock:
            asked.append(at)
            status, body, headers = changes(at)
        h.reply(status, body, {"Content-Type": "application/json", **headers})

    server.answer = answer
    return asked


def ceilings(n: int) -> list[float]:
    """The backoff's ceilings: 0.8 s doubling, capped at 30 s (docs: feed-protocol)."""
    return [min(30.0, 0.8 * 2**k) for k in range(n)]


def agents(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(schema.Agent.id)).scalars())


def plant(engine, aid: str) -> None:
    """A row only the store has: if the store is dropped again, it goes."""
    with engine.begin() as conn:
        conn.execute(
            schema.Agent.__table__.insert().values(
                id=aid, version=1, name="planted", team="T", state="available", state_since=0.0
            )
        )


def synced(engine, at: str, aid: str = "a-old") -> None:
    """A store that has synced before: one agent, and the cursor it stopped at."""
    plant(engine, aid)
    with engine.begin() as conn:
        conn.execute(schema.SyncState.__table__.insert().values(id=1, cursor=at, unknown_kinds=0))


# -- 429 and 503 in `sync --once` (L13) ---------------------------------------------


def once(server: Scripted, tmp_path, *extra: str):
    db = tmp_path / "s.db"
    out = run(
        "sync", "--once", "--hub", server.url, "--token-file", str(token_file(tmp_path, "t")), "--db", str(db), *extra
    )
    return out, db


@pytest.mark.parametrize("status", [503, 429])
def test_sync_once_waits_out_a_busy_hub_and_catches_up(scripted, tmp_path, status):
    answers = iter([(status, b'{"detail": "busy"}', {"Retry-After": "1"})])

    def changes(at):
        return next(answers, (200, page("e1.0.1", [agent("a-1")]), {}))

    asked = script(scripted, changes)
    out, db = once(scripted, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "synced 1 changes in 1 pages" in out.stdout
    assert asked == [None, None]  # the busy answer, then the page
    import sqlite3

    assert sqlite3.connect(db).execute("SELECT id FROM agent").fetchall() == [("a-1",)]
    assert sqlite3.connect(db).execute("SELECT cursor FROM sync_state").fetchone() == ("e1.0.1",)


def test_sync_once_past_its_deadline_exits_2_with_one_line(scripted, tmp_path):
    asked = script(scripted, lambda at: (503, b'{"detail": "busy"}', {"Retry-After": "1"}))
    out, _ = once(scripted, tmp_path, "--deadline", "2")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1, out.stderr
    assert "gave up" in out.stderr and "hub is busy (503)" in out.stderr, out.stderr
    assert 2 <= len(asked) <= 4  # a try a second, two seconds of them


def test_a_retry_after_past_the_deadline_gives_up_at_once(scripted, tmp_path):
    asked = script(scripted, lambda at: (429, b"{}", {"Retry-After": "120"}))
    out, _ = once(scripted, tmp_path, "--deadline", "60")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1, out.stderr
    assert "hub is busy (429)" in out.stderr and "past the 60 s deadline" in out.stderr, out.stderr
    assert len(asked) == 1


def test_help_says_what_once_retries_and_until_when():
    out = run("sync", "--help")
    text = " ".join(out.stdout.split())
    assert "--deadline SECONDS" in text and "(default 60)" in text
    assert "Retry-After" in text and "exit 2" in text


def test_a_deadline_must_be_seconds(tmp_path):
    out = run("sync", "--once", "--deadline", "soon")
    assert out.returncode == 2 and "not a number of seconds" in out.stderr


# -- 410 on every cursor (L2) ---------------------------------------------------------


def test_410_on_every_cursor_backs_off_and_drops_the_store_once(scripted, engine):
    """The hub answers a first sync and refuses every cursor, its own included."""

    def changes(at):
        if at is not None:
            return 410, b'{"detail": "cursor gone"}', {}
        return 200, page("e1.0.2", [agent("a-1")]), {}

    asked = script(scripted, changes)
    synced(engine, "e1.0.1")
    syncer = Syncer(engine, HubClient(scripted.url, "t"), poll_s=0)
    syncer.restarts.backoff = Backoff(random.Random(14))
    said: list[tuple[str, str | None]] = []
    stop = Waits(12)

    def report(state, detail):
        said.append((state, detail))
        if state == "stale" and len(stop.waits) == 0:
            plant(engine, "a-planted")  # after the drop: dropping again would take it

    syncer.run(report, stop)

    # Dropped once: what was synced before went, what came after stayed.
    assert syncer.restarts.drops == 1
    assert agents(engine) == {"a-1", "a-planted"}
    # Every turn of the loop after the first restart is one wait of the
    # backoff's schedule, and two requests: the fresh start, and the refused cursor.
    expected = random.Random(14)
    assert stop.waits == [expected.uniform(0, c) for c in ceilings(12)]
    assert len(asked) == 2 * len(stop.waits) + 1
    assert asked[:3] == ["e1.0.1", None, "e1.0.2"]
    # The first 20 s of this schedule hold six waits: 13 requests, where the
    # audit (L2) counted well over a thousand.
    spent, within = 0.0, 0
    for wait in stop.waits:
        spent += wait
        within += spent <= 20
    assert 2 * within + 1 <= 15
    # In words, on the status line.
    assert ("catching up", "starting over: the hub no longer knows our position (410)") in said
    stale = [d for s, d in said if s == "stale"]
    assert len(stale) == 12
    assert stale[0].startswith("the hub keeps refusing our position (410): starting over, next try in ")
    assert stale[-1].endswith(" s")
    with engine.connect() as conn:
        assert cursor(conn) is None  # the next try starts from nothing


def test_410_even_from_nothing_in_sync_once_gives_up_at_the_deadline(scripted, engine):
    asked = script(scripted, lambda at: (410, b"{}", {}))
    synced(engine, "e1.0.1")
    syncer = Syncer(engine, HubClient(scripted.url, "t"))
    syncer.restarts.backoff = Backoff(random.Random(2))
    clock, sleeps = [0.0], []

    def sleep(s: float) -> None:
        sleeps.append(s)
        clock[0] += s

    with pytest.raises(GaveUp) as gave_up:
        syncer.sync_once(60, sleep=sleep, monotonic=lambda: clock[0])
    assert "the hub keeps refusing our position (410)" in gave_up.value.message
    assert "next try" in gave_up.value.message and "60 s deadline" in gave_up.value.message
    assert sum(sleeps) <= 60
    expected = random.Random(2)
    assert sleeps == [expected.uniform(0, c) for c in ceilings(len(sleeps))]
    assert len(asked) == len(sleeps) + 2  # the stored cursor, then a fresh start per try
    assert syncer.restarts.drops == 1 and agents(engine) == set()


def test_a_fresh_start_that_the_hub_then_accepts_ends_the_streak(scripted, engine):
    """A 410, a fresh start, its cursor accepted: a later 410 is a new reason to start over."""
    state = {"refuse": {"e1.0.1"}}

    def changes(at):
        if at in state["refuse"]:
            return 410, b"{}", {}
        return 200, page("e1.0.2", [agent("a-1")] if at is None else []), {}

    script(scripted, changes)
    synced(engine, "e1.0.1")
    syncer = Syncer(engine, HubClient(scripted.url, "t"))
    assert syncer.pull_until_caught_up().caught_up
    assert syncer.pull_page() == (0, False)  # the fresh start's cursor, accepted
    assert syncer.restarts.drops == 1 and not syncer.restarts.fresh
    state["refuse"].add("e1.0.2")  # say, tombstones purged
    with pytest.raises(Restarting):  # dropped, but started over only after a wait: the streak goes on
        syncer.pull_until_caught_up()
    assert syncer.restarts.drops == 2
    assert agents(engine) == set()


# -- another hub database behind the same address ------------------------------------------


def test_a_failover_to_another_database_starts_over_once_and_says_so(hub, engine, tmp_path, caplog):
    feed_hub(hub)
    restored = start_hub(tmp_path / "restored.db")
    try:
        feed_hub(restored, hours=1.0)
        syncer = Syncer(engine, HubClient(hub.url, hub.token))
        syncer.pull_until_caught_up()
        syncer.client = HubClient(restored.url, restored.token)  # the load balancer sends us there now
        said: list[tuple[str, str | None]] = []
        with caplog.at_level(logging.WARNING, logger="floorview.sync.syncer"):
            result = syncer.pull_until_caught_up(lambda s, d: said.append((s, d)))
            assert syncer.pull_page() == (0, False)  # and carries on from there
        assert result.caught_up and syncer.restarts.drops == 1
        with engine.connect() as conn:
            assert cursor(conn).startswith(restored.store.epoch + ".")
            assert conn.execute(select(schema.Agent.id)).scalars().all()
        assert ("catching up", "starting over: the hub at this address is another database now") in said
        lines = [r.getMessage() for r in caplog.records]
        assert any(
            "another database now" in line and restored.store.epoch[:8] in line and hub.store.epoch[:8] in line
            for line in lines
        ), lines
        assert not syncer.restarts.alternating
    finally:
        restored.stop()


def test_a_page_from_another_database_without_a_410_starts_over_too(scripted, engine):
    """A hub that answers our cursor with another database's page: started over, not mixed in."""
    script(scripted, lambda at: (200, page("e2.0.9", [agent("a-2")]), {}))
    synced(engine, "e1.0.1")
    syncer = Syncer(engine, HubClient(scripted.url, "t"))
    syncer.pull_until_caught_up()
    assert syncer.restarts.drops == 1 and agents(engine) == {"a-2"}


def test_two_databases_in_turn_are_bounded_and_said(scripted, engine):
    """Two hubs of different databases behind one address, taking requests at random."""
    pick = random.Random(3)

    def changes(at):
        epoch = pick.choice(["e1", "e2"])
        if at is None:
            return 200, page(f"{epoch}.0.5", [agent(f"a-{epoch}")]), {}
        if at.split(".")[0] != epoch:
            return 410, b'{"detail": "not one of ours"}', {}
        return 200, page(at), {}  # a long poll answered at once, empty

    asked = script(scripted, changes)
    syncer = Syncer(engine, HubClient(scripted.url, "t"), poll_s=30)
    syncer.restarts.backoff = Backoff(random.Random(4))
    said: list[tuple[str, str | None]] = []
    stop = Waits(40)
    syncer.run(lambda s, d: said.append((s, d)), stop)

    assert syncer.restarts.drops == 1  # once, at the first switch: never again while they alternate
    assert syncer.restarts.alternating
    # Between two waits: at most a refused cursor, a restart at once, a fresh start and a long poll.
    assert len(asked) <= 4 * len(stop.waits) + 4
    backoff_waits = [w for w in stop.waits if w != pytest.approx(30, abs=1)]  # not the long poll's spacing
    expected = random.Random(4)
    assert backoff_waits == [expected.uniform(0, c) for c in ceilings(len(backoff_waits))]
    stale = [d for s, d in said if s == "stale"]
    assert any(
        d.startswith("two hub databases answer at this address in turn") and "next try in" in d for d in stale
    ), stale


# -- a hub that ignores `wait` ------------------------------------------------------------


def test_empty_long_polls_answered_at_once_are_spaced_by_the_poll_interval(scripted, engine):
    asked = script(scripted, lambda at: (200, page("e1.0.1"), {}))  # `wait` ignored: empty, at once
    syncer = Syncer(engine, HubClient(scripted.url, "t"), poll_s=30)
    stop = Waits(20)
    syncer.run(lambda s, d: None, stop)
    assert len(asked) == len(stop.waits) + 1  # the catch-up, then one long poll per wait
    assert all(w is not None and 25 < w <= 30 for w in stop.waits)  # the rest of poll_s after each
    assert all(a == "e1.0.1" for a in asked[1:])


def test_a_long_poll_that_brings_changes_is_not_held_back(scripted, engine):
    n = [0]

    def changes(at):
        n[0] += 1
        return 200, page(f"e1.0.{n[0]}", [agent("a-1", name=f"Ada {n[0]}")]), {}

    asked = script(scripted, changes)
    syncer = Syncer(engine, HubClient(scripted.url, "t"), poll_s=30)
    stop = Waits(1)  # a single wait would end the run

    def report(state, detail):
        if len(asked) >= 5:
            stop.set()

    syncer.run(report, stop)
    assert len(asked) >= 5 and stop.waits == []  # pages with changes, none of them waited for
