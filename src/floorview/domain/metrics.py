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

    def as_tuple(self) -> tuple[float, ...]:
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
    """Agents serving a queue, by state, now.

    `elsewhere` counts, by state, the agents on a contact or in wrap-up whose
    contact is not this queue's: another queue's, or one the store does not
    hold (`unknown` of them), so its queue cannot be told.
    """

    by_state: dict[str, int] = field(default_factory=dict)
    elsewhere: dict[str, int] = field(default_factory=dict)
    unknown: int = 0

    @property
    def can_take(self) -> int:
        """Agents who could take this queue's next contact: the queue's "have".

        Available agents serving the queue, and those on a contact or in
        wrap-up *of this queue*: the next contact waits for one of these, as
        the Erlang models assume of their agents. Not counted: agents on (or
        wrapping up) another queue's contact, whose time goes to that queue's
        traffic until they are done and who may well take that queue's next
        contact after it; agents on a contact the store does not hold, as
        nothing says it is this queue's; not ready; offline. An available agent
        serving several queues counts in each, as it could take any of them.
        """
        return self.staffed - sum(self.elsewhere.get(s, 0) for s in ("on_contact", "after_contact_work"))

    @property
    def busy_here(self) -> int:
        """On a contact or in wrap-up of this queue."""
        return self.can_take - self.by_state.get("available", 0)

    @property
    def occupancy_here(self) -> float | None:
        """This queue's share of its "have" busy with its contacts, now."""
        return _ratio(self.busy_here, self.can_take)

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


def erlang_patience(patience_s: float | None, aht_s: float) -> float | None:
    """The patience to give Erlang A, or None for Erlang C: the one rule for
    both (Queues' agents needed and every what-if scenario).

    None when there is no finite positive patience, or when it exceeds
    PATIENT AHTs: abandonment that rare changes nothing, and Erlang C costs
    a fraction as much.
    """
    if patience_s is None or not math.isfinite(patience_s) or patience_s <= 0:
        return None
    return None if patience_s > PATIENT * aht_s else patience_s


@dataclass(frozen=True, slots=True)
class ModelInputs:
    """What the staffing model is given for a queue over a period, and where
    each input came from (for the explain views)."""

    arrival_rate: float  # contacts per second, offered in the period / its length
    aht_s: float | None  # None: nothing handled and no AHT target
    aht_from: str
    patience_seen_s: float | None  # the estimate, before erlang_patience decides
    patience_from: str

    @property
    def patience_s(self) -> float | None:
        """The patience Erlang A is given; None: Erlang C."""
        return erlang_patience(self.patience_seen_s, self.aht_s) if self.aht_s else None

    @property
    def model(self) -> str:
        if self.arrival_rate <= 0:
            return "no traffic"
        if not self.aht_s:
            return "no handle time yet"
        return "Erlang A" if self.patience_s else "Erlang C"

    @property
    def model_why(self) -> str:
        """Why Erlang A or C, in words."""
        if self.patience_s:
            return f"patience {self.patience_from}"
        if self.patience_seen_s is None:
            return "no abandons seen today"
        return f"patience over {PATIENT} x AHT: abandons too rare to matter"


def model_inputs(period: Counts, period_s: float, settings: QueueSettings, today: Counts | None = None) -> ModelInputs:
    """The one rule choosing the staffing model's inputs, used by the Queues
    screen's agents needed and the what-if alike.

    Arrival rate: offered in the period / its length. AHT: the period's, else
    today's (none handled in the period), else the queue's AHT target, else
    none. Patience: the period's estimate (total wait / abandons) when it saw
    abandons, else today's, else none; Erlang A with it unless
    `erlang_patience` finds abandonment too rare to matter, then Erlang C.
    """
    f = figures(period)
    t = figures(today) if today is not None else None
    rate = period.offered / period_s if period_s > 0 else 0.0
    if f.aht_s:
        aht, aht_from = f.aht_s, "observed in the period"
    elif t is not None and t.aht_s:
        aht, aht_from = t.aht_s, "today's: none handled in the period"
    elif settings.aht_target_s:
        aht, aht_from = settings.aht_target_s, "the queue's AHT target: nothing handled today"
    else:
        aht, aht_from = None, "none: nothing handled today and no AHT target"
    if f.patience_s:
        patience, patience_from = f.patience_s, "seen in the period: total wait / abandons"
    elif t is not None and t.patience_s:
        patience, patience_from = t.patience_s, "today's: no abandons in the period"
    else:
        patience, patience_from = None, "none: no abandons today"
    return ModelInputs(rate, aht, aht_from, patience, patience_from)


@dataclass(frozen=True, slots=True)
class Need:
    """Agents needed now for the queue's target."""

    needed: int | None  # None when there is nothing to base it on
    arrival_rate: float  # contacts per second
    aht_s: float | None
    patience_s: float | None
    model: str  # "Erlang A", "Erlang C", "no traffic" or "no handle time yet"
    inputs: ModelInputs | None = None


def agents_needed(window: Counts, window_s: float, settings: QueueSettings, today: Counts | None = None) -> Need:
    """Agents needed for the queue's target at the window's arrival rate,
    with the inputs and model `model_inputs` chooses (today's figures as its
    fallbacks)."""
    m = model_inputs(window, window_s, settings, today)
    if m.model == "no traffic":
        return Need(0, 0.0, m.aht_s, m.patience_s, m.model, m)
    if m.aht_s is None:
        return Need(None, m.arrival_rate, None, m.patience_s, m.model, m)
    try:
        n = agents_for_target(m.arrival_rate, m.aht_s, settings.sl_threshold_s, settings.sl_target, m.patience_s)
    except ValueError:
        n = None
    return Need(n, m.arrival_rate, m.aht_s, m.patience_s, m.model, m)


def day_start(now: float, tz: str | None) -> float:
    """The daily reset: the start of today in the time zone `tz` (an IANA
    name; a queue's own, or the site's; none or empty: FALLBACK), as epoch seconds."""
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
