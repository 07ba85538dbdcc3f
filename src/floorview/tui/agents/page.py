"""An agent's page: their numbers today (so far) against the days before with
the trend, their latest QA scores with their dates, and their notes, newest
first, each with its author (the note under the cursor shows whole below the
list; enter opens it, n writes one)."""

from __future__ import annotations

from floorview.domain.units import counted

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from floorview.store.coaching import NoteView
from floorview.tui import nav
from floorview.tui.agents.cells import figure_rows, header, note_cells, note_whole, qa_line
from floorview.tui.agents.data import DAYS, AgentPage, AgentPageRequest, load_page
from floorview.tui.agents.explain import explain_page
from floorview.tui.base import DataScreen
from floorview.tui.bindings import bind
from floorview.tui.widgets.live_table import Column, LiveTable

WIDE = 110  # from here the notes list has ADKAR, follow-up and who sees each note


class AgentPageScreen(DataScreen[AgentPageRequest, "AgentPage | None"]):
    BINDINGS = [
        bind("nav.back", "back"),
        bind("note.new", "new_note"),
        bind("nav.customer", "customer"),
        bind("table.next", "app.focus_next"),
    ]
    DEFAULT_CSS = """
    AgentPageScreen #who { height: auto; padding: 0 1; }
    AgentPageScreen #figures { height: auto; max-height: 6; }
    AgentPageScreen #qa { height: auto; max-height: 2; padding: 0 1; }
    AgentPageScreen #notes { height: 1fr; }
    AgentPageScreen #note { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    """
    filter_hint = "filter notes by words"
    loader = staticmethod(load_page)

    def __init__(self, agent_id: str, name: str) -> None:
        super().__init__()
        self.agent_id, self.agent_name = agent_id, name
        self.title_text = f"Agent: {name}"
        self._page: AgentPage | None = None
        self._header = ""  # the header's words as shown
        self._now = 0.0

    def compose_body(self) -> ComposeResult:
        yield Static(id="who")
        yield LiveTable(id="figures")
        yield Static(id="qa")
        yield LiveTable(id="notes")
        yield Static(id="note")

    def on_mount(self) -> None:
        self.query_one("#figures", LiveTable).set_columns(
            [
                Column("figure", "", 10),
                Column("today", "Today", 10, "right"),
                Column("week", f"{DAYS - 1} days before", 14, "right"),
                Column("trend", "Trend", 11),
            ]
        )
        self._note_columns()
        self._update_title()
        figures = self.query_one("#figures", LiveTable)
        figures.can_focus, figures.show_cursor = False, False  # a read-out, not a list to move in
        self.query_one("#notes", LiveTable).focus()

    def on_resize(self) -> None:
        self._note_columns()
        if self._page is not None:
            self._paint()

    def _note_columns(self) -> list[Column]:
        width = self.size.width or 80
        wide = width >= WIDE
        cols = [
            Column("when", "When", 12),
            Column("author", "By", 14 if wide else 10),
            Column("type", "Kind", 8),
            Column("topic", "Topic", 7),
        ]
        if wide:
            cols.append(Column("adkar", "ADKAR", 13))
        cols.append(Column("sync", "", 1))
        if wide:
            cols += [Column("follow", "Follow up", 10), Column("vis", "Seen by", 7)]
        used = sum(c.width or 0 for c in cols) + 2 * (len(cols) + 1)
        cols.append(Column("body", "Note", max(16, width - used - 2)))
        self.query_one("#notes", LiveTable).set_columns(cols)
        return cols

    # -- data ----------------------------------------------------------------
    def request(self) -> AgentPageRequest:
        return AgentPageRequest(self.agent_id, self.host.site)

    def show(self, data: AgentPage | None, request: AgentPageRequest, now: float) -> None:
        self._now = now
        if data is None:
            self._page, self._header = None, ""
            self.query_one("#who", Static).update(Text("This agent is no longer in the store."))
            return
        self._page = data
        self._paint()

    def tick(self, now: float) -> None:
        """The time in state moves: the header line alone, when its words change."""
        self._now = now
        if self._page is not None:
            self._show_header()

    def _show_header(self) -> None:
        assert self._page is not None
        text = header(self._page, self._now)
        if text.plain != self._header:
            self._header = text.plain
            self.query_one("#who", Static).update(text)

    def refilter(self) -> None:
        if self._page is not None:
            self._paint()

    def _visible_notes(self) -> list[NoteView]:
        assert self._page is not None
        wanted = self.filter_text.lower().split()
        return [
            n
            for n in self._page.notes
            if not wanted or all(w in f"{n.body} {n.topic} {n.type} {n.author}".lower() for w in wanted)
        ]

    def _paint(self) -> None:
        p = self._page
        assert p is not None
        site = self.host.site
        self._show_header()
        self.query_one("#figures", LiveTable).sync(figure_rows(p.week, self.host.partial), reorder=False)
        self.query_one("#qa", Static).update(qa_line(p.qa, site, p.today))
        table = self.query_one("#notes", LiveTable)
        body = next((c.width or 16 for c in table.columns_now if c.key == "body"), 16)
        table.sync([(n.id, note_cells(n, site, body)) for n in self._visible_notes()], reorder=True)
        self._show_note()
        self._update_title()

    def _current_note(self) -> NoteView | None:
        key = self.query_one("#notes", LiveTable).current_key
        if key is None or self._page is None:
            return None
        return next((n for n in self._page.notes if n.id == key), None)

    def _show_note(self) -> None:
        note = self._current_note()
        self.query_one("#note", Static).update(note_whole(note, self.host.site) if note else Text(""))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "notes":
            self._show_note()

    def _update_title(self) -> None:
        p = self._page
        parts = [counted(len(p.notes), "note")] if p else []
        if p and any(n.sync_state in ("conflict", "rejected") for n in p.notes):
            parts.append("⚠ needs you: open the marked note")
        self.set_title(*parts)

    @property
    def huddle_team(self) -> str | None:
        return self._page.agent.team if self._page else None

    # -- actions ---------------------------------------------------------------
    def action_back(self) -> None:
        self.app.pop_screen()

    def action_new_note(self) -> None:
        self.post_message(nav.NewNote(self.agent_id, self.agent_name))

    def action_customer(self) -> None:
        """The card of the customer the agent is serving now."""
        customer = self._page.agent.customer_id if self._page else None
        if customer is None:
            self.app.bell()
            self.notify(f"{self.agent_name} is not serving a known customer now.", markup=False)
            return
        self.post_message(nav.OpenCustomer(customer))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.data_table.id != "notes" or event.row_key.value is None:
            return
        self.post_message(nav.OpenNote(event.row_key.value))

    def explain(self) -> tuple[str, Text] | None:
        if self._page is None:
            return None
        return explain_page(self._page, self._current_note(), self.host.site, self.host.partial)
