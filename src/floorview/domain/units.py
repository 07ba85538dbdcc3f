"""How figures read as text wherever they are shown: on screen and in exported minutes."""

from __future__ import annotations

import math

EMPTY = "–"  # a figure with nothing to base it on


def duration(seconds: float | None) -> str:
    """Compact durations: 45s, 3:07, 1h04, 2d03."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return EMPTY
    if math.isinf(seconds):
        return "∞"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}:{s % 60:02d}"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}"
    return f"{s // 86400}d{s % 86400 // 3600:02d}"


def counted(n: int, one: str, many: str | None = None) -> str:
    """A count with its noun, singular for one: "1 note", "3 notes", "1,200 queue-intervals",
    "2 queries" with many="queries". On screen and in the minutes alike."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
