"""A queue's drill-down: who is waiting, and the agents who serve it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from floorview.store.reads import AgentSnapshot, WaitingContact, agent_snapshots, waiting_contacts
from floorview.tui.widgets.agent_cells import agent_cells, agent_columns
from floorview.tui.format import cell, duration, num
from floorview.tui.agents.screen import explain_agent
from floorview.tui.base import DataScreen
from floorview.tui.widgets.live_table import Column, LiveTable


@dataclass(slots=True)
class Detail:
    waiting: list[WaitingContact]
    agents: list[AgentSnapshot]


class QueueDetailScreen(DataScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="detail.back"),
        Binding("tab", "app.focus_next", "Next table", id="detail.next", show=False),
        Binding("c", "customer", "Customer", id="detail.customer"),
    ]
    DEFAULT_CSS = """
    QueueDetailScreen .heading { height: 1; padding: 0 1; text-style: bold; }
    QueueDetailScreen #waiting { height: 2fr; }
    QueueDetailScreen #agents { height: 3fr; }
    """

    def __init__(self, queue_id: str, name: str) -> None:
        super().__init__()
        self.queue_id, self.queue_name = queue_id, name
        self.title_text = f"Queue: {name}"
        self._data: Detail | None = None
        self._now = 0.0

    def compose_body(self) -> ComposeResult:
        yield Static(Text("Waiting now, oldest first"), classes="heading", id="waiting-heading")
        yield LiveTable(id="waiting")
        yield Static(Text("Agents serving this queue"), classes="heading")
        yield LiveTable(id="agents")

    def load(self, con: sqlite3.Connection, now: float) -> Detail:
        tz = self.app.site.name
        return Detail(waiting_contacts(con, self.queue_id), agent_snapshots(con, now, tz, self.queue_id))

    def show(self, data: Detail, now: float) -> None:
        self._data = data
        self.tick(now)

    def tick(self, now: float) -> None:
        self._now = now
        if self._data is None:
            return
        width = self.size.width or 80
        waiting = self.query_one("#waiting", LiveTable)
        waiting.set_columns(
            [Column("id", "Contact", 14), Column("customer", "Customer", 24), Column("wait", "Waiting", 8, "right")]
        )
        waiting.sync(
            [
                (
                    w.id,
                    {
                        "id": cell(w.id),
                        "customer": cell(w.customer_name or w.customer_id or "–"),
                        "wait": num(duration(now - w.enqueued_at)),
                    },
                )
                for w in self._data.waiting
            ],
            reorder=False,
        )
        n = len(self._data.waiting)
        self.query_one("#waiting-heading", Static).update(
            Text(f"Waiting now, oldest first: {n} contact{'s' if n != 1 else ''}" if n else "Nobody waiting")
        )
        agents = self.query_one("#agents", LiveTable)
        agents.set_columns(agent_columns(width))
        thresholds = self.app.settings.agents.time_in_state
        rows = sorted(self._data.agents, key=lambda a: (a.state == "offline", a.name.lower()))
        agents.sync([(a.id, agent_cells(a, now, thresholds, width >= 110)) for a in rows], reorder=False)

    def action_customer(self) -> None:
        """The card of the waiting contact's customer, or of the customer the agent serves."""
        if self._data is None:
            return
        table = self.focused if isinstance(self.focused, LiveTable) else self.query_one("#waiting", LiveTable)
        key = table.current_key
        if table.id == "agents":
            from floorview.tui.agents.screen import open_current_customer

            open_current_customer(self, next((a for a in self._data.agents if a.id == key), None))
            return
        w = next((w for w in self._data.waiting if w.id == key), None)
        if w is None or w.customer_id is None:
            self.app.bell()
            self.notify("No known customer on this contact.", markup=False)
            return
        from floorview.tui.customers.recovery import open_card

        open_card(self, w.customer_id)

    def on_data_table_row_selected(self, event) -> None:
        event.stop()
        if event.data_table.id == "agents" and self._data is not None:
            from floorview.tui.agents.screen import open_agent_page

            key = event.row_key.value
            open_agent_page(self, next((a for a in self._data.agents if a.id == key), None))

    def explain(self) -> tuple[str, Text] | None:
        if self._data is None:
            return None
        table = self.focused if isinstance(self.focused, LiveTable) else self.query_one("#waiting", LiveTable)
        key = table.current_key
        if table.id == "agents":
            a = next((a for a in self._data.agents if a.id == key), None)
            return explain_agent(a, table.current_column or "name", self._now, self.app.settings) if a else None
        w = next((w for w in self._data.waiting if w.id == key), None)
        if w is None:
            return None
        text = Text()
        text.append(f"contact   {w.id} ({w.channel})\n")
        text.append(f"customer  {w.customer_name or '–'} ({w.customer_id or 'unknown'})\n")
        text.append(f"waiting   {duration(self._now - w.enqueued_at)}: now minus the time it was enqueued\n")
        return f"Waiting contact in {self.queue_name}", text
