"""The Queues panel's data: a row per queue with its figures, and a queue's
drill-down (who waits, who serves it), read in the worker (tui/base.py)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from floorview.domain.metrics import Need, QueueFigures, agents_needed, figures
from floorview.store.queues import serving_customers
from floorview.store.reads import (
    AgentSnapshot,
    QueueSnapshot,
    WaitingContact,
    agent_snapshots,
    queue_snapshots,
    waiting_contacts,
)

WAITING_LIMIT = 500  # the drill-down lists the oldest this many; its heading counts them all


@dataclass(frozen=True, slots=True)
class QueuesRequest:
    """Queues reads every queue whatever the view: filter, sort and window are applied when painting."""


@dataclass(slots=True)
class QueueRow:
    snap: QueueSnapshot
    window: QueueFigures
    today: QueueFigures
    need: Need
    trend: list[float | None]


def queue_row(snap: QueueSnapshot) -> QueueRow:
    """A queue's figures: the window's and today's, and the agents its target needs."""
    return QueueRow(
        snap=snap,
        window=figures(snap.window),
        today=figures(snap.today),
        need=agents_needed(snap.window, snap.window_s, snap.settings, snap.today),
        trend=_fill_gaps(snap.trend),
    )


def load(con: sqlite3.Connection, now: float, request: QueuesRequest = QueuesRequest()) -> list[QueueRow]:
    """Everything the Queues screen shows, read and computed off the event loop."""
    return [queue_row(snap) for snap in queue_snapshots(con, now)]


def _fill_gaps(trend: list[tuple[int, float | None]]) -> list[float | None]:
    """One value per interval since the first with contacts, None where nothing was offered."""
    if not trend:
        return []
    by = dict(trend)
    return [by.get(i) for i in range(trend[0][0], trend[-1][0] + 1)]


# -- the drill-down ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DrillRequest:
    queue_id: str
    site_tz: str  # the zone of the agents' "today"


@dataclass(slots=True)
class Drill:
    row: QueueRow | None  # None: the queue is not in the store (any more)
    waiting: list[WaitingContact]  # the oldest WAITING_LIMIT, oldest first
    agents: list[AgentSnapshot]  # those serving the queue, by name, offline last
    customers: dict[str, str] = field(default_factory=dict)  # agent id -> the customer they serve now


def load_drill(con: sqlite3.Connection, now: float, request: DrillRequest) -> Drill:
    """A queue's figures, who waits in it and the agents who serve it."""
    qid = request.queue_id
    snap = next((s for s in queue_snapshots(con, now) if s.id == qid), None)
    return Drill(
        row=queue_row(snap) if snap is not None else None,
        waiting=waiting_contacts(con, qid, WAITING_LIMIT),
        agents=sorted(
            agent_snapshots(con, now, request.site_tz, qid), key=lambda a: (a.state == "offline", a.name.lower())
        ),
        customers=serving_customers(con, qid),
    )
