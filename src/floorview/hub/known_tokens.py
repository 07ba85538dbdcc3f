"""Tokens a hub process has checked, kept while PostgreSQL tells it of every revocation.

Every request of every client presents its token, and at 500 long-polling
clients that is thousands of lookups a second, each a round trip to the
database that a woken long poll waits behind. A token accepted once is kept
here, so its next requests are answered without the database, but only
while this process is sure to hear of a revocation:

- `HubStore.revoke` sends a NOTIFY on `TOKENS_CHANNEL` inside its transaction
  (delivered at commit); the listener thread (`HubStore.listen`) forgets
  every token here when it hears one, and on every (re)connection.
- The listener proves its connection alive every `ALIVE_S`; a kept token is
  used only while the last proof is younger than `TRUST_S`. A silent network
  fault therefore stops the use of the keep within seconds, and the database
  is asked again.
- A lookup that began before a revocation was heard is not kept (the
  generation it started in has passed), so a stale "accepted" never lands
  here after the forget.
- Expiry is checked against the kept `expires_at` at every use.

What is given up: a revocation takes effect in a process when its NOTIFY
arrives (milliseconds after the commit), not at the commit. On SQLite there
is no listener, nothing is kept, and every request reads the database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

TOKENS_CHANNEL = "floorview_hub_tokens"
ALIVE_S = 2.0  # the listener proves its connection alive this often
TRUST_S = 5.0  # kept tokens are used only this long after the last proof
KEEP_MAX = 10_000  # a bound on memory: past it, the keep starts again empty

S = TypeVar("S")


class KnownTokens(Generic[S]):
    """Accepted tokens by hash, with what they may see and when they expire."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[S, float | None]] = {}
        self._generation = 0
        self._alive_at: float | None = None  # the listener's last proof; None while it is not listening
        self._monotonic = monotonic

    @property
    def generation(self) -> int:
        """Taken before a database lookup and given back to `keep`."""
        return self._generation

    def get(self, token_hash: str, now: float) -> S | None:
        """The kept scope of an accepted token; None when the database must be asked
        (not kept, expired by `now`, or the listener not proven alive lately)."""
        with self._lock:
            alive = self._alive_at is not None and self._monotonic() - self._alive_at < TRUST_S
            kept = self._kept.get(token_hash) if alive else None
        if kept is None:
            return None
        scope, expires_at = kept
        return None if expires_at is not None and now >= expires_at else scope

    def keep(self, token_hash: str, scope: S, expires_at: float | None, generation: int) -> None:
        """Keep a token the database accepted in a lookup begun at `generation`."""
        with self._lock:
            if generation != self._generation or self._alive_at is None:
                return  # a revocation was heard meanwhile, or nobody is listening
            if len(self._kept) >= KEEP_MAX:
                self._kept.clear()
            self._kept[token_hash] = (scope, expires_at)

    def forget(self) -> None:
        """A token changed somewhere (or the listener reconnected): forget them all."""
        with self._lock:
            self._generation += 1
            self._kept.clear()

    def alive(self) -> None:
        """The listener's connection answered just now."""
        with self._lock:
            self._alive_at = self._monotonic()

    def deaf(self) -> None:
        """The listener lost its connection: nothing kept is used until it is back."""
        with self._lock:
            self._alive_at = None
            self._generation += 1
            self._kept.clear()
