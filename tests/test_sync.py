"""Sync against the reference hub, for real, on loopback."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from floorview.hub.seed import simulated_changes
from floorview.store import schema
from floorview.store.notes import save_note
from floorview.store.syncstate import cursor, pending
from floorview.sync.syncer import Syncer
from floorview.sync.transport import HubClient, TokenRejected

from .conftest import SAMPLE_AT
from .hubs import start_hub

END = SAMPLE_AT.timestamp()


def feed_hub(hub, hours: float = 2.5, seed: int = 5) -> int:
    """The simulated morning up to `hours` before the sample's 10:30."""
    n = 0
    for batch in simulated_changes(seed, END - hours * 3600):
        n += hub.store.write(batch)
    return n


def count(engine, table) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(table.id)).all())


def syncer(hub, engine, token=None, **kw) -> Syncer:
    return Syncer(engine, HubClient(hub.url, token or hub.token), **kw)


def test_first_sync_from_empty_gets_the_whole_floor(hub, local):
    feed_hub(hub)
    hub_counts = {}
    for kind in ("queue", "agent", "interaction", "customer"):
        found, _, _ = hub.store.page(hub.store.scope_for(hub.token), 0, 10**6)
        hub_counts[kind] = sum(1 for c in found if c["kind"] == kind)
    reports: list[tuple[str, str | None]] = []
    result = syncer(hub, local).pull_until_caught_up(lambda s, d: reports.append((s, d)))
    assert result.caught_up and result.pages >= 2
    # Progress in plain words, one report per page read with more to come.
    assert reports[:2] == [("catching up", "1 page"), ("catching up", "2 pages")]
    assert len(reports) == result.pages - 1
    assert count(local, schema.Queue) == hub_counts["queue"] == 8
    assert count(local, schema.Agent) == hub_counts["agent"]
    assert count(local, schema.Interaction) == hub_counts["interaction"]
    with local.connect() as conn:
        assert cursor(conn).startswith(hub.store.epoch)


def test_catching_up_brings_only_what_changed(hub, local):
    feed_hub(hub)
    s = syncer(hub, local)
    s.pull_until_caught_up()
    before = count(local, schema.Interaction)
    hub.store.write(
        [
            {
                "kind": "interaction",
                "id": "i-late",
                "version": 1,
                "op": "upsert",
                "data": {"queue_id": "q-billing", "channel": "voice", "enqueued_at": "2026-11-20T15:00:00Z"},
            }
        ]
    )
    result = s.pull_until_caught_up()
    assert result.changes == 1
    assert count(local, schema.Interaction) == before + 1


def test_long_poll_returns_as_soon_as_a_change_lands(hub, local):
    feed_hub(hub)
    s = syncer(hub, local)
    s.pull_until_caught_up()
    got = {}

    def poll():
        start = time.monotonic()
        got["n"], _ = s.pull_page(wait_s=10)
        got["seconds"] = time.monotonic() - start

    t = threading.Thread(target=poll)
    t.start()
    time.sleep(0.5)
    hub.store.write(
        [{"kind": "queue", "id": "q-new", "version": 1, "op": "upsert", "data": {"name": "New", "channel": "chat"}}]
    )
    t.join(15)
    assert got["n"] == 1
    assert got["seconds"] < 9  # woken by the write, not by the end of the wait


def test_token_rejected(hub, local):
    s = syncer(hub, local, token="not-a-token")
    with pytest.raises(TokenRejected):
        s.pull_until_caught_up()


def test_scope_filters_teams_and_private_notes(hub, local):
    feed_hub(hub, hours=0)
    team = "Harbor"
    token = hub.store.create_token("Harbor lead", teams=[team])
    syncer(hub, local, token=token).pull_until_caught_up()
    with local.connect() as conn:
        teams = set(conn.execute(select(schema.Agent.team)).scalars())
        notes = conn.execute(select(schema.Note.agent_id, schema.Note.visibility)).all()
        agent_teams = dict(conn.execute(select(schema.Agent.id, schema.Agent.team)).all())
    assert teams == {team}
    everything, _, _ = hub.store.page(hub.store.scope_for(hub.token), 0, 10**6)
    private_elsewhere = [
        c
        for c in everything
        if c["kind"] == "note" and c["data"]["visibility"] == "private" and c["data"]["agent_id"] not in agent_teams
    ]
    assert private_elsewhere, "the floor should have private notes of other teams"
    assert all(agent_teams.get(a) == team for a, v in notes if v == "private")


def test_410_drops_synced_data_and_keeps_local_writes(hub, local):
    feed_hub(hub)
    s = syncer(hub, local)
    s.pull_until_caught_up()
    note_id = str(uuid.uuid4())
    with local.begin() as conn:
        save_note(conn, note_id, _note("a-0001"))
        conn.execute(schema.SyncState.__table__.update().values(cursor="another-hub.42"))
    s.pull_until_caught_up()
    with local.connect() as conn:
        assert cursor(conn).startswith(hub.store.epoch)
        assert [e.note_id for e in pending(conn)] == [note_id]
        assert conn.execute(select(schema.Note.id).where(schema.Note.id == note_id)).first()
    assert count(local, schema.Queue) == 8


def _note(agent_id: str, body: str = "Good call handling today.") -> dict:
    at = (SAMPLE_AT - timedelta(minutes=5)).isoformat()
    return {
        "agent_id": agent_id,
        "author": "me",
        "created_at": at,
        "updated_at": at,
        "type": "coaching",
        "topic": "quality",
        "visibility": "team",
        "body": body,
    }


def test_push_creates_notes_once_with_the_tokens_identity(hub, local):
    feed_hub(hub)
    s = syncer(hub, local)
    s.pull_until_caught_up()
    ids = [str(uuid.uuid4()) for _ in range(3)]
    with local.begin() as conn:
        for i in ids:
            save_note(conn, i, _note("a-0002"))
    assert s.push_outbox() == 3
    for i in ids:
        current = hub.store.current("note", i)
        assert current["version"] == 1 and current["data"]["author"] == "Lead One"
    with local.connect() as conn:
        assert pending(conn) == []
    s.pull_until_caught_up()
    with local.connect() as conn:
        versions = set(conn.execute(select(schema.Note.version).where(schema.Note.id.in_(ids))).scalars())
    assert versions == {1}


def test_a_retried_put_does_not_make_a_second_version(hub, local):
    note_id = str(uuid.uuid4())
    client = HubClient(hub.url, hub.token)
    body = {**_note("a-0003"), "base_version": 0}
    first = client.request("PUT", f"/v1/notes/{note_id}", json_body=body)
    again = client.request("PUT", f"/v1/notes/{note_id}", json_body=body)  # the answer was "lost"
    assert first.body["version"] == again.body["version"] == 1


def test_conflict_and_rejection_are_parked_and_visible(hub, local):
    feed_hub(hub)
    s = syncer(hub, local)
    note_id = str(uuid.uuid4())
    with local.begin() as conn:
        save_note(conn, note_id, _note("a-0004"))
    s.push_outbox()
    s.pull_until_caught_up()
    other = hub.store.create_token("Lead Two")
    HubClient(hub.url, other).request(
        "PUT", f"/v1/notes/{note_id}", json_body={**_note("a-0004", "Their edit."), "base_version": 1}
    )
    with local.begin() as conn:
        save_note(conn, note_id, _note("a-0004", "My edit."))  # based on version 1: now stale
        conn.execute(
            schema.Outbox.__table__.insert().values(
                note_id="bad-note", op="put", body='{"type": "weather"}', base_version=0, created_at=0
            )
        )
    s.push_outbox()
    with local.connect() as conn:
        states = dict(conn.execute(select(schema.Outbox.note_id, schema.Outbox.state)).all())
        details = dict(conn.execute(select(schema.Outbox.note_id, schema.Outbox.detail)).all())
    assert states == {note_id: "conflict", "bad-note": "rejected"}
    assert "Their edit." in details[note_id]
    from floorview.store.engine import open_reader
    from floorview.store.reads import store_status

    shown = store_status(open_reader(local.url.database))
    assert (shown.conflicts, shown.rejected, shown.outbox) == (1, 1, 0)
    assert "type" in details["bad-note"]
    assert hub.store.current("note", note_id)["data"]["body"] == "Their edit."


def test_outage_then_recovery(tmp_path, local):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    reports: list[tuple[str, str | None]] = []
    stop = threading.Event()
    syncer_ = Syncer(local, HubClient(f"http://127.0.0.1:{port}", "x"), long_poll=False, poll_s=0.2)
    thread = threading.Thread(target=syncer_.run, args=(lambda s, d: reports.append((s, d)), stop))
    thread.start()
    deadline = time.monotonic() + 10
    while not any(s == "stale" for s, _ in reports) and time.monotonic() < deadline:
        time.sleep(0.05)
    stale = [d for s, d in reports if s == "stale"]
    assert stale and stale[0] == "hub unreachable (connection refused)"  # the screen adds the data's age
    from floorview.hub.hubstore import HubStore, open_hub_engine

    store = HubStore(open_hub_engine(f"sqlite:///{tmp_path / 'late-hub.db'}"))
    store.add_token("x", "Lead Late")
    running = start_hub(tmp_path / "late-hub.db", port=port, store=store)
    try:
        deadline = time.monotonic() + 40
        while reports[-1][0] != "live" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert reports[-1][0] == "live"
    finally:
        stop.set()
        thread.join(10)
        running.stop()
    with local.connect() as conn:
        state = conn.execute(select(schema.SyncState.last_error, schema.SyncState.last_success_at)).first()
    assert state.last_error is None and state.last_success_at is not None


def test_large_pages_come_gzipped(hub):
    import httpx

    feed_hub(hub)
    answer = httpx.get(
        f"{hub.url}/v1/changes",
        params={"limit": 1000},
        headers={"Authorization": f"Bearer {hub.token}", "Accept-Encoding": "gzip"},
    )
    assert answer.headers["content-encoding"] == "gzip"
    assert len(answer.json()["changes"]) == 1000


def test_a_local_delete_is_pushed_with_its_base_version(hub, local):
    from floorview.store.notes import delete_note

    s = syncer(hub, local)
    note_id = str(uuid.uuid4())
    with local.begin() as conn:
        save_note(conn, note_id, _note("a-0005"))
    s.push_outbox()
    with local.begin() as conn:
        delete_note(conn, note_id)
    assert s.push_outbox() == 1
    assert hub.store.current("note", note_id)["op"] == "delete"
    s.pull_until_caught_up()
    with local.connect() as conn:
        assert conn.execute(select(schema.Note).where(schema.Note.id == note_id)).first() is None
        assert conn.execute(select(schema.Tombstone.version).where(schema.Tombstone.id == note_id)).scalar() == 2


def test_a_cursor_older_than_purged_tombstones_answers_410(hub, local):
    feed_hub(hub)
    s = syncer(hub, local)
    s.pull_until_caught_up()
    with local.connect() as conn:
        old_cursor = cursor(conn)
    hub.store.write([{"kind": "queue", "id": "q-billing", "version": 10**6, "op": "delete"}])
    assert hub.store.purge_tombstones(older_than_s=-1) == 1  # every tombstone counts as old
    from floorview.sync.transport import CursorGone

    with pytest.raises(CursorGone):
        HubClient(hub.url, hub.token).request("GET", "/v1/changes", params={"cursor": old_cursor})
    s.pull_until_caught_up()  # the client starts again and ends consistent
    assert count(local, schema.Queue) == 7
