"""Screen 2: every agent, their state and time in it, and today's figures."""

from __future__ import annotations

import sqlite3

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable

from floorview.domain.metrics import AGENT_STATES
from floorview.store.reads import AgentSnapshot, agent_days, agent_snapshots
from floorview.tui.widgets.agent_cells import agent_cells, agent_columns, matches, time_cell
from floorview.tui.format import duration
from floorview.tui.base import DataScreen
from floorview.tui.widgets.live_table import LiveTable

SORTS = ("name", "state", "time in state", "handled")
STATE_ORDER = {s: i for i, s in enumerate(AGENT_STATES)}
RESORT_S = 10
DAY_TOTALS_S = 10  # handled, AHT and QA today are re-read at most this often


class AgentsScreen(DataScreen):
    BINDINGS = [
        Binding("s", "sort", "Sort", id="agents.sort"),
        Binding("t", "team", "Team", id="agents.team"),
        Binding("f", "state", "State", id="agents.state"),
        Binding("n", "new_note", "Note", id="agents.new_note"),
        Binding("c", "customer", "Customer", id="agents.customer"),
    ]
    title_text = "Agents"
    filter_hint = "filter: words, or team:…, state:…, queue:…, reason:…"

    def __init__(self, queue_id: str | None = None) -> None:
        super().__init__()
        self._agents: dict[str, AgentSnapshot] = {}
        self._teams: list[str] = []
        self._team: str | None = None
        self._state: str | None = None
        self._sort = 0
        self._now = 0.0
        self._last_sort_at = 0.0
        self.queue_id = queue_id
        self._days: dict | None = None  # today's totals per agent, and when they were read
        self._days_at = 0.0

    def compose_body(self) -> ComposeResult:
        yield LiveTable(id="agents")

    def on_mount(self) -> None:
        self._update_title()

    def on_resize(self) -> None:
        self.query_one(LiveTable).set_columns(agent_columns(self.size.width or 80))
        if self._agents:
            self._paint(self._now, reorder=True)

    def load(self, con: sqlite3.Connection, now: float) -> list[AgentSnapshot]:
        # States change every second on a live floor; the day's totals are a
        # scan of today's contacts and may lag a few seconds: read them less often.
        tz = self.app.site.name
        if self._days is None or now - self._days_at >= DAY_TOTALS_S or now < self._days_at:
            self._days, self._days_at = agent_days(con, now, tz), now
        return agent_snapshots(con, now, tz, self.queue_id, today=self._days)

    def show(self, data: list[AgentSnapshot], now: float) -> None:
        self._agents = {a.id: a for a in data}
        self._teams = sorted({a.team for a in data})
        self._paint(now, reorder=False)

    def tick(self, now: float) -> None:
        """Only the times in state move between loads: update that column alone."""
        self._now = now
        if self._agents:
            thresholds = self.app.settings.agents.time_in_state
            self.query_one(LiveTable).sync_column(
                "time", {a.id: time_cell(a, now, thresholds) for a in self._agents.values()}
            )

    def refilter(self) -> None:
        self._paint(self._now, reorder=True)

    @property
    def huddle_team(self) -> str | None:
        """Huddle mode opens on the team this screen is filtered to."""
        return self._team

    def _current(self) -> AgentSnapshot | None:
        key = self.query_one(LiveTable).current_key
        return self._agents.get(key) if key else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        open_agent_page(self, self._current())

    def action_customer(self) -> None:
        """The card of the customer the agent is serving now."""
        open_current_customer(self, self._current())

    def action_new_note(self) -> None:
        from floorview.tui.coaching.notes import new_note

        a = self._current()
        if a is not None:
            new_note(self, a.id, a.name)

    def _visible(self) -> list[AgentSnapshot]:
        q = self.filter_text
        return [
            a
            for a in self._agents.values()
            if (self._team is None or a.team == self._team)
            and (self._state is None or a.state == self._state)
            and (not q or matches(a, q))
        ]

    def _paint(self, now: float, reorder: bool) -> None:
        self._now = now
        table = self.query_one(LiveTable)
        if not table.columns_now:
            table.set_columns(agent_columns(self.size.width or 80))
        if now - self._last_sort_at >= RESORT_S:
            reorder, self._last_sort_at = True, now
        agents = sorted(self._visible(), key=lambda a: self._sort_key(a, now))
        wide = (self.size.width or 80) >= 110
        thresholds = self.app.settings.agents.time_in_state
        table.sync([(a.id, agent_cells(a, now, thresholds, wide)) for a in agents], reorder)

    def _sort_key(self, a: AgentSnapshot, now: float):
        mode = SORTS[self._sort]
        if mode == "state":
            return (STATE_ORDER.get(a.state, 9), a.state_since, a.name)
        if mode == "time in state":
            return (a.state == "offline", a.state_since, a.name)
        if mode == "handled":
            return (-a.handled_today, a.name)
        return (a.name.lower(), a.id)

    def _update_title(self) -> None:
        parts = [f"sort: {SORTS[self._sort]}"]
        if self._team:
            parts.append(f"team: {self._team}")
        if self._state:
            parts.append(f"state: {self._state.replace('_', ' ')}")
        self.set_title(*parts)

    def action_sort(self) -> None:
        self._sort = (self._sort + 1) % len(SORTS)
        self._update_title()
        self._paint(self._now, reorder=True)

    def action_team(self) -> None:
        """Cycle the team filter through every team, then all."""
        options = [None, *self._teams]
        self._team = options[(options.index(self._team) + 1) % len(options)] if self._team in options else None
        self._update_title()
        self._paint(self._now, reorder=True)

    def action_state(self) -> None:
        options = [None, *AGENT_STATES]
        self._state = options[(options.index(self._state) + 1) % len(options)]
        self._update_title()
        self._paint(self._now, reorder=True)

    def explain(self) -> tuple[str, Text] | None:
        table = self.query_one(LiveTable)
        a = self._agents.get(table.current_key or "")
        if a is None:
            return None
        return explain_agent(a, table.current_column or "name", self._now, self.app.settings)


def explain_agent(a: AgentSnapshot, column: str, now: float, settings) -> tuple[str, Text]:
    text = Text()

    def line(label: str, value: str) -> None:
        text.append(f"{label:<10}", style="bold")
        text.append(f"{value}\n")

    thresholds = settings.agents.time_in_state.get(a.state, [])
    line("agent", f"{a.name} ({a.id}), team {a.team}")
    line(
        "state",
        f"{a.state.replace('_', ' ')}{f' ({a.reason})' if a.reason else ''} for {duration(now - a.state_since)}",
    )
    if thresholds:
        marks = ", ".join(f"{duration(t)}" for t in thresholds)
        line("escalates", f"at {marks} in this state (agents.time_in_state.{a.state}): · then ! then !!")
    line("queues", ", ".join(a.queues) or "none")
    line("handled", f"{a.handled_today} contacts answered and finished today (site time)")
    line(
        "AHT",
        f"(talk + after-contact work) / handled = {a.handle_s_today:.0f} s / {a.handled_today} = {duration(a.aht_today)}",
    )
    line(
        "QA",
        f"mean of {a.qa_count} quality scores today (0–100)"
        + (f" = {a.qa_today:.1f}" if a.qa_today is not None else ""),
    )
    return f"{a.name}: {column.replace('_', ' ')}", text


def open_agent_page(screen, agent: AgentSnapshot | None) -> None:
    if agent is None:
        return
    from floorview.tui.agents.page import AgentPageScreen

    screen.app.push_screen(AgentPageScreen(agent.id, agent.name))
    screen.app.request_load(force=True)


def open_current_customer(screen, agent: AgentSnapshot | None) -> None:
    con = screen.app.reader
    if agent is None or con is None:
        return
    row = con.execute(
        "SELECT i.customer_id FROM agent a JOIN interaction i ON i.id = a.interaction_id WHERE a.id = ?", (agent.id,)
    ).fetchone()
    if row is None or row[0] is None:
        screen.app.bell()
        screen.notify(f"{agent.name} is not serving a known customer now.", markup=False)
        return
    from floorview.tui.customers.recovery import open_card

    open_card(screen, row[0])
