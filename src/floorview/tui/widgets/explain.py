"""The explain view: formula, inputs, settings and units behind a number."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class ExplainScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    ExplainScreen { align: center middle; }
    ExplainScreen > VerticalScroll {
        width: 90%; max-width: 96; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    ExplainScreen #title { text-style: bold; }
    """
    BINDINGS = [
        Binding("escape,e,q", "dismiss", "Close", id="explain.close"),
    ]

    def __init__(self, title: str, body: Text) -> None:
        super().__init__()
        self._title, self._body = title, body

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text(self._title), id="title")
            yield Static(self._body, id="body")
            yield Static(Text("escape closes", style="dim"))

    def action_dismiss(self) -> None:
        self.dismiss(None)
