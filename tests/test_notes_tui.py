"""Coaching notes end to end: written on screen while no hub is reachable, pushed
later to a real hub on loopback, and a conflict and a rejection settled on screen."""

from __future__ import annotations

import json
import sqlite3

import pytest
from textual.widgets import Select, TextArea

from floorview.hub.seed import simulated_changes
from floorview.store.engine import open_engine
from floorview.sync.syncer import Syncer
from floorview.sync.transport import HubClient
from floorview.tui.coaching.notes import NoteScreen
from floorview.tui.agents.page import AgentPageScreen
from floorview.tui.widgets.live_table import LiveTable
from floorview.tui.coaching.editor import NoteEditor

from .conftest import SAMPLE_AT, SAMPLE_SEED, make_app, settle, wait_for
from .hubs import start_hub

SIZE = (100, 30)
AGENT = "a-0001"


@pytest.fixture
def hub(tmp_path):
    running = start_hub(tmp_path / "hub.db")
    for batch in simulated_changes(SAMPLE_SEED, SAMPLE_AT.timestamp() - 3600):  # the sample's floor
        running.store.write(batch)
    yield running
    running.stop()


def outbox(store) -> list[tuple]:
    con = sqlite3.connect(store)
    try:
        return con.execute("SELECT note_id, op, state, base_version FROM outbox ORDER BY seq").fetchall()
    finally:
        con.close()


def local_note(store, note_id: str):
    con = sqlite3.connect(store)
    try:
        return con.execute("SELECT version, body, follow_up_on FROM note WHERE id = ?", (note_id,)).fetchone()
    finally:
        con.close()


def push(store, hub, token=None) -> int:
    engine = open_engine(store)
    try:
        return Syncer(engine, HubClient(hub.url, token or hub.token)).push_outbox()
    finally:
        engine.dispose()


async def open_agent_page(pilot, agent_id: str = AGENT) -> LiveTable:
    agents = await settle(pilot)
    await pilot.press("2")
    agents = await settle(pilot, "#agents")
    agents.move_cursor(row=[k.value for k in agents.rows].index(agent_id))
    await pilot.press("enter")
    notes = await settle(pilot, "#notes", rows=False)
    assert isinstance(pilot.app.screen, AgentPageScreen)
    await wait_for(pilot, lambda: pilot.app.screen._page is not None)
    return notes


async def write_note(pilot, body: str, **fields) -> None:
    """Fill the open editor and save it."""
    editor = pilot.app.screen
    assert isinstance(editor, NoteEditor)
    for widget, value in fields.items():
        editor.query_one(f"#{widget}", Select).value = value
    editor.query_one(TextArea).text = body
    await pilot.press("ctrl+s")


def the_note_id(store, body_part: str) -> str:
    con = sqlite3.connect(store)
    try:
        return con.execute("SELECT id FROM note WHERE body LIKE ?", (f"%{body_part}%",)).fetchone()[0]
    finally:
        con.close()


async def test_a_note_written_offline_is_kept_then_pushed(sample_store, hub):
    app = make_app(sample_store)  # no hub: every write stays local, in the outbox
    async with app.run_test(size=SIZE) as pilot:
        notes = await open_agent_page(pilot)
        before = notes.row_count
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteEditor))
        await pilot.press("ctrl+s")  # empty: refused in the form, nothing lost
        assert "empty" in str(app.screen.query_one("#problem").render())
        await write_note(pilot, "Walked through the [b]hold[/b] script <x>.", topic="cost", adkar="knowledge")
        await wait_for(pilot, lambda: len(outbox(sample_store)) == 1)
        note_id, op, state, base = outbox(sample_store)[0]
        assert (op, state, base) == ("put", "pending", 0)
        await wait_for(pilot, lambda: notes.row_count == before + 1)
        top = notes.coordinate_to_cell_key((0, 0)).row_key.value
        assert top == note_id  # newest first
        assert notes.get_cell(note_id, "sync").plain == "↑"
        assert "[b]hold[/b] script <x>" in notes.get_cell(note_id, "body").plain  # literal, never markup
        assert "↑ 1 to push" in str(app.screen.query_one("#status").render())
    # Later, the hub is reachable: the note goes up once, under the token's identity.
    assert push(sample_store, hub) == 1
    current = hub.store.current("note", note_id)
    assert current["version"] == 1 and current["data"]["topic"] == "cost" and current["data"]["author"] == "Lead One"
    assert outbox(sample_store) == [] and local_note(sample_store, note_id)[0] == 1


async def make_conflict(sample_store, hub, body: str) -> str:
    """A note on the hub at version 1 and here; someone else edits it there; we edit it here."""
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_agent_page(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteEditor))
        await write_note(pilot, body, topic="quality")
        await wait_for(pilot, lambda: len(outbox(sample_store)) == 1)
    note_id = the_note_id(sample_store, body)
    assert push(sample_store, hub) == 1
    other = hub.store.create_token("Lead Two")
    theirs = {**hub.store.current("note", note_id)["data"], "body": "Their edit.", "base_version": 1}
    HubClient(hub.url, other).request("PUT", f"/v1/notes/{note_id}", json_body=theirs)
    return note_id


async def edit_on_screen(pilot, note_id: str, body: str) -> None:
    notes = pilot.app.screen.query_one("#notes", LiveTable)
    notes.focus()
    notes.move_cursor(row=[k.value for k in notes.rows].index(note_id))
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, NoteScreen))
    await pilot.press("c")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, NoteEditor))
    await write_note(pilot, body)


async def open_marked(pilot, note_id: str) -> NoteScreen:
    notes = pilot.app.screen.query_one("#notes", LiveTable)
    await wait_for(
        pilot, lambda: note_id in [k.value for k in notes.rows] and notes.get_cell(note_id, "sync").plain == "⚠"
    )
    notes.focus()
    notes.move_cursor(row=[k.value for k in notes.rows].index(note_id))
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, NoteScreen))
    return pilot.app.screen


@pytest.mark.parametrize("choice", ["mine", "theirs", "both"])
async def test_a_conflict_is_shown_and_settled_on_screen(sample_store, hub, choice):
    note_id = await make_conflict(sample_store, hub, f"First words ({choice}).")
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_agent_page(pilot)
        await edit_on_screen(pilot, note_id, "My edit.")
        await wait_for(pilot, lambda: [r[2] for r in outbox(sample_store)] == ["pending"])
        assert push(sample_store, hub) == 0  # the hub changed meanwhile: 409, parked
        assert [r[2] for r in outbox(sample_store)] == ["conflict"]
        app.request_load(force=True)
        view = await open_marked(pilot, note_id)
        mine, theirs = str(view.query_one("#mine").render()), str(view.query_one("#theirs").render())
        assert "My edit." in mine and "Their edit." in theirs
        assert "m keep mine" in str(view.query_one("#keys").render())
        await pilot.press({"mine": "m", "theirs": "t", "both": "b"}[choice])
        await wait_for(pilot, lambda: all(r[2] == "pending" for r in outbox(sample_store)))
    push(sample_store, hub)
    hub_body = hub.store.current("note", note_id)["data"]["body"]
    assert outbox(sample_store) == []
    if choice == "mine":
        assert hub_body == "My edit." and local_note(sample_store, note_id)[:2] == (3, "My edit.")
    elif choice == "theirs":
        assert hub_body == "Their edit." and local_note(sample_store, note_id)[:2] == (2, "Their edit.")
    else:
        assert hub_body == "Their edit." and local_note(sample_store, note_id)[1] == "Their edit."
        copy = the_note_id(sample_store, "My edit.")
        assert copy != note_id and hub.store.current("note", copy)["data"]["body"] == "My edit."


async def test_a_rejection_is_shown_and_can_be_discarded(sample_store, hub):
    team = sqlite3.connect(sample_store).execute("SELECT team FROM agent WHERE id = ?", (AGENT,)).fetchone()[0]
    elsewhere = hub.store.create_token("Lead Three", teams=["Elsewhere"])
    assert team != "Elsewhere"
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        notes = await open_agent_page(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteEditor))
        await write_note(pilot, "Not my team's agent.", topic="risk")
        await wait_for(pilot, lambda: len(outbox(sample_store)) == 1)
        assert push(sample_store, hub, elsewhere) == 0
        assert [r[2] for r in outbox(sample_store)] == ["rejected"]
        note_id = outbox(sample_store)[0][0]
        app.request_load(force=True)
        await wait_for(pilot, lambda: notes.get_cell(note_id, "sync").plain == "✗")
        assert "needs you" in str(app.screen.query_one("#titlebar").render())
        notes.focus()
        notes.move_cursor(row=[k.value for k in notes.rows].index(note_id))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
        assert "rejected by the hub" in str(app.screen.query_one("#body").render())
        await pilot.press("x")
        await wait_for(pilot, lambda: outbox(sample_store) == [])
        assert local_note(sample_store, note_id) is None  # a new note, discarded: gone
    assert hub.store.current("note", note_id) is None


def test_resolving_what_is_not_in_conflict_is_refused(sample_store):
    from floorview.store.notes import ResolveError, discard, resolve_conflict, save_note

    engine = open_engine(sample_store)
    at = SAMPLE_AT.isoformat()
    data = {
        "agent_id": AGENT,
        "author": "me",
        "created_at": at,
        "updated_at": at,
        "type": "kudos",
        "visibility": "team",
        "body": "Thanks.",
    }
    with engine.begin() as conn:
        save_note(conn, "n-local", data)
    with engine.begin() as conn, pytest.raises(ResolveError, match="not in conflict"):
        resolve_conflict(conn, 1, "mine")
    with engine.begin() as conn, pytest.raises(ResolveError, match="still waiting"):
        discard(conn, 1)
    with engine.begin() as conn, pytest.raises(ResolveError, match="no longer waiting"):
        discard(conn, 99)
    # An edit of a note that stood before, rejected then discarded, puts the old one back.
    con = sqlite3.connect(sample_store)
    old_id, old_body = con.execute("SELECT id, body FROM note WHERE agent_id = ? LIMIT 1", (AGENT,)).fetchone()
    con.close()
    with engine.begin() as conn:
        save_note(conn, old_id, {**data, "type": "coaching", "topic": "time", "body": "Rewritten."})
        conn.exec_driver_sql("UPDATE outbox SET state = 'rejected', detail = 'no' WHERE note_id = ?", (old_id,))
        seq = conn.exec_driver_sql("SELECT seq FROM outbox WHERE note_id = ?", (old_id,)).scalar()
    with engine.begin() as conn:
        discard(conn, seq)
    engine.dispose()
    assert local_note(sample_store, old_id)[1] == old_body
    assert json.dumps(outbox(sample_store)) == json.dumps([["n-local", "put", "pending", 0]])
