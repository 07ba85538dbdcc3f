"""A note's scope check when its stored row goes between two reads (hub/server.py).

`current` finds the note's tombstone; a purge of old tombstones may remove the
row before its facts are read. The id is then anyone's, as if it had never
been: a scoped token's PUT is judged on the note it sends, not refused with an
error (it was an AttributeError on None: a 500)."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from floorview.hub import server
from floorview.hub.hubstore import HubStore, Scope, open_hub_engine


@pytest.fixture
def store(tmp_path):
    hub = HubStore(open_hub_engine(f"sqlite:///{tmp_path / 'hub.db'}"))
    hub.write([{"kind": "agent", "id": "h1", "version": 1, "op": "upsert", "data": _agent("Harbor")}])
    yield hub
    hub.engine.dispose()


def _agent(team: str) -> dict:
    return {"name": "Ann", "team": team, "state": "available", "state_since": "2026-11-20T10:00:00Z", "queues": []}


def _body(base_version: int) -> dict:
    return {"agent_id": "h1", "type": "coaching", "visibility": "team", "body": "b", "base_version": base_version}


def test_a_put_on_a_tombstone_purged_while_it_is_judged_is_judged_on_the_note_sent(store, monkeypatch):
    lead = Scope("Harbor Lead", teams=frozenset({"Harbor"}))
    assert server._put_note(store, lead, "n-1", _body(0)).status_code == 201
    store.write([{"kind": "note", "id": "n-1", "version": 2, "op": "delete"}])
    monkeypatch.setattr(store, "note_facts", lambda note_id: None)  # the tombstone purged after `current` read it
    assert server._put_note(store, lead, "n-1", _body(2)).status_code == 201
    other = Scope("Summit Lead", teams=frozenset({"Summit"}))
    with pytest.raises(HTTPException) as refused:  # still judged: not Summit's agent
        server._put_note(store, other, "n-2", _body(0))
    assert refused.value.status_code == 403
