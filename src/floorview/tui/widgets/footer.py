"""The key footer, with `?` first: at 80 columns a footer of many keys is cut
on the right, and the one key that finds all the others must never be."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # Textual exports the footer's key widget only from here

HELP_ACTION = "help"  # the app's `app.help` intent


class KeyFooter(Footer):
    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        first = [w for w in widgets if isinstance(w, FooterKey) and w.action.rsplit(".", 1)[-1] == HELP_ACTION]
        yield from first
        yield from (w for w in widgets if w not in first)
