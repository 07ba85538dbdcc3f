"""The base version a local write goes out with (audit M3, L9): a note written
twice before a push does not conflict with itself; an edit made while a 410
reset had dropped the note goes out on the version it was made on; and after
the hub restarted on a new database, "keep mine" creates the note again."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from floorview.store import schema
from floorview.store.engine import open_engine
from floorview.store.notes import delete_note, resolve_conflict, save_note
from floorview.store.syncstate import forget_synced
from floorview.sync.syncer import Syncer
from floorview.sync.transport import HubClient
from floorview.tui.coaching.notes import NoteScreen
from floorview.tui.coaching.editor import NoteEditor

from .conftest import SAMPLE_AT, make_app, wait_for
from .hubs import start_hub
from .test_notes_tui import hub as sample_hub  # noqa: F401  (the sample's floor on a real hub)
from .test_notes_tui import open_agent_page, outbox, the_note_id, write_note

AT = (SAMPLE_AT - timedelta(minutes=5)).isoformat()


def _note(body: str, agent: str = "a-0001") -> dict:
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


def _local(store) -> dict[str, tuple]:
    con = sqlite3.connect(store)
    try:
        return {r[0]: r[1:] for r in con.execute("SELECT id, version, body FROM note")}
    finally:
        con.close()


def _outbox(store) -> list[tuple]:
    con = sqlite3.connect(store)
    try:
        return con.execute("SELECT note_id, op, state, base_version FROM outbox ORDER BY seq").fetchall()
    finally:
        con.close()


def test_a_note_written_twice_before_a_push_goes_up_whole(hub, tmp_path):
    """Save then edit, save then delete, save then edit then delete: one
    `floorview sync --once` pushes each in order, none conflicting with itself."""
    store = tmp_path / "client" / "floorview.db"
    edited, deleted, both = (str(uuid.uuid4()) for _ in range(3))
    engine = open_engine(store)
    with engine.begin() as conn:
        save_note(conn, edited, _note("first draft"))
        save_note(conn, edited, _note("second draft"))
        save_note(conn, deleted, _note("soon gone"))
        delete_note(conn, deleted)
        save_note(conn, both, _note("draft"))
        save_note(conn, both, _note("better draft"))
        delete_note(conn, both)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOORVIEW_")}
    out = subprocess.run(
        [sys.executable, "-m", "floorview", "sync", "--once", "--hub", hub.url, "--db", str(store)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "FLOORVIEW_TOKEN": hub.token},
    )
    assert out.returncode == 0, out.stderr
    assert "pushed 7" in out.stdout
    assert _outbox(store) == []
    current = hub.store.current("note", edited)
    assert (current["version"], current["data"]["body"]) == (2, "second draft")
    assert hub.store.current("note", deleted)["op"] == "delete"
    assert (hub.store.current("note", both)["op"], hub.store.current("note", both)["version"]) == ("delete", 3)
    assert _local(store) == {edited: (2, "second draft")}


def test_an_edit_made_while_a_reset_dropped_the_note_keeps_its_base(hub, tmp_path):
    """A 410 drops every synced note; until the catch-up brings them back, an
    edit of one on screen is based on the version it showed (the TUI says
    so), and one written without a version is based on what the catch-up
    brings. Neither is parked as a conflict with the hub's same note."""
    store = tmp_path / "client" / "floorview.db"
    engine = open_engine(store)
    syncer = Syncer(engine, HubClient(hub.url, hub.token))
    on_screen, unseen, deleted = (str(uuid.uuid4()) for _ in range(3))
    try:
        with engine.begin() as conn:
            for note_id in (on_screen, unseen, deleted):
                save_note(conn, note_id, _note(f"hub's {note_id}"))
        assert syncer.push_outbox() == 3
        syncer.pull_until_caught_up()
        with engine.begin() as conn:
            forget_synced(conn)  # what a 410 does before the catch-up
            save_note(conn, on_screen, _note("edited on screen"), started_from=1)
            save_note(conn, unseen, _note("edited by a script"))
            delete_note(conn, deleted, started_from=1)
        assert [base for *_, base in _outbox(store)] == [1, 0, 1]
        syncer.pull_until_caught_up()  # the catch-up brings the hub's notes back
        assert syncer.push_outbox() == 3
    finally:
        engine.dispose()
    assert _outbox(store) == []
    for note_id, body in ((on_screen, "edited on screen"), (unseen, "edited by a script")):
        current = hub.store.current("note", note_id)
        assert (current["version"], current["data"]["body"]) == (2, body)
        assert _local(store)[note_id] == (2, body)  # the store holds what the hub took
    assert hub.store.current("note", deleted)["op"] == "delete"
    assert deleted not in _local(store)


async def test_the_note_screen_edits_on_the_version_it_shows(sample_store, sample_hub):  # noqa: F811
    app = make_app(sample_store)
    async with app.run_test(size=(100, 30)) as pilot:
        notes = await open_agent_page(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteEditor))
        await write_note(pilot, "Before the reset.", topic="quality")
        await wait_for(pilot, lambda: len(outbox(sample_store)) == 1)
        note_id = the_note_id(sample_store, "Before the reset.")
        engine = open_engine(sample_store)
        try:
            assert Syncer(engine, HubClient(sample_hub.url, sample_hub.token)).push_outbox() == 1
            app.request_load(force=True)
            await wait_for(
                pilot, lambda: note_id in [k.value for k in notes.rows] and notes.get_cell(note_id, "sync").plain == ""
            )  # on the hub
            notes.focus()
            notes.move_cursor(row=[k.value for k in notes.rows].index(note_id))
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
            with engine.begin() as conn:  # a 410 reset drops the note while it is on screen
                conn.execute(schema.Note.__table__.delete().where(schema.Note.id == note_id))
            await pilot.press("c")
            await wait_for(pilot, lambda: isinstance(app.screen, NoteEditor))
            await write_note(pilot, "Edited during the reset.")
            await wait_for(pilot, lambda: len(outbox(sample_store)) == 1)
            assert outbox(sample_store)[0][2:] == ("pending", 1)
            assert Syncer(engine, HubClient(sample_hub.url, sample_hub.token)).push_outbox() == 1
        finally:
            engine.dispose()
    current = sample_hub.store.current("note", note_id)
    assert (current["version"], current["data"]["body"]) == (2, "Edited during the reset.")


@pytest.mark.parametrize("choice", ["mine", "theirs", "both"])
def test_after_the_hub_restarts_on_a_new_database_keep_mine_creates_the_note_again(tmp_path, choice):
    old_hub = start_hub(tmp_path / "old-hub.db")
    store = tmp_path / "client" / "floorview.db"
    engine = open_engine(store)
    note_id = str(uuid.uuid4())
    try:
        old = Syncer(engine, HubClient(old_hub.url, old_hub.token))
        with engine.begin() as conn:
            save_note(conn, note_id, _note("written on the old hub"))
        assert old.push_outbox() == 1
        old.pull_until_caught_up()
        with engine.begin() as conn:
            save_note(conn, note_id, _note("edited offline"))  # based on version 1
        old_hub.stop()
        new_hub = start_hub(tmp_path / "new-hub.db")  # a new database: it never heard of the note
        try:
            new = Syncer(engine, HubClient(new_hub.url, new_hub.token))
            new.pull_until_caught_up()  # 410: another hub's cursor; the unpushed note is kept
            assert new.push_outbox() == 0
            (seq,) = [r[0] for r in sqlite3.connect(store).execute("SELECT seq FROM outbox WHERE state = 'conflict'")]
            assert sqlite3.connect(store).execute("SELECT detail FROM outbox").fetchone()[0] == "null"
            with engine.begin() as conn:
                copy = resolve_conflict(conn, seq, choice)
            new.push_outbox()
            current = new_hub.store.current("note", note_id)
            if choice == "mine":
                assert (current["version"], current["data"]["body"]) == (1, "edited offline")
                assert _local(store) == {note_id: (1, "edited offline")}
            elif choice == "theirs":  # theirs is no note at all
                assert current is None and _local(store) == {}
            else:
                assert current is None and new_hub.store.current("note", copy)["data"]["body"] == "edited offline"
                assert set(_local(store)) == {copy}
            assert _outbox(store) == []
        finally:
            new_hub.stop()
    finally:
        engine.dispose()
    with engine.connect() as conn:
        assert conn.execute(select(schema.Outbox.seq)).first() is None
