"""What the sync set aside: records the feed sent that failed validation."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from floorview.domain.text import clean


@dataclass(frozen=True, slots=True)
class Quarantined:
    kind: str
    record_id: str
    version: int | None
    reason: str
    received_at: float


def quarantined(con: sqlite3.Connection, limit: int) -> tuple[int, list[Quarantined]]:
    """How many records are quarantined, and the latest `limit`, newest first.
    Kind, id and reason came from the hub: cleaned of control characters
    again here, since a store may predate the sync's own cleaning."""
    rows = con.execute(
        "SELECT kind, record_id, version, reason, received_at FROM quarantine ORDER BY seq DESC LIMIT ?", (limit,)
    ).fetchall()
    total: int = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    return total, [
        Quarantined(clean(str(kind)), clean(str(rid)), version, clean(str(reason)), float(at))
        for kind, rid, version, reason, at in rows
    ]
