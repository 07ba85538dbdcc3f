"""Waiting between attempts, as feed-protocol.md says.

Exponential from 0.8 s, doubling, capped at 30 s, with full jitter; reset
after two minutes of success. A Retry-After (seconds or an HTTP date) wins,
clamped to 1 to 300 s.
"""

from __future__ import annotations

import random
from email.utils import parsedate_to_datetime

BASE_S = 0.8
CAP_S = 30.0
RESET_AFTER_S = 120.0
RETRY_AFTER_MIN_S, RETRY_AFTER_MAX_S = 1.0, 300.0


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header, clamped; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    seconds: float | None = None
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - now
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return min(RETRY_AFTER_MAX_S, max(RETRY_AFTER_MIN_S, seconds))


class Backoff:
    def __init__(self, rng: random.Random | None = None) -> None:
        self.failures = 0
        self.healthy_since: float | None = None
        self._rng = rng or random.Random()

    def failed(self) -> float:
        """Record a failure; the seconds to wait before the next attempt."""
        self.healthy_since = None
        ceiling = min(CAP_S, BASE_S * 2**self.failures)
        self.failures += 1
        return self._rng.uniform(0, ceiling)

    def succeeded(self, now: float) -> None:
        if self.healthy_since is None:
            self.healthy_since = now
        if now - self.healthy_since >= RESET_AFTER_S:
            self.failures = 0
