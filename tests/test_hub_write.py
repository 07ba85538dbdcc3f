"""HubStore.write's shortcuts agree with the long way round.

A customer's reach (`hub_reach`, and `hub_reach_member` one member a row) is
the agents and queues of its live interactions. `write` works it out again
from the customer's interactions only when one of them lost an agent, a
queue or its customer, or went; otherwise it adds what the batch's
interactions brought to what was stored. Here random batches (interactions
put, changed, moved to another customer, deleted, stale versions, agents
joining teams) are written, and after each the reach tables must be exactly
what the stored interactions say. What tokens see through them is checked
by test_team_scope's random floors.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from floorview.hub.hubstore import HubStore, open_hub_engine
from floorview.hub.tables import hub_reach, hub_reach_member, hub_record, split_teams

AT = "2026-11-20T14:00:00Z"
INTERACTIONS = tuple(f"i{k}" for k in range(6))
CUSTOMERS = ("c0", "c1", "c2")
AGENTS = ("a0", "a1", "a2")
QUEUES = ("q0", "q1")

maybe = lambda values: st.one_of(st.none(), st.sampled_from(values))  # noqa: E731
steps = st.one_of(
    st.tuples(
        st.just("put"), st.sampled_from(INTERACTIONS), maybe(QUEUES), maybe(AGENTS), maybe(CUSTOMERS), st.booleans()
    ),
    st.tuples(st.just("delete"), st.sampled_from(INTERACTIONS), st.booleans()),
    st.tuples(
        st.just("agent"), st.sampled_from(AGENTS), st.sampled_from(("T1", "T2")), st.lists(st.sampled_from(QUEUES))
    ),
)


def _changes(batch: list[tuple], versions: dict[tuple[str, str], int]) -> list[dict]:
    out = []
    for step in batch:
        if step[0] == "agent":
            _, aid, team, queues = step
            key, op = ("agent", aid), "upsert"
            data = {"name": aid, "team": team, "state": "available", "state_since": AT, "queues": queues}
            stale = False
        else:
            key = ("interaction", step[1])
            stale = step[-1]
            if step[0] == "put":
                _, _, queue, agent, customer, _ = step
                data = {"channel": "voice", "enqueued_at": AT, "transfers": 0}
                data |= {k: v for k, v in (("queue_id", queue), ("agent_id", agent), ("customer_id", customer)) if v}
                op = "upsert"
            else:
                data, op = {}, "delete"
        version = versions.get(key, 0) + (0 if stale and key in versions else 1)  # stale: not above the stored
        versions[key] = version
        change = {"kind": key[0], "id": key[1], "version": version, "op": op}
        if op == "upsert":
            change["data"] = data
        out.append(change)
    return out


def _reach_as_stored(conn) -> tuple[dict, set]:
    reach = {r.customer: (split_teams(r.agents), split_teams(r.queues)) for r in conn.execute(select(hub_reach))}
    members = {(r.customer, bool(r.is_queue), r.member) for r in conn.execute(select(hub_reach_member))}
    return reach, members


def _reach_from_contacts(conn) -> tuple[dict, set]:
    c = hub_record.c
    reach: dict[str, tuple[set, set]] = {}
    for r in conn.execute(select(c.customer, c.agent, c.queue).where(c.kind == "interaction", c.op == "upsert")):
        if r.customer and (r.agent or r.queue):
            agents, queues = reach.setdefault(r.customer, (set(), set()))
            agents.update({r.agent} - {None})
            queues.update({r.queue} - {None})
    members = {
        (cid, is_queue, m) for cid, (a, q) in reach.items() for is_queue, ms in ((False, a), (True, q)) for m in ms
    }
    return {cid: (frozenset(a), frozenset(q)) for cid, (a, q) in reach.items()}, members


def _writes_keep_the_reach(url: str, batches: list[list[tuple]]) -> None:
    store = HubStore(open_hub_engine(url))
    try:
        versions: dict[tuple[str, str], int] = {}
        for batch in batches:
            store.write(_changes(batch, versions))
            with store.engine.connect() as conn:
                assert _reach_as_stored(conn) == _reach_from_contacts(conn)
    finally:
        store.engine.dispose()


batches = st.lists(st.lists(steps, min_size=1, max_size=10), min_size=1, max_size=6)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=batches)
def test_a_customers_reach_is_what_its_contacts_say_after_every_write(batches):
    with tempfile.TemporaryDirectory() as tmp:
        _writes_keep_the_reach(f"sqlite:///{Path(tmp) / 'hub.db'}", batches)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=batches)
def test_a_customers_reach_is_what_its_contacts_say_on_postgresql(pg_server, batches):
    _writes_keep_the_reach(pg_server.database(), batches)


# -- the record checks: the quick way and the long way agree ------------------------------------
def _problem_the_long_way(change: dict) -> tuple[str | None, str | None]:
    """checks.change_problem as it was before its quick way: every value walked."""
    import json

    from floorview.hub.checks import range_problem, value_problem

    data = change["data"]
    problem = value_problem(data) or range_problem(change["kind"], data)
    if problem:
        return problem, None
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return None, text


texts = st.one_of(
    st.text(max_size=6), st.sampled_from(["\ud800", "a\udfffb", "é", "🙂", "voice", "2026-11-20T14:00:00Z"])
)
numbers = st.one_of(
    st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, -1, 0, 11, 101, 1.5, -0.5]),
    st.integers(-(2**64), 2**64),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(st.none(), st.booleans(), texts, numbers)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=8,
)
keys = st.one_of(
    st.sampled_from(
        ["queue_id", "agent_id", "customer_id", "channel", "wrap_s", "transfers", "qa_score", "nps", "team"]
    ),
    texts,
)


@settings(max_examples=400, deadline=None)
@given(
    kind=st.sampled_from(["interaction", "agent", "queue", "customer", "survey", "note", "other"]),
    data=st.dictionaries(
        st.one_of(keys, st.integers(0, 3)), st.one_of(scalars, st.lists(scalars, max_size=3), values), max_size=5
    ),
)
def test_the_record_checks_quick_way_says_what_the_long_way_says(kind, data):
    from floorview.hub.checks import change_problem

    change = {"kind": kind, "id": "r1", "version": 1, "op": "upsert", "data": data}
    assert change_problem(change) == _problem_the_long_way(change)
