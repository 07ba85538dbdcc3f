"""Screen 3: the constraint balance. Talk (the stated ranking, editable) beside
walk (what the floor coaches and which targets it meets), and the gap between."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widgets import DataTable, Static

from floorview.domain.attainment import METRICS
from floorview.domain.balance import LABELS, Priorities, PriorityError, move, reweigh
from floorview.domain.metrics import INTERVAL
from floorview.store.balance import NoteLine, SavedPriorities, notes_between
from floorview.store.priorities import save_priorities
from floorview.tui import nav
from floorview.tui.balance.cells import constraint_rows, metric_cells, summary, title_parts
from floorview.tui.balance.data import BalanceData, BalanceLoader, BalanceRequest
from floorview.tui.balance.explain import (
    DRILL_LIMIT,
    breaches_panel,
    explain_constraint,
    explain_metric,
    notes_panel,
)
from floorview.tui.base import DataScreen
from floorview.tui.bindings import bind
from floorview.tui.widgets.live_table import Column, LiveTable

WINDOWS = (7, 30)


class BalanceScreen(DataScreen[BalanceRequest, BalanceData]):
    # In the footer's order: at 80 columns the window and the what-if show before the edits
    # (which need the ranking's cursor, and the summary line names them where there is room).
    BINDINGS = [
        bind("view.window", "window"),
        bind("nav.whatif", "whatif"),
        bind("balance.rank_up", "rank(-1)"),
        bind("balance.rank_down", "rank(1)"),
        bind("balance.heavier", "weigh(1)"),
        bind("balance.lighter", "weigh(-1)"),
        bind("view.channel", "channel", show=False),
        bind("table.next", "app.focus_next"),
    ]
    DEFAULT_CSS = """
    BalanceScreen #constraints { height: auto; max-height: 6; }
    BalanceScreen #summary { height: auto; padding: 0 1; }
    BalanceScreen #metrics { height: 1fr; }
    """
    title_text = "Balance"
    filter_hint = "filter metrics by name or constraint"

    # View state: what the next load asks for (one watcher: _view_changed).
    window: reactive[int] = reactive(7, init=False)  # days: 7 or 30 (w)
    channel: reactive[str | None] = reactive(None, init=False)  # of ASA and AHT (c); None: the busiest

    def __init__(self) -> None:
        super().__init__()
        self.loader = BalanceLoader()  # owns the walk's caches; touched by the load worker only
        self._data: BalanceData | None = None
        self._verdicts = True  # whether the metrics on screen carry ✓/✗

    def compose_body(self) -> ComposeResult:
        yield LiveTable(id="constraints")
        yield Static(id="summary")
        yield LiveTable(id="metrics")

    def on_mount(self) -> None:
        self.set_reactive(BalanceScreen.window, self.host.settings.balance.window_days)
        self._update_title()
        self._columns()
        self.query_one("#summary", Static).update(
            Text(f"Reading the last {self.window} days of contacts…", style="dim")
        )

    def on_resize(self) -> None:
        self._columns()
        if self._data is not None:
            self._paint()

    # -- the load contract -----------------------------------------------------
    def request(self) -> BalanceRequest:
        balance = self.host.settings.balance
        return BalanceRequest(
            days=self.window,
            channel=self.channel,
            default=balance.priorities,
            targets=balance.targets,
            site_timezone=self.host.settings.site_timezone,
        )

    def show(self, data: BalanceData, request: BalanceRequest, now: float) -> None:
        self._data = data
        self._paint()
        self._update_title()

    def refilter(self) -> None:
        if self._data is not None:
            self._paint()

    # -- view state ----------------------------------------------------------
    def watch_window(self) -> None:
        self._view_changed()

    def watch_channel(self) -> None:
        self._view_changed()

    def _view_changed(self) -> None:
        """The window or the channel changed: say so at once, and read for it."""
        self._update_title()
        self.host.request_load(True)

    # -- painting --------------------------------------------------------------
    def _columns(self) -> None:
        wide = self.size.width >= 100
        self.query_one("#constraints", LiveTable).set_columns(
            [
                Column("rank", "#", 2, "right"),
                Column("name", "Constraint", 10),
                Column("weight", "Weight", 7),
                Column("stated", "Stated", 6, "right"),
                Column("coached", "Coached", 8, "right"),
                Column("on_target", "On target", 9, "right"),
                Column("worst", "Most hours missed", 22 if wide else 17),
            ]
        )
        metric_cols = [
            Column("constraint", "", 8),
            Column("metric", "Metric", 16),
            Column("value", "Floor", 9, "right"),
            Column("target", "Target", 9, "right"),
            Column("on_target", "On target", 9, "right"),
            Column("breached", "Missed", 8, "right"),
        ]
        if self.size.width >= 90:
            metric_cols.append(Column("longest", "Longest", 7, "right"))
        if wide:
            metric_cols.append(Column("where", "Longest in", 20))
        self.query_one("#metrics", LiveTable).set_columns(metric_cols)

    def _paint(self) -> None:
        data = self._data
        assert data is not None
        self.query_one("#constraints", LiveTable).sync(constraint_rows(data), reorder=True)
        self.query_one("#summary", Static).update(
            summary(data, self.size.width >= 100, lambda ts: self.host.site.fmt(ts, "%a %d %b %H:%M"))
        )
        wanted = self.filter_text.lower()
        verdicts = self._verdicts = not self.host.partial  # catching up: figures of part of the window, no ✓/✗
        talk, walk = data.talk.priorities, data.walk
        rows = []
        previous = None
        for c in talk.order:
            for m in METRICS:
                if m.constraint != c:
                    continue
                if wanted and wanted not in f"{m.label} {LABELS[c]} {m.key}".lower():
                    continue
                cells = metric_cells(
                    walk.results[m.key], LABELS[c] if c != previous else "", walk.queue_names, data.channel, verdicts
                )
                rows.append((m.key, cells))
                previous = c
        self.query_one("#metrics", LiveTable).sync(rows, reorder=True)

    def _update_title(self) -> None:
        data = self._data
        # A month of a large floor takes seconds to read the first time:
        # say so, rather than show nothing or the other window's figures.
        reading = data is None or data.walk.days != self.window
        since = None
        if not reading and data is not None:
            held = data.walk.data_since
            if held is not None and held > data.walk.since + INTERVAL:
                since = self.host.site.fmt(held, "%d %b")
        candidates = title_parts(self.window, since, reading, self.host.partial)
        titlebar = self.query_one("#titlebar", Static)
        for parts in candidates:  # the first that fits whole
            self.set_title(*parts)
            shown = titlebar.content
            if isinstance(shown, Text) and shown.cell_len + 2 <= self.size.width:
                return

    def tick(self, now: float) -> None:
        if self._data is not None and self._verdicts != (not self.host.partial):
            self._paint()  # caught up (or catching up again): the verdicts follow
            self._update_title()

    # -- keys ------------------------------------------------------------------
    def action_channel(self) -> None:
        data = self._data
        if data is None:
            return
        channels = list(data.walk.results["asa"].channels)
        if not channels:
            return
        shown = data.channel
        self.channel = channels[(channels.index(shown) + 1) % len(channels)] if shown in channels else channels[0]

    def action_window(self) -> None:
        self.window = WINDOWS[(WINDOWS.index(self.window) + 1) % len(WINDOWS)] if self.window in WINDOWS else 7

    def _selected_constraint(self) -> str | None:
        table = self.query_one("#constraints", LiveTable)
        if self.focused is not table or self._data is None:
            return None
        return table.current_key

    def action_rank(self, delta: int) -> None:
        self._edit(lambda p, c: move(p, c, delta))

    def action_weigh(self, delta: int) -> None:
        self._edit(lambda p, c: reweigh(p, c, delta))

    def _edit(self, change: Callable[[Priorities, str], Priorities]) -> None:
        c = self._selected_constraint()
        if c is None:
            self.app.bell()
            self.notify("Select a constraint in the ranking first (tab moves between tables).", markup=False, timeout=4)
            return
        data = self._data
        assert data is not None
        try:
            new = change(data.talk.priorities, c)
        except PriorityError as exc:
            self.app.bell()
            self.notify(f"Not changed: {exc}.", markup=False, severity="warning", timeout=6)
            return
        if self.host.settings.offline:
            self.app.bell()
            self.notify("Read-only (--offline): the ranking cannot be saved.", markup=False, severity="warning")
            return
        author, at = self.host.author(), self.host.clock.now()
        # Shown at once; the store keeps it, with who and when, and the next load confirms it.
        saved = SavedPriorities(new.as_config(), at, author)
        self._data = replace(data, talk=replace(data.talk, priorities=new, saved=saved))
        self._paint()
        self.host.write_store(lambda conn: save_priorities(conn, new, author, at), "ranking saved")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_drill()

    def action_drill(self) -> None:
        data = self._data
        focused = self.focused
        if data is None or not isinstance(focused, LiveTable) or not focused.current_key:
            return
        key = focused.current_key
        if focused.id == "constraints":
            walk = data.walk

            def read(con: sqlite3.Connection) -> list[NoteLine]:
                return notes_between(con, walk.since, walk.until, key, limit=DRILL_LIMIT)

            def show(notes: list[NoteLine]) -> None:
                self.app.push_screen(notes_panel(data, key, notes))

            self.host.read_store(read, show)
        elif focused.id == "metrics":
            self.app.push_screen(breaches_panel(data, key))

    def action_whatif(self) -> None:
        queue_id = None
        focused = self.focused
        if (
            self._data is not None
            and isinstance(focused, LiveTable)
            and focused.id == "metrics"
            and focused.current_key
        ):
            queue_id = self._data.walk.results[focused.current_key].longest_queue
        self.post_message(nav.OpenWhatIf(queue_id))

    def explain(self) -> tuple[str, Text] | None:
        data = self._data
        if data is None:
            return None
        focused = self.focused
        if isinstance(focused, LiveTable) and focused.id == "metrics" and focused.current_key:
            return explain_metric(data, focused.current_key, self.host.settings)
        table = self.query_one("#constraints", LiveTable)
        return explain_constraint(data, table.current_key or data.talk.priorities.order[0])
