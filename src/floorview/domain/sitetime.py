"""Site time: the one time zone in which "today" begins and every clock time is shown.

A contact center's day is the site's day, not the day of whatever host the
console runs on: a jump host on UTC must not start a New York floor's "today"
at 19:00 the evening before. The zone is, in order:

1. `site_timezone` from the config, when set;
2. else the zone the queues name (each queue carries one for its daily
   reset): the most common, ties broken by name so every screen agrees;
3. else UTC, and the explain views say so.

The host's own zone is never used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

FALLBACK = "UTC"


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def day_start_in(now: float, tz: tzinfo) -> float:
    """The start of the day holding `now` in `tz`, as epoch seconds.

    On a day that begins inside a DST gap the start is the first instant of
    the day that exists (zoneinfo resolves the gap forward).
    """
    local = datetime.fromtimestamp(now, tz)
    midnight = datetime.combine(local.date(), time(0), tzinfo=tz)
    start = midnight.timestamp()
    if start > now:  # a gap at midnight resolved past now: use the previous day's end
        start = (midnight - timedelta(hours=1)).timestamp()
    return start


@dataclass(frozen=True, slots=True)
class SiteTime:
    """The site's zone and where it came from; formats clock times in it."""

    name: str = FALLBACK  # IANA name
    source: str = "no queues yet"  # "setting", "queues" or why it fell back to UTC

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.name)

    def local(self, ts: float) -> datetime:
        return datetime.fromtimestamp(ts, self.tz)

    def fmt(self, ts: float, pattern: str) -> str:
        return self.local(ts).strftime(pattern)

    def today(self, now: float) -> date:
        return self.local(now).date()

    def day_start(self, now: float) -> float:
        return day_start_in(now, self.tz)

    def date_start(self, day: date) -> float:
        """Midnight (or the day's first instant) of a calendar date in site time."""
        return day_start_in(datetime.combine(day, time(12), tzinfo=self.tz).timestamp(), self.tz)

    def stamp(self, ts: float, pattern: str = "%a %d %b %H:%M") -> str:
        """A clock time as every screen shows one: in the site's zone, named ("10:30 EST")."""
        return f"{self.fmt(ts, pattern)} {self.abbrev(ts)}"

    def abbrev(self, ts: float) -> str:
        """The zone's short name at `ts` ("EST", "EDT"); the IANA name where it has none."""
        short = self.local(ts).tzname() or ""
        return short if short.isalpha() else self.name

    def describe(self) -> str:
        """For the explain views: "America/New_York (site_timezone)"."""
        why = {"setting": "site_timezone", "queues": "the queues' zone"}.get(self.source, self.source)
        return f"{self.name} ({why})"


def resolve(setting: str, queue_zones: Iterable[tuple[str, int]]) -> SiteTime:
    """The site's zone from the `site_timezone` setting and the queues' zones
    (each with how many queues name it)."""
    if setting:
        return SiteTime(setting, "setting")
    counts: dict[str, int] = {}
    for name, n in queue_zones:
        if name:
            try:
                zone(name)
            except (ValueError, KeyError):  # an unknown zone from the feed: not a candidate
                continue
            counts[name] = counts.get(name, 0) + n
    if not counts:
        return SiteTime(FALLBACK, "UTC: no site_timezone set and no queue names a zone")
    best = min(counts, key=lambda z: (-counts[z], z))
    return SiteTime(best, "queues")
