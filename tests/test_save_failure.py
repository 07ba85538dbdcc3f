"""A failed local save never loses typed text (audit L5): the note editor and the
recovery form stay open with it until the store has committed, say why it was
not saved, and save it on the next try.

The fault is real: the store sits on a small tmpfs that the test fills (the
audit's full disk). Where mounting is not allowed (no root, or a container
without CAP_SYS_ADMIN) another connection holds the store's lock instead, and
the write fails with "database is locked"."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from textual.widgets import Input, Select, TextArea

from floorview.tui.customers.recovery import RecoveredForm, RecoveryScreen
from floorview.tui.widgets.live_table import LiveTable
from floorview.tui.coaching.editor import NoteEditor

from .conftest import SAMPLE, make_app, settle, wait_for
from .test_notes_tui import open_agent_page

SIZE = (100, 30)


@dataclass
class Fault:
    store: Path
    kind: str
    start: Callable[[], None]  # from now on a write fails
    end: Callable[[], None]  # and from now on it succeeds again


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as f:
        for chunk in (1 << 20, 1 << 12):
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError:
                pass
    return filler


@pytest.fixture
def failing_store(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir(mode=0o700)
    size = SAMPLE.stat().st_size + (2 << 20)
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(disk)], capture_output=True
        ).returncode
        == 0
    )
    store = disk / "store" / "floorview.db"
    store.parent.mkdir(mode=0o700)
    shutil.copyfile(SAMPLE, store)
    store.chmod(0o600)
    if mounted:
        fillers: list[Path] = []
        fault = Fault(
            store,
            "database or disk is full",
            lambda: fillers.append(_fill(store.parent)),
            lambda: fillers.pop().unlink(),
        )
    else:
        holder = sqlite3.connect(store, isolation_level=None)
        fault = Fault(
            store, "database is locked", lambda: holder.execute("BEGIN IMMEDIATE"), lambda: holder.execute("ROLLBACK")
        )
    try:
        yield fault
    finally:
        if mounted and subprocess.run(["umount", str(disk)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(disk)], check=True)  # a connection not yet collected
        elif not mounted:
            holder.close()


def outbox(store: Path) -> list[tuple]:
    con = sqlite3.connect(store)
    try:
        return con.execute("SELECT note_id, op, state, body FROM outbox ORDER BY seq").fetchall()
    finally:
        con.close()


def problem(screen) -> str:
    return str(screen.query_one("#problem").render())


async def test_a_note_whose_save_fails_stays_in_the_editor_until_it_is_saved(failing_store):
    store = failing_store.store
    body = "Walked through the refund script; follow the hold rule."
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await open_agent_page(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteEditor))
        editor = app.screen
        editor.query_one("#topic", Select).value = "cost"
        editor.query_one(TextArea).text = body
        failing_store.start()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Not saved" in problem(editor))
        assert app.screen is editor  # still open, with everything typed
        assert failing_store.kind in problem(editor) and "ctrl+s tries again" in problem(editor)
        assert editor.query_one(TextArea).text == body and editor.query_one("#topic", Select).value == "cost"
        assert outbox(store) == []
        failing_store.end()
        await pilot.press("ctrl+s")  # the same note, saved this time
        await wait_for(pilot, lambda: app.screen is not editor)
        await wait_for(pilot, lambda: len(outbox(store)) == 1)
    [(note_id, op, state, saved)] = outbox(store)
    assert (op, state) == ("put", "pending")
    assert json.loads(saved)["body"] == body and json.loads(saved)["topic"] == "cost"


async def test_a_recovery_whose_save_fails_stays_in_the_form_until_it_is_saved(failing_store):
    store = failing_store.store
    what = "Called back, refunded the fee."
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("6")
        table = await settle(pilot, "#recovery")
        assert isinstance(app.screen, RecoveryScreen)
        first = table.coordinate_to_cell_key((0, 0)).row_key.value
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RecoveredForm))
        form = app.screen
        form.query_one(Input).value = what
        failing_store.start()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Not saved" in problem(form))
        assert app.screen is form and form.query_one(Input).value == what
        assert failing_store.kind in problem(form) and "enter tries again" in problem(form)
        assert outbox(store) == []
        failing_store.end()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is not form)
        await wait_for(pilot, lambda: first not in [k.value for k in app.screen.query_one("#recovery", LiveTable).rows])
    [(_, op, state, saved)] = outbox(store)
    note = json.loads(saved)
    assert (op, state, note["customer_id"], note["body"]) == ("put", "pending", first, what)


async def test_cancelling_after_a_failed_save_keeps_nothing(failing_store):
    store = failing_store.store
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await open_agent_page(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteEditor))
        editor = app.screen
        editor.query_one(TextArea).text = "Kudos for the calm call."
        editor.query_one("#type", Select).value = "kudos"
        failing_store.start()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Not saved" in problem(editor))
        await pilot.press("escape")  # the user's choice, once told: asked first, since text was typed
        await wait_for(pilot, lambda: app.screen is not editor)
        await pilot.press("y")
        await wait_for(pilot, lambda: editor not in app.screen_stack)
        failing_store.end()
    assert outbox(store) == []
