"""The large store the benchmarks share: seeded once into benchmarks/.data/."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / ".data"
LARGE = DATA / "large.db"
AT = "2026-11-20T15:00:00-05:00"


def large_store() -> Path:
    if not LARGE.exists():
        DATA.mkdir(mode=0o700, exist_ok=True)
        print(f"seeding {LARGE} (2,000 agents, 200 queues, ~2 million contacts; a few minutes)...", flush=True)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "floorview", "seed", str(LARGE), "--scale", "large", "--seed", "7", "--at", AT],
            check=True,
        )
        print(f"seeded in {time.perf_counter() - start:.0f} s", flush=True)
    return LARGE
