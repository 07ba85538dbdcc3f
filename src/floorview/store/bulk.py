"""Loading many changes into an empty store at once (seeding).

The same rules and code as `apply`, with the per-interval sums left aside
while loading and built once at the end: a million contacts in minutes.
A test holds the result equal to applying the same changes page by page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, select

from floorview.store import schema
from floorview.store.apply import Applier, ApplyResult, rebuild_aggregates, rebuild_repeat_gaps


def load_changes(conn: Connection, batches: Iterable[Iterable[Mapping[str, Any]]], now: float) -> ApplyResult:
    """Load changes into a store that holds no records yet."""
    for table in schema.RECORD_TABLES.values():
        if conn.execute(select(table.id).limit(1)).first() is not None:
            raise ValueError("bulk loading needs an empty store; use Applier")
    result = ApplyResult()
    applier = Applier(conn, now, aggregates=False)
    for batch in batches:
        result.add(applier.apply(batch))
    rebuild_aggregates(conn)
    rebuild_repeat_gaps(conn)
    return result
