"""Running sources (floorview/sources/) in the hub: each in a thread of its
own, started again with backoff after an error (supervise.py), writing
through a `StoreSink` that commits its records and its resume point in one
transaction (HubStore.write's `resume`)."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from floorview.hub.hubstore import HubStore
from floorview.hub.supervise import WriterStatus, supervise
from floorview.sources.base import JSON, Change, Sink, Source


class StoreSink(Sink):
    """The hub's sink for one source: its writes go to the store with its resume point."""

    def __init__(self, store: HubStore, name: str, status: WriterStatus, ready: threading.Event) -> None:
        self.store, self.name, self.status, self.ready = store, name, status, ready

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
        written = self.store.write(changes, resume=(self.name, resume, counters))
        self.status.ok()
        return written

    def caught_up(self) -> None:
        self.ready.set()


class SourceRunner:
    """One source's thread: `run` is its body; `stop` ends it, `ready` once it has caught up
    (or failed: the hub then serves what it has), `status` for /v1/health."""

    def __init__(self, store: HubStore, source: Source, status_name: str | None = None) -> None:
        self.source = source
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.status = WriterStatus(status_name or source.name)
        self.sink = StoreSink(store, source.name, self.status, self.ready)

    def run(self) -> None:
        try:
            supervise(self._work, self.status, self.stop)
        finally:
            self.ready.set()

    def _work(self) -> None:
        try:
            self.source.run(self.sink, self.stop)
        finally:
            self.ready.set()  # also on failure: the hub still serves what it has
