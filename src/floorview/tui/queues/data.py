"""The Queues panel's data: a row per queue with its figures, read in the worker."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from floorview.domain.metrics import Need, QueueFigures, agents_needed, figures
from floorview.store.reads import QueueSnapshot, queue_snapshots


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


def load(con: sqlite3.Connection, now: float, request: QueuesRequest = QueuesRequest()) -> list[QueueRow]:
    """Everything the Queues screen shows, read and computed off the event loop."""
    rows = []
    for snap in queue_snapshots(con, now):
        today = figures(snap.today)
        rows.append(
            QueueRow(
                snap=snap,
                window=figures(snap.window),
                today=today,
                need=agents_needed(snap.window, snap.window_s, snap.settings, snap.today),
                trend=_fill_gaps(snap.trend),
            )
        )
    return rows


def _fill_gaps(trend: list[tuple[int, float | None]]) -> list[float | None]:
    """One value per interval since the first with contacts, None where nothing was offered."""
    if not trend:
        return []
    by = dict(trend)
    return [by.get(i) for i in range(trend[0][0], trend[-1][0] + 1)]
