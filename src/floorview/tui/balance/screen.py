"""Screen 3: the constraint balance. Talk (the stated ranking, editable) beside
walk (what the floor coaches and which targets it meets), and the gap between."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from floorview.domain.attainment import METRICS, Attainment, constraint_attainment, meets
from floorview.domain.balance import LABELS, WEIGHT_MAX, PriorityError, move, reweigh
from floorview.domain.metrics import INTERVAL, Level
from floorview.tui.balance.data import BalanceData, TallyCache, Talk, load_talk, load_walk
from floorview.tui.format import EMPTY, age, cell, duration, judged, num, pct
from floorview.tui.base import DataScreen
from floorview.tui.widgets.live_table import Column, LiveTable

WALK_REFRESH_S = 60  # the walk spans days: recomputing it more often shows nothing new
SHIFT_POINTS = 0.05  # coached share this far from the stated share gets an arrow


class BalanceScreen(DataScreen):
    BINDINGS = [
        Binding("w", "window", "7/30 days", id="balance.window"),
        Binding("u", "rank(-1)", "Rank up", id="balance.rank_up"),
        Binding("d", "rank(1)", "Rank down", id="balance.rank_down"),
        Binding("plus,equals_sign", "weigh(1)", "Weight +", id="balance.heavier"),
        Binding("minus", "weigh(-1)", "Weight -", id="balance.lighter"),
        Binding("x", "whatif", "What-if", id="balance.whatif"),
        Binding("c", "channel", "Channel of ASA/AHT", id="balance.channel", show=False),
        Binding("tab", "app.focus_next", "Next table", id="balance.next", show=False),
    ]
    DEFAULT_CSS = """
    BalanceScreen #constraints { height: auto; max-height: 6; }
    BalanceScreen #summary { height: auto; padding: 0 1; }
    BalanceScreen #metrics { height: 1fr; }
    """
    title_text = "Balance"
    filter_hint = "filter metrics by name or constraint"

    def __init__(self) -> None:
        super().__init__()
        self._days: int | None = None  # set from config on mount
        self._data: BalanceData | None = None
        self._walk_key: tuple | None = None
        self._walk = None
        self.channel: str | None = None  # the channel of ASA and AHT (c); None: the busiest
        self._tallies: dict[int, TallyCache] = {}  # by window: switching back re-reads nothing

    def compose_body(self) -> ComposeResult:
        yield LiveTable(id="constraints")
        yield Static(id="summary")
        yield LiveTable(id="metrics")

    def on_mount(self) -> None:
        self._days = self.app.settings.balance.window_days
        self._update_title()
        self._columns()
        self.query_one("#summary", Static).update(Text(f"Reading the last {self._days} days of contacts…", style="dim"))

    def on_resize(self) -> None:
        self._columns()
        if self._data is not None:
            self._paint()

    # -- data ----------------------------------------------------------------
    def load(self, con: sqlite3.Connection, now: float) -> BalanceData:
        days = self._days or self.app.settings.balance.window_days
        key = (days, int(now // WALK_REFRESH_S))
        if self._walk is None or self._walk_key != key:
            cache = self._tallies.setdefault(days, TallyCache())
            self._walk = load_walk(con, now, days, self.app.settings, cache)
            self._walk_key = key
        return BalanceData(load_talk(con, now, self.app.settings), self._walk)

    def show(self, data: BalanceData, now: float) -> None:
        self._data = data
        self._paint()
        self._update_title()

    def refilter(self) -> None:
        if self._data is not None:
            self._paint()

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
                Column("worst", "Most breached", 22 if wide else 16),
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
        talk, walk = data.talk.priorities, data.walk
        stated = talk.shares()
        coached = walk.mix.shares()
        rows = []
        for c in talk.order:
            worst = max(
                (a for a in walk.results.values() if a.metric.constraint == c),
                key=lambda a: (a.missed, a.longest),
            )
            share = coached[c] if coached else None
            rows.append(
                (
                    c,
                    {
                        "rank": num(str(talk.rank(c))),
                        "name": cell(LABELS[c], "bold" if talk.rank(c) == 1 else ""),
                        "weight": cell(
                            f"{talk.weight(c)} " + "●" * talk.weight(c) + "○" * (WEIGHT_MAX - talk.weight(c))
                        ),
                        "stated": num(pct(stated[c])),
                        "coached": _coached_cell(share, stated[c]),
                        "on_target": num(pct(constraint_attainment(walk.results, c))),
                        "worst": cell(worst.metric.label if worst.missed else EMPTY),
                    },
                )
            )
        self.query_one("#constraints", LiveTable).sync(rows, reorder=True)
        self.query_one("#summary", Static).update(self._summary())

        wanted = self.filter_text.lower()
        metric_rows = []
        previous = None
        channel = self._channel(walk.results)
        for c in talk.order:
            for m in METRICS:
                if m.constraint != c:
                    continue
                if wanted and wanted not in f"{m.label} {LABELS[c]} {m.key}".lower():
                    continue
                a = walk.results[m.key]
                metric_rows.append(
                    (m.key, _metric_cells(a, LABELS[c] if c != previous else "", walk.queue_names, channel))
                )
                previous = c
        self.query_one("#metrics", LiveTable).sync(metric_rows, reorder=True)

    def _summary(self) -> Text:
        data = self._data
        assert data is not None
        walk, wide = data.walk, self.size.width >= 100
        text = Text()
        gap = data.gap
        text.append("Talk/walk gap " if wide else "Gap ", style="bold")
        text.append(f"{gap:.0f} points" if gap is not None else EMPTY, style="bold")
        text.append(f" ({walk.mix.total} coaching notes) · by week:" if wide else f" ({walk.mix.total} notes) · weeks:")
        for w in walk.weeks if wide else walk.weeks[-3:]:
            text.append(f" {w.label} {w.gap:.0f}" if w.gap is not None else f" {w.label} {EMPTY}")
        text.append("\n")
        text.append(data.sentence)
        text.append("\n")
        saved = data.talk.saved
        if saved is None:
            text.append("Ranking from the config file", style="dim")
        else:
            when = self.app.site.fmt(saved.set_at, "%a %d %b %H:%M")
            text.append("Ranking set by ", style="dim")
            text.append(saved.set_by, style="dim")  # a Text span: never markup
            text.append(f" on {when}", style="dim")
        if wide:
            text.append(" · u/d rank, +/- weight, enter lists what is behind a figure", style="dim")
        return text

    def _channel(self, results: dict[str, Attainment]) -> str | None:
        """The channel whose ASA and AHT are shown: the one picked with c, else
        the one with the most answered contacts in the window."""
        counted = results["asa"].channels
        if self.channel in counted:
            return self.channel
        return min(counted, key=lambda c: (-counted[c], c)) if counted else None

    def _update_title(self) -> None:
        parts = [f"last {self._days or 7} days (w)"]
        data = self._data
        if data is None or data.walk.days != self._days:
            # A month of a large floor takes seconds to read the first time:
            # say so, rather than show nothing or the other window's figures.
            parts.append("reading…")
        if data is not None and data.walk.data_since is not None and data.walk.data_since > data.walk.since + INTERVAL:
            parts.append("data from " + self.app.site.fmt(data.walk.data_since, "%d %b"))
        self.set_title(*parts)

    # -- keys ------------------------------------------------------------------
    def action_channel(self) -> None:
        if self._data is None:
            return
        channels = list(self._data.walk.results["asa"].channels)
        if not channels:
            return
        shown = self._channel(self._data.walk.results)
        self.channel = channels[(channels.index(shown) + 1) % len(channels)] if shown in channels else channels[0]
        self._paint()

    def action_window(self) -> None:
        self._days = 30 if self._days == 7 else 7
        self._walk_key = None
        self._update_title()
        self.app.request_load(force=True)

    def _selected_constraint(self) -> str | None:
        table = self.query_one("#constraints", LiveTable)
        if self.focused is not table or self._data is None:
            return None
        return table.current_key

    def action_rank(self, delta: int) -> None:
        self._edit(lambda p, c: move(p, c, delta))

    def action_weigh(self, delta: int) -> None:
        self._edit(lambda p, c: reweigh(p, c, delta))

    def _edit(self, change) -> None:
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
        if self.app.settings.offline:
            self.app.bell()
            self.notify("Read-only (--offline): the ranking cannot be saved.", markup=False, severity="warning")
            return
        from floorview.store.priorities import save_priorities
        from floorview.tui.coaching.notes import who

        author, at = who(), self.app.clock.now()
        # Shown at once; the store keeps it, with who and when, and the next load confirms it.
        self._data = replace(data, talk=Talk(new, None))
        self._paint()
        self.app.write_store(lambda conn: save_priorities(conn, new, author, at), "ranking saved")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_drill()

    def action_drill(self) -> None:
        from floorview.tui.balance.explain import breaches_panel, notes_panel

        data = self._data
        if data is None or self.app.reader is None:
            return
        focused = self.focused
        if isinstance(focused, LiveTable) and focused.id == "constraints" and focused.current_key:
            self.app.push_screen(notes_panel(self.app.reader, data, focused.current_key))
        elif isinstance(focused, LiveTable) and focused.id == "metrics" and focused.current_key:
            self.app.push_screen(breaches_panel(data, focused.current_key))

    def action_whatif(self) -> None:
        from floorview.tui.queues.whatif import WhatIfScreen

        queue_id = None
        focused = self.focused
        if (
            self._data is not None
            and isinstance(focused, LiveTable)
            and focused.id == "metrics"
            and focused.current_key
        ):
            queue_id = self._data.walk.results[focused.current_key].longest_queue
        self.app.push_screen(WhatIfScreen(queue_id))

    def explain(self) -> tuple[str, Text] | None:
        from floorview.tui.balance.explain import explain_constraint, explain_metric

        data = self._data
        if data is None:
            return None
        focused = self.focused
        if isinstance(focused, LiveTable) and focused.id == "metrics" and focused.current_key:
            return explain_metric(data, focused.current_key, self.app.settings)
        table = self.query_one("#constraints", LiveTable)
        return explain_constraint(data, table.current_key or data.talk.priorities.order[0])


def _coached_cell(share: float | None, stated: float) -> Text:
    if share is None:
        return num(EMPTY)
    if share > stated + SHIFT_POINTS:
        return num(f"▲ {pct(share)}", "bold")
    if share < stated - SHIFT_POINTS:
        return num(f"▼ {pct(share)}")
    return num(f"= {pct(share)}")


def hours(seconds: float) -> str:
    """Queue-hours missed: summed over queues, so it can exceed the window."""
    if 0 < seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:,.0f} h"


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return EMPTY
    if unit == "%":
        return pct(value, 1)
    if unit == "s":
        return duration(value)
    return f"{value:.1f}"


def format_target(a: Attainment) -> str:
    m = a.metric
    if a.target is None:
        return "per queue"
    return ("≥ " if m.higher_is_better else "≤ ") + format_value(a.target, m.unit)


def floor_value(a: Attainment, channel: str | None) -> tuple[float | None, str]:
    """The floor figure shown for a metric, and the label it goes by: time
    averages over several channels are shown for one channel, never pooled."""
    m = a.metric
    if m.pools_channels or len(a.channels) <= 1 or channel is None:
        return a.value, m.label
    return a.by_channel.get(channel, (None, 0))[0], f"{m.label} · {channel}"


def _metric_cells(a: Attainment, constraint: str, names: dict[str, str], channel: str | None) -> dict[str, Text]:
    m = a.metric
    shown, label = floor_value(a, channel)
    value = format_value(shown, m.unit)
    if shown is not None and a.target is not None:
        level = Level.OK if meets(shown, a.target, m.higher_is_better) else Level.BREACH
        value_cell = judged(value, level)
    else:
        value_cell = num(value)
    return {
        "constraint": cell(constraint, "bold"),
        "metric": cell(label),
        "value": value_cell,
        "target": num(format_target(a)),
        "on_target": num(pct(a.on_target)),
        "breached": num(hours(a.breached_s) if a.checked else EMPTY),
        "longest": num(age(a.longest * INTERVAL) if a.longest else EMPTY),
        "where": cell(names.get(a.longest_queue, a.longest_queue or "")),
    }
