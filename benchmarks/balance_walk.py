"""The Balance screen's walk on the large store (200 queues, ~2 million contacts).

The walk is recomputed each minute while the screen is open. Measured: the
steady state, with the tallies of whole 6-hour blocks kept between loads
(`tui.balance_data.TallyCache`): each load, one a minute over 40 simulated
minutes, reads the open block, the window's partial first block and at most
one kept block past its time to live.

Reference, in the same run: the same walk read whole, as every load did
before the blocks were kept (a fresh cache each time).

    uv run python benchmarks/balance_walk.py [--minutes N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from large_store import large_store  # noqa: E402

from floorview.config import load_settings  # noqa: E402
from floorview.store.engine import open_reader  # noqa: E402
from floorview.store.reads import store_status  # noqa: E402
from floorview.tui.balance.data import TallyCache, load_walk  # noqa: E402

TARGET_RATIO = 0.25  # a steady-state load costs at most a quarter of a whole read


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=int, default=40)
    args = parser.parse_args()
    con = open_reader(large_store())
    settings = load_settings(None)
    now = store_status(con).last_success_at
    load_walk(con, now, 7, settings)  # warm the page cache, as a running app has it
    worst = 0.0
    for days in (7, 30):
        whole = [seconds(lambda: load_walk(con, now, days, settings)) for _ in range(3)]
        cache = TallyCache()
        first = seconds(lambda: load_walk(con, now, days, settings, cache))
        steady = [
            seconds(lambda k=k: load_walk(con, now + 60 * k, days, settings, cache)) for k in range(1, args.minutes + 1)
        ]
        m_whole, m_steady = statistics.median(whole), statistics.median(steady)
        ratio = m_steady / m_whole
        worst = max(worst, ratio)
        print(
            f"{days:2d} days: whole read median {m_whole:6.2f} s; first load with blocks {first:6.2f} s;"
            f" each minute after: median {m_steady:5.2f} s, max {max(steady):5.2f} s (ratio {ratio:.3f})"
        )
    print(
        f"RESULT balance_walk_ratio {worst:.3f} ratio target <= {TARGET_RATIO} {'PASS' if worst <= TARGET_RATIO else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
