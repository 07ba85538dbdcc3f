"""The hub database's tables and the facts a row's visibility is read from:
what the hub store and its format upgrades share (apart, so that neither
imports the other)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text

TOMBSTONE_DAYS = 7
TEAM_SEP = "\x1f"
# The hub database's format, kept in `hub_format.scopes` (named when it was
# only about scopes). A hub refuses a database of a newer format, and rewrites
# an older one in place.
# 2: teams joined by TEAM_SEP (1 split them on spaces, which broke "Team A").
# 3: rows keep the facts of their scope (agent, queue, customer, private) and
#    scopes are resolved at read time (the Scope rule of feed-protocol.md).
# 4: tokens expire and are revoked (an older hub would still take them, so it
#    must refuse this database), records no client could store are dropped,
#    and data is stored as UTF-8 JSON.
# 5: the tables are under the hub's own migrations (hub/migrations/, their
#    revision in `hub_alembic_version`); the marker stays 5 from then on, so a
#    hub from before the migrations refuses the database.
HUB_FORMAT = 4  # the rows' format, which hubs from before the migrations rewrite to
FORMAT_MARK = 5  # what a migrated database's `hub_format.scopes` holds
SCOPE_FORMAT = HUB_FORMAT
metadata = MetaData()
# Positions and versions: 64-bit, as the protocol allows (SQLite's INTEGER is already).
Wide = BigInteger().with_variant(Integer(), "sqlite")

hub_record = Table(
    "hub_record",
    metadata,
    Column("kind", String(64), primary_key=True),
    Column("id", String(128), primary_key=True),
    Column("version", Wide, nullable=False),
    Column("op", String(8), nullable=False),
    Column("data", Text),
    Column("seq", Wide, nullable=False, index=True, unique=True),
    Column("changed_at", Float, nullable=False),
    # The facts scope is read from (feed-protocol.md, Scope); an agent's or a
    # customer's own record needs none but its id.
    Column("agent", String(128)),  # an interaction's or a note's agent
    Column("queue", String(128)),  # an interaction's queue
    Column("customer", String(128)),  # an interaction's, survey's or note's customer
    Column("is_private", Boolean, nullable=False, server_default="0"),  # a private note
)
# Partial: most rows have no agent, and only interactions have a queue.
for _col in (hub_record.c.agent, hub_record.c.queue, hub_record.c.customer):
    Index(f"ix_hub_record_{_col.name}", _col, sqlite_where=_col.is_not(None), postgresql_where=_col.is_not(None))

hub_agent = Table(  # every agent the hub has met, as it last stood
    "hub_agent",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("team", String(200), nullable=False),
    Column("queues", Text, nullable=False),  # joined by TEAM_SEP
    Column("present", Boolean, nullable=False),  # false once deleted: it serves no queue
)
hub_reach = Table(  # each customer's contacts: who handled them and on which queues
    "hub_reach",
    metadata,
    Column("customer", String(128), primary_key=True),
    Column("agents", Text, nullable=False),  # joined by TEAM_SEP
    Column("queues", Text, nullable=False),
)
hub_reach_member = Table(  # hub_reach one member a row: scoped pages are filtered in the database
    "hub_reach_member",
    metadata,
    Column("customer", String(128), primary_key=True),
    Column("is_queue", Boolean, primary_key=True),  # a queue of the customer's contacts, else an agent
    Column("member", String(128), primary_key=True),
)
Index("ix_hub_reach_member_member", hub_reach_member.c.is_queue, hub_reach_member.c.member)
hub_meta = Table(
    "hub_meta",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("epoch", String(32), nullable=False),
    Column("seq", Wide, nullable=False),
    Column("purged_seq", Wide, nullable=False),
    Column("purge_gen", Wide, nullable=False, server_default="0"),  # bumped by each purge
)
# A table of its own, so that create_all adds it to a hub database made before it.
hub_format = Table(
    "hub_format",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scopes", Integer, nullable=False),  # SCOPE_FORMAT the rows are written in
)
hub_token = Table(
    "hub_token",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("teams", Text, nullable=False),  # joined by TEAM_SEP
    Column("queues", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float),  # none: never
    Column("revoked_at", Float),
)
hub_source = Table(  # each source's resume point and counters, written with the records it produced
    "hub_source",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("resume", Text),  # the source's own resume point, JSON (opaque to the hub)
    Column("records_written", Wide, nullable=False, server_default="0"),
    Column("records_read", Wide, nullable=False, server_default="0"),  # lines or events read from the platform
    Column("unmapped", Text, nullable=False, server_default="{}"),  # JSON: reason -> {"count", "examples"}
    Column("last_record_at", Float),  # the platform's time of the newest record the source handed over
    Column("updated_at", Float, nullable=False),  # when the source last wrote (a heartbeat)
    Column("problem", Text),  # its newest error, one line (never a secret: sources keep them out of errors)
    Column("problem_at", Float),  # when; a problem after the last write means it is failing now
)
hub_lease = Table(  # who runs each source: one hub process at a time (hub/leases.py)
    "hub_lease",
    metadata,
    Column("name", String(200), primary_key=True),  # the source's name
    Column("owner", String(200), nullable=False),  # the holding process: host, pid and a random tag
    Column("expires_at", Float, nullable=False),  # renewed well before; another process takes it after
    Column("taken_at", Float, nullable=False),
)


def join_teams(teams: Iterable[str]) -> str:
    return TEAM_SEP.join(sorted({t.replace(TEAM_SEP, "") for t in teams} - {""}))


def split_teams(text: str | None) -> frozenset[str]:
    return frozenset((text or "").split(TEAM_SEP)) - {""}


def facts_of(kind: str, rid: str, data: Mapping[str, Any] | None) -> dict:
    """The facts a row's visibility is read from; `data` None for a delete never seen."""
    data = data or {}
    facts: dict[str, str | bool | None] = {"agent": None, "queue": None, "customer": None, "is_private": False}
    if kind == "interaction":
        facts.update(
            agent=_id(data.get("agent_id")), queue=_id(data.get("queue_id")), customer=_id(data.get("customer_id"))
        )
    elif kind == "survey":
        facts["customer"] = _id(data.get("customer_id"))
    elif kind == "note":
        facts.update(
            agent=_id(data.get("agent_id")),
            customer=_id(data.get("customer_id")),
            is_private=data.get("visibility") == "private",
        )
    return facts


def _id(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def team_of(data: Mapping[str, Any]) -> str:
    team = data.get("team")
    return team.replace(TEAM_SEP, "") if isinstance(team, str) else ""


def queues_of(data: Mapping[str, Any]) -> frozenset[str]:
    queues = data.get("queues")
    return frozenset(q for q in queues if isinstance(q, str) and q) if isinstance(queues, list) else frozenset()
