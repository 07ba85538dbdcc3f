"""What the sync keeps in the store besides records: the cursor and how the
last attempt went, the 410 reset, the outbox of local writes, and who the
hub says our token is.

Importing this module costs nothing on the screens' start-up path: the
writer's functions import SQLAlchemy when called, and `token_scope` reads
through a plain `sqlite3.Connection` (as `reads.py` does) as well as a
SQLAlchemy one.

The token's identity (`GET /v1/me`, docs/feed-protocol.md) is kept in a
one-row table, `sync_identity` (schema.SyncIdentity), part of the Alembic
schema since migration 0006; it holds nothing that cannot be fetched again,
and a store without a row simply does not know (None). A snapshot written
before 0006 and opened as it is may not have the table: the reads say None.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection


def cursor(conn: Connection) -> str | None:
    from sqlalchemy import select

    from floorview.store import schema

    return conn.execute(select(schema.SyncState.cursor).where(schema.SyncState.id == 1)).scalar()


def save_page_position(conn: Connection, new_cursor: str, now: float, source: str) -> None:
    """The cursor, committed with the page it follows (protocol rule 1)."""
    from sqlalchemy import update

    from floorview.store import schema
    from floorview.store.apply import ensure_sync_state

    ensure_sync_state(conn)
    conn.execute(
        update(schema.SyncState)
        .where(schema.SyncState.id == 1)
        .values(cursor=new_cursor, last_success_at=now, last_error=None, last_error_at=None, source=source)
    )


def record_error(conn: Connection, message: str, now: float) -> None:
    from sqlalchemy import update

    from floorview.store import schema
    from floorview.store.apply import ensure_sync_state

    ensure_sync_state(conn)
    conn.execute(update(schema.SyncState).where(schema.SyncState.id == 1).values(last_error=message, last_error_at=now))


def forget_synced(conn: Connection) -> None:
    """410: drop everything that came from the hub, keep what is ours and unpushed."""
    from sqlalchemy import delete, select, update

    from floorview.store import schema
    from floorview.store.apply import ensure_sync_state

    pending = select(schema.Outbox.note_id)
    for table in (schema.Queue, schema.Agent, schema.Interaction, schema.Customer, schema.Survey):
        conn.execute(delete(table))
    conn.execute(delete(schema.Note).where(schema.Note.id.not_in(pending)))
    for kept_with in (schema.AgentQueue, schema.Tombstone, schema.QueueMinute, schema.QueueInterval):
        conn.execute(delete(kept_with))
    ensure_sync_state(conn)
    conn.execute(update(schema.SyncState).where(schema.SyncState.id == 1).values(cursor=None))


# -- who the token is ------------------------------------------------------------
IDENTITY_TABLE = "sync_identity"
# Made by migration 0006 in every store the writer opens, so this is a no-op
# there; kept for a store written before 0006 (the shape is the migration's).
_IDENTITY_DDL = (
    f"CREATE TABLE IF NOT EXISTS {IDENTITY_TABLE} ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " name TEXT NOT NULL,"
    " teams TEXT NOT NULL,"  # JSON list of strings
    " queues TEXT NOT NULL,"  # JSON list of strings
    " fetched_at REAL NOT NULL)"
)


@dataclass(frozen=True)
class TokenScope:
    """Who the hub says our token is: a name, and the teams and queues it is
    limited to. No teams and no queues: the whole floor."""

    name: str
    teams: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()

    @property
    def whole_floor(self) -> bool:
        return not self.teams and not self.queues


def token_scope(con: Any) -> TokenScope | None:
    """The token's identity as last fetched from the hub, or None when not
    known (never synced from a hub, or a hub that does not say who we are).

    `con`: a `sqlite3.Connection` (as from `engine.open_reader`) or a
    SQLAlchemy `Connection`."""
    run = getattr(con, "exec_driver_sql", None) or con.execute
    exists = run(f"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{IDENTITY_TABLE}'").fetchone()
    if exists is None:
        return None
    row = run(f"SELECT name, teams, queues FROM {IDENTITY_TABLE} WHERE id = 1").fetchone()
    if row is None:
        return None
    try:
        teams, queues = json.loads(row[1]), json.loads(row[2])
    except ValueError:
        return None
    return TokenScope(row[0], tuple(teams), tuple(queues))


def save_token_scope(conn: Connection, scope: TokenScope | None, now: float) -> None:
    """Keep what the hub said (already cleaned), or forget it (None: unknown)."""
    conn.exec_driver_sql(_IDENTITY_DDL)
    conn.exec_driver_sql(f"DELETE FROM {IDENTITY_TABLE}")
    if scope is not None:
        conn.exec_driver_sql(
            f"INSERT INTO {IDENTITY_TABLE} (id, name, teams, queues, fetched_at) VALUES (1, ?, ?, ?, ?)",
            (scope.name, json.dumps(list(scope.teams)), json.dumps(list(scope.queues)), now),
        )


# -- the outbox ------------------------------------------------------------------
@dataclass(frozen=True)
class OutboxEntry:
    seq: int
    note_id: str
    op: str  # "put" or "delete"
    body: dict[str, Any] | None
    base_version: int


def pending(conn: Connection) -> list[OutboxEntry]:
    """Local writes still to push, oldest first."""
    from sqlalchemy import select

    from floorview.store import schema

    o = schema.Outbox
    rows = conn.execute(
        select(o.seq, o.note_id, o.op, o.body, o.base_version).where(o.state == "pending").order_by(o.seq)
    ).all()
    return [OutboxEntry(r.seq, r.note_id, r.op, json.loads(r.body) if r.body else None, r.base_version) for r in rows]


def next_pending(conn: Connection, after: int = 0) -> OutboxEntry | None:
    """The oldest local write still to push after outbox `seq` `after`, as the
    store holds it now: the push reads each entry just before sending it, so
    an entry rebased by the push of an earlier one (`pushed`) goes out on the
    version the hub gave that one (a note saved then edited, or saved then
    deleted, before a push).

    An entry based on version 0 (a note not on the hub when it was written)
    whose note the store has since received at a version N goes out on N: it
    was written while a 410 reset had dropped the note and the catch-up had
    not brought it back, so it is an edit of the hub's note, not a new one."""
    from sqlalchemy import select

    from floorview.store import schema

    o, n = schema.Outbox, schema.Note
    row = conn.execute(
        select(o.seq, o.note_id, o.op, o.body, o.base_version)
        .where(o.state == "pending", o.seq > after)
        .order_by(o.seq)
        .limit(1)
    ).first()
    if row is None:
        return None
    base = row.base_version
    if base == 0:
        base = conn.execute(select(n.version).where(n.id == row.note_id)).scalar() or 0
    return OutboxEntry(row.seq, row.note_id, row.op, json.loads(row.body) if row.body else None, base)


def pushed(conn: Connection, entry: OutboxEntry, version: int, stored: Any = None) -> None:
    """The hub took it: the entry goes, the local note takes the hub's version.

    With no later write of the note waiting, the store is set to what the hub
    now holds at that version (the note as the hub's answer says it stored
    it, `stored`, else as pushed; or no note): a pull may have put the hub's
    earlier note in its place meanwhile, and would never correct it, since
    the version would not be newer."""
    from sqlalchemy import delete, select, update

    from floorview.store import schema

    o, n = schema.Outbox, schema.Note
    conn.execute(delete(o).where(o.seq == entry.seq))
    later = conn.execute(select(o.seq).where(o.note_id == entry.note_id, o.state == "pending").limit(1)).first()
    if entry.op == "put":
        if later is None and entry.body is not None:
            from floorview.store.notes import restore_pushed

            restore_pushed(conn, entry.note_id, version, entry.body, stored)
        else:
            conn.execute(update(n).where(n.id == entry.note_id).values(version=version))
        # Later edits of the same note were based on the version we just replaced.
        conn.execute(update(o).where(o.note_id == entry.note_id, o.state == "pending").values(base_version=version))
    elif later is None:
        conn.execute(delete(n).where(n.id == entry.note_id))


def park(conn: Connection, entry: OutboxEntry, state: str, detail: str) -> None:
    """A conflict or a rejection: kept, visible, waiting for the person to decide."""
    from sqlalchemy import update

    from floorview.store import schema

    conn.execute(update(schema.Outbox).where(schema.Outbox.seq == entry.seq).values(state=state, detail=detail))
