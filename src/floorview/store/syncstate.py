"""What the sync keeps in the store besides records: the cursor and how the
last attempt went, the 410 reset, and the outbox of local writes."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select, update

from floorview.store import schema
from floorview.store.apply import ensure_sync_state


def cursor(conn: Connection) -> str | None:
    return conn.execute(select(schema.SyncState.cursor).where(schema.SyncState.id == 1)).scalar()


def save_page_position(conn: Connection, new_cursor: str, now: float, source: str) -> None:
    """The cursor, committed with the page it follows (protocol rule 1)."""
    ensure_sync_state(conn)
    conn.execute(
        update(schema.SyncState)
        .where(schema.SyncState.id == 1)
        .values(cursor=new_cursor, last_success_at=now, last_error=None, last_error_at=None, source=source)
    )


def record_error(conn: Connection, message: str, now: float) -> None:
    ensure_sync_state(conn)
    conn.execute(
        update(schema.SyncState).where(schema.SyncState.id == 1).values(last_error=message, last_error_at=now)
    )


def forget_synced(conn: Connection) -> None:
    """410: drop everything that came from the hub, keep what is ours and unpushed."""
    pending = select(schema.Outbox.note_id)
    for table in (schema.Queue, schema.Agent, schema.Interaction, schema.Customer, schema.Survey):
        conn.execute(delete(table))
    conn.execute(delete(schema.Note).where(schema.Note.id.not_in(pending)))
    for table in (schema.AgentQueue, schema.Tombstone, schema.QueueMinute, schema.QueueInterval):
        conn.execute(delete(table))
    ensure_sync_state(conn)
    conn.execute(update(schema.SyncState).where(schema.SyncState.id == 1).values(cursor=None))


@dataclass(frozen=True)
class OutboxEntry:
    seq: int
    note_id: str
    op: str  # "put" or "delete"
    body: dict | None
    base_version: int


def pending(conn: Connection) -> list[OutboxEntry]:
    """Local writes still to push, oldest first."""
    o = schema.Outbox
    rows = conn.execute(
        select(o.seq, o.note_id, o.op, o.body, o.base_version).where(o.state == "pending").order_by(o.seq)
    ).all()
    return [OutboxEntry(r.seq, r.note_id, r.op, json.loads(r.body) if r.body else None, r.base_version) for r in rows]


def pushed(conn: Connection, entry: OutboxEntry, version: int) -> None:
    """The hub took it: the entry goes, the local note takes the hub's version."""
    conn.execute(delete(schema.Outbox).where(schema.Outbox.seq == entry.seq))
    if entry.op == "put":
        conn.execute(update(schema.Note).where(schema.Note.id == entry.note_id).values(version=version))
        # Later edits of the same note were based on the version we just replaced.
        conn.execute(
            update(schema.Outbox)
            .where(schema.Outbox.note_id == entry.note_id, schema.Outbox.state == "pending")
            .values(base_version=version)
        )


def park(conn: Connection, entry: OutboxEntry, state: str, detail: str) -> None:
    """A conflict or a rejection: kept, visible, waiting for the person to decide."""
    conn.execute(update(schema.Outbox).where(schema.Outbox.seq == entry.seq).values(state=state, detail=detail))
