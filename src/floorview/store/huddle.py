"""What huddle mode and `floorview export huddle` show: a team's day for a
shared screen or the minutes.

Only team-visible notes are read here, and aggregated: coaching as counts by
topic and ADKAR stage, never who was coached; kudos with the agent's name,
since praise is meant to be heard. Customers appear only as their words:
no name, id or contact detail is selected.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from floorview.domain.metrics import COUNT_COLUMNS, INTERVAL, Counts, figures
from floorview.store.reads import _counts

THEMES = 5
KUDOS = 5
VERBATIMS = 4
WEEK = 7 * 86400


@dataclass(frozen=True, slots=True)
class Huddle:
    team: str | None  # None: the whole floor
    at: float
    today: Counts
    agents_working: int
    agents_total: int
    themes: list[tuple[str, str, int]]  # (topic, ADKAR stage, notes) this week
    coaching_notes: int
    kudos: list[tuple[str, str]]  # (agent name, words) this week
    kudos_count: int
    verbatims: list[str]  # today's, words only
    sentence: str | None = None
    qa_mean: float | None = None
    teams: list[str] = field(default_factory=list)

    @property
    def figures(self):
        return figures(self.today)


def teams(con: sqlite3.Connection) -> list[str]:
    return [t for (t,) in con.execute("SELECT DISTINCT team FROM agent ORDER BY team")]


def load_huddle(con: sqlite3.Connection, team: str | None, now: float, day_start: float) -> Huddle:
    """The huddle summary of `team` (or the floor) at `now`; `day_start` begins today."""
    agent_filter, params = ("WHERE a.team = ?", (team,)) if team else ("", ())
    queues = [q for (q,) in con.execute(
        f"SELECT DISTINCT aq.queue_id FROM agent_queue aq JOIN agent a ON a.id = aq.agent_id {agent_filter}", params
    )]
    today = Counts()
    if queues:
        marks = ",".join("?" * len(queues))
        row = con.execute(
            f"SELECT {', '.join(f'total({c})' for c in COUNT_COLUMNS)} FROM queue_interval"
            f" WHERE interval >= ? AND interval < ? AND queue_id IN ({marks})",
            (int(day_start // INTERVAL), int(now // INTERVAL) + 1, *queues),
        ).fetchone()
        today = _counts(row)
    working, total = con.execute(
        "SELECT total(a.state IN ('available', 'on_contact', 'after_contact_work')), count(*)"
        f" FROM agent a {agent_filter}", params,
    ).fetchone()
    team_notes = "n.visibility = 'team' AND n.created_at >= ? AND n.created_at < ?" + (" AND a.team = ?" if team else "")
    note_params = (now - WEEK, now, *params)
    themes = con.execute(
        "SELECT coalesce(n.topic, 'general'), coalesce(n.adkar, '–'), count(*) FROM note n"
        f" LEFT JOIN agent a ON a.id = n.agent_id WHERE n.type = 'coaching' AND {team_notes}"
        " GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
        note_params,
    ).fetchall()
    kudos = con.execute(
        "SELECT coalesce(a.name, 'the team'), n.body FROM note n LEFT JOIN agent a ON a.id = n.agent_id"
        f" WHERE n.type = 'kudos' AND {team_notes} ORDER BY n.created_at DESC",
        note_params,
    ).fetchall()
    qa = con.execute(
        "SELECT avg(i.qa_score) FROM interaction i JOIN agent a ON a.id = i.agent_id"
        f" WHERE i.enqueued_at >= ? AND i.qa_score IS NOT NULL {'AND a.team = ?' if team else ''}",
        (day_start, *params),
    ).fetchone()[0]
    verbatims = [v for (v,) in con.execute(
        "SELECT s.verbatim FROM survey s JOIN interaction i ON i.id = s.interaction_id"
        " LEFT JOIN agent a ON a.id = i.agent_id"
        f" WHERE s.answered_at >= ? AND s.verbatim IS NOT NULL AND s.verbatim != '' {'AND a.team = ?' if team else ''}"
        " ORDER BY s.answered_at DESC LIMIT ?",
        (day_start, *params, VERBATIMS),
    )]
    return Huddle(
        team=team,
        at=now,
        today=today,
        agents_working=int(working or 0),
        agents_total=total,
        themes=[tuple(t) for t in themes[:THEMES]],
        coaching_notes=sum(t[2] for t in themes),
        kudos=[tuple(k) for k in kudos[:KUDOS]],
        kudos_count=len(kudos),
        verbatims=verbatims,
        qa_mean=qa,
        teams=teams(con),
    )
