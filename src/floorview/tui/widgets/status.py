"""The status line: the age of the data, the store's state, and what the feed is doing."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from floorview.domain.sitetime import SiteTime


def as_of(ts: float | None, now: float, site: SiteTime, live: bool = True) -> str:
    """The data's age, coarse on purpose: a live feed reads "just now" and the
    line does not change (and go over the wire) every second. Paused or stale
    data is never "just now": it says when, and how long ago (m7)."""
    if ts is None:
        return "no data yet"
    age = max(0.0, now - ts)
    if age < 10 and live:
        return "as of just now"
    stamp = site.fmt(ts, "%H:%M:%S" if age < 86400 else "%Y-%m-%d %H:%M")
    return f"as of {stamp} {site.abbrev(ts)}, {_ago(age)}"


def _ago(age: float) -> str:
    """In words, not m:ss ("1:00 ago" read as a second): 40 s, 3 min, 2 h 05 min, 3 d."""
    if age < 10:
        return "seconds ago"
    if age < 60:
        return f"{int(age) // 10 * 10} s ago"
    if age < 3600:
        return f"{int(age) // 60} min ago"
    if age < 86400:
        return f"{int(age) // 3600} h {int(age) % 3600 // 60:02d} min ago"
    return f"{int(age) // 86400} d ago"


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def show(self, text: Text) -> None:
        if getattr(self, "_last", None) != (text.plain, tuple(text.spans)):
            self._last = (text.plain, tuple(text.spans))
            self.update(text)
