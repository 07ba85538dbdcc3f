"""Rewrites a hub database of format 3 (or older, after scope_upgrade) to
format 4: tokens gain an expiry and a revocation time, and records no client
could store are dropped.

Before format 4 the hub stored what it was given. A record with text that is
not Unicode (a lone surrogate) or an integer beyond SQLite's stopped the sync
of every client that could see it (security audit 1, H1). Such a record
becomes a tombstone one version up, so clients that never stored it move on,
and it keeps the facts of its scope, so the tombstone goes where the record
went. A row whose envelope itself is not the protocol's (a kind or id no
client accepts) leaves the log. Numbers outside the documented ranges of
their kind are left as they were: clients quarantine those (rule 5).
Data already stored stays in the ASCII-escaped JSON it was written in; every
record written from now on is UTF-8.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import bindparam, delete, inspect, select, text, tuple_, update

from floorview.hub.checks import MAX_VERSION, change_problem
from floorview.hub.tables import hub_agent, hub_meta, hub_record

log = logging.getLogger(__name__)
_STEP = 5000
_TOKEN_COLUMNS = {"expires_at": "FLOAT", "revoked_at": "FLOAT"}


def upgrade_to_4(conn) -> None:
    have = {c["name"] for c in inspect(conn).get_columns("hub_token")}
    for name, ddl in _TOKEN_COLUMNS.items():
        if name not in have:
            conn.execute(text(f"ALTER TABLE hub_token ADD COLUMN {name} {ddl}"))
    drop_poison(conn)


def drop_poison(conn) -> int:
    """Turn records no client could store into tombstones; the number dropped."""
    c = hub_record.c
    bad: list[tuple[str, str, int, str]] = []  # kind, id, version, reason
    after = None
    while True:
        query = select(c.kind, c.id, c.version, c.data).where(c.op == "upsert")
        if after is not None:
            query = query.where(tuple_(c.kind, c.id) > tuple_(*after))
        rows = conn.execute(query.order_by(c.kind, c.id).limit(_STEP)).all()
        if not rows:
            break
        for r in rows:
            try:
                data = json.loads(r.data)
            except (TypeError, ValueError, RecursionError):
                data = None
            problem, _ = change_problem(
                {"kind": r.kind, "id": r.id, "version": r.version, "op": "upsert", "data": data}, ranges=False
            )
            if problem:
                bad.append((r.kind, r.id, r.version, problem))
        after = (rows[-1].kind, rows[-1].id)
    if not bad:
        return 0
    seq = conn.execute(select(hub_meta.c.seq).with_for_update()).scalar_one()  # in the opening's write transaction
    tombstones, gone = [], []
    for kind, rid, version, problem in bad:
        log.warning("hub upgrade: %s %r dropped, no client could store it: %s", kind, rid, problem)
        envelope = change_problem({"kind": kind, "id": rid, "version": version, "op": "delete"})[0]
        if envelope:
            gone.append({"k": kind, "i": rid})
            continue
        seq += 1
        tombstones.append({"k": kind, "i": rid, "v": min(version + 1, MAX_VERSION), "s": seq})
    if tombstones:
        conn.execute(
            update(hub_record)
            .where(c.kind == bindparam("k"), c.id == bindparam("i"))
            .values(op="delete", data=None, version=bindparam("v"), seq=bindparam("s")),
            tombstones,
        )
    if gone:
        conn.execute(delete(hub_record).where(c.kind == bindparam("k"), c.id == bindparam("i")), gone)
    conn.execute(update(hub_meta).values(seq=seq))
    agents = [{"i": t["i"]} for t in tombstones if t["k"] == "agent"]
    if agents:  # a deleted agent serves no queue
        conn.execute(update(hub_agent).where(hub_agent.c.id == bindparam("i")).values(present=False), agents)
    if any(t["k"] == "interaction" for t in tombstones):
        from floorview.hub.scope_upgrade import _rebuild_reach

        _rebuild_reach(conn)
    return len(bad)
