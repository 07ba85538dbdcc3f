"""Light over SSH: bytes to the terminal, CPU and memory of the live demo.

Runs `floorview` (the live demo, default refresh) under a pseudo-terminal at
80x24 and 120x40 on the Queues and the Agents screen, and measures for each
the bytes written to the terminal per second, the CPU seconds used (the TUI
process; its demo hub child is shown apart) and the peak resident memory. In
the same run, htop at a 1 s refresh is the reference for what a lean live
console sends (install it with `apt-get install htop` or your platform's
package manager; without it the reference is skipped). Then the same TUI on
the large store (benchmarks/.data/large.db, seeded on first use) for memory.

    uv run python benchmarks/terminal.py [--seconds 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))
from tests.ptyrun import drain, process_tree, read_until, spawn, stop  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
TARGETS = {("queues", 120): 4096, ("agents", 120): 8192}


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def measure(argv, cols, rows, ready: bytes, keys: bytes, seconds: float, env=None) -> dict:
    proc, master = spawn(argv, cols, rows, env=env)
    try:
        waited, _ = read_until(master, ready, 90)
        if waited is None:
            raise SystemExit(f"{argv[0]} never showed {ready!r}")
        drain(master, 3)
        if keys:
            os.write(master, keys)
            drain(master, 3)
        kids = process_tree(proc.pid)[1:]
        cpu0 = _cpu(proc.pid)
        kid0 = sum(_cpu(k) for k in kids)
        peak = 0.0
        sent = 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            sent += len(drain(master, 0.5))
            peak = max(peak, _rss_mb(proc.pid))
        return {
            "bytes_per_s": sent / seconds,
            "cpu_pct": 100 * (_cpu(proc.pid) - cpu0) / seconds,
            "child_cpu_pct": 100 * (sum(_cpu(k) for k in kids) - kid0) / seconds,
            "peak_rss_mb": peak,
        }
    finally:
        stop(proc, master)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    fv = [sys.executable, "-m", "floorview"]
    results = {}
    for cols, rows in ((80, 24), (120, 40)):
        for screen, keys in (("queues", b""), ("agents", b"2")):
            r = measure(fv, cols, rows, b"live", keys, args.seconds)
            results[(screen, cols)] = r
            print(
                f"floorview {screen:6} {cols}x{rows}: {r['bytes_per_s']:7.0f} B/s, CPU {r['cpu_pct']:4.1f}% "
                f"(demo hub {r['child_cpu_pct']:4.1f}%), peak RSS {r['peak_rss_mb']:5.1f} MB",
                flush=True,
            )
    if shutil.which("htop"):
        for cols, rows in ((80, 24), (120, 40)):
            r = measure(["htop", "-d", "10"], cols, rows, b"Load", b"", args.seconds)
            print(
                f"htop -d 10        {cols}x{rows}: {r['bytes_per_s']:7.0f} B/s, CPU {r['cpu_pct']:4.1f}%, "
                f"peak RSS {r['peak_rss_mb']:5.1f} MB  (reference)",
                flush=True,
            )
    else:
        print("htop not installed: no reference (apt-get install htop)")
    from large_store import large_store

    large = measure(fv + ["--db", str(large_store())], 120, 40, b"SNAPSHOT", b"2", min(args.seconds, 15))
    print(f"floorview agents 120x40 on the large store: peak RSS {large['peak_rss_mb']:5.1f} MB")
    for (screen, cols), limit in TARGETS.items():
        v = results[(screen, cols)]["bytes_per_s"]
        print(f"RESULT {screen}_bytes_per_s_120x40 {v:.0f} B/s target <= {limit} {'PASS' if v <= limit else 'FAIL'}")
    cpu = max(r["cpu_pct"] for r in results.values())
    print(f"RESULT cpu_percent_of_one_core {cpu:.1f} % target <= 3 {'PASS' if cpu <= 3 else 'FAIL'}")
    rss = max(r["peak_rss_mb"] for r in results.values())
    print(f"RESULT peak_rss_demo {rss:.0f} MB target < 150 {'PASS' if rss < 150 else 'FAIL'}")
    big = large["peak_rss_mb"]
    print(f"RESULT peak_rss_large_store {big:.0f} MB target < 150 {'PASS' if big < 150 else 'FAIL'}")


if __name__ == "__main__":
    main()
