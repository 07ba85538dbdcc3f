"""The hub's own database: the current feed document of every record, in
change order, and the tokens that may read it.

`hub_record` is a compacted change log: one row per (kind, id) holding the
latest version, with a `seq` that moves to the end of the log whenever the
record changes. Serving "everything after cursor N" is then a range read on
`seq`, and a client that starts from nothing gets the current state, each
record once. Deleted records stay as tombstones for `TOMBSTONE_DAYS`; a cursor
older than the newest purged tombstone could have missed a delete and is
answered 410, as is a cursor from another hub database (its epoch differs).
A cursor also names the purge generation it was issued in, so a client that
starts over after a purge is not told 410 for positions it reaches afterwards.

Each row also carries its scope: the teams and queues it belongs to, and for
a private note the team allowed to see it. A token sees a row when its scope
meets the row's (an unrestricted token sees everything). Queue ids hold no
spaces and are kept space-separated; team names may ("Team A"), so they are
kept joined by the ASCII unit separator, which cleaned feed text never holds.
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
    bindparam,
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
TEAM_SEP = "\x1f"
# 2: teams joined by TEAM_SEP (1 split them on spaces, which broke "Team A").
SCOPE_FORMAT = 2
# Within a batch, records others refer to are written first.
_KIND_ORDER = {"queue": 0, "agent": 1, "customer": 2, "interaction": 3, "survey": 4, "note": 5}
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
    Column("teams", Text, nullable=False, server_default=""),  # joined by TEAM_SEP
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
    Column("purge_gen", Integer, nullable=False, server_default="0"),  # bumped by each purge
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
)


class HubDatabaseError(Exception):
    """The hub database cannot be used by this version."""


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
        return bool(self.teams & split_teams(teams) or self.queues & set(queues.split()))


def join_teams(teams: Iterable[str]) -> str:
    return TEAM_SEP.join(sorted({t.replace(TEAM_SEP, "") for t in teams} - {""}))


def split_teams(text: str) -> frozenset[str]:
    return frozenset(text.split(TEAM_SEP)) - {""}


def change_json(row) -> str:
    """A stored row as the JSON of a feed change; the data is stored as JSON already."""
    head = f'{{"kind":{json.dumps(row.kind)},"id":{json.dumps(row.id)},"version":{row.version},"op":"{row.op}"'
    return f"{head},\"data\":{row.data}}}" if row.op == "upsert" else head + "}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_hub_engine(url: str) -> Engine:
    engine = create_engine(url, hide_parameters=True)  # errors never log note text or token hashes
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
        fresh = conn.execute(select(hub_meta.c.id)).first() is None
        if fresh:
            conn.execute(insert(hub_meta).values(id=1, epoch=secrets.token_hex(8), seq=0, purged_seq=0))
        written_in = conn.execute(select(hub_format.c.scopes)).scalar()
        if written_in is None:
            if not fresh:  # made before scopes had a format: rewrite them
                from floorview.hub.scope_upgrade import upgrade_scopes

                upgrade_scopes(conn)
            conn.execute(insert(hub_format).values(id=1, scopes=SCOPE_FORMAT))
        elif written_in > SCOPE_FORMAT:
            raise HubDatabaseError(
                f"the hub database was written by a newer floorview (scope format {written_in}); upgrade floorview"
            )
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
                    teams=join_teams(teams),
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
                found = Scope(name, split_teams(teams), frozenset(queues.split()))
        return found

    # -- the log ----------------------------------------------------------------
    @property
    def epoch(self) -> str:
        with self.engine.connect() as conn:
            return conn.execute(select(hub_meta.c.epoch)).scalar_one()

    def write(self, changes: Iterable[Mapping[str, Any]]) -> int:
        """Record changes (feed change dicts); a version not above the stored one is ignored.

        Batched: one lookup per kind for what is stored, one executemany for
        new rows and one for changed rows. Scopes come from what the records
        refer to (an interaction's agent, a survey's interaction, a note's agent).
        """
        best: dict[tuple[str, str], Mapping[str, Any]] = {}
        for ch in changes:
            key = (ch["kind"], ch["id"])
            if key not in best or int(best[key]["version"]) < int(ch["version"]):
                best[key] = ch
        if not best:
            return 0
        with self._lock, self.engine.begin() as conn:
            seq = conn.execute(select(hub_meta.c.seq)).scalar_one()
            stored = self._fetch(conn, list(best))
            order = sorted(best.values(), key=lambda ch: _KIND_ORDER.get(ch["kind"], 9))
            inserts, updates, widen = [], [], {}
            now = self.clock()
            for ch in order:
                key = (ch["kind"], ch["id"])
                old = stored.get(key)
                version = int(ch["version"])
                if old is not None and old["version"] >= version:
                    continue
                data = ch.get("data") if ch["op"] == "upsert" else None
                if data is not None:
                    teams, queues, private = self._scope_of(conn, ch["kind"], data, stored)
                elif old is not None:
                    teams, queues, private = old["teams"], old["queues"], None
                else:
                    teams, queues, private = "", "", None
                seq += 1
                row = {
                    "k": ch["kind"], "i": ch["id"], "version": version, "op": ch["op"],
                    "data": json.dumps(data) if data is not None else None, "seq": seq,
                    "teams": teams, "queues": queues, "private_team": private, "changed_at": now,
                }
                (updates if old is not None else inserts).append(row)
                stored[key] = {"version": version, "teams": teams, "queues": queues, "data": data}
                if ch["kind"] == "interaction" and data and data.get("customer_id"):
                    widen.setdefault(data["customer_id"], set()).add(data.get("queue_id", ""))
            if inserts:
                conn.execute(
                    insert(hub_record),
                    [{"kind": r["k"], "id": r["i"], **{k: v for k, v in r.items() if k not in ("k", "i")}} for r in inserts],
                )
            if updates:
                conn.execute(
                    update(hub_record)
                    .where(hub_record.c.kind == bindparam("k"), hub_record.c.id == bindparam("i"))
                    .values({c: bindparam(c) for c in ("version", "op", "data", "seq", "teams", "queues", "private_team", "changed_at")}),
                    updates,
                )
            seq = self._widen_customers(conn, widen, stored, seq)
            conn.execute(update(hub_meta).values(seq=seq))
        written = len(inserts) + len(updates)
        if written:
            for listener in self.listeners:
                listener()
        return written

    def _fetch(self, conn, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
        """What is stored for these records, a kind at a time."""
        out: dict[tuple[str, str], dict] = {}
        by_kind: dict[str, list[str]] = {}
        for kind, rid in keys:
            by_kind.setdefault(kind, []).append(rid)
        for kind, ids in by_kind.items():
            for i in range(0, len(ids), 500):
                for r in conn.execute(
                    select(hub_record.c.id, hub_record.c.version, hub_record.c.teams, hub_record.c.queues, hub_record.c.data)
                    .where(hub_record.c.kind == kind, hub_record.c.id.in_(ids[i : i + 500]))
                ):
                    out[(kind, r.id)] = {
                        "version": r.version, "teams": r.teams, "queues": r.queues,
                        "data": json.loads(r.data) if r.data else None,
                    }
        return out

    def _lookup(self, conn, kind: str, rid: str | None, known: dict) -> dict | None:
        """A referenced record: from this batch or the store (cached for the batch)."""
        if not rid:
            return None
        key = (kind, rid)
        if key not in known:
            known.update(self._fetch(conn, [key]))
        return known.get(key)

    def scope_of(self, kind: str, data: Mapping[str, Any]) -> tuple[str, str, str | None]:
        with self.engine.connect() as conn:
            return self._scope_of(conn, kind, data, {})

    def _scope_of(self, conn, kind: str, data: Mapping[str, Any], known: dict) -> tuple[str, str, str | None]:
        """Teams, queues and private team of a record, from what it refers to."""
        if kind == "agent":
            return join_teams([data.get("team", "")]), " ".join(data.get("queues") or []), None
        if kind == "interaction":
            agent = self._lookup(conn, "agent", data.get("agent_id"), known)
            team = (agent.get("data") or {}).get("team", "") if agent else ""
            return join_teams([team]), data.get("queue_id", ""), None
        if kind == "survey":
            found = self._lookup(conn, "interaction", data.get("interaction_id"), known) or self._lookup(
                conn, "customer", data.get("customer_id"), known
            )
            return (found["teams"], found["queues"], None) if found else ("", "", None)
        if kind == "note":
            agent = self._lookup(conn, "agent", data.get("agent_id"), known)
            team = (agent.get("data") or {}).get("team", "") if agent else ""
            customer = self._lookup(conn, "customer", data.get("customer_id"), known)
            private = team if data.get("visibility") == "private" else None
            return join_teams([team]), customer["queues"] if customer else "", private
        return "", "", None  # queues: everyone; customers: widened as their contacts arrive

    def _widen_customers(self, conn, widen: dict[str, set[str]], known: dict, seq: int) -> int:
        """A customer becomes visible to a queue's tokens when they contact it:
        same version, new seq, so tokens that now see it receive it."""
        changes = []
        for cid, queues in widen.items():
            customer = self._lookup(conn, "customer", cid, known)
            if customer is None:
                continue
            have = set(customer["queues"].split())
            if queues <= have:
                continue
            seq += 1
            customer["queues"] = " ".join(sorted(have | queues))
            changes.append({"i": cid, "queues": customer["queues"], "seq": seq})
        if changes:
            conn.execute(
                update(hub_record)
                .where(hub_record.c.kind == "customer", hub_record.c.id == bindparam("i"))
                .values(queues=bindparam("queues"), seq=bindparam("seq")),
                changes,
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
                conn.execute(
                    update(hub_meta).values(purged_seq=max(purged, top), purge_gen=hub_meta.c.purge_gen + 1)
                )
        return len(rows)

    def page_rows(self, scope: Scope, after: int, limit: int) -> tuple[list, int, bool]:
        """Up to `limit` stored rows the scope sees after seq `after`: (rows, last seq examined, more)."""
        out: list = []
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
                        out.append(r)
                        if len(out) == limit:
                            break
            more = conn.execute(select(hub_record.c.seq).where(hub_record.c.seq > last).limit(1)).first() is not None
        return out, last, more

    def page(self, scope: Scope, after: int, limit: int) -> tuple[list[dict], int, bool]:
        """As `page_rows`, the rows as change dicts."""
        rows, last, more = self.page_rows(scope, after, limit)
        return [json.loads(change_json(r)) for r in rows], last, more

    def purged(self) -> tuple[int, int]:
        """(purge generation, newest purged seq)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(hub_meta.c.purge_gen, hub_meta.c.purged_seq)).one()
        return row.purge_gen, row.purged_seq

    def current(self, kind: str, rid: str) -> dict | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(hub_record).where(hub_record.c.kind == kind, hub_record.c.id == rid)).first()
        if r is None:
            return None
        change = {"kind": r.kind, "id": r.id, "version": r.version, "op": r.op}
        if r.op == "upsert":
            change["data"] = json.loads(r.data)
        return change | {"_teams": r.teams, "_private_team": r.private_team}
