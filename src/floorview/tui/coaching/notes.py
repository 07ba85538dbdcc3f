"""Writing, editing, deleting notes and settling the hub's answers, from any screen.

Every write goes through the app's one local writer (app.write_store): the
note and its outbox entry in one transaction, saved at once, pushed when the
hub can be reached.
"""

from __future__ import annotations

import getpass
from datetime import datetime, timezone

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from floorview.domain.text import clean
from floorview.store.coaching import NoteView, recent_contacts
from floorview.tui.format import EMPTY
from floorview.tui.coaching.editor import NoteEditor

SYNC_WORDS = {
    None: "✓ on the hub",
    "pending": "↑ saved here, waiting to push",
    "conflict": "⚠ conflict: someone changed it on the hub",
    "rejected": "✗ rejected by the hub",
}


def who() -> str:
    """Who is writing, for a note's author or a ranking's "set by" (the hub puts the token's name on notes)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container, a bare jump host)
        return "unknown user"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat()


def new_note(screen, agent_id: str, agent_name: str, interaction_id: str | None = None) -> None:
    """Open the editor for a new note about the agent; save it when the form is saved."""
    from floorview.store.notes import new_note_id, save_note

    app = screen.app
    now = app.clock.now()
    data = {
        "agent_id": agent_id,
        "author": who(),
        "created_at": iso(now),
        "updated_at": iso(now),
        "type": "coaching",
        "visibility": "team",
        "body": "",
    }
    if interaction_id:
        data["interaction_id"] = interaction_id
    note_id = new_note_id()

    def save(result: dict, then) -> None:  # the editor stays open until the commit (L5)
        app.write_store(lambda conn: save_note(conn, note_id, result, now), "note saved", then)

    contacts = recent_contacts(app.reader, agent_id) if app.reader else []
    app.push_screen(NoteEditor(f"New note about {agent_name}", data, contacts, save))


def edit_data(note: NoteView, now: float) -> dict:
    """The note's feed data for an edit made at `now`."""
    return {**note.as_data(), "created_at": iso(note.created_at), "updated_at": iso(now)}


def edit_note(screen, note: NoteView, replaces: int | None = None) -> None:
    from floorview.store.notes import save_note

    app = screen.app
    now = app.clock.now()
    data = edit_data(note, now)

    def save(result: dict, then) -> None:  # the editor stays open until the commit (L5)
        result["updated_at"] = iso(app.clock.now())
        app.write_store(lambda conn: save_note(conn, note.id, result, now, replaces, note.version), "note saved", then)

    contacts = recent_contacts(app.reader, note.agent_id) if app.reader and note.agent_id else []
    app.push_screen(
        NoteEditor(f"Edit note about {note.agent_name or note.agent_id or note.customer_id}", data, contacts, save)
    )


class NoteScreen(ModalScreen[None]):
    """One note in full, with what can be done to it."""

    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", id="notes.close"),
        Binding("c", "edit", "Edit", id="notes.edit"),
        Binding("D", "delete", "Delete", id="notes.delete"),
        Binding("m", "resolve('mine')", "Keep mine", id="notes.keep_mine"),
        Binding("t", "resolve('theirs')", "Take theirs", id="notes.take_theirs"),
        Binding("b", "resolve('both')", "Keep both", id="notes.keep_both"),
        Binding("x", "discard", "Discard my change", id="notes.discard"),
    ]
    DEFAULT_CSS = """
    NoteScreen { align: center middle; }
    NoteScreen > VerticalScroll {
        width: 90%; max-width: 96; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, note: NoteView, theirs: dict | None = None) -> None:
        super().__init__()
        self.note, self.theirs = note, theirs
        self._armed_delete = False

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self._body(), id="body")

    def _body(self) -> Text:
        n = self.note
        text = Text()
        text.append(f"{n.type.title()} about ", style="bold")
        text.append(n.agent_name or n.agent_id or n.customer_id or "?", style="bold")
        site = self.app.site
        text.append(f"\n{site.fmt(n.created_at, '%a %d %b %Y %H:%M')} {site.abbrev(n.created_at)} by ")
        text.append(n.author)
        text.append(f"\ntopic {n.topic or EMPTY} · ADKAR {n.adkar or EMPTY} · {n.visibility}")
        if n.follow_up_on:
            text.append(f" · follow up on {n.follow_up_on}")
        if n.interaction_id:
            text.append(" · contact ")
            text.append(n.interaction_id)
        text.append("\n" + SYNC_WORDS.get(n.sync_state, n.sync_state or ""), style="bold")
        if n.sync_state == "rejected" and n.sync_detail:
            text.append(": ")
            text.append(clean(n.sync_detail))  # the hub's words: cleaned when they came, and again (older stores)
        text.append("\n\n")
        text.append(n.body)
        text.append("\n")
        keys = "c edit · D delete"
        if n.sync_state == "conflict":
            theirs = (self.theirs or {}).get("data") or {}
            text.append("\nOn the hub now", style="bold")
            if n.sync_detail == "null":
                text.append(": no such note (the hub does not hold it; keep mine creates it again).\n")
            elif self.theirs is None:
                text.append(": it did not say.\n")
            elif self.theirs.get("op") == "delete":
                text.append(": deleted.\n")
            else:
                text.append(f" (version {clean(str(self.theirs.get('version', '?')))}), by ")
                text.append(clean(str(theirs.get("author", "?"))))
                text.append(":\n")
                text.append(clean(str(theirs.get("body", ""))))
                text.append("\n")
            keys = "m keep mine · t take theirs · b keep both · x discard mine"
            if self.theirs is None and n.sync_detail != "null":
                keys = "x discard mine"
        elif n.sync_state == "rejected":
            keys = "c edit and push again · x discard my change"
        text.append(f"\n{keys} · escape closes", style="dim")
        return text

    def _write(self, fn, done: str) -> None:
        self.app.write_store(fn, done)
        self.dismiss(None)

    def action_edit(self) -> None:
        replaces = self.note.outbox_seq if self.note.sync_state == "rejected" else None
        if self.note.sync_state == "conflict":
            self.notify("Settle the conflict first: m, t or b.", markup=False)
            return
        screen = self.app.screen_stack[-2]
        self.dismiss(None)
        edit_note(screen, self.note, replaces)

    def action_delete(self) -> None:
        from floorview.store.notes import delete_note

        if not self._armed_delete:
            self._armed_delete = True
            self.notify("Press D again to delete this note.", markup=False, timeout=4)
            return
        note_id, version = self.note.id, self.note.version
        self._write(lambda conn: delete_note(conn, note_id, self.app.clock.now(), version), "note deleted")

    def action_resolve(self, choice: str) -> None:
        from floorview.store.notes import resolve_conflict

        if self.note.sync_state != "conflict" or self.note.outbox_seq is None:
            self.app.bell()
            self.notify("This note is not in conflict.", markup=False)
            return
        seq, now = self.note.outbox_seq, self.app.clock.now()
        words = {
            "mine": "yours will be pushed over theirs",
            "theirs": "took the hub's note",
            "both": "kept theirs, and yours as a new note",
        }[choice]
        self._write(lambda conn: resolve_conflict(conn, seq, choice, now), words)

    def action_discard(self) -> None:
        from floorview.store.notes import discard

        if self.note.sync_state not in ("conflict", "rejected") or self.note.outbox_seq is None:
            self.app.bell()
            self.notify("Only a conflicting or rejected change can be discarded.", markup=False)
            return
        seq = self.note.outbox_seq
        self._write(lambda conn: discard(conn, seq), "your change was discarded")

    def action_dismiss(self) -> None:
        self.dismiss(None)


def open_note(screen, note: NoteView) -> None:
    import json

    theirs = None
    if note.sync_state == "conflict" and note.sync_detail:
        try:
            theirs = json.loads(note.sync_detail)
        except ValueError:
            theirs = None
    screen.app.push_screen(NoteScreen(note, theirs if isinstance(theirs, dict) else None))
