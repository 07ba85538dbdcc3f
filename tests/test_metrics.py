"""Queue figures: the definitions, their edge cases and the daily reset."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from floorview.domain.metrics import (
    Counts,
    Level,
    QueueSettings,
    Staffing,
    agents_needed,
    contribution,
    day_start,
    figures,
    rate_level,
)

S = QueueSettings(sl_threshold_s=20, sl_target=0.8, short_abandon_s=5)


def test_contribution_of_each_outcome():
    answered_fast = contribution(0, 10, None, 310, 30, S)
    assert (answered_fast.answered, answered_fast.answered_in_sl, answered_fast.handled) == (1, 1, 1)
    assert answered_fast.handle_s == 330  # talk 300 + wrap 30
    answered_slow = contribution(0, 21, None, None, None, S)
    assert (answered_slow.answered, answered_slow.answered_in_sl, answered_slow.handled) == (1, 0, 0)
    at_threshold = contribution(0, 20, None, None, None, S)
    assert at_threshold.answered_in_sl == 1  # "within" includes the threshold
    short = contribution(0, None, 4.9, 4.9, None, S)
    assert (short.abandoned, short.short_abandoned) == (0, 1)
    long_ab = contribution(0, None, 5, 5, None, S)
    assert (long_ab.abandoned, long_ab.short_abandoned, long_ab.abandon_wait_s) == (1, 0, 5)
    waiting = contribution(0, None, None, None, None, S)
    assert waiting.as_tuple() == Counts(offered=1).as_tuple()


def test_service_level_formula_excludes_short_abandons():
    c = Counts()
    for outcome in (
        contribution(0, 10, None, 100, 0, S),  # answered in SL
        contribution(0, 30, None, 100, 0, S),  # answered late
        contribution(0, None, 60, 60, None, S),  # abandoned
        contribution(0, None, 2, 2, None, S),  # short abandon: nowhere but offered
    ):
        c.add(outcome)
    f = figures(c)
    assert f.offered == 4
    assert f.service_level == pytest.approx(1 / 3)
    assert f.abandon_rate == pytest.approx(1 / 3)
    assert f.asa_s == pytest.approx(20)
    assert f.aht_s == pytest.approx((90 + 70) / 2)
    # patience: (answer waits 40 + abandon waits 62) / 2 abandons
    assert f.patience_s == pytest.approx(51)


def test_empty_window_has_no_figures():
    f = figures(Counts())
    assert f.service_level is None and f.asa_s is None and f.abandon_rate is None and f.aht_s is None


def test_everything_abandoned():
    c = Counts()
    for _ in range(5):
        c.add(contribution(0, None, 100, 100, None, S))
    f = figures(c)
    assert f.service_level == 0.0
    assert f.abandon_rate == 1.0
    assert f.asa_s is None


def test_nobody_staffed():
    staffing = Staffing({"offline": 4})
    assert staffing.staffed == 0
    assert staffing.occupancy is None
    busy = Staffing({"on_contact": 3, "after_contact_work": 1, "available": 4, "not_ready": 2})
    assert busy.staffed == 8  # not ready agents do not staff the queue
    assert busy.occupancy == pytest.approx(0.5)


def test_agents_needed_uses_erlang_c_without_abandons_and_a_with_them():
    window = Counts(offered=100, answered=100, answered_in_sl=90, handled=100, handle_s=18000)
    need = agents_needed(window, 1800, S)
    assert need.model == "Erlang C" and need.needed == 14
    window.abandoned, window.abandon_wait_s, window.answer_wait_s = 5, 300.0, 1200.0
    need = agents_needed(window, 1800, S)
    assert need.model == "Erlang A"
    assert need.patience_s == pytest.approx(300)
    assert need.needed is not None and need.needed <= 14


def test_agents_needed_without_traffic_or_handle_time():
    assert agents_needed(Counts(), 1800, S).needed == 0
    assert agents_needed(Counts(offered=3), 1800, S).needed is None  # no AHT known yet
    with_target = QueueSettings(aht_target_s=300)
    # Half an Erlang: one agent leaves half the contacts waiting (SL 52%), two meet 80/20.
    assert agents_needed(Counts(offered=3), 1800, with_target).needed == 2


def test_levels_carry_a_sign():
    assert rate_level(0.85, 0.8, True, 0.05) == Level.OK
    assert rate_level(0.77, 0.8, True, 0.05) == Level.WARN
    assert rate_level(0.60, 0.8, True, 0.05) == Level.BREACH
    assert rate_level(0.03, 0.05, False, 0.02) == Level.OK
    assert rate_level(None, 0.8, True, 0.05) == Level.NONE
    assert {Level.SIGN[v] for v in (Level.OK, Level.WARN, Level.BREACH)} == {"✓", "!", "✗"}


NY = ZoneInfo("America/New_York")


def _at(*args) -> float:
    return datetime(*args, tzinfo=NY).timestamp()


def test_daily_reset_is_local_midnight():
    assert day_start(_at(2026, 11, 20, 15, 0), "America/New_York") == _at(2026, 11, 20, 0, 0)
    # 03:00 UTC on the 21st is still the 20th in New York.
    utc = datetime(2026, 11, 21, 3, 0, tzinfo=ZoneInfo("UTC")).timestamp()
    assert day_start(utc, "America/New_York") == _at(2026, 11, 20, 0, 0)
    assert day_start(utc, "UTC") == datetime(2026, 11, 21, tzinfo=ZoneInfo("UTC")).timestamp()


def test_daily_reset_across_dst_changes():
    # Spring forward (8 March 2026): the day has 23 hours.
    spring = day_start(_at(2026, 3, 8, 12, 0), "America/New_York")
    assert spring == _at(2026, 3, 8, 0, 0)
    assert day_start(_at(2026, 3, 9, 0, 30), "America/New_York") - spring == 23 * 3600
    # Fall back (1 November 2026): 25 hours; the repeated 01:xx hour stays in the same day.
    fall = day_start(_at(2026, 11, 1, 1, 30), "America/New_York")
    assert fall == _at(2026, 11, 1, 0, 0)
    assert day_start(_at(2026, 11, 2, 0, 30), "America/New_York") - fall == 25 * 3600


def test_daily_reset_when_midnight_does_not_exist():
    # Chile springs forward at midnight: 6 September 2026 starts at 01:00 local.
    zone = ZoneInfo("America/Santiago")
    noon = datetime(2026, 9, 6, 12, 0, tzinfo=zone).timestamp()
    start = day_start(noon, "America/Santiago")
    assert datetime.fromtimestamp(start, zone).date().isoformat() == "2026-09-06"
    assert start <= noon
    assert noon - start <= 12 * 3600


@given(
    st.lists(
        st.tuples(
            st.floats(0, 1e5),
            st.one_of(st.none(), st.floats(0, 1000)),
            st.one_of(st.none(), st.floats(0, 1000)),
            st.one_of(st.none(), st.floats(0, 5000)),
        ),
        max_size=40,
    )
)
def test_service_level_and_rates_stay_within_zero_and_one(items):
    c = Counts()
    for enq, ans, ab, wrap in items:
        answered = enq + ans if ans is not None else None
        abandoned = enq + ab if ab is not None and answered is None else None
        ended = answered + 100 if answered is not None else abandoned
        c.add(contribution(enq, answered, abandoned, ended, wrap, S))
    f = figures(c)
    for value in (f.service_level, f.abandon_rate):
        assert value is None or 0.0 <= value <= 1.0
    assert c.answered_in_sl <= c.answered <= c.offered
