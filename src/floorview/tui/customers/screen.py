"""Screen 5: find a customer. `/` searches by id or any fragment of the name
(three letters or more, through the trigram index); with no search, the
customers seen most recently today. `enter` opens the trust and behavior card."""

from __future__ import annotations

from floorview.domain.units import counted

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from floorview.store.customers import MIN_FRAGMENT
from floorview.tui import nav
from floorview.tui.base import DataScreen
from floorview.tui.customers.cells import SEARCH_COLUMNS, hit_cells
from floorview.tui.customers.data import LIMIT, SearchData, SearchRequest, load_search
from floorview.tui.widgets.live_table import LiveTable


class CustomersScreen(DataScreen[SearchRequest, SearchData]):
    DEFAULT_CSS = """
    CustomersScreen #caption { height: auto; padding: 0 1; }
    CustomersScreen #customers { height: 1fr; }
    """
    title_text = "Customers"
    filter_hint = "search customers: an id, or 3+ letters of a name"

    def compose_body(self) -> ComposeResult:
        yield Static(id="caption")
        yield LiveTable(id="customers")

    def on_mount(self) -> None:
        self.query_one(LiveTable).set_columns(SEARCH_COLUMNS)
        self._update_title()

    # -- data ----------------------------------------------------------------
    loader = staticmethod(load_search)

    def request(self) -> SearchRequest:
        return SearchRequest(self.filter_text)

    def show(self, data: SearchData, request: SearchRequest, now: float) -> None:
        if request != self.request():
            return  # typed on since: that search is on its way
        hits = data.hits
        self.query_one(LiveTable).sync([(h.id, hit_cells(h)) for h in hits], reorder=True)
        self.query_one("#caption", Static).update(_caption(request.query, len(hits)))

    def refilter(self) -> None:
        self.host.request_load(force=True)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.post_message(nav.OpenCustomer(event.row_key.value))


def _caption(query: str, found: int) -> Text:
    caption = Text()
    if not query:
        caption.append("Customers in contact in the last hour, latest first. ")
        caption.append("/ searches by id or name · enter opens the card", style="dim")
    elif not found and len(query) < MIN_FRAGMENT:
        caption.append("No customer with the id ")
        caption.append(repr(query))
        caption.append(f"; type {MIN_FRAGMENT} letters or more to search names.")
    elif found >= LIMIT:
        caption.append(f"The first {LIMIT} customers matching ")
        caption.append(repr(query))
        caption.append(": type more to narrow · enter opens the card", style="dim")
    else:
        caption.append(f"{counted(found, 'customer')} {'matches' if found == 1 else 'match'} ")
        caption.append(repr(query))
        caption.append(" · enter opens the card", style="dim")
    return caption
