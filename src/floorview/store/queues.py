"""The reads behind the Queues panel that store/reads.py does not hold: the
customers the agents of a queue are serving now (the drill-down's `c`).

Plain SQL on the screens' stdlib sqlite3 connection, like store/reads.py.
"""

from __future__ import annotations

import sqlite3


def serving_customers(con: sqlite3.Connection, queue_id: str) -> dict[str, str]:
    """Agent id -> the customer of the contact that agent is on now, for the
    agents serving the queue whose contact names a customer the store knows of."""
    rows: list[tuple[str, str]] = con.execute(
        "SELECT a.id, i.customer_id FROM agent_queue aq JOIN agent a ON a.id = aq.agent_id"
        " JOIN interaction i ON i.id = a.interaction_id"
        " WHERE aq.queue_id = ? AND i.customer_id IS NOT NULL",
        (queue_id,),
    ).fetchall()
    return dict(rows)
