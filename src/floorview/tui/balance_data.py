"""Everything the Balance screen shows, read and computed off the event loop."""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from floorview.config import Settings
from floorview.domain.attainment import Attainment, attainment
from floorview.domain.balance import CoachingMix, Priorities, sentence, talk_walk_gap
from floorview.domain.metrics import INTERVAL
from floorview.store.walk import (
    SavedPriorities,
    coaching_topics,
    interval_sums,
    priorities_at,
    priority_history,
    queue_settings,
)

DAY = 86400
WEEKS = 6  # the gap's trend: this week and the five before


@dataclass(frozen=True, slots=True)
class Talk:
    priorities: Priorities
    saved: SavedPriorities | None  # None: from config


@dataclass(frozen=True, slots=True)
class WeekGap:
    label: str  # "W46"
    start: float
    end: float
    priorities: Priorities
    mix: CoachingMix
    gap: float | None


@dataclass(frozen=True, slots=True)
class Walk:
    days: int
    since: float
    until: float
    mix: CoachingMix
    results: dict[str, Attainment]
    weeks: list[WeekGap]
    queue_names: dict[str, str]
    data_since: float | None  # the first interval the store holds


@dataclass(frozen=True, slots=True)
class BalanceData:
    talk: Talk
    walk: Walk

    @property
    def gap(self) -> float | None:
        return talk_walk_gap(self.talk.priorities, self.walk.mix)

    @property
    def sentence(self) -> str:
        period = "this week" if self.walk.days == 7 else f"in the last {self.walk.days} days"
        return sentence(self.talk.priorities, self.walk.mix, period)


def load_talk(con: sqlite3.Connection, now: float, settings: Settings) -> Talk:
    p, saved = priorities_at(priority_history(con), now, settings.balance.priorities)
    return Talk(p, saved)


def _zone(settings: Settings) -> ZoneInfo | None:
    return ZoneInfo(settings.site_timezone) if settings.site_timezone else None


def week_starts(now: float, zone: ZoneInfo | None, weeks: int = WEEKS) -> list[float]:
    """Monday midnights (site time) of this week and the `weeks - 1` before, oldest first."""
    today = datetime.fromtimestamp(now, zone).date()  # zone None: the machine's own
    monday = today - timedelta(days=today.weekday())
    days = [monday - timedelta(weeks=w) for w in range(weeks - 1, -1, -1)]
    return [datetime.combine(d, time.min, zone).timestamp() for d in days]


def load_walk(con: sqlite3.Connection, now: float, days: int, settings: Settings) -> Walk:
    since = now - days * DAY
    targets = settings.balance.targets
    queues = queue_settings(con)
    sums = interval_sums(con, since, now, targets)
    results = attainment(
        ((q, i, s) for (q, i), s in sums.items()), {q: v[1] for q, v in queues.items()}, targets
    )
    mix = CoachingMix(dict(Counter(topic for _, topic in coaching_topics(con, since, now))))
    history = priority_history(con)
    starts = week_starts(now, _zone(settings))
    notes = coaching_topics(con, starts[0], now)
    weeks = []
    for start, end in zip(starts, starts[1:] + [now]):
        week_mix = CoachingMix(dict(Counter(t for at, t in notes if start <= at < end)))
        p, _ = priorities_at(history, end, settings.balance.priorities)
        label = datetime.fromtimestamp(start, _zone(settings)).strftime("W%V")
        weeks.append(WeekGap(label, start, end, p, week_mix, talk_walk_gap(p, week_mix)))
    first = con.execute("SELECT min(interval) FROM queue_interval").fetchone()[0]
    return Walk(
        days=days,
        since=since,
        until=now,
        mix=mix,
        results=results,
        weeks=weeks,
        queue_names={q: v[0] for q, v in queues.items()},
        data_since=first * INTERVAL if first is not None else None,
    )
