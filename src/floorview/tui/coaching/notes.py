"""Writing, editing, deleting notes and settling the hub's answers, from any screen.

The app's navigation handlers call `new_note` (nav.NewNote) and `open_note`
(nav.OpenNote); both read what they need off the event loop
(host.read_store) and push their screen when it comes.

Every write goes through the app's one local writer (host.write_store): the
note and its outbox entry in one transaction, saved at once, pushed when the
hub can be reached.

A note in conflict is shown as both versions, labelled, side by side (one
above the other when narrow): mine, the change waiting in the outbox, and
theirs, the note the hub's 409 said it holds; then m, t, b or x.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Container, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from floorview.domain.feed import feed_time
from floorview.domain.text import clean
from floorview.store.coaching import Contact, NoteDetail, NoteView, note_detail, recent_contacts
from floorview.tui.bindings import bind
from floorview.tui.coaching.cells import SYNC_WORDS, VISIBILITY_SHORT
from floorview.tui.coaching.editor import NoteEditor
from floorview.tui.format import EMPTY
from floorview.tui.host import Host

if TYPE_CHECKING:
    from sqlalchemy import Connection

EDITED_AFTER_S = 60  # an updated_at this long after created_at reads as an edit
STACK_BELOW = 100  # terminal columns under which mine and theirs are shown one above the other


def _host(screen: Screen[Any]) -> Host:
    return cast(Host, screen.app)


def new_note(screen: Screen[Any], agent_id: str, agent_name: str, interaction_id: str | None = None) -> None:
    """Open the editor for a new note about the agent (on that contact, if
    given), once the agent's latest contacts are read; save it when the form is saved."""
    from floorview.store.notes import new_note_id, save_note

    host = _host(screen)
    now = host.clock.now()
    data: dict[str, Any] = {
        "agent_id": agent_id,
        "author": host.author(),
        "created_at": feed_time(now),
        "updated_at": feed_time(now),
        "type": "coaching",
        "visibility": "team",
        "body": "",
    }
    if interaction_id:
        data["interaction_id"] = interaction_id
    note_id = new_note_id()

    def save(result: dict[str, Any], then: Callable[[str | None], None]) -> None:  # open until the commit (L5)
        host.write_store(lambda conn: save_note(conn, note_id, result, now), "note saved", then)

    def with_contacts(contacts: list[Contact]) -> None:
        screen.app.push_screen(NoteEditor(f"New note about {agent_name}", data, contacts, save))

    host.read_store(lambda con: recent_contacts(con, agent_id), with_contacts)


def open_note(screen: Screen[Any], note_id: str) -> None:
    """Read the note (and any change of ours the hub would not take) and show it."""

    def show(detail: NoteDetail | None) -> None:
        if detail is None:
            screen.app.bell()
            screen.app.notify("That note is no longer here (deleted, or pushed and settled).", markup=False)
            return
        screen.app.push_screen(NoteScreen(detail))

    _host(screen).read_store(lambda con: note_detail(con, note_id), show)


def edit_data(note: NoteView, now: float) -> dict[str, Any]:
    """The note's feed data for an edit made at `now` (its author kept: the hub keeps it too)."""
    return {**note.as_data(), "created_at": feed_time(note.created_at), "updated_at": feed_time(now)}


def edit_note(screen: Screen[Any], note: NoteView, replaces: int | None = None) -> None:
    """Open the editor on the note as shown; the edit is based on the version shown."""
    from floorview.store.notes import save_note

    host = _host(screen)
    now = host.clock.now()
    data = edit_data(note, now)

    def save(result: dict[str, Any], then: Callable[[str | None], None]) -> None:  # open until the commit (L5)
        result["updated_at"] = feed_time(host.clock.now())

        def write(conn: Connection) -> None:
            save_note(conn, note.id, result, now, replaces, note.version)

        host.write_store(write, "note saved", then)

    def with_contacts(contacts: list[Contact]) -> None:
        about = note.agent_name or note.agent_id or note.customer_id
        screen.app.push_screen(NoteEditor(f"Edit note about {about}", data, contacts, save))

    agent = note.agent_id
    if agent:
        host.read_store(lambda con: recent_contacts(con, agent), with_contacts)
    else:
        with_contacts([])


def _epoch(value: object) -> float | None:
    """An RFC 3339 time from the hub, as seconds; None when it is not one."""
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return None


def _facts(data: dict[str, Any]) -> str:
    """The choices of a note's data, in one line."""
    parts = [
        f"topic {clean(str(data.get('topic') or EMPTY))}",
        f"ADKAR {clean(str(data.get('adkar') or EMPTY))}",
        clean(str(data.get("visibility") or "team")),
    ]
    if data.get("follow_up_on"):
        parts.append(f"follow up on {clean(str(data['follow_up_on']))}")
    return " · ".join(parts)


class NoteScreen(ModalScreen[None]):
    """One note in full, with what can be done to it; a conflict shows mine and theirs."""

    BINDINGS = [
        bind("panel.close", "close"),
        bind("note.edit", "edit"),
        bind("note.delete", "delete"),
        bind("note.keep_mine", "resolve('mine')"),
        bind("note.take_theirs", "resolve('theirs')"),
        bind("note.keep_both", "resolve('both')"),
        bind("note.discard", "discard"),
    ]
    DEFAULT_CSS = """
    NoteScreen { align: center middle; }
    NoteScreen > VerticalScroll {
        width: 90%; max-width: 120; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    NoteScreen #versions { layout: horizontal; height: auto; }
    NoteScreen #versions.-stacked { layout: vertical; }
    NoteScreen .version {
        width: 1fr; height: auto; border: round $primary; padding: 0 1;
    }
    NoteScreen #mine { border: round $warning; }
    NoteScreen #keys { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, detail: NoteDetail) -> None:
        super().__init__()
        self.detail = detail
        self.note = detail.note
        self._armed_delete = False

    @property
    def host(self) -> Host:
        return _host(self)

    @property
    def in_conflict(self) -> bool:
        return self.note.sync_state == "conflict" and self.detail.problem is not None

    @property
    def theirs(self) -> dict[str, Any] | None:
        """The hub's note change as its 409 said (None: it did not say, or it holds no such note)."""
        return self.detail.problem.theirs if self.detail.problem is not None else None

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self._body(), id="body")
            if self.in_conflict:
                with Container(id="versions"):
                    yield Static(self._mine(), id="mine", classes="version")
                    yield Static(self._theirs(), id="theirs", classes="version")
            yield Static(self._keys(), id="keys")

    def on_mount(self) -> None:
        self._lay_out()

    def on_resize(self) -> None:
        self._lay_out()

    def _lay_out(self) -> None:
        if self.in_conflict:
            self.query_one("#versions").set_class(self.app.size.width < STACK_BELOW, "-stacked")

    # -- what is shown -----------------------------------------------------------
    def _body(self) -> Text:
        n, site = self.note, self.host.site
        text = Text()
        text.append(f"{n.type.title()} note about ", style="bold")
        text.append(n.agent_name or n.agent_id or n.customer_id or "?", style="bold")
        text.append(f"\n{site.stamp(n.created_at, '%a %d %b %Y %H:%M')} by ")
        text.append(n.author)
        if self.in_conflict:
            text.append("\n" + SYNC_WORDS["conflict"], style="bold")
            text.append(": both versions are below. Choose which to keep.")
            return text
        edited = self._edited()
        if edited is not None:
            text.append(" · ")
            text.append(edited)
        text.append(f"\ntopic {n.topic or EMPTY} · ADKAR {n.adkar or EMPTY} · ")
        text.append(VISIBILITY_SHORT.get(n.visibility, n.visibility))
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
        return text

    def _edited(self) -> Text | None:
        """ "edited by X at T": X is us for a change waiting to push, else whom
        the hub named (m1); "edited at T" for a note the hub stored before it did."""
        n = self.note
        if n.edited_by is None and n.updated_at - n.created_at < EDITED_AFTER_S:
            return None
        text = Text("edited ")
        if n.sync_state == "pending":
            text.append("by ")
            text.append(self.host.author())
            text.append(" (here, waiting to push) ")
        elif n.edited_by is not None:
            text.append("by ")
            text.append(n.edited_by)  # Text.append: a name is never markup
            text.append(" ")
        text.append(f"at {self.host.site.stamp(n.updated_at)}")
        return text

    def _mine(self) -> Text:
        p = self.detail.problem
        assert p is not None
        site = self.host.site
        text = Text("Mine", style="bold reverse")
        text.append(": waiting here, not on the hub\n", style="bold")
        text.append("saved here by ", style="bold")
        text.append(self.host.author(), style="bold")
        text.append(f" at {site.stamp(p.created_at)}\n")
        if p.op == "delete" or p.mine is None:
            text.append("You deleted this note here.\n", style="bold")
            return text
        text.append(_facts(p.mine) + "\n\n")
        text.append(clean(str(p.mine.get("body", ""))))
        return text

    def _theirs(self) -> Text:
        p = self.detail.problem
        assert p is not None
        theirs = self.theirs
        text = Text("Theirs", style="bold reverse")
        version = (theirs or {}).get("version")
        text.append(f": on the hub now, version {clean(str(version))}\n" if version else ": on the hub\n", style="bold")
        if p.detail == "null":
            text.append("The hub holds no such note", style="bold")
            text.append(" (a hub on a new database?): keep mine creates it again.")
            return text
        if theirs is None:
            text.append("The hub did not say what it holds: ", style="bold")
            text.append(clean(p.detail or ""))
            return text
        if theirs.get("op") == "delete":
            text.append("Deleted on the hub.", style="bold")
            return text
        data = theirs.get("data") or {}
        if not isinstance(data, dict):
            data = {}
        editor = data.get("edited_by") or data.get("author") or "?"
        text.append("edited by ", style="bold")
        text.append(clean(str(editor)), style="bold")
        at = _epoch(data.get("updated_at"))
        if at is not None:
            text.append(f" at {self.host.site.stamp(at)}")
        text.append("\n")
        text.append(_facts(data) + "\n\n")
        text.append(clean(str(data.get("body", ""))))
        return text

    def _keys(self) -> Text:
        n = self.note
        keys = "c edit · D delete"
        if n.sync_state == "conflict":
            keys = "m keep mine · t take theirs · b keep both · x discard mine"
            if self.theirs is None and n.sync_detail != "null":
                keys = "x discard mine"
        elif n.sync_state == "rejected":
            keys = "c edit and push again · x discard my change"
        return Text(f"{keys} · escape closes", style="dim")

    # -- actions -----------------------------------------------------------------
    def _write(self, fn: Callable[[Connection], Any], done: str) -> None:
        self.host.write_store(fn, done)
        self.dismiss(None)

    def action_edit(self) -> None:
        if self.note.sync_state == "conflict":
            self.notify("Settle the conflict first: m, t or b.", markup=False)
            return
        replaces = self.note.outbox_seq if self.note.sync_state == "rejected" else None
        edit_note(self, self.note, replaces)
        self.dismiss(None)

    def action_delete(self) -> None:
        from floorview.store.notes import delete_note

        if not self._armed_delete:
            self._armed_delete = True
            self.notify("Press D again to delete this note.", markup=False, timeout=4)
            return
        note_id, version, now = self.note.id, self.note.version, self.host.clock.now()
        self._write(lambda conn: delete_note(conn, note_id, now, version), "note deleted")

    def action_resolve(self, choice: str) -> None:
        from floorview.store.notes import resolve_conflict

        if self.note.sync_state != "conflict" or self.note.outbox_seq is None:
            self.app.bell()
            self.notify("This note is not in conflict.", markup=False)
            return
        seq, now = self.note.outbox_seq, self.host.clock.now()
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

    def action_close(self) -> None:
        self.dismiss(None)
