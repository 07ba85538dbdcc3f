"""Screen 7: the alerts, firing first, then acknowledged, snoozed and today's
resolved; within each the most severe, then the newest, first. Each says its
figure and line in words ("Billing: service level 62% for 12 min, target
80%"), with its status in a sign and words, never colour alone.

enter opens the queue or the agent; `a` acknowledges (by host.author());
`z` snoozes for a while picked from a short list; `e` explains the rule and
its inputs. The caption counts what the budget held back today. Clock times
are the site's (the caption names the zone)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from floorview.domain.units import counted
from floorview.store.alerts import acknowledge, snooze
from floorview.tui import nav
from floorview.tui.alerts.cells import columns, detail, row_cells
from floorview.tui.alerts.data import AlertRow, AlertsData, AlertsRequest, load
from floorview.tui.alerts.explain import explain_alert
from floorview.tui.base import DataScreen
from floorview.tui.bindings import bind
from floorview.tui.widgets.live_table import LiveTable

if TYPE_CHECKING:
    from sqlalchemy import Connection

SNOOZES: tuple[tuple[str, float | None], ...] = (
    ("15 min", 900.0),
    ("30 min", 1800.0),
    ("1 h", 3600.0),
    ("until tomorrow", None),  # the site's next day
)


class AlertsScreen(DataScreen[AlertsRequest, AlertsData]):
    BINDINGS = [
        bind("alert.ack", "ack"),
        bind("alert.snooze", "snooze"),
    ]
    DEFAULT_CSS = """
    AlertsScreen #caption { height: auto; padding: 0 1; }
    AlertsScreen #alerts { height: 1fr; }
    AlertsScreen #detail { height: auto; max-height: 4; padding: 0 1; }
    """
    title_text = "Alerts"
    filter_hint = "filter alerts by name, rule or words"

    loader = staticmethod(load)

    def __init__(self) -> None:
        super().__init__()
        self._data: AlertsData | None = None
        self._now = 0.0

    def compose_body(self) -> ComposeResult:
        yield Static(id="caption")
        yield LiveTable(id="alerts")
        yield Static(id="detail")

    def on_mount(self) -> None:
        self._update_title()

    def on_resize(self) -> None:
        if self._data is not None:
            self._paint(self._now, reorder=True)

    # -- data ----------------------------------------------------------------------
    def request(self) -> AlertsRequest:
        return AlertsRequest(self.host.site, self.host.settings.alerts.rules)

    def show(self, data: AlertsData, request: AlertsRequest, now: float) -> None:
        self._data = data
        self._paint(now, reorder=True)

    def tick(self, now: float) -> None:
        """The words' durations grow, and a snooze ends: repaint the cells that changed."""
        if self._data is not None:
            self._paint(now, reorder=False)

    def refilter(self) -> None:
        if self._data is not None:
            self._paint(self._now, reorder=True)

    # -- painting ------------------------------------------------------------------
    def _rows(self) -> list[AlertRow]:
        assert self._data is not None
        wanted = self.filter_text.lower()
        if not wanted:
            return list(self._data.rows)
        site = self.host.site
        return [
            r
            for r in self._data.rows
            if wanted in f"{r.alert.rule_id} {r.alert.severity} {detail(r, self._now, site).plain}".lower()
        ]

    def _paint(self, now: float, reorder: bool) -> None:
        assert self._data is not None
        self._now = now
        site = self.host.site
        width = self.size.width or 80
        rows = self._rows()
        table = self.query_one(LiveTable)
        cols = columns(tuple(rows), now, site, width)
        table.set_columns(cols)
        what_w = cols[-1].width or 40
        table.sync([(r.alert.id, row_cells(r, now, site, width, what_w)) for r in rows], reorder)
        self.query_one("#caption", Static).update(self._caption(self._data, now))
        self._show_detail()
        self._update_title()

    def _caption(self, data: AlertsData, now: float) -> Text:
        t = Text()
        counts = {s: sum(1 for r in data.rows if r.alert.status(now) == s) for s in ("firing", "acknowledged")}
        snoozed = sum(1 for r in data.rows if r.alert.status(now) == "snoozed")
        resolved = sum(1 for r in data.rows if r.alert.resolved_at is not None)
        if not data.rows:
            t.append("No alert up, and none resolved today. ")
        else:
            t.append(
                f"{counted(counts['firing'], 'alert')} firing, {counts['acknowledged']} acknowledged,"
                f" {snoozed} snoozed, {resolved} resolved today. "
            )
        held = data.held_back
        t.append(
            f"{counted(held, 'alert') if held else 'None'} held back by the budget today. ",
            style="bold" if held else "",
        )
        if not self.host.settings.alerts.enabled:
            t.append("Alerts are off (alerts.enabled): none is evaluated here. ", style="bold")
        t.append(f"Times {self.host.site.abbrev(now)}. ", style="dim")
        t.append("enter opens · a acknowledges · z snoozes · e explains", style="dim")
        return t

    def _show_detail(self) -> None:
        row = self._current()
        self.query_one("#detail", Static).update(detail(row, self._now, self.host.site) if row else Text())

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _update_title(self) -> None:
        if self._data is None:
            self.set_title()
            return
        firing = sum(1 for r in self._data.rows if r.alert.status(self._now) == "firing")
        parts = [f"{firing} firing"]
        if self.filter_text:
            parts.append(f"filter: {self.filter_text}")
        self.set_title(*parts)

    def _current(self) -> AlertRow | None:
        if self._data is None:
            return None
        key = self.query_one(LiveTable).current_key
        return next((r for r in self._data.rows if r.alert.id == key), None)

    # -- actions -------------------------------------------------------------------
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        row = self._current()
        if row is None:
            return
        a = row.alert
        if a.subject.kind == "queue":
            self.post_message(nav.OpenQueue(a.subject.id, a.name))
        else:
            self.post_message(nav.OpenAgent(a.subject.id, a.name))

    def action_ack(self) -> None:
        row = self._current()
        if row is None:
            self.app.bell()
            return
        a = row.alert
        if a.resolved_at is not None:
            self.app.bell()
            self.notify("That alert has resolved: nothing to acknowledge.", markup=False, timeout=3)
            return
        if a.ack_by is not None:
            self.notify(f"Already acknowledged by {a.ack_by}.", markup=False, timeout=3)
            return
        host = self.host
        by, at, alert_id = host.author(), host.clock.now(), a.id
        host.write_store(lambda conn: _ack(conn, alert_id, by, at), "Alert acknowledged")

    def action_snooze(self) -> None:
        row = self._current()
        if row is None:
            self.app.bell()
            return
        alert_id = row.alert.id

        def picked(choice: str | None) -> None:
            if choice is None:
                return
            host = self.host
            now = host.clock.now()
            seconds = dict(SNOOZES)[choice]
            if seconds is None:
                until = host.site.date_start(host.site.today(now) + timedelta(days=1))
            else:
                until = now + seconds
            host.write_store(lambda conn: _snooze(conn, alert_id, until), f"Alert snoozed {choice}")

        self.app.push_screen(SnoozeChoice(row.alert.name), picked)

    def explain(self) -> tuple[str, Text] | None:
        row = self._current()
        if row is None or self._data is None:
            return None
        budget = self.host.settings.alerts.budget.budget()
        return explain_alert(row, self._now, self.host.site, budget, self._data.held_back)


def _ack(conn: Connection, alert_id: str, by: str, at: float) -> None:
    acknowledge(conn, alert_id, by, at)


def _snooze(conn: Connection, alert_id: str, until: float) -> None:
    snooze(conn, alert_id, until)


class SnoozeChoice(ModalScreen[str | None]):
    """How long to snooze: a short list; enter picks, escape cancels."""

    BINDINGS = [bind("form.cancel", "cancel")]
    DEFAULT_CSS = """
    SnoozeChoice { align: center middle; }
    SnoozeChoice > Vertical { width: 44; height: auto; border: round $accent; background: $surface; padding: 0 1; }
    SnoozeChoice OptionList { height: auto; }
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self._alert_name = name

    def compose(self) -> ComposeResult:
        with Vertical():
            title = Text("Snooze: ", style="bold")
            title.append(self._alert_name, style="bold")
            yield Static(title)
            yield OptionList(*(Option(label, id=label) for label, _ in SNOOZES), id="snooze")
            yield Static(Text("enter snoozes · escape cancels", style="dim"))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
