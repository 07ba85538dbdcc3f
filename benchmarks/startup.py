"""Start-up: process start to the first painted row of real data from sample.db.

Reference: a minimal Textual app that paints one widget, timed the same way
(from spawn until its text reaches the terminal). The two run alternately
in one invocation under a pseudo-terminal at 80x24; medians are compared.

    uv run python benchmarks/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.ptyrun import read_until, spawn, stop  # noqa: E402

TARGET = 1.5
# As a user starts it: with the byte-code cached, which the unmeasured first run writes (a
# PYTHONDONTWRITEBYTECODE in the caller's environment would have every run compile our modules
# from source, some 50 ms the reference, all in site-packages, never pays).
ENV = {"PYTHONDONTWRITEBYTECODE": ""}


def time_to(argv: list[str], needle: bytes) -> float:
    proc, master = spawn(argv, 80, 24, env=ENV)
    try:
        seconds, out = read_until(master, needle, timeout=30)
    finally:
        stop(proc, master)
    if seconds is None:
        raise SystemExit(f"{' '.join(argv)} never painted {needle!r}; it wrote:\n{out[-2000:]!r}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "sample.db"
        shutil.copyfile(ROOT / "sample.db", store)
        store.chmod(0o600)
        ours_argv = [sys.executable, "-m", "floorview", "--db", str(store)]
        ref_argv = [sys.executable, str(Path(__file__).with_name("minimal_app.py"))]
        time_to(ours_argv, b"Billing")  # warm the file cache and byte-code once, unmeasured
        time_to(ref_argv, b"reference-ready")
        ours, ref = [], []
        for _ in range(args.runs):
            ours.append(time_to(ours_argv, b"Billing"))  # the first queue row of sample.db
            ref.append(time_to(ref_argv, b"reference-ready"))
    o, r = statistics.median(ours), statistics.median(ref)
    print(
        f"floorview first data row: median {o * 1000:.0f} ms (min {min(ours) * 1000:.0f}, max {max(ours) * 1000:.0f})"
    )
    print(f"minimal Textual app:      median {r * 1000:.0f} ms (min {min(ref) * 1000:.0f}, max {max(ref) * 1000:.0f})")
    ratio = o / r
    print(f"RESULT startup_ratio {ratio:.2f} x target <= {TARGET} {'PASS' if ratio <= TARGET else 'FAIL'}")


if __name__ == "__main__":
    main()
