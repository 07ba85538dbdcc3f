"""The reads each screen needs, as plain SQL on a stdlib sqlite3 connection.

Every query here is served by an index or by the per-minute and
per-interval sums, so a refresh costs milliseconds on a floor of two
thousand agents. Results are plain dataclasses; the screens do no SQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from floorview.domain.metrics import (
    COUNT_COLUMNS,
    INTERVAL,
    MINUTE,
    WINDOW,
    Counts,
    QueueSettings,
    Staffing,
    day_start,
)
from floorview.domain.sitetime import SiteTime, resolve

_SUMS = ", ".join(f"total({c})" for c in COUNT_COLUMNS)


def _counts(values: Iterable[Any]) -> Counts:  # a row of total()s, in COUNT_COLUMNS order
    c = Counts(*values)
    for name in COUNT_COLUMNS:  # total() gives floats; the counts are whole numbers
        if not name.endswith("_s"):
            setattr(c, name, int(getattr(c, name)))
    return c


def data_version(con: sqlite3.Connection) -> int:
    """Changes when another connection commits: a few microseconds to ask."""
    version: int = con.execute("PRAGMA data_version").fetchone()[0]
    return version


def site_time(con: sqlite3.Connection, setting: str) -> SiteTime:
    """The site's zone: the setting, else the one most queues name (see domain.sitetime)."""
    return resolve(setting, con.execute("SELECT timezone, count(*) FROM queue GROUP BY timezone"))


@dataclass(slots=True)
class QueueSnapshot:
    id: str
    name: str
    channel: str
    timezone: str
    settings: QueueSettings
    cost_per_agent_hour: float | None
    window: Counts
    window_s: float
    today: Counts
    today_s: float
    trend: list[tuple[int, float | None]]  # (15-minute interval, service level) today, oldest first
    waiting: int
    oldest_enqueued_at: float | None
    staffing: Staffing


def window_start(now: float) -> int:
    """First minute bucket of the rolling window: the last 30 minutes, to the minute."""
    return int(now // MINUTE) - WINDOW // MINUTE + 1


def queue_snapshots(con: sqlite3.Connection, now: float) -> list[QueueSnapshot]:
    queues = con.execute(
        "SELECT id, name, channel, timezone, sl_threshold_s, sl_target, short_abandon_s,"
        " aht_target_s, abandon_target, cost_per_agent_hour FROM queue ORDER BY name, id"
    ).fetchall()
    if not queues:
        return []
    first_minute = window_start(now)
    window = {
        row[0]: _counts(row[1:])
        for row in con.execute(
            f"SELECT queue_id, {_SUMS} FROM queue_minute WHERE minute >= ? GROUP BY queue_id",
            (first_minute,),
        )
    }
    # Today runs from midnight in each queue's own zone: one range scan per
    # distinct midnight (a site has a zone or two), not one per queue.
    starts = {q[0]: int(day_start(now, q[3]) // INTERVAL) for q in queues}
    by_start: dict[int, list[str]] = {}
    for qid, first in starts.items():
        by_start.setdefault(first, []).append(qid)
    today: dict[str, Counts] = {}
    for first, ids in by_start.items():
        for row in con.execute(
            f"SELECT queue_id, {_SUMS} FROM queue_interval WHERE interval >= ?"
            f" AND queue_id IN ({', '.join('?' * len(ids))}) GROUP BY queue_id",
            (first, *ids),
        ):
            today[row[0]] = _counts(row[1:])
    trend: dict[str, list[tuple[int, float | None]]] = {}
    for qid, interval, in_sl, den in con.execute(
        "SELECT queue_id, interval, answered_in_sl, answered + abandoned FROM queue_interval"
        " WHERE interval >= ? ORDER BY interval",
        (min(starts.values()),),
    ):
        if interval >= starts.get(qid, interval + 1):
            trend.setdefault(qid, []).append((interval, in_sl / den if den else None))
    waiting = {
        row[0]: (row[1], row[2])
        for row in con.execute(
            "SELECT queue_id, count(*), min(enqueued_at) FROM interaction"
            " WHERE answered_at IS NULL AND abandoned_at IS NULL AND ended_at IS NULL"
            " GROUP BY queue_id"
        )
    }
    # Agents by state, and of those on a contact or in wrap-up how many are on
    # another queue's contact (1) or one the store does not hold (2): who could
    # take each queue's next contact (Staffing.can_take). One grouped query.
    staffing: dict[str, dict[str, int]] = {}
    elsewhere: dict[str, dict[str, int]] = {}
    unknown: dict[str, int] = {}
    for qid, state, where, n in con.execute(
        "SELECT aq.queue_id, a.state,"
        " CASE WHEN a.state NOT IN ('on_contact', 'after_contact_work') THEN 0"
        "  WHEN i.queue_id = aq.queue_id THEN 0 WHEN i.queue_id IS NULL THEN 2 ELSE 1 END AS elsewhere,"
        " count(*) FROM agent_queue aq JOIN agent a ON a.id = aq.agent_id"
        " LEFT JOIN interaction i ON i.id = a.interaction_id"
        " GROUP BY aq.queue_id, a.state, elsewhere"
    ):
        by_state = staffing.setdefault(qid, {})
        by_state[state] = by_state.get(state, 0) + n
        if where:
            away = elsewhere.setdefault(qid, {})
            away[state] = away.get(state, 0) + n
        if where == 2:
            unknown[qid] = unknown.get(qid, 0) + n
    out = []
    for qid, name, channel, tz, thr, target, short, aht_t, ab_t, cost in queues:
        n_waiting, oldest = waiting.get(qid, (0, None))
        out.append(
            QueueSnapshot(
                id=qid,
                name=name,
                channel=channel,
                timezone=tz,
                settings=QueueSettings(thr, target, short, aht_t, ab_t),
                cost_per_agent_hour=cost,
                window=window.get(qid, Counts()),
                window_s=now - first_minute * MINUTE,
                today=today.get(qid, Counts()),
                today_s=now - starts[qid] * INTERVAL,
                trend=trend.get(qid, []),
                waiting=n_waiting,
                oldest_enqueued_at=oldest,
                staffing=Staffing(staffing.get(qid, {}), elsewhere.get(qid, {}), unknown.get(qid, 0)),
            )
        )
    return out


@dataclass(slots=True)
class AgentSnapshot:
    id: str
    name: str
    team: str
    state: str
    state_since: float
    reason: str | None
    queue_id: str | None  # the queue of the current contact
    queue_name: str | None
    queues: tuple[str, ...]
    queue_names: str = ""  # the queues served, by name
    handled_today: int = 0
    handle_s_today: float = 0.0
    qa_today: float | None = None
    qa_count: int = 0

    @property
    def aht_today(self) -> float | None:
        return self.handle_s_today / self.handled_today if self.handled_today else None


AgentDay = tuple[int, float, "float | None", int]  # handled, handle seconds, QA mean, QA count


def agent_snapshots(
    con: sqlite3.Connection,
    now: float,
    site_tz: str | None,
    queue_id: str | None = None,
    today: dict[str, AgentDay] | None = None,
) -> list[AgentSnapshot]:
    """Every agent (or those serving one queue) with today's figures (read
    now, or `today` as read a little earlier by `agent_days`)."""
    where = ""
    params: tuple[str, ...] = ()
    if queue_id is not None:
        where = "WHERE a.id IN (SELECT agent_id FROM agent_queue WHERE queue_id = ?)"
        params = (queue_id,)
    rows = con.execute(
        "SELECT a.id, a.name, a.team, a.state, a.state_since, a.reason, i.queue_id, q.name,"
        " (SELECT group_concat(queue_id, ' ') FROM agent_queue WHERE agent_id = a.id),"
        " (SELECT group_concat(coalesce(qq.name, aq.queue_id), ', ') FROM agent_queue aq"
        "  LEFT JOIN queue qq ON qq.id = aq.queue_id WHERE aq.agent_id = a.id)"
        " FROM agent a LEFT JOIN interaction i ON i.id = a.interaction_id"
        f" LEFT JOIN queue q ON q.id = i.queue_id {where} ORDER BY a.name, a.id",
        params,
    ).fetchall()
    agents = {
        r[0]: AgentSnapshot(
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], queues=tuple((r[8] or "").split()), queue_names=r[9] or ""
        )
        for r in rows
    }
    for aid, (handled, handle_s, qa, qa_n) in (agent_days(con, now, site_tz) if today is None else today).items():
        a = agents.get(aid)
        if a is not None:
            a.handled_today, a.handle_s_today, a.qa_today, a.qa_count = handled, handle_s, qa, qa_n
    return list(agents.values())


def agent_days(con: sqlite3.Connection, now: float, site_tz: str | None) -> dict[str, AgentDay]:
    """Each agent's handled contacts, handle time and QA today (site time)."""
    return {
        aid: (handled, handle_s, qa, qa_n)
        for aid, handled, handle_s, qa, qa_n in con.execute(
            "SELECT agent_id, count(*), total(ended_at - answered_at + coalesce(wrap_s, 0)),"
            # Today's contacts by time; left to itself the planner walks the whole
            # agent index to save a sort, which on two weeks of history is 100x slower.
            " avg(qa_score), count(qa_score) FROM interaction INDEXED BY ix_interaction_enqueued_at_agent_id"
            " WHERE enqueued_at >= ? AND answered_at IS NOT NULL AND ended_at IS NOT NULL"
            " GROUP BY agent_id",
            (day_start(now, site_tz),),
        )
        if aid is not None
    }


@dataclass(slots=True)
class WaitingContact:
    id: str
    enqueued_at: float
    customer_id: str | None
    customer_name: str | None
    channel: str


def waiting_contacts(con: sqlite3.Connection, queue_id: str, limit: int = 500) -> list[WaitingContact]:
    return [
        WaitingContact(*r)
        for r in con.execute(
            "SELECT i.id, i.enqueued_at, i.customer_id, c.name, i.channel FROM interaction i"
            " LEFT JOIN customer c ON c.id = i.customer_id"
            " WHERE i.queue_id = ? AND i.answered_at IS NULL AND i.abandoned_at IS NULL"
            " AND i.ended_at IS NULL ORDER BY i.enqueued_at LIMIT ?",
            (queue_id, limit),
        )
    ]


@dataclass(slots=True)
class StoreStatus:
    source: str | None
    last_success_at: float | None
    last_error: str | None
    last_error_at: float | None
    unknown_kinds: int = 0
    quarantined: int = 0
    outbox: int = 0  # local writes waiting to be pushed
    conflicts: int = 0  # pushed writes the hub refused: someone else's edit came first
    rejected: int = 0  # pushed writes the hub found invalid or out of scope
    alerts: int = 0  # alerts up and not snoozed: read beside it (store.alerts.firing_count needs the time)


def store_status(con: sqlite3.Connection) -> StoreStatus:
    row = con.execute(
        "SELECT source, last_success_at, last_error, last_error_at, unknown_kinds FROM sync_state WHERE id = 1"
    ).fetchone()
    status = StoreStatus(*(row or (None, None, None, None, 0)))
    status.quarantined = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    counts = dict(con.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())
    status.outbox = counts.get("pending", 0)
    status.conflicts = counts.get("conflict", 0)
    status.rejected = counts.get("rejected", 0)
    return status
