"""The staffing what-if: Erlang reference figures, the cost math, and agreement
with the Queues screen's agents needed."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from floorview.domain.erlang import agents_for_target, erlang_a_service_level
from floorview.domain.whatif import Scenario, evaluate


def test_erlang_c_reference_case_through_the_what_if():
    # The textbook case: 100 calls per 30 min, AHT 180 s, 14 agents, 20 s threshold.
    s = Scenario(agents=14, aht_s=180, volume=50, patience_s=None, threshold_s=20, target=0.8,
                 cost_per_agent_hour=None)  # 100 per 30 minutes is 50 per 15
    o = evaluate(s)
    assert o.a is None
    assert o.c.p_wait == pytest.approx(0.17413, abs=5e-5)
    assert o.c.service_level == pytest.approx(0.88835, abs=5e-5)
    assert o.c.occupancy == pytest.approx(0.714, abs=5e-4)
    assert o.required == o.required_c == 14  # the fewest giving 80% in 20 s (13 give 76%)


def test_erlang_a_reference_case_through_the_what_if():
    # Same traffic with a 5-minute mean patience (the foundation's published Erlang A case).
    s = Scenario(agents=14, aht_s=180, volume=50, patience_s=300, threshold_s=20, target=0.8,
                 cost_per_agent_hour=None)
    o = evaluate(s)
    assert o.a is not None
    assert o.a.p_wait == pytest.approx(0.14526, abs=5e-5)
    assert o.a.p_abandon == pytest.approx(0.013984, abs=5e-6)
    assert o.a.service_level == pytest.approx(0.916792, abs=5e-6)
    assert o.required == o.required_a == 13  # abandons take load off the queue


def test_cost_per_hour_and_per_contact():
    s = Scenario(agents=10, aht_s=240, volume=30, patience_s=120, threshold_s=20, target=0.8,
                 cost_per_agent_hour=32.0)
    o = evaluate(s)
    assert o.cost_per_hour == pytest.approx(320.0)
    answered_per_hour = 30 * 4 * (1 - o.a.p_abandon)
    assert o.cost_per_contact_a == pytest.approx(320.0 / answered_per_hour)
    assert o.cost_per_contact_c == pytest.approx(320.0 / 120)  # stable: every arrival answered
    overloaded = evaluate(s.with_(agents=4))  # load 8 Erlangs: C answers only what 4 agents take
    assert overloaded.c.service_level == 0 and math.isinf(overloaded.c.asa_s)
    assert overloaded.cost_per_contact_c == pytest.approx(4 * 32.0 / (4 * 3600 / 240))
    assert evaluate(s.with_(cost_per_agent_hour=None)).cost_per_hour is None


def test_thirty_seconds_more_for_quality_costs_agents_and_money():
    base = Scenario(agents=20, aht_s=300, volume=50, patience_s=180, threshold_s=20, target=0.8,
                    cost_per_agent_hour=30.0)
    now, longer = evaluate(base), evaluate(base.with_(aht_s=330))
    assert longer.required > now.required
    assert longer.a.service_level < now.a.service_level
    assert longer.a.occupancy > now.a.occupancy
    assert longer.cost_per_contact_a > now.cost_per_contact_a


def test_bad_inputs_are_refused():
    s = Scenario(agents=-1, aht_s=300, volume=50, patience_s=None, threshold_s=20, target=0.8,
                 cost_per_agent_hour=None)
    with pytest.raises(ValueError):
        evaluate(s)


@settings(max_examples=40, deadline=None)
@given(
    rate=st.floats(0.005, 0.5),
    aht=st.floats(30, 900),
    patience=st.floats(10, 900),
    target=st.sampled_from([0.5, 0.8, 0.9]),
)
def test_the_erlang_a_search_finds_the_fewest_agents(rate, aht, patience, target):
    n = agents_for_target.__wrapped__(rate, aht, 20.0, target, patience)
    assert erlang_a_service_level(n, rate, aht, patience, 20.0) >= target
    if n > 0:
        assert erlang_a_service_level(n - 1, rate, aht, patience, 20.0) < target
