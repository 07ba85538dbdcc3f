"""The contract between a source and the hub that runs it.

A source (`Source`) reads its platform and hands feed changes (the change
dicts of docs/feed-protocol.md: kind, id, version, op, data) to a `Sink`,
each batch with the source's resume point: an opaque JSON value only the
source reads back. The hub's sink writes the batch's records and the resume
point in one transaction, so after a crash at any moment the stored resume
point names what the records hold: a source restarted from it neither loses
nor doubles a record.

A batch may instead leave the stored point where it is (`resume=KEEP`), when
making the point costs more than the batch (the queue_log mapper's state is
megabytes on a big floor, and a live source writes every few tenths of a
second). The records then run ahead of the point, and that is safe only for
a source that, restarted from the point, writes the same changes again at
the same versions: the hub ignores a version not above the stored one, so
they are neither doubled nor made older. Its counters (`read`, `unmapped`)
wait for the next batch that moves the point, so they are not counted twice.

The hub runs `source.run(sink, stop)` in a thread and starts it again, with
backoff, when it raises (hub/supervise.py); `run` returns once `stop` is
set. A batch that failed to write is the source's to keep and write again
(a version not above the stored one is ignored, so writing it twice is
harmless).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

Change = Mapping[str, Any]  # a feed change: kind, id, version, op, data
JSON = Any  # a resume point: anything json.dumps takes, opaque to the hub


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()  # as a batch's resume point: the one stored stands (see the module)


class Sink(Protocol):
    """What the hub gives a source to write through."""

    def resume_point(self) -> JSON | None:
        """The resume point of the last batch written (None: the source never wrote)."""
        ...

    def write(
        self,
        changes: Sequence[Change],
        *,
        resume: JSON,
        unmapped: Mapping[str, Sequence[str]] | None = None,
        last_record_at: float | None = None,
        read: int = 0,
    ) -> int:
        """Write `changes` and `resume` (or KEEP) in one transaction; returns the records written.

        `unmapped`: what the source read in this batch and could not map, as
        {reason: [one short example per item]} (counted by reason, a few
        examples kept). `last_record_at`: the platform's time (epoch seconds)
        of the newest record in the batch, for the source's lag. `read`: the
        lines or events read from the platform for this batch (counted)."""
        ...

    def caught_up(self) -> None:
        """The platform's history so far is written: the hub may announce itself as live."""
        ...


class Source(Protocol):
    """A platform's data as feed changes."""

    @property
    def name(self) -> str:
        """Names the source's row (resume point, counters) in the hub's database."""
        ...

    def run(self, sink: Sink, stop: threading.Event) -> None:
        """Read from the resume point on, writing batches to `sink`, until `stop` is set."""
        ...
