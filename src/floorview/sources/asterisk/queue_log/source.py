"""Asterisk's queue_log as a source (sources/base.py): the file, followed as
Asterisk writes it (`QueueLogSource`), or the realtime table (`QueueLogTableSource`).

Lines or rows become events, events become feed changes (`QueueLogMapper`),
and a record changed several times between two writes is written once, at
its newest version. A run always starts from the resume point the hub has
stored (read back through the sink): the reader's position and the mapper's
state after what it names, so a restart after a crash, or after a write
that failed, reads again what was not committed, and nothing is lost or
written twice.

History is read in batches of thousands of lines (the first, then
`BACKFILL_BATCH_BYTES`, about twenty-five thousand), each written with its
resume point in one transaction; once at the end of it the source tells the
hub it has caught up. Then it looks for new lines every `poll_s` (0.1 s) and
writes what it finds at once: a line appended reaches the hub within a few
tenths of a second. These live writes carry the resume point at most every
`CHECKPOINT_S`, with a heartbeat when nothing happens (`HEARTBEAT_S`, so
`floorview hub status` can tell a quiet source from a stopped one) and with
the last write before a stop: the mapper's state is about 2 MB of JSON on a
2,000-agent floor, and making it for every poll cost a live hub a sixth of a
core. The writes between carry the records alone (`resume=KEEP`,
sources/base.py). After a crash the source reads again up to `CHECKPOINT_S`
of lines, and the mapper, being pure, makes the same changes at the same
versions from the same state: the hub ignores what it holds already, so
nothing is doubled, and the lines and what could not be mapped are counted
once, with the next resume point.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from floorview.sources.asterisk.queue_log.events import BadLine, QueueLogEvent, parse_line
from floorview.sources.asterisk.queue_log.follow import BATCH_BYTES, Position, QueueLogFollower
from floorview.sources.asterisk.queue_log.mapper import QueueLogMapper
from floorview.sources.asterisk.settings import AsteriskSettings
from floorview.sources.base import JSON, KEEP, Sink

log = logging.getLogger(__name__)

POLL_S = 0.1
WRITE_GAP_S = 0.3  # live: a batch with no line (a bad one, a rotation) is written with others this long
HEARTBEAT_S = 10.0
CHECKPOINT_S = 10.0  # live: the resume point goes with a write at most this often (the module)
# A backfill's batches after its first: about 25,000 lines, each a write (the follower's own
# 256 KiB make a write every 3,000 lines, and a third of what they write are records written
# again a batch later; each write also carries the mapper's state, 2 MB of JSON on the large
# floor). Not larger: a write holds the database's lock, and the lease's renewal (hub/leases.py)
# waits for it for 5 s at most. On the large floor a 2 MiB write takes about 0.8 s (1 MiB took
# 1.5 s before the write path was made cheaper; a loaded machine, several times that), and the
# write path spends a third less CPU per line than at 1 MiB (issue 13's benchmark's batches).
BACKFILL_BATCH_BYTES = 2 * 1024 * 1024
RESUME_FORMAT = 1


class _Read(Protocol):
    """A batch from a reader: events, what could not be read, the position after them."""

    events: list[QueueLogEvent]
    bad: list[tuple[str, str]]
    read: int
    at_end: bool
    position: JSON


class _Reader(Protocol):
    def read(self) -> _Read: ...

    def close(self) -> None: ...


class _Lines:
    """The follower's lines parsed into events. `backfill_bytes`: the batch size once more than
    a batch is waiting (a backfill, a burst), back to the follower's own at the end of the file."""

    def __init__(self, follower: QueueLogFollower, backfill_bytes: int | None = None) -> None:
        self.follower = follower
        self.small, self.large = follower.batch_bytes, backfill_bytes or follower.batch_bytes

    def read(self) -> _Read:
        batch = self.follower.read()
        # The first batch stays small (a backfill's first write comes soon); the next ones are
        # large: fewer writes, each record written once for all its changes in a batch, and the
        # mapper's state with it.
        self.follower.batch_bytes = self.small if batch.at_end else self.large
        out = _Batch([], list(batch.notices), len(batch.lines), batch.at_end, None)
        for line in batch.lines:
            try:
                out.events.append(parse_line(line))
            except BadLine as exc:
                out.bad.append((str(exc), line))
        out.position = None if batch.position is None else batch.position.to_json()
        return out

    def close(self) -> None:
        self.follower.close()


class _Batch:
    def __init__(
        self, events: list[QueueLogEvent], bad: list[tuple[str, str]], read: int, at_end: bool, position: JSON
    ) -> None:
        self.events, self.bad, self.read, self.at_end, self.position = events, bad, read, at_end, position


class _QueueLogRun:
    """What the file and the table sources share: the loop from the resume point on."""

    kind = ""
    poll_s = POLL_S
    checkpoint_s = CHECKPOINT_S

    def __init__(self, settings: AsteriskSettings, name: str, agents: bool = True) -> None:
        self.settings, self._name = settings, name
        self.agents = agents  # False: no agent records (an AMI source owns them; the mapper's `agents`)
        self.mapper: QueueLogMapper | None = None  # the running mapper (tests read it)

    @property
    def name(self) -> str:
        return self._name

    def _reader(self, position: JSON) -> _Reader:
        raise NotImplementedError

    def _point(self, position: JSON, mapper: QueueLogMapper) -> dict[str, Any]:
        """The resume point after what `mapper` was fed: the reader's position and the mapper's state."""
        return {
            "format": RESUME_FORMAT,
            "kind": self.kind,
            "position": position,
            "mapper": mapper.state(),
            "asterisk": mapper.version,  # for `floorview hub status`
        }

    def run(self, sink: Sink, stop: threading.Event) -> None:
        point = sink.resume_point()
        position: JSON = None
        state: object = None
        if isinstance(point, dict) and point.get("format") == RESUME_FORMAT and point.get("kind") == self.kind:
            position, state = point.get("position"), point.get("mapper")
        elif point is not None:
            log.warning("source %s: its stored resume point is not one of ours; reading from the start", self.name)
        mapper = self.mapper = QueueLogMapper(self.settings, state, agents=self.agents)
        if not self.agents:
            log.info("source %s: writes no agent records (another source, AMI, writes them)", self.name)
        reader = self._reader(position)
        caught_up = False
        last_write = -math.inf
        version = mapper.version
        # Read but not written yet: a record changed several times is written once, at its newest
        # (the hub keeps only that: about a third of a backfill's changes).
        pending: dict[tuple[str, str], dict[str, Any]] = {}
        read = 0  # lines read since the last write
        counted = 0  # lines read since the last resume point was written (counted with the next)
        last_point = -math.inf  # when the last resume point was written
        ahead = False  # records written since the last resume point

        def write(at: Position, point: bool) -> None:  # what is pending; `point`: with the resume point `at`
            nonlocal counted, last_point, ahead
            if point:
                sink.write(
                    list(pending.values()),
                    resume=self._point(at, mapper),
                    unmapped=mapper.take_unmapped(),
                    last_record_at=mapper.newest,
                    read=counted,
                )
                counted, last_point, ahead = 0, time.monotonic(), False
            else:
                sink.write(list(pending.values()), resume=KEEP, last_record_at=mapper.newest)
                ahead = True

        try:
            while not stop.is_set():
                batch = reader.read()
                for event in batch.events:
                    for change in mapper.feed(event):
                        key = (change["kind"], change["id"])
                        if key not in pending or change["version"] >= pending[key]["version"]:
                            pending[key] = change
                for reason, example in batch.bad:
                    mapper.bad_line(reason, example)
                read += batch.read
                counted += batch.read
                now = time.monotonic()
                new = bool(read or batch.bad or batch.position != position)
                # Lines are written as they are read (live, a poll's worth); what moved only the
                # position or was not a line waits up to WRITE_GAP_S. Until caught up every write
                # carries the resume point; then one every checkpoint_s (written alone if the
                # floor went quiet meanwhile), and a heartbeat.
                due = new and (not batch.at_end or now - last_write >= WRITE_GAP_S)
                quiet = now - last_write >= HEARTBEAT_S or (ahead and now - last_point >= self.checkpoint_s)
                if due or quiet:
                    write(batch.position, not caught_up or not due or now - last_point >= self.checkpoint_s)
                    position, last_write, pending, read = batch.position, now, {}, 0
                if mapper.version != version:
                    version = mapper.version
                    log.info("source %s: the queue_log reads as Asterisk %s", self.name, version)
                if batch.at_end:
                    if not caught_up and not pending and not read:
                        caught_up = True
                        sink.caught_up()
                    if stop.wait(self.poll_s) and (pending or read or ahead or counted):
                        write(batch.position, True)  # stopping: what was read goes in, with its point
        finally:
            reader.close()


class QueueLogSource(_QueueLogRun):
    """Asterisk's queue_log file (/var/log/asterisk/queue_log), from its start (on a first start
    with `backfill_rotated`, after its rotations, oldest first: follow.py), then as it grows.
    `rotated_dir`: where logrotate puts the rotations (its `olddir`), if not beside the file."""

    kind = "file"

    def __init__(
        self,
        path: Path | str,
        settings: AsteriskSettings,
        name: str = "asterisk-queue-log",
        poll_s: float = POLL_S,
        batch_bytes: int | None = None,
        agents: bool = True,
        backfill_rotated: bool = True,
        rotated_dir: Path | str | None = None,
    ) -> None:
        super().__init__(settings, name, agents)
        self.path, self.poll_s, self.batch_bytes = Path(path), poll_s, batch_bytes
        self.backfill_rotated, self.rotated_dir = backfill_rotated, rotated_dir

    def _reader(self, position: JSON) -> _Reader:
        pos = Position.from_json(position)
        if position is not None and pos is None:
            log.warning("source %s: its stored file position is not one; reading from the start", self.name)
        follower = QueueLogFollower(
            self.path,
            pos,
            self.batch_bytes or BATCH_BYTES,
            backfill_rotated=self.backfill_rotated,
            rotated_dir=self.rotated_dir,
        )
        return _Lines(follower, BACKFILL_BATCH_BYTES if self.batch_bytes is None else None)


class QueueLogTableSource(_QueueLogRun):
    """Asterisk's realtime queue_log table, read through SQLAlchemy from `url` (which may hold a
    password: it is never logged, and the engine is made here, in the source's thread)."""

    kind = "table"

    def __init__(
        self,
        url: str,
        settings: AsteriskSettings,
        table: str = "queue_log",
        time_zone: str = "",
        name: str = "asterisk-queue-log-table",
        poll_s: float = 0.2,
        batch_rows: int | None = None,
        agents: bool = True,
    ) -> None:
        super().__init__(settings, name, agents)
        self._url, self.table, self.time_zone, self.poll_s = url, table, time_zone, poll_s
        self.batch_rows = batch_rows

    def __repr__(self) -> str:  # never the URL
        return f"QueueLogTableSource(name={self.name!r}, table={self.table!r})"

    def _reader(self, position: JSON) -> _Reader:
        from sqlalchemy import create_engine

        from floorview.sources.asterisk.queue_log.table import BATCH_ROWS, QueueLogTable

        engine = create_engine(self._url, pool_pre_ping=True)
        table = QueueLogTable(engine, self.table, self.time_zone, position, self.batch_rows or BATCH_ROWS)
        return _Rows(table, engine)


class _Rows:
    def __init__(self, table: Any, engine: Any) -> None:
        self.table, self.engine = table, engine

    def read(self) -> _Read:
        batch = self.table.read()
        return _Batch(batch.events, batch.bad, batch.read, batch.at_end, batch.position)

    def close(self) -> None:
        self.engine.dispose()
