"""An exact reference for Erlang C and Erlang A (M/M/n+M), for the tests only.

Written for exactness, not speed, and apart from `floorview.domain.erlang`
(which integrates a closed form in floating point): this solves the
birth-death chain state by state in 40-digit decimal arithmetic with an
unbounded exponent range, so nothing overflows or underflows.

The chain: state m contacts in the system, arrivals at lambda, departures at
min(m, n)*mu + max(m - n, 0)*theta. Its stationary weights are built by the
ratio pi(m+1)/pi(m) = lambda/death(m+1) outward from the most likely state,
and cut where they fall below 1e-36 of it (the chain is log-concave, so all
further states are smaller still); the waiting states are cut relative to the
heaviest waiting state instead. What is left out weighs under about 1e-32 of
the whole, so the service level is exact to about 1e-32 absolute (relative
only above that), and the other figures to about 30 significant digits.

By PASTA an arrival sees the stationary distribution. One that finds a free
agent is answered at once. One that finds k waiting moves up through k+1
phases: with i contacts ahead, the next one ahead leaves at rate
r_i = n*mu + i*theta, while its own patience runs out at rate theta. So
  P(answered | k)             = prod_{i=0..k} r_i / (r_i + theta),
  E[wait; answered | k]       = P(answered | k) * sum_{i=0..k} 1 / (r_i + theta),
  P(answered within t | k)    = P(answered | k) * G_k(t),
where G_k is the distribution function of the time to answer given that it
is answered: a sum of independent exponentials of rates r_i + theta =
theta*(s + i + 1), s = n*mu/theta (each phase, given it ends in the contact's
favour, lasts Exp(r_i + theta)). With rates in arithmetic progression,
G_k(t) = I_p(k + 1, s + 1), the regularised incomplete beta function at
p = 1 - exp(-theta t): the Laplace transform of Beta(k+1, s+1) mapped by
-log(1 - B)/theta is prod_{i=1..k+1} theta(s+i)/(theta(s+i) + z), the
transform of that sum. (`hypoexponential_cdf` evaluates G_k by the textbook
partial fractions instead, and the tests check the two agree.) G_k is
computed once at the top of the window by the incomplete beta's continued
fraction and carried down by G_{k-1} = G_k + P(Y = k), Y negative binomial,
so every step adds positive terms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, localcontext
from fractions import Fraction
from functools import lru_cache

PREC = 40
CUT = Decimal("1e-36")  # states lighter than this, relative to the heaviest, are left out
_CTX = Context(prec=PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


@dataclass(frozen=True)
class Ref:
    p_wait: float
    p_abandon: float
    service_level: float
    asa_s: float
    occupancy: float
    mean_queue: float | None = None  # E[contacts waiting] (Erlang A)
    mean_wait_all: float | None = None  # E[time in queue], abandons included (Erlang A; None if not summed)


def D(v) -> Decimal:
    return Decimal(v)  # floats convert exactly


# --- special functions in Decimal -------------------------------------------------


@lru_cache(maxsize=1)
def _bernoulli() -> tuple[Fraction, ...]:
    """B_0 .. B_60 (Akiyama-Tanigawa)."""
    out = []
    a = [Fraction(0)] * 62
    for m in range(62):
        a[m] = Fraction(1, m + 1)
        for j in range(m, 0, -1):
            a[j - 1] = j * (a[j - 1] - a[j])
        out.append(a[0])  # B_1 = +1/2 in this convention; only even ones are used
    return tuple(out)


@lru_cache(maxsize=1)
def _pi() -> Decimal:
    with localcontext(_CTX) as ctx:
        ctx.prec += 5
        three = Decimal(3)
        lasts, t, s, n, na, d, da = 0, three, 3, 1, 0, 0, 24
        while s != lasts:
            lasts = s
            n, na = n + na, na + 8
            d, da = d + da, da + 32
            t = (t * n) / d
            s += t
        return +s


def _frac(f: Fraction) -> Decimal:
    return Decimal(f.numerator) / Decimal(f.denominator)


def lgamma(z: Decimal) -> Decimal:
    """log Gamma(z), z > 0: Stirling's series after shifting z to 40 or more."""
    with localcontext(_CTX) as ctx:
        ctx.prec = PREC + 10
        shift = Decimal(0)
        prod = Decimal(1)
        while z < 40:
            prod *= z
            z += 1
        if prod != 1:
            shift = prod.ln()
        b = _bernoulli()
        total = (z - Decimal("0.5")) * z.ln() - z + (2 * _pi()).ln() / 2
        zp = z
        z2 = z * z
        for j in range(1, 25):
            total += _frac(b[2 * j]) / (2 * j * (2 * j - 1)) / zp
            zp *= z2
        return total - shift


def digamma(z: Decimal) -> Decimal:
    """psi(z), z > 0: the asymptotic series after shifting z to 40 or more."""
    with localcontext(_CTX) as ctx:
        ctx.prec = PREC + 10
        acc = Decimal(0)
        while z < 40:
            acc -= 1 / z
            z += 1
        b = _bernoulli()
        total = z.ln() - 1 / (2 * z)
        z2 = z * z
        zp = z2
        for j in range(1, 25):
            total -= _frac(b[2 * j]) / (2 * j) / zp
            zp *= z2
        return total + acc


def one_minus_exp(z: Decimal) -> Decimal:
    """1 - exp(-z) for z >= 0, without cancellation for small z."""
    with localcontext(_CTX) as ctx:
        if z == 0:
            return Decimal(0)
        if z > Decimal("0.01"):
            ctx.prec = PREC + 5
            return 1 - (-z).exp()
        term, total, i = z, Decimal(0), 1
        while abs(term) > abs(total) * Decimal("1e-45") or total == 0:
            total += term
            i += 1
            term = -term * z / i
        return total


def _betacf(a: Decimal, b: Decimal, x: Decimal) -> Decimal:
    """The incomplete beta function's continued fraction (modified Lentz)."""
    tiny = Decimal("1e-300")
    eps = Decimal("1e-38")
    qab, qap, qam = a + b, a + 1, a - 1
    c = Decimal(1)
    d = 1 - qab * x / qap
    if abs(d) < tiny:
        d = tiny
    d = 1 / d
    h = d
    for m in range(1, 10_000_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        if abs(d) < tiny:
            d = tiny
        c = 1 + aa / c
        if abs(c) < tiny:
            c = tiny
        d = 1 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        if abs(d) < tiny:
            d = tiny
        c = 1 + aa / c
        if abs(c) < tiny:
            c = tiny
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < eps:
            return h
    raise ArithmeticError("incomplete beta continued fraction did not converge")


def betainc(a: Decimal, b: Decimal, x: Decimal, y: Decimal) -> Decimal:
    """Regularised I_x(a, b), given x and y = 1 - x separately (no cancellation)."""
    with localcontext(_CTX) as ctx:
        if x == 0:
            return Decimal(0)
        if y == 0:
            return Decimal(1)
        ctx.prec = PREC + 10
        log_front = a * x.ln() + b * y.ln() - (lgamma(a) + lgamma(b) - lgamma(a + b))
        front = log_front.exp()
        if x < (a + 1) / (a + b + 2):
            return front * _betacf(a, b, x) / a
        return 1 - front * _betacf(b, a, y) / b


def hypoexponential_cdf(rates: list[Decimal], t: Decimal) -> Decimal:
    """P(sum of Exp(rate) <= t), distinct rates, by partial fractions at high precision.

    Textbook and unstable in floating point; fine at 120 digits for a few phases.
    """
    with localcontext(_CTX) as ctx:
        ctx.prec = 120
        total = Decimal(0)
        for i, ri in enumerate(rates):
            coef = Decimal(1)
            for j, rj in enumerate(rates):
                if j != i:
                    coef *= rj / (rj - ri)
            total += coef * (-ri * t).exp()
        return +(1 - total)


# --- the chain ---------------------------------------------------------------------


def _floor(v: Decimal) -> int:
    return int(v.to_integral_value(rounding="ROUND_FLOOR"))


def _window(n: int, lam: Decimal, mu: Decimal, theta: Decimal | None):
    """Stationary weights (relative to the heaviest state) over the states that count.

    Returns (m_lo, weights). The window always reaches state n (all agents
    busy, nobody waiting), and the waiting states are cut relative to the
    heaviest waiting state, so that figures of the queue alone (the mean wait
    of answered contacts) keep their relative accuracy however rare waiting
    is. theta None is Erlang C (stable: lam < n*mu): states up to n only.
    """

    def death(m: int) -> Decimal:
        if m <= n:
            return m * mu
        return n * mu + (m - n) * theta

    if n * mu >= lam or theta is None:
        mode = min(_floor(lam / mu), n)
    else:
        mode = n + _floor((lam - n * mu) / theta)
    up, w, m = [], Decimal(1), mode
    top_waiting = Decimal(1)  # the heaviest waiting state's weight
    while theta is not None or m < n:
        m += 1
        w = w * lam / death(m)
        if m == n:
            top_waiting = w
        if m > n and w < CUT * top_waiting:
            break
        up.append(w)
        if theta is None and m == n:
            break
    down, w, m = [], Decimal(1), mode
    while m > 0:
        w = w * death(m) / lam
        m -= 1
        if w < CUT:
            break
        down.append(w)
    weights = down[::-1] + [Decimal(1)] + up
    return mode - len(down), weights


def erlang_a_ref(n: int, lam: float, aht: float, patience: float, t: float) -> Ref:
    with localcontext(_CTX):
        lam_d, mu, theta, td = D(lam), 1 / D(aht), 1 / D(patience), D(t)
        m_lo, ws = _window(n, lam_d, mu, theta)
        m_hi = m_lo + len(ws) - 1
        z = sum(ws, Decimal(0))
        free = sum(ws[: max(0, n - m_lo)], Decimal(0))
        busy = sum((min(m_lo + i, n) * w for i, w in enumerate(ws)), Decimal(0))
        waiting = ws[max(0, n - m_lo) :]
        s = n * mu / theta
        ans = ab = sl = ew = eq = ew_all = Decimal(0)
        b_wait = Decimal(
            0
        )  # E[min(offered wait, patience) | k ahead], by B_k = 1/(r_k+theta) + r_k/(r_k+theta) B_{k-1}
        if waiting:
            k_lo = max(0, m_lo - n)
            k_hi = m_hi - n
            # G_k for k = k_hi .. k_lo, downward.
            g = [Decimal(0)] * len(waiting)
            if n > 0 and td > 0:
                p = one_minus_exp(theta * td)
                q_log = -theta * td  # log(1 - p)
                g_top = betainc(D(k_hi + 1), s + 1, p, q_log.exp())
                log_pmf = lgamma(s + 1 + k_hi) - lgamma(s + 1) - lgamma(D(k_hi + 1)) + k_hi * p.ln() + (s + 1) * q_log
                pmf = log_pmf.exp()
                gk = g_top
                for k in range(k_hi, k_lo - 1, -1):
                    g[k - k_lo] = gk
                    gk += pmf  # G_{k-1} = G_k + P(Y = k)
                    pmf = pmf * k / (p * (s + k)) if k > 0 else Decimal(0)
            # P(answered | k) and sum of phase means, upward from k_lo.
            if k_lo == 0:
                p_ans, h = Decimal(1), Decimal(0)
            else:  # the product of the first k_lo phases telescopes; the sum is digamma's
                p_ans = s / (s + k_lo)
                h = (digamma(s + k_lo + 1) - digamma(s + 1)) / theta if n > 0 else Decimal(0)
            for i, w in enumerate(waiting):
                k = k_lo + i
                r = n * mu + k * theta
                p_ans = p_ans * r / (r + theta)
                h += 1 / (r + theta)
                ans += w * p_ans
                ab += w * (1 - p_ans)
                sl += w * p_ans * g[i]
                ew += w * p_ans * h
                eq += w * k
                b_wait = 1 / (r + theta) + r / (r + theta) * b_wait
                ew_all += w * b_wait
        answered = free + ans
        p_wait = (z - free) / z
        return Ref(
            p_wait=float(p_wait),
            p_abandon=float(ab / z),
            service_level=float((free + sl) / z),
            asa_s=float(ew / answered) if answered > 0 else math.inf,
            occupancy=float(busy / z / n) if n else 0.0,
            mean_queue=float(eq / z),
            mean_wait_all=float(ew_all / z) if not waiting or m_lo <= n else None,
        )


def erlang_c_ref(n: int, lam: float, aht: float, t: float) -> Ref:
    """Erlang C on the offered load as the module defines it, lam * aht rounded to a
    double (stability hangs on it: 10 Erlangs on 10 agents is unstable, though
    100/1800 * 180 is 5.6e-16 short of 10 in exact arithmetic)."""
    with localcontext(_CTX):
        mu, td = 1 / D(aht), D(t)
        a = D(lam * aht)
        lam_d = a * mu
        if n <= a:
            return Ref(1.0, 0.0, 0.0, math.inf, 1.0 if n else 0.0)
        m_lo, ws = _window(n, lam_d, mu, None)
        # weights for m <= n only (Poisson terms); the queue's geometric tail is summed in closed form
        ws = ws[: n - m_lo + 1]
        below = sum(ws[:-1], Decimal(0))  # m < n
        top = ws[-1] / (1 - a / n)  # sum over m >= n
        c = top / (below + top)
        one_minus_c = below / (below + top)
        drain = n * mu - lam_d
        sl = one_minus_c + c * one_minus_exp(drain * td)
        return Ref(float(c), 0.0, float(sl), float(c / drain), float(a / n))


def service_level_ref(n: int, lam: float, aht: float, t: float, patience: float | None) -> float:
    if patience is None:
        return erlang_c_ref(n, lam, aht, t).service_level
    return erlang_a_ref(n, lam, aht, patience, t).service_level
