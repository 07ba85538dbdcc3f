"""Alerts on the large store (200 queues, 2,000 agents): the shipped rules evaluated per refresh.

What a refresh costs the alerts, against the Queues screen's own refresh
(`tui.queues.data.load`: the reads and the figures, Erlang cached as in the
running app) in the same run:

- beside Queues (the figure held to the target): the rules' figures built
  from the snapshots the refresh already read
  (`store.alerts.observations(..., queues=..., rules=...)`: the watched
  agents' read and the Queues formulas), then `domain.alerts.evaluate`, and
  the state kept in the store (`store.alerts.tick`, in a transaction rolled
  back at the end);
- alone (a headless `floorview sync`, or a screen other than Queues): the
  same with the queues read too; printed, no target.

The evaluator runs in its steady state: the alerts of this moment are up
already, so a refresh that changes nothing writes nothing, as in the app.

    uv run python benchmarks/alerts.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from large_store import large_store  # noqa: E402

from floorview.domain.alerts import DEFAULT_RULES, AlertState, Budget, evaluate  # noqa: E402
from floorview.store import alerts as store_alerts  # noqa: E402
from floorview.store.engine import open_engine, open_reader  # noqa: E402
from floorview.store.reads import site_time, store_status  # noqa: E402
from floorview.tui.queues.data import load as load_queue_rows  # noqa: E402

TARGET_RATIO = 0.3  # of the Queues refresh


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    path = large_store()
    con = open_reader(path)
    now = store_status(con).last_success_at
    site = site_time(con, "")
    agents = con.execute("SELECT count(*) FROM agent").fetchone()[0]
    budget = Budget()
    rows = load_queue_rows(con, now)  # warm the page cache and the Erlang cache, as a running app has them
    snaps = [r.snap for r in rows]
    obs = store_alerts.observations(con, now, site, queues=snaps, rules=DEFAULT_RULES)
    state, events = evaluate(DEFAULT_RULES, obs, AlertState(), now, budget)
    state, _ = evaluate(DEFAULT_RULES, obs, state, now, budget)  # steady: what is due has fired or been held
    print(
        f"large store: {len(obs.queues)} queues, {agents:,} agents ({len(obs.agents)} in a watched state);"
        " the shipped rules "
        f"({len(DEFAULT_RULES)}) fire {sum(e.kind == 'fired' for e in events)}, hold back "
        f"{sum(e.kind == 'held_back' for e in events)}, {len(state.tracks)} rule-subject pairs tracked"
    )

    def beside() -> None:  # the refresh read the queues; the alerts read the agents and evaluate
        o = store_alerts.observations(con, now, site, queues=snaps, rules=DEFAULT_RULES)
        evaluate(DEFAULT_RULES, o, state, now, budget)

    def alone() -> None:
        o = store_alerts.observations(con, now, site, rules=DEFAULT_RULES)
        evaluate(DEFAULT_RULES, o, state, now, budget)

    engine = open_engine(path)
    conn = engine.connect()
    tx = conn.begin()
    store_alerts.tick(conn, DEFAULT_RULES, obs, now, budget)  # the alerts of this moment, kept (rolled back below)

    def beside_kept() -> None:
        o = store_alerts.observations(con, now, site, queues=snaps, rules=DEFAULT_RULES)
        store_alerts.tick(conn, DEFAULT_RULES, o, now, budget)

    queues = timed(lambda: load_queue_rows(con, now), args.runs)
    evaluate_only = timed(lambda: evaluate(DEFAULT_RULES, obs, state, now, budget), args.runs)
    beside_t = timed(beside, args.runs)
    kept_t = timed(beside_kept, args.runs)
    alone_t = timed(alone, args.runs)
    tx.rollback()
    conn.close()
    engine.dispose()

    m_q, p_q = statistics.median(queues), p95(queues)
    for label, values in (
        ("Queues refresh (reference)", queues),
        ("evaluate only (figures in hand)", evaluate_only),
        ("alerts beside Queues", beside_t),
        ("alerts beside Queues, state kept", kept_t),
        ("alerts alone (queues read too)", alone_t),
    ):
        m, p = statistics.median(values), p95(values)
        print(f"{label:34} median {m:7.1f} ms ({m / m_q:4.2f}x)  p95 {p:7.1f} ms ({p / p_q:4.2f}x)")
    m_k, p_k = statistics.median(kept_t), p95(kept_t)
    ratio, ratio95 = m_k / m_q, p_k / p_q
    print(f"RESULT alerts_refresh_median {m_k:.1f} ms target <= {TARGET_RATIO * m_q:.1f} {_verdict(ratio)}")
    print(f"RESULT alerts_refresh_ratio {ratio:.2f} x target <= {TARGET_RATIO} {_verdict(ratio)}")
    print(f"RESULT alerts_refresh_p95_ratio {ratio95:.2f} x target <= {TARGET_RATIO} {_verdict(ratio95)}")


def _verdict(ratio: float) -> str:
    return "PASS" if ratio <= TARGET_RATIO else "FAIL"


if __name__ == "__main__":
    main()
