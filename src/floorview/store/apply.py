"""The idempotent apply of feed changes (protocol rules 2, 4, 5 and 6).

`apply_changes` runs inside the caller's transaction, so a page and its
cursor commit together (rule 1). For each (kind, id) a change whose version
is not above the stored one, live or tombstoned, is ignored; data that fails
validation goes to quarantine with the reason; unknown kinds are counted.
Interactions also keep the per-minute and per-interval sums current by
subtracting what the old version contributed and adding the new.

One bad record never stops the floor (rule 5). The feed's models refuse
what the store cannot hold (domain/feed.py), so a page is written in batches
with no savepoint (an open savepoint makes SQLite journal every statement:
a sixth of the apply's time). Should the store still refuse a record, the
page is refused whole (`StoreRefused`); the caller rolls it back and applies
it again with `careful=True`: each kind's batch in a savepoint and, if the
store refuses it, one record at a time, each in its own savepoint,
quarantining the records the store refuses (the sync does this:
`Syncer._apply`). A fault of the store itself (disk full, locked,
read-only) is not a bad record: it stops the page, whose cursor is then not
stored.
"""

from __future__ import annotations

import json
import sqlite3
from functools import lru_cache
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, RowMapping, Select, Table, delete, insert, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute

from floorview.domain import feed
from floorview.domain.metrics import (
    COUNT_COLUMNS,
    INTERVAL,
    MINUTE,
    Counts,
    QueueSettings,
    contribution,
)
from floorview.domain.text import clean
from floorview.store import schema

RAW_LIMIT = 64 * 1024
REASON_LIMIT = 2000


class StoreRefused(Exception):
    """The store refused a record the feed's models passed, on the fast path:
    the transaction holds part of the page. Roll it back and apply the page
    again with `Applier(..., careful=True)`."""


@dataclass(slots=True)
class ApplyResult:
    applied: int = 0
    ignored: int = 0  # stale or repeated versions
    quarantined: int = 0
    unknown: int = 0  # kinds this floorview does not know

    def add(self, other: ApplyResult) -> None:
        self.applied += other.applied
        self.ignored += other.ignored
        self.quarantined += other.quarantined
        self.unknown += other.unknown


def _epoch(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def row_values(kind: str, model: Any) -> dict[str, Any]:
    """The table row for a validated record (without id and version)."""
    d = dict(model.__dict__)  # the validated fields as they are: much cheaper than model_dump()
    for key, value in list(d.items()):
        if isinstance(value, datetime):
            d[key] = value.timestamp()
        elif isinstance(value, date):
            d[key] = value.isoformat()
    if kind == "queue" and d.get("forecast") is not None:
        d["forecast"] = json.dumps(model.model_dump(mode="json")["forecast"])
    if kind == "customer":
        d["behavior"] = json.dumps(model.behavior.model_dump(exclude_none=True)) if model.behavior else None
    if kind == "agent":
        d.pop("queues")
    return d


class Applier:
    """Applies pages of changes on one connection, a kind at a time.

    The result equals applying the changes one by one in any order: for each
    record the highest version wins, live or deleted. Lookups and writes are
    batched per page (one query per kind for the stored versions, one
    executemany per kind for the rows) so a page of a thousand changes costs
    a few dozen statements, not thousands.
    """

    def __init__(self, conn: Connection, now: float, aggregates: bool = True, careful: bool = False) -> None:
        self.conn = conn
        self.now = now
        self.aggregates = aggregates  # off for bulk loads, which rebuild the sums once at the end
        self.careful = careful  # savepoints, and a record the store refuses is quarantined (see the module)
        self._settings: dict[str, QueueSettings] = {}
        self._tombstones: bool | None = None  # whether any exist, asked once per apply

    # -- the entry point -------------------------------------------------------
    def apply(self, changes: Iterable[Mapping[str, Any] | feed.Change]) -> ApplyResult:
        result = ApplyResult()
        best: dict[tuple[str, str], feed.Change] = {}
        for raw in changes:
            if isinstance(raw, feed.Change):
                change = raw
            else:
                try:
                    change = feed.parse_change(raw)
                except (ValidationError, ValueError, TypeError, RecursionError) as exc:
                    self.quarantine_raw((raw, exc))  # its envelope (kind, id, version, op) is unusable
                    result.quarantined += 1
                    continue
            if change.kind not in feed.KINDS:
                result.unknown += 1
                continue
            key = (change.kind, change.id)
            held = best.get(key)
            if held is not None:
                result.ignored += 1  # the lower of two versions in one page
                if held.version >= change.version:
                    continue
            best[key] = change
        if result.unknown:
            self._count_unknown(result.unknown)
        self._tombstones = None
        by_kind: dict[str, list[feed.Change]] = {}
        for (kind, _), change in best.items():
            by_kind.setdefault(kind, []).append(change)
        rebuild: set[str] = set()
        # Queues first: the sums of this page's interactions use their settings.
        for kind in sorted(by_kind, key=lambda k: k != "queue"):
            if self.careful:
                self._apply_guarded(kind, by_kind[kind], result, rebuild)
                continue
            try:
                self._apply_kind(kind, by_kind[kind], result, rebuild)
            except Exception as exc:
                if _store_fault(exc):
                    raise
                raise StoreRefused(f"the store refused a record of kind {kind}: {_fault(exc)}") from exc
        if rebuild and self.aggregates:
            rebuild_aggregates(self.conn, sorted(rebuild))
        return result

    def _apply_guarded(self, kind: str, changes: list[feed.Change], result: ApplyResult, rebuild: set[str]) -> None:
        """A kind's batch in a savepoint; if the store refuses it, the batch again
        one record at a time, quarantining the records it refuses."""
        if self._attempt(kind, changes, result, rebuild) is None:
            return
        for change in changes:
            failure = self._attempt(kind, [change], result, rebuild)
            if failure is not None:
                self.quarantine(change, f"the store could not write it: {_fault(failure)}")
                result.quarantined += 1

    def _attempt(
        self, kind: str, changes: list[feed.Change], result: ApplyResult, rebuild: set[str]
    ) -> Exception | None:
        """Apply in a savepoint; the record fault that rolled it back, or None."""
        part, marks = ApplyResult(), set[str]()
        try:
            with self.conn.begin_nested():
                self._apply_kind(kind, changes, part, marks)
        except Exception as exc:
            if _store_fault(exc):
                raise
            # What this object remembers of the store may be what was rolled back.
            self._settings.clear()
            self._tombstones = None
            return exc
        result.add(part)
        rebuild |= marks
        return None

    def _apply_kind(self, kind: str, changes: list[feed.Change], result: ApplyResult, rebuild: set[str]) -> None:
        table = schema.RECORD_TABLES[kind]
        ids = [c.id for c in changes]
        live = self._versions(select(table.id, table.version), table.id, ids)
        dead = (
            {}
            if not self._any_tombstones()
            else self._versions(
                select(schema.Tombstone.id, schema.Tombstone.version).where(schema.Tombstone.kind == kind),
                schema.Tombstone.id,
                ids,
            )
        )
        upserts: list[tuple[feed.Change, Any]] = []
        deletes: list[feed.Change] = []
        for change in changes:
            if change.version <= max(live.get(change.id, 0), dead.get(change.id, 0)):
                result.ignored += 1
            elif change.op == "delete":
                deletes.append(change)
            else:
                try:
                    upserts.append((change, feed.KINDS[kind].model_validate(change.data or {})))
                except (ValidationError, ValueError, TypeError, ArithmeticError, RecursionError) as exc:
                    self.quarantine(change, exc)
                    result.quarantined += 1
        result.applied += len(upserts) + len(deletes)
        if not upserts and not deletes:
            return
        pairs: set[tuple[str, str]] = set()
        if kind == "interaction" and self.aggregates:
            # What the stored versions contributed goes; new contacts contributed nothing yet.
            stored = [c.id for c, _ in upserts if c.id in live] + [c.id for c in deletes if c.id in live]
            self._subtract_old(stored)
            pairs = self._customer_queues(stored)  # a contact that moves leaves a gap behind it
        if kind == "queue":
            old_settings = self._stored_settings_many([c.id for c, _ in upserts])
        if upserts:
            rows = [{"id": c.id, "version": c.version, **row_values(kind, m)} for c, m in upserts]
            sql, columns = _upsert_sql(kind)
            # The driver's executemany with plain tuples: a page's worth of rows
            # through SQLAlchemy's parameter handling cost a tenth of the sync.
            self.conn.exec_driver_sql(sql, [tuple(r.get(c) for c in columns) for r in rows])
            revived = [c.id for c, _ in upserts if c.id in dead]
            if revived:
                self.conn.execute(
                    delete(schema.Tombstone).where(schema.Tombstone.kind == kind, schema.Tombstone.id.in_(revived))
                )
        if deletes:
            self._tombstones = True
            gone = [c.id for c in deletes]
            for chunk in _chunks(gone):
                self.conn.execute(delete(table).where(table.id.in_(chunk)))
            stmt = sqlite_insert(schema.Tombstone)
            stmt = stmt.on_conflict_do_update(index_elements=["kind", "id"], set_={"version": stmt.excluded.version})
            self.conn.execute(stmt, [{"kind": kind, "id": c.id, "version": c.version} for c in deletes])
        if kind == "agent" and upserts:
            agent_ids = [c.id for c, _ in upserts]
            for chunk in _chunks(agent_ids):
                self.conn.execute(delete(schema.AgentQueue).where(schema.AgentQueue.agent_id.in_(chunk)))
            links = [{"agent_id": c.id, "queue_id": q} for c, m in upserts for q in dict.fromkeys(m.queues)]
            if links:
                self.conn.execute(insert(schema.AgentQueue), links)
        if kind == "queue":
            for c, m in upserts:
                new = QueueSettings(m.sl_threshold_s, m.sl_target, m.short_abandon_s)
                old = old_settings.get(c.id)
                self._settings[c.id] = new
                # Sums depend on the threshold and the short-abandon limit; interactions
                # that arrived before their queue were counted with the defaults.
                if old is None or (old.sl_threshold_s, old.short_abandon_s) != (
                    new.sl_threshold_s,
                    new.short_abandon_s,
                ):
                    rebuild.add(c.id)
            for c in deletes:
                self._settings.pop(c.id, None)
        if kind == "interaction" and self.aggregates and upserts:
            self._flush(rows, +1)  # the new versions' contributions, from the rows just written
        if kind == "interaction" and self.aggregates:
            pairs.update((m.customer_id, m.queue_id) for _, m in upserts if m.customer_id is not None)
            if pairs:
                self.conn.exec_driver_sql(_REPEAT_GAP_SQL + " WHERE customer_id = ? AND queue_id = ?", list(pairs))

    def _any_tombstones(self) -> bool:
        if self._tombstones is None:
            self._tombstones = self.conn.execute(select(schema.Tombstone.id).limit(1)).first() is not None
        return self._tombstones

    def _versions(
        self, query: Select[str, int], id_column: InstrumentedAttribute[str], ids: list[str]
    ) -> dict[str, int]:
        out: dict[str, int] = {}
        for chunk in _chunks(ids):
            out.update((rid, v) for rid, v in self.conn.execute(query.where(id_column.in_(chunk))))
        return out

    # -- aggregates -------------------------------------------------------------
    def _interaction_rows(self, ids: list[str]) -> list[RowMapping]:
        t = schema.Interaction
        query = select(t.queue_id, t.enqueued_at, t.answered_at, t.abandoned_at, t.ended_at, t.wrap_s)
        rows: list[RowMapping] = []
        for chunk in _chunks(ids):
            rows.extend(self.conn.execute(query.where(t.id.in_(chunk))).mappings())
        return rows

    def _customer_queues(self, ids: list[str]) -> set[tuple[str, str]]:
        t = schema.Interaction
        query = select(t.customer_id, t.queue_id).where(t.customer_id.is_not(None))
        out: set[tuple[str, str]] = set()
        for chunk in _chunks(ids):
            out.update((c, q) for c, q in self.conn.execute(query.where(t.id.in_(chunk))) if c is not None)
        return out

    def _subtract_old(self, ids: list[str]) -> None:
        self._flush(self._interaction_rows(ids), -1)

    def _flush(self, rows: Iterable[Mapping[str, Any] | RowMapping], sign: int) -> None:
        """Add (or take away) the rows' contributions, summed per bucket, in two executemanys."""
        sums: dict[tuple[int, int, str], Counts] = {}
        for row in rows:
            c = contribution(
                row["enqueued_at"],
                row["answered_at"],
                row["abandoned_at"],
                row["ended_at"],
                row["wrap_s"],
                self.settings(row["queue_id"]),
            )
            for which, width in ((0, MINUTE), (1, INTERVAL)):
                key = (which, int(row["enqueued_at"] // width), row["queue_id"])
                held = sums.get(key)
                if held is None:
                    sums[key] = held = Counts()
                held.add(c, sign)
        for which, (table, column) in enumerate(((schema.QueueMinute, "minute"), (schema.QueueInterval, "interval"))):
            values = [
                {column: bucket, "queue_id": qid, **dict(zip(COUNT_COLUMNS, c.as_tuple()))}
                for (w, bucket, qid), c in sums.items()
                if w == which
            ]
            if values:
                stmt = sqlite_insert(table)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[column, "queue_id"],
                    set_={name: getattr(table, name) + stmt.excluded[name] for name in COUNT_COLUMNS},
                )
                self.conn.execute(stmt, values)

    def _stored_settings_many(self, ids: list[str]) -> dict[str, QueueSettings]:
        q = schema.Queue
        out = {}
        for chunk in _chunks(ids):
            for rid, thr, target, short in self.conn.execute(
                select(q.id, q.sl_threshold_s, q.sl_target, q.short_abandon_s).where(q.id.in_(chunk))
            ):
                out[rid] = QueueSettings(thr, target, short)
        return out

    def settings(self, queue_id: str) -> QueueSettings:
        s = self._settings.get(queue_id)
        if s is None:
            s = self._stored_settings_many([queue_id]).get(queue_id) or QueueSettings()
            self._settings[queue_id] = s
        return s

    # -- set aside ----------------------------------------------------------------
    # Everything written here is made storable and inert: a quarantine row that
    # could not be written would stop the page as surely as the record itself.
    def quarantine(self, change: feed.Change, why: Exception | str) -> None:
        self.conn.execute(
            insert(schema.Quarantine).values(
                kind=_label(change.kind, 64),
                record_id=_label(change.id, 128),
                version=change.version if type(change.version) is int and 0 <= change.version < 2**63 else 0,
                reason=_reason(why),
                raw=_raw_json(change.data),
                received_at=self.now,
            )
        )

    def quarantine_raw(self, bad: tuple[Any, Exception]) -> None:
        """A change whose envelope (kind, id, version, op) is unusable."""
        raw, exc = bad
        get = raw.get if isinstance(raw, dict) else (lambda _k, d=None: d)
        kind, rid, version = get("kind", "?"), get("id", "?"), get("version", 0)
        self.conn.execute(
            insert(schema.Quarantine).values(
                kind=_label(kind, 64),
                record_id=_label(rid, 128),
                version=version if type(version) is int and abs(version) < 2**63 else 0,
                reason=_reason(exc),
                raw=_raw_json(raw),
                received_at=self.now,
            )
        )

    def _count_unknown(self, n: int) -> None:
        ensure_sync_state(self.conn)
        self.conn.execute(
            update(schema.SyncState)
            .where(schema.SyncState.id == 1)
            .values(unknown_kinds=schema.SyncState.unknown_kinds + n)
        )


_KEPT_BY_THE_STORE = {"repeat_gap_s"}  # derived columns: not in the feed, not overwritten by it


@lru_cache(maxsize=None)
def _upsert_sql(kind: str) -> tuple[str, tuple[str, ...]]:
    """INSERT ... ON CONFLICT for a kind's table, keeping the higher version."""
    table = schema.RECORD_TABLES[kind].__table__
    assert isinstance(table, Table)  # a model's table; declared as any FROM clause
    columns = tuple(c.name for c in table.columns if c.name not in _KEPT_BY_THE_STORE)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        f" ON CONFLICT (id) DO UPDATE SET {updates} WHERE excluded.version > {table.name}.version"
    )
    return sql, columns


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# Each contact's gap since the same customer's previous contact on the same queue:
# one covering seek in ix_interaction_customer_id_queue_id_enqueued_at per contact.
_REPEAT_GAP_SQL = (
    "UPDATE interaction SET repeat_gap_s = enqueued_at - (SELECT max(p.enqueued_at) FROM interaction p"
    " WHERE p.customer_id = interaction.customer_id AND p.queue_id = interaction.queue_id"
    " AND p.enqueued_at < interaction.enqueued_at)"
)


def rebuild_repeat_gaps(conn: Connection) -> None:
    """Every contact's repeat gap, from scratch (bulk loads, the migration that adds it)."""
    conn.exec_driver_sql(_REPEAT_GAP_SQL + " WHERE customer_id IS NOT NULL")


def rebuild_aggregates(conn: Connection, queue_ids: list[str] | None = None) -> None:
    """Recompute the sums from the interactions, for some queues or all.

    The same definitions as `metrics.contribution`, in SQL; a test holds the two equal.
    """
    where = ""
    params: tuple[str, ...] = ()
    if queue_ids is not None:
        where = f"WHERE queue_id IN ({', '.join('?' * len(queue_ids))})"
        params = tuple(queue_ids)
    for table, key, width in (("queue_minute", "minute", MINUTE), ("queue_interval", "interval", INTERVAL)):
        conn.exec_driver_sql(f"DELETE FROM {table} {where}", params)
        conn.exec_driver_sql(
            f"""
            INSERT INTO {table} (queue_id, {key}, {", ".join(COUNT_COLUMNS)})
            SELECT i.queue_id, CAST(i.enqueued_at / {width} AS INTEGER),
              count(*),
              sum(i.answered_at IS NOT NULL),
              sum(i.answered_at IS NOT NULL
                  AND max(0, i.answered_at - i.enqueued_at) <= coalesce(q.sl_threshold_s, 20)),
              total(CASE WHEN i.answered_at IS NOT NULL THEN max(0, i.answered_at - i.enqueued_at) END),
              sum(i.answered_at IS NULL AND i.abandoned_at IS NOT NULL
                  AND max(0, i.abandoned_at - i.enqueued_at) >= coalesce(q.short_abandon_s, 5)),
              sum(i.answered_at IS NULL AND i.abandoned_at IS NOT NULL
                  AND max(0, i.abandoned_at - i.enqueued_at) < coalesce(q.short_abandon_s, 5)),
              total(CASE WHEN i.answered_at IS NULL AND i.abandoned_at IS NOT NULL
                         THEN max(0, i.abandoned_at - i.enqueued_at) END),
              sum(i.answered_at IS NOT NULL AND i.ended_at IS NOT NULL),
              total(CASE WHEN i.answered_at IS NOT NULL AND i.ended_at IS NOT NULL
                         THEN max(0, i.ended_at - i.answered_at) + coalesce(i.wrap_s, 0) END)
            FROM interaction i LEFT JOIN queue q ON q.id = i.queue_id
            {where.replace("queue_id", "i.queue_id")}
            GROUP BY 1, 2
            """,
            params,
        )


def ensure_sync_state(conn: Connection) -> None:
    conn.execute(sqlite_insert(schema.SyncState).values(id=1).on_conflict_do_nothing(index_elements=["id"]))


def _reason(why: Exception | str) -> str:
    if isinstance(why, ValidationError):
        parts = []
        for err in why.errors()[:5]:
            where = ".".join(str(p) for p in err["loc"]) or "data"
            parts.append(f"{where}: {err['msg']}")
        more = why.error_count() - 5
        if more > 0:
            parts.append(f"and {more} more")
        text = "; ".join(parts)
    elif isinstance(why, Exception):
        text = _fault(why)
    else:
        text = why
    return _storable(text)[:REASON_LIMIT]


def _fault(exc: Exception) -> str:
    """An exception in a line: the driver's own error under SQLAlchemy's wrapper
    (whose text would carry the statement)."""
    inner = exc.orig if isinstance(exc, sa_exc.StatementError) and exc.orig is not None else exc
    try:
        text = str(inner)
    except Exception:  # noqa: BLE001 - a message that cannot even be made into text
        text = ""
    return _storable(f"{type(inner).__name__}: {text}" if text else type(inner).__name__)[:REASON_LIMIT]


def _store_fault(exc: BaseException) -> bool:
    """A fault of the store, not of a record: disk full or I/O, locked, read-only,
    a damaged file, a closed connection, memory. These stop the page (its cursor
    is not stored) rather than quarantine every record of it."""
    if isinstance(exc, (sa_exc.InvalidRequestError, sa_exc.DisconnectionError, MemoryError)):
        return True
    inner = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    return isinstance(inner, (sqlite3.OperationalError, sqlite3.InternalError)) or type(inner) is sqlite3.DatabaseError


def _storable(text: str) -> str:
    """Text that can be stored and shown: control characters removed (rule 6), and
    what UTF-8 cannot encode (a lone surrogate) written as its escape, `\\ud800`."""
    text = clean(text)
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _label(value: Any, limit: int) -> str:
    """A kind or an id as the quarantine can keep it, whatever the hub sent."""
    if not isinstance(value, str):
        try:
            value = json.dumps(value, default=str)
        except (ValueError, TypeError, RecursionError):
            value = type(value).__name__
    return _storable(value[: limit * 2])[:limit]


def _raw_json(value: Any) -> str:
    """The record as JSON (ASCII: surrogates escaped), cut at RAW_LIMIT."""
    try:
        return json.dumps(value, default=str)[:RAW_LIMIT]
    except (ValueError, TypeError, RecursionError) as exc:
        return json.dumps(f"(not kept: {type(exc).__name__})")
