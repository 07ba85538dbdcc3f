"""Sources feed the hub (issue 13): the simulated floor as a source, its resume
point committed with its records, hub processes SIGKILLed while it runs, and
`floorview hub status`."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import select

from floorview.cli import main
from floorview.hub.hubstore import HubStore, open_hub_engine
from floorview.sources.simulator.floor import Floor
from floorview.sources.simulator.floorplan import afternoon_zone
from floorview.hub.sources import SourceRunner
from floorview.hub.tables import hub_record, hub_source
from floorview.sources.simulator import SimulatorSource

# Where it is afternoon now, as the demo does: a floor at night (Berlin at 00:38, in one CI
# run) may make no change in the seconds a test runs it.
ZONE = afternoon_zone(time.time())


def _store(path) -> HubStore:
    return HubStore(open_hub_engine(f"sqlite:///{path}"))


def _stored(store: HubStore) -> dict[tuple[str, str], int]:
    with store.engine.connect() as conn:
        return {
            (r.kind, r.id): r.version
            for r in conn.execute(select(hub_record.c.kind, hub_record.c.id, hub_record.c.version))
        }


def _source(day_start: float, **kw) -> SimulatorSource:
    return SimulatorSource(Floor, 7, ZONE, day_start, **{"speed": 600.0, "tick_s": 0.02, **kw})


def _run_for(store: HubStore, source: SimulatorSource, seconds: float) -> SourceRunner:
    runner = SourceRunner(store, source)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    assert runner.ready.wait(60)
    time.sleep(seconds)
    runner.stop.set()
    thread.join(30)
    assert not thread.is_alive()
    return runner


def _replayed(point) -> SimulatorSource:
    """A floor built from nothing and run to `point`'s step: what the log must hold."""
    source = SimulatorSource(Floor, point["seed"], point["zone"], point["start"])
    source._begin(point)
    return source


def test_the_simulator_source_writes_its_floor_and_resumes_it_after_a_restart(tmp_path):
    store = _store(tmp_path / "hub.db")
    day_start = time.time() - 3 * 3600
    first = _source(day_start)
    runner = _run_for(store, first, 0.5)
    assert runner.status.state == "stopped" and runner.status.restarts == 0
    assert first.floor is not None and first.done > 0 and first.written == first.done
    assert _stored(store) == first.floor.versions
    state = store.source_state("simulator")
    assert state is not None and state.resume == first.resume_value(first.done)
    assert state.records_written >= len(first.floor.versions) and state.unmapped == {}
    assert state.last_record_at == first.clock_at(first.done)

    # A new process on the same database: the same floor, carried on from its step, nothing rewritten.
    before = state.records_written
    second = _source(time.time() - 600)  # a different first moment: the stored one wins
    second._begin(state.resume)
    assert second.done == first.done and second.floor is not None and second.floor.versions == first.floor.versions
    second = _source(time.time() - 600)
    _run_for(store, second, 0.5)
    assert second.schedule == first.schedule and second.done > first.done
    assert second.floor is not None and _stored(store) == second.floor.versions
    again = store.source_state("simulator")
    assert again is not None and again.records_written > before
    assert again.resume["step"] == second.done


def test_another_seed_starts_a_new_floor(tmp_path):
    store = _store(tmp_path / "hub.db")
    first = _source(time.time() - 1800)
    _run_for(store, first, 0.2)
    other = SimulatorSource(Floor, 8, ZONE, time.time() - 1800, speed=600.0, tick_s=0.02)
    other._begin(store.source_state("simulator").resume)
    assert other.done == 0 and other.schedule is not None and other.schedule.seed == 8


def test_the_resume_point_is_committed_with_the_records_or_not_at_all(tmp_path, monkeypatch):
    store = _store(tmp_path / "hub.db")
    change = {"kind": "queue", "id": "q-1", "version": 1, "op": "upsert", "data": {"name": "Billing"}}
    counters = {"unmapped": {"unknown event": ["1|x|q|a|FOO"]}, "last_record_at": 100.0}
    assert store.write([change], resume=("s", {"at": 1}, counters)) == 1

    def broken(*args, **kwargs):  # fails after the records are in, inside the same transaction
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_keep_resume", broken)
    changed = {**change, "version": 2, "data": {"name": "Billing 2"}}
    with pytest.raises(RuntimeError):
        store.write([changed], resume=("s", {"at": 2}, {"last_record_at": 200.0}))
    monkeypatch.undo()
    assert store.current("queue", "q-1")["version"] == 1  # neither the record...
    state = store.source_state("s")
    assert state is not None and state.resume == {"at": 1} and state.last_record_at == 100.0  # ...nor the point
    assert state.records_written == 1
    assert state.unmapped == {"unknown event": {"count": 1, "examples": ["1|x|q|a|FOO"]}}

    # A failing record write takes the resume point down with it too.
    monkeypatch.setattr(store, "_bump", broken)
    agent = {"kind": "agent", "id": "a-1", "version": 1, "op": "upsert", "data": {"team": "A", "queues": ["q-1"]}}
    with pytest.raises(RuntimeError):
        store.write([agent], resume=("s", {"at": 3}, {}))
    monkeypatch.undo()
    assert store.source_state("s").resume == {"at": 1} and store.current("agent", "a-1") is None

    # Nothing new: the resume point still moves (a heartbeat); counters add up; examples are capped.
    unmapped = {"unknown event": [f"line {i}" for i in range(9)], "bad time": ["x"]}
    assert store.write([], resume=("s", {"at": 4}, {"unmapped": unmapped, "last_record_at": 50.0})) == 0
    state = store.source_state("s")
    assert state.resume == {"at": 4} and state.last_record_at == 100.0  # an older record time never wins
    assert state.unmapped["unknown event"]["count"] == 10 and len(state.unmapped["unknown event"]["examples"]) == 5
    assert state.unmapped["bad time"] == {"count": 1, "examples": ["x"]}
    assert store.write([change]) == 0  # without `resume`: as before, and no source row is touched
    assert [s.name for s in store.sources()] == ["s"]


# -- hub processes killed while the floor runs ----------------------------------------------------

ROUNDS = 8


def _hub_process(db, out=subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "floorview", "hub", "--simulate", "--speed", "600", "--port", "0", "--print-port"]
        + ["--db", f"sqlite:///{db}"],
        stdout=out,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def test_hub_processes_sigkilled_while_the_floor_runs_lose_and_double_nothing(tmp_path):
    db = tmp_path / "hub.db"
    rng = random.Random(20261201)
    steps = []
    for i in range(ROUNDS):
        child = _hub_process(db)
        if i == 0:  # the first hub writes something, so that every later one starts from a resume point
            _wait_for_a_write(db)
        time.sleep(rng.uniform(0.5, 5.0))  # starting, catching up the day, or live
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        if db.exists():
            store = _store(db)
            state = store.source_state("simulator")
            if state is not None:
                steps.append(state.resume["step"])
                _check(store, state.resume)
            store.engine.dispose()
    # A last hub, stopped gracefully: it writes what its floor made, and the floor went on.
    child = _hub_process(db, subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline().startswith("PORT ")  # caught up, serving
    time.sleep(1.5)
    child.send_signal(signal.SIGTERM)
    assert child.wait(30) in (0, -signal.SIGTERM)  # uvicorn ends by raising the signal again, once stopped
    store = _store(db)
    state = store.source_state("simulator")
    assert state is not None
    assert len(steps) == ROUNDS and steps == sorted(steps) and state.resume["step"] > steps[-1]
    _check(store, state.resume)
    store.engine.dispose()


def _wait_for_a_write(db) -> None:
    import sqlite3

    for _ in range(600):
        if db.exists():
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            try:
                if con.execute("SELECT count(*) FROM hub_source").fetchone()[0]:
                    return
            except sqlite3.OperationalError:
                pass  # the tables are being made
            finally:
                con.close()
        time.sleep(0.1)
    raise AssertionError("the hub never wrote its floor")


def _check(store: HubStore, point) -> None:
    """The log holds every record of the floor up to its resume point, once, at the floor's version there."""
    floor = _replayed(point).floor
    assert floor is not None
    stored = _stored(store)
    assert stored == floor.versions, _diff(stored, floor.versions)
    with store.engine.connect() as conn:  # and as the floor had it there, not only the version
        rows = conn.execute(select(hub_record.c.id, hub_record.c.data).where(hub_record.c.kind == "agent")).all()
    for rid, data in rows:
        assert json.loads(data)["state"] == floor.agents[rid].state


def _diff(a: dict, b: dict) -> str:
    only_a = [k for k in a if k not in b][:5]
    only_b = [k for k in b if k not in a][:5]
    differ = [(k, a[k], b[k]) for k in a if k in b and a[k] != b[k]][:5]
    return f"stored only {only_a}; floor only {only_b}; versions differ {differ}"


# -- floorview hub status ---------------------------------------------------------------------------


def test_hub_status_says_how_each_source_stands(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    assert main(["hub", "status", "--db", url]) == 2  # no database: said, not made
    assert "no hub database at" in capsys.readouterr().err and not (tmp_path / "hub.db").exists()
    store = HubStore(open_hub_engine(url))
    assert main(["hub", "status", "--db", url]) == 0
    assert capsys.readouterr().out == "no source has written to this hub database yet\n"

    _run_for(store, _source(time.time() - 1800), 0.3)
    hostile = "\x1b[2Jcaller \x1b]52;c;eA==\x07name"
    unmapped = {"unknown event": ["1700000000|1.1|q|a|FOO"], "bad agent": [hostile]}
    store.write([], resume=("asterisk", {"offset": 10}, {"unmapped": unmapped, "last_record_at": time.time() - 90}))
    with store.writer.begin() as conn:  # a source that stopped writing an hour ago
        conn.execute(hub_source.update().where(hub_source.c.name == "asterisk").values(updated_at=time.time() - 3600))
    written = store.source_state("simulator").records_written
    store.engine.dispose()

    assert main(["hub", "status", "--db", url]) == 0
    out = capsys.readouterr().out
    blocks = out.strip().split("\n\n")
    assert len(blocks) == 2
    asterisk, simulator = blocks
    assert asterisk.startswith("source asterisk: NOT RUNNING (last update 60 min ago")
    assert "lag: 90 s behind the platform" in asterisk
    assert "records written: 0" in asterisk
    assert "not mapped: 2" in asterisk and "unknown event: 1" in asterisk and "1700000000|1.1|q|a|FOO" in asterisk
    assert "\x1b" not in out and "\x07" not in out and "caller ]52;c;eA==name" in asterisk
    assert simulator.startswith("source simulator: running (last update")
    assert "ahead of the wall clock" in simulator  # a floor at 600x runs ahead of now
    assert f"records written: {written}" in simulator and "not mapped: none" in simulator


def test_an_administrators_health_says_how_each_source_stands_and_no_one_elses_does(tmp_path):
    import httpx

    from .hubs import start_hub

    hub = start_hub(tmp_path / "hub.db")
    try:
        counters = {"unmapped": {"unknown event": ["1700000000|1.1|q|a|FOO"]}, "last_record_at": time.time() - 90}
        hub.store.write([], resume=("asterisk", {"offset": 10}, {**counters, "read": 12}))
        team = hub.store.create_token("Bo Lead", teams=["Canyon"])
        public = httpx.get(f"{hub.url}/v1/health").json()
        assert public == {"status": "ok", "protocol": 1}
        as_team = httpx.get(f"{hub.url}/v1/health", headers={"Authorization": f"Bearer {team}"}).json()
        assert "sources" not in as_team
        refused = httpx.get(f"{hub.url}/v1/health", headers={"Authorization": "Bearer fv_not-a-token"})
        assert refused.status_code == 401
        admin = httpx.get(f"{hub.url}/v1/health", headers={"Authorization": f"Bearer {hub.token}"}).json()
        (source,) = admin["sources"]
        assert source["name"] == "asterisk" and source["running"] is True
        assert source["read"] == 12 and source["written"] == 0
        assert 89 <= source["lag_s"] <= 120
        assert source["unmapped"] == {"unknown event": {"count": 1, "examples": ["1700000000|1.1|q|a|FOO"]}}
        assert source["failing"] is False and "problem" not in source
        hub.store.source_problem("asterisk", "OSError: \x1b[2Jno such file", time.time())
        admin = httpx.get(f"{hub.url}/v1/health", headers={"Authorization": f"Bearer {hub.token}"}).json()
        (source,) = admin["sources"]
        assert source["failing"] is True and source["running"] is False
        assert source["problem"] == "OSError: [2Jno such file"  # cleaned of terminal control
    finally:
        hub.stop()
