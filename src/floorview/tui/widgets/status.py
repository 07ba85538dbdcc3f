"""The status line: the age of the data, the store's state, and what the feed is doing."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from floorview.tui.render import duration


def as_of(ts: float | None, now: float) -> str:
    if ts is None:
        return "no data yet"
    age = max(0.0, now - ts)
    stamp = datetime.fromtimestamp(ts).strftime("%H:%M:%S" if age < 86400 else "%Y-%m-%d %H:%M")
    ago = "just now" if age < 1 else f"{duration(age)} ago"
    return f"as of {stamp}, {ago}"


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def show(self, text: Text) -> None:
        if getattr(self, "_last", None) != (text.plain, tuple(text.spans)):
            self._last = (text.plain, tuple(text.spans))
            self.update(text)
