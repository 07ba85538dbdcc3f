"""Screen 5: find a customer. `/` searches by id or any fragment of the name
(three letters or more, through the trigram index); with no search, the
customers seen most recently today. `enter` opens the trust and behavior card."""

from __future__ import annotations

import sqlite3

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from floorview.store.customers import MIN_FRAGMENT, CustomerHit, search_customers
from floorview.tui.format import cell
from floorview.tui.base import DataScreen
from floorview.tui.customers.recovery import open_card
from floorview.tui.widgets.live_table import Column, LiveTable

RECENT = 50
LIMIT = 50  # search results shown


class CustomersScreen(DataScreen):
    DEFAULT_CSS = """
    CustomersScreen #caption { height: auto; padding: 0 1; }
    CustomersScreen #customers { height: 1fr; }
    """
    title_text = "Customers"
    filter_hint = "search customers: an id, or 3+ letters of a name"

    def __init__(self) -> None:
        super().__init__()
        self._hits: list[CustomerHit] = []
        self._query = ""

    def compose_body(self) -> ComposeResult:
        yield Static(id="caption")
        yield LiveTable(id="customers")

    def on_mount(self) -> None:
        self.query_one(LiveTable).set_columns(
            [
                Column("name", "Customer", 22),
                Column("id", "Id", 14),
                Column("segment", "Segment", 15),
                Column("since", "Since", 10),
            ]
        )
        self._update_title()

    def load(self, con: sqlite3.Connection, now: float) -> tuple[str, list[CustomerHit]]:
        query = self.filter_text
        if query:
            return query, search_customers(con, query, LIMIT)
        rows = con.execute(
            "SELECT c.id, c.name, c.segment, c.since FROM interaction i INDEXED BY ix_interaction_enqueued_at_agent_id"
            " JOIN customer c ON c.id = i.customer_id WHERE i.enqueued_at >= ? GROUP BY c.id"
            " ORDER BY max(i.enqueued_at) DESC LIMIT ?",
            (now - 3600, RECENT),
        ).fetchall()
        return "", [CustomerHit(*r) for r in rows]

    def show(self, data: tuple[str, list[CustomerHit]], now: float) -> None:
        query, hits = data
        if query != self.filter_text:
            return  # typed on since: that search is on its way
        self._query, self._hits = query, hits
        rows = [
            (
                h.id,
                {
                    "name": cell(h.name),
                    "id": cell(h.id),
                    "segment": cell(h.segment or ""),
                    "since": cell(h.since or ""),
                },
            )
            for h in hits
        ]
        self.query_one(LiveTable).sync(rows, reorder=True)
        caption = Text()
        if not query:
            caption.append("Customers in contact in the last hour, latest first. ")
            caption.append("/ searches by id or name · enter opens the card", style="dim")
        elif not hits and len(query) < MIN_FRAGMENT:
            caption.append(f"No customer with the id {query!r}; type {MIN_FRAGMENT} letters or more to search names.")
        elif len(hits) >= LIMIT:
            caption.append(f"The first {LIMIT} customers matching ")
            caption.append(repr(query))
            caption.append(": type more to narrow · enter opens the card", style="dim")
        else:
            caption.append(f"{len(hits)} customer{'s' if len(hits) != 1 else ''} match ")
            caption.append(repr(query))
            caption.append(" · enter opens the card", style="dim")
        self.query_one("#caption", Static).update(caption)

    def refilter(self) -> None:
        self.app.request_load(force=True)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            open_card(self, event.row_key.value)
