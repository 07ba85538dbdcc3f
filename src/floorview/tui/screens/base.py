"""What every data screen shares: title bar, filter, status line, footer, and the
contract with the app's refresh worker (load off the loop, show on it, tick each second)."""

from __future__ import annotations

import sqlite3
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from floorview.tui.widgets.filter import FilterBar
from floorview.tui.widgets.status import StatusLine


SCREENS = (("1", "Queues"), ("2", "Agents"), ("3", "Balance"), ("4", "Coaching"), ("5", "Customers"), ("6", "Recovery"))


class DataScreen(Screen):
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="view.filter"),
        Binding("e", "explain", "Explain", id="view.explain"),
    ]
    DEFAULT_CSS = """
    DataScreen #titlebar { height: 1; background: $primary-background; color: $text; padding: 0 1; }
    /* Textual's compact footer gives every key a right margin, the palette key
       too: flush right, it would leave a column through which the key beneath shows. */
    DataScreen Footer.-compact FooterKey.-command-palette { margin-right: 0; }
    """
    title_text = ""
    filter_hint = "filter"

    def compose(self) -> ComposeResult:
        yield Static(id="titlebar")
        yield from self.compose_body()
        yield FilterBar(placeholder=self.filter_hint, id="filter")
        yield StatusLine(id="status")
        yield Footer(compact=True)

    def compose_body(self) -> ComposeResult:
        yield from ()

    # -- the refresh contract ----------------------------------------------------
    def load(self, con: sqlite3.Connection, now: float) -> Any:
        """Read what the screen shows. Runs in a worker thread: no widgets here."""
        return None

    def show(self, data: Any, now: float) -> None:
        """Put freshly loaded data on screen, touching only what changed."""

    def tick(self, now: float) -> None:
        """Once a second: update the cells that show a running duration."""

    def explain(self) -> tuple[str, Text] | None:
        """The explanation of the figure under the cursor."""
        return None

    def on_resize(self) -> None:
        # The tabs shorten below 100 columns. (Textual also runs a subclass's own on_resize.)
        self._update_title()

    def on_screen_resume(self) -> None:
        # Shown again (a mode switch, or back from a drill-down): read fresh data.
        self._update_title()
        self.app.call_later(self.app.request_load, True)
        self.app.refresh_status()

    # -- shared actions ------------------------------------------------------------
    @property
    def filter_text(self) -> str:
        return self.query_one(FilterBar).value.strip()

    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.refilter()

    def refilter(self) -> None:
        """Re-show the last data under the current filter."""

    def action_explain(self) -> None:
        from floorview.tui.widgets.explain import ExplainScreen

        found = self.explain()
        if found is None:
            self.app.bell()
            self.notify("Nothing to explain here yet.", markup=False, timeout=3)
            return
        self.app.push_screen(ExplainScreen(*found))

    def _update_title(self) -> None:
        self.set_title()

    def set_title(self, *parts: str) -> None:
        """The title bar: DEMO or SNAPSHOT first (it must never be cut off), the
        screens as tabs (the active one marked; the others by key alone when
        narrow), then this view's state."""
        text = Text(" floorview ", style="bold")
        label = getattr(self.app, "source_label", None)
        if label:
            text.append(f" {label} ", style="reverse bold")
            text.append(" ")
        narrow = self.app.size.width < 100
        for key, name in SCREENS:
            text.append(" ")
            if name == self.title_text:
                text.append(f"{key} {name}", style="reverse bold")
            else:
                text.append(key if narrow else f"{key} {name}", style="dim")
        if self.title_text and all(name != self.title_text for _, name in SCREENS):
            text.append(" › ")
            text.append(self.title_text, style="bold")
        for part in parts:
            text.append(" │ ")
            text.append(part)
        if self.app.settings.show_clock:
            text.append(" │ ")
            now = self.app.clock.now()
            text.append(f"{self.app.site.fmt(now, '%H:%M:%S')} {self.app.site.abbrev(now)}")
        self.query_one("#titlebar", Static).update(text)

    def show_status(self, text: Text) -> None:
        self.query_one(StatusLine).show(text)
