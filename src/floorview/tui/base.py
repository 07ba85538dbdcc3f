"""What every panel's screen shares: title bar, filter, status line, footer,
and the load contract with the app's refresh worker.

The load contract, for each refresh:
1. on the event loop, the app asks the screen for its `request()`: a frozen
   value holding everything the read depends on (filter text, view, window,
   team), so the worker never reads a widget;
2. in a worker thread, the app runs the screen's `loader(con, now, request)`:
   a pure function of the panel's data.py (or an object owning its caches,
   touched by that one worker only; loads never overlap);
3. back on the loop, a typed `Loaded` message carries the data and its
   request; the app hands both to `show(data, request, now)`, which paints.
No widget is read and no screen attribute written from the worker.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Generic, TypeVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Input, Static

from floorview.tui.bindings import bind
from floorview.tui.host import Host
from floorview.tui.widgets.filter import FilterBar
from floorview.tui.widgets.footer import KeyFooter
from floorview.tui.widgets.status import StatusLine

RequestT = TypeVar("RequestT")
DataT = TypeVar("DataT")
Loader = Callable[[sqlite3.Connection, float, RequestT], DataT]


SCREENS = (
    ("1", "Queues"),
    ("2", "Agents"),
    ("3", "Balance"),
    ("4", "Coaching"),
    ("5", "Customers"),
    ("6", "Recovery"),
    ("7", "Alerts"),
)


class DataScreen(Screen[None], Generic[RequestT, DataT]):
    BINDINGS = [bind("view.filter", "filter"), bind("view.explain", "explain")]
    DEFAULT_CSS = """
    DataScreen #titlebar { height: 1; background: $primary-background; color: $text; padding: 0 1; }
    /* Textual's compact footer gives every key a right margin, the palette key
       too: flush right, it would leave a column through which the key beneath shows. */
    DataScreen KeyFooter.-compact FooterKey.-command-palette { margin-right: 0; }
    """
    title_text = ""
    filter_hint = "filter"

    def compose(self) -> ComposeResult:
        yield Static(id="titlebar")
        yield from self.compose_body()
        yield FilterBar(placeholder=self.filter_hint, id="filter")
        yield StatusLine(id="status")
        yield KeyFooter(compact=True)

    def compose_body(self) -> ComposeResult:
        yield from ()

    # The loader of the panel's data (see the module's docstring). Runs in a worker thread.
    loader: Loader[RequestT, DataT] | None = None

    @property
    def host(self) -> Host:
        """The app, through the typed handle panels may use."""
        return cast(Host, self.app)

    @property
    def huddle_team(self) -> str | None:
        """The team on show, which `h` opens the huddle on (None: the floor)."""
        return None

    # -- the refresh contract ----------------------------------------------------
    def request(self) -> RequestT:
        """What the next load depends on, as a frozen value. Runs on the event loop."""
        return cast(RequestT, None)

    def show(self, data: DataT, request: RequestT, now: float) -> None:
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
        self.app.call_later(self.host.request_load, True)
        self.host.refresh_status()

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
        from floorview.tui.modals.explain import ExplainScreen

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
        screens as tabs (the active one marked), then this view's state (sort,
        window, the active filter) whole. What gives way when the bar is too
        narrow, in this order: the other tabs' names shorten to three letters,
        then the product name goes, then the tabs shorten to their keys, then
        the clock goes."""
        host = self.host
        clock = ""
        if host.settings.show_clock:
            now = host.clock.now()
            clock = f"{host.site.stamp(now, '%H:%M:%S')}"
        width = self.app.size.width - 2  # the bar's padding
        for tabs, brand, with_clock in (
            ("full", True, True),
            ("short", True, True),
            ("short", False, True),
            ("keys", False, True),
            ("keys", False, False),
        ):
            text = self._title(tabs, brand, parts, clock if with_clock else "")
            if text.cell_len <= width:
                break
        self.query_one("#titlebar", Static).update(text)

    def _title(self, tabs: str, brand: bool, parts: tuple[str, ...], clock: str) -> Text:
        text = Text(" floorview " if brand else "", style="bold")
        label = self.host.source_label
        if label:
            text.append(f" {label} ", style="reverse bold")
            text.append(" ")
        for key, name in SCREENS:
            text.append(" ")
            if name == self.title_text:
                text.append(f"{key} {name}", style="reverse bold")
            elif tabs == "full":
                text.append(f"{key} {name}", style="dim")
            elif tabs == "short":
                text.append(f"{key} {name[:3]}", style="dim")
            else:
                text.append(key, style="dim")
        if self.title_text and all(name != self.title_text for _, name in SCREENS):
            text.append(" › ")
            text.append(self.title_text, style="bold")
        for part in parts:
            text.append(" │ ")
            text.append(part)
        if clock:
            text.append(" │ ")
            text.append(clock)
        return text

    def show_status(self, text: Text) -> None:
        self.query_one(StatusLine).show(text)
