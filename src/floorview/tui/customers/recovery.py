"""Screen 6: customers hurt today, the most hurt and most valuable first, each
with why; `r` records what was done (a recovery note) and they leave the list.

`m` cycles whose customers are listed: all; my team's (a contact today
answered by an agent of the token's teams, or of the team `t` picks); my
queues' (a contact today on the token's queues, else on those the team's
agents take). The title names the filter, whole, at 80 columns."""

from __future__ import annotations

from floorview.domain.feed import feed_time
from floorview.domain.units import counted

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from floorview.domain.recovery import Case
from floorview.store.notes import new_note_id, save_note
from floorview.tui import nav
from floorview.tui.base import DataScreen
from floorview.tui.bindings import bind
from floorview.tui.customers.cells import case_cells, case_detail, recovery_columns
from floorview.tui.customers.data import KINDS, Kind, Mine, RecoveryData, RecoveryLoader, RecoveryRequest
from floorview.tui.customers.explain import explain_recovery
from floorview.tui.widgets.live_table import LiveTable


@dataclass(frozen=True, slots=True)
class View:
    kind: Kind = "all"
    team: str | None = None  # picked with `t`; None: the token's teams


class RecoveryScreen(DataScreen[RecoveryRequest, RecoveryData]):
    BINDINGS = [
        bind("customer.recovered", "recovered"),
        bind("view.mine", "mine"),
        bind("view.team", "team", show=False),
        bind("nav.customer", "card", show=False),
    ]
    DEFAULT_CSS = """
    RecoveryScreen #caption { height: auto; padding: 0 1; }
    RecoveryScreen #recovery { height: 1fr; }
    RecoveryScreen #detail { height: auto; padding: 0 1; }
    """
    title_text = "Recovery"
    filter_hint = "filter by name, segment or reason"

    view: reactive[View] = reactive(View, init=False)

    def __init__(self) -> None:
        super().__init__()
        self.loader = RecoveryLoader()
        self._data: RecoveryData | None = None
        self._shown: RecoveryRequest | None = None  # the request of the data shown

    def compose_body(self) -> ComposeResult:
        yield Static(id="caption")
        yield LiveTable(id="recovery")
        yield Static(id="detail")

    def on_mount(self) -> None:
        self._update_title()

    def on_resize(self) -> None:
        if self._data is not None:
            self._paint()

    # -- the view ----------------------------------------------------------------
    def _token_teams(self) -> tuple[str, ...]:
        scope = self.host.scope
        return tuple(scope.teams) if scope is not None else ()

    def _token_queues(self) -> tuple[str, ...]:
        scope = self.host.scope
        return tuple(scope.queues) if scope is not None else ()

    def _mine(self) -> Mine:
        v = self.view
        if v.kind == "all":
            return Mine()
        teams = (v.team,) if v.team else self._token_teams()
        queues = self._token_queues() if v.kind == "queues" and v.team is None else ()
        return Mine(v.kind, teams, queues)

    def _label(self) -> str:
        """The filter in a few words (the title's)."""
        mine = self._mine()
        if mine.kind == "all":
            return "all customers"
        if mine.kind == "queues" and mine.queues:
            return "my queues"
        whose = f"team {mine.teams[0]}" if len(mine.teams) == 1 else "my teams"
        return whose if mine.kind == "team" else f"{whose}' queues" if whose.endswith("s") else f"{whose}'s queues"

    def watch_view(self) -> None:
        self._update_title()
        self.query_one("#caption", Static).update(Text(f"Reading {self._label()}…", style="dim"))
        self.host.request_load(force=True)

    def action_mine(self) -> None:
        """Cycle all → my team's → my queues'."""
        kind = KINDS[(KINDS.index(self.view.kind) + 1) % len(KINDS)]
        team = self.view.team
        needs_team = kind != "all" and team is None and not self._token_teams()
        if needs_team and not (kind == "queues" and self._token_queues()):
            known = self._data.teams if self._data is not None else ()
            if not known:
                self.app.bell()
                self.notify("No team in the store yet.", markup=False, timeout=3)
                return
            team = known[0]
        self.view = View(kind, team)

    def action_team(self) -> None:
        """Pick the team of the team and queues filters: the token's teams, then each team."""
        known = self._data.teams if self._data is not None else ()
        options: list[str | None] = [*([None] if self._token_teams() else []), *known]
        if not options:
            self.app.bell()
            return
        at = options.index(self.view.team) if self.view.team in options else -1
        kind = self.view.kind if self.view.kind != "all" else "team"
        self.view = View(kind, options[(at + 1) % len(options)])

    # -- data ----------------------------------------------------------------
    def request(self) -> RecoveryRequest:
        return RecoveryRequest(self.host.site, self._mine(), self.host.settings.customers.recovery)

    def show(self, data: RecoveryData, request: RecoveryRequest, now: float) -> None:
        if request != self.request():
            return  # the filter changed since: its list is on its way
        self._data, self._shown = data, request
        self._paint()

    def refilter(self) -> None:
        if self._data is not None:
            self._paint()

    # -- rendering -------------------------------------------------------------
    def _paint(self) -> None:
        data = self._data
        assert data is not None
        rules = self.host.settings.customers.recovery
        table = self.query_one(LiveTable)
        columns = recovery_columns(data.cases, self.size.width or 80)
        table.set_columns(columns)
        name_w, why_w = columns[1].width or 20, columns[3].width or 20
        wanted = self.filter_text.lower()
        rows = []
        for c in data.cases:
            cells = case_cells(c, rules, name_w, why_w)
            if wanted and wanted not in f"{c.name} {c.segment} {case_detail(c).plain}".lower():
                continue
            rows.append((c.customer_id, cells))
        table.sync(rows, reorder=True)
        self.query_one("#caption", Static).update(self._caption(data))
        self._show_detail()
        self._update_title()

    def _caption(self, data: RecoveryData) -> Text:
        t = Text()
        if self.host.partial:
            t.append("Catching up: the hurts found so far. ", style="bold")
        mine = self._mine()
        whose = ""
        if mine.kind == "team":
            whose = f" of {'team ' if len(mine.teams) == 1 else 'teams '}{', '.join(mine.teams)}"
        elif mine.kind == "queues":
            whose = f" on {', '.join(data.queues) or 'no queue'}"
        if data.total:
            t.append(f"{counted(data.total, 'customer')}{whose} hurt today and not yet recovered")
            t.append(f"; the {len(data.cases)} most hurt shown. " if data.total > len(data.cases) else ". ")
        else:
            t.append(f"No customer{whose} hurt today and not yet recovered. ")
        t.append("enter opens the card · r records what was done · m: all, team, queues", style="dim")
        return t

    def _show_detail(self) -> None:
        case = self._current()
        self.query_one("#detail", Static).update(case_detail(case) if case is not None else Text())

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _update_title(self) -> None:
        label = self._label()
        if self._data is None or self._shown != self.request():
            self.set_title(label)  # the count of another filter is not this one's
            return
        self.set_title(label, f"{self._data.total} to recover")
        bar = self.query_one("#titlebar", Static)
        shown = bar.content
        if isinstance(shown, Text) and shown.cell_len > (self.size.width or 80) - 2:
            self.set_title(label)  # the filter whole rather than the count cut: the caption has it

    def _current(self) -> Case | None:
        if self._data is None:
            return None
        key = self.query_one(LiveTable).current_key
        return next((c for c in self._data.cases if c.customer_id == key), None)

    # -- actions ---------------------------------------------------------------
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_card()

    def action_card(self) -> None:
        case = self._current()
        if case is not None:
            self.post_message(nav.OpenCustomer(case.customer_id))

    def action_recovered(self) -> None:
        case = self._current()
        if case is not None:
            mark_recovered(self, case.customer_id, case.name)

    def explain(self) -> tuple[str, Text] | None:
        return explain_recovery(self.host.settings.customers.recovery)


Save = Callable[[str, Callable[[str | None], None]], None]


class RecoveredForm(ModalScreen[str | None]):
    """What was done for the customer, in a line or two.

    Given a `save(what, then)`, the form stays open until the note is in the
    store; a save that fails is said here, with the text kept to save again
    (enter) or to cancel (escape): audit L5."""

    BINDINGS = [bind("form.cancel", "cancel")]
    DEFAULT_CSS = """
    RecoveredForm { align: center middle; }
    RecoveredForm > Vertical { width: 90%; max-width: 90; height: auto; border: round $accent;
        background: $surface; padding: 0 1; }
    """

    def __init__(self, name: str, save: Save | None = None) -> None:
        super().__init__()
        self._customer = name
        self._save = save
        self._saving: str | None = None  # the text of a save not yet settled

    def compose(self) -> ComposeResult:
        with Vertical():
            title = Text("Recovered: ", style="bold")
            title.append(self._customer, style="bold")
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


def mark_recovered(screen: DataScreen[Any, Any], customer_id: str, name: str) -> None:
    """Ask what was done, then write a recovery note through the outbox."""
    host = screen.host
    note_id = new_note_id()  # one note however many tries its save takes

    def save(what: str, then: Callable[[str | None], None]) -> None:
        now = host.clock.now()
        at = feed_time(now)
        data = {
            "customer_id": customer_id,
            "author": host.author(),
            "created_at": at,
            "updated_at": at,
            "type": "recovery",
            "visibility": "team",
            "body": what,
        }
        host.write_store(lambda conn: save_note(conn, note_id, data, now), f"{name}: recovery recorded", then)

    screen.app.push_screen(RecoveredForm(name, save))
