"""The hub's own database: the current feed document of every record, in
change order, and the tokens that may read it.

`hub_record` is a compacted change log: one row per (kind, id) holding the
latest version, with a `seq` that moves to the end of the log whenever the
record changes. Serving "everything after cursor N" is then a range read on
`seq`, and a client that starts from nothing gets the current state, each
record once. Deleted records stay as tombstones for `TOMBSTONE_DAYS`; a cursor
older than the newest purged tombstone could have missed a delete and is
answered 410, as is a cursor from another hub database (its epoch differs).

Each row also carries its scope: the teams and queues it belongs to, and for
a private note the team allowed to see it. A token sees a row when its scope
meets the row's (an unrestricted token sees everything).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine

TOMBSTONE_DAYS = 7
metadata = MetaData()

hub_record = Table(
    "hub_record",
    metadata,
    Column("kind", String(64), primary_key=True),
    Column("id", String(128), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("op", String(8), nullable=False),
    Column("data", Text),
    Column("seq", Integer, nullable=False, index=True, unique=True),
    Column("teams", Text, nullable=False, server_default=""),  # space-separated
    Column("queues", Text, nullable=False, server_default=""),
    Column("private_team", String(200)),  # set on private notes: the only team that sees it
    Column("changed_at", Float, nullable=False),
)
hub_meta = Table(
    "hub_meta",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("epoch", String(32), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("purged_seq", Integer, nullable=False),
)
hub_token = Table(
    "hub_token",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("teams", Text, nullable=False),
    Column("queues", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)


@dataclass(frozen=True)
class Scope:
    """Who a token is and what it may see. Empty teams and queues: the whole floor."""

    name: str
    teams: frozenset[str] = frozenset()
    queues: frozenset[str] = frozenset()

    @property
    def whole_floor(self) -> bool:
        return not self.teams and not self.queues

    def sees(self, teams: str, queues: str, private_team: str | None) -> bool:
        if private_team is not None:
            return self.whole_floor or private_team in self.teams
        if self.whole_floor:
            return True
        return bool(self.teams & set(teams.split()) or self.queues & set(queues.split()))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_hub_engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _connect(dbapi_con, _record):
            dbapi_con.isolation_level = None
            for pragma in ("journal_mode=WAL", "busy_timeout=10000", "synchronous=FULL"):
                dbapi_con.execute(f"PRAGMA {pragma}")

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    metadata.create_all(engine)
    with engine.begin() as conn:
        if conn.execute(select(hub_meta.c.id)).first() is None:
            conn.execute(insert(hub_meta).values(id=1, epoch=secrets.token_hex(8), seq=0, purged_seq=0))
    return engine


class HubStore:
    """Writes records into the log with their scope, and reads pages for a scope."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock
        self.listeners: list[Callable[[], None]] = []  # told after every commit
        self._lock = threading.Lock()

    # -- tokens ----------------------------------------------------------------
    def create_token(self, name: str, teams: Iterable[str] = (), queues: Iterable[str] = ()) -> str:
        """A new random token; only its hash is kept, so this is the one time it is seen."""
        token = "fv_" + secrets.token_urlsafe(32)
        self.add_token(token, name, teams, queues)
        return token

    def add_token(self, token: str, name: str, teams: Iterable[str] = (), queues: Iterable[str] = ()) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(hub_token).values(
                    name=name,
                    token_hash=hash_token(token),
                    teams=" ".join(sorted(set(teams))),
                    queues=" ".join(sorted(set(queues))),
                    created_at=self.clock(),
                )
            )

    def scope_for(self, token: str) -> Scope | None:
        """The scope of a presented token, compared in constant time; None if unknown."""
        wanted = hash_token(token)
        found = None
        with self.engine.connect() as conn:
            rows = conn.execute(select(hub_token.c.name, hub_token.c.token_hash, hub_token.c.teams, hub_token.c.queues)).all()
        for name, stored, teams, queues in rows:
            if hmac.compare_digest(stored, wanted):
                found = Scope(name, frozenset(teams.split()), frozenset(queues.split()))
        return found

    # -- the log ----------------------------------------------------------------
    @property
    def epoch(self) -> str:
        with self.engine.connect() as conn:
            return conn.execute(select(hub_meta.c.epoch)).scalar_one()

    def head(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(hub_meta.c.seq)).scalar_one()

    def write(self, changes: Iterable[Mapping[str, Any]]) -> int:
        """Record changes (feed change dicts); a version not above the stored one is ignored."""
        written = 0
        with self._lock, self.engine.begin() as conn:
            seq = conn.execute(select(hub_meta.c.seq)).scalar_one()
            for ch in changes:
                seq, n = self._write_one(conn, ch, seq)
                written += n
            conn.execute(update(hub_meta).values(seq=seq))
        if written:
            for listener in self.listeners:
                listener()
        return written

    def _write_one(self, conn, ch: Mapping[str, Any], seq: int) -> tuple[int, int]:
        kind, rid, version = ch["kind"], ch["id"], int(ch["version"])
        row = conn.execute(
            select(hub_record.c.version, hub_record.c.teams, hub_record.c.queues).where(
                hub_record.c.kind == kind, hub_record.c.id == rid
            )
        ).first()
        if row is not None and row.version >= version:
            return seq, 0
        data = ch.get("data") if ch["op"] == "upsert" else None
        teams, queues, private = self._scope_of(conn, kind, data) if data else (
            (row.teams, row.queues, None) if row else ("", "", None)
        )
        seq += 1
        values = dict(
            version=version, op=ch["op"], data=json.dumps(data) if data is not None else None,
            seq=seq, teams=teams, queues=queues, private_team=private, changed_at=self.clock(),
        )
        if row is None:
            conn.execute(insert(hub_record).values(kind=kind, id=rid, **values))
        else:
            conn.execute(update(hub_record).where(hub_record.c.kind == kind, hub_record.c.id == rid).values(**values))
        if kind == "interaction" and data and data.get("customer_id"):
            seq = self._widen_customer(conn, data["customer_id"], data["queue_id"], seq)
        return seq, 1

    def _lookup(self, conn, kind: str, rid: str | None) -> dict | None:
        if not rid:
            return None
        row = conn.execute(
            select(hub_record.c.data, hub_record.c.teams, hub_record.c.queues).where(
                hub_record.c.kind == kind, hub_record.c.id == rid
            )
        ).first()
        if row is None:
            return None
        return {"data": json.loads(row.data) if row.data else {}, "teams": row.teams, "queues": row.queues}

    def scope_of(self, kind: str, data: Mapping[str, Any]) -> tuple[str, str, str | None]:
        with self.engine.connect() as conn:
            return self._scope_of(conn, kind, data)

    def _scope_of(self, conn, kind: str, data: Mapping[str, Any]) -> tuple[str, str, str | None]:
        """Teams, queues and private team of a record, from what it refers to."""
        if kind == "queue":
            return "", "", None
        if kind == "agent":
            return data.get("team", ""), " ".join(data.get("queues") or []), None
        if kind == "interaction":
            agent = self._lookup(conn, "agent", data.get("agent_id"))
            return (agent["data"].get("team", "") if agent else ""), data.get("queue_id", ""), None
        if kind == "customer":
            return "", "", None  # widened as the customer's contacts arrive
        if kind == "survey":
            found = self._lookup(conn, "interaction", data.get("interaction_id")) or self._lookup(
                conn, "customer", data.get("customer_id")
            )
            return (found["teams"], found["queues"], None) if found else ("", "", None)
        if kind == "note":
            agent = self._lookup(conn, "agent", data.get("agent_id"))
            team = agent["data"].get("team", "") if agent else ""
            customer = self._lookup(conn, "customer", data.get("customer_id"))
            queues = customer["queues"] if customer else ""
            private = team if data.get("visibility") == "private" else None
            return team, queues, private
        return "", "", None

    def _widen_customer(self, conn, customer_id: str, queue_id: str, seq: int) -> int:
        """A customer becomes visible to a queue's tokens when they contact it:
        same version, new seq, so tokens that now see it receive it."""
        row = conn.execute(
            select(hub_record.c.queues).where(hub_record.c.kind == "customer", hub_record.c.id == customer_id)
        ).first()
        if row is None or queue_id in row.queues.split():
            return seq
        seq += 1
        conn.execute(
            update(hub_record)
            .where(hub_record.c.kind == "customer", hub_record.c.id == customer_id)
            .values(queues=f"{row.queues} {queue_id}".strip(), seq=seq)
        )
        return seq

    def purge_tombstones(self, older_than_s: float = TOMBSTONE_DAYS * 86400) -> int:
        cutoff = self.clock() - older_than_s
        with self._lock, self.engine.begin() as conn:
            rows = conn.execute(
                select(hub_record.c.kind, hub_record.c.id, hub_record.c.seq).where(
                    hub_record.c.op == "delete", hub_record.c.changed_at < cutoff
                )
            ).all()
            if rows:
                top = max(r.seq for r in rows)
                for r in rows:
                    conn.execute(hub_record.delete().where(hub_record.c.kind == r.kind, hub_record.c.id == r.id))
                purged = conn.execute(select(hub_meta.c.purged_seq)).scalar_one()
                conn.execute(update(hub_meta).values(purged_seq=max(purged, top)))
        return len(rows)

    def page(self, scope: Scope, after: int, limit: int) -> tuple[list[dict], int, bool]:
        """Up to `limit` changes the scope sees after seq `after`: (changes, last seq examined, more)."""
        out: list[dict] = []
        last = after
        with self.engine.connect() as conn:
            while len(out) < limit:
                rows = conn.execute(
                    select(hub_record).where(hub_record.c.seq > last).order_by(hub_record.c.seq).limit(max(limit, 500))
                ).all()
                if not rows:
                    return out, last, False
                for r in rows:
                    last = r.seq
                    if scope.sees(r.teams, r.queues, r.private_team):
                        change = {"kind": r.kind, "id": r.id, "version": r.version, "op": r.op}
                        if r.op == "upsert":
                            change["data"] = json.loads(r.data)
                        out.append(change)
                        if len(out) == limit:
                            break
            more = conn.execute(select(hub_record.c.seq).where(hub_record.c.seq > last).limit(1)).first() is not None
        return out, last, more

    def purged_seq(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(hub_meta.c.purged_seq)).scalar_one()

    def current(self, kind: str, rid: str) -> dict | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(hub_record).where(hub_record.c.kind == kind, hub_record.c.id == rid)).first()
        if r is None:
            return None
        change = {"kind": r.kind, "id": r.id, "version": r.version, "op": r.op}
        if r.op == "upsert":
            change["data"] = json.loads(r.data)
        return change | {"_teams": r.teams, "_private_team": r.private_team}
