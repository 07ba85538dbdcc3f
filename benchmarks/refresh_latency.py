"""Refresh latency: from the hub committing a change to the TUI showing it.

A hub on loopback (in this process, so its commits wake long polls at once),
the real app headless, synced by its real HubSource. Each sample commits one
new waiting contact to a queue and times until that queue's Wait cell shows
it. Run with the default poll (a request every second) and with long poll.

    uv run python benchmarks/refresh_latency.py [--samples N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from floorview.config import Settings  # noqa: E402
from floorview.hub.seed import simulated_changes  # noqa: E402
from floorview.sync.source import HubSource  # noqa: E402
from floorview.tui.app import FloorviewApp  # noqa: E402
from tests.hubs import start_hub  # noqa: E402

TARGETS = {"poll": 1.0, "long_poll": 0.3}


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def measure(hub, store_path: Path, long_poll: bool, samples: int) -> list[float]:
    settings = Settings(long_poll=long_poll, refresh_s=1.0)
    source = HubSource(store_path, hub.url, hub.token, long_poll=long_poll, poll_s=1.0)
    app = FloorviewApp(settings, store_path, source=source)
    out = []
    async with app.run_test(size=(120, 40)) as pilot:
        while "● live" not in str(app.screen.query_one("#status").render()):
            await pilot.pause(0.05)
        table = app.screen.query_one("#queues")
        while not table.row_count:
            await pilot.pause(0.05)
        for k in range(samples):
            before = table.get_cell("q-billing", "waiting").plain.strip()
            now = datetime.now(timezone.utc)
            await asyncio.sleep(0.37)  # land at varied points of the poll cycle
            start = time.perf_counter()
            hub.store.write(
                [
                    {
                        "kind": "interaction",
                        "id": f"i-bench-{long_poll}-{k}",
                        "version": 1,
                        "op": "upsert",
                        "data": {"queue_id": "q-billing", "channel": "voice", "enqueued_at": now.isoformat()},
                    }
                ]
            )
            while table.get_cell("q-billing", "waiting").plain.strip() == before:
                await asyncio.sleep(0.005)
            out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        hub = start_hub(tmp / "hub.db")
        try:
            for batch in simulated_changes(7, time.time()):
                hub.store.write(batch)
            for mode in ("poll", "long_poll"):
                store = tmp / f"{mode}.db"
                results[mode] = asyncio.run(measure(hub, store, mode == "long_poll", args.samples))
        finally:
            hub.stop()
    for mode, values in results.items():
        print(
            f"{mode:9}: median {statistics.median(values) * 1000:5.0f} ms, p95 {p95(values) * 1000:5.0f} ms, "
            f"max {max(values) * 1000:5.0f} ms over {len(values)} changes"
        )
    for mode, target in TARGETS.items():
        v = p95(results[mode])
        print(
            f"RESULT refresh_p95_{mode} {v * 1000:.0f} ms target < {target * 1000:.0f} {'PASS' if v < target else 'FAIL'}"
        )


if __name__ == "__main__":
    main()
