"""The Balance panel's data: the request built on the event loop, and the
loader that reads talk (the ranking in force, and its history) and walk (what
the floor coached and which targets it met) in the worker.

The walk spans days: `BalanceLoader` keeps it for a minute, and keeps the
tallies of whole 6-hour blocks from one load to the next (`TallyCache`). Only
the load worker touches it.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field

from floorview.domain.attainment import Attainment, Sums, Tally, combine, tally
from floorview.domain.balance import CoachingMix, Priorities, sentence, talk_walk_gap
from floorview.domain.metrics import INTERVAL
from floorview.domain.sitetime import SiteTime
from floorview.domain.targets import Targets
from floorview.store.balance import (
    QueueInfo,
    SavedPriorities,
    coaching_topics,
    first_interval,
    interval_sums,
    priorities_at,
    priority_history,
    queue_settings,
)
from floorview.store.reads import site_time

DAY = 86400
WEEK = 7 * DAY
WEEKS = 6  # the gap's trend: the last seven days and the five weeks before
BLOCK = 24  # intervals (6 hours): the walk's tallies are kept by block
RECENT_TTL_S = 5 * 60  # a block of the last day is re-read this often: QA scores and surveys still arrive
OLD_TTL_S = 30 * 60
WALK_REFRESH_S = 60  # the walk spans days: recomputing it more often shows nothing new
# Blocks read at once when none are kept: 4 days' sums in memory at a time.
# A 30-day first read on the 200-queue store peaks at 54 MB this way, 132 MB
# read whole, and takes 10% longer than whole (per day: 31 MB, 35% longer).
READ_BLOCKS = 16


@dataclass(frozen=True, slots=True)
class BalanceRequest:
    """What a Balance load depends on: the window, the channel of ASA and AHT
    (None: the busiest), and the settings the walk is measured with."""

    days: int  # 7 or 30
    channel: str | None
    default: Priorities  # the config's ranking, in force until one is set on screen
    targets: Targets
    site_timezone: str


@dataclass(frozen=True, slots=True)
class Talk:
    priorities: Priorities  # in force now
    saved: SavedPriorities | None  # None: from config
    history: tuple[SavedPriorities, ...] = ()  # every ranking set on screen, oldest first
    default: Priorities | None = None  # the config's

    def at(self, ts: float) -> Priorities:
        """The ranking in force at `ts`."""
        return priorities_at(list(self.history), ts, self.default or self.priorities)[0]


@dataclass(frozen=True, slots=True)
class WeekMix:
    """Seven days of coaching: the trend is made of these, the newest ending now."""

    start: float
    end: float
    mix: CoachingMix


@dataclass(frozen=True, slots=True)
class WeekGap:
    start: float
    end: float
    priorities: Priorities  # in force at the week's end (the latest: now)
    mix: CoachingMix
    gap: float | None


@dataclass(frozen=True, slots=True)
class Walk:
    days: int
    since: float
    until: float
    mix: CoachingMix
    results: dict[str, Attainment]
    weeks: list[WeekMix]  # oldest first; the last is the seven days to `until`
    queue_names: dict[str, str]
    data_since: float | None  # the first interval the store holds
    site: SiteTime  # the zone its days are cut in


@dataclass(frozen=True, slots=True)
class BalanceData:
    talk: Talk
    walk: Walk
    channel: str | None = None  # the channel whose ASA and AHT are shown

    @property
    def gap(self) -> float | None:
        return talk_walk_gap(self.talk.priorities, self.walk.mix)

    @property
    def sentence(self) -> str:
        period = "this week" if self.walk.days == 7 else f"in the last {self.walk.days} days"
        return sentence(self.talk.priorities, self.walk.mix, period)

    @property
    def weeks(self) -> list[WeekGap]:
        """The gap week by week, oldest first: each week's coaching against the
        ranking in force at its end. The last week ends now, so it is judged
        by the ranking on screen, as the headline is (a re-rank moves both)."""
        out = []
        for w in self.walk.weeks:
            p = self.talk.priorities if w.end >= self.walk.until else self.talk.at(w.end)
            out.append(WeekGap(w.start, w.end, p, w.mix, talk_walk_gap(p, w.mix)))
        return out


def load_talk(con: sqlite3.Connection, now: float, default: Priorities) -> Talk:
    history = priority_history(con)
    p, saved = priorities_at(history, now, default)
    return Talk(p, saved, tuple(history), default)


def week_ends(now: float, weeks: int = WEEKS) -> list[float]:
    """The ends of the trend's weeks, oldest first: now, and seven days apart before it."""
    return [now - w * WEEK for w in range(weeks - 1, -1, -1)]


def shown_channel(results: dict[str, Attainment], wanted: str | None) -> str | None:
    """The channel whose ASA and AHT are shown: the one asked for (c) if it had
    answers in the window, else the one with the most."""
    counted = results["asa"].channels
    if wanted in counted:
        return wanted
    return min(counted, key=lambda c: (-counted[c], c)) if counted else None


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
        self,
        con: sqlite3.Connection,
        first: int,
        last: int,
        now: float,
        queues: dict[str, QueueInfo],
        targets: Targets,
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
            rows: list[list[tuple[str, int, Sums]]] = [[] for _ in range(lo, hi, step)]
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
        out: list[Tally] = []
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
    con: sqlite3.Connection,
    now: float,
    days: int,
    targets: Targets,
    site_timezone: str = "",
    cache: TallyCache | None = None,
) -> Walk:
    since = now - days * DAY
    queues = queue_settings(con)
    first, last = int(since // INTERVAL), int(now // INTERVAL)  # whole intervals only
    results = combine((cache or TallyCache()).tallies(con, first, last, now, queues, targets), targets)
    mix = CoachingMix(dict(Counter(topic for _, topic in coaching_topics(con, since, now))))
    ends = week_ends(now)
    notes = coaching_topics(con, ends[0] - WEEK, now)
    weeks = [
        WeekMix(end - WEEK, end, CoachingMix(dict(Counter(t for at, t in notes if end - WEEK <= at < end))))
        for end in ends
    ]
    held = first_interval(con)
    return Walk(
        days=days,
        since=since,
        until=now,
        mix=mix,
        results=results,
        weeks=weeks,
        queue_names={q: v[0] for q, v in queues.items()},
        data_since=held * INTERVAL if held is not None else None,
        site=site_time(con, site_timezone),
    )


@dataclass
class BalanceLoader:
    """The Balance panel's loader, owning the walk's caches: the walk of each
    window for a minute, and the tallies of its kept blocks (switching
    7/30 back and forth re-reads nothing). Run by the load worker only."""

    _tallies: dict[int, TallyCache] = field(default_factory=dict)
    _walk: Walk | None = None
    _walk_key: tuple[object, ...] | None = None

    def __call__(self, con: sqlite3.Connection, now: float, request: BalanceRequest) -> BalanceData:
        key = (request.days, request.targets, request.site_timezone, int(now // WALK_REFRESH_S))
        if self._walk is None or self._walk_key != key:
            cache = self._tallies.setdefault(request.days, TallyCache())
            self._walk = load_walk(con, now, request.days, request.targets, request.site_timezone, cache)
            self._walk_key = key
        walk = self._walk
        return BalanceData(load_talk(con, now, request.default), walk, shown_channel(walk.results, request.channel))
