"""Local note writes: the note and its outbox entry in one transaction, so a
note written offline is never lost and never pushed twice; and the ways out
of a conflict (409) or a rejection (422) the hub answered.

Each outbox entry remembers the note as it stood before the write (`prior`),
so discarding a rejected change restores what was there.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from floorview.domain import feed
from floorview.store import schema
from floorview.store.apply import Applier, row_values

_NOTE_COLUMNS = [c.name for c in schema.Note.__table__.columns]


class ResolveError(ValueError):
    """A resolution that does not apply to this entry; the message says why."""


class NoteIdRefused(ValueError):
    """A note id that cannot travel in a URL path (domain/ids.py): never written, never pushed."""


def _check_id(note_id: str) -> None:
    from floorview.domain.ids import note_id_problem

    problem = note_id_problem(note_id)
    if problem is not None:
        raise NoteIdRefused(f"this note's id cannot be sent to the hub ({problem})")


def new_note_id() -> str:
    """A client-made id (protocol: a UUID), so a retried PUT cannot make a second note."""
    return str(uuid.uuid4())


def _row(conn: Connection, note_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(schema.Note).where(schema.Note.id == note_id)).mappings().first()
    return {k: row[k] for k in _NOTE_COLUMNS} if row else None


def _prior(conn: Connection, note_id: str) -> str | None:
    row = _row(conn, note_id)
    return json.dumps(row) if row else None


def save_note(
    conn: Connection,
    note_id: str,
    data: dict[str, Any],
    now: float | None = None,
    replaces: int | None = None,
    started_from: int | None = None,
) -> None:
    """Create or edit a note locally (validated as the feed would) and queue its push.

    `replaces`: a rejected entry this write corrects; it goes, and the new
    entry keeps its base version.
    `started_from`: the version of the note the edit was made on (the one on
    screen). It is the base only when the note is no longer in the store: a
    410 reset dropped it and the catch-up has not brought it back yet.
    """
    _check_id(note_id)
    note = feed.Note.model_validate(data)
    stored = conn.execute(select(schema.Note.version).where(schema.Note.id == note_id)).scalar()
    base = stored if stored is not None else (started_from or 0)
    prior = _prior(conn, note_id)
    if replaces is not None:
        old = _entry(conn, replaces)
        base, prior = old.base_version, old.prior
        conn.execute(delete(schema.Outbox).where(schema.Outbox.seq == replaces))
    _upsert(conn, note_id, base, row_values("note", note))
    conn.execute(
        insert(schema.Outbox).values(
            note_id=note_id,
            op="put",
            body=json.dumps(note.model_dump(mode="json", exclude_none=True)),
            base_version=base,
            created_at=time.time() if now is None else now,
            prior=prior,
        )
    )


def delete_note(conn: Connection, note_id: str, now: float | None = None, started_from: int | None = None) -> None:
    """Delete a note locally and queue the deletion. `started_from` as for `save_note`."""
    _check_id(note_id)
    stored = conn.execute(select(schema.Note.version).where(schema.Note.id == note_id)).scalar()
    if stored is None:
        if not started_from:
            raise KeyError(note_id)
        stored = started_from
    prior = _prior(conn, note_id)
    conn.execute(delete(schema.Note).where(schema.Note.id == note_id))
    conn.execute(
        insert(schema.Outbox).values(
            note_id=note_id,
            op="delete",
            body=None,
            base_version=stored,
            created_at=time.time() if now is None else now,
            prior=prior,
        )
    )


def restore_pushed(conn: Connection, note_id: str, version: int, body: dict[str, Any], stored: Any = None) -> None:
    """The note as the hub took it at `version` (see syncstate.pushed): as the
    hub's answer says it stored it (the original author kept on an edit, the
    hub's timestamps), checked and cleaned like any feed record; else as we sent it."""
    from pydantic import ValidationError

    if isinstance(stored, dict):
        try:
            _upsert(conn, note_id, version, row_values("note", feed.Note.model_validate(stored)))
            return
        except ValidationError:  # a hub's answer is untrusted: what we sent will do
            pass
    _upsert(conn, note_id, version, row_values("note", feed.Note.model_validate(body)))


def _upsert(conn: Connection, note_id: str, version: int, values: dict[str, Any]) -> None:
    stmt = sqlite_insert(schema.Note).values(id=note_id, version=version, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={**values, "version": version}))


def _entry(conn: Connection, seq: int) -> Row[Any]:
    entry = conn.execute(select(schema.Outbox).where(schema.Outbox.seq == seq)).first()
    if entry is None:
        raise ResolveError("that change is no longer waiting (pushed or resolved already)")
    return entry


def _theirs(entry: Any) -> dict[str, Any] | None:
    """The hub's note as its 409 said (None: the hub holds no such note)."""
    if entry.detail == "null":
        return None
    try:
        current = json.loads(entry.detail or "")
    except ValueError:
        current = None
    if not isinstance(current, dict) or type(current.get("version")) is not int:
        raise ResolveError("the hub did not say what it holds; discard yours")
    return current


def resolve_conflict(conn: Connection, seq: int, choice: str, now: float | None = None) -> str | None:
    """Settle a 409: "mine" pushes ours over theirs, "theirs" takes the hub's
    note, "both" keeps theirs and saves ours as a new note (its id returned).

    A hub that holds no such note (`current: null`, as after a hub restarted
    on a new database): "mine" creates it again, "theirs" drops ours, "both"
    keeps ours as a new note."""
    entry = _entry(conn, seq)
    if entry.state != "conflict":
        raise ResolveError("that change is not in conflict")
    current = _theirs(entry)
    now = time.time() if now is None else now
    if choice == "mine":
        if current is None and entry.op == "delete":  # nothing on the hub to delete: done
            conn.execute(delete(schema.Outbox).where(schema.Outbox.seq == seq))
            return None
        base = 0 if current is None else current["version"]
        if entry.op == "put":  # ours goes back in the note table, based on their version
            note = feed.Note.model_validate(json.loads(entry.body))
            _upsert(conn, entry.note_id, base, row_values("note", note))
        conn.execute(
            update(schema.Outbox)
            .where(schema.Outbox.seq == seq)
            .values(state="pending", detail=None, base_version=base)
        )
        return None
    if choice == "both" and entry.op != "put":
        raise ResolveError("a deletion cannot be kept beside their note: keep yours or take theirs")
    if choice not in ("theirs", "both"):
        raise ResolveError(f"unknown choice {choice!r}")
    conn.execute(delete(schema.Outbox).where(schema.Outbox.seq == seq))
    if current is None:  # theirs is nothing
        conn.execute(delete(schema.Note).where(schema.Note.id == entry.note_id))
    else:  # version-guarded like any pulled change: ours sits at the older base version
        Applier(conn, now, aggregates=False).apply([feed.parse_change(current)])
    if choice == "both":
        copy_id = new_note_id()
        save_note(conn, copy_id, json.loads(entry.body), now)
        return copy_id
    return None


def discard(conn: Connection, seq: int) -> None:
    """Drop a rejected (or conflicting) local change and put back the note as it stood before it."""
    entry = _entry(conn, seq)
    if entry.state == "pending":
        raise ResolveError("that change is still waiting to be pushed")
    conn.execute(delete(schema.Outbox).where(schema.Outbox.seq == seq))
    conn.execute(delete(schema.Note).where(schema.Note.id == entry.note_id))
    if entry.prior:
        conn.execute(insert(schema.Note).values(**json.loads(entry.prior)))
