"""The start-up reference: a minimal Textual app that paints one widget."""

from textual.app import App, ComposeResult
from textual.widgets import Static


class Minimal(App):
    def compose(self) -> ComposeResult:
        yield Static("reference-ready")


if __name__ == "__main__":
    Minimal().run()
