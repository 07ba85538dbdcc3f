"""The idempotent apply of feed changes (protocol rules 2, 4, 5 and 6).

`apply_changes` runs inside the caller's transaction, so a page and its
cursor commit together (rule 1). For each (kind, id) a change whose version
is not above the stored one, live or tombstoned, is ignored; data that fails
validation goes to quarantine with the reason; unknown kinds are counted.
Interactions also keep the per-minute and per-interval sums current by
subtracting what the old version contributed and adding the new.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from floorview.domain import feed
from floorview.domain.metrics import (
    COUNT_COLUMNS,
    INTERVAL,
    MINUTE,
    Counts,
    QueueSettings,
    contribution,
)
from floorview.store import schema

RAW_LIMIT = 64 * 1024


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
    d = model.model_dump()
    for key, value in list(d.items()):
        if isinstance(value, datetime):
            d[key] = value.timestamp()
        elif isinstance(value, date):
            d[key] = value.isoformat()
    if kind == "queue" and d.get("forecast") is not None:
        d["forecast"] = json.dumps(model.model_dump(mode="json")["forecast"])
    if kind == "customer":
        d["behavior"] = (
            json.dumps(model.behavior.model_dump(exclude_none=True)) if model.behavior else None
        )
    if kind == "agent":
        d.pop("queues")
    return d


class Applier:
    """Applies changes on one connection; caches queue settings for the aggregates."""

    def __init__(self, conn: Connection, now: float) -> None:
        self.conn = conn
        self.now = now
        self._settings: dict[str, QueueSettings] = {}

    # -- versions ---------------------------------------------------------
    def stored_version(self, kind: str, table: type, rid: str) -> int:
        live = self.conn.execute(select(table.version).where(table.id == rid)).scalar()
        if live is not None:
            return live
        dead = self.conn.execute(
            select(schema.Tombstone.version).where(
                schema.Tombstone.kind == kind, schema.Tombstone.id == rid
            )
        ).scalar()
        return dead or 0

    # -- the entry point -------------------------------------------------------
    def apply(self, changes: Iterable[Mapping[str, Any] | feed.Change]) -> ApplyResult:
        result = ApplyResult()
        for raw in changes:
            change = raw if isinstance(raw, feed.Change) else feed.Change.model_validate(raw)
            self.apply_one(change, result)
        return result

    def apply_one(self, change: feed.Change, result: ApplyResult) -> None:
        model_cls = feed.KINDS.get(change.kind)
        if model_cls is None:
            result.unknown += 1
            self._count_unknown()
            return
        table = schema.RECORD_TABLES[change.kind]
        if change.version <= self.stored_version(change.kind, table, change.id):
            result.ignored += 1
            return
        if change.op == "delete":
            self._delete(change.kind, table, change.id, change.version)
            result.applied += 1
            return
        try:
            model = model_cls.model_validate(change.data or {})
        except ValidationError as exc:
            self.quarantine(change, exc)
            result.quarantined += 1
            return
        self._upsert(change.kind, table, change.id, change.version, model)
        result.applied += 1

    # -- writes ---------------------------------------------------------------
    def _upsert(self, kind: str, table: type, rid: str, version: int, model: Any) -> None:
        values = row_values(kind, model)
        old = None
        if kind == "interaction":
            old = self._interaction_row(rid)
        elif kind == "queue":
            old = self._stored_settings(rid)
        stmt = sqlite_insert(table).values(id=rid, version=version, **values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["id"], set_={"version": version, **values}
        )
        self.conn.execute(stmt)
        self.conn.execute(
            delete(schema.Tombstone).where(schema.Tombstone.kind == kind, schema.Tombstone.id == rid)
        )
        if kind == "agent":
            self.conn.execute(delete(schema.AgentQueue).where(schema.AgentQueue.agent_id == rid))
            queues = list(dict.fromkeys(model.queues))
            if queues:
                self.conn.execute(
                    insert(schema.AgentQueue), [{"agent_id": rid, "queue_id": q} for q in queues]
                )
        elif kind == "interaction":
            if old is not None:
                self._aggregate(old, -1)
            self._aggregate({"queue_id": model.queue_id, **values}, +1)
        elif kind == "queue":
            new = QueueSettings(model.sl_threshold_s, model.sl_target, model.short_abandon_s)
            self._settings[rid] = new
            # Sums depend on the threshold and the short-abandon limit; interactions
            # that arrived before their queue were counted with the defaults.
            if old is None or (old.sl_threshold_s, old.short_abandon_s) != (
                new.sl_threshold_s,
                new.short_abandon_s,
            ):
                rebuild_aggregates(self.conn, [rid])

    def _delete(self, kind: str, table: type, rid: str, version: int) -> None:
        if kind == "interaction":
            old = self._interaction_row(rid)
            if old is not None:
                self._aggregate(old, -1)
        self.conn.execute(delete(table).where(table.id == rid))
        stmt = sqlite_insert(schema.Tombstone).values(kind=kind, id=rid, version=version)
        self.conn.execute(
            stmt.on_conflict_do_update(index_elements=["kind", "id"], set_={"version": version})
        )
        if kind == "queue":
            self._settings.pop(rid, None)

    def quarantine(self, change: feed.Change, exc: ValidationError) -> None:
        raw = json.dumps(change.data, default=str)[:RAW_LIMIT]
        self.conn.execute(
            insert(schema.Quarantine).values(
                kind=change.kind,
                record_id=change.id,
                version=change.version,
                reason=_reason(exc),
                raw=raw,
                received_at=self.now,
            )
        )

    def _count_unknown(self) -> None:
        ensure_sync_state(self.conn)
        self.conn.execute(
            update(schema.SyncState)
            .where(schema.SyncState.id == 1)
            .values(unknown_kinds=schema.SyncState.unknown_kinds + 1)
        )

    # -- aggregates -------------------------------------------------------------
    def _interaction_row(self, rid: str) -> dict | None:
        t = schema.Interaction
        row = self.conn.execute(
            select(
                t.queue_id, t.enqueued_at, t.answered_at, t.abandoned_at, t.ended_at, t.wrap_s
            ).where(t.id == rid)
        ).first()
        return dict(row._mapping) if row else None

    def _stored_settings(self, queue_id: str) -> QueueSettings | None:
        q = schema.Queue
        row = self.conn.execute(
            select(q.sl_threshold_s, q.sl_target, q.short_abandon_s).where(q.id == queue_id)
        ).first()
        return QueueSettings(*row) if row else None

    def settings(self, queue_id: str) -> QueueSettings:
        s = self._settings.get(queue_id)
        if s is None:
            s = self._stored_settings(queue_id) or QueueSettings()
            self._settings[queue_id] = s
        return s

    def _aggregate(self, row: Mapping[str, Any], sign: int) -> None:
        c = contribution(
            row["enqueued_at"],
            row["answered_at"],
            row["abandoned_at"],
            row["ended_at"],
            row["wrap_s"],
            self.settings(row["queue_id"]),
        )
        add_counts(self.conn, row["queue_id"], row["enqueued_at"], c, sign)



def add_counts(conn: Connection, queue_id: str, at: float, c: Counts, sign: int) -> None:
    deltas = {name: sign * value for name, value in zip(COUNT_COLUMNS, c.as_tuple())}
    for table, key, width in (
        (schema.QueueMinute, "minute", MINUTE),
        (schema.QueueInterval, "interval", INTERVAL),
    ):
        bucket = int(at // width)
        stmt = sqlite_insert(table).values(queue_id=queue_id, **{key: bucket}, **deltas)
        stmt = stmt.on_conflict_do_update(
            index_elements=[key, "queue_id"],
            set_={name: getattr(table, name) + stmt.excluded[name] for name in COUNT_COLUMNS},
        )
        conn.execute(stmt)


def rebuild_aggregates(conn: Connection, queue_ids: list[str] | None = None) -> None:
    """Recompute the sums from the interactions, for some queues or all.

    The same definitions as `metrics.contribution`, in SQL; a test holds the two equal.
    """
    where, params = "", ()
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
    conn.execute(
        sqlite_insert(schema.SyncState).values(id=1).on_conflict_do_nothing(index_elements=["id"])
    )


def _reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "data"
        parts.append(f"{where}: {err['msg']}")
    more = exc.error_count() - 5
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)
