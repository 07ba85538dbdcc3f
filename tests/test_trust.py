"""The trust and behavior card's scores, the quadrant's boundaries, and the recovery order."""

from __future__ import annotations

from datetime import date

import pytest

from floorview.domain.recovery import Case, Hurt, RecoveryRules, rank
from floorview.domain.trust import (
    Answer,
    EngagementWeights,
    actions,
    emotion,
    engagement,
    net_trust,
    nps_category,
    quadrant,
    stool,
    trust_trend,
)


def test_net_trust_scores_yes_up_and_no_and_sometimes_down():
    answers = [
        Answer(0, trust="yes"),
        Answer(1, trust="yes"),
        Answer(2, trust="no"),
        Answer(3, trust="sometimes"),
        Answer(4, trust="yes"),
        Answer(5),
    ]  # the last did not answer the question
    assert net_trust(answers) == (pytest.approx(100 * (3 - 2) / 5), 5)
    assert net_trust([]) == (None, 0)
    assert net_trust([Answer(0, trust="sometimes")]) == (-100, 1)


def test_the_weakest_leg_is_the_lowest_mean_and_ties_go_in_order():
    s = stool(
        [Answer(0, sincerity=4, competence=2, reliability=5), Answer(1, sincerity=4, competence=4, reliability=3)]
    )
    assert s.legs == {"sincerity": 4.0, "competence": 3.0, "reliability": 4.0}
    assert s.weakest == "competence" and s.counts["competence"] == 2
    tie = stool([Answer(0, sincerity=3, competence=4, reliability=3)])
    assert tie.weakest == "sincerity"
    assert stool([Answer(0)]).weakest is None


def test_emotion_is_the_mean_of_its_parts_on_0_to_100():
    answers = [Answer(0, nps=3, csat=2, ces=6, trust="no"), Answer(1, nps=9, csat=5, ces=2, trust="yes")]
    e = emotion(answers, 1)  # the same day: equal weights
    # trust 0 -> 50; NPS mean 6 -> 60; CSAT mean 3.5 -> 62.5; CES mean 4 -> 50.
    assert e.parts == pytest.approx({"trust": 50.0, "nps": 60.0, "csat": 62.5, "effort": 50.0})
    assert e.score == pytest.approx((50 + 60 + 62.5 + 50) / 4)
    assert e.latest_nps == 9
    assert emotion([], 0).score is None


def test_emotion_weighs_a_survey_half_every_90_days_and_forgets_after_a_year():
    day = 86400.0
    now = 400 * day
    answers = [Answer(now - 380 * day, nps=0), Answer(now - 90 * day, nps=2), Answer(now, nps=8)]
    # The first is past 365 days; the second weighs 1/2, the third 1.
    assert emotion(answers, now).parts["nps"] == pytest.approx((0.5 * 2 + 1 * 8) / 1.5 * 10)


def test_one_glowing_survey_does_not_make_a_detractor_an_advocate():
    # Usability walk m18: NPS history 3 10 6 1 5 9 over a week, a broken promise
    # in the words; the latest 9 alone made the card say ADVOCATE.
    day = 86400.0
    now = 30 * day
    history = [3, 10, 6, 1, 5, 9]
    answers = [Answer(now - (6 - i) * day, nps=n, csat=3) for i, n in enumerate(history)]
    e = emotion(answers, now)
    assert e.latest_nps == 9
    # The latest NPS alone read (90 + 50) / 2 = 70: high. The history reads about 5.7.
    assert e.score is not None and e.score < 60  # customers.emotion_high: not high, so not an Advocate
    assert quadrant(80, e.score, 50, 60) == "Captive"
    # Five more glowing answers in a row do lift it: recent answers weigh most.
    later = answers + [Answer(now + k * day, nps=10, csat=5, trust="yes") for k in range(1, 6)]
    assert emotion(later, now + 5 * day).score > 60
    assert [nps_category(n) for n in (0, 6, 7, 8, 9, 10, None)] == [
        "detractor",
        "detractor",
        "passive",
        "passive",
        "promoter",
        "promoter",
        None,
    ]


def test_engagement_weighs_capped_figures_and_shows_its_inputs():
    w = EngagementWeights(
        weights={"logins_30d": 1.0, "products": 3.0, "usage_trend": 1.0, "support_contacts_30d": 0.0},
        caps={"logins_30d": 30, "products": 5, "support_contacts_30d": 6},
    )
    g = engagement({"logins_30d": 60, "products": 1, "usage_trend": 0.0, "support_contacts_30d": 6}, w)
    # logins capped to 1.0; products 1/5; usage trend 0 -> 0.5; support weighs nothing.
    assert g.score == pytest.approx(100 * (1.0 * 1 + 0.2 * 3 + 0.5 * 1 + 0) / 5)
    assert g.inputs["logins_30d"] == (60.0, 1.0, 1.0)
    assert engagement(None, w).score is None
    assert engagement({"usage_trend": -1}, w).score == 0


@pytest.mark.parametrize(
    "behavior, feeling, expected",
    [
        (50, 60, "Advocate"),
        (49.9, 60, "Dormant fan"),
        (50, 59.9, "Captive"),
        (0, 0, "At risk"),
        (100, 100, "Advocate"),
        (None, 60, None),
        (50, None, None),
    ],
)
def test_quadrant_boundaries_count_the_threshold_as_high(behavior, feeling, expected):
    assert quadrant(behavior, feeling, 50, 60) == expected


def test_actions_follow_the_quadrant_the_weakest_leg_and_tenure():
    today = date(2026, 11, 20)
    captive = actions(80, 30, "reliability", date(2020, 1, 1), today, 50, 60)
    assert captive == ["Rebuild trust on reliability: fix and confirm the broken promise, then check it stayed fixed."]
    at_risk = actions(10, 30, "sincerity", date(2020, 1, 1), today, 50, 60)
    assert at_risk[0].startswith("Rebuild trust on sincerity: a personal call from a team lead")
    assert at_risk[1].startswith("Awareness and education")
    assert actions(10, 90, None, None, today, 50, 60) == [
        "Awareness and education: useful content, onboarding help, a courtesy call."
    ]
    new = actions(80, 90, None, date(2026, 8, 23), today, 50, 60)  # 89 days: still new
    assert new == ["New customer (first 90 days): check the hand-off went well and that value shows quickly."]
    assert actions(80, 90, None, date(2026, 8, 22), today, 50, 60)[0].startswith("Keep it up")  # 90 days
    assert actions(80, 30, "competence", None, today, 50, 60)[0].startswith("Rebuild trust on competence: an expert")


def test_trust_trend_compares_the_last_90_days_with_the_90_before():
    day = 86400
    now = 200 * day
    answers = [
        Answer(now - 150 * day, trust="no"),
        Answer(now - 100 * day, trust="no"),
        Answer(now - 10 * day, trust="yes"),
        Answer(now - 1 * day, trust="sometimes"),
    ]
    assert trust_trend(answers, now) == (0.0, -100.0)


def test_recovery_ranks_by_severity_then_value_and_counts_a_rule_once():
    rules = RecoveryRules()
    a = Case("c1", "Ann", "consumer", 5, [Hurt("long_wait", "x", 0), Hurt("long_wait", "y", 1)])  # 2, once
    b = Case("c2", "Bo", "enterprise", 1, [Hurt("long_wait", "x", 0)])  # 2, more valuable
    c = Case("c3", "Cy", "consumer", 1, [Hurt("detractor", "x", 0), Hurt("trust_no", "y", 0)])  # 6
    d = Case("c4", "Di", "consumer", 2, [Hurt("transfers", "x", 0)])  # 2, consumer with more products than Ann? no
    assert a.severity(rules) == 2 and c.severity(rules) == 6
    assert [x.customer_id for x in rank([a, b, c, d], rules)] == ["c3", "c2", "c1", "c4"]
