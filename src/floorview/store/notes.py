"""Local note writes: the note and its outbox entry in one transaction, so a
note written offline is never lost and never pushed twice."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from floorview.domain import feed
from floorview.store import schema
from floorview.store.apply import row_values


def save_note(conn: Connection, note_id: str, data: dict[str, Any], now: float | None = None) -> None:
    """Create or edit a note locally (validated as the feed would) and queue its push."""
    note = feed.Note.model_validate(data)
    stored = conn.execute(select(schema.Note.version).where(schema.Note.id == note_id)).scalar()
    base = stored or 0
    values = row_values("note", note)
    stmt = sqlite_insert(schema.Note).values(id=note_id, version=base, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))
    body = note.model_dump(mode="json", exclude_none=True)
    conn.execute(
        insert(schema.Outbox).values(
            note_id=note_id, op="put", body=json.dumps(body), base_version=base,
            created_at=time.time() if now is None else now,
        )
    )


def delete_note(conn: Connection, note_id: str, now: float | None = None) -> None:
    stored = conn.execute(select(schema.Note.version).where(schema.Note.id == note_id)).scalar()
    if stored is None:
        raise KeyError(note_id)
    conn.execute(delete(schema.Note).where(schema.Note.id == note_id))
    conn.execute(
        insert(schema.Outbox).values(
            note_id=note_id, op="delete", body=None, base_version=stored,
            created_at=time.time() if now is None else now,
        )
    )
