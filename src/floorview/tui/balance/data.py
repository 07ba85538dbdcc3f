"""Everything the Balance screen shows, read and computed off the event loop."""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from floorview.config import Settings
from floorview.domain.attainment import Attainment, Tally, combine, tally
from floorview.domain.balance import CoachingMix, Priorities, sentence, talk_walk_gap
from floorview.domain.metrics import INTERVAL
from floorview.domain.sitetime import SiteTime
from floorview.domain.targets import Targets
from floorview.store.reads import site_time
from floorview.store.balance import (
    SavedPriorities,
    coaching_topics,
    interval_sums,
    priorities_at,
    priority_history,
    queue_settings,
)

DAY = 86400
WEEKS = 6  # the gap's trend: this week and the five before
BLOCK = 24  # intervals (6 hours): the walk's tallies are kept by block
RECENT_TTL_S = 5 * 60  # a block of the last day is re-read this often: QA scores and surveys still arrive
OLD_TTL_S = 30 * 60
# Blocks read at once when none are kept: 4 days' sums in memory at a time.
# A 30-day first read on the 200-queue store peaks at 54 MB this way, 132 MB
# read whole, and takes 10% longer than whole (per day: 31 MB, 35% longer).
READ_BLOCKS = 16


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
    site: SiteTime  # the zone its days and weeks are cut in


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


def week_starts(now: float, site: SiteTime, weeks: int = WEEKS) -> list[float]:
    """Monday midnights (site time) of this week and the `weeks - 1` before, oldest first."""
    today = site.today(now)
    monday = today - timedelta(days=today.weekday())
    return [site.date_start(monday - timedelta(weeks=w)) for w in range(weeks - 1, -1, -1)]


class TallyCache:
    """The tallies of whole 6-hour blocks that have ended, kept from one load
    of the walk to the next. A load reads the open block, the window's partial
    first block and at most two kept blocks past their time to live: a
    fraction of the window, where reading it all took seconds each minute on
    a 200-queue floor."""

    def __init__(self) -> None:
        self._blocks: dict[int, tuple[float, Tally]] = {}  # block -> (read at, tally)
        self._key: str | None = None

    def tallies(
        self, con: sqlite3.Connection, first: int, last: int, now: float, queues: dict, targets: Targets
    ) -> list[Tally]:
        """Tallies of the intervals [first, last), oldest first."""
        key = repr((sorted(queues.items()), targets))
        if key != self._key:  # a target changed: every kept tally is wrong
            self._blocks.clear()
            self._key = key
        settings = {q: v[1] for q, v in queues.items()}
        channels = {q: v[3] for q, v in queues.items()}

        def read(lo: int, hi: int, by_block: bool = False) -> list[Tally]:
            """Intervals [lo, hi) in one read: one tally, or one per block from lo."""
            if hi <= lo:
                return []
            sums = interval_sums(con, lo * INTERVAL, hi * INTERVAL, targets)
            step = BLOCK if by_block else hi - lo
            rows: list[list] = [[] for _ in range(lo, hi, step)]
            for (q, i), s in sums.items():
                rows[(i - lo) // step].append((q, i, s))
            return [
                tally(r, settings, targets, a, min(a + step, hi), channels) for r, a in zip(rows, range(lo, hi, step))
            ]

        whole = range(-(-first // BLOCK), last // BLOCK)  # the blocks wholly inside the window
        if not whole:
            return read(first, last)
        self._blocks = {b: v for b, v in self._blocks.items() if b in whole}

        # Re-read at most one kept block of the last day, where late QA scores
        # and surveys land most, and one older: the most overdue of each.
        for recent in (True, False):
            ttl = RECENT_TTL_S if recent else OLD_TTL_S
            due = {
                b: now - read_at - ttl
                for b, (read_at, _) in self._blocks.items()
                if (now - (b + 1) * BLOCK * INTERVAL < DAY) == recent and now - read_at > ttl
            }
            if due:
                b = max(due, key=due.__getitem__)
                self._blocks[b] = (now, read(b * BLOCK, (b + 1) * BLOCK)[0])
        # Blocks not kept yet (all of them, the first time) come READ_BLOCKS
        # at a time: few reads, and not a month's sums in memory at once.
        missing = [b for b in whole if b not in self._blocks]
        for run in _runs(missing, READ_BLOCKS):
            lo, hi = run[0] * BLOCK, (run[-1] + 1) * BLOCK
            for b, t in zip(run, read(lo, hi, by_block=True)):
                self._blocks[b] = (now, t)
        out = []
        if first < whole.start * BLOCK:
            out += read(first, whole.start * BLOCK)
        out += [self._blocks[b][1] for b in whole]
        if whole.stop * BLOCK < last:
            out += read(whole.stop * BLOCK, last)
        return out


def _runs(blocks: list[int], most: int) -> list[list[int]]:
    """Runs of consecutive block numbers (sorted), `most` long at most."""
    runs: list[list[int]] = []
    for b in blocks:
        if runs and runs[-1][-1] == b - 1 and len(runs[-1]) < most:
            runs[-1].append(b)
        else:
            runs.append([b])
    return runs


def load_walk(
    con: sqlite3.Connection, now: float, days: int, settings: Settings, cache: TallyCache | None = None
) -> Walk:
    since = now - days * DAY
    targets = settings.balance.targets
    queues = queue_settings(con)
    first, last = int(since // INTERVAL), int(now // INTERVAL)  # whole intervals only
    results = combine((cache or TallyCache()).tallies(con, first, last, now, queues, targets), targets)
    mix = CoachingMix(dict(Counter(topic for _, topic in coaching_topics(con, since, now))))
    history = priority_history(con)
    site = site_time(con, settings.site_timezone)
    starts = week_starts(now, site)
    notes = coaching_topics(con, starts[0], now)
    weeks = []
    for start, end in zip(starts, starts[1:] + [now]):
        week_mix = CoachingMix(dict(Counter(t for at, t in notes if start <= at < end)))
        p, _ = priorities_at(history, end, settings.balance.priorities)
        label = site.fmt(start, "W%V")
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
        site=site,
    )
