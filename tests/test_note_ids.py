"""Note ids in URLs (audit M2): an id is one percent-encoded path segment, so
no id can turn a delete or an edit onto another note. Ids a server could read
as more than one segment (`/ ? # %`, `.`, `..`) are refused when a note is
written here and quarantined when a hub sends one."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from floorview.store import schema
from floorview.store.notes import NoteIdRefused, delete_note, save_note
from floorview.sync.syncer import Syncer
from floorview.sync.transport import HubClient

from .conftest import SAMPLE_AT
from .hubs import Scripted, start_hub

AT = (SAMPLE_AT - timedelta(minutes=5)).isoformat()
BAD_IDS = ["n-summit-target?x", "n/1", "../admin", "n#1", "n%2F1", ".", "..", "n 1", "", "x" * 129]


def _note(body: str = "Good call handling today.", agent: str = "a-1") -> dict:
    return {
        "agent_id": agent,
        "author": "me",
        "created_at": AT,
        "updated_at": AT,
        "type": "coaching",
        "topic": "quality",
        "visibility": "team",
        "body": body,
    }


@pytest.mark.parametrize("note_id", BAD_IDS)
def test_an_id_that_is_not_one_path_segment_is_refused_here(local, note_id):
    with local.begin() as conn, pytest.raises(NoteIdRefused, match="cannot be sent"):
        save_note(conn, note_id, _note())
    with local.begin() as conn:  # a note an older floorview stored: it cannot be deleted or edited either
        conn.execute(schema.Note.__table__.insert().values(id=note_id, version=1, **_row()))
    with local.begin() as conn, pytest.raises(NoteIdRefused):
        delete_note(conn, note_id)
    with local.begin() as conn, pytest.raises(NoteIdRefused):
        save_note(conn, note_id, _note("edited"))
    with local.connect() as conn:
        assert conn.execute(select(schema.Outbox.seq)).first() is None


def _row() -> dict:
    from floorview.domain import feed
    from floorview.store.apply import row_values

    return row_values("note", feed.Note.model_validate(_note("bait")))


def test_ids_are_percent_encoded_into_one_segment(local, tmp_path):
    scripted = Scripted()
    scripted.answer = lambda h: h.reply(
        201, json.dumps({"id": "x", "version": 1}).encode(), {"Content-Type": "application/json"}
    )
    odd = "n;1,2=3&4+5:6@7!$'()*[]~"
    try:
        with local.begin() as conn:
            save_note(conn, odd, _note())
            delete_note(conn, odd)
        assert Syncer(local, HubClient(scripted.url, "t")).push_outbox() == 2
    finally:
        scripted.stop()
    (put, path, _), (delete, del_path, _) = scripted.requests
    assert (put, path) == ("PUT", "/v1/notes/n%3B1%2C2%3D3%264%2B5%3A6%407%21%24%27%28%29%2A%5B%5D~")
    assert (delete, del_path) == ("DELETE", f"{path}?base_version=1")
    hub = start_hub(tmp_path / "hub.db")  # the reference hub reads it back as the one id
    try:
        with local.begin() as conn:
            save_note(conn, odd, _note("again"))
        assert Syncer(local, HubClient(hub.url, hub.token)).push_outbox() == 1
        assert hub.store.current("note", odd)["data"]["body"] == "again"
    finally:
        hub.stop()


def test_a_crafted_id_cannot_turn_a_delete_or_an_edit_onto_another_note(local, tmp_path):
    """The audit's confused deputy: a Harbor lead names a note
    `n-summit-target?x`; a floor manager's delete or edit of it used to go to
    `/v1/notes/n-summit-target?x&base_version=1`, deleting or overwriting the
    Summit note the lead could not touch. The store here holds the bait as an
    older floorview would have (it is refused now), with a delete and an
    edit waiting; neither reaches the Summit note."""
    hub = start_hub(tmp_path / "hub.db")
    try:
        hub.store.write(
            [
                {
                    "kind": "note",
                    "id": "n-summit-target",
                    "version": 1,
                    "op": "upsert",
                    "data": _note("Summit's own note", "a-summit"),
                }
            ]
        )
        before = hub.store.current("note", "n-summit-target")
        with local.begin() as conn:
            for bait in ("n-summit-target?x", "n-summit-target#x"):
                conn.execute(schema.Note.__table__.insert().values(id=bait, version=1, **_row()))
                conn.execute(
                    schema.Outbox.__table__.insert().values(
                        note_id=bait,
                        op="put",
                        body=json.dumps(_note("the manager's edit", "a-harbor")),
                        base_version=1,
                        created_at=0,
                    )
                )
                conn.execute(
                    schema.Outbox.__table__.insert().values(
                        note_id=bait, op="delete", body=None, base_version=1, created_at=0
                    )
                )
        assert Syncer(local, HubClient(hub.url, hub.token)).push_outbox() == 0
        assert hub.store.current("note", "n-summit-target") == before
        with local.connect() as conn:
            parked = conn.execute(select(schema.Outbox.state, schema.Outbox.detail)).all()
        assert len(parked) == 4
        assert all(
            state == "rejected" and detail.startswith("not sent: a note id may not hold") for state, detail in parked
        )
    finally:
        hub.stop()


def test_a_note_whose_id_is_not_one_segment_is_quarantined_when_received(local):
    scripted = Scripted()
    changes = [
        {"kind": "note", "id": "n-fine", "version": 1, "op": "upsert", "data": _note("fine")},
        {"kind": "note", "id": "n-summit-target?x", "version": 1, "op": "upsert", "data": _note("bait")},
        {"kind": "note", "id": "..", "version": 2, "op": "delete"},
        {
            "kind": "agent",
            "id": "a?1",
            "version": 1,
            "op": "upsert",  # other kinds keep the protocol's ids
            "data": {"name": "Ada", "team": "T", "state": "available", "state_since": AT},
        },
    ]
    body = json.dumps({"cursor": "c.1", "more": False, "server_time": AT, "changes": changes}).encode()
    scripted.answer = lambda h: h.reply(200, body, {"Content-Type": "application/json"})
    try:
        Syncer(local, HubClient(scripted.url, "t")).pull_page()
    finally:
        scripted.stop()
    with local.connect() as conn:
        notes = conn.execute(select(schema.Note.id)).scalars().all()
        quarantined = dict(conn.execute(select(schema.Quarantine.record_id, schema.Quarantine.reason)).all())
        agents = conn.execute(select(schema.Agent.id)).scalars().all()
    assert notes == ["n-fine"] and agents == ["a?1"]
    assert quarantined == {
        "n-summit-target?x": "id: Value error, a note id may not hold / ? # or %",
        "..": "id: Value error, a note id may not be . or ..",
    }


def test_new_notes_get_ids_that_travel(local):
    from floorview.domain.ids import note_id_problem
    from floorview.store.notes import new_note_id

    assert all(note_id_problem(new_note_id()) is None for _ in range(100))
    assert note_id_problem(str(uuid.uuid4())) is None
