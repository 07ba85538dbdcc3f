"""Saving the stated priorities set on the Balance screen, with who and when."""

from __future__ import annotations

import json

from sqlalchemy import Connection, insert

from floorview.domain.balance import Priorities
from floorview.store import schema


def save_priorities(conn: Connection, priorities: Priorities, who: str, at: float) -> None:
    conn.execute(
        insert(schema.PrioritySetting).values(
            set_at=at, set_by=who, ranking=json.dumps(priorities.as_config(), sort_keys=True)
        )
    )
