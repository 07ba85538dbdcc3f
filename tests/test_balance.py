"""The balance's math: rank validation, the talk/walk gap, target attainment."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from floorview.domain.attainment import METRICS, Sums, Targets, attainment, combine, constraint_attainment, tally
from floorview.domain.balance import (
    CONSTRAINTS,
    CoachingMix,
    PriorityError,
    check_priorities,
    move,
    reweigh,
    sentence,
    talk_walk_gap,
)
from floorview.domain.metrics import Counts, QueueSettings

RANKS = {"quality": 1, "time": 2, "cost": 3, "risk": 4}
WEIGHTS = {"quality": 5, "time": 4, "cost": 2, "risk": 1}


def test_a_valid_ranking_orders_the_constraints_and_their_shares():
    p = check_priorities(RANKS, WEIGHTS)
    assert p.order == ("quality", "time", "cost", "risk")
    assert p.shares() == {"quality": 5 / 12, "time": 4 / 12, "cost": 2 / 12, "risk": 1 / 12}
    assert p.as_config()["cost"] == {"rank": 3, "weight": 2}


@pytest.mark.parametrize(
    "ranks, weights, reason",
    [
        ({**RANKS, "time": 1}, WEIGHTS, "Quality and Time are both ranked 1: everything cannot be equal"),
        (RANKS, {**WEIGHTS, "time": 5}, "Quality and Time both weigh 5: everything cannot be equal"),
        (RANKS, {**WEIGHTS, "cost": 4, "time": 3}, "Cost (rank 3) weighs more than Time (rank 2)"),
        (RANKS, {**WEIGHTS, "quality": 6}, "Quality: weight 6 is outside 1 to 5"),
        (RANKS, {**WEIGHTS, "risk": 0}, "Risk: weight 0 is outside 1 to 5"),
        ({**RANKS, "risk": 5}, WEIGHTS, "Risk: rank 5 is outside 1 to 4"),
        ({k: v for k, v in RANKS.items() if k != "risk"}, WEIGHTS, "missing: Risk"),
        ({**RANKS, "morale": 5}, WEIGHTS, "unknown constraint 'morale'"),
        (RANKS, {**WEIGHTS, "cost": 2.5}, "Cost: the weight must be a whole number"),
        (RANKS, {**WEIGHTS, "cost": True}, "Cost: the weight must be a whole number"),
    ],
)
def test_a_ranking_that_cannot_stand_is_refused_with_its_reason(ranks, weights, reason):
    with pytest.raises(PriorityError) as err:
        check_priorities(ranks, weights)
    assert reason in str(err.value)


def test_editing_keeps_the_ranking_strict():
    p = check_priorities(RANKS, WEIGHTS)
    heavier = reweigh(p, "cost", 1)
    assert heavier.weight("cost") == 3
    with pytest.raises(PriorityError, match="both weigh 4"):
        reweigh(heavier, "cost", 1)  # would tie with Time
    with pytest.raises(PriorityError, match="outside 1 to 5"):
        reweigh(p, "quality", 1)
    up = move(p, "cost", -1)  # Cost to rank 2: the two trade places and weights
    assert up.order == ("quality", "cost", "time", "risk") and up.weight("cost") == 4 and up.weight("time") == 2
    with pytest.raises(PriorityError, match="already ranked first"):
        move(p, "quality", -1)
    with pytest.raises(PriorityError, match="already ranked last"):
        move(p, "risk", 1)


def test_the_gap_is_half_the_l1_distance_in_points():
    p = check_priorities(RANKS, WEIGHTS)  # stated 5/12, 4/12, 2/12, 1/12
    mix = CoachingMix({"quality": 1, "time": 1, "cost": 6, "risk": 0})  # coached 1/8, 1/8, 6/8, 0
    expected = 50 * (abs(5 / 12 - 1 / 8) + abs(4 / 12 - 1 / 8) + abs(2 / 12 - 6 / 8) + abs(1 / 12 - 0))
    assert talk_walk_gap(p, mix) == pytest.approx(expected)
    assert talk_walk_gap(p, CoachingMix({})) is None
    matching = CoachingMix({"quality": 5, "time": 4, "cost": 2, "risk": 1})
    assert talk_walk_gap(p, matching) == pytest.approx(0)


@given(st.dictionaries(st.sampled_from(CONSTRAINTS), st.integers(0, 1000), min_size=1))
def test_the_gap_stays_between_0_and_100(counts):
    p = check_priorities(RANKS, WEIGHTS)
    gap = talk_walk_gap(p, CoachingMix(counts))
    if sum(counts.values()) == 0:
        assert gap is None
    else:
        assert 0 <= gap <= 100


def test_the_sentence_names_what_is_ranked_first_and_what_is_coached():
    p = check_priorities(RANKS, WEIGHTS)
    cost_heavy = CoachingMix({"quality": 20, "time": 10, "cost": 68, "risk": 2})
    assert sentence(p, cost_heavy, "this week") == (
        "You rank Quality first; 68% of coaching this week was about Cost (ranked 3)."
    )
    agreeing = CoachingMix({"quality": 45, "time": 30, "cost": 20, "risk": 5})
    assert sentence(p, agreeing, "this week") == (
        "You rank Quality first, and coaching agrees: 45% of it this week was about Quality."
    )
    assert "no coaching" in sentence(p, CoachingMix({}), "this week")


def _sums(**kw) -> Sums:
    counts = kw.pop("counts", Counts())
    s = Sums(counts=counts)
    for k, v in kw.items():
        setattr(s, k, v)
    return s


def test_attainment_counts_breaches_runs_and_pools_the_window():
    t = Targets()
    rows = [  # QA score per interval: 90 (met), 80, 70 (a run of two), gap, 60
        ("q1", 100, _sums(qa_n=2, qa_sum=180)),
        ("q1", 101, _sums(qa_n=1, qa_sum=80)),
        ("q1", 102, _sums(qa_n=1, qa_sum=70)),
        ("q1", 104, _sums(qa_n=1, qa_sum=60)),
        ("q2", 101, _sums(qa_n=1, qa_sum=84)),
    ]
    r = attainment(rows, {}, t)
    qa = r["qa"]
    assert (qa.checked, qa.met, len(qa.breaches)) == (5, 1, 4)
    assert qa.longest == 2 and qa.longest_queue == "q1"
    assert qa.breached_s == 4 * 900
    assert qa.value == pytest.approx((180 + 80 + 70 + 60 + 84) / 6)
    assert qa.on_target == pytest.approx(1 / 5)
    assert r["resolution"].checked == 0 and r["resolution"].on_target is None  # nothing to count


def test_queue_targets_come_from_each_queue():
    fast = QueueSettings(sl_threshold_s=20, sl_target=0.9)
    slow = QueueSettings(sl_threshold_s=20, sl_target=0.5)
    c = Counts(offered=10, answered=10, answered_in_sl=7)  # 70% in both queues
    r = attainment(
        [("fast", 1, _sums(counts=c)), ("slow", 1, _sums(counts=c))], {"fast": fast, "slow": slow}, Targets()
    )
    assert r["sl"].target is None  # each queue its own
    assert (r["sl"].checked, r["sl"].met) == (2, 1)
    assert r["sl"].breaches[0].queue_id == "fast"


def test_time_averages_are_never_pooled_over_channels_and_counts_are():
    # Usability walk M2: a floor ASA of 21:30 over voice (28 s) and email (hours).
    voice = Counts(
        offered=100, answered=90, answered_in_sl=80, answer_wait_s=90 * 30, abandoned=10, handled=90, handle_s=90 * 300
    )
    email = Counts(offered=10, answered=10, answered_in_sl=9, answer_wait_s=10 * 7200, handled=10, handle_s=10 * 600)
    rows = [("v", 1, _sums(counts=voice)), ("e", 1, _sums(counts=email))]
    r = attainment(rows, {}, Targets(), {"v": "voice", "e": "email"})
    asa, aht, sl = r["asa"], r["aht"], r["sl"]
    assert asa.value is None and aht.value is None  # no floor-wide mean of time
    assert asa.by_channel == {"email": (pytest.approx(7200), 10), "voice": (pytest.approx(30), 90)}
    assert aht.by_channel["voice"][0] == pytest.approx(300)
    assert sl.value == pytest.approx((80 + 9) / (90 + 10 + 10))  # answered in threshold / (answered + abandoned)
    assert r["abandon"].value == pytest.approx(10 / 110)
    one = attainment([("v", 1, _sums(counts=voice))], {}, Targets(), {"v": "voice"})
    assert one["asa"].value == pytest.approx(30)  # one channel: its own mean is the floor's


def test_every_constraint_has_metrics_and_a_mean_attainment():
    assert {m.constraint for m in METRICS} == set(CONSTRAINTS)
    rows = [("q", 1, _sums(qa_n=1, qa_sum=90, outcome_n=2, resolved=1))]  # QA met, resolution 50% missed
    r = attainment(rows, {}, Targets())
    assert constraint_attainment(r, "quality") == pytest.approx(0.5)
    assert constraint_attainment(r, "cost") is None


@given(
    st.lists(
        st.tuples(st.sampled_from(["q1", "q2", "q3"]), st.integers(0, 39), st.sampled_from([0, 100])), max_size=80
    ),
    st.lists(st.integers(1, 39), max_size=6),
)
def test_tallies_of_adjoining_stretches_add_up_to_the_whole(marks, cuts):
    """Runs of breaches that cross from one stretch into the next, or through
    a stretch breached from end to end, count as one run, as read whole."""
    t = Targets()
    rows = {(q, i): _sums(qa_n=1, qa_sum=score) for q, i, score in marks}  # QA 0: breached; 100: met
    rows = [(q, i, s) for (q, i), s in rows.items()]
    edges = [0, *sorted(set(cuts)), 40]
    parts = [tally([r for r in rows if lo <= r[1] < hi], {}, t, lo, hi) for lo, hi in zip(edges, edges[1:])]
    whole, joined = attainment(rows, {}, t)["qa"], combine(parts, t)["qa"]
    assert (joined.checked, joined.met, joined.missed) == (whole.checked, whole.met, whole.missed)
    assert (joined.longest, joined.longest_queue) == (whole.longest, whole.longest_queue)
    assert joined.breaches == whole.breaches


def test_a_run_is_longest_from_the_contacts_not_from_the_parts():
    t = Targets()
    breached = [("q1", i, _sums(qa_n=1, qa_sum=0)) for i in range(2, 11)]  # 2..10: nine in a row
    parts = [tally([r for r in breached if lo <= r[1] < hi], {}, t, lo, hi) for lo, hi in ((0, 4), (4, 8), (8, 12))]
    qa = combine(parts, t)["qa"]
    assert (qa.longest, qa.longest_queue, qa.missed) == (9, "q1", 9)
    assert [b.interval for b in qa.breaches[:3]] == [10, 9, 8]  # newest first
