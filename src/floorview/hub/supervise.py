"""The hub's writer threads (the simulated floor, the tombstone purge) kept
alive: a thread whose work raises logs the error, waits, and starts its work
again, waiting longer each time (from 0.5 s, doubling, at most 30 s, with
jitter), and says so in `/v1/health` (`WriterStatus`) instead of dying
silently while the hub goes on serving a frozen floor.

The work is started again, not the thread's state: work that must not lose
what it was doing (the floor's batch that failed to write) keeps it on its
own object and carries on from there (sources/simulator/, run by hub/sources.py).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

FIRST_WAIT_S = 0.5
LONGEST_WAIT_S = 30.0


@dataclass
class WriterStatus:
    """How one writer thread stands, as `/v1/health` reports it."""

    name: str
    # running; restarting (after an error, waiting to start again); standby (another
    # hub process runs it: it holds the source's lease); stopped
    state: str = "starting"
    restarts: int = 0  # times its work was started again after an error
    last_error: str | None = None  # the newest error, in one line
    last_error_at: float | None = None
    held_by: str | None = None  # standing by: the process that runs it (kept from the public health)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def ok(self) -> None:
        """The work did what it is for (a write went in)."""
        with self._lock:
            self.state = "running"
            self.held_by = None

    def standby(self, holder: str | None) -> None:
        """Another hub process runs it (holds its lease), `holder` when known."""
        with self._lock:
            self.state = "standby"
            self.held_by = holder

    def failed(self, exc: BaseException, now: float) -> None:
        with self._lock:
            self.state = "restarting"
            self.last_error = f"{type(exc).__name__}: {error_line(exc)}"
            self.last_error_at = now

    def report(self) -> dict:
        with self._lock:
            out: dict = {"name": self.name, "state": self.state, "restarts": self.restarts}
            if self.last_error is not None:
                out["last_error"] = self.last_error
                out["last_error_at"] = self.last_error_at
            return out


def error_line(exc: BaseException) -> str:
    """The error's first line, short: a database error carries its SQL below (never its parameters)."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return (text[0] if text else "")[:200]


def supervise(
    work: Callable[[], None],
    status: WriterStatus,
    stop: threading.Event,
    first_wait: float | None = None,
    longest_wait: float | None = None,
    clock: Callable[[], float] = time.time,
) -> None:
    """Run `work` until it returns or `stop` is set; after an error, log it,
    wait (backing off: `FIRST_WAIT_S`, doubling, at most `LONGEST_WAIT_S`)
    and run it again. The wait starts over once the work has run for longer
    than the longest wait without an error."""
    first_wait = FIRST_WAIT_S if first_wait is None else first_wait
    longest_wait = LONGEST_WAIT_S if longest_wait is None else longest_wait
    wait = first_wait
    while not stop.is_set():
        started = time.monotonic()
        try:
            work()
            break
        except Exception as exc:
            status.failed(exc, clock())
            if time.monotonic() - started > longest_wait:
                wait = first_wait  # it had been working: this is a new trouble, not the same one
            log.error("hub writer %s failed; starting it again in %.1f s", status.name, wait, exc_info=True)
            if stop.wait(wait * random.uniform(0.8, 1.2)):
                break
            wait = min(wait * 2, longest_wait)
            with status._lock:
                status.restarts += 1
    with status._lock:
        status.state = "stopped"
