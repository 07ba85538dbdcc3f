"""Crash safety: sync processes SIGKILLed at random points, 200 times.

After every kill the store passes `PRAGMA integrity_check`, its cursor is
never ahead of its data, and in the end every note written locally reached
the hub exactly once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

from floorview.store.engine import open_engine
from floorview.store.notes import save_note
from floorview.store.syncstate import forget_synced

from .hubs import start_hub
from .test_sync import _note, feed_hub

KILLS = 200
WORKER = Path(__file__).with_name("crash_worker.py")


def _local_versions(con: sqlite3.Connection) -> dict[tuple[str, str], int]:
    out = {}
    for kind in ("queue", "agent", "interaction", "customer", "survey", "note"):
        for rid, v in con.execute(f"SELECT id, version FROM {kind}"):
            out[(kind, rid)] = v
    for kind, rid, v in con.execute("SELECT kind, id, version FROM tombstone"):
        out[(kind, rid)] = max(v, out.get((kind, rid), 0))
    return out


def _check(db: Path, hub) -> None:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        row = con.execute("SELECT cursor FROM sync_state WHERE id = 1").fetchone()
        if not row or not row[0]:
            return
        at = int(row[0].rsplit(".", 1)[1])
        local = _local_versions(con)
    finally:
        con.close()
    with hub.store.engine.connect() as conn:
        served = conn.exec_driver_sql("SELECT kind, id, version FROM hub_record WHERE seq <= ?", (at,)).all()
    behind = [(k, i, v) for k, i, v in served if local.get((k, i), 0) < v]
    assert not behind, f"cursor {at} is ahead of the data: {behind[:5]}"


def test_sigkill_at_random_points_never_corrupts_loses_or_doubles(tmp_path):
    hub = start_hub(tmp_path / "hub.db")
    try:
        feed_hub(hub, hours=1.5)
        db = tmp_path / "client" / "floorview.db"
        engine = open_engine(db)
        worker = subprocess.Popen(
            [sys.executable, str(WORKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        rng = random.Random(20261122)
        notes: list[str] = []
        job = json.dumps({"db": str(db), "hub": hub.url, "token": hub.token, "limit": 200}) + "\n"
        killed = 0
        for i in range(KILLS):
            with engine.begin() as conn:
                if i % 10 == 0:
                    forget_synced(conn)  # start over now and then: every point of a pull gets hit
                notes.append(str(uuid.uuid4()))
                save_note(conn, notes[-1], _note(f"a-{i % 60 + 1:04d}", f"note {i}"))
            worker.stdin.write(job)
            worker.stdin.flush()
            pid = int(worker.stdout.readline())
            time.sleep(rng.uniform(0, 0.5))
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
            status = int(worker.stdout.readline())
            assert os.WIFSIGNALED(status) or os.WEXITSTATUS(status) == 0, f"run {i} failed: {status}"
            _check(db, hub)
        worker.stdin.write(job)  # one last run, left alone
        worker.stdin.flush()
        worker.stdout.readline()
        assert int(worker.stdout.readline()) == 0
        worker.stdin.close()
        worker.wait(10)
        _check(db, hub)
        assert killed >= KILLS * 0.8, f"only {killed} runs were still going when killed"
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar() == 0
        for note_id in notes:
            current = hub.store.current("note", note_id)
            assert current is not None, f"note {note_id} was lost"
            assert current["version"] == 1, f"note {note_id} was applied {current['version']} times"
        engine.dispose()
    finally:
        hub.stop()
