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
the mapper's), the app itself syncing from it as `floorview --hub` does
(FloorviewApp with its HubSource, long poll, headless at 120x40 on the Queues
screen), then ENTERQUEUE lines of new calls appended one at a time at random
intervals to four queues; each timed from its write to its interaction in the
app's store, and to the changed waiting count in that queue's row of the
table the screen draws (the target's measure).

    uv run python benchmarks/queue_log.py [--lines N] [--follow-lines N] [--appends N]
        [--skip-follow] [--skip-backfill] [--keep /tmp/queue_log]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from floorview.store.engine import PRAGMAS

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


def following(source: Path, n_lines: int, appends: int, tmp: Path) -> tuple[list[float], list[float]]:
    """Milliseconds from each appended line's write to its interaction in a synced client's
    store, and to its caller counted on that client's screen: the app itself (FloorviewApp,
    headless, 120x40, the Queues screen) syncing from the hub as `floorview --hub` does."""
    log = tmp / "follow_queue_log"
    with open(source, encoding="utf-8") as src, open(log, "w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i == n_lines:
                break
            dst.write(line)
    token = "bench-token"
    hub, url = start_hub(tmp / "follow_hub.db", log, token, tmp)
    try:
        return asyncio.run(_on_screen(log, n_lines, appends, url, token, tmp / "client.db", hub.pid))
    finally:
        hub.terminate()
        hub.wait(30)


async def _on_screen(
    log: Path, n_lines: int, appends: int, url: str, token: str, store: Path, hub_pid: int
) -> tuple[list[float], list[float]]:
    from textual.widgets.data_table import CellDoesNotExist

    from floorview.config import Settings
    from floorview.sync.source import HubSource
    from floorview.tui.app import FloorviewApp
    from floorview.tui.widgets.live_table import LiveTable

    queues = [f"q-{name}" for name in ("billing-1", "sales-7", "tech-support-12", "retention-25")]
    app = FloorviewApp(Settings(), store, source=HubSource(store, url, token))
    to_store: list[float] = []
    to_screen: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(LiveTable)

        def waiting(qid: str) -> str | None:
            try:
                return str(table.get_cell(qid, "waiting"))
            except CellDoesNotExist:
                return None

        def interactions() -> int:
            if not store.exists():
                return 0
            with contextlib.closing(sqlite3.connect(store)) as con:
                try:
                    return con.execute("SELECT count(*) FROM interaction").fetchone()[0]
                except sqlite3.OperationalError:  # its tables not made yet
                    return 0

        start = time.perf_counter()
        # The hub answers with what it has while the source backfills: wait for the file's records
        # in the store (no more for 2 s) and the queues on the screen.
        have, still_since = -1, time.perf_counter()
        while True:
            await pilot.pause(0.5)
            now_have = interactions()
            if now_have != have:
                have, still_since = now_have, time.perf_counter()
            if have and time.perf_counter() - still_since > 2 and all(waiting(q) is not None for q in queues):
                break
            assert time.perf_counter() - start < 600, "the app never caught up"
        print(
            f"following: hub backfilled {n_lines:,} lines, the app synced and shows them,"
            f" in {time.perf_counter() - start:.1f} s"
        )
        reader = sqlite3.connect(store, isolation_level=None)
        rng = random.Random(13)
        cpu_at, began = _cpu_s(hub_pid), time.perf_counter()
        with open(log, "a", encoding="utf-8") as f:
            for i in range(appends):
                await asyncio.sleep(rng.uniform(0.05, 1.0))
                now = int(time.time())
                callid, queue = f"{now}.bench{i}", rng.choice(queues)
                iid = interaction_id(callid, queue)
                shown = waiting(queue)
                f.write(f"{now}|{callid}|{queue}|NONE|ENTERQUEUE||+1555{i:07d}|1\n")
                f.flush()
                wrote = time.perf_counter()
                stored = False
                while not stored or waiting(queue) == shown:
                    assert time.perf_counter() - wrote < 10, f"{iid} not on the screen within 10 s"
                    await asyncio.sleep(0.002)
                    if not stored and reader.execute("SELECT 1 FROM interaction WHERE id = ?", (iid,)).fetchone():
                        stored = True
                        to_store.append((time.perf_counter() - wrote) * 1000)
                to_screen.append((time.perf_counter() - wrote) * 1000)
        reader.close()
        cpu = (_cpu_s(hub_pid) - cpu_at) / (time.perf_counter() - began)
        print(f"following: the hub's CPU while lines were appended: {cpu:.0%} of a core")
        print(f"RESULT queue_log_follow_hub_cpu {cpu:.3f} cores")
    return to_store, to_screen


def _cpu_s(pid: int) -> float:
    """A process's CPU seconds so far (user and system: /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
            stored, shown = following(path, min(args.follow_lines, n), args.appends, tmp)
            for where, ms in (("in the client's store", stored), ("on the client's screen", shown)):
                p50 = statistics.median(ms)
                p95 = statistics.quantiles(ms, n=20, method="inclusive")[18]
                print(
                    f"following, {where}: {len(ms)} appended lines, p50 {p50:.0f} ms, p95 {p95:.0f} ms,"
                    f" max {max(ms):.0f} ms"
                )
            p95 = statistics.quantiles(shown, n=20, method="inclusive")[18]
            verdict = "PASS" if p95 < TARGET_P95_MS else "FAIL"
            print(f"RESULT queue_log_follow_p95 {p95:.0f} ms on screen, target < {TARGET_P95_MS:.0f} {verdict}")


if __name__ == "__main__":
    main()
