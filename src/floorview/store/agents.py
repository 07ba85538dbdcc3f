"""The reads behind the Agents panel that store/reads.py does not hold: who
each agent is serving now (the Agents list's `c`), and the agent page (the
agent, their days this week and their latest QA scores; their notes are
read with every other note's, in store/coaching.py).

Plain SQL on the screens' stdlib sqlite3 connection, like store/reads.py.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


def serving_customers(con: sqlite3.Connection) -> dict[str, str]:
    """Agent id -> the customer of the contact that agent is on now, for every
    agent whose current contact names a customer."""
    rows: list[tuple[str, str]] = con.execute(
        "SELECT a.id, i.customer_id FROM agent a JOIN interaction i ON i.id = a.interaction_id"
        " WHERE i.customer_id IS NOT NULL"
    ).fetchall()
    return dict(rows)


def serving_customer(con: sqlite3.Connection, agent_id: str) -> str | None:
    """The customer of the contact the agent is on now, if it names one."""
    row: tuple[str | None] | None = con.execute(
        "SELECT i.customer_id FROM agent a JOIN interaction i ON i.id = a.interaction_id WHERE a.id = ?",
        (agent_id,),
    ).fetchone()
    return row[0] if row is not None else None


@dataclass(frozen=True, slots=True)
class AgentHeader:
    """Who the agent is and what they are doing now."""

    id: str
    name: str
    team: str
    state: str
    state_since: float
    reason: str | None
    customer_id: str | None  # the customer of the contact they are on now, if any


def agent_header(con: sqlite3.Connection, agent_id: str) -> AgentHeader | None:
    row: tuple[str, str, str, str, float, str | None, str | None] | None = con.execute(
        "SELECT a.id, a.name, a.team, a.state, a.state_since, a.reason, i.customer_id FROM agent a"
        " LEFT JOIN interaction i ON i.id = a.interaction_id WHERE a.id = ?",
        (agent_id,),
    ).fetchone()
    return AgentHeader(*row) if row is not None else None


@dataclass(frozen=True, slots=True)
class AgentDayFigures:
    day: str  # YYYY-MM-DD, site time
    handled: int
    handle_s: float
    qa_mean: float | None
    qa_count: int
    resolved: int
    outcomes: int

    @property
    def aht_s(self) -> float | None:
        return self.handle_s / self.handled if self.handled else None


def agent_days_figures(con: sqlite3.Connection, agent_id: str, days: list[tuple[str, float]]) -> list[AgentDayFigures]:
    """An agent's handled contacts per day, oldest first, for `days`: each a
    (YYYY-MM-DD, first instant) in site time, oldest first, the last running
    to now. Days are cut at the site's own midnights, DST changes included."""
    if not days:
        return []
    # The newest day first: a contact belongs to the first day it does not precede.
    newest_first = days[::-1]
    which = " ".join("WHEN enqueued_at >= ? THEN ?" for _ in newest_first)
    bounds = [v for label, start in newest_first for v in (start, label)]
    rows: list[tuple[str, int, float, float | None, int, float, int]] = con.execute(
        f"SELECT CASE {which} END, count(*),"
        " total(ended_at - answered_at + coalesce(wrap_s, 0)), avg(qa_score), count(qa_score),"
        " total(resolved), count(resolved)"
        " FROM interaction WHERE agent_id = ? AND enqueued_at >= ?"
        " AND answered_at IS NOT NULL AND ended_at IS NOT NULL GROUP BY 1 ORDER BY 1",
        (*bounds, agent_id, days[0][1]),
    ).fetchall()
    return [
        AgentDayFigures(day, handled, handle_s, qa, qa_n, int(res), outs)
        for day, handled, handle_s, qa, qa_n, res, outs in rows
    ]


@dataclass(frozen=True, slots=True)
class QaScore:
    at: float  # when the scored contact was enqueued
    score: float
    queue_name: str | None


def agent_qa_scores(con: sqlite3.Connection, agent_id: str, limit: int = 10) -> list[QaScore]:
    """The agent's latest QA scores, newest first."""
    rows: list[tuple[float, float, str | None]] = con.execute(
        "SELECT i.enqueued_at, i.qa_score, q.name FROM interaction i LEFT JOIN queue q ON q.id = i.queue_id"
        " WHERE i.agent_id = ? AND i.qa_score IS NOT NULL ORDER BY i.enqueued_at DESC LIMIT ?",
        (agent_id, limit),
    ).fetchall()
    return [QaScore(*r) for r in rows]
