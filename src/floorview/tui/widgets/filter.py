"""The `/` filter bar shared by the tables."""

from __future__ import annotations

from floorview.tui.bindings import bind
from textual.widgets import Input


class FilterBar(Input):
    DEFAULT_CSS = """
    FilterBar { dock: bottom; display: none; height: 3; border: tall $accent; }
    FilterBar.-open { display: block; }
    """
    BINDINGS = [
        bind("filter.clear", "close"),
        bind("filter.keep", "keep"),
    ]

    def open(self) -> None:
        self.add_class("-open")
        self.focus()

    def action_close(self) -> None:
        self.value = ""
        self.remove_class("-open")
        self.screen.focus_next()

    def action_keep(self) -> None:
        if not self.value:
            self.remove_class("-open")
        self.screen.focus_next()
