"""The customer's trust and behavior card: trust and its three legs, emotion,
behavior, the quadrant with what to do, and the timeline of their contacts
(a contact still waiting shows its wait so far, ticking)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from floorview.tui.base import DataScreen
from floorview.tui.bindings import bind
from floorview.tui.customers.cells import card_text, live_wait, timeline_columns, visit_cells, wait_cell
from floorview.tui.customers.data import CardRequest, CardView, load_card
from floorview.tui.customers.explain import explain_card
from floorview.tui.customers.recovery import mark_recovered
from floorview.tui.widgets.live_table import LiveTable


class Timeline(LiveTable):
    """The card's contacts: enter opens nothing here, so the footer does not offer it."""

    BINDINGS = [bind("nav.open", "select_cursor", show=False)]


class CustomerCardScreen(DataScreen[CardRequest, CardView | None]):
    BINDINGS = [
        bind("nav.back", "app.pop_screen"),
        bind("customer.recovered", "recovered"),
    ]
    DEFAULT_CSS = """
    CustomerCardScreen #card { height: auto; padding: 0 1; }
    CustomerCardScreen #timeline { height: 1fr; min-height: 4; }
    """
    filter_hint = "filter the timeline by queue, agent or outcome"

    def __init__(self, customer_id: str) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.title_text = f"Customer {customer_id}"
        self.view: CardView | None = None
        self._now = 0.0
        self._missing = False

    def compose_body(self) -> ComposeResult:
        yield Static(id="card")
        yield Timeline(id="timeline")

    def on_mount(self) -> None:
        self._update_title()

    def on_resize(self) -> None:
        if self.view is not None:
            self._paint()

    # -- data ----------------------------------------------------------------
    loader = staticmethod(load_card)

    def request(self) -> CardRequest:
        return CardRequest(self.customer_id, self.host.site, self.host.settings.customers)

    def show(self, data: CardView | None, request: CardRequest, now: float) -> None:
        if request != self.request():
            return  # the site's zone or the settings changed since: a fresh load is on its way
        self._now = now
        if data is None:
            self._missing = True
            self.query_one("#card", Static).update(Text(f"No customer {self.customer_id} in the store."))
            return
        self.view = data
        self.title_text = f"Customer: {data.card.name}"
        self._update_title()
        self._paint()

    def tick(self, now: float) -> None:
        """A contact still waiting: its wait grows by the second."""
        self._now = now
        v = self.view
        if v is None:
            return
        waiting = {x.id: wait_cell(x, now, self.host.partial) for x in v.card.visits if live_wait(x, now) != x.wait_s}
        if waiting:
            self.query_one(Timeline).sync_column("wait", waiting)

    def refilter(self) -> None:
        if self.view is not None:
            self._paint_timeline()

    # -- rendering -------------------------------------------------------------
    def _paint(self) -> None:
        v = self.view
        assert v is not None
        width = self.size.width or 80
        self.query_one("#card", Static).update(card_text(v, width - 2, self.host.site))
        self.query_one(Timeline).set_columns(timeline_columns(v.card.visits, width))
        self._paint_timeline()

    def _paint_timeline(self) -> None:
        v = self.view
        assert v is not None
        wanted = self.filter_text.lower()
        rows = []
        for visit in v.card.visits:
            cells = visit_cells(visit, self.host.site, self._now, self.host.partial)
            if wanted and wanted not in " ".join(x.plain for x in cells.values()).lower():
                continue
            rows.append((visit.id, cells))
        self.query_one(Timeline).sync(rows, reorder=True)

    # -- actions ---------------------------------------------------------------
    def action_recovered(self) -> None:
        if self.view is None:
            return
        mark_recovered(self, self.view.card.id, self.view.card.name)

    def explain(self) -> tuple[str, Text] | None:
        if self.view is None:
            return None
        return explain_card(self.view, self.host.settings.customers)
