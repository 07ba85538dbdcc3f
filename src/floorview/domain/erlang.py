"""Erlang C (M/M/n) and Erlang A (M/M/n+M, Palm's model with abandonment), pure Python.

Rates are per second: `arrival_rate` contacts/s, `aht_s` mean handle time,
`patience_s` mean patience (Erlang A). Service level is the share of
contacts answered within the threshold; for Erlang A that is
P(answered within t) over all arrivals, abandons counting against it.

Erlang A follows the stationary birth-death chain directly: with
a = lambda/mu offered load, x = lambda/theta and s = n*mu/theta, the states with
k contacts waiting weigh pi_n * x^k / ((s+1)...(s+k)). An arriving contact
that finds k waiting is answered after k+1 exponential phases of rates
theta*(s+i), i = k..0 (service completions and abandons ahead of it). The
tail of that offered wait has a closed form (Mandelbaum & Zeltyn, 2005),
P(V > t | wait) = exp(x - y - theta*t*s) * M(y) / M(x) with y = x*exp(-theta*t) and
M(z) = sum_k z^k / ((s+1)...(s+k)); the answered-within-t share integrates it
against the contact's own patience by Gauss-Legendre quadrature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class ErlangResult:
    agents: int
    p_wait: float  # probability an arriving contact waits at all
    service_level: float  # answered within threshold / all offered
    asa_s: float  # mean wait of answered contacts (inf when unstable)
    occupancy: float  # busy agents / agents
    p_abandon: float = 0.0  # Erlang A only


def offered_load(arrival_rate: float, aht_s: float) -> float:
    """Traffic intensity in Erlangs."""
    return arrival_rate * aht_s


def erlang_b(n: int, a: float) -> float:
    """Blocking probability of n servers offered a Erlangs (stable recursion)."""
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(agents: int, arrival_rate: float, aht_s: float, threshold_s: float) -> ErlangResult:
    n, a = agents, offered_load(arrival_rate, aht_s)
    if a <= 0:
        return ErlangResult(n, 0.0, 1.0, 0.0, 0.0)
    if n <= a:  # unstable: the queue grows without bound
        return ErlangResult(n, 1.0, 0.0, math.inf, 1.0 if n else 0.0)
    b = erlang_b(n, a)
    c = n * b / (n - a * (1 - b))
    mu = 1 / aht_s
    sl = 1 - c * math.exp(-(n * mu - arrival_rate) * threshold_s)
    asa_all = c / (n * mu - arrival_rate)  # over all contacts, the usual "ASA" of Erlang C
    return ErlangResult(n, c, sl, asa_all, a / n)


def _log_m(z: float, s: float) -> float:
    """log of M(z) = sum_k z^k / ((s+1)...(s+k)), summed in log space."""
    log_t = 0.0
    best = 0.0
    total = 1.0  # sum of exp(log_t - best)
    k = 0
    while True:
        k += 1
        log_t += math.log(z) - math.log(s + k) if z > 0 else -math.inf
        if log_t == -math.inf:
            break
        if log_t > best:
            total = total * math.exp(best - log_t) + 1.0
            best = log_t
        else:
            total += math.exp(log_t - best)
        # Terms shrink once s + k > z; past that, stop when they no longer count.
        if s + k > z and log_t - best < -40:
            break
    return best + math.log(total)


@lru_cache(maxsize=8)
def _gauss_legendre(n: int) -> tuple[tuple[float, float], ...]:
    """Nodes and weights on [-1, 1] by Newton's method on P_n."""
    out = []
    for i in range(1, n + 1):
        x = math.cos(math.pi * (i - 0.25) / (n + 0.5))
        for _ in range(100):
            p0, p1 = 1.0, x
            for k in range(2, n + 1):
                p0, p1 = p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
            dp = n * (x * p1 - p0) / (x * x - 1)
            dx = p1 / dp
            x -= dx
            if abs(dx) < 1e-15:
                break
        out.append((x, 2 / ((1 - x * x) * dp * dp)))
    return tuple(out)


def _integrate(f, lo: float, hi: float, pieces: int = 4, order: int = 12) -> float:
    nodes = _gauss_legendre(order)
    h = (hi - lo) / pieces
    total = 0.0
    for p in range(pieces):
        mid, half = lo + (p + 0.5) * h, h / 2
        total += half * sum(w * f(mid + half * x) for x, w in nodes)
    return total


class _PalmModel:
    """The M/M/n+M chain's pieces shared by every Erlang A figure."""

    __slots__ = ("n", "lam", "mu", "theta", "a", "x", "s", "p_wait", "log_s0")

    def __init__(self, n: int, lam: float, aht_s: float, patience_s: float) -> None:
        if not math.isfinite(patience_s) or patience_s <= 0:
            raise ValueError("Erlang A needs a finite, positive mean patience")
        self.n, self.lam, self.mu, self.theta = n, lam, 1 / aht_s, 1 / patience_s
        self.a, self.x, self.s = lam * aht_s, lam * patience_s, n * self.mu * patience_s
        # Weight of the states below n relative to pi_n: sum_{j<n} (a^j/j!) / (a^n/n!).
        r = n / (self.a * erlang_b(n - 1, self.a)) if n > 0 else 0.0
        self.log_s0 = _log_m(self.x, self.s)
        self.p_wait = 1 / (1 + r * math.exp(-self.log_s0)) if r > 0 else 1.0

    def tail(self, u: float) -> float:
        """P(V > u) over all arrivals, V the offered wait."""
        y = self.x * math.exp(-self.theta * u)
        return self.p_wait * math.exp(
            self.x - y - self.theta * u * self.s + _log_m(y, self.s) - self.log_s0
        )

    def service_level(self, threshold_s: float) -> float:
        # P(answered within t) = 1 - P(abandoned before t) - P(still waiting at t)
        th = self.theta
        early = _integrate(lambda u: th * math.exp(-th * u) * self.tail(u), 0, threshold_s, 2, 10)
        sl = 1 - early - math.exp(-th * threshold_s) * self.tail(threshold_s)
        return max(0.0, min(1.0, sl))


def erlang_a(
    agents: int, arrival_rate: float, aht_s: float, patience_s: float, threshold_s: float
) -> ErlangResult:
    n = agents
    if arrival_rate <= 0:
        return ErlangResult(n, 0.0, 1.0, 0.0, 0.0)
    m = _PalmModel(n, arrival_rate, aht_s, patience_s)
    # Abandons per second are theta * E[waiting] (Little), so P(abandon) = E[waiting] / x.
    p_abandon = min(1.0, _mean_waiting(m.x, m.s) * m.p_wait / m.x)
    # Mean wait of answered contacts: E[V; V < tau] / P(answered).
    horizon = _tail_horizon(m.tail, m.p_wait, n * m.mu + m.theta)
    th = m.theta
    wait_answered = _integrate(
        lambda u: m.tail(u) * (1 - th * u) * math.exp(-th * u), 0, horizon, pieces=8
    )
    answered = 1 - p_abandon
    asa = wait_answered / answered if answered > 0 else math.inf
    occupancy = (m.a * answered) / n if n else 0.0
    return ErlangResult(
        n, m.p_wait, m.service_level(threshold_s), asa, min(1.0, occupancy), p_abandon
    )


def erlang_a_service_level(
    agents: int, arrival_rate: float, aht_s: float, patience_s: float, threshold_s: float
) -> float:
    if arrival_rate <= 0:
        return 1.0
    return _PalmModel(agents, arrival_rate, aht_s, patience_s).service_level(threshold_s)


def _mean_waiting(x: float, s: float) -> float:
    """sum_k k t_k / sum_k t_k for t_k = x^k / ((s+1)...(s+k)): mean queue given waiting."""
    log_t, best, num, den, k = 0.0, 0.0, 0.0, 1.0, 0
    while True:
        k += 1
        log_t += math.log(x) - math.log(s + k)
        if log_t > best:
            scale = math.exp(best - log_t)
            num, den, best = num * scale, den * scale, log_t
        w = math.exp(log_t - best)
        num += k * w
        den += w
        if s + k > x and log_t - best < -40:
            break
    return num / den


def _tail_horizon(tail, p_wait: float, drain_rate: float) -> float:
    """A time past which the wait tail is negligible."""
    u = max(1.0, 10 / drain_rate)
    while tail(u) > 1e-10 * max(p_wait, 1e-300) and u < 1e7:
        u *= 2
    return u


@lru_cache(maxsize=4096)
def agents_for_target(
    arrival_rate: float,
    aht_s: float,
    threshold_s: float,
    target: float,
    patience_s: float | None = None,
    limit: int = 100_000,
) -> int:
    """The fewest agents whose service level meets `target` (Erlang A when a
    patience is given, Erlang C otherwise). Service level rises with agents.

    Erlang C first, by galloping and bisection; Erlang A then gallops from
    there and bisects. Cached: the Queues screen asks again with the same
    inputs until traffic changes.
    """
    if arrival_rate <= 0:
        return 0
    if not 0 < target < 1:
        raise ValueError("a service-level target lies strictly between 0 and 1")

    def level_c(n: int) -> float:
        return erlang_c(n, arrival_rate, aht_s, threshold_s).service_level

    lo = max(0, math.floor(offered_load(arrival_rate, aht_s)))
    hi = lo + 1
    while level_c(hi) < target:
        lo, hi = hi, hi * 2
        if hi > limit:
            raise ValueError("target not reachable within the agent limit")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if level_c(mid) >= target else (mid, hi)
    n = hi
    if patience_s is None:
        return n

    def meets_a(k: int) -> bool:
        return erlang_a_service_level(k, arrival_rate, aht_s, patience_s, threshold_s) >= target

    # Erlang C's answer is the place to start: abandons usually lower the need,
    # but with patience shorter than the threshold every hang-up counts against
    # the target and the need can rise. Gallop away from it, then bisect: a
    # 500-agent queue takes about a dozen evaluations.
    if n > 0 and meets_a(n - 1):  # the usual case: abandons lower the need
        step, ok = 2, n - 1  # `ok` meets the target
        while ok - step >= 0 and meets_a(ok - step):
            ok -= step
            step *= 2
        lo, hi = max(-1, ok - step), ok  # lo fails (or is below zero), hi meets
    elif meets_a(n):
        return n
    else:
        step, bad = 1, n  # `bad` misses the target
        while not meets_a(bad + step):
            bad += step
            step *= 2
            if bad > limit:
                raise ValueError("target not reachable within the agent limit")
        lo, hi = bad, bad + step
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if meets_a(mid) else (mid, hi)
    return hi
