"""Queue figures: the formulas behind every number on the Queues screen.

An interaction contributes to the interval in which it was enqueued (the
industry's "offered in interval" convention). Its contribution depends only
on its own timestamps and the queue's settings, so the store can keep
per-minute and per-interval sums up to date as changes arrive and answer
any window with a handful of rows.

Definitions (shown in the explain view too):
  abandoned        contacts that hung up after waiting at least the queue's
                   short-abandon limit; shorter ones are "short abandons" and
                   count nowhere but offered
  service level    answered within threshold / (answered + abandoned)
  ASA              total wait of answered contacts / answered
  abandon rate     abandoned / (answered + abandoned)
  AHT              (talk + after-contact work) / handled
  occupancy        agents on contact or in after-contact work /
                   (those + available agents), now
  patience         (total wait of answered and abandoned contacts) /
                   all abandons: the maximum-likelihood estimate for
                   exponential patience with censoring, used by Erlang A
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from floorview.domain.erlang import agents_for_target
from floorview.domain.sitetime import FALLBACK, day_start_in, zone

# Agent states in the order a supervisor reads them (the feed's enumeration).
AGENT_STATES = ("available", "on_contact", "after_contact_work", "not_ready", "offline")

MINUTE = 60
INTERVAL = 900  # 15-minute reporting intervals
WINDOW = 1800  # the rolling window of the live figures
PATIENT = 50  # mean patience beyond this many AHTs: Erlang C instead of Erlang A


@dataclass(frozen=True, slots=True)
class QueueSettings:
    sl_threshold_s: float = 20
    sl_target: float = 0.8
    short_abandon_s: float = 5
    aht_target_s: float | None = None
    abandon_target: float | None = None


@dataclass(slots=True)
class Counts:
    """Additive sums over a set of interactions."""

    offered: int = 0
    answered: int = 0
    answered_in_sl: int = 0
    answer_wait_s: float = 0.0
    abandoned: int = 0
    short_abandoned: int = 0
    abandon_wait_s: float = 0.0
    handled: int = 0
    handle_s: float = 0.0

    def add(self, other: Counts, sign: int = 1) -> None:
        for f in _COUNT_FIELDS:
            setattr(self, f, getattr(self, f) + sign * getattr(other, f))

    def as_tuple(self) -> tuple:
        return tuple(getattr(self, f) for f in _COUNT_FIELDS)


_COUNT_FIELDS = tuple(f.name for f in fields(Counts))
COUNT_COLUMNS = _COUNT_FIELDS


def contribution(
    enqueued_at: float,
    answered_at: float | None,
    abandoned_at: float | None,
    ended_at: float | None,
    wrap_s: float | None,
    settings: QueueSettings,
) -> Counts:
    """What one interaction adds to the sums of the interval it was enqueued in."""
    c = Counts(offered=1)
    if answered_at is not None:
        wait = max(0.0, answered_at - enqueued_at)
        c.answered = 1
        c.answer_wait_s = wait
        c.answered_in_sl = int(wait <= settings.sl_threshold_s)
        if ended_at is not None:
            c.handled = 1
            c.handle_s = max(0.0, ended_at - answered_at) + (wrap_s or 0.0)
    elif abandoned_at is not None:
        wait = max(0.0, abandoned_at - enqueued_at)
        c.abandon_wait_s = wait
        if wait < settings.short_abandon_s:
            c.short_abandoned = 1
        else:
            c.abandoned = 1
    return c


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


@dataclass(frozen=True, slots=True)
class Staffing:
    """Agents serving a queue, by state, now."""

    by_state: dict[str, int] = field(default_factory=dict)

    @property
    def staffed(self) -> int:
        """Working the queue now: available, on contact or in wrap-up.

        Not ready and offline agents are not staffing it, whatever the roster says.
        """
        return sum(self.by_state.get(s, 0) for s in ("available", "on_contact", "after_contact_work"))

    @property
    def occupancy(self) -> float | None:
        busy = self.by_state.get("on_contact", 0) + self.by_state.get("after_contact_work", 0)
        return _ratio(busy, busy + self.by_state.get("available", 0))


@dataclass(frozen=True, slots=True)
class QueueFigures:
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    service_level: float | None
    asa_s: float | None
    abandon_rate: float | None
    aht_s: float | None
    patience_s: float | None


def figures(c: Counts) -> QueueFigures:
    abandons = c.abandoned + c.short_abandoned
    return QueueFigures(
        offered=c.offered,
        answered=c.answered,
        abandoned=c.abandoned,
        short_abandoned=c.short_abandoned,
        service_level=_ratio(c.answered_in_sl, c.answered + c.abandoned),
        asa_s=_ratio(c.answer_wait_s, c.answered),
        abandon_rate=_ratio(c.abandoned, c.answered + c.abandoned),
        aht_s=_ratio(c.handle_s, c.handled),
        patience_s=_ratio(c.answer_wait_s + c.abandon_wait_s, abandons),
    )


@dataclass(frozen=True, slots=True)
class Need:
    """Agents needed now for the queue's service-level target."""

    needed: int | None  # None when there is nothing to base it on
    arrival_rate: float  # contacts per second
    aht_s: float | None
    patience_s: float | None
    model: str  # "Erlang A", "Erlang C" or "no traffic"


def agents_needed(
    window: Counts, window_s: float, settings: QueueSettings, fallback_aht_s: float | None = None
) -> Need:
    """Agents needed for the queue's target at the window's arrival rate and AHT.

    Erlang A with the patience observed in the window when it saw abandons,
    Erlang C otherwise. AHT falls back to today's, then to the queue's target.
    """
    f = figures(window)
    rate = window.offered / window_s if window_s > 0 else 0.0
    aht = f.aht_s or fallback_aht_s or settings.aht_target_s
    if rate <= 0:
        return Need(0, 0.0, aht, f.patience_s, "no traffic")
    if not aht:
        return Need(None, rate, None, f.patience_s, "no handle time yet")
    patience = f.patience_s if f.patience_s and math.isfinite(f.patience_s) else None
    if patience is not None and patience > PATIENT * aht:
        patience = None  # abandonment this rare changes nothing: Erlang C, at a fraction of the cost
    try:
        n = agents_for_target(rate, aht, settings.sl_threshold_s, settings.sl_target, patience)
    except ValueError:
        n = None
    return Need(n, rate, aht, patience, "Erlang A" if patience else "Erlang C")


def day_start(now: float, tz: str) -> float:
    """The daily reset: the start of today in the time zone `tz` (an IANA
    name; a queue's own, or the site's), as epoch seconds."""
    return day_start_in(now, zone(tz or FALLBACK))


class Level:
    """How a figure stands against its target: a word and a sign, never colour alone."""

    OK = "ok"
    WARN = "warn"
    BREACH = "breach"
    NONE = "none"

    SIGN = {OK: "✓", WARN: "!", BREACH: "✗", NONE: " "}


def rate_level(value: float | None, target: float | None, higher_is_better: bool, margin: float) -> str:
    """ok when the target is met, warn within `margin` of it, breach beyond."""
    if value is None or target is None:
        return Level.NONE
    gap = (value - target) if higher_is_better else (target - value)
    if gap >= 0:
        return Level.OK
    return Level.WARN if gap >= -margin else Level.BREACH
