"""Screen 1: a row per queue, each figure against its target.

Agents reads "need/have": the agents the target needs (`metrics.agents_needed`,
the what-if's rule too) against those who could take the queue's next
contact now (`Staffing.can_take`), so a queue whose staffed agents are busy
on other queues' contacts is never ✓.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable

from floorview.domain.metrics import (
    Level,
    rate_level,
)
from floorview.tui.queues.data import QueueRow, QueuesRequest, load
from floorview.tui.format import EMPTY, cell, duration, judged, num, pct, sparkline
from floorview.tui.base import DataScreen
from floorview.tui.widgets.live_table import Column, LiveTable


SORTS = ("name", "service level", "longest wait", "waiting", "agents short")
RESORT_S = 10  # a sorted table reorders at most this often, so rows don't jump under the eye
AGENTS_WORDS_W = 21  # "✗ need 120 · have 100"


class QueuesScreen(DataScreen[QueuesRequest, list[QueueRow]]):
    BINDINGS = [
        Binding("s", "sort", "Sort", id="queues.sort"),
        Binding("w", "window", "Window", id="queues.window"),
        Binding("x", "whatif", "What-if", id="queues.whatif"),
    ]
    title_text = "Queues"
    filter_hint = "filter queues by name, channel or id"

    def __init__(self) -> None:
        super().__init__()
        self._rows: dict[str, QueueRow] = {}
        self._sort = 0
        self._today = False
        self._last_sort_at = 0.0
        self._now = 0.0

    def compose_body(self) -> ComposeResult:
        yield LiveTable(id="queues")

    def on_mount(self) -> None:
        self._update_title()

    def on_resize(self) -> None:
        self._columns()
        if self._rows:
            self._paint(self._now, reorder=True)

    # -- data ----------------------------------------------------------------
    loader = staticmethod(load)

    def request(self) -> QueuesRequest:
        return QueuesRequest()

    def show(self, data: list[QueueRow], request: QueuesRequest, now: float) -> None:
        self._rows = {r.snap.id: r for r in data}
        self._paint(now, reorder=False)

    def tick(self, now: float) -> None:
        """Only the oldest waits move between loads: update that column alone."""
        self._now = now
        if self._rows:
            self.query_one(LiveTable).sync_column(
                "longest", {qid: _oldest_cell(r, now) for qid, r in self._rows.items()}
            )

    def refilter(self) -> None:
        self._paint(self._now, reorder=True)

    # -- rendering -------------------------------------------------------------
    def _columns(self) -> list[Column]:
        width = self.size.width or 80
        wide = width >= 110
        cols = [Column("name", "Queue", 22 if wide else 12)]
        if wide:
            cols.append(Column("channel", "Ch", 5))
        cols += [
            Column("sl", "SL 30m", 6, "right"),
            Column("sl_today", "Today", 6, "right"),
        ]
        if wide:
            cols.append(Column("offered", "Offer", 5, "right"))
        cols += [
            Column("asa", "ASA", 4, "right"),  # short_duration: 4 characters at most
            Column("abandon", "Aband", 6, "right"),
            Column("aht", "AHT", 7, "right"),
            Column("waiting", "Wait", 4, "right"),
            Column("longest", "Oldest", 6, "right"),
            # Words in the cell where there is room; at 80 and 120 columns the header says it.
            Column("agents", "Agents", AGENTS_WORDS_W, "right")
            if width >= 160
            else Column("agents", "Need/have", 9, "right"),
        ]
        if width >= 160:
            cols += [
                Column("answered", "Ans", 4, "right"),
                Column("abandoned", "Abn", 4, "right"),
                Column("available", "Avail", 5, "right"),
            ]
        if wide:
            cols.append(Column("occupancy", "Occ", 4, "right"))
        if wide and not self.app.settings.low_bandwidth:
            used = sum((c.width or 0) + 2 for c in cols)
            spark = max(8, min(48, width - used - 4))
            cols.append(Column("trend", "SL by 15 min", spark))
        table = self.query_one(LiveTable)
        table.set_columns(cols)
        return cols

    def _paint(self, now: float, reorder: bool) -> None:
        self._now = now
        table = self.query_one(LiveTable)
        if not table.columns_now:
            self._columns()
        q = self.filter_text.lower()
        rows = [r for r in self._rows.values() if not q or q in _haystack(r)]
        if now - self._last_sort_at >= RESORT_S:
            reorder, self._last_sort_at = True, now
        rows.sort(key=lambda r: self._sort_key(r, now))
        width = next((c.width for c in table.columns_now if c.key == "trend"), 0)
        table.sync([(r.snap.id, self._cells(r, now, width)) for r in rows], reorder)

    def _sort_key(self, r: QueueRow, now: float):
        mode = SORTS[self._sort]
        if mode == "service level":
            sl = r.window.service_level
            return (sl is None, sl if sl is not None else 0, r.snap.name)
        if mode == "longest wait":
            oldest = r.snap.oldest_enqueued_at
            return (oldest is None, oldest or 0, r.snap.name)
        if mode == "waiting":
            return (-r.snap.waiting, r.snap.name)
        if mode == "agents short":
            short = (r.need.needed or 0) - r.snap.staffing.can_take
            return (-short, r.snap.name)
        return (r.snap.name.lower(), r.snap.id)

    def _cells(self, r: QueueRow, now: float, spark_width: int) -> dict[str, Text]:
        s, conf = r.snap.settings, self.app.settings.queues
        f = r.today if self._today else r.window
        have = r.snap.staffing.can_take
        words = (self.size.width or 80) >= 160  # as in _columns
        return {
            "name": cell(r.snap.name),
            "channel": cell(r.snap.channel),
            "sl": judged(
                pct(r.window.service_level), rate_level(r.window.service_level, s.sl_target, True, conf.sl_warn_margin)
            ),
            "sl_today": judged(
                pct(r.today.service_level), rate_level(r.today.service_level, s.sl_target, True, conf.sl_warn_margin)
            ),
            "offered": num(str(f.offered)),
            "answered": num(str(f.answered)),
            "abandoned": num(str(f.abandoned)),
            "available": num(str(r.snap.staffing.by_state.get("available", 0))),
            "asa": num(short_duration(f.asa_s)),
            "abandon": judged(
                pct(f.abandon_rate), rate_level(f.abandon_rate, s.abandon_target, False, conf.abandon_warn_margin)
            ),
            "aht": judged(duration(f.aht_s), rate_level(f.aht_s, s.aht_target_s, False, conf.aht_warn_margin_s)),
            "waiting": num(str(r.snap.waiting) if r.snap.waiting else "0"),
            "longest": _oldest_cell(r, now),
            # A scoped token sees its own agents only: "have" is theirs, no verdict on the queue's.
            "agents": judged(
                _need_have(r.need.needed, have, words),
                Level.NONE if self.app.scoped else staff_level(r.need.needed, have),
            ),
            "occupancy": num(pct(r.snap.staffing.occupancy)),
            "trend": sparkline(r.trend, spark_width),
        }

    def _update_title(self) -> None:
        window = "today" if self._today else "30 min"
        self.set_title(f"sort: {SORTS[self._sort]}", f"window: {window}")

    # -- actions ---------------------------------------------------------------
    def action_sort(self) -> None:
        self._sort = (self._sort + 1) % len(SORTS)
        self._update_title()
        self._paint(self._now, reorder=True)

    def action_window(self) -> None:
        self._today = not self._today
        self._update_title()
        self._paint(self._now, reorder=False)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_drill()

    def action_drill(self) -> None:
        key = self.query_one(LiveTable).current_key
        if key is None or key not in self._rows:
            return
        from floorview.tui.queues.drill import QueueDetailScreen

        self.app.push_screen(QueueDetailScreen(key, self._rows[key].snap.name))
        self.app.request_load(force=True)

    def action_whatif(self) -> None:
        from floorview.tui.queues.whatif import WhatIfScreen

        self.app.push_screen(WhatIfScreen(self.query_one(LiveTable).current_key))

    def explain(self) -> tuple[str, Text] | None:
        table = self.query_one(LiveTable)
        key, col = table.current_key, table.current_column
        if key is None or key not in self._rows:
            return None
        from floorview.tui.queues.explain import explain_queue_cell

        return explain_queue_cell(
            self._rows[key],
            col or "sl",
            self._today,
            self._now,
            self.app.settings,
            self.app.site,
            scoped=self.app.scoped,
        )


def _oldest_cell(r: QueueRow, now: float) -> Text:
    oldest = now - r.snap.oldest_enqueued_at if r.snap.oldest_enqueued_at else None
    return judged(short_duration(oldest), _wait_level(oldest, r.snap.settings.sl_threshold_s))


def _haystack(r: QueueRow) -> str:
    return f"{r.snap.name} {r.snap.channel} {r.snap.id}".lower()


def _wait_level(wait: float | None, threshold: float) -> str:
    if wait is None:
        return Level.NONE
    if wait <= threshold:
        return Level.OK
    return Level.WARN if wait <= 2 * threshold else Level.BREACH


def staff_level(needed: int | None, have: int) -> str:
    """The Agents verdict: ✓ when the agents who could take the queue's next
    contact (`Staffing.can_take`) are at least those needed, ! one short, ✗
    more; no sign without a need to judge by."""
    if needed is None:
        return Level.NONE
    if have >= needed:
        return Level.OK
    return Level.WARN if have == needed - 1 and have > 0 else Level.BREACH


def _need_have(needed: int | None, have: int, words: bool) -> str:
    need = EMPTY if needed is None else str(needed)
    return f"need {need} · have {have}" if words else f"{need}/{have}"


def short_duration(seconds: float | None) -> str:
    """Durations in at most four characters, changing unit rather than being
    cut: 45s, 9:59, 12m (past ten minutes), 1h05, 12h, 3d."""
    if seconds is None:
        return EMPTY
    if math.isinf(seconds):
        return "∞"
    s = max(0, int(seconds))
    if s < 600:
        return duration(s)
    if s < 3600:
        return f"{s // 60}m"
    if s < 36000:
        return duration(s)
    if s < 86400:
        return f"{s // 3600}h"
    return f"{s // 86400}d"
