"""Screen 6: customers hurt today, the most hurt and most valuable first, each
with why; `r` records what was done (a recovery note) and they leave the list."""

from __future__ import annotations

import sqlite3

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from floorview.domain.recovery import Case
from floorview.store.customers import RecoveryList, recovery_list
from floorview.tui.format import cell, num
from floorview.tui.base import DataScreen
from floorview.tui.widgets.live_table import Column, LiveTable


REFRESH_S = 30  # on a big floor the rules read a day of contacts: at most this often, not on every change
SHOWN = 300  # the most hurt; the rest are counted (a supervisor works from the top)


class RecoveryScreen(DataScreen):
    BINDINGS = [
        Binding("r", "recovered", "Recovered", id="recovery.recovered"),
        Binding("c", "card", "Card", id="recovery.card", show=False),
    ]
    DEFAULT_CSS = """
    RecoveryScreen #caption { height: auto; padding: 0 1; }
    RecoveryScreen #recovery { height: 1fr; }
    """
    title_text = "Recovery"
    filter_hint = "filter by name, segment or reason"

    def __init__(self) -> None:
        super().__init__()
        self._cases: list[Case] = []
        self._total = 0
        self._computed: tuple[int, int] | None = None  # (refresh slot, recovery notes seen) of the last list

    def compose_body(self) -> ComposeResult:
        yield Static(id="caption")
        yield LiveTable(id="recovery")

    def on_mount(self) -> None:
        self._columns()
        self._update_title()

    def on_resize(self) -> None:
        self._columns()
        if self._cases:
            self._paint()

    def _columns(self) -> None:
        width = self.size.width or 80
        self.query_one(LiveTable).set_columns(
            [
                Column("sev", "Sev", 3, "right"),
                Column("name", "Customer", 18),
                Column("segment", "Segment", 14 if width >= 100 else 10),
                Column("why", "Why", max(20, width - 18 - (14 if width >= 100 else 10) - 3 - 12)),
            ]
        )

    def load(self, con: sqlite3.Connection, now: float) -> RecoveryList:
        # A recorded recovery shows at once; new hurts within REFRESH_S.
        recoveries = con.execute("SELECT count(*) FROM outbox").fetchone()[0]
        key = (int(now // REFRESH_S), recoveries)
        if key == self._computed:
            return RecoveryList(self._cases, self._total)
        rules = self.app.settings.customers.recovery
        found = recovery_list(con, now, self.app.site.day_start(now), rules, SHOWN)
        self._computed = key
        return found

    def show(self, data: RecoveryList, now: float) -> None:
        self._cases, self._total = data.cases, data.total
        self._paint()

    def refilter(self) -> None:
        self._paint()

    def _paint(self) -> None:
        rules = self.app.settings.customers.recovery
        wanted = self.filter_text.lower()
        rows = []
        for c in self._cases:
            reasons = "; ".join(dict.fromkeys(h.why for h in sorted(c.hurts, key=lambda h: -h.at)))
            if wanted and wanted not in f"{c.name} {c.segment} {reasons} {c.customer_id}".lower():
                continue
            rows.append(
                (
                    c.customer_id,
                    {
                        "sev": num(str(c.severity(rules))),
                        "name": cell(c.name),
                        "segment": cell(c.segment or ""),
                        "why": cell(reasons),
                    },
                )
            )
        self.query_one(LiveTable).sync(rows, reorder=True)
        caption = Text(f"{self._total} customers hurt today and not yet recovered")
        caption.append(f"; the {len(self._cases)} most hurt shown. " if self._total > len(self._cases) else ". ")
        caption.append("enter opens the card · r records what was done", style="dim")
        self.query_one("#caption", Static).update(caption)
        self._update_title()

    def _update_title(self) -> None:
        self.set_title(f"{self._total} to recover")

    def _current(self) -> Case | None:
        key = self.query_one(LiveTable).current_key
        return next((c for c in self._cases if c.customer_id == key), None)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_card()

    def action_card(self) -> None:
        case = self._current()
        if case is not None:
            open_card(self, case.customer_id)

    def action_recovered(self) -> None:
        case = self._current()
        if case is not None:
            mark_recovered(self, case.customer_id, case.name)

    def explain(self) -> tuple[str, Text] | None:
        from floorview.tui.format import labelled

        r = self.app.settings.customers.recovery
        s = r.severity
        return "Service recovery rules", labelled(
            (
                "long wait",
                f"waited more than {r.long_wait_factor:g} x the queue's SL threshold today (+{s['long_wait']})",
            ),
            ("abandons", f"hung up {r.abandons}+ times within {r.abandon_days:g} days, once today (+{s['abandons']})"),
            ("repeat", f"came back today to a queue contacted within {r.repeat_hours:g} hours (+{s['repeat']})"),
            ("transfers", f"transferred {r.transfers}+ times in one contact today (+{s['transfers']})"),
            ("detractor", f"scored us 0 to 6 today (+{s['detractor']})"),
            ("trust no", f'said no to "Do you trust us?" today (+{s["trust_no"]})'),
            ("order", "severity (the sum of the rules that fired), then value: segment, then products held"),
            ("leaves", "when a recovery note is written for them today (r)"),
            ("config", "customers.recovery and customers.recovery.severity"),
        )


def open_card(screen, customer_id: str) -> None:
    from floorview.tui.customers.card import CustomerCardScreen

    screen.app.push_screen(CustomerCardScreen(customer_id))
    screen.app.request_load(force=True)


class RecoveredForm(ModalScreen[str | None]):
    """What was done for the customer, in a line or two.

    Given a `save(what, then)`, the form stays open until the note is in the
    store; a save that fails is said here, with the text kept to save again
    (enter) or to cancel (escape): audit L5."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="recovered.cancel")]
    DEFAULT_CSS = """
    RecoveredForm { align: center middle; }
    RecoveredForm > Vertical { width: 90%; max-width: 90; height: auto; border: round $accent;
        background: $surface; padding: 0 1; }
    """

    def __init__(self, name: str, save=None) -> None:
        super().__init__()
        self._name = name
        self._save = save
        self._saving: str | None = None  # the text of a save not yet settled

    def compose(self) -> ComposeResult:
        with Vertical():
            title = Text("Recovered: ", style="bold")
            title.append(self._name, style="bold")
            yield Static(title)
            yield Input(placeholder="what was done, e.g. called back, refunded the fee, apologised", id="what")
            yield Static(id="problem")
            yield Static(Text("enter saves · escape cancels", style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self._saving is not None:
            return  # one save at a time: its answer is on its way
        what = event.value.strip()
        if not what:
            self.app.bell()
            self.notify("Say what was done: it is the record of the recovery.", markup=False)
            return
        if self._save is None:
            self.dismiss(what)
            return
        self._saving = what
        self.query_one("#problem", Static).update(Text("Saving…"))
        self._save(what, self._saved)

    def _saved(self, problem: str | None) -> None:
        what, self._saving = self._saving, None
        if problem is None:
            self.dismiss(what)
            return
        self.query_one("#problem", Static).update(
            Text(
                f"Not saved: {problem}. What you wrote is still here: enter tries again, escape discards it.",
                style="bold red",
            )
        )
        self.app.bell()

    def action_cancel(self) -> None:
        if self._saving is not None:
            return  # a save under way either commits (and closes the form) or comes back here
        self.dismiss(None)


def mark_recovered(screen, customer_id: str, name: str) -> None:
    """Ask what was done, then write a recovery note through the outbox."""
    from floorview.store.notes import new_note_id, save_note
    from floorview.tui.coaching.notes import iso, who

    app = screen.app
    note_id = new_note_id()  # one note however many tries its save takes

    def save(what: str, then) -> None:
        now = app.clock.now()
        at = iso(now)
        data = {
            "customer_id": customer_id,
            "author": who(),
            "created_at": at,
            "updated_at": at,
            "type": "recovery",
            "visibility": "team",
            "body": what,
        }
        app.write_store(lambda conn: save_note(conn, note_id, data, now), f"{name}: recovery recorded", then)

    app.push_screen(RecoveredForm(name, save))
