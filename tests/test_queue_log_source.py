"""The queue_log sources (sources/asterisk/queue_log/source.py, table.py) run into a real hub
store: a simulated floor's queue_log file read, followed, rotated and resumed; the realtime
table in both layouts on a real SQLite file; a failing write; a real `floorview hub --source`
process on loopback serving the records to a client; hub processes SIGKILLed mid-backfill."""

from __future__ import annotations

import functools
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from floorview.hub.hubstore import HubStore, open_hub_engine
from floorview.hub.sources import SourceRunner
from floorview.hub.tables import hub_record
from floorview.sources.asterisk.queue_log.events import parse_line
from floorview.sources.asterisk.queue_log.mapper import QueueLogMapper
from floorview.sources.asterisk.queue_log.source import QueueLogSource, QueueLogTableSource
from floorview.sources.asterisk.queue_log.table import QueueLogTable
from floorview.sources.asterisk.settings import AsteriskSettings
from floorview.sources.simulator.floor import Floor
from floorview.sources.simulator.floorplan import SITE_TZ
from floorview.sources.simulator.queue_log import QueueLogWriter

DAY = datetime(2026, 11, 19, tzinfo=ZoneInfo(SITE_TZ)).timestamp()
SETTINGS = AsteriskSettings()


@functools.cache
def _floor_log_cached(hours: float, seed: int) -> tuple[str, ...]:
    return tuple(_make_floor_log(hours, seed))


def _floor_log(hours: float, seed: int = 11) -> list[str]:
    """A simulated floor's queue_log from its midnight (quiet until 7:00), a minute at a time."""
    return list(_floor_log_cached(hours, seed))


def _make_floor_log(hours: float, seed: int) -> list[str]:
    floor, writer = Floor(seed, DAY), QueueLogWriter()
    lines: list[str] = []
    t = DAY
    while t < DAY + hours * 3600:
        t += 60
        lines += writer.lines(floor.advance(t))
    return lines


def _expected(lines: list[str], settings: AsteriskSettings = SETTINGS) -> dict[tuple[str, str], tuple[int, Any]]:
    """What one mapper fed every line makes: each record at its newest version."""
    mapper = QueueLogMapper(settings)
    best: dict[tuple[str, str], tuple[int, Any]] = {}
    for line in lines:
        for c in mapper.feed(parse_line(line)):
            key = (c["kind"], c["id"])
            if key not in best or c["version"] > best[key][0]:
                best[key] = (c["version"], c.get("data"))
    return best


def _stored(store: HubStore) -> dict[tuple[str, str], tuple[int, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(hub_record.c.kind, hub_record.c.id, hub_record.c.version, hub_record.c.data))
        return {(r.kind, r.id): (r.version, json.loads(r.data) if r.data else None) for r in rows}


def _write(path: Path, lines: list[str], mode: str = "a") -> None:
    with open(path, mode, encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


def _store(path: Path) -> HubStore:
    return HubStore(open_hub_engine(f"sqlite:///{path}"))


class _Running:
    def __init__(self, store: HubStore, source) -> None:
        self.runner = SourceRunner(store, source)
        self.thread = threading.Thread(target=self.runner.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.runner.stop.set()
        self.thread.join(30)
        assert not self.thread.is_alive()


def _until(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_file_source_backfills_follows_rotates_and_resumes_as_one_run(tmp_path):
    lines = _floor_log(12)
    a, b, c, d = len(lines) // 4, len(lines) // 2, 3 * len(lines) // 4, len(lines) - 5
    path = tmp_path / "queue_log"
    _write(path, lines[:a] + ["", "garbage without fields", "1764600000|x|q|a|"])
    store = _store(tmp_path / "hub.db")
    run = _Running(store, QueueLogSource(path, SETTINGS, name="ql", poll_s=0.02))
    assert run.runner.ready.wait(30)  # caught up with the file as it was
    assert _stored(store) == _expected(lines[:a])
    state = store.source_state("ql")
    assert state.unmapped["fewer than 5 fields"]["count"] == 1 and state.unmapped["no event name"]["count"] == 1
    assert getattr(state, "records_read", a + 2) == a + 2  # blank lines are not counted

    # Live: appended lines arrive; a rename rotation and a copy-truncate on the way.
    _write(path, lines[a:b])
    os.rename(path, tmp_path / "queue_log.1")
    _write(path, lines[b:c])
    _until(lambda: _stored(store) == _expected(lines[:c]))
    _write(path, lines[c:d][:7], mode="a")
    with open(path, "ab") as f:
        f.write(lines[c:d][7].encode()[:10])  # half a line: not read until its newline
    time.sleep(0.2)
    _until(lambda: _stored(store) == _expected(lines[:c] + lines[c:d][:7]))
    run.stop()

    # Stopped; the rest of the half line, more lines, and a copy-truncate before the restart.
    with open(path, "ab") as f:
        f.write(lines[c:d][7].encode()[10:] + b"\n")
    _write(path, lines[c:d][8:])
    with open(path, "rb") as src, open(tmp_path / "queue_log.0", "wb") as dst:
        dst.write(src.read())
    os.truncate(path, 0)
    _write(path, lines[d:])
    run = _Running(store, QueueLogSource(path, SETTINGS, name="ql", poll_s=0.02))
    _until(lambda: _stored(store) == _expected(lines))
    run.stop()
    state = store.source_state("ql")
    assert state.resume["asterisk"] is not None and state.resume["position"]["inode"] == path.stat().st_ino
    assert state.last_record_at == parse_line(lines[-1]).time


def test_a_line_appended_reaches_the_hub_within_a_second(tmp_path):
    lines = _floor_log(9)
    path = tmp_path / "queue_log"
    _write(path, lines[:-20])
    store = _store(tmp_path / "hub.db")
    source = QueueLogSource(path, SETTINGS, name="ql")
    source.checkpoint_s = 3600  # no resume point between: this test is not timed by it
    run = _Running(store, source)
    assert run.runner.ready.wait(30)
    delays = []
    for i in range(len(lines) - 20, len(lines)):
        before = store.source_state("ql").records_read
        start = time.monotonic()
        _write(path, [lines[i]])
        expected = _expected(lines[: i + 1])
        _until(lambda: _stored(store) == expected, timeout=5)  # noqa: B023 - called here, in this turn
        delays.append(time.monotonic() - start)
        # Live, the records go alone: the resume point and the lines read wait for the next one
        # (CHECKPOINT_S), so that a restart reading the lines again counts them once.
        assert store.source_state("ql").records_read == before
    run.stop()
    delays.sort()
    assert delays[int(len(delays) * 0.95) - 1] < 1.0, delays
    assert _stored(store) == _expected(lines)
    state = store.source_state("ql")
    assert state.resume["position"]["offset"] == path.stat().st_size  # the last write, at the stop, carries it
    assert state.records_read == len(lines)


def test_live_records_run_ahead_of_the_resume_point_and_a_restart_doubles_nothing(tmp_path):
    """Live writes carry no resume point (CHECKPOINT_S); a source that fails then starts again
    from the point, reads those lines again and writes nothing twice, and counts them once."""
    lines = _floor_log(9)
    a, b, c = len(lines) - 60, len(lines) - 30, len(lines)
    path = tmp_path / "queue_log"
    _write(path, lines[:a] + ["not a queue_log line"])
    store = _store(tmp_path / "hub.db")
    source = QueueLogSource(path, SETTINGS, name="ql", poll_s=0.02)
    source.checkpoint_s = 3600
    run = _Running(store, source)
    assert run.runner.ready.wait(30)
    point = store.source_state("ql").resume
    for i in range(a, b, 10):
        _write(path, lines[i : i + 10])
        expected = _expected(lines[: i + 10])
        _until(lambda: _stored(store) == expected)  # noqa: B023 - called here, in this turn
    state = store.source_state("ql")
    assert state.resume == point and state.records_read == a + 1  # the records ran ahead of the point
    with store.engine.connect() as conn:
        before = dict(((r.kind, r.id), r.seq) for r in conn.execute(select(hub_record)))

    # The next write fails (the disk full): the source stops, and starts again from the point.
    write, failed = store.write, threading.Event()

    def failing(*args: Any, **kwargs: Any) -> int:
        if not failed.is_set():
            failed.set()
            raise OSError("disk full")
        return write(*args, **kwargs)

    store.write = failing  # type: ignore[method-assign]
    _write(path, lines[b:c])
    _until(failed.is_set)
    _until(lambda: _stored(store) == _expected(lines), timeout=30)
    run.stop()
    state = store.source_state("ql")
    assert state.records_read == c + 1 and state.unmapped["fewer than 5 fields"]["count"] == 1
    assert state.resume["position"]["offset"] == path.stat().st_size
    # Nothing written twice: every record the last lines did not change keeps its place in the log
    # (a customer of a call among them may move: its reach grew, and it is stamped anew).
    whole = _expected(lines)
    changed = {k for k, v in whole.items() if _expected(lines[:b]).get(k) != v}
    changed |= {("customer", whole[k][1]["customer_id"]) for k in list(changed) if k[0] == "interaction"}
    with store.engine.connect() as conn:
        after = dict(((r.kind, r.id), r.seq) for r in conn.execute(select(hub_record)))
    assert changed and {k: s for k, s in after.items() if k not in changed} == {
        k: s for k, s in before.items() if k not in changed
    }


def test_live_the_resume_point_follows_every_checkpoint_s(tmp_path):
    lines = _floor_log(9)
    path = tmp_path / "queue_log"
    _write(path, lines[:-10])
    store = _store(tmp_path / "hub.db")
    source = QueueLogSource(path, SETTINGS, name="ql", poll_s=0.02)
    source.checkpoint_s = 0.5
    run = _Running(store, source)
    assert run.runner.ready.wait(30)
    for line in lines[-10:]:
        _write(path, [line])
        time.sleep(0.1)
    # Not stopped: the point comes with a write within checkpoint_s of the last one.
    _until(lambda: store.source_state("ql").resume["position"]["offset"] == path.stat().st_size, timeout=5)
    assert store.source_state("ql").records_read == len(lines)
    run.stop()


class _FailingSink:
    """The hub's store behind a sink whose writes fail on demand (the disk full, the lock held)."""

    def __init__(self, store: HubStore, name: str) -> None:
        import floorview.hub.sources as hs
        from floorview.hub.supervise import WriterStatus

        self.inner = hs.StoreSink(store, name, WriterStatus(name), threading.Event())
        self.fail_every = 3
        self.writes = 0

    def resume_point(self):
        return self.inner.resume_point()

    def write(self, changes, **kw):
        self.writes += 1
        if self.writes % self.fail_every == 0:
            raise RuntimeError("disk full")
        return self.inner.write(changes, **kw)

    def caught_up(self) -> None:
        self.inner.caught_up()
        self.stop.set()


def test_a_failed_write_is_read_again_from_the_stored_point(tmp_path):
    lines = _floor_log(11)
    path = tmp_path / "queue_log"
    _write(path, lines)
    store = _store(tmp_path / "hub.db")
    sink = _FailingSink(store, "ql")
    source = QueueLogSource(path, SETTINGS, name="ql", batch_bytes=8192)
    stop = sink.stop = threading.Event()  # set once caught up
    failures = 0
    while True:  # as supervise.py does: the work started again after each error
        try:
            source.run(sink, stop)
            break
        except RuntimeError:
            failures += 1
    assert failures > 3 and sink.writes > 30
    assert _stored(store) == _expected(lines)


# -- the realtime table --------------------------------------------------------------------------


def _table_rows(lines: list[str], zone: ZoneInfo | None, fractions: bool = True) -> list[tuple]:
    """queue_log lines as Asterisk's realtime rows: (time text, callid, queue, agent, event, data fields)."""
    rows = []
    second, k = None, 0
    for n, line in enumerate(lines):
        e = parse_line(line)
        k = k + 1 if e.time == second else 0
        second = e.time
        at = datetime.fromtimestamp(e.time, zone or timezone.utc)
        # Microseconds as Asterisk writes them ("%F %T.%6q"), rising within a second as the
        # file's order has it; a second's first row sometimes without them (older schemas).
        text = at.strftime("%Y-%m-%d %H:%M:%S") + (".%06d" % (k * 1000) if fractions and (k or n % 2) else "")
        rows.append((text, e.callid, e.queue, e.agent, e.event, e.data))
    return rows


def _make_table(
    db: Path, lines: list[str], layout: str, with_id: bool, zone: ZoneInfo | None, fractions: bool = True
) -> None:
    con = sqlite3.connect(db)
    data_cols = "data TEXT" if layout == "data" else ", ".join(f"data{i} TEXT" for i in range(1, 6))
    id_col = "id INTEGER PRIMARY KEY AUTOINCREMENT, " if with_id else ""
    con.execute(
        f"CREATE TABLE queue_log ({id_col}time DATETIME, callid TEXT, queuename TEXT, agent TEXT,"
        f" event TEXT, {data_cols})"
    )
    _insert(con, _table_rows(lines, zone, fractions), layout)
    con.close()


def _insert(con: sqlite3.Connection, rows: list[tuple], layout: str) -> None:
    for text, callid, queue, agent, event, data in rows:
        if layout == "data":
            values = [text, callid, queue, agent, event, "|".join(data)]
            con.execute(
                "INSERT INTO queue_log (time, callid, queuename, agent, event, data) VALUES (?,?,?,?,?,?)", values
            )
        else:
            # Asterisk's adaptive layout: five columns, the fifth keeping the rest, pipes and all.
            split = list(data[:4]) + ["|".join(data[4:])]
            split += [""] * (5 - len(split))
            con.execute(
                "INSERT INTO queue_log (time, callid, queuename, agent, event, data1, data2, data3, data4, data5)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                [text, callid, queue, agent, event, *split],
            )
    con.commit()


@pytest.mark.parametrize("layout", ["data", "data1..5"])
@pytest.mark.parametrize("with_id", [True, False])
def test_the_table_reader_reads_both_layouts_and_resumes_at_every_batch(tmp_path, layout, with_id):
    from sqlalchemy import create_engine

    lines = _floor_log(9)[:400]
    end = int(lines[-1].split("|")[0])
    lines += [f"{end + 1}|NONE|NONE|NONE|QUEUESTART|", f"{end + 2}|c|q|a|FOO|a|b|c|d|e|f|g"]
    zone = ZoneInfo("America/Chicago")
    db = tmp_path / "asterisk.db"
    _make_table(db, lines, layout, with_id, zone)
    engine = create_engine(f"sqlite:///{db}")
    reader = QueueLogTable(engine, time_zone="America/Chicago", batch_rows=7)
    events, points = [], []
    while True:
        batch = reader.read()
        assert not batch.bad
        events += batch.events
        points.append((len(events), batch.position))
        if batch.at_end:
            break
    assert reader.layout == layout
    # Whole seconds as in the file; the microseconds of the rows kept.
    assert [(round(e.time), e.callid, e.queue, e.agent, e.event) for e in events] == [
        (round(p.time), p.callid, p.queue, p.agent, p.event) for p in map(parse_line, lines)
    ]
    assert [e.data for e in events] == [parse_line(line).data for line in lines]
    assert len({round(e.time - int(e.time), 3) for e in events}) > 3
    for seen, point in points[::9]:
        rest = []
        again = QueueLogTable(engine, time_zone="America/Chicago", position=json.loads(json.dumps(point)))
        while True:
            batch = again.read()
            rest += batch.events
            if batch.at_end:
                break
        assert rest == events[seen:]
    # Rows added later, some at the very time of the last one read: read once each.
    con = sqlite3.connect(db)
    more = _floor_log(9)[400:420]
    last_text = _table_rows(lines, zone)[-1][0]
    extra = [(last_text, "same-time", "q", "a", "ENTERQUEUE", ("", "5550100", "1"))] + _table_rows(more, zone)
    _insert(con, extra, layout)
    con.close()
    added = []
    while True:
        batch = reader.read()
        added += batch.events
        if batch.at_end:
            break
    assert [e.callid for e in added] == ["same-time"] + [parse_line(m).callid for m in more]
    engine.dispose()


def test_the_table_source_feeds_the_hub_like_the_file(tmp_path):
    lines = _floor_log(10)
    db = tmp_path / "asterisk.db"
    _make_table(db, lines[:1000], "data1..5", True, ZoneInfo("UTC"), fractions=False)  # whole seconds, as the file
    store = _store(tmp_path / "hub.db")
    source = QueueLogTableSource(f"sqlite:///{db}", SETTINGS, time_zone="UTC", name="qt", poll_s=0.02)
    assert "sqlite" not in repr(source)
    run = _Running(store, source)
    assert run.runner.ready.wait(30)
    assert _stored(store) == _expected(lines[:1000])
    con = sqlite3.connect(db)
    _insert(con, _table_rows(lines[1000:], ZoneInfo("UTC"), fractions=False), "data1..5")
    con.close()
    _until(lambda: _stored(store) == _expected(lines))
    run.stop()


def _lines_before(lines: list[str], offset: int) -> int:
    """How many of `lines` (as written to the file) end at or before byte `offset`."""
    at = 0
    for n, line in enumerate(lines):
        at += len(line.encode()) + 1
        if at > offset:
            return n
    return len(lines)


# -- a real hub process ----------------------------------------------------------------------------


def _hub(db: Path, log: Path, out=subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "floorview", "hub", "--port", "0", "--print-port", "--db", f"sqlite:///{db}"]
        + ["--source", f"asterisk-queue-log:{log}"],
        stdout=out,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def test_a_hub_process_serves_a_queue_log_as_it_grows(tmp_path):
    lines = _floor_log(9)
    log, db = tmp_path / "queue_log", tmp_path / "hub.db"
    _write(log, lines[:-30])
    child = _hub(db, log, subprocess.PIPE)
    try:
        line = child.stdout.readline()
        assert line.startswith("PORT "), line
        token = _store(db).create_token("Lead One")
        seen: dict[tuple[str, str], tuple[int, Any]] = {}
        cursor = None
        with httpx.Client(
            base_url=f"http://127.0.0.1:{line.split()[1]}", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client:

            def pull() -> None:
                nonlocal cursor
                while True:
                    params = {"limit": 5000, **({"cursor": cursor} if cursor else {})}
                    page = client.get("/v1/changes", params=params).json()
                    for c in page["changes"]:
                        seen[(c["kind"], c["id"])] = (c["version"], c.get("data"))
                    cursor = page["cursor"]
                    if not page["more"]:
                        return

            pull()
            assert seen == _expected(lines[:-30])
            _write(log, lines[-30:])
            deadline = time.monotonic() + 10
            while seen != _expected(lines):
                assert time.monotonic() < deadline
                time.sleep(0.05)
                pull()
    finally:
        child.terminate()
        child.wait(10)


def _state_of(db: Path, name: str):
    store = _store(db)
    try:
        return store.source_state(name)
    except Exception:  # the tables are being made
        return None
    finally:
        store.engine.dispose()


def test_hub_processes_sigkilled_mid_backfill_lose_and_double_nothing(tmp_path):
    lines = _floor_log(24, seed=5)  # about 1 MB: four batches, each a transaction, in about 2 s
    log = tmp_path / "queue_log"
    _write(log, lines)
    # One uninterrupted run, in a hub process of its own.
    whole = tmp_path / "whole.db"
    child = _hub(whole, log, subprocess.PIPE)
    assert child.stdout.readline().startswith("PORT ")  # caught up
    child.send_signal(signal.SIGTERM)
    child.wait(30)
    reference = _stored(_store(whole))
    assert reference == _expected(lines)

    db = tmp_path / "hub.db"
    rng = random.Random(20261201)
    offsets = []
    name = f"asterisk-queue-log:{log}"
    for i in range(4):
        child = _hub(db, log)
        if i == 0:  # the first hub writes something, so that every later one starts from a resume point
            _until(lambda: db.exists() and _state_of(db, name) is not None, timeout=60)
            time.sleep(rng.uniform(0, 0.5))
        else:  # starting (about 2 s), or backfilling
            time.sleep(rng.uniform(1.5, 3.0))
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        state = _state_of(db, name)
        assert state is not None
        offsets.append(state.resume["position"]["offset"])
        assert _stored(_store(db)) == _expected(lines[: _lines_before(lines, offsets[-1])])
    assert offsets == sorted(offsets) and offsets[0] < log.stat().st_size  # killed mid-backfill
    child = _hub(db, log, subprocess.PIPE)
    assert child.stdout.readline().startswith("PORT ")
    child.send_signal(signal.SIGTERM)
    child.wait(30)
    store = _store(db)
    assert _stored(store) == reference
    assert store.source_state(name).resume["position"]["offset"] == log.stat().st_size


def test_a_hub_process_reads_the_table_named_by_the_environment(tmp_path):
    """`--source asterisk-queue-log-table`: the URL comes from FLOORVIEW_QUEUE_LOG_URL, never argv."""
    lines = _floor_log(9)
    asterisk, db = tmp_path / "asterisk.db", tmp_path / "hub.db"
    _make_table(asterisk, lines, "data", True, None, fractions=False)  # time_zone UTC below
    config = tmp_path / "conf"
    config.mkdir(mode=0o700)
    (config / "hub.toml").write_text(
        '[sources.qt]\nkind = "asterisk-queue-log-table"\ntime_zone = "UTC"\nurl_env = "ASTERISK_DB_URL"\n'
    )
    env = {**os.environ, "ASTERISK_DB_URL": f"sqlite:///{asterisk}"}
    env.pop("FLOORVIEW_HUB_CONFIG", None)
    child = subprocess.Popen(
        [sys.executable, "-m", "floorview", "hub", "--port", "0", "--print-port", "--db", f"sqlite:///{db}"]
        + ["--config", str(config / "hub.toml")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert child.stdout.readline().startswith("PORT ")  # caught up
        assert _stored(_store(db)) == _expected(lines)
        assert f"sqlite:///{asterisk}" not in " ".join(child.args)
    finally:
        child.terminate()
        child.wait(10)


@pytest.mark.parametrize("with_id", [True, False])
def test_the_table_reader_on_postgresql_compares_times_as_timestamps(pg_server, with_id):
    """On PostgreSQL the time column is a timestamp, compared as one: the same events as the file."""
    from sqlalchemy import create_engine, text

    lines = _floor_log(9)[:300]
    url = pg_server.database()
    engine = create_engine(url)
    zone = ZoneInfo("America/Chicago")
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE asterisk_ql ("
                + ("id serial PRIMARY KEY, " if with_id else "")
                + "time timestamp(6), callid varchar(80), queuename varchar(80), agent varchar(80),"
                " event varchar(40), data1 varchar(100), data2 varchar(100), data3 varchar(100),"
                " data4 varchar(100), data5 varchar(100))"
            )
        )
        for t, callid, queue, agent, event, data in _table_rows(lines, zone, fractions=False):
            split = list(data[:4]) + ["|".join(data[4:])]
            split += [""] * (5 - len(split))
            conn.execute(
                text(
                    "INSERT INTO asterisk_ql (time, callid, queuename, agent, event, data1, data2, data3, data4,"
                    " data5) VALUES (:t, :c, :q, :a, :e, :d1, :d2, :d3, :d4, :d5)"
                ),
                {"t": datetime.fromisoformat(t), "c": callid, "q": queue, "a": agent, "e": event}
                | {f"d{i + 1}": v for i, v in enumerate(split)},
            )
    reader = QueueLogTable(engine, "public.asterisk_ql", time_zone="America/Chicago", batch_rows=7)
    events = []
    while True:
        batch = reader.read()
        assert not batch.bad
        events += batch.events
        if batch.at_end:
            break
    assert reader.cursor["time"]["k"] == "datetime"
    expected = [parse_line(line) for line in lines]
    if not with_id:  # rows at one time come in the order of their columns, not as inserted

        def order(e):
            return (e.time, e.callid, e.queue, e.agent, e.event, e.data)

        expected.sort(key=order)
        events.sort(key=order)  # (the database's collation orders the text, not Python)
    assert events == expected
    engine.dispose()


def test_a_first_start_reads_compressed_rotations_in_olddir_and_resumes_mid_backfill(tmp_path):
    """A site's logrotate (`olddir old`, `compress` with `delaycompress`): the hub's first start,
    configured from a hub config file, reads queue_log.4.gz, .3.xz, .2.bz2, .1, then the file. It
    is stopped while reading each rotation; after each stop the hub holds exactly the lines before
    its resume point; while stopped, logrotate runs again (the rotation it was reading renamed,
    the plain one compressed, the file rotated) and lines are appended to a new file. At the end
    the hub holds what one reading of every line makes, nothing doubled."""
    import bz2
    import gzip
    import lzma

    from floorview.hub.source_config import load_sources

    lines = _floor_log(12)
    logdir, old = tmp_path / "asterisk", tmp_path / "asterisk" / "old"
    old.mkdir(parents=True)
    path = logdir / "queue_log"
    cut = [k * len(lines) // 6 for k in range(6)]
    parts = [lines[a:b] for a, b in zip(cut, cut[1:])]
    openers = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}
    # Where each part's lines are now: path -> (index of its first line, its lines).
    content: dict[Path, tuple[int, list[str]]] = {}
    for k, name in enumerate(["queue_log.4.gz", "queue_log.3.xz", "queue_log.2.bz2", "queue_log.1"]):
        with openers.get(Path(name).suffix, open)(old / name, "wb") as f:
            f.write("".join(line + "\n" for line in parts[k]).encode())
        content[old / name] = (cut[k], parts[k])
    _write(path, parts[4])
    content[path] = (cut[4], parts[4])
    written = lines[: cut[5]]

    def logrotate() -> None:
        """While stopped: .N to .N+1, .1 compressed to .2.gz, the file to .1, a new file."""
        for p in sorted(content, key=lambda p: p.name, reverse=True):
            if p.parent == old:
                n = int(p.name.split(".")[1])
                moved = old / p.name.replace(f".{n}", f".{n + 1}", 1)
                if n == 1:
                    moved = old / "queue_log.2.gz"
                    with open(p, "rb") as src, gzip.open(moved, "wb") as dst:
                        dst.write(src.read())
                    p.unlink()
                else:
                    os.rename(p, moved)
                content[moved] = content.pop(p)
        os.rename(path, old / "queue_log.1")
        content[old / "queue_log.1"] = content.pop(path)
        new = lines[len(written) : len(written) + 40]  # `written` is always a start of `lines`
        _write(path, new)
        content[path] = (len(written), new)
        written.extend(new)

    config = tmp_path / "hub.toml"
    config.write_text(
        f'[sources.ql]\nkind = "asterisk-queue-log"\npath = "{path}"\nrotated_dir = "old"\npoll_s = 0.02\n'
    )
    (spec,) = load_sources(config, environ={})
    assert spec.options["backfill_rotated"] is True and spec.options["rotated_dir"] == str(old)
    store = _store(tmp_path / "hub.db")

    def position() -> Any:
        try:
            state = store.source_state("ql")
        except Exception:  # the tables are being made
            return None
        return None if state is None else state.resume["position"]

    inside = 0  # stops inside a compressed rotation
    for k in range(4):  # stopped once it reads the k-th part (in the rotations) or later
        later = {p.stat().st_ino for p, (first, _) in content.items() if first >= cut[k]}
        source = spec.build()
        source.batch_bytes = 4 * 1024  # many writes, each with its resume point
        run = _Running(store, source)
        _until(lambda: position() is not None and position()["inode"] in later, timeout=60)
        run.stop()
        at = position()
        where, (first, part) = next((p, v) for p, v in content.items() if p.stat().st_ino == at["inode"])
        done = first + _lines_before(part, at["offset"])
        assert _stored(store) == _expected(written[:done]), k
        inside += where.suffix in openers and first < done < first + len(part)
        logrotate()
    assert inside >= 1
    run = _Running(store, spec.build())
    assert run.runner.ready.wait(60)
    run.stop()
    assert _stored(store) == _expected(written)
    assert position()["inode"] == path.stat().st_ino
    assert "repeated line (identical to one just read)" not in store.source_state("ql").unmapped


def test_a_hub_stopped_while_logrotate_removed_its_file_reads_what_is_left_and_says_the_gap(tmp_path):
    """The hub stopped with lines still to read in its file; logrotate (`compress`, `rotate 2`)
    ran three times before it came back, so that file was removed. Restarted, the hub reads the
    two rotations left and the file, and holds what a mapper fed the lines read before and then
    those makes; `floorview hub status` says what is missing, from when to when."""
    import gzip

    from floorview.hub.status import status_text

    lines = _floor_log(12)
    cut = [k * len(lines) // 6 for k in range(7)]
    path = tmp_path / "queue_log"
    _write(path, lines[: cut[1]])
    store = _store(tmp_path / "hub.db")
    run = _Running(store, QueueLogSource(path, SETTINGS, name="ql", poll_s=0.02))
    assert run.runner.ready.wait(30)
    run.stop()
    assert _stored(store) == _expected(lines[: cut[1]])
    _write(path, lines[cut[1] : cut[2]])  # written while the hub is stopped: never read

    def logrotate() -> None:
        for n in (2, 1):
            older = tmp_path / f"queue_log.{n}.gz"
            if older.exists():
                older.unlink() if n == 2 else os.rename(older, tmp_path / f"queue_log.{n + 1}.gz")
        os.rename(path, tmp_path / "queue_log.1")
        path.touch()
        with open(tmp_path / "queue_log.1", "rb") as plain, gzip.open(tmp_path / "queue_log.1.gz", "wb") as packed:
            packed.write(plain.read())
        (tmp_path / "queue_log.1").unlink()

    for k in (2, 3, 4):
        logrotate()
        _write(path, lines[cut[k] : cut[k + 1]])
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("queue_log")) == [
        "queue_log",
        "queue_log.1.gz",
        "queue_log.2.gz",
    ]
    run = _Running(store, QueueLogSource(path, SETTINGS, name="ql", poll_s=0.02))
    assert run.runner.ready.wait(30)
    run.stop()
    assert _stored(store) == _expected(lines[: cut[1]] + lines[cut[2] : cut[5]])  # lines[cut[1]:cut[2]] lost
    state = store.source_state("ql")
    reason = next(r for r in state.unmapped if r.startswith("queue_log rotated while stopped"))
    assert state.unmapped[reason]["count"] == 1
    text = status_text([state], time.time())
    assert f"    {reason}: 1\n" in text
    after = datetime.fromtimestamp(int(lines[cut[1] - 1].split("|")[0]), timezone.utc)
    before = datetime.fromtimestamp(int(lines[cut[2]].split("|")[0]), timezone.utc)
    assert (
        f"any lines after {after:%Y-%m-%d %H:%M:%S} UTC and before {before:%Y-%m-%d %H:%M:%S} UTC are missing;"
        " 2 rotations after it read" in text
    )
