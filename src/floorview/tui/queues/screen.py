"""Screen 1: a row per queue, each figure against its target.

Agents reads "need/have": the agents the target needs (`metrics.agents_needed`,
the what-if's rule too) against those who could take the queue's next
contact now (`Staffing.can_take`), so a queue whose staffed agents are busy
on other queues' contacts is never ✓.

The table has a cell cursor: ← → pick a figure, `e` explains it
(explain.QUEUE_VIEWS has a view for every column), enter drills into the queue.
"""

from __future__ import annotations

from rich.console import JustifyMethod
from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widgets import DataTable

from floorview.tui import nav
from floorview.tui.base import DataScreen
from floorview.tui.bindings import bind
from floorview.tui.queues.cells import Judge, haystack, oldest_cell, past_threshold, queue_cells, trend_cell
from floorview.tui.queues.data import QueueRow, QueuesRequest, load
from floorview.tui.queues.explain import Context, explain_queue_cell
from floorview.tui.widgets.live_table import Column, LiveTable

# The sorts, in the words the title shows: each puts the worst first.
SORTS = ("name", "worst service level", "wait past threshold", "most waiting", "most agents short")
WINDOWS = ("30 min", "today")
RESORT_S = 10  # a sorted table reorders at most this often, so rows don't jump under the eye
WORDS_FROM = 160  # from this width the Agents cell says "need 12 · have 15", not "12/15"


class QueuesScreen(DataScreen[QueuesRequest, list[QueueRow]]):
    BINDINGS = [
        bind("view.sort", "sort"),
        bind("view.window", "window"),
        bind("nav.whatif", "whatif"),
    ]
    title_text = "Queues"
    filter_hint = "filter queues by name, channel or id"

    sort: reactive[str] = reactive(SORTS[0], init=False)
    window: reactive[str] = reactive(WINDOWS[0], init=False)

    def __init__(self) -> None:
        super().__init__()
        self._rows: dict[str, QueueRow] = {}
        self._last_sort_at = 0.0
        self._now = 0.0
        self._partial = False  # whether the rows were painted while catching up

    def compose_body(self) -> ComposeResult:
        yield LiveTable(id="queues", cells=True)

    def on_mount(self) -> None:
        self._update_title()

    def on_resize(self) -> None:
        if self._rows:
            self._paint(self._now, reorder=True)

    # -- the view ----------------------------------------------------------------
    def watch_sort(self) -> None:
        self._view_changed()

    def watch_window(self) -> None:
        self._view_changed()

    def _view_changed(self) -> None:
        """Sort and window are applied when painting: retitle and repaint, no read."""
        self._update_title()
        self._paint(self._now, reorder=True)

    @property
    def today(self) -> bool:
        return self.window == "today"

    # -- data ----------------------------------------------------------------------
    loader = staticmethod(load)

    def request(self) -> QueuesRequest:
        return QueuesRequest()

    def show(self, data: list[QueueRow], request: QueuesRequest, now: float) -> None:
        self._rows = {r.snap.id: r for r in data}
        self._paint(now, reorder=False)

    def tick(self, now: float) -> None:
        """Only the oldest waits move between loads: update that column alone
        (all of them when catching up began or ended)."""
        self._now = now
        if not self._rows:
            return
        if self.host.partial != self._partial:
            self._paint(now, reorder=False)
            return
        self.query_one(LiveTable).sync_column(
            "oldest", {qid: oldest_cell(r, now, self._partial) for qid, r in self._rows.items()}
        )

    def refilter(self) -> None:
        self._paint(self._now, reorder=True)

    # -- painting ----------------------------------------------------------------------
    def _judge(self) -> Judge:
        return Judge(self.host.settings.queues, self.host.partial, self.host.scoped)

    def _paint(self, now: float, reorder: bool) -> None:
        self._now = now
        if self._partial != self.host.partial:  # catching up began or ended: the title says which
            self._partial = self.host.partial
            self._update_title()
        table = self.query_one(LiveTable)
        q = self.filter_text.lower()
        rows = [r for r in self._rows.values() if not q or q in haystack(r)]
        if now - self._last_sort_at >= RESORT_S:
            reorder, self._last_sort_at = True, now
        rows.sort(key=lambda r: self._sort_key(r, now))
        width = self.size.width or 80
        judge = self._judge()
        cells = {r.snap.id: queue_cells(r, now, self.today, judge, width >= WORDS_FROM) for r in rows}
        columns = self._columns(width, list(cells.values()))
        spark = next((c.width or 0 for c in columns if c.key == "trend"), 0)
        if spark:
            for r in rows:
                cells[r.snap.id]["trend"] = trend_cell(r, spark)
        table.set_columns(columns)
        table.sync([(r.snap.id, cells[r.snap.id]) for r in rows], reorder)

    def _columns(self, width: int, shown: list[dict[str, Text]]) -> list[Column]:
        """The columns that fit `width`, each as wide as its widest figure (a
        figure is never cut: a column grows, or the figure changes unit)."""
        wide = width >= 110

        def col(key: str, label: str, least: int, justify: JustifyMethod = "right") -> Column:
            widest = max((c[key].cell_len for c in shown if key in c), default=0)
            return Column(key, label, max(least, len(label), widest), justify)

        cols = [Column("name", "Queue", 22 if wide else 12)]
        if wide:
            cols.append(Column("channel", "Ch", 5))
        cols += [col("sl", "SL 30m", 6), col("sl_today", "Today", 6)]
        if wide:
            cols.append(col("offered", "Offer", 5))
        cols += [
            col("asa", "ASA", 4),  # short_duration: 4 characters at most
            col("abandon", "Aband", 6),
            col("aht", "AHT", 7),
            col("waiting", "Wait", 4),
            col("oldest", "Oldest", 6),
            # Words in the cell where there is room; at 80 and 120 columns the header says it.
            col("agents", "Agents", 21) if width >= WORDS_FROM else col("agents", "Need/have", 9),
        ]
        if width >= WORDS_FROM:
            cols += [col("answered", "Ans", 4), col("abandoned", "Abn", 4), col("available", "Avail", 5)]
        if wide:
            cols.append(col("occupancy", "Occ", 4))
        if wide and not self.host.settings.low_bandwidth:
            used = sum((c.width or 0) + 2 for c in cols)
            cols.append(Column("trend", "SL/15min", max(8, min(48, width - used - 4))))
        return cols

    def _sort_key(self, r: QueueRow, now: float) -> tuple:
        mode = self.sort
        if mode == "worst service level":
            sl = r.window.service_level
            return (sl is None, sl if sl is not None else 0, r.snap.name)
        if mode == "wait past threshold":
            # Oldest wait over the queue's own threshold, worst first: an email
            # queue's ten minutes is well within its hours; a voice caller's
            # minute is three times a 20-second threshold.
            past = past_threshold(r, now)
            return (past is None, -(past or 0.0), r.snap.name)
        if mode == "most waiting":
            return (-r.snap.waiting, r.snap.name)
        if mode == "most agents short":
            short = (r.need.needed or 0) - r.snap.staffing.can_take
            return (-short, r.snap.name)
        return (r.snap.name.lower(), r.snap.id)

    def _update_title(self) -> None:
        parts = [f"sort: {self.sort}", f"window: {self.window}"]
        if self.host.partial:
            parts.insert(0, "catching up: no ✓ ! ✗ yet")
        self.set_title(*parts)

    # -- actions -----------------------------------------------------------------------
    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]

    def action_window(self) -> None:
        self.window = WINDOWS[(WINDOWS.index(self.window) + 1) % len(WINDOWS)]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_drill()

    def action_drill(self) -> None:
        key = self.query_one(LiveTable).current_key
        if key is None or key not in self._rows:
            return
        self.post_message(nav.OpenQueue(key, self._rows[key].snap.name))

    def action_whatif(self) -> None:
        self.post_message(nav.OpenWhatIf(self.query_one(LiveTable).current_key))

    def explain(self) -> tuple[str, Text] | None:
        table = self.query_one(LiveTable)
        key = table.current_key
        if key is None or key not in self._rows:
            return None
        ctx = Context(self._now, self.host.settings, self.host.site, self.today, self.host.scoped, self.host.partial)
        return explain_queue_cell(self._rows[key], table.current_column or "name", ctx)
