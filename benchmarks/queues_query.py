"""The Queues screen's refresh on the large store (200 queues, ~2 million contacts).

Measures what the screen's worker does on each refresh: the reads
(`store.reads.queue_snapshots`) and the figures, Erlang staffing included
(`tui.queues.data.load`). The Erlang results are cached by
their inputs, as in the running app, where only queues whose traffic changed
recompute; the cold figure (cache emptied before every run) is printed too.

Reference, in the same run: the same per-queue day figures computed the plain
way, by aggregating the day's contacts from the interaction table.

    uv run python benchmarks/queues_query.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from large_store import large_store  # noqa: E402

from floorview.domain.erlang import agents_for_target  # noqa: E402
from floorview.domain.metrics import day_start  # noqa: E402
from floorview.store.engine import open_reader  # noqa: E402
from floorview.store.reads import queue_snapshots, store_status  # noqa: E402
from floorview.tui.queues.data import load as load_queue_rows  # noqa: E402

TARGET_MS = 50


def timed(fn, runs: int, before=None) -> list[float]:
    out = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def naive(con, now: float) -> None:
    """Day figures per queue straight from the contacts (no per-interval sums)."""
    tz = con.execute("SELECT timezone FROM queue LIMIT 1").fetchone()[0]
    con.execute(
        "SELECT queue_id, count(*), sum(answered_at IS NOT NULL),"
        " sum(answered_at - enqueued_at <= 20), sum(abandoned_at IS NOT NULL),"
        " total(ended_at - answered_at) FROM interaction WHERE enqueued_at >= ? GROUP BY queue_id",
        (day_start(now, tz),),
    ).fetchall()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    path = large_store()
    con = open_reader(path)
    now = store_status(con).last_success_at
    queues, contacts = (con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("queue", "interaction"))
    print(f"large store: {queues} queues, {contacts:,} contacts")
    load_queue_rows(con, now)  # warm the page cache, as a running app has it
    reads = timed(lambda: queue_snapshots(con, now), args.runs)
    refresh = timed(lambda: load_queue_rows(con, now), args.runs)
    cold = timed(lambda: load_queue_rows(con, now), max(5, args.runs // 5), before=agents_for_target.cache_clear)
    ref = timed(lambda: naive(con, now), max(5, args.runs // 5))
    m_reads, m_refresh, m_cold, m_ref = (statistics.median(x) for x in (reads, refresh, cold, ref))
    print(f"reads only:                     median {m_reads:7.1f} ms")
    print(f"refresh (reads + figures):      median {m_refresh:7.1f} ms")
    print(f"refresh, Erlang cache emptied:  median {m_cold:7.1f} ms")
    print(f"reference, day from contacts:   median {m_ref:7.1f} ms  (ratio refresh/reference {m_refresh / m_ref:.3f})")
    print(
        f"RESULT queues_refresh_median {m_refresh:.1f} ms target < {TARGET_MS} {'PASS' if m_refresh < TARGET_MS else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
