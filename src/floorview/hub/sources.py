"""Running sources (floorview/sources/) in the hub: each in a thread of its
own, started again with backoff after an error (supervise.py), writing
through a `StoreSink` that commits its records and its resume point in one
transaction (HubStore.write's `resume`).

Several hub processes may serve one database, each configured with the same
sources: a source runs in one process at a time, the one holding its lease
(leases.py). The others stand by, and one takes the source over within
seconds when its owner dies; every batch is fenced by the lease, so an owner
that hung and lost it cannot write after the new owner began."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from floorview.hub.hubstore import HubStore, LeaseLost
from floorview.hub.leases import LEASE_S, Lease, process_tag
from floorview.hub.supervise import WriterStatus, error_line, supervise
from floorview.sources.base import JSON, KEEP, Change, Sink, Source

log = logging.getLogger(__name__)


class StoreSink(Sink):
    """The hub's sink for one source: its writes go to the store with its resume point."""

    def __init__(
        self, store: HubStore, name: str, status: WriterStatus, ready: threading.Event, owner: str | None = None
    ) -> None:
        self.store, self.name, self.status, self.ready, self.owner = store, name, status, ready, owner

    def resume_point(self) -> JSON | None:
        state = self.store.source_state(self.name)
        return None if state is None else state.resume

    def write(
        self,
        changes: Sequence[Change],
        *,
        resume: JSON,
        unmapped: Mapping[str, Sequence[str]] | None = None,
        last_record_at: float | None = None,
        read: int = 0,
    ) -> int:
        counters: dict[str, Any] = {"unmapped": dict(unmapped or {}), "last_record_at": last_record_at, "read": read}
        if resume is KEEP:
            counters["keep_point"], resume = True, None  # the point stored stands
        if self.owner is not None:
            counters["owner"] = self.owner  # fenced: written only while this process holds the lease
        written = self.store.write(changes, resume=(self.name, resume, counters))
        self.status.ok()
        return written

    def caught_up(self) -> None:
        self.ready.set()


class SourceRunner:
    """One source's thread: `run` is its body; `stop` ends it, `ready` once it has caught up
    (or failed, or another process runs it: the hub then serves what the database has),
    `status` for /v1/health.

    `remake`, when given, makes the source afresh each time this process takes
    its lease after having lost it: another process ran it meanwhile, and a
    source keeps what it read in memory. Without it, the same object runs again."""

    def __init__(
        self,
        store: HubStore,
        source: Source,
        status_name: str | None = None,
        remake: Callable[[], Source] | None = None,
        lease_s: float = LEASE_S,
    ) -> None:
        self.store, self.source, self.remake = store, source, remake
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.status = WriterStatus(status_name or source.name)
        self.lease = Lease(store, source.name, process_tag(), lease_s)
        self.lost = False  # the lease was lost since the source last ran
        self.done = threading.Event()  # `run` has returned, its lease released

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                if not self._take():
                    self.status.standby(self.lease.holder)
                    self.ready.set()  # another process feeds the database: serve it
                    self.stop.wait(self.lease.lease_s / 3)
                    continue
                if self.lost and self.remake is not None:
                    self.source = self.remake()
                self.lost = False
                self._term()
            self.lease.release()
        finally:
            self.ready.set()
            self.done.set()

    def _take(self) -> bool:
        try:
            return self.lease.take()
        except Exception as exc:  # the database unreachable: said in health, tried again at the next look
            self.status.failed(exc, self.store.clock())
            log.warning("source %s: its lease could not be looked at: %s", self.source.name, type(exc).__name__)
            return False

    def _keep_problem(self, exc: Exception) -> None:
        """The source's error, kept in the database for `floorview hub status` (which other
        processes and the command line read; /v1/health says only this process's)."""
        try:
            self.store.source_problem(self.source.name, f"{type(exc).__name__}: {error_line(exc)}", self.store.clock())
        except Exception as kept:  # noqa: BLE001 - the database may be the trouble itself
            log.warning("source %s: its problem could not be kept: %s", self.source.name, type(kept).__name__)

    def _term(self) -> None:
        """Run the source while this process holds its lease, renewing it."""
        term = threading.Event()  # ends the source's run: stopping, or the lease lost
        sink = StoreSink(self.store, self.source.name, self.status, self.ready, self.lease.owner)

        def renew() -> None:  # every third of the lease; ends the term when stopping or the lease is lost
            held_until = time.monotonic() + self.lease.lease_s  # taken just now
            due = time.monotonic() + self.lease.lease_s / 3
            while not term.wait(0.1):
                if self.stop.is_set():
                    term.set()
                    continue
                if time.monotonic() < due:
                    continue
                try:
                    renewed: bool | None = self.lease.take()
                except Exception as exc:  # noqa: BLE001 - e.g. the lock held past the busy timeout by a long write
                    log.info("source %s: its lease not renewed yet (%s)", self.source.name, type(exc).__name__)
                    renewed = None
                if renewed:
                    held_until = time.monotonic() + self.lease.lease_s
                    due = time.monotonic() + self.lease.lease_s / 3
                elif renewed is False or time.monotonic() >= held_until:
                    # Another process holds it, or ours ran out while we could not renew it.
                    log.warning("source %s: its lease was lost; standing by", self.source.name)
                    self.lost = True
                    term.set()
                else:
                    due = time.monotonic() + 0.5  # not renewed, still ours: try again soon

        def work() -> None:
            try:
                self.source.run(sink, term)
            except LeaseLost:
                self.lost = True
                term.set()
            except Exception as exc:
                self._keep_problem(exc)
                raise  # supervise logs it, says it in health and starts the source again
            finally:
                if not self.lost:
                    self.ready.set()  # also on failure: the hub still serves what it has

        renewer = threading.Thread(target=renew, name=f"lease-{self.source.name}", daemon=True)
        renewer.start()
        supervise(work, self.status, term)
        term.set()
        renewer.join()
        if self.lost:
            self.status.standby(self.lease.holder)
