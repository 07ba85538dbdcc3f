"""Erlang C (M/M/n) and Erlang A (M/M/n+M, Palm's model with abandonment), pure Python.

Rates are per second: `arrival_rate` contacts/s, `aht_s` mean handle time,
`patience_s` mean patience (Erlang A). Service level is the share of all
offered contacts answered within the threshold; for Erlang A abandons count
against it. At threshold 0 it is the share answered at once (1 - p_wait).

Erlang A, exactly. The stationary birth-death chain has, relative to the
state "all n agents busy, nobody waiting", weight R = sum_{j<n} (a^j/j!) / (a^n/n!)
on the states with a free agent (a = lambda/mu) and w_k = x^k / ((s+1)...(s+k))
on the state with k waiting, where x = lambda/theta and s = n*mu/theta
(theta = 1/patience). An arrival that finds k waiting is answered after k+1
exponential phases of rates n*mu + i*theta (i = k..0) unless its own patience
runs out first; so it is answered with probability s/(s+k+1), and given that,
after a sum of exponentials of rates theta*(s+1), ..., theta*(s+k+1), which is
-log(1-B)/theta for B ~ Beta(k+1, s+1). Summed over k against w_k, the beta
densities collapse into one exponential:

    answered from the queue      A  = s * int_0^inf e^psi(v) dv
    answered within t            S  = s * int_0^{t*theta} e^psi(v) dv
    abandoned                    Ab = int_0^inf e^psi(v) (1 + x(1 - e^-v)) dv
    total wait of those answered E  = s/theta * int_0^inf v e^psi(v) dv

with psi(v) = x(1 - e^-v) - (s+1)v (concave), v = theta * (time waited); Ab
is the sum of w_k (k+1)/(s+k+1), integrated by parts. Then, with Z = R + A + Ab:
p_wait = (A + Ab)/Z, p_abandon = Ab/Z, service level = (R + S)/Z, and the
mean wait of answered contacts = E/(R + A). Every term is positive (nothing
cancels), and everything is carried as logarithms (x runs to millions).

The integrals are taken about psi's peak in the variable d = v - v*, where
psi(v*) - psi(v) = q(e^-d - 1 + d) + (s+1-q)d exactly (q = min(x, s+1)),
by Gauss-Legendre on panels cut where the integrand has fallen by e^0.5,
e^2, e^4.5, ..., e^60.5: each panel then holds one "standard deviation" of
a log-concave function, whatever its shape.

Erlang C uses the same R: P(wait) = 1/(1 + (1 - a/n) R), on the offered
load as offered_load() rounds it.

Edge cases, by definition. No traffic: service level 1, all else 0. Erlang A
with no agents: nobody is answered, so p_wait = p_abandon = 1, service level
0 at every threshold (0 included), ASA inf, occupancy 0. Erlang C with
agents <= load: unstable, p_wait 1, service level 0, ASA inf, occupancy 1.
Checked against an exact reference in tests/test_erlang_exact.py; times in
benchmarks/erlang.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class ErlangResult:
    agents: int
    p_wait: float  # probability an arriving contact waits at all
    service_level: float  # answered within threshold / all offered
    # Mean wait of answered contacts (Erlang C: of all contacts, as all are answered).
    # inf when no contact is answered (Erlang A with no agents) or, for Erlang C,
    # when the queue is unstable (agents <= offered load).
    asa_s: float
    occupancy: float  # busy agents / agents (0 with no agents)
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


def _log_r(n: int, a: float) -> float:
    """log R, R = sum_{j<n} (a^j/j!) / (a^n/n!): the weight of the states with a
    free agent relative to "all busy, none waiting". -inf when n = 0.

    Summed outward from the largest term a^m/m! (m = min(n-1, floor(a))) until
    the terms no longer count: about 9 sqrt(a) terms at most.
    """
    if n <= 0:
        return -math.inf
    m = min(n - 1, int(a))
    total = t = 1.0
    j = m
    while j > 0:
        t *= j / a
        j -= 1
        total += t
        if t < 1e-17 * total:
            break
    t = 1.0
    j = m
    while j < n - 1:
        j += 1
        t *= a / j
        total += t
        if t < 1e-17 * total:
            break
    if m == n - 1:
        lead = math.log(n / a)
    else:  # log(n!/m!) - (n-m) log a
        lead = math.lgamma(n + 1) - math.lgamma(m + 1) - (n - m) * math.log(a)
    return lead + math.log(total)


def _lae(u: float, v: float) -> float:
    """log(e^u + e^v)."""
    if u < v:
        u, v = v, u
    if v == -math.inf:
        return u
    return u + math.log1p(math.exp(v - u))


def erlang_c(agents: int, arrival_rate: float, aht_s: float, threshold_s: float) -> ErlangResult:
    n, a = agents, offered_load(arrival_rate, aht_s)
    if a <= 0:
        return ErlangResult(n, 0.0, 1.0, 0.0, 0.0)
    # The load is taken as offered_load() rounds it: 10 Erlangs on 10 agents is
    # unstable, though 100/1800 contacts/s times 180 s is 5.6e-16 short of 10.
    spare = n - a  # exact where it matters (Sterbenz)
    if spare <= 0:  # unstable: the queue grows without bound
        return ErlangResult(n, 1.0, 0.0, math.inf, 1.0 if n else 0.0)
    # P(wait) = 1 / (1 + (1 - a/n) R); lz = log((1 - a/n) R)
    lz = math.log(spare / n) + _log_r(n, a)
    if lz > 0:
        e = math.exp(-lz)
        c, answered_at_once = e / (1 + e), 1 / (1 + e)
    else:
        e = math.exp(lz)
        c, answered_at_once = 1 / (1 + e), e / (1 + e)
    drain = spare / aht_s  # n*mu - lambda
    sl = answered_at_once - c * math.expm1(-drain * max(0.0, threshold_s))
    asa_all = c / drain  # over all contacts, the usual "ASA" of Erlang C
    return ErlangResult(n, c, min(1.0, sl), asa_all, min(1.0, a / n))


@lru_cache(maxsize=4)
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
        p0, p1 = 1.0, x
        for k in range(2, n + 1):
            p0, p1 = p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
        dp = n * (x * p1 - p0) / (x * x - 1)
        out.append((x, 2 / ((1 - x * x) * dp * dp)))
    return tuple(out)


_NODES = _gauss_legendre(10)
# Panel ends: where the integrand has fallen by e^(j^2/2) from its peak, j = 1..11.
_LEVELS = tuple(j * j / 2 for j in range(1, 12))


class _Window:
    """int_lo^hi e^(-h(d)) (1, 1 + x(1 - e^-v), v) dd, v = v* + d, with
    h(d) = q(e^-d - 1 + d) + c d (convex, least at d = 0, h(0) = 0).

    The results are scaled by e^h(d0), d0 the least point of h in [lo, hi],
    so that tiny integrals (a threshold far left of the peak) keep their
    relative accuracy; `log_scale` is -h(d0).
    """

    __slots__ = ("log_scale", "i0", "ia", "iv", "right_end")

    def __init__(self, q: float, c: float, vstar: float, x: float, lo: float, hi: float) -> None:
        def h(d: float) -> float:
            return q * (math.expm1(-d) + d) + c * d

        d0 = min(max(0.0, lo), hi)
        h0 = h(d0)
        cuts = [d0]
        if hi > d0:  # d0 = 0: h rises to the right
            for lev in _LEVELS:
                d = _solve_right(q, c, lev)
                if d >= hi:
                    cuts.append(hi)
                    break
                cuts.append(d)
        self.right_end = cuts[-1]
        left = []
        if lo < d0:  # h rises to the left too (c = 0 there)
            for lev in _LEVELS:
                d = -_solve_left(q, h0 + lev)
                if d <= lo:
                    left.append(lo)
                    break
                left.append(d)
        cuts = left[::-1] + cuts
        i0 = ia = iv = 0.0
        for u, w in zip(cuts, cuts[1:]):
            mid, half = (u + w) / 2, (w - u) / 2
            p0 = pa = pv = 0.0
            for node, weight in _NODES:
                d = mid + half * node
                e = weight * math.exp(h0 - (q * (math.expm1(-d) + d) + c * d))
                v = max(0.0, vstar + d)
                p0 += e
                pa += e * (1 - x * math.expm1(-v))
                pv += e * v
            i0 += half * p0
            ia += half * pa
            iv += half * pv
        self.log_scale = -h0
        self.i0, self.ia, self.iv = i0, ia, iv


def _solve_right(q: float, c: float, target: float) -> float:
    """d > 0 with q(e^-d - 1 + d) + c d = target (target > 0)."""
    # A lower bound from e^-d - 1 + d <= d^2/2; Newton then overshoots once
    # and comes down monotonically (the function is convex).
    d = 2 * target / (c + math.sqrt(c * c + 2 * q * target))
    for _ in range(100):
        f = q * (math.expm1(-d) + d) + c * d - target
        step = f / (c - q * math.expm1(-d))
        d -= step
        if abs(step) <= 1e-9 * d:
            break
    return d


def _solve_left(q: float, target: float) -> float:
    """y > 0 with q(e^y - 1 - y) = target (target > 0)."""
    tau = target / q
    # An upper bound (e^y - 1 - y >= y^2/2, and >= tau at y = log(2 tau + 2));
    # Newton comes down monotonically from it.
    y = min(math.sqrt(2 * tau), math.log(2 * tau + 2))
    for _ in range(100):
        f = math.expm1(y) - y - tau
        step = f / math.expm1(y)
        y -= step
        if abs(step) <= 1e-9 * y:
            break
    return y


class _PalmModel:
    """The M/M/n+M chain's figures, as logarithms relative to e^psi(v*) times
    the weight of "all busy, none waiting" (so that the queue's figures, which
    share that factor, never see its size: psi(v*) runs to millions)."""

    __slots__ = (
        "n",
        "a",
        "patience",
        "log_s",
        "log_r",
        "log_ans",
        "log_ab",
        "log_z",
        "_q",
        "_c",
        "_vstar",
        "_x",
        "_full",
    )

    def __init__(self, n: int, lam: float, aht_s: float, patience_s: float) -> None:
        if not math.isfinite(patience_s) or patience_s <= 0:
            raise ValueError("Erlang A needs a finite, positive mean patience")
        self.n, self.patience = n, patience_s
        self.a = lam * aht_s
        x = lam * patience_s
        s = n * patience_s / aht_s
        if x > s + 1:  # psi peaks inside: at v* = log(x/(s+1))
            r1 = (x - (s + 1)) / (s + 1)
            vstar = math.log1p(r1)
            ls = (s + 1) * (r1 - vstar)  # psi(v*)
            q, c = s + 1, 0.0
        else:  # psi falls from v = 0
            vstar, ls, q, c = 0.0, 0.0, x, (s + 1) - x
        self._q, self._c, self._vstar, self._x = q, c, vstar, x
        full = _Window(q, c, vstar, x, -vstar, math.inf)  # its log_scale is 0: d = 0 lies inside
        self._full = full
        self.log_s = math.log(s) if n > 0 else -math.inf
        self.log_r = _log_r(n, self.a) - ls  # the states with a free agent
        self.log_ans = self.log_s + math.log(full.i0)  # answered from the queue
        self.log_ab = math.log(full.ia)  # abandoned
        self.log_z = _lae(self.log_r, _lae(self.log_ans, self.log_ab))

    def p_wait(self) -> float:
        return min(1.0, math.exp(_lae(self.log_ans, self.log_ab) - self.log_z))

    def p_abandon(self) -> float:
        return min(1.0, math.exp(self.log_ab - self.log_z))

    def log_answered(self) -> float:
        return _lae(self.log_r, self.log_ans)

    def service_level(self, threshold_s: float) -> float:
        if self.n == 0:
            return 0.0  # nobody is ever answered
        top = max(0.0, threshold_s) / self.patience - self._vstar  # the threshold, as d
        if top >= self._full.right_end:  # beyond the window: as good as forever
            log_s = self.log_ans
        elif top <= -self._vstar:  # threshold 0: only those answered at once
            log_s = -math.inf
        else:
            w = _Window(self._q, self._c, self._vstar, self._x, -self._vstar, top)
            log_s = self.log_s + w.log_scale + math.log(w.i0) if w.i0 > 0 else -math.inf
        return min(1.0, math.exp(_lae(self.log_r, log_s) - self.log_z))

    def asa(self) -> float:
        if self.n == 0:
            return math.inf  # nobody is ever answered
        iv = self._full.iv
        if iv <= 0:
            return 0.0
        return self.patience * math.exp(self.log_s + math.log(iv) - self.log_answered())


def erlang_a(agents: int, arrival_rate: float, aht_s: float, patience_s: float, threshold_s: float) -> ErlangResult:
    n = agents
    if arrival_rate <= 0:
        return ErlangResult(n, 0.0, 1.0, 0.0, 0.0)
    m = _PalmModel(n, arrival_rate, aht_s, patience_s)
    # Busy agents = answered load (every answered contact holds an agent for an AHT).
    occupancy = min(1.0, m.a * math.exp(m.log_answered() - m.log_z) / n) if n else 0.0
    return ErlangResult(n, m.p_wait(), m.service_level(threshold_s), m.asa(), occupancy, m.p_abandon())


def erlang_a_service_level(
    agents: int, arrival_rate: float, aht_s: float, patience_s: float, threshold_s: float
) -> float:
    if arrival_rate <= 0:
        return 1.0
    return _PalmModel(agents, arrival_rate, aht_s, patience_s).service_level(threshold_s)


def _fewest_above(meets: Callable[[int], bool], bad: int, step: int, limit: int) -> int:
    """The fewest n > bad with meets(n), meets rising in n and false at bad;
    ValueError when even `limit` misses."""
    step = max(1, step)
    while True:
        hi = bad + step
        if hi >= limit:
            hi = limit
            if not meets(hi):
                raise ValueError("target not reachable within the agent limit")
            break
        if meets(hi):
            break
        bad, step = hi, step * 2
    while hi - bad > 1:
        mid = (bad + hi) // 2
        bad, hi = (bad, mid) if meets(mid) else (mid, hi)
    return hi


@lru_cache(maxsize=4096)
def agents_for_target(
    arrival_rate: float,
    aht_s: float,
    threshold_s: float,
    target: float,
    patience_s: float | None = None,
    limit: int = 100_000,
) -> int:
    """The fewest agents (at most `limit`, else ValueError) whose service level
    meets `target` (Erlang A when a patience is given, Erlang C otherwise).
    Service level rises with agents.

    Erlang C first, galloping up from the offered load and bisecting; Erlang A
    then gallops from there, whichever way, and bisects. Cached: the Queues
    screen asks again with the same inputs until traffic changes.
    """
    if arrival_rate <= 0:
        return 0
    if not 0 < target < 1:
        raise ValueError("a service-level target lies strictly between 0 and 1")
    a = offered_load(arrival_rate, aht_s)

    def meets_c(k: int) -> bool:
        return erlang_c(k, arrival_rate, aht_s, threshold_s).service_level >= target

    floor_a = math.floor(a)  # unstable at floor(a) and below: service level 0
    try:
        if floor_a >= limit:
            raise ValueError("target not reachable within the agent limit")
        n = _fewest_above(meets_c, floor_a, int(math.sqrt(a)) + 1, limit)
    except ValueError:
        if patience_s is None:
            raise
        n = limit
    if patience_s is None:
        return n

    def meets_a(k: int) -> bool:
        return erlang_a_service_level(k, arrival_rate, aht_s, patience_s, threshold_s) >= target

    # Erlang C's answer is the place to start: abandons usually lower the need,
    # but with patience shorter than the threshold every hang-up counts against
    # the target and the need can rise. Nobody is answered by 0 agents.
    if not meets_a(n):
        return _fewest_above(meets_a, n, 1, limit)
    good, step = n, 1
    while good - step > 0 and meets_a(good - step):
        good -= step
        step *= 2
    bad = max(0, good - step)
    while good - bad > 1:
        mid = (bad + good) // 2
        bad, good = (bad, mid) if meets_a(mid) else (mid, good)
    return good
