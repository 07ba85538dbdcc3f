"""Erlang A and C: call times and errors against the exact reference, over the whole domain.

A fixed (seeded) random sweep over agents 0 to 5,000, offered load 0.001 to
4,000 Erlangs, AHT 5 s to 2 h, patience 1 s to 2 h and threshold 0 to 3,600 s
(log-uniform, agents often near the load), plus the domain's corners, where
the worst cases live. For each input: erlang_a, erlang_a_service_level and
erlang_c against tests/erlang_reference.py (exact, 40-digit decimal, solved
state by state); for a share of them, agents_for_target (cache cleared)
under both models against the same gallop-and-bisect search run on the
reference's service level.

A call's time is the least of --repeat runs (the machine is shared and
noisy: the least is the call's own cost, not a neighbour's); the worst is
the slowest input's.

    uv run python benchmarks/erlang.py [--cases N] [--agents-cases N] [--repeat R] [--seed S]
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from erlang_reference import erlang_a_ref, erlang_c_ref, service_level_ref  # noqa: E402

from floorview.domain.erlang import (  # noqa: E402
    agents_for_target,
    erlang_a,
    erlang_a_service_level,
    erlang_c,
)

TARGET_MS = 50
PROB_ABS = 1e-9
REL = 1e-6


def log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def sweep(rng: random.Random, count: int) -> list[tuple[int, float, float, float, float]]:
    cases = []
    for _ in range(count):
        a, aht, patience = log_uniform(rng, 0.001, 4000), log_uniform(rng, 5, 7200), log_uniform(rng, 1, 7200)
        r = rng.random()
        t = (
            0.0
            if r < 0.1
            else 3600.0
            if r < 0.15
            else log_uniform(rng, 1e-3, 3600)
            if r < 0.6
            else rng.uniform(0, 3600)
        )
        if rng.random() < 0.3:
            n = rng.randint(0, 5000)
        else:
            n = max(0, min(5000, round(a + rng.uniform(-5, 8) * math.sqrt(a))))
        cases.append((n, a / aht, aht, patience, t))
    return cases


def corners() -> list[tuple[int, float, float, float, float]]:
    cases = []
    for a, aht, patience, t in itertools.product([0.001, 37.3, 4000], [5, 7200], [1, 7200], [0.0, 20.0, 3600.0]):
        for n in sorted({0, 1, 5000, int(a) + 1, int(a + 3 * math.sqrt(a)) + 1}):
            cases.append((min(n, 5000), a / aht, aht, patience, t))
    return cases


def best_ms(fn, repeat: int, before=None) -> tuple[float, object]:
    best, out = math.inf, None
    for _ in range(repeat):
        if before:
            before()
        start = time.perf_counter()
        out = fn()
        best = min(best, (time.perf_counter() - start) * 1000)
    return best, out


def prob_err(got: float, want: float) -> float:
    if not (math.isfinite(got) and 0 <= got <= 1):
        return math.inf
    return abs(got - want)


def rel_err(got: float, want: float, floor: float = 1e-300) -> float:
    if math.isnan(got) or got < 0:
        return math.inf
    if math.isinf(want):
        return 0.0 if math.isinf(got) else math.inf
    if want <= floor:
        return 0.0 if abs(got - want) <= max(floor, 1e-290) else math.inf
    return abs(got - want) / want


def fewest_on_reference(lam: float, aht: float, t: float, target: float, patience: float | None) -> int:
    """Gallop and bisect on the reference's service level (0 agents never meet a target)."""

    def meets(k: int) -> bool:
        return service_level_ref(k, lam, aht, t, patience) >= target

    bad, step = 0, max(1, int(math.sqrt(lam * aht)))
    while not meets(bad + step):
        bad, step = bad + step, step * 2
    good = bad + step
    while good - bad > 1:
        mid = (bad + good) // 2
        bad, good = (bad, mid) if meets(mid) else (mid, good)
    return good


def summary(name: str, ours: list[float], ref: list[float]) -> None:
    m, r = statistics.median(ours), statistics.median(ref)
    print(
        f"{name:24s} median {m:7.3f} ms  worst {max(ours):7.2f} ms   "
        f"reference median {r:8.2f} ms  worst {max(ref):8.1f} ms  (median ratio {r / m:.0f}x faster)"
    )


def result(figure: str, value: float, unit: str, op: str, target: float, fmt: str = ".2f") -> None:
    ok = {"<": value < target, "<=": value <= target, "==": value == target}[op]
    print(f"RESULT {figure} {value:{fmt}} {unit} target {op} {target:g} {'PASS' if ok else 'FAIL'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--agents-cases", type=int, default=80)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases = sweep(rng, args.cases) + corners()

    t_a, t_sl, t_ref = [], [], []
    worst_a = worst_sl = (0.0, None)
    err_prob = err_rel = err_c_prob = err_c_rel = 0.0
    for case in cases:
        n, lam, aht, patience, t = case
        ms_a, got = best_ms(lambda: erlang_a(n, lam, aht, patience, t), args.repeat)
        ms_sl, sl = best_ms(lambda: erlang_a_service_level(n, lam, aht, patience, t), args.repeat)
        start = time.perf_counter()
        want = erlang_a_ref(n, lam, aht, patience, t)
        t_ref.append((time.perf_counter() - start) * 1000)
        t_a.append(ms_a)
        t_sl.append(ms_sl)
        worst_a = max(worst_a, (ms_a, case), key=lambda p: p[0])
        worst_sl = max(worst_sl, (ms_sl, case), key=lambda p: p[0])
        err_prob = max(
            err_prob,
            prob_err(got.p_wait, want.p_wait),
            prob_err(got.p_abandon, want.p_abandon),
            prob_err(got.occupancy, want.occupancy),
            prob_err(got.service_level, want.service_level),
            prob_err(sl, want.service_level),
        )
        err_rel = max(
            err_rel,
            rel_err(got.service_level, want.service_level, 1e-20),
            rel_err(sl, want.service_level, 1e-20),
            rel_err(got.asa_s, want.asa_s),
        )
        c, c_want = erlang_c(n, lam, aht, t), erlang_c_ref(n, lam, aht, t)
        err_c_prob = max(err_c_prob, prob_err(c.p_wait, c_want.p_wait), prob_err(c.service_level, c_want.service_level))
        err_c_rel = max(
            err_c_rel, rel_err(c.service_level, c_want.service_level, 1e-20), rel_err(c.asa_s, c_want.asa_s)
        )

    # agents_for_target: targets from 1e-6 to 1 - 1e-9, both models, cache cleared for every call.
    t_ag, t_ag_ref, mismatches = [], [], 0
    worst_ag = (0.0, None)
    for n, lam, aht, patience, t in rng.sample(cases, min(args.agents_cases, len(cases))):
        target = rng.choice([rng.uniform(0.5, 0.95), rng.uniform(0.01, 0.99), 1 - log_uniform(rng, 1e-9, 1e-2)])
        for p in (None, patience):
            ms, m = best_ms(
                lambda: agents_for_target(lam, aht, t, target, p), args.repeat, before=agents_for_target.cache_clear
            )
            start = time.perf_counter()
            want = fewest_on_reference(lam, aht, t, target, p)
            t_ag_ref.append((time.perf_counter() - start) * 1000)
            t_ag.append(ms)
            worst_ag = max(worst_ag, (ms, (lam, aht, t, target, p)), key=lambda q: q[0])
            mismatches += m != want

    print(
        f"{len(cases)} inputs ({args.cases} random, seed {args.seed}, and the corners); "
        f"{len(t_ag)} agent searches; time = least of {args.repeat} runs"
    )
    summary("erlang_a", t_a, t_ref)
    summary("erlang_a_service_level", t_sl, t_ref)
    summary("agents_for_target", t_ag, t_ag_ref)
    print(f"slowest erlang_a input {worst_a[1]}; slowest search {worst_ag[1]}")
    print(
        f"max error vs reference: Erlang A probabilities {err_prob:.2e} abs, SL/ASA {err_rel:.2e} rel; "
        f"Erlang C {err_c_prob:.2e} abs, {err_c_rel:.2e} rel; agents_for_target {mismatches} mismatches"
    )
    result("erlang_a_median_call", statistics.median(t_a), "ms", "<", TARGET_MS, ".3f")
    result("erlang_a_worst_call", max(t_a), "ms", "<", TARGET_MS)
    result("erlang_a_service_level_worst_call", max(t_sl), "ms", "<", TARGET_MS)
    result("agents_for_target_worst_call", max(t_ag), "ms", "<", TARGET_MS)
    result("erlang_a_max_probability_error", err_prob, "abs", "<=", PROB_ABS, ".1e")
    result("erlang_a_max_sl_asa_error", err_rel, "rel", "<=", REL, ".1e")
    result("erlang_c_max_probability_error", err_c_prob, "abs", "<=", PROB_ABS, ".1e")
    result("erlang_c_max_sl_asa_error", err_c_rel, "rel", "<=", REL, ".1e")
    result("agents_for_target_mismatches", mismatches, "searches", "==", 0, "d")


if __name__ == "__main__":
    main()
