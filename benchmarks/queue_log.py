"""The Asterisk queue_log source (issue 13): backfill throughput against the raw bound
measured in the same run, and the follow latency of a line appended to the file.

The file: the large simulated floor (200 queues, 2,000 agents) written by
QueueLogWriter from its midnight, a minute at a time, day after day until
--lines lines (a day of it is about 300,000 lines; the default, a million, is
about three and a third days). Generated in a temporary directory, not timed.

Backfill: QueueLogSource (the writer's members as the site's `members`) run by
SourceRunner into a HubStore on an SQLite file, from nothing until it has
caught up. The bound: the same file read in as many chunks as the source made
writes (of the same size on average), each line split on '|' into (time, callid, queue, agent,
event, data1..data5), written with sqlite3 executemany into a plain table, a
transaction per chunk, with the store's pragmas (WAL, synchronous=FULL).

Following: a `floorview hub --source asterisk-queue-log:PATH` process on the
first --follow-lines lines of the file (a busy floor: every agent's state in
the mapper's), a client syncing from it with floorview.sync's Syncer (long
poll), then ENTERQUEUE lines of new calls appended one at a time at random
intervals; each timed from its write to its interaction in the client's store.

    uv run python benchmarks/queue_log.py [--lines N] [--follow-lines N] [--appends N]
        [--skip-follow] [--skip-backfill] [--keep /tmp/queue_log]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from floorview.hub.hubstore import HubStore, open_hub_engine
from floorview.hub.sources import SourceRunner
from floorview.sources.asterisk.queue_log.source import QueueLogSource
from floorview.sources.asterisk.records import interaction_id
from floorview.sources.asterisk.settings import AsteriskSettings
from floorview.sources.simulator.floor import Floor
from floorview.sources.simulator.floorplan import SITE_TZ
from floorview.sources.simulator.queue_log import QueueLogWriter
from floorview.store.engine import PRAGMAS, open_engine
from floorview.sync.syncer import Syncer
from floorview.sync.transport import HubClient

TARGET_RATIO = 0.5
TARGET_P95_MS = 1000.0
DAY = datetime(2026, 11, 19, tzinfo=ZoneInfo(SITE_TZ)).timestamp()  # the site's midnight


def generate(path: Path, n: int) -> tuple[int, dict[str, str], int]:
    """The large floor's queue_log, `n` lines; returns (lines, members, queues)."""
    floor, writer = Floor(11, DAY, "large"), QueueLogWriter()
    written = 0
    t = DAY
    with open(path, "w", encoding="utf-8") as f:
        while written < n:
            t += 60
            lines = writer.lines(floor.advance(t))[: n - written]
            f.write("".join(line + "\n" for line in lines))
            written += len(lines)
    return written, writer.members(), len(floor.plan.queues)


def backfill(path: Path, db: Path, settings: AsteriskSettings) -> tuple[float, int]:
    """(seconds from nothing until the source has caught up with the file, writes)."""
    store = HubStore(open_hub_engine(f"sqlite:///{db}"))
    writes, in_write, longest = 0, 0.0, 0.0
    write = store.write

    def counted(*args: Any, **kwargs: Any) -> int:
        nonlocal writes, in_write, longest
        writes += 1
        began = time.perf_counter()
        try:
            return write(*args, **kwargs)
        finally:
            took = time.perf_counter() - began
            in_write, longest = in_write + took, max(longest, took)

    store.write = counted  # type: ignore[method-assign]
    runner = SourceRunner(store, QueueLogSource(path, settings))
    thread = threading.Thread(target=runner.run, daemon=True)
    size = path.stat().st_size
    start = time.perf_counter()
    thread.start()
    runner.ready.wait()
    # `ready` is also set when the source stands by (its lease lost: the renewal waited more than
    # the busy timeout for a write, on a loaded machine); it takes the lease again and goes on.
    while (state := store.source_state(runner.source.name)) is None or state.resume["position"]["offset"] < size:
        assert thread.is_alive()
        time.sleep(0.02)
    elapsed = time.perf_counter() - start
    runner.stop.set()
    thread.join(60)
    if runner.status.last_error is not None:
        print(f"  (the source's run was interrupted: {runner.status.report()})")
    store.engine.dispose()
    print(f"  of which in HubStore.write: {in_write:.1f} s ({in_write / elapsed:.0%}), the longest {longest:.2f} s")
    return elapsed, writes


def raw_bound(path: Path, db: Path, chunk_bytes: int) -> tuple[float, int, int]:
    """(seconds, lines, transactions): the file split into fields and written by executemany."""
    con = sqlite3.connect(db, isolation_level=None)
    for pragma in PRAGMAS:
        con.execute(pragma)
    con.execute(
        "CREATE TABLE queue_log (time REAL, callid TEXT, queue TEXT, agent TEXT, event TEXT,"
        " data1 TEXT, data2 TEXT, data3 TEXT, data4 TEXT, data5 TEXT)"
    )
    insert = "INSERT INTO queue_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    n = commits = 0
    start = time.perf_counter()
    fd = os.open(path, os.O_RDONLY)
    offset = 0
    try:
        while True:
            data = os.pread(fd, chunk_bytes, offset)
            end = data.rfind(b"\n")
            if end < 0:
                break
            offset += end + 1
            rows = []
            for line in data[: end + 1].decode("utf-8", "replace").split("\n")[:-1]:
                f = line.split("|")
                rows.append((float(f[0]), f[1], f[2], f[3], f[4], *(f[5:10] + [""] * (10 - len(f)))))
            con.execute("BEGIN IMMEDIATE")
            con.executemany(insert, rows)
            con.execute("COMMIT")
            n += len(rows)
            commits += 1
    finally:
        os.close(fd)
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed, n, commits


def start_hub(db: Path, log: Path, token: str, tmp: Path) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOORVIEW_")}
    env.update(FLOORVIEW_HUB_BOOTSTRAP_TOKEN=token, XDG_CONFIG_HOME=str(tmp / "config"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "floorview", "hub", "--db", f"sqlite:///{db}", "--port", "0", "--print-port"]
        + ["--source", f"asterisk-queue-log:{log}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("PORT "), line
    return proc, f"http://127.0.0.1:{int(line.split()[1])}"


def following(source: Path, n_lines: int, appends: int, tmp: Path) -> list[float]:
    """Milliseconds from each appended line's write to its interaction in a synced client's store."""
    log = tmp / "follow_queue_log"
    with open(source, encoding="utf-8") as src, open(log, "w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i == n_lines:
                break
            dst.write(line)
    token = "bench-token"
    hub, url = start_hub(tmp / "follow_hub.db", log, token, tmp)
    stop = threading.Event()
    latencies: list[float] = []
    try:
        engine = open_engine(tmp / "client.db")
        with HubClient(url, token) as client:
            syncer = Syncer(engine, client)
            start = time.perf_counter()
            # The hub answers with what it has while the source backfills: wait for the file's records.
            while True:
                syncer.pull_until_caught_up()
                with engine.connect() as conn:
                    have = conn.exec_driver_sql("SELECT count(*) FROM interaction").scalar() or 0
                if have and time.perf_counter() - start > 5:
                    before = have
                    time.sleep(2)
                    syncer.pull_until_caught_up()
                    with engine.connect() as conn:
                        have = conn.exec_driver_sql("SELECT count(*) FROM interaction").scalar() or 0
                    if have == before:
                        break
                time.sleep(0.5)
            print(
                f"following: hub backfilled and client synced {n_lines:,} lines in {time.perf_counter() - start:.1f} s"
            )
            thread = threading.Thread(target=syncer.run, args=(lambda state, why: None, stop), daemon=True)
            thread.start()
            reader = sqlite3.connect(tmp / "client.db", isolation_level=None)
            rng = random.Random(13)
            queues = [f"q-{name}" for name in ("billing-1", "sales-7", "tech-support-12", "retention-25")]
            time.sleep(1.0)
            with open(log, "a", encoding="utf-8") as f:
                for i in range(appends):
                    time.sleep(rng.uniform(0.05, 1.0))
                    now = int(time.time())
                    callid, queue = f"{now}.bench{i}", rng.choice(queues)
                    iid = interaction_id(callid, queue)
                    f.write(f"{now}|{callid}|{queue}|NONE|ENTERQUEUE||+1555{i:07d}|1\n")
                    f.flush()
                    wrote = time.perf_counter()
                    deadline = wrote + 10
                    while reader.execute("SELECT 1 FROM interaction WHERE id = ?", (iid,)).fetchone() is None:
                        assert time.perf_counter() < deadline, f"{iid} not synced within 10 s"
                        time.sleep(0.002)
                    latencies.append((time.perf_counter() - wrote) * 1000)
            reader.close()
            stop.set()
            thread.join(30)
        engine.dispose()
    finally:
        stop.set()
        hub.terminate()
        hub.wait(30)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines of the generated file")
    parser.add_argument("--follow-lines", type=int, default=150_000, help="lines the followed hub starts with")
    parser.add_argument("--appends", type=int, default=60)
    parser.add_argument("--skip-follow", action="store_true")
    parser.add_argument("--skip-backfill", action="store_true")
    parser.add_argument("--keep", help="the generated file here (outside the repo), reused if it is there")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = Path(args.keep) if args.keep else tmp / "queue_log"
        t0 = time.perf_counter()
        kept = path.with_name(path.name + ".members.json")
        if args.keep and kept.exists():
            members, queues = json.loads(kept.read_text()), 200
            n = sum(1 for _ in open(path, "rb"))
        else:
            n, members, queues = generate(path, args.lines)
            if args.keep:
                kept.write_text(json.dumps(members))
        size = path.stat().st_size
        print(
            f"generated: {n:,} lines ({size / 1e6:.0f} MB) of the large floor ({queues} queues,"
            f" {len(members):,} members) in {time.perf_counter() - t0:.0f} s (not timed)"
        )
        if not args.skip_backfill:
            settings = AsteriskSettings(members=members)
            ours, writes = backfill(path, tmp / "hub.db", settings)
            chunk = -(-size // writes)  # the bound's transactions: as many, of the same size on average
            bound, bound_n, commits = raw_bound(path, tmp / "bound.db", chunk)
            assert bound_n == n
            print(
                f"backfill through the source into the hub's store: {ours:.1f} s, {n / ours:,.0f} lines/s"
                f" ({writes:,} writes)"
            )
            print(
                f"raw bound (split + executemany, {commits:,} transactions of {chunk / 1024:,.0f} KiB):"
                f" {bound:.1f} s, {n / bound:,.0f} lines/s"
            )
            ratio = bound / ours
            print(f"RESULT queue_log_backfill_lines_per_s {n / ours:.0f}")
            print(f"RESULT queue_log_bound_lines_per_s {n / bound:.0f}")
            verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
            print(f"RESULT queue_log_backfill_ratio {ratio:.2f} target >= {TARGET_RATIO} {verdict}")
        if not args.skip_follow:
            ms = following(path, min(args.follow_lines, n), args.appends, tmp)
            p50 = statistics.median(ms)
            p95 = statistics.quantiles(ms, n=20, method="inclusive")[18]
            print(f"following: {len(ms)} appended lines, p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max(ms):.0f} ms")
            verdict = "PASS" if p95 < TARGET_P95_MS else "FAIL"
            print(f"RESULT queue_log_follow_p95 {p95:.0f} ms target < {TARGET_P95_MS:.0f} {verdict}")


if __name__ == "__main__":
    main()
