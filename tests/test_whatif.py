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
    s = Scenario(
        agents=14, aht_s=180, volume=50, patience_s=None, threshold_s=20, target=0.8, cost_per_agent_hour=None
    )  # 100 per 30 minutes is 50 per 15
    o = evaluate(s)
    assert o.a is None
    assert o.c.p_wait == pytest.approx(0.17413, abs=5e-5)
    assert o.c.service_level == pytest.approx(0.88835, abs=5e-5)
    assert o.c.occupancy == pytest.approx(0.714, abs=5e-4)
    assert o.required == o.required_c == 14  # the fewest giving 80% in 20 s (13 give 76%)


def test_erlang_a_reference_case_through_the_what_if():
    # Same traffic with a 5-minute mean patience (the foundation's published Erlang A case).
    s = Scenario(agents=14, aht_s=180, volume=50, patience_s=300, threshold_s=20, target=0.8, cost_per_agent_hour=None)
    o = evaluate(s)
    assert o.a is not None
    assert o.a.p_wait == pytest.approx(0.14526, abs=5e-5)
    assert o.a.p_abandon == pytest.approx(0.013984, abs=5e-6)
    assert o.a.service_level == pytest.approx(0.916792, abs=5e-6)
    assert o.required == o.required_a == 13  # abandons take load off the queue


def test_cost_per_hour_and_per_contact():
    s = Scenario(agents=10, aht_s=240, volume=30, patience_s=120, threshold_s=20, target=0.8, cost_per_agent_hour=32.0)
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
    base = Scenario(
        agents=20, aht_s=300, volume=50, patience_s=180, threshold_s=20, target=0.8, cost_per_agent_hour=30.0
    )
    now, longer = evaluate(base), evaluate(base.with_(aht_s=330))
    assert longer.required > now.required
    assert longer.a.service_level < now.a.service_level
    assert longer.a.occupancy > now.a.occupancy
    assert longer.cost_per_contact_a > now.cost_per_contact_a


def test_bad_inputs_are_refused():
    s = Scenario(agents=-1, aht_s=300, volume=50, patience_s=None, threshold_s=20, target=0.8, cost_per_agent_hour=None)
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


# -- issue 12: one rule for both screens, and the model against the floor -----------------
from floorview.domain.metrics import (  # noqa: E402
    Counts,
    QueueSettings,
    agents_needed,
    erlang_patience,
    model_inputs,
)
from floorview.domain.whatif import AGREE, MODEL_HIGHER, MODEL_LOWER, TOO_FEW, compare  # noqa: E402

S = QueueSettings(sl_threshold_s=20, sl_target=0.8, short_abandon_s=5, aht_target_s=400)


def test_the_model_choice_is_one_rule():
    assert erlang_patience(None, 300) is None  # no abandons seen: Erlang C
    assert erlang_patience(float("inf"), 300) is None
    assert erlang_patience(0, 300) is None
    assert erlang_patience(120, 300) == 120
    assert erlang_patience(50 * 300, 300) == 50 * 300  # at the limit: still Erlang A
    assert erlang_patience(50 * 300 + 1, 300) is None  # past it: abandons too rare to matter


def test_inputs_fall_back_from_the_period_to_today_to_the_target():
    # The period: 30 offered in 30 min, nothing handled, no abandons.
    period = Counts(offered=30, answered=10, answered_in_sl=10, answer_wait_s=50)
    # Today: 200 handled in 60,000 s (AHT 300 s); 10 abandons after 400 s of waiting,
    # answered contacts waited 3,600 s in all: patience (3,600 + 400) / 10 = 400 s.
    today = Counts(
        offered=300,
        answered=200,
        answered_in_sl=150,
        answer_wait_s=3600,
        abandoned=10,
        abandon_wait_s=400,
        handled=200,
        handle_s=60_000,
    )
    m = model_inputs(period, 1800, S, today)
    assert m.arrival_rate == pytest.approx(30 / 1800)
    assert (m.aht_s, m.patience_s, m.model) == (pytest.approx(300), pytest.approx(400), "Erlang A")
    assert "today" in m.aht_from and "today" in m.patience_from
    m = model_inputs(period, 1800, S, Counts())  # nothing today either: the AHT target, Erlang C
    assert (m.aht_s, m.patience_s, m.model) == (400, None, "Erlang C")
    m = model_inputs(period, 1800, QueueSettings(), Counts())
    assert (m.aht_s, m.model) == (None, "no handle time yet")
    assert model_inputs(Counts(), 1800, S, today).model == "no traffic"


def test_the_what_if_and_the_queues_screen_need_the_same_agents():
    """Scenario built from the inputs the rule chooses: the what-if's agents
    required is the Queues screen's agents needed, and both match a count up
    from one agent by hand."""
    from floorview.domain.erlang import erlang_a_service_level, erlang_c

    cases = [
        (
            Counts(
                offered=100,
                answered=90,
                answered_in_sl=70,
                answer_wait_s=900,
                abandoned=8,
                abandon_wait_s=480,
                handled=90,
                handle_s=90 * 240,
            ),
            None,
        ),  # Erlang A, the window's patience
        (
            Counts(offered=40, answered=40, answered_in_sl=40, handled=40, handle_s=40 * 180),
            Counts(
                offered=400,
                answered=380,
                answer_wait_s=7600,
                abandoned=20,
                abandon_wait_s=2400,
                handled=380,
                handle_s=380 * 200,
            ),
        ),  # no abandons in the window: today's patience
        (
            Counts(
                offered=12,
                answered=12,
                answered_in_sl=6,
                answer_wait_s=4000,
                abandoned=0,
                short_abandoned=1,
                abandon_wait_s=2,
                handled=12,
                handle_s=12 * 60,
            ),
            None,
        ),  # patience 4,002 s, past 50 AHTs: C
    ]
    for window, today in cases:
        need = agents_needed(window, 1800, S, today)
        m = model_inputs(window, 1800, S, today)
        s = Scenario(
            agents=5,
            aht_s=m.aht_s,
            volume=window.offered * 900 / 1800,
            patience_s=m.patience_seen_s,
            threshold_s=20,
            target=0.8,
            cost_per_agent_hour=None,
        )
        assert evaluate(s).required == need.needed
        assert (evaluate(s).a is not None) == (need.model == "Erlang A")
        n = 1
        while True:
            p = m.patience_s
            sl = (
                erlang_a_service_level(n, s.arrival_rate, m.aht_s, p, 20)
                if p
                else erlang_c(n, s.arrival_rate, m.aht_s, 20).service_level
            )
            if sl >= 0.8:
                break
            n += 1
        assert need.needed == n
    assert agents_needed(cases[1][0], 1800, S, cases[1][1]).model == "Erlang A"
    assert agents_needed(cases[2][0], 1800, S).model == "Erlang C"


def test_the_model_and_the_floor_disagree_by_a_written_rule():
    assert compare(0.97, 0.12, 56, 0.8) == MODEL_HIGHER  # M5: the model's 97% against the floor's 12%
    assert compare(0.40, 0.95, 56, 0.8) == MODEL_LOWER
    assert compare(0.90, 0.80, 56, 0.8) == AGREE  # 10 points, both meet the target
    assert compare(0.84, 0.78, 56, 0.8) == MODEL_HIGHER  # 6 points across the target
    assert compare(0.82, 0.78, 56, 0.8) == AGREE  # across it, but within 5 points
    assert compare(0.97, 0.12, 9, 0.8) == TOO_FEW  # too few contacts to judge by
    assert compare(0.97, None, 50, 0.8) == TOO_FEW


def test_changes_are_worked_out_from_the_figures_shown():
    """m9: "0.0% 0.1% +0.0 pts" and "99.9% 99.7% -0.1 pts" no more."""
    from floorview.tui.queues.cells import money, pair, pct_points, seconds

    assert pair(0.00044, 0.00061, pct_points) == ("0.0%", "0.1%", "+0.1 pts")
    assert pair(0.99949, 0.99651, pct_points) == ("99.9%", "99.7%", "-0.2 pts")
    assert pair(0.5, 0.50004, pct_points) == ("50.0%", "50.0%", "")
    assert pair(6.334, 6.336, money) == ("6.33", "6.34", "+0.01")
    assert pair(1234.5, 2469.0, money) == ("1,234.50", "2,469.00", "+1,234.50")
    assert pair(67.9, 12.2, seconds) == ("1:07", "12s", "-55 s")


def test_thresholds_read_in_words():
    from floorview.tui.queues.explain import span_words

    assert [span_words(s) for s in (20, 90, 120, 3600, 5400, 28800)] == [
        "20 s",
        "90 s",
        "2 min",
        "1 h",
        "1 h 30 min",
        "8 h",
    ]
