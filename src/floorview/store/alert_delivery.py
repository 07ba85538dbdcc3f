"""Alerts on their way to a webhook: what a headless `floorview sync` has still to post.

The events come from the `alert` table itself, whoever evaluated them: the
sync's own tick, or a console's on the same store. After each tick the sync
queues here (`queue_new`) each alert that fired or resolved since `since`
and is not queued yet, with the body it will post, built then (the alert's
figures at that moment; a pruned alert's event still goes). The webhook's
thread posts them oldest first (`pending`) and marks each delivered only
once the receiver said 2xx (`delivered`), so an event survives a receiver
that fails or stalls, and a restart: delivery is at least once, and every
event carries a stable id (`event_id`) by which a receiver drops a repeat.

Table `alert_delivery` (migration 0008): one row per event, its id, the
alert's, the event (fired, resolved), when it happened, the body (JSON),
when it was queued and when it was delivered (None: still to go). Rows are
kept `KEEP_S`, as the alerts' history, so an event is never queued twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from floorview.domain.alerts import Alert
from floorview.store.alerts import KEEP_S, _ALERT_COLUMNS, _alert, _run

if TYPE_CHECKING:
    import sqlite3

    from sqlalchemy import Connection

    AnyConnection: TypeAlias = "Connection | sqlite3.Connection"

Posted: TypeAlias = Literal["fired", "resolved"]
_NAMESPACE = uuid.UUID("6f0c1a52-6a43-5b8e-9f43-0c5e2d1b7a10")


def event_id(event: Posted, alert: Alert) -> str:
    """The event's id: the same for the same event, in any process, at every attempt."""
    return str(uuid.uuid5(_NAMESPACE, f"{event}:{alert.id}"))


@dataclass(frozen=True, slots=True)
class Delivery:
    seq: int
    event_id: str
    alert_id: str
    event: str
    at: float
    payload: str  # our JSON body (sync/webhook.py); the other formats are made from it


def new_events(conn: Connection, since: float) -> list[tuple[Posted, Alert]]:
    """Alerts that fired or resolved at `since` or later and are not queued yet, oldest first."""
    run = conn.exec_driver_sql
    queued = {row[0] for row in run("SELECT event_id FROM alert_delivery WHERE at >= ?", (since - 1.0,))}
    found: list[tuple[float, int, Posted, Alert]] = []
    for row in run(
        f"SELECT {_ALERT_COLUMNS} FROM alert WHERE fired_at >= ? OR resolved_at >= ?",
        (since, since),
    ):
        alert = _alert(row)
        if alert.fired_at >= since and event_id("fired", alert) not in queued:
            found.append((alert.fired_at, 0, "fired", alert))
        if alert.resolved_at is not None and alert.resolved_at >= since and event_id("resolved", alert) not in queued:
            found.append((alert.resolved_at, 1, "resolved", alert))
    found.sort(key=lambda f: (f[0], f[1], f[3].id))
    return [(event, alert) for _, _, event, alert in found]


def queue_new(conn: Connection, since: float, now: float, body: Callable[[str, Posted, Alert], str]) -> int:
    """Queue every event `new_events` finds, with `body(event_id, event, alert)`; how many."""
    rows: list[tuple[Any, ...]] = []
    for event, alert in new_events(conn, since):
        eid = event_id(event, alert)
        at = alert.fired_at if event == "fired" else alert.resolved_at
        rows.append((eid, alert.id, event, at, body(eid, event, alert), now))
    if rows:
        conn.exec_driver_sql(
            "INSERT INTO alert_delivery (event_id, alert_id, event, at, payload, queued_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
            rows,
        )
    return len(rows)


def pending(con: AnyConnection, limit: int = 100) -> list[Delivery]:
    """Events still to post, in the order they were queued."""
    rows = _run(con)(
        "SELECT seq, event_id, alert_id, event, at, payload FROM alert_delivery"
        " WHERE delivered_at IS NULL ORDER BY seq LIMIT ?",
        (limit,),
    )
    return [Delivery(*row) for row in rows]


def waiting(con: AnyConnection) -> int:
    """How many events are still to post."""
    row = _run(con)("SELECT count(*) FROM alert_delivery WHERE delivered_at IS NULL").fetchone()
    return int(row[0]) if row else 0


def delivered(conn: Connection, event_ids: Sequence[str], at: float) -> None:
    """The receiver took these (2xx): they are not posted again."""
    conn.exec_driver_sql(
        "UPDATE alert_delivery SET delivered_at = ? WHERE event_id = ? AND delivered_at IS NULL",
        [(at, eid) for eid in event_ids],
    )


def prune_deliveries(conn: Connection, now: float, keep_s: float = KEEP_S) -> int:
    """Forget events older than `keep_s`, as the alerts' history is; returns how many of them
    had never been delivered (the receiver refused them for that long)."""
    run = conn.exec_driver_sql
    row = run("SELECT count(*) FROM alert_delivery WHERE at < ? AND delivered_at IS NULL", (now - keep_s,)).first()
    run("DELETE FROM alert_delivery WHERE at < ?", (now - keep_s,))
    return int(row[0]) if row else 0
