"""The one source of "now" for everything that computes with time.

Screens, metrics and the simulator take a Clock so tests can freeze it.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch, UTC."""


class SystemClock:
    def now(self) -> float:
        return time.time()


class FrozenClock:
    """A clock that moves only when told to."""

    def __init__(self, at: float | datetime) -> None:
        self._t = at.timestamp() if isinstance(at, datetime) else float(at)

    def now(self) -> float:
        return self._t

    def advance(self, seconds: float) -> None:
        self._t += seconds

    def set(self, at: float | datetime) -> None:
        self._t = at.timestamp() if isinstance(at, datetime) else float(at)


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)
