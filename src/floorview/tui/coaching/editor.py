"""The note editor: a modal form that returns the note's data, or None when cancelled.

Every choice the feed allows is a list to pick from; the body is a multi-line
text area. Validation is the feed's own (domain.feed.Note), so what the
editor accepts the hub accepts; a problem is shown in the form and nothing
typed is lost.

Given a `save`, the editor stays open until the note is in the store: a save
that fails (a full disk, a read-only or refused store) is said in the form,
with the text still there to save again or to cancel (audit L5).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static, TextArea

from floorview.domain.sitetime import SiteTime
from floorview.store.coaching import Contact

KINDS = ("coaching", "kudos")
TOPICS = ("quality", "cost", "time", "risk")
STAGES = ("awareness", "desire", "knowledge", "ability", "reinforcement")
VISIBILITY = ("team", "private")


def _options(values) -> list[tuple[Text, str]]:
    return [(Text(v), v) for v in values]


class NoteEditor(ModalScreen[dict | None]):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="note.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="note.cancel"),
    ]
    DEFAULT_CSS = """
    NoteEditor { align: center middle; }
    NoteEditor > Vertical {
        width: 96%; max-width: 100; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    NoteEditor Horizontal { height: auto; }
    NoteEditor Select { width: 1fr; }
    NoteEditor Label { padding: 1 1 0 0; }
    NoteEditor #follow_up { width: 16; }
    NoteEditor TextArea { height: 6; min-height: 3; }
    NoteEditor #problem { color: $error; height: auto; }
    NoteEditor #hint { color: $text-muted; }
    """

    def __init__(
        self,
        title: str,
        data: dict,
        contacts: list[Contact],
        save: Callable[[dict, Callable[[str | None], None]], None] | None = None,
    ) -> None:
        """`save(data, then)` writes the note and calls `then(problem)`: None once
        it is committed (the editor then closes, returning the data), else why
        not (the editor stays open). Without it the editor returns the data at once."""
        super().__init__()
        self._title, self._data, self._contacts = title, data, contacts
        self._save = save
        self._saving: dict | None = None  # the data of a save not yet settled

    def compose(self) -> ComposeResult:
        d = self._data
        with Vertical():
            yield Static(Text(self._title, style="bold"))
            with Horizontal():
                yield Select(_options(KINDS), value=d.get("type", "coaching"), allow_blank=False, id="type")
                yield Select(_options(TOPICS), value=d.get("topic") or Select.NULL, prompt="topic", id="topic")
                yield Select(_options(STAGES), value=d.get("adkar") or Select.NULL, prompt="ADKAR stage", id="adkar")
                yield Select(
                    _options(VISIBILITY), value=d.get("visibility", "team"), allow_blank=False, id="visibility"
                )
            with Horizontal():
                contacts = [(self._contact_label(c, self.app.site), c.id) for c in self._contacts]
                linked = d.get("interaction_id")
                if linked and all(c.id != linked for c in self._contacts):
                    contacts.insert(0, (Text(f"contact {linked}"), linked))
                yield Select(
                    contacts, value=linked or Select.NULL, prompt="linked contact (optional)", id="interaction"
                )
                yield Label("follow up on")
                yield Input(d.get("follow_up_on") or "", placeholder="YYYY-MM-DD", id="follow_up")
            yield TextArea(d.get("body", ""), soft_wrap=True, id="body")
            yield Static(id="problem")
            yield Static(Text("ctrl+s saves · escape cancels · tab moves between fields"), id="hint")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    @staticmethod
    def _contact_label(c: Contact, site: SiteTime) -> Text:
        when = site.fmt(c.enqueued_at, "%d %b %H:%M")
        text = Text(f"{when} ")
        text.append(c.queue_name or "?")
        text.append(" · ")
        text.append(c.customer_name or "no customer")
        text.append(f" · {c.outcome}")
        return text

    def _value(self, widget_id: str) -> str | None:
        value = self.query_one(f"#{widget_id}", Select).value
        return None if value is Select.NULL else str(value)

    def collect(self) -> dict:
        """The form as note data, as far as it goes; validation happens on save."""
        data = dict(self._data)
        for field, widget in (
            ("type", "type"),
            ("topic", "topic"),
            ("adkar", "adkar"),
            ("visibility", "visibility"),
            ("interaction_id", "interaction"),
        ):
            value = self._value(widget)
            if value is None:
                data.pop(field, None)
            else:
                data[field] = value
        follow = self.query_one("#follow_up", Input).value.strip()
        if follow:
            data["follow_up_on"] = follow
        else:
            data.pop("follow_up_on", None)
        data["body"] = self.query_one(TextArea).text
        return data

    def action_save(self) -> None:
        if self._saving is not None:
            return  # one save at a time: its answer is on its way
        data = self.collect()
        problem = check_note(data)
        if problem:
            self.query_one("#problem", Static).update(Text(problem))
            self.app.bell()
            return
        if self._save is None:
            self.dismiss(data)
            return
        self._saving = data
        self.query_one("#problem", Static).update(Text("Saving…"))
        self._save(dict(data), self._saved)

    def _saved(self, problem: str | None) -> None:
        data, self._saving = self._saving, None
        if problem is None:
            self.dismiss(data)
            return
        self.query_one("#problem", Static).update(
            Text(f"Not saved: {problem}. Your note is still here: ctrl+s tries again, escape discards it.")
        )
        self.app.bell()

    def action_cancel(self) -> None:
        if self._saving is not None:
            return  # a save under way either commits (and closes the editor) or comes back here
        self.dismiss(None)


def check_note(data: dict) -> str | None:
    """What is wrong with the note, in words, or None. The feed's model decides."""
    follow = data.get("follow_up_on")
    if follow:
        try:
            date.fromisoformat(follow)
        except ValueError:
            return f"The follow-up date {follow!r} is not a date like 2026-11-27."
    if not data.get("body", "").strip():
        return "The note is empty: write what was discussed."
    if data.get("type") == "coaching" and not data.get("topic"):
        return "A coaching note needs a topic (quality, cost, time or risk): it feeds the Balance screen."
    from pydantic import ValidationError

    from floorview.domain.feed import Note

    try:
        Note.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "note"
        return f"{where}: {first.get('msg')}"
    return None
