"""The staffing what-if's recomputation for a 500-agent queue.

What one key press costs: `domain.whatif.evaluate` of the changed scenario,
Erlang A and C figures, agents required under both, and the cost. Each run
changes AHT by a second so no cached search is reused, as when a supervisor
steps through AHT values.

Reference, in the same run: the Erlang C figures alone at the same size (the
textbook computation every staffing tool does), to show what Erlang A's
abandonment model adds.

    uv run python benchmarks/whatif.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import time

from floorview.domain.erlang import erlang_c
from floorview.domain.whatif import Scenario, evaluate

TARGET_MS = 50
AGENTS = 500


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    # A 500-agent voice queue near its target: 85% occupancy, AHT 5 minutes,
    # 3 minutes of patience, 80% in 20 s.
    aht = 300.0
    volume = AGENTS * 0.85 / aht * 900
    base = Scenario(AGENTS, aht, volume, 180.0, 20.0, 0.8, 32.0)
    ours, ref = [], []
    for i in range(args.runs):
        s = base.with_(aht_s=aht + i % 60 - 30 + i / 1000)  # a new AHT every press: no cache hits
        start = time.perf_counter()
        outcome = evaluate(s)
        ours.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        erlang_c(s.agents, s.arrival_rate, s.aht_s, s.threshold_s)
        ref.append((time.perf_counter() - start) * 1000)
    m, r = statistics.median(ours), statistics.median(ref)
    print(
        f"500 agents, {volume:.0f} contacts per 15 min; last: SL(A) {outcome.a.service_level:.3f}, "
        f"required {outcome.required}"
    )
    print(f"what-if recomputation:  median {m:7.2f} ms  p95 {sorted(ours)[int(len(ours) * 0.95) - 1]:7.2f} ms")
    print(f"reference, Erlang C:    median {r:7.3f} ms  (ratio {m / r:.0f}x)")
    print(f"RESULT whatif_500_agents_median {m:.1f} ms target < {TARGET_MS} {'PASS' if m < TARGET_MS else 'FAIL'}")


if __name__ == "__main__":
    main()
