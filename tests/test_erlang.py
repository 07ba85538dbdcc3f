"""Erlang C and Erlang A against published figures, edge cases and invariants."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from floorview.domain.erlang import (
    agents_for_target,
    erlang_a,
    erlang_a_service_level,
    erlang_b,
    erlang_c,
)

RATE = 100 / 1800  # 100 contacts in 30 minutes


def test_erlang_c_reference_case():
    # 100 contacts in 30 min, AHT 180 s, 14 agents, 80% in 20 s.
    r = erlang_c(14, RATE, 180, 20)
    assert r.p_wait == pytest.approx(0.17413, abs=5e-6)
    assert r.service_level == pytest.approx(0.88835, abs=5e-6)
    assert r.asa_s == pytest.approx(7.836, abs=5e-4)
    assert r.occupancy == pytest.approx(0.714, abs=5e-4)


def test_erlang_a_reference_case():
    # The same floor with a mean patience of 5 minutes.
    r = erlang_a(14, RATE, 180, 300, 20)
    assert r.p_wait == pytest.approx(0.14526, abs=5e-6)
    assert r.p_abandon == pytest.approx(0.013984, abs=5e-7)
    assert r.service_level == pytest.approx(0.916792, abs=5e-7)


def test_erlang_b_textbook_value():
    # Erlang B: 10 Erlangs on 10 servers blocks 21.46% (standard table).
    assert erlang_b(10, 10.0) == pytest.approx(0.21458, abs=5e-5)


@pytest.mark.parametrize("rate, aht, n", [(360 / 1800, 240, 55), (360 / 3600, 240, 28), (2.0, 180, 380)])
def test_erlang_c_matches_the_textbook_sums(rate, aht, n):
    # P(wait) = (A^N/N! * N/(N-A)) / (sum_{k<N} A^k/k! + A^N/N! * N/(N-A)), in exact rationals.
    from fractions import Fraction

    a = Fraction(rate).limit_denominator(10**6) * aht
    top = a**n / math.factorial(n) * Fraction(n) / (n - a)
    pw = top / (sum(a**k / math.factorial(k) for k in range(n)) + top)
    r = erlang_c(n, rate, aht, 15)
    assert r.p_wait == pytest.approx(float(pw), rel=1e-9)
    assert r.service_level == pytest.approx(1 - float(pw) * math.exp(-(n - float(a)) * 15 / aht), rel=1e-9)


def test_agents_for_target_reference():
    assert agents_for_target(RATE, 180, 20, 0.8) == 14
    # Abandonment takes load off the queue: fewer agents reach the same target.
    assert agents_for_target(RATE, 180, 20, 0.8, patience_s=300) == 13


def test_erlang_a_tends_to_erlang_c_as_patience_grows():
    c = erlang_c(14, RATE, 180, 20)
    a = erlang_a(14, RATE, 180, 1e5, 20)
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-3)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-3)


def test_erlang_a_asa_matches_brute_force_integration():
    # E[wait | answered] by direct summation over the states an arrival sees.
    lam, aht, patience, n = RATE, 180.0, 300.0, 14
    mu, theta = 1 / aht, 1 / patience
    r = erlang_a(n, lam, aht, patience, 20)
    a = lam / mu
    weights = [a**j / math.factorial(j) for j in range(n)]
    base = a**n / math.factorial(n)
    waiting = []
    w = base
    for k in range(400):
        waiting.append(w)
        w *= lam / (n * mu + (k + 1) * theta)
    total = sum(weights) + sum(waiting)
    # An arrival finding k ahead waits through phases at rates n*mu + i*theta and
    # is answered unless its own patience runs out first; closed-form per phase.
    wait_sum = answered = 0.0
    for k, wk in enumerate(waiting):
        p_reach, t_mean = 1.0, 0.0
        for i in range(k, -1, -1):
            rate = n * mu + i * theta
            p_phase = rate / (rate + theta)
            t_mean += 1 / (rate + theta)
            p_reach *= p_phase
        # mean wait of those answered after these phases (memoryless phases)
        wait_sum += wk / total * p_reach * t_mean
        answered += wk / total * p_reach
    answered += sum(weights) / total
    assert r.asa_s == pytest.approx(wait_sum / answered, rel=1e-3)
    assert 1 - answered == pytest.approx(r.p_abandon, rel=1e-3)


def test_unstable_erlang_c_has_no_service():
    r = erlang_c(9, RATE, 180, 20)  # 10 Erlangs on 9 agents
    assert r.service_level == 0.0 and r.p_wait == 1.0 and math.isinf(r.asa_s)


def test_nobody_staffed():
    assert erlang_c(0, RATE, 180, 20).service_level == 0.0
    a = erlang_a(0, RATE, 180, 300, 20)
    assert a.p_wait == 1.0
    assert a.p_abandon == pytest.approx(1.0)
    assert a.service_level == pytest.approx(0.0, abs=1e-9)


def test_no_traffic():
    assert erlang_c(3, 0.0, 180, 20).service_level == 1.0
    assert erlang_a(3, 0.0, 180, 300, 20).service_level == 1.0
    assert agents_for_target(0.0, 180, 20, 0.8) == 0


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        erlang_a(5, RATE, 180, 0, 20)
    with pytest.raises(ValueError):
        agents_for_target(RATE, 180, 20, 1.0)


def test_large_floor_is_finite_and_fast_enough_to_compute():
    r = erlang_a(500, 2.5, 180, 300, 20)  # 450 Erlangs
    assert 0.99 < r.service_level <= 1.0
    assert math.isfinite(r.asa_s)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(0, 60),
    rate=st.floats(0.001, 0.3),
    aht=st.floats(30, 900),
    patience=st.floats(10, 1200),
    threshold=st.floats(0, 120),
)
def test_service_level_is_a_probability_and_rises_with_agents(n, rate, aht, patience, threshold):
    for model in (
        lambda k: erlang_c(k, rate, aht, threshold).service_level,
        lambda k: erlang_a_service_level(k, rate, aht, patience, threshold),
    ):
        now, more = model(n), model(n + 1)
        assert 0.0 <= now <= 1.0
        assert more >= now - 1e-9


@settings(max_examples=25, deadline=None)
@given(rate=st.floats(0.005, 0.5), aht=st.floats(60, 600), target=st.floats(0.5, 0.95))
def test_agents_for_target_is_the_fewest_that_meet_it(rate, aht, target):
    n = agents_for_target(rate, aht, 20, target)
    assert erlang_c(n, rate, aht, 20).service_level >= target
    assert n == 0 or erlang_c(n - 1, rate, aht, 20).service_level < target
    m = agents_for_target(rate, aht, 20, target, patience_s=180)
    assert m <= n
    assert erlang_a_service_level(m, rate, aht, 180, 20) >= target
