"""A queue's drill-down: its figures, who is waiting, and the agents who serve it.

The waiting list and the agents share the height between them by what each
holds: a list that fits is not given empty rows while the other scrolls (m26).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from floorview.tui import nav
from floorview.tui.base import DataScreen
from floorview.tui.bindings import bind
from floorview.tui.queues.cells import Judge, contacts, summary, waiting_cells
from floorview.tui.queues.data import Drill, DrillRequest, load_drill
from floorview.tui.queues.explain import (
    Context,
    explain_agent_here,
    explain_summary,
    explain_waiting_contact,
)
from floorview.tui.widgets.agent_cells import agent_cells, agent_columns
from floorview.tui.widgets.live_table import Column, LiveTable

AGENTS_SHARE = 3 / 5  # of the height, when both lists are longer than the screen


def split_height(height: int, waiting: int, agents: int) -> tuple[int, int]:
    """Lines for the waiting list and the agents (each `rows + 1` for its
    header): each list as long as it needs, the rest to the other; when both
    need more than there is, the agents get AGENTS_SHARE and the waiting the rest."""
    need_w, need_a = max(2, waiting + 1), max(2, agents + 1)
    a = min(need_a, max(height - need_w, round(height * AGENTS_SHARE)))
    a = max(0, min(a, height - 2))
    return height - a, a


class QueueDetailScreen(DataScreen[DrillRequest, Drill]):
    BINDINGS = [
        bind("nav.back", "app.pop_screen"),
        bind("table.next", "app.focus_next"),
        bind("nav.customer", "customer"),
    ]
    DEFAULT_CSS = """
    QueueDetailScreen #summary { height: auto; padding: 0 1; }
    QueueDetailScreen #lists { height: 1fr; }
    QueueDetailScreen .heading { height: 1; padding: 0 1; text-style: bold; }
    QueueDetailScreen #waiting { height: 2fr; }
    QueueDetailScreen #agents { height: 3fr; }
    """
    loader = staticmethod(load_drill)

    def __init__(self, queue_id: str, name: str) -> None:
        super().__init__()
        self.queue_id, self.queue_name = queue_id, name
        self.title_text = f"Queue: {name}"
        self._data: Drill | None = None
        self._now = 0.0

    def compose_body(self) -> ComposeResult:
        yield Static(id="summary")
        with Vertical(id="lists"):
            yield Static(Text("Waiting now, oldest first"), classes="heading", id="waiting-heading")
            yield LiveTable(id="waiting")
            yield Static(Text("Agents serving this queue"), classes="heading")
            yield LiveTable(id="agents")

    def on_mount(self) -> None:
        self.query_one("#waiting", LiveTable).set_columns(self._waiting_columns([]))

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    # -- data ----------------------------------------------------------------------
    def request(self) -> DrillRequest:
        return DrillRequest(self.queue_id, self.host.site.name)

    def show(self, data: Drill, request: DrillRequest, now: float) -> None:
        self._data = data
        self.tick(now)

    def tick(self, now: float) -> None:
        self._now = now
        data = self._data
        if data is None:
            return
        width = self.size.width or 80
        judge = Judge(self.host.settings.queues, self.host.partial, self.host.scoped)
        self.query_one("#summary", Static).update(
            summary(data.row, now, judge) if data.row is not None else Text("This queue is no longer in the store.")
        )
        waiting = self.query_one("#waiting", LiveTable)
        cells = [(w.id, waiting_cells(w, now)) for w in data.waiting]
        waiting.set_columns(self._waiting_columns([c for _, c in cells]))
        waiting.sync(cells, reorder=False)
        n = data.row.snap.waiting if data.row is not None else len(data.waiting)
        heading = f"Waiting now, oldest first: {contacts(n)}" if n else "Nobody waiting"
        if n > len(data.waiting):
            heading += f" (the oldest {len(data.waiting)} listed)"
        self.query_one("#waiting-heading", Static).update(Text(heading))
        agents = self.query_one("#agents", LiveTable)
        agents.set_columns(agent_columns(width))
        thresholds = self.host.settings.agents.time_in_state
        partial = self.host.partial  # catching up: no time-in-state marks on part of a day
        agents.sync(
            [(a.id, agent_cells(a, now, thresholds, width >= 110, partial)) for a in data.agents], reorder=False
        )
        self.call_after_refresh(self._fit)  # once the summary above has its lines

    @staticmethod
    def _waiting_columns(shown: list[dict[str, Text]]) -> list[Column]:
        """Contact ids whole (a column as wide as the longest), waits whole."""

        def widest(key: str, least: int) -> int:
            return max([least, *(c[key].cell_len for c in shown)])

        return [
            Column("id", "Contact", widest("id", 14)),
            Column("customer", "Customer", 24),
            Column("wait", "Waiting", widest("wait", 8), "right"),
        ]

    def _fit(self) -> None:
        """Share the lists' height by what each holds (m26)."""
        lists = self.query_one("#lists", Vertical)
        height = lists.size.height - 2  # the two headings
        if height <= 0:
            return
        waiting, agents = self.query_one("#waiting", LiveTable), self.query_one("#agents", LiveTable)
        w, a = split_height(height, waiting.row_count, agents.row_count)
        if waiting.styles.height is None or waiting.styles.height.value != w:
            waiting.styles.height = w
        if agents.styles.height is None or agents.styles.height.value != a:
            agents.styles.height = a

    # -- keys ------------------------------------------------------------------------
    def _table(self) -> LiveTable:
        """The list the keys act on: the focused one, else the waiting list."""
        return self.focused if isinstance(self.focused, LiveTable) else self.query_one("#waiting", LiveTable)

    def action_customer(self) -> None:
        """The card of the waiting contact's customer, or of the customer the agent serves."""
        data = self._data
        if data is None:
            return
        table = self._table()
        key = table.current_key
        if table.id == "agents":
            agent = next((a for a in data.agents if a.id == key), None)
            customer = data.customers.get(key) if key is not None else None
            if agent is not None and customer is None:
                self.app.bell()
                words = f"{agent.name} is not serving a known customer now."
                self.notify(words, markup=False)
                return
        else:
            w = next((w for w in data.waiting if w.id == key), None)
            customer = w.customer_id if w is not None else None
            if w is not None and customer is None:
                self.app.bell()
                self.notify("No known customer on this contact.", markup=False)
                return
        if customer is not None:
            self.post_message(nav.OpenCustomer(customer))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.data_table.id == "agents" and self._data is not None:
            key = event.row_key.value
            agent = next((a for a in self._data.agents if a.id == key), None)
            if agent is not None:
                self.post_message(nav.OpenAgent(agent.id, agent.name))

    def explain(self) -> tuple[str, Text] | None:
        data = self._data
        if data is None:
            return None
        ctx = Context(self._now, self.host.settings, self.host.site, scoped=self.host.scoped, partial=self.host.partial)
        table = self._table()
        key = table.current_key
        if table.id == "agents":
            agent = next((a for a in data.agents if a.id == key), None)
            if agent is not None:
                return explain_agent_here(agent, data.row, ctx)
        else:
            w = next((w for w in data.waiting if w.id == key), None)
            if w is not None:
                return explain_waiting_contact(w, data.row, ctx)
        # Nobody on the list under the cursor: the queue's figures above it (m2).
        return explain_summary(data.row, ctx) if data.row is not None else None
