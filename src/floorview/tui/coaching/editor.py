"""The note editor: a modal form that returns the note's data, or None when cancelled.

Every choice the feed allows is a list to pick from, each with its label; the
visibility chosen is said in words (who may read the note, and that a private
one never reaches the huddle screen). The body is a multi-line text area.
Validation is the feed's own (domain.feed.Note), so what the editor accepts
the hub accepts; a problem is shown in the form, on a line kept for it (the
form does not move), and nothing typed is lost. Escape once something was
typed asks before throwing it away.

Given a `save`, the editor stays open until the note is in the store: a save
that fails (a full disk, a read-only or refused store) is said in the form,
with the text still there to save again or to cancel (audit L5).

Every field is wide enough for its longest choice at 80 columns: a select
shows "reinforcement" whole, the follow-up date shows all ten characters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static, TextArea

from floorview.domain.sitetime import SiteTime
from floorview.domain.vocabulary import ADKAR_STAGES, TOPICS
from floorview.store.coaching import Contact
from floorview.tui.bindings import bind
from floorview.tui.host import Host

KINDS = ("coaching", "kudos")
VISIBILITY = ("team", "private")
# Who reads a note of each visibility: the protocol's rules (docs/feed-protocol.md, "Scope" and "Notes").
VISIBILITY_WORDS = {
    "team": "team: all who see this agent (leads of its team and its queues, whole-floor supervisors); "
    "may show on the huddle screen.",
    "private": "private: leads of this agent's team and whole-floor supervisors only, never on the huddle screen.",
}
# A select's frame around its value: a border each side, padding 2 each side, the arrow and its gap.
SELECT_CHROME = 8

Save = Callable[[dict[str, Any], Callable[[str | None], None]], None]


def _options(values: Iterable[str]) -> list[tuple[Text, str]]:
    return [(Text(v), v) for v in values]


def _field(label: str, select: Select[str], longest: Iterable[str]) -> Vertical:
    """A select under its label, as wide as its longest choice (or its prompt) needs."""
    width = max(len(label), max(len(v) for v in longest) + SELECT_CHROME)
    box = Vertical(Label(label), select, classes="field")
    box.styles.width = width
    return box


class ConfirmDiscard(ModalScreen[bool]):
    """ "Discard this note? y/n": True to throw the typed text away."""

    BINDINGS = [
        bind("form.yes", "answer(True)"),
        bind("form.no", "answer(False)"),
        bind("form.cancel", "answer(False)"),
    ]
    DEFAULT_CSS = """
    ConfirmDiscard { align: center middle; }
    ConfirmDiscard > Static {
        width: auto; height: auto; border: round $warning; background: $surface; padding: 0 2;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(Text("Discard this note? y/n", style="bold"), id="question")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class NoteEditor(ModalScreen[dict[str, Any] | None]):
    BINDINGS = [bind("form.save", "save", priority=True), bind("form.cancel", "cancel")]
    DEFAULT_CSS = """
    NoteEditor { align: center middle; }
    NoteEditor > Vertical {
        width: 96%; max-width: 100; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    NoteEditor Horizontal { height: auto; }
    NoteEditor .field { height: auto; margin-right: 1; }
    NoteEditor .field Select { width: 100%; }
    NoteEditor .field Label { color: $text-muted; }
    NoteEditor #contact-field { width: 1fr; }
    NoteEditor #follow-field { width: 18; }
    NoteEditor #follow_up { width: 18; }
    NoteEditor #visibility-words { color: $text-muted; height: 2; }
    NoteEditor TextArea { height: 6; min-height: 3; }
    NoteEditor #problem { color: $error; height: 2; }
    NoteEditor #hint { color: $text-muted; }
    """

    def __init__(self, title: str, data: dict[str, Any], contacts: list[Contact], save: Save | None = None) -> None:
        """`save(data, then)` writes the note and calls `then(problem)`: None once
        it is committed (the editor then closes, returning the data), else why
        not (the editor stays open). Without it the editor returns the data at once."""
        super().__init__()
        self._title, self._data, self._contacts = title, data, contacts
        self._save = save
        self._saving: dict[str, Any] | None = None  # the data of a save not yet settled
        self._initial: dict[str, Any] | None = None  # the form as opened: escape asks only once it changed

    @property
    def host(self) -> Host:
        return cast(Host, self.app)

    def compose(self) -> ComposeResult:
        d = self._data
        kinds = KINDS if d.get("type", "coaching") in KINDS else (*KINDS, d["type"])
        with Vertical():
            yield Static(Text(self._title, style="bold"))
            with Horizontal():
                yield _field(
                    "type",
                    Select(_options(kinds), value=d.get("type", "coaching"), allow_blank=False, id="type"),
                    kinds,
                )
                yield _field(
                    "topic",
                    Select(_options(TOPICS), value=d.get("topic") or Select.NULL, prompt="none", id="topic"),
                    TOPICS,
                )
                yield _field(
                    "ADKAR stage",
                    Select(_options(ADKAR_STAGES), value=d.get("adkar") or Select.NULL, prompt="none", id="adkar"),
                    ADKAR_STAGES,
                )
                yield _field(
                    "visibility",
                    Select(_options(VISIBILITY), value=d.get("visibility", "team"), allow_blank=False, id="visibility"),
                    VISIBILITY,
                )
            yield Static(self._visibility_words(d.get("visibility", "team")), id="visibility-words")
            with Horizontal():
                contacts = [(self._contact_label(c, self.host.site), c.id) for c in self._contacts]
                linked = d.get("interaction_id")
                if linked and all(c.id != linked for c in self._contacts):
                    contacts.insert(0, (Text(f"contact {linked}"), linked))
                with Vertical(classes="field", id="contact-field"):
                    yield Label("linked contact (optional)")
                    yield Select(contacts, value=linked or Select.NULL, prompt="none", id="interaction")
                with Vertical(classes="field", id="follow-field"):
                    yield Label("follow up on")
                    yield Input(d.get("follow_up_on") or "", placeholder="YYYY-MM-DD", id="follow_up")
            yield TextArea(d.get("body", ""), soft_wrap=True, id="body")
            yield Static(id="problem")
            yield Static(Text("ctrl+s saves · escape cancels · tab moves between fields"), id="hint")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()
        self._initial = self.collect()

    @staticmethod
    def _visibility_words(value: object) -> Text:
        return Text(VISIBILITY_WORDS.get(str(value), ""))

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "visibility":
            self.query_one("#visibility-words", Static).update(self._visibility_words(event.value))

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

    def collect(self) -> dict[str, Any]:
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

    def _say(self, words: str) -> None:
        self.query_one("#problem", Static).update(Text(words))

    def action_save(self) -> None:
        if self._saving is not None:
            return  # one save at a time: its answer is on its way
        data = self.collect()
        problem = check_note(data)
        if problem:
            self._say(problem)
            self.app.bell()
            return
        if self._save is None:
            self.dismiss(data)
            return
        self._saving = data
        self._say("Saving…")
        self._save(dict(data), self._saved)

    def _saved(self, problem: str | None) -> None:
        data, self._saving = self._saving, None
        if problem is None:
            self.dismiss(data)
            return
        self._say(f"Not saved: {problem}. Your note is still here: ctrl+s tries again, escape discards it.")
        self.app.bell()

    @property
    def changed(self) -> bool:
        """Whether anything was typed or picked since the editor opened."""
        return self._initial is not None and self.collect() != self._initial

    def action_cancel(self) -> None:
        if self._saving is not None:
            return  # a save under way either commits (and closes the editor) or comes back here
        if not self.changed:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmDiscard(), answered)


def check_note(data: dict[str, Any]) -> str | None:
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
