"""Reading Asterisk's realtime queue_log table (logger.conf `queue_log` to a database).

Asterisk's logger inserts one row per event: `time` (a date and time, local
unless `queue_log_realtime_use_gmt=yes`), `callid`, `queuename`, `agent`,
`event`, then the event's parameters either pipe-joined in one `data` column
or split over `data1`..`data5` (`queue_adaptive_realtime`; `data5` keeps the
rest, pipes and all). Which layout a table has is read from the table itself.

Rows are read in (time, id) order from a cursor: the last row read's time and
id when the table has an `id` column, else its time and how many rows at that
time were read already (rows at one time then ordered by all their columns,
so the count names the same rows each time). A row inserted later with a time
before the cursor is not read: with Asterisk writing `now` into each row that
happens only when its clock steps back, or when two writers commit out of order.

On SQLite the time column is read and compared as stored (text, or numbers),
never through a type that would rewrite it: SQLAlchemy's DATETIME would bind
"10:00:00" as "10:00:00.000000", and text comparison would then skip rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, MetaData, Table, and_, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.types import NullType

from floorview.sources.asterisk.queue_log.events import MAX_TIME, QueueLogEvent

BATCH_ROWS = 5000
FIELDS = ("callid", "queuename", "agent", "event")
DATA_N = ("data1", "data2", "data3", "data4", "data5")


class TableError(Exception):
    """The table is not a queue_log table; the message says why."""


@dataclass
class TableBatch:
    events: list[QueueLogEvent]
    position: dict[str, Any] | None  # the cursor after the batch (None: nothing read yet)
    bad: list[tuple[str, str]] = field(default_factory=list)  # (reason, example): rows that are no event
    read: int = 0  # rows read
    at_end: bool = False  # no row past the cursor now


def _cursor_value(value: object) -> dict[str, Any]:
    if isinstance(value, datetime):
        return {"k": "datetime", "v": value.isoformat()}
    if isinstance(value, Decimal):  # a NUMERIC column of epoch seconds: kept exact
        return {"k": "decimal", "v": str(value)}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"k": "number", "v": value}
    return {"k": "text", "v": str(value)}


def _bound(cursor: dict[str, Any]) -> object:
    kind, value = cursor["k"], cursor["v"]
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "decimal":
        return Decimal(value)
    return value


class QueueLogTable:
    """Reads a queue_log table from a cursor on; `read` never blocks for long (one query)."""

    def __init__(
        self,
        engine: Engine,
        table: str = "queue_log",
        time_zone: str = "",
        position: object = None,
        batch_rows: int = BATCH_ROWS,
    ) -> None:
        """`time_zone`: the zone of the time column's values ("" : this machine's local time;
        "UTC" with queue_log_realtime_use_gmt); a value with its own offset keeps it."""
        self.engine, self.table_name, self.batch_rows = engine, table, batch_rows
        self.zone = ZoneInfo(time_zone) if time_zone else None
        self.cursor = position if isinstance(position, dict) and "time" in position else None
        self._table: Table | None = None

    @property
    def position(self) -> dict[str, Any] | None:
        return self.cursor

    def _reflect(self) -> Table:
        schema, _, name = self.table_name.rpartition(".")
        metadata = MetaData()
        try:
            found = Table(name, metadata, autoload_with=self.engine, schema=schema or None)
        except Exception as exc:
            raise TableError(f"cannot read the table {self.table_name}: {type(exc).__name__}") from None
        columns = {c.name.lower(): c.name for c in found.columns}
        missing = [c for c in ("time", *FIELDS) if c not in columns]
        if missing:
            raise TableError(f"the table {self.table_name} is no queue_log table: no column {', '.join(missing)}")
        if "data" in columns:
            self.layout = "data"
        elif all(d in columns for d in DATA_N):
            self.layout = "data1..5"
        else:
            raise TableError(f"the table {self.table_name} has neither a data column nor data1..data5")
        self.columns = columns
        if self.engine.dialect.name == "sqlite":  # the time as stored (see the module)
            found = Table(
                name,
                MetaData(),
                Column(columns["time"], NullType()),
                autoload_with=self.engine,
                schema=schema or None,
            )
        self.id_column = columns.get("id")
        return found

    def read(self) -> TableBatch:
        if self._table is None:
            self._table = self._reflect()
        t = self._table
        cols = self.columns
        time_c = t.c[cols["time"]]
        data_cols = [cols["data"]] if self.layout == "data" else [cols[d] for d in DATA_N]
        wanted = [time_c, *(t.c[cols[f]] for f in FIELDS), *(t.c[d] for d in data_cols)]
        cursor = self.cursor
        if self.id_column is not None:
            id_c = t.c[self.id_column]
            query = select(*wanted, id_c).order_by(time_c, id_c).limit(self.batch_rows)
            if cursor is not None:
                at = _bound(cursor["time"])
                query = query.where(or_(time_c > at, and_(time_c == at, id_c > cursor["id"])))
        else:
            order = [time_c, *(t.c[cols[f]] for f in FIELDS), *(t.c[d] for d in data_cols)]
            query = select(*wanted).order_by(*order).limit(self.batch_rows)
            if cursor is not None:
                query = query.where(time_c >= _bound(cursor["time"])).offset(int(cursor["seen"]))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        batch = TableBatch([], cursor, read=len(rows), at_end=len(rows) < self.batch_rows)
        for row in rows:
            self._row(row, batch)
        if rows:
            last = rows[-1]
            point: dict[str, Any] = {"time": _cursor_value(last[0])}
            if self.id_column is not None:
                point["id"] = last[-1]
            else:
                same = sum(1 for r in rows if r[0] == last[0])
                earlier = cursor is not None and _bound(cursor["time"]) == _bound(point["time"])
                point["seen"] = same + (int(cursor["seen"]) if cursor is not None and earlier else 0)
            self.cursor = batch.position = point
        return batch

    def _row(self, row: Any, batch: TableBatch) -> None:
        raw_time, callid, queue, agent, event = row[0], *(("" if v is None else str(v)) for v in row[1:5])
        if self.layout == "data":
            data = ("" if row[5] is None else str(row[5])).split("|")
        else:
            # data5 keeps the rest, pipes and all; the empty columns past the event's own count are not fields.
            data = "|".join("" if v is None else str(v) for v in row[5:10]).split("|")
            while len(data) > 1 and data[-1] == "":
                data.pop()
        example = "|".join([str(raw_time), callid, queue, agent, event, *data])
        when = self._epoch(raw_time)
        if when is None:
            batch.bad.append(("time is not a date and time", example))
            return
        if not 0 <= when <= MAX_TIME:
            batch.bad.append(("time before 1970 or after 2100", example))
            return
        if not event.strip():
            batch.bad.append(("no event name", example))
            return
        batch.events.append(QueueLogEvent(when, callid, queue, agent, event.strip(), tuple(data)))

    def _epoch(self, value: object) -> float | None:
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            return float(value)  # some schemas keep epoch seconds
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                return None
        if not isinstance(value, datetime):
            return None
        if value.tzinfo is None:
            if self.zone is None:
                return value.timestamp()  # naive: this machine's local time
            value = value.replace(tzinfo=self.zone)
        return value.astimezone(timezone.utc).timestamp()
