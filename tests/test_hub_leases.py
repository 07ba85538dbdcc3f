"""Each source runs in one hub process at a time (hub/leases.py), on SQLite and PostgreSQL.

Two runners of one source on one database stand for two hub processes
(each its own store, engine and lease holder): one runs it, the other stands
by; when the owner stops renewing (dies), the other takes it over; an owner
that lost its lease cannot commit one more batch (the fence)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import update

from floorview.hub.hubstore import HubStore, LeaseLost, Scope, open_hub_engine
from floorview.hub.leases import Lease
from floorview.hub.sources import SourceRunner, StoreSink
from floorview.hub.supervise import WriterStatus
from floorview.hub.tables import hub_lease


class Counting:
    """A source writing one queue record a tick, its count as its resume point."""

    name = "counter"

    def __init__(self, tick_s: float = 0.05) -> None:
        self.tick_s = tick_s
        self.runs = 0

    def run(self, sink, stop: threading.Event) -> None:
        self.runs += 1
        n = (sink.resume_point() or {}).get("n", 0)
        sink.caught_up()
        while not stop.wait(self.tick_s):
            n += 1
            change = {"kind": "queue", "id": f"q-{n}", "version": 1, "op": "upsert", "data": {"name": f"Q{n}"}}
            sink.write([change], resume={"n": n}, read=1)


def _written(store: HubStore) -> int:
    state = store.source_state("counter")
    return 0 if state is None else state.records_written


def _wait(predicate, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def test_a_source_runs_in_one_process_and_another_takes_it_over_when_its_owner_dies(hub_dbs):
    url = hub_dbs()
    stores = [HubStore(open_hub_engine(url)) for _ in range(2)]
    sources = [Counting(), Counting()]
    runners = [SourceRunner(store, src, lease_s=1.0) for store, src in zip(stores, sources)]
    threads = [threading.Thread(target=r.run, daemon=True) for r in runners]
    threads[0].start()
    _wait(lambda: _written(stores[0]) >= 3)
    threads[1].start()
    _wait(lambda: runners[1].status.state == "standby")
    assert runners[1].ready.is_set()  # it serves what the owner writes
    time.sleep(1.5)  # past one lease: the owner renews, the other keeps standing by
    assert sources[1].runs == 0 and runners[0].status.state == "running"

    # The owner dies: its threads stop, its lease is not given up (no release), only left to lapse.
    runners[0].lease.release = lambda: None  # type: ignore[method-assign]
    before = stores[0].source_state("counter").resume["n"]
    runners[0].stop.set()
    threads[0].join(10)
    _wait(lambda: sources[1].runs == 1, timeout=5)  # within the lease (1 s) and a look (1/3 s)
    _wait(lambda: stores[1].source_state("counter").resume["n"] >= before + 3)
    runners[1].stop.set()
    threads[1].join(10)

    # Every count written once, in one unbroken run of positions: the new owner carried on from the resume point.
    state = stores[1].source_state("counter")
    changes, _, _ = stores[1].page(Scope("Floor"), 0, 10_000)
    assert sorted(int(c["id"][2:]) for c in changes) == list(range(1, state.resume["n"] + 1))
    assert state.records_written == state.resume["n"] == state.records_read
    for store in stores:
        store.engine.dispose()


def test_an_owner_that_lost_its_lease_cannot_commit_another_batch(hub_url):
    store = HubStore(open_hub_engine(hub_url))
    mine, theirs = Lease(store, "counter", "host-a:1:aa"), Lease(store, "counter", "host-b:2:bb")
    assert mine.take() and not theirs.take()
    assert theirs.holder == "host-a:1:aa"
    sink = StoreSink(store, "counter", WriterStatus("counter"), threading.Event(), owner=mine.owner)
    change = {"kind": "queue", "id": "q-1", "version": 1, "op": "upsert", "data": {"name": "One"}}
    assert sink.write([change], resume={"n": 1}) == 1

    with store.writer.begin() as conn:  # mine hung past its lease: the other process takes it
        conn.execute(update(hub_lease).values(expires_at=0))
    assert theirs.take()
    late = {"kind": "queue", "id": "q-2", "version": 1, "op": "upsert", "data": {"name": "Two"}}
    with pytest.raises(LeaseLost, match="another hub process runs the source 'counter'"):
        sink.write([late], resume={"n": 2})
    assert store.current("queue", "q-2") is None  # the batch rolled back, records and resume point
    assert store.source_state("counter").resume == {"n": 1}
    assert not mine.take() and mine.holder == "host-b:2:bb"
    theirs.release()
    assert mine.take()  # given up: taken at once, not after the lease
    store.engine.dispose()


def test_a_source_runner_that_loses_its_lease_stands_by_and_runs_a_fresh_source_when_it_takes_it_back(hub_url):
    store = HubStore(open_hub_engine(hub_url))
    made: list[Counting] = []

    def make() -> Counting:
        made.append(Counting())
        return made[-1]

    runner = SourceRunner(store, make(), remake=make, lease_s=0.6)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    _wait(lambda: runner.status.state == "running")
    other = Lease(store, "counter", "host-b:2:bb", lease_s=1.2)
    with store.writer.begin() as conn:
        conn.execute(update(hub_lease).values(expires_at=0))
    assert other.take()
    _wait(lambda: runner.status.state == "standby", timeout=5)
    assert len(made) == 1
    time.sleep(1.5)  # the other lets its lease lapse: this runner takes it back, with a source made afresh
    _wait(lambda: len(made) == 2 and made[1].runs == 1, timeout=5)
    _wait(lambda: runner.status.state == "running")
    runner.stop.set()
    thread.join(10)
    store.engine.dispose()


def test_a_lease_held_by_a_dead_process_on_this_host_is_taken_at_once(hub_url):
    import socket
    import subprocess
    import sys

    store = HubStore(open_hub_engine(hub_url))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = Lease(store, "counter", f"{socket.gethostname()}:{int(gone.stdout)}:aa", lease_s=600)
    assert dead.take()
    alive = Lease(store, "counter", f"{socket.gethostname()}:{1}:bb", lease_s=600)  # pid 1 is alive
    other_host = Lease(store, "counter", f"elsewhere:{int(gone.stdout)}:cc", lease_s=600)
    assert Lease(store, "counter", "me:5:dd").take()  # the dead one's lease: taken at once
    assert alive.take() is False and other_host.take() is False  # neither is dead here
    store.engine.dispose()


def test_a_renewal_that_fails_while_the_lease_still_holds_does_not_stop_the_source(hub_url):
    """A long write can hold the database's lock past a renewal's wait (SQLite's busy
    timeout): that renewal fails, but the lease is still this process's until it runs
    out, so the source goes on and the renewal is tried again (before: the source was
    stopped and started afresh, mid-backfill)."""
    from sqlalchemy.exc import OperationalError

    store = HubStore(open_hub_engine(hub_url))
    source = Counting()
    runner = SourceRunner(store, source, lease_s=3.0)
    real_take = runner.lease.take
    failures = {"left": 0}

    def take() -> bool:  # a fault a real lock produces only by chance: made here on demand
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("UPDATE hub_lease ...", None, Exception("database is locked"))
        return real_take()

    runner.lease.take = take  # type: ignore[method-assign]
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    _wait(lambda: runner.status.state == "running")
    failures["left"] = 2  # the next two renewals fail; the lease (3 s) has not run out
    _wait(lambda: failures["left"] == 0, timeout=10)
    time.sleep(1.5)
    assert runner.status.state == "running" and source.runs == 1 and not runner.lost
    runner.stop.set()
    thread.join(10)
    store.engine.dispose()
