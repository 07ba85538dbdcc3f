"""Screen 2: every agent, their state and time in it, and today's figures.

A cell cursor: ← → move between the figures, `e` explains the one under the
cursor, enter opens the agent's page. Sort, team and state are the view;
the `/` filter takes words or `team:`, `state:`, `queue:`, `reason:`.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widgets import DataTable

from floorview.domain.metrics import AGENT_STATES
from floorview.store.reads import AgentSnapshot
from floorview.tui import nav
from floorview.tui.agents.cells import SORTS, list_title
from floorview.tui.agents.data import AgentsData, AgentsLoader, AgentsRequest
from floorview.tui.agents.explain import explain_list_cell
from floorview.tui.base import DataScreen
from floorview.tui.bindings import bind
from floorview.tui.widgets.agent_cells import agent_cells, agent_columns, matches, time_cell
from floorview.tui.widgets.live_table import LiveTable

STATE_ORDER = {s: i for i, s in enumerate(AGENT_STATES)}
RESORT_S = 10  # a sorted table reorders at most this often, so rows don't jump under the eye
WIDE = 110  # from here the table has Team and Reason columns, and the title room for whole words


class AgentsScreen(DataScreen[AgentsRequest, AgentsData]):
    BINDINGS = [
        bind("view.sort", "sort"),
        bind("view.team", "team"),
        bind("view.state", "state"),
        bind("note.new", "new_note"),
        bind("nav.customer", "customer"),
    ]
    title_text = "Agents"
    filter_hint = "filter: words, or team:…, state:…, queue:…, reason:…"

    # The view: one watcher (_view_changed) retitles and repaints.
    sort: reactive[int] = reactive(0, init=False)
    team: reactive[str | None] = reactive(None, init=False)
    state: reactive[str | None] = reactive(None, init=False)

    def __init__(self) -> None:
        super().__init__()
        self.loader = AgentsLoader()  # owns today's totals, read less often than the states
        self._agents: dict[str, AgentSnapshot] = {}
        self._customers: dict[str, str] = {}
        self._teams: list[str] = []
        self._now = 0.0
        self._last_sort_at = 0.0

    def compose_body(self) -> ComposeResult:
        yield LiveTable(id="agents", cells=True)

    def on_mount(self) -> None:
        self._update_title()

    def on_resize(self) -> None:
        self.query_one(LiveTable).set_columns(agent_columns(self.size.width or 80))
        if self._agents:
            self._paint(self._now, reorder=True)

    # -- data ----------------------------------------------------------------
    def request(self) -> AgentsRequest:
        return AgentsRequest(self.host.site.name)

    def show(self, data: AgentsData, request: AgentsRequest, now: float) -> None:
        self._agents = {a.id: a for a in data.agents}
        self._customers = dict(data.customers)
        self._teams = sorted({a.team for a in data.agents})
        self._paint(now, reorder=False)

    def tick(self, now: float) -> None:
        """Only the times in state move between loads: update that column alone."""
        self._now = now
        if self._agents:
            thresholds, partial = self.host.settings.agents.time_in_state, self.host.partial
            self.query_one(LiveTable).sync_column(
                "time", {a.id: time_cell(a, now, thresholds, partial) for a in self._agents.values()}
            )

    def refilter(self) -> None:
        self._paint(self._now, reorder=True)

    @property
    def huddle_team(self) -> str | None:
        """Huddle mode opens on the team this screen is filtered to."""
        return self.team

    # -- the view --------------------------------------------------------------
    def watch_sort(self) -> None:
        self._view_changed(to_top=True)

    def watch_team(self) -> None:
        self._view_changed()

    def watch_state(self) -> None:
        self._view_changed()

    def _view_changed(self, to_top: bool = False) -> None:
        """Retitle and repaint; after a sort, the top of the list with the
        cursor on its first row (not scrolled to where the cursor was)."""
        if not self.is_mounted:
            return
        self._update_title()
        self._paint(self._now, reorder=True)
        if to_top:
            table = self.query_one(LiveTable)
            if table.row_count:
                table.move_cursor(row=0, animate=False)
            table.scroll_home(animate=False, immediate=True)

    def _update_title(self) -> None:
        self.set_title(*list_title(self.sort, self.team, self.state, narrow=self.app.size.width < WIDE))

    def _visible(self) -> list[AgentSnapshot]:
        q = self.filter_text
        return [
            a
            for a in self._agents.values()
            if (self.team is None or a.team == self.team)
            and (self.state is None or a.state == self.state)
            and (not q or matches(a, q))
        ]

    def _paint(self, now: float, reorder: bool) -> None:
        self._now = now
        table = self.query_one(LiveTable)
        width = self.size.width or 80
        if not table.columns_now:
            table.set_columns(agent_columns(width))
        if now - self._last_sort_at >= RESORT_S:
            reorder, self._last_sort_at = True, now
        agents = sorted(self._visible(), key=self._sort_key)
        thresholds, partial = self.host.settings.agents.time_in_state, self.host.partial
        table.sync([(a.id, agent_cells(a, now, thresholds, width >= WIDE, partial)) for a in agents], reorder)

    def _sort_key(self, a: AgentSnapshot) -> tuple[Any, ...]:
        mode = SORTS[self.sort][0]
        if mode == "state":
            return (STATE_ORDER.get(a.state, 9), a.state_since, a.name)
        if mode == "time in state":
            return (a.state == "offline", a.state_since, a.name)
        if mode == "handled":
            return (-a.handled_today, a.name)
        return (a.name.lower(), a.id)

    # -- actions ---------------------------------------------------------------
    def action_sort(self) -> None:
        self.sort = (self.sort + 1) % len(SORTS)

    def action_team(self) -> None:
        """Cycle the team filter through every team, then all."""
        options: list[str | None] = [None, *self._teams]
        self.team = options[(options.index(self.team) + 1) % len(options)] if self.team in options else None

    def action_state(self) -> None:
        options: list[str | None] = [None, *AGENT_STATES]
        self.state = options[(options.index(self.state) + 1) % len(options)]

    def _current(self) -> AgentSnapshot | None:
        key = self.query_one(LiveTable).current_key
        return self._agents.get(key) if key else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        a = self._current()
        if a is not None:
            self.post_message(nav.OpenAgent(a.id, a.name))

    def action_customer(self) -> None:
        """The card of the customer the agent is serving now."""
        a = self._current()
        if a is None:
            return
        customer = self._customers.get(a.id)
        if customer is None:
            self.app.bell()
            self.notify(f"{a.name} is not serving a known customer now.", markup=False)
            return
        self.post_message(nav.OpenCustomer(customer))

    def action_new_note(self) -> None:
        a = self._current()
        if a is not None:
            self.post_message(nav.NewNote(a.id, a.name))

    def explain(self) -> tuple[str, Text] | None:
        table = self.query_one(LiveTable)
        a = self._agents.get(table.current_key or "")
        if a is None:
            return None
        return explain_list_cell(
            a,
            table.current_column or "name",
            self._now,
            self.host.settings,
            self.host.site,
            self.host.partial,
            self._customers.get(a.id),
        )
