"""Rewrites the scopes of a hub database made by an older floorview.

Before scopes had a format, a token's teams were joined with spaces and split
on spaces, so a token for "Team A" was read as the teams "Team" and "A". A
token's joined string is read back as the longest runs of words that name a
team on the floor, which is exact unless two team names overlap word for word.

Formats 1 and 2 kept on each row the teams and queues it belonged to, worked
out when the row was written, which could not follow the Scope rule of the
protocol (a team's queues, a customer's contacts). Format 3 keeps the facts
(agent, queue, customer, private) and resolves scopes when a page is read:
the upgrade adds those columns, reads the facts back from each row's data and
builds `hub_agent` and `hub_reach`. Tombstones carry no data: an agent's or
a customer's facts are its own id, an interaction's queue is read back from
the old `queues` column, and other old tombstones go to whole-floor tokens only.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import bindparam, column, delete, insert, inspect, select, text, tuple_, update

from floorview.hub.tables import (
    TEAM_SEP,
    facts_of,
    hub_agent,
    hub_reach,
    hub_record,
    hub_token,
    join_teams,
)

log = logging.getLogger(__name__)
_STEP = 5000
_COLUMNS = {
    "agent": "VARCHAR(128)",
    "queue": "VARCHAR(128)",
    "customer": "VARCHAR(128)",
    "is_private": "BOOLEAN NOT NULL DEFAULT 0",
}


def upgrade_scopes(conn, written_in: int | None) -> None:
    have = {c["name"] for c in inspect(conn).get_columns("hub_record")}
    for name, ddl in _COLUMNS.items():
        if name not in have:
            conn.execute(text(f"ALTER TABLE hub_record ADD COLUMN {name} {ddl}"))
    for index in hub_record.indexes:
        index.create(conn, checkfirst=True)
    old_queues = "queues" in have
    old_teams = "teams" in have
    _refill_facts(conn, old_queues)
    _rebuild_agents(conn, old_teams)
    _rebuild_reach(conn)
    if written_in is None:
        _read_back_token_teams(conn)


def _refill_facts(conn, old_queues: bool) -> None:
    """Each row's facts from its data, a slice of the key range at a time."""
    c = hub_record.c
    after = None
    while True:
        query = select(c.kind, c.id, c.op, c.data, *([column("queues")] if old_queues else []))
        if after is not None:
            query = query.where(tuple_(c.kind, c.id) > tuple_(*after))
        rows = conn.execute(query.order_by(c.kind, c.id).limit(_STEP)).all()
        if not rows:
            return
        changes = []
        for r in rows:
            facts = facts_of(r.kind, r.id, json.loads(r.data) if r.op == "upsert" and r.data else None)
            if r.op == "delete" and r.kind == "interaction" and old_queues:
                facts["queue"] = next(iter((r[4] or "").split()), None)  # the queue it was on
            changes.append({"k": r.kind, "i": r.id, **facts})
        conn.execute(
            update(hub_record)
            .where(c.kind == bindparam("k"), c.id == bindparam("i"))
            .values({name: bindparam(name) for name in _COLUMNS}),
            changes,
        )
        after = (rows[-1].kind, rows[-1].id)


def _rebuild_agents(conn, old_teams: bool) -> None:
    conn.execute(delete(hub_agent))
    c = hub_record.c
    query = select(c.id, c.op, c.data, *([column("teams")] if old_teams else [])).where(c.kind == "agent")
    rows = []
    for r in conn.execute(query):
        if r.op == "upsert" and r.data:
            data = json.loads(r.data)
            team = data.get("team") if isinstance(data.get("team"), str) else ""
            queues = [q for q in data.get("queues") or [] if isinstance(q, str) and q]
            rows.append({"id": r.id, "team": team.replace(TEAM_SEP, ""), "queues": join_teams(queues), "present": True})
        else:  # a deleted agent: its last team, if the old format kept it
            rows.append({"id": r.id, "team": r[3] if old_teams and r[3] else "", "queues": "", "present": False})
    for i in range(0, len(rows), _STEP):
        conn.execute(insert(hub_agent), rows[i : i + _STEP])


def _rebuild_reach(conn) -> None:
    conn.execute(delete(hub_reach))
    c = hub_record.c
    reach: dict[str, tuple[set, set]] = {}
    for customer, agent, queue in conn.execute(
        select(c.customer, c.agent, c.queue).where(c.kind == "interaction", c.op == "upsert", c.customer.is_not(None))
    ):
        agents, queues = reach.setdefault(customer, (set(), set()))
        if agent:
            agents.add(agent)
        if queue:
            queues.add(queue)
    rows = [{"customer": k, "agents": join_teams(a), "queues": join_teams(q)} for k, (a, q) in reach.items()]
    for i in range(0, len(rows), _STEP):
        conn.execute(insert(hub_reach), rows[i : i + _STEP])


def _read_back_token_teams(conn) -> None:
    known = set(conn.execute(select(hub_agent.c.team).distinct()).scalars())
    known.discard("")
    for token_id, name, teams in conn.execute(select(hub_token.c.id, hub_token.c.name, hub_token.c.teams)).all():
        names = read_old_teams(teams, known)
        if not names <= known:
            log.warning("token %r names teams not on the floor: %s", name, ", ".join(sorted(names - known)))
        conn.execute(update(hub_token).where(hub_token.c.id == token_id).values(teams=join_teams(names)))


def read_old_teams(text: str, known: set[str]) -> set[str]:
    """Space-joined team names read back: at each word, the longest run of
    words that names a known team, or else the word alone."""
    words = text.split()
    out: set[str] = set()
    i = 0
    while i < len(words):
        j = next(j for j in range(len(words), i, -1) if j == i + 1 or " ".join(words[i:j]) in known)
        out.add(" ".join(words[i:j]))
        i = j
    return out
