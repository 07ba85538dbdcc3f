"""The note reads (the Coaching screen, the agent page's notes, huddle mode)
and the Coaching screen's other reads (the agent page's figures are in store/agents.py).

Notes are shown as the person last wrote them: where a local change waits
in the outbox (pending, in conflict, rejected), its state comes along.

Lists of notes can be narrowed to whose they are (`Whose`): the agents of
some teams or serving some queues (a lead's team, a queue token's floor),
or the notes some authors wrote.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
from typing import Any

NOTE_COLUMNS = (
    "n.id, n.version, n.agent_id, a.name, a.team, n.customer_id, n.author, n.edited_by, n.created_at, n.updated_at,"
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
    edited_by: str | None  # who last edited it on the hub, when not the author
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

    def as_data(self) -> dict[str, Any]:
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


@dataclass(frozen=True, slots=True)
class Whose:
    """Whose notes (or agents) a list holds: everything when empty; else the
    agents of `teams` or serving `queues`, and/or the notes by `authors`."""

    teams: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()

    def where(self, agent: str = "n.agent_id", author: str | None = "n.author") -> tuple[str, tuple[str, ...]]:
        """A SQL condition (and its parameters) on the agent id column `agent` and the author column."""
        parts: list[str] = []
        params: list[str] = []
        if self.teams or self.queues:
            ors = []
            if self.teams:
                ors.append(f"{agent} IN (SELECT id FROM agent WHERE team IN ({', '.join('?' * len(self.teams))}))")
                params += self.teams
            if self.queues:
                ors.append(
                    f"{agent} IN (SELECT agent_id FROM agent_queue WHERE queue_id IN"
                    f" ({', '.join('?' * len(self.queues))}))"
                )
                params += self.queues
            parts.append("(" + " OR ".join(ors) + ")")
        if self.authors and author is not None:
            parts.append(f"{author} IN ({', '.join('?' * len(self.authors))})")
            params += self.authors
        return (" AND ".join(parts) or "1"), tuple(params)


EVERYONE = Whose()


def _notes(con: sqlite3.Connection, where: str, params: tuple[object, ...], limit: int = 500) -> list[NoteView]:
    rows = con.execute(
        f"SELECT {NOTE_COLUMNS}, ob.state, ob.detail, ob.seq FROM note n LEFT JOIN agent a ON a.id = n.agent_id"
        f"{_OUTBOX} WHERE {where} ORDER BY n.created_at DESC, n.id LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [NoteView(*r) for r in rows]


def agent_notes(con: sqlite3.Connection, agent_id: str, limit: int = 500) -> list[NoteView]:
    """An agent's notes, newest first."""
    return _notes(con, "n.agent_id = ?", (agent_id,), limit)


def search_notes(con: sqlite3.Connection, words: str, limit: int = 200, whose: Whose = EVERYONE) -> list[NoteView]:
    """Notes whose text, author, agent or topic holds every word (case-insensitive), newest first."""
    terms = [w for w in words.lower().split() if w]
    if not terms:
        return []
    hay = "lower(n.body || ' ' || n.author || ' ' || coalesce(a.name, '') || ' ' || coalesce(n.topic, ''))"
    where = " AND ".join(f"instr({hay}, ?) > 0" for _ in terms)
    scope, params = whose.where()
    return _notes(con, f"{where} AND {scope}", (*terms, *params), limit)


def follow_ups(con: sqlite3.Connection, today: str, limit: int = 500, whose: Whose = EVERYONE) -> list[NoteView]:
    """Coaching follow-ups due today or overdue (`today` as YYYY-MM-DD), oldest due first."""
    scope, params = whose.where()
    notes = _notes(
        con,
        f"n.follow_up_on IS NOT NULL AND n.follow_up_on <= ? AND n.type = 'coaching' AND {scope}",
        (today, *params),
        limit,
    )
    return sorted(notes, key=lambda n: (n.follow_up_on or "", n.created_at))


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
    mine: dict[str, Any] | None  # the note as we wrote it (None for a deletion)
    theirs: dict[str, Any] | None  # the hub's current note change, for a conflict
    created_at: float


def _problem(row: tuple[Any, ...]) -> Problem:
    seq, note_id, op, state, detail, body, created_at = row
    theirs = None
    if state == "conflict" and detail:
        try:
            theirs = json.loads(detail)
        except ValueError:
            theirs = None
    try:
        mine = json.loads(body) if body else None
    except ValueError:
        mine = None
    return Problem(
        seq,
        note_id,
        op,
        state,
        detail,
        mine if isinstance(mine, dict) else None,
        theirs if isinstance(theirs, dict) else None,
        created_at,
    )


_PROBLEM_COLUMNS = "seq, note_id, op, state, detail, body, created_at"


def outbox_problems(con: sqlite3.Connection) -> list[Problem]:
    """The local changes the hub would not take (a conflict or a rejection), oldest first."""
    return [
        _problem(r)
        for r in con.execute(
            f"SELECT {_PROBLEM_COLUMNS} FROM outbox WHERE state IN ('conflict', 'rejected') ORDER BY seq"
        )
    ]


@dataclass(frozen=True, slots=True)
class NoteDetail:
    """A note as the note view shows it: the note here, and where a change of
    ours waits, that change (`problem`: ours as written, and for a conflict
    the hub's note as its 409 said)."""

    note: NoteView
    problem: Problem | None = None


def note_detail(con: sqlite3.Connection, note_id: str) -> NoteDetail | None:
    """The note of that id with the change of ours the hub would not take, if
    any (else its newest waiting change's state); None when neither the store
    nor the outbox knows it."""
    row = con.execute(
        f"SELECT {_PROBLEM_COLUMNS} FROM outbox WHERE note_id = ?"
        " ORDER BY state IN ('conflict', 'rejected') DESC, seq DESC LIMIT 1",
        (note_id,),
    ).fetchone()
    problem = _problem(row) if row is not None and row[3] in ("conflict", "rejected") else None
    found = note_by_id(con, note_id)
    if found is None and problem is None:
        return None
    if found is None:
        assert problem is not None
        found = _note_of(con, problem)
    if problem is not None:
        found = replace(found, sync_state=problem.state, sync_detail=problem.detail, outbox_seq=problem.seq)
    return NoteDetail(found, problem)


def _note_of(con: sqlite3.Connection, p: Problem) -> NoteView:
    """A note no longer in the store (deleted here, or dropped by a reset), as
    ours or, for a deletion, the hub's says it was."""
    from floorview.domain.text import clean

    data = p.mine or ((p.theirs or {}).get("data") or {})

    def text(key: str) -> str | None:  # the hub's when ours is gone: shown, so cleaned
        value = data.get(key)
        return None if value is None else clean(str(value))

    agent_id = text("agent_id")
    agent = con.execute("SELECT name, team FROM agent WHERE id = ?", (agent_id,)).fetchone() if agent_id else None
    return NoteView(
        id=p.note_id,
        version=0,
        agent_id=agent_id,
        agent_name=agent[0] if agent else None,
        team=agent[1] if agent else None,
        customer_id=text("customer_id"),
        author=text("author") or "?",
        edited_by=text("edited_by"),
        created_at=p.created_at,
        updated_at=p.created_at,
        type=text("type") or "coaching",
        topic=text("topic"),
        adkar=text("adkar"),
        follow_up_on=text("follow_up_on"),
        interaction_id=text("interaction_id"),
        visibility=text("visibility") or "team",
        body="(deleted here)" if p.op == "delete" else (text("body") or ""),
    )


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


def not_coached_since(con: sqlite3.Connection, since: float, whose: Whose = EVERYONE) -> list[Uncoached]:
    """Agents with no coaching note since `since`, longest without first (of
    `whose` teams and queues; by its authors: no coaching note of theirs)."""
    scope, scope_params = Whose(whose.teams, whose.queues).where("a.id", None)
    by, params = Whose(authors=whose.authors).where("n.agent_id", "n.author")
    rows = con.execute(
        "SELECT a.id, a.name, a.team, (SELECT max(created_at) FROM note n WHERE n.agent_id = a.id"
        f" AND n.type = 'coaching' AND {by}) AS last FROM agent a WHERE coalesce(last, 0) < ? AND {scope}"
        " ORDER BY last IS NOT NULL, last, a.name",
        (*params, since, *scope_params),
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
