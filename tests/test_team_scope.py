"""The Scope rule of feed-protocol.md, from both sides, on a real hub.

The rule is written out again here in plain Python (`visible`) over the
whole floor as the test wrote it, and the hub's feed to a scoped token must
be exactly that set of (kind, id): nothing more, nothing less. On the wire
(GET /v1/changes paged to the end) and in a client's store after a real
sync. A client that synced earlier keeps what it saw then (records that
become invisible are not retracted), so its store is the union of what the
rule allowed at each of its syncs, and holds the hub's current version of
everything the rule allows now.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from floorview.hub.hubstore import HubStore, open_hub_engine
from floorview.store import schema
from floorview.store.engine import open_engine
from floorview.sync.syncer import Syncer
from floorview.sync.transport import HubClient


AT = "2026-11-20T14:00:00Z"
Key = tuple[str, str]


# -- the rule, independently ---------------------------------------------------------
def visible(records: dict[Key, tuple[str, dict]], teams: set[str], queues: set[str]) -> set[Key]:
    """feed-protocol.md, Scope. `records`: (kind, id) -> (op, data), a deleted
    record with the data it last had (its tombstone goes where it went)."""
    if not teams and not queues:
        return set(records)
    records = {k: r for k, r in records.items() if r[1] is not None}  # deleted unseen: the whole floor only
    agents = {rid: d for (k, rid), (op, d) in records.items() if k == "agent"}
    live = {rid for (k, rid), (op, _) in records.items() if k == "agent" and op == "upsert"}
    team_agents = {a for a, d in agents.items() if d["team"] in teams}
    served = {q for a in team_agents & live for q in agents[a]["queues"]}
    seen_queues = set(queues) | served
    seen_agents = team_agents | {a for a, d in agents.items() if set(d["queues"]) & set(queues)}

    def sees_contact(d: dict) -> bool:
        return d.get("agent_id") in team_agents or d["queue_id"] in seen_queues

    customers = {
        d["customer_id"]
        for (k, _), (op, d) in records.items()
        if k == "interaction" and op == "upsert" and d.get("customer_id") and sees_contact(d)
    }
    out = set()
    for (kind, rid), (_, d) in records.items():
        if kind == "queue":
            ok = True
        elif kind == "agent":
            ok = rid in seen_agents
        elif kind == "interaction":
            ok = sees_contact(d)
        elif kind == "customer":
            ok = rid in customers
        elif kind == "survey":
            ok = d["customer_id"] in customers
        elif kind == "note" and d["visibility"] == "private":
            ok = d.get("agent_id") in team_agents
        elif kind == "note":
            ok = d.get("agent_id") in seen_agents or d.get("customer_id") in customers
        else:
            ok = False
        if ok:
            out.add((kind, rid))
    return out


# -- a floor written by hand --------------------------------------------------------
class Floor:
    """Records as the test writes them to the hub: its own whole-floor truth,
    as the hub was given it (a record put and deleted in one batch reaches the
    hub as a delete alone, with no data to scope it by)."""

    def __init__(self, store: HubStore) -> None:
        self.store = store
        self.records: dict[Key, tuple[str, dict | None]] = {}
        self.versions: dict[Key, int] = {}
        self.batch: list[dict] = []
        self.flushes = 0
        self.deleted_in: dict[Key, int] = {}  # the flush that wrote a record's (last) delete

    def put(self, kind: str, rid: str, **data) -> None:
        key = (kind, rid)
        self.versions[key] = self.versions.get(key, 0) + 1
        self.batch.append({"kind": kind, "id": rid, "version": self.versions[key], "op": "upsert", "data": data})

    def delete(self, kind: str, rid: str) -> None:
        key = (kind, rid)
        self.versions[key] += 1
        self.batch.append({"kind": kind, "id": rid, "version": self.versions[key], "op": "delete"})

    def is_live(self, kind: str, rid: str) -> bool:
        last = [c["op"] for c in self.batch if (c["kind"], c["id"]) == (kind, rid)]
        return (last[-1] if last else self.records.get((kind, rid), ("delete",))[0]) == "upsert"

    def flush(self) -> None:
        self.store.write(self.batch)
        for ch in self.batch:  # in version order: the last change of each record wins
            key = (ch["kind"], ch["id"])
            if ch["version"] == self.versions[key]:
                known = self.records.get(key, (None, None))[1]
                self.records[key] = (ch["op"], ch["data"] if ch["op"] == "upsert" else known)
                if ch["op"] == "delete":
                    self.deleted_in[key] = self.flushes
        self.batch = []
        self.flushes += 1

    # the kinds, with just the fields the protocol requires
    def queue(self, qid: str) -> None:
        self.put("queue", qid, name=f"Queue {qid}", channel="voice")

    def agent(self, aid: str, team: str, queues: list[str], state: str = "available") -> None:
        self.put("agent", aid, name=f"Agent {aid}", team=team, state=state, state_since=AT, queues=queues)

    def contact(
        self,
        iid: str,
        queue: str,
        agent: str | None = None,
        customer: str | None = None,
        abandoned: bool = False,
        ended: bool = False,
    ) -> None:
        data = {"queue_id": queue, "channel": "voice", "enqueued_at": AT, "transfers": 0}
        if agent:
            data |= {"agent_id": agent, "answered_at": AT}
        if customer:
            data["customer_id"] = customer
        if abandoned:
            data["abandoned_at"] = AT
        if ended:
            data["ended_at"] = AT
        self.put("interaction", iid, **data)

    def customer(self, cid: str) -> None:
        self.put("customer", cid, name=f"Customer {cid}")

    def survey(self, sid: str, customer: str, interaction: str | None = None) -> None:
        self.put(
            "survey",
            sid,
            customer_id=customer,
            answered_at=AT,
            nps=3,
            **({"interaction_id": interaction} if interaction else {}),
        )

    def note(self, nid: str, agent: str | None = None, customer: str | None = None, private: bool = False) -> None:
        self.put(
            "note",
            nid,
            author="Someone",
            created_at=AT,
            updated_at=AT,
            type="coaching",
            visibility="private" if private else "team",
            body=f"Note {nid}",
            **({"agent_id": agent} if agent else {}),
            **({"customer_id": customer} if customer else {}),
        )


class Follower:
    """What a client that syncs at chosen moments should hold: every record the
    rule allowed at one of its syncs, and a tombstone when the rule allowed it
    at the first sync after the delete (tombstones are not re-sent later: a
    client that never had the record has no use for one)."""

    def __init__(self) -> None:
        self.held: set[Key] = set()
        self.synced_after = 0  # flushes seen by the last sync

    def sync(self, f: Floor, now: set[Key]) -> tuple[set[Key], set[Key]]:
        """At a sync, `now` being the rule's set: (records whose current version
        must be held, the whole set of keys held)."""
        live = {k for k in now if f.records[k][0] == "upsert"}
        fresh_deletes = {k for k in now - live if f.deleted_in[k] >= self.synced_after}
        self.held |= live | fresh_deletes
        self.synced_after = f.flushes
        return live | fresh_deletes, self.held


def phase_one(f: Floor) -> None:
    """Two teams share q-b; waiting and abandoned contacts have no agent; a
    Canyon agent takes a contact outside its queues; an agent arrives later."""
    for q in ("q-a", "q-b", "q-c", "q-d", "q-e"):
        f.queue(q)
    f.agent("c1", "Canyon", ["q-a"])
    f.agent("c2", "Canyon", ["q-a", "q-b"])
    f.agent("d1", "Delta", ["q-b"])
    f.agent("d2", "Delta", ["q-c"])
    f.agent("r1", "Ridge", ["q-d"])
    for k in range(1, 14):
        f.customer(f"k{k}")
    f.contact("i1", "q-a", customer="k1")  # waiting
    f.contact("i2", "q-b", customer="k2", abandoned=True)
    f.contact("i3", "q-b", agent="d1", customer="k3")  # Delta's agent on a queue Canyon serves
    f.contact("i4", "q-c", agent="d2", customer="k4")
    f.contact("i5", "q-c", agent="c1", customer="k5")  # Canyon's agent off its queues
    f.contact("i6", "q-c", customer="k6", abandoned=True)
    f.contact("i7", "q-d", agent="r1", customer="k7")
    f.contact("i8", "q-a", agent="c1", customer="k8")
    f.contact("i9", "q-d", customer="k8")  # k8 is seen through i8; i9 is not
    f.contact("i10", "q-c", agent="d2")  # no customer
    f.contact("i13", "q-e", customer="k11", abandoned=True)
    f.contact("i15", "q-e", agent="c3", customer="k12")  # c3 is not on the floor yet
    f.survey("s1", "k3", "i3")
    f.survey("s2", "k4", "i4")
    f.survey("s3", "k8", "i9")  # about a contact not seen, of a customer seen
    f.survey("s4", "k7", "i7")
    f.survey("s5", "k11", "i13")
    f.survey("s6", "k12", "i15")
    f.note("n1", agent="c1")
    f.note("n2", agent="c1", private=True)
    f.note("n3", agent="d1")
    f.note("n4", agent="d1", private=True)
    f.note("n5", customer="k3")
    f.note("n6", customer="k3", private=True)  # no agent: the whole floor only
    f.note("n7", agent="d2", customer="k4")
    f.note("n8", agent="r1", private=True)
    f.note("n9", agent="c2")
    f.note("n10", customer="k11")
    f.flush()


def phase_two(f: Floor) -> None:
    """Canyon comes to serve q-c and q-d, gains an agent, meets c3; a customer
    contacts a queue of Canyon's for the first time; a note goes."""
    f.agent("c2", "Canyon", ["q-a", "q-b", "q-c"])  # takes q-c
    f.agent("r1", "Canyon", ["q-d"])  # moves from Ridge
    f.agent("d1", "Delta", ["q-b"], state="on_contact")  # a change of state only
    f.agent("c3", "Canyon", [])
    f.contact("i14", "q-a", customer="k11")  # k11 comes back, on q-a
    f.delete("note", "n9")
    f.flush()


def phase_three(f: Floor) -> None:
    """c2 drops q-c again: new work there is no longer Canyon's, and what
    Canyon was given stays with it (no retraction)."""
    f.agent("c2", "Canyon", ["q-a", "q-b"])
    f.contact("i16", "q-c", agent="d2", customer="k13")
    f.contact("i4", "q-c", agent="d2", customer="k4", ended=True)  # a new version Canyon no longer gets
    f.contact("i1", "q-a", agent="c1", customer="k1")  # answered at last
    f.flush()


# -- reading the feed ----------------------------------------------------------------------
def pull(client: HubClient, at: str | None, into: dict[Key, int], limit: int = 7) -> str:
    """Page /v1/changes to the end from `at`; apply versions into `into` (rule 2)."""
    while True:
        params = {"limit": limit, **({"cursor": at} if at else {})}
        body = client.request("GET", "/v1/changes", params=params).body
        for ch in body["changes"]:
            key = (ch["kind"], ch["id"])
            into[key] = max(into.get(key, 0), ch["version"])
        at = body["cursor"]
        if not body["more"]:
            return at


def stored(engine) -> dict[Key, int]:
    """(kind, id) -> version in a client's store, tombstones included."""
    out = {}
    with engine.connect() as conn:
        for kind, table in schema.RECORD_TABLES.items():
            out.update({(kind, rid): v for rid, v in conn.execute(select(table.id, table.version))})
        for kind, rid, v in conn.execute(select(schema.Tombstone.kind, schema.Tombstone.id, schema.Tombstone.version)):
            out[(kind, rid)] = v
    return out


SCOPES = {
    "canyon": ({"Canyon"}, set()),
    "q-b only": (set(), {"q-b"}),
    "delta and q-d": ({"Delta"}, {"q-d"}),
    "two teams": ({"Canyon", "Ridge"}, set()),
    "floor": (set(), set()),
}


def test_canyon_sees_what_the_rule_says_at_every_step(hub, tmp_path):
    f = Floor(hub.store)
    tokens = {name: hub.store.create_token(f"Lead {name}", teams, queues) for name, (teams, queues) in SCOPES.items()}
    clients = {name: HubClient(hub.url, tok) for name, tok in tokens.items()}
    engines = {name: open_engine(tmp_path / f"client-{i}.db") for i, name in enumerate(SCOPES)}
    syncers = {name: Syncer(engines[name], clients[name]) for name in SCOPES}
    wire: dict[str, dict[Key, int]] = {name: {} for name in SCOPES}
    cursors: dict[str, str | None] = dict.fromkeys(SCOPES)
    follow = {name: Follower() for name in SCOPES}
    try:
        for step in (phase_one, phase_two, phase_three):
            step(f)
            for name, (teams, queues) in SCOPES.items():
                now = visible(f.records, teams, queues)
                current, held = follow[name].sync(f, now)
                cursors[name] = pull(clients[name], cursors[name], wire[name])
                syncers[name].pull_until_caught_up()
                fresh: dict[Key, int] = {}
                pull(clients[name], None, fresh, limit=1000)
                # A first sync gets exactly what the rule allows now, at the hub's versions.
                assert set(fresh) == now, (step.__name__, name, sorted(set(fresh) ^ now))
                assert all(v == f.versions[k] for k, v in fresh.items())
                # A client that has followed along has everything it was ever allowed, nothing else,
                # and the current version of everything it is allowed now.
                for got in (wire[name], stored(engines[name])):
                    assert set(got) == held, (step.__name__, name, sorted(set(got) ^ held))
                    assert {k: got[k] for k in current} == {k: f.versions[k] for k in current}, (step.__name__, name)
    finally:
        for engine in engines.values():
            engine.dispose()
        for client in clients.values():
            client.close()
    # What the steps were for, said plainly for Canyon:
    canyon = visible(f.records, {"Canyon"}, set())
    assert {("queue", q) for q in ("q-a", "q-b", "q-c", "q-d", "q-e")} <= canyon
    assert {("interaction", "i2"), ("interaction", "i3"), ("customer", "k2"), ("survey", "s3")} <= canyon
    assert not {("agent", "d1"), ("note", "n3"), ("note", "n4"), ("note", "n6"), ("interaction", "i16")} & canyon
    assert {("interaction", "i4"), ("survey", "s2"), ("note", "n7")} <= follow["canyon"].held  # while c2 served q-c
    assert ("interaction", "i4") not in canyon and stored(engines["canyon"])[("interaction", "i4")] == 1
    assert {("agent", "r1"), ("note", "n8"), ("interaction", "i15"), ("survey", "s5"), ("note", "n10")} <= canyon


def test_a_canyon_lead_on_the_simulated_floor_gets_queues_customers_and_abandons(hub, tmp_path):
    """The simulator's morning on the sample's floor (seed 7, 08:30), a `--team Canyon` token.
    (Seed 5, the B1 walk's floor, has no note about a Canyon agent by then: its leads wrote 14,
    all about other teams'; seed 7's wrote 21, 2 of them about Canyon agents.)"""
    from floorview.hub.seed import simulated_changes

    from .conftest import SAMPLE_AT, SAMPLE_SEED

    records: dict[Key, tuple[str, dict]] = {}
    for batch in simulated_changes(SAMPLE_SEED, SAMPLE_AT.timestamp() - 2 * 3600):
        hub.store.write(batch)
        for ch in batch:
            old = records.get((ch["kind"], ch["id"]))
            records[(ch["kind"], ch["id"])] = (ch["op"], ch.get("data") or (old[1] if old else None))
    token = hub.store.create_token("Bo Lead", teams=["Canyon"])
    client = HubClient(hub.url, token)
    got: dict[Key, int] = {}
    pull(client, None, got, limit=1000)
    client.close()
    want = visible(records, {"Canyon"}, set())
    assert set(got) == want
    kinds = {k for k, _ in want}
    assert kinds == {"queue", "agent", "interaction", "customer", "survey", "note"}
    assert sum(1 for k, _ in want if k == "queue") == 8
    abandoned = [rid for (k, rid) in want if k == "interaction" and records[(k, rid)][1].get("abandoned_at")]
    assert abandoned, "a team lead must see the abandons of the queues the team serves"
    teams = {records[("agent", rid)][1]["team"] for k, rid in want if k == "agent"}
    assert teams == {"Canyon"}
    engine = open_engine(tmp_path / "bo.db")
    try:
        Syncer(engine, HubClient(hub.url, token)).pull_until_caught_up()
        assert set(stored(engine)) == want
    finally:
        engine.dispose()


def test_notes_a_team_may_write(hub):
    """A note about an agent of the token's teams, or a team note about only a
    customer the token sees (a recovery); nothing else."""
    f = Floor(hub.store)
    phase_one(f)
    client = HubClient(hub.url, hub.store.create_token("Bo", teams=["Canyon"]))
    body = {
        "author": "x",
        "created_at": AT,
        "updated_at": AT,
        "type": "recovery",
        "visibility": "team",
        "body": "Called back.",
        "base_version": 0,
    }
    from floorview.sync.transport import NoScope

    assert client.request("PUT", "/v1/notes/r-1", json_body={**body, "customer_id": "k2"}).status == 201
    assert client.request("PUT", "/v1/notes/r-2", json_body={**body, "agent_id": "c1"}).status == 201
    for outside in ({"customer_id": "k4"}, {"agent_id": "d1"}, {"customer_id": "k2", "visibility": "private"}):
        with pytest.raises(NoScope):
            client.request("PUT", "/v1/notes/r-3", json_body={**body, **outside})
    with pytest.raises(NoScope):  # n3 is about Delta's d1
        client.request("DELETE", "/v1/notes/n3", params={"base_version": 1})
    assert client.request("DELETE", "/v1/notes/n5", params={"base_version": 1}).status == 200  # about k3, seen
    client.close()


# -- random small floors ----------------------------------------------------------------------
TEAMS = ("T1", "T2", "T3")
QUEUES = ("q1", "q2", "q3", "q4")
AGENTS = tuple(f"a{k}" for k in range(6))
CUSTOMERS = tuple(f"c{k}" for k in range(5))

maybe = lambda values: st.one_of(st.none(), st.sampled_from(values))  # noqa: E731
queue_sets = st.lists(st.sampled_from(QUEUES), max_size=3, unique=True)
writes = st.one_of(
    st.tuples(st.just("agent"), st.sampled_from(AGENTS), st.sampled_from(TEAMS), queue_sets),
    st.tuples(st.just("agent-gone"), st.sampled_from(AGENTS)),
    st.tuples(st.just("interaction"), st.integers(0, 11), st.sampled_from(QUEUES), maybe(AGENTS), maybe(CUSTOMERS)),
    st.tuples(st.just("customer"), st.sampled_from(CUSTOMERS)),
    st.tuples(st.just("survey"), st.integers(0, 5), st.sampled_from(CUSTOMERS)),
    st.tuples(st.just("note"), st.integers(0, 7), maybe(AGENTS), maybe(CUSTOMERS), st.booleans()),
    st.tuples(st.just("note-gone"), st.integers(0, 7)),
)
scopes = st.tuples(st.sets(st.sampled_from(TEAMS), max_size=2), st.sets(st.sampled_from(QUEUES), max_size=2))


def _play(f: Floor, step: tuple) -> None:
    kind = step[0]
    if kind == "agent":
        f.agent(*step[1:])
    elif kind == "agent-gone" and f.is_live("agent", step[1]):
        f.delete("agent", step[1])
    elif kind == "interaction":
        f.contact(f"i{step[1]}", step[2], agent=step[3], customer=step[4])
    elif kind == "customer":
        f.customer(step[1])
    elif kind == "survey":
        f.survey(f"s{step[1]}", step[2])
    elif kind == "note" and (step[2] or step[3]):
        f.note(f"n{step[1]}", agent=step[2], customer=step[3], private=step[4])
    elif kind == "note-gone" and f.is_live("note", f"n{step[1]}"):
        f.delete("note", f"n{step[1]}")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batches=st.lists(st.lists(writes, min_size=1, max_size=12), min_size=1, max_size=4),
    scope=scopes,
)
def test_random_floors_feed_what_the_rule_says(batches, scope):
    """The hub in process: after every batch, a token that follows along holds
    the union of what the rule allowed, and a fresh read is exactly the rule."""
    with tempfile.TemporaryDirectory() as tmp:
        _feeds_what_the_rule_says(f"sqlite:///{Path(tmp) / 'hub.db'}", batches, scope)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batches=st.lists(st.lists(writes, min_size=1, max_size=12), min_size=1, max_size=4),
    scope=scopes,
)
def test_random_floors_feed_what_the_rule_says_on_postgresql(pg_server, batches, scope):
    """The same on PostgreSQL: the scope's filter runs in the database (hubstore._sees)."""
    _feeds_what_the_rule_says(pg_server.database(), batches, scope)


def _feeds_what_the_rule_says(url: str, batches, scope) -> None:
    teams, queues = scope
    store = HubStore(open_hub_engine(url))
    try:
        f = Floor(store)
        who = store.scope_for(store.create_token("Lead", teams, queues))
        after, held, follow = 0, {}, Follower()
        for batch in batches:
            for step in batch:
                _play(f, step)
                if len(f.batch) > 4:  # some records land in earlier batches than what refers to them
                    f.flush()
            f.flush()
            now = visible(f.records, teams, queues)
            current, expected = follow.sync(f, now)
            while True:
                page, after, more = store.page(who, after, 3)
                for ch in page:
                    held[(ch["kind"], ch["id"])] = max(held.get((ch["kind"], ch["id"]), 0), ch["version"])
                if not more:
                    break
            fresh, _, _ = store.page(who, 0, 10_000)
            assert {(c["kind"], c["id"]) for c in fresh} == now
            assert set(held) == expected
            assert all(held[k] == f.versions[k] for k in current)
    finally:
        store.engine.dispose()
