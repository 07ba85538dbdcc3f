"""A modal panel of text over the current screen: explain, keys, quarantine."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class TextPanel(ModalScreen[None]):
    """A title and a body of plain Text (data inside is never markup); subclasses
    set where it sits, its border, the keys that close it and the body's id."""

    DEFAULT_CSS = """
    TextPanel { align: center middle; }
    TextPanel > VerticalScroll {
        width: 90%; max-width: 96; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    TextPanel #title { text-style: bold; }
    """
    body_id = "body"

    def __init__(self, title: str, body: Text) -> None:
        super().__init__()
        self._title, self._body = title, body

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text(self._title), id="title")
            yield Static(self._body, id=self.body_id)
            yield Static(Text("escape closes", style="dim"))
