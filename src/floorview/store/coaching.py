"""The reads behind the agent page, the Coaching screen and huddle mode.

Notes are shown as the person last wrote them: where a local change waits
in the outbox (pending, in conflict, rejected), its state comes along.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

NOTE_COLUMNS = (
    "n.id, n.version, n.agent_id, a.name, a.team, n.customer_id, n.author, n.created_at, n.updated_at,"
    " n.type, n.topic, n.adkar, n.follow_up_on, n.interaction_id, n.visibility, n.body"
)
# The newest outbox entry of each note, if any: its state, the hub's answer, its sequence.
_OUTBOX = (
    " LEFT JOIN (SELECT note_id, state, detail, seq, op FROM outbox o1 WHERE seq ="
    " (SELECT max(seq) FROM outbox o2 WHERE o2.note_id = o1.note_id)) ob ON ob.note_id = n.id"
)


@dataclass(frozen=True, slots=True)
class NoteView:
    id: str
    version: int
    agent_id: str | None
    agent_name: str | None
    team: str | None
    customer_id: str | None
    author: str
    created_at: float
    updated_at: float
    type: str
    topic: str | None
    adkar: str | None
    follow_up_on: str | None
    interaction_id: str | None
    visibility: str
    body: str
    sync_state: str | None = None  # None: as the hub has it; else pending, conflict or rejected
    sync_detail: str | None = None
    outbox_seq: int | None = None

    def as_data(self) -> dict:
        """The note's feed data, for an edit."""
        data = {
            "agent_id": self.agent_id,
            "customer_id": self.customer_id,
            "author": self.author,
            "type": self.type,
            "topic": self.topic,
            "adkar": self.adkar,
            "follow_up_on": self.follow_up_on,
            "interaction_id": self.interaction_id,
            "visibility": self.visibility,
            "body": self.body,
        }
        return {k: v for k, v in data.items() if v is not None}


def _notes(con: sqlite3.Connection, where: str, params: tuple, limit: int = 500) -> list[NoteView]:
    rows = con.execute(
        f"SELECT {NOTE_COLUMNS}, ob.state, ob.detail, ob.seq FROM note n LEFT JOIN agent a ON a.id = n.agent_id"
        f"{_OUTBOX} WHERE {where} ORDER BY n.created_at DESC, n.id LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [NoteView(*r) for r in rows]


def agent_notes(con: sqlite3.Connection, agent_id: str, limit: int = 500) -> list[NoteView]:
    """An agent's notes, newest first."""
    return _notes(con, "n.agent_id = ?", (agent_id,), limit)


def search_notes(con: sqlite3.Connection, words: str, limit: int = 200) -> list[NoteView]:
    """Notes whose text, author, agent or topic holds every word (case-insensitive)."""
    terms = [w for w in words.lower().split() if w]
    if not terms:
        return []
    hay = "lower(n.body || ' ' || n.author || ' ' || coalesce(a.name, '') || ' ' || coalesce(n.topic, ''))"
    where = " AND ".join(f"instr({hay}, ?) > 0" for _ in terms)
    return _notes(con, where, tuple(terms), limit)


def follow_ups(con: sqlite3.Connection, today: str, limit: int = 500) -> list[NoteView]:
    """Coaching follow-ups due today or overdue (`today` as YYYY-MM-DD), oldest due first."""
    notes = _notes(con, "n.follow_up_on IS NOT NULL AND n.follow_up_on <= ? AND n.type = 'coaching'", (today,), limit)
    return sorted(notes, key=lambda n: (n.follow_up_on, n.created_at))


def note_by_id(con: sqlite3.Connection, note_id: str) -> NoteView | None:
    found = _notes(con, "n.id = ?", (note_id,), 1)
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class Problem:
    """A local change the hub would not take, waiting for the person to decide."""

    seq: int
    note_id: str
    op: str
    state: str  # conflict or rejected
    detail: str | None
    mine: dict | None  # the note as we wrote it (None for a deletion)
    theirs: dict | None  # the hub's current note change, for a conflict
    created_at: float


def outbox_problems(con: sqlite3.Connection) -> list[Problem]:
    out = []
    for seq, note_id, op, state, detail, body, created_at in con.execute(
        "SELECT seq, note_id, op, state, detail, body, created_at FROM outbox"
        " WHERE state IN ('conflict', 'rejected') ORDER BY seq"
    ):
        theirs = None
        if state == "conflict" and detail:
            try:
                theirs = json.loads(detail)
            except ValueError:
                theirs = None
        out.append(
            Problem(
                seq,
                note_id,
                op,
                state,
                detail,
                json.loads(body) if body else None,
                theirs if isinstance(theirs, dict) else None,
                created_at,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class TopicCount:
    team: str
    topic: str  # or "(none)"
    adkar: str  # or "(none)"
    count: int


def coaching_mix_by_team(con: sqlite3.Connection, since: float) -> list[TopicCount]:
    """Coaching notes since `since`, counted by team, topic and ADKAR stage."""
    return [
        TopicCount(*r)
        for r in con.execute(
            "SELECT coalesce(a.team, '(no team)'), coalesce(n.topic, '(none)'), coalesce(n.adkar, '(none)'), count(*)"
            " FROM note n LEFT JOIN agent a ON a.id = n.agent_id"
            " WHERE n.type = 'coaching' AND n.created_at >= ? GROUP BY 1, 2, 3 ORDER BY 1, 4 DESC",
            (since,),
        )
    ]


@dataclass(frozen=True, slots=True)
class Uncoached:
    agent_id: str
    name: str
    team: str
    last_coached: float | None  # None: never, as far as this store knows


def not_coached_since(con: sqlite3.Connection, since: float) -> list[Uncoached]:
    """Agents with no coaching note since `since`, longest without first."""
    rows = con.execute(
        "SELECT a.id, a.name, a.team, (SELECT max(created_at) FROM note n WHERE n.agent_id = a.id"
        " AND n.type = 'coaching') AS last FROM agent a WHERE coalesce(last, 0) < ?"
        " ORDER BY last IS NOT NULL, last, a.name",
        (since,),
    ).fetchall()
    return [Uncoached(*r) for r in rows]


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    queue_name: str | None
    customer_name: str | None
    enqueued_at: float
    outcome: str


def recent_contacts(con: sqlite3.Connection, agent_id: str, limit: int = 20) -> list[Contact]:
    """An agent's latest contacts, for linking a note to one."""
    out = []
    for iid, queue, customer, enq, ended, resolved, transfers in con.execute(
        "SELECT i.id, q.name, c.name, i.enqueued_at, i.ended_at, i.resolved, i.transfers FROM interaction i"
        " LEFT JOIN queue q ON q.id = i.queue_id LEFT JOIN customer c ON c.id = i.customer_id"
        " WHERE i.agent_id = ? ORDER BY i.enqueued_at DESC LIMIT ?",
        (agent_id, limit),
    ):
        if ended is None:
            outcome = "in progress"
        else:
            outcome = {1: "resolved", 0: "unresolved"}.get(resolved, "ended")
        if transfers:
            outcome += f", {transfers} transfer{'s' if transfers > 1 else ''}"
        out.append(Contact(iid, queue, customer, enq, outcome))
    return out


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
    return [
        AgentDayFigures(*r)
        for r in con.execute(
            f"SELECT CASE {which} END, count(*),"
            " total(ended_at - answered_at + coalesce(wrap_s, 0)), avg(qa_score), count(qa_score),"
            " total(resolved), count(resolved)"
            " FROM interaction WHERE agent_id = ? AND enqueued_at >= ?"
            " AND answered_at IS NOT NULL AND ended_at IS NOT NULL GROUP BY 1 ORDER BY 1",
            (*bounds, agent_id, days[0][1]),
        )
    ]


def agent_qa_scores(con: sqlite3.Connection, agent_id: str, limit: int = 10) -> list[tuple[float, float, str | None]]:
    """The agent's latest QA scores: (enqueued_at, score, queue name)."""
    return con.execute(
        "SELECT i.enqueued_at, i.qa_score, q.name FROM interaction i LEFT JOIN queue q ON q.id = i.queue_id"
        " WHERE i.agent_id = ? AND i.qa_score IS NOT NULL ORDER BY i.enqueued_at DESC LIMIT ?",
        (agent_id, limit),
    ).fetchall()
