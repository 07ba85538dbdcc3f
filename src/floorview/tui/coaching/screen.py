"""Screen 4: coaching across the floor. One table, five views:
follow-ups due (today and overdue), themes by team (topic and ADKAR stage),
agents not coached lately, a text search across notes, and the local changes
the hub would not take (conflicts and rejections) waiting for a decision.

Follow-ups, the search and the uncoached list are a lead's to act on: `m`
narrows them to my team (the token's teams and queues; with a whole-floor
token, the team of the agent under the cursor), then to my notes, then back
to everyone. The title says which.
"""

from __future__ import annotations

from floorview.domain.units import counted

from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widgets import DataTable, Static

from floorview.intents import intent
from floorview.store.coaching import EVERYONE, NoteView, Problem, Uncoached, Whose
from floorview.tui import nav
from floorview.tui.base import DataScreen
from floorview.tui.bindings import bind
from floorview.tui.coaching import explain as why
from floorview.tui.coaching.cells import (
    note_cells,
    note_columns,
    problem_cells,
    problem_columns,
    theme_cells,
    theme_columns,
    uncoached_cells,
    uncoached_columns,
)
from floorview.tui.coaching.data import THEME_DAYS, VIEWS, CoachingData, CoachingRequest, ThemeRow, load
from floorview.tui.coaching.notes import edit_data
from floorview.tui.widgets.live_table import LiveTable

# Each view's name in the title: in full, and where the title is short of room.
VIEW_NAMES = {
    "due": ("Follow-ups due", "Follow-ups"),
    "themes": (f"Themes by team, {THEME_DAYS} days", f"Themes {THEME_DAYS}d"),
    "uncoached": ("Not coached lately", "Uncoached"),
    "search": ("Search", "Search"),
    "problems": ("Waiting for you", "Waiting"),
}
VIEW_KEYS = (
    ("due", "coaching.due"),
    ("themes", "coaching.themes"),
    ("uncoached", "coaching.uncoached"),
    ("problems", "coaching.problems"),
    ("search", "view.filter"),
)
WHOSE = ("all", "team", "mine")
WHOSE_VIEWS = ("due", "search", "uncoached")  # the views `m` narrows
NARROW = 100  # below this many columns the title uses the short names


class CoachingScreen(DataScreen[CoachingRequest, CoachingData]):
    # The views' keys are on the bar above the table (the footer keeps what acts on a row).
    BINDINGS = [
        bind("coaching.due", "view('due')", show=False),
        bind("coaching.themes", "view('themes')", show=False),
        bind("coaching.uncoached", "view('uncoached')", show=False),
        bind("coaching.problems", "view('problems')", show=False),
        bind("view.mine", "whose"),
        bind("note.new", "new_note"),
        bind("followup.done", "done"),
    ]
    DEFAULT_CSS = """
    CoachingScreen #views { height: 1; padding: 0 1; }
    CoachingScreen #caption { height: auto; padding: 0 1; }
    CoachingScreen #coaching { height: 1fr; }
    """
    title_text = "Coaching"
    filter_hint = "search notes: words in the text, author, agent or topic"

    view: reactive[str] = reactive("due", init=False)
    whose: reactive[str] = reactive("all", init=False)  # one of WHOSE

    loader = staticmethod(load)

    def __init__(self) -> None:
        super().__init__()
        self._data: CoachingData | None = None
        self._team: str | None = None  # the team "team" narrows to when the token does not say

    def compose_body(self) -> ComposeResult:
        yield Static(id="views")
        yield Static(id="caption")
        yield LiveTable(id="coaching")

    def on_mount(self) -> None:
        self._update_title()

    def on_resize(self) -> None:
        if self._data is not None:
            self._paint()

    # -- view state: one watcher ---------------------------------------------------
    def watch_view(self) -> None:
        self._view_changed()

    def watch_whose(self) -> None:
        self._view_changed()

    def _view_changed(self) -> None:
        self._update_title()
        if self._data is not None and self._current(self._data.request):
            self._paint()
        self.host.request_load(True)

    # -- data ------------------------------------------------------------------------
    def request(self) -> CoachingRequest:
        settings = self.host.settings
        return CoachingRequest(
            view=self.view,
            words=self.filter_text if self.view == "search" else "",
            whose=self._whose(),
            site_setting=settings.site_timezone or "",
            not_coached_days=settings.coaching.not_coached_days,
        )

    def _current(self, request: CoachingRequest) -> bool:
        """Whether data read for `request` is what the screen should show now
        (the site's zone may have come with that very load: it does not count)."""
        now = self.request()
        return (request.view, request.words, request.whose) == (now.view, now.words, now.whose)

    def show(self, data: CoachingData, request: CoachingRequest, now: float) -> None:
        self._data = data
        if self._current(request):
            self._paint()
        else:
            self._update_title()

    def refilter(self) -> None:
        words = self.filter_text
        if words and self.view != "search":
            self.view = "search"
        elif not words and self.view == "search":
            self.view = "due"
        else:
            self.host.request_load(True)

    # -- whose -----------------------------------------------------------------------
    def _whose(self) -> Whose:
        host = self.host
        scope = host.scope
        if self.whose == "team":
            if scope is not None and not scope.whole_floor:
                return Whose(teams=scope.teams, queues=scope.queues)
            return Whose(teams=(self._team,)) if self._team else EVERYONE
        if self.whose == "mine":
            authors = {host.author()}
            if scope is not None:
                authors.add(scope.name)  # the hub writes the token's name as a note's author
            return Whose(authors=tuple(sorted(authors)))
        return EVERYONE

    def _whose_words(self) -> str:
        """Whose the list is, for the title and the explain views."""
        if self.whose == "mine":
            return "my notes"
        if self.whose == "team":
            w = self._whose()
            if len(w.teams) == 1 and not w.queues:
                return f"team {w.teams[0]}"
            if w.teams and w.queues:
                return "my teams and queues"
            return "my teams" if w.teams else "my queues"
        return "everyone's"

    @property
    def huddle_team(self) -> str | None:
        w = self._whose()
        return w.teams[0] if self.whose == "team" and len(w.teams) == 1 else None

    def _row_team(self) -> str | None:
        """The team of the agent under the cursor."""
        data, key = self._data, self.query_one(LiveTable).current_key
        if data is None or key is None:
            return None
        if self.view in ("due", "search"):
            note = self._current_note()
            return note.team if note is not None else None
        if self.view == "uncoached":
            u = self._current_uncoached()
            return u.team if u is not None else None
        if self.view == "themes":
            return key if key != "(no team)" else None
        return None

    def action_whose(self) -> None:
        """Everyone's, then my team's, then mine, then everyone's again."""
        following = WHOSE[(WHOSE.index(self.whose) + 1) % len(WHOSE)]
        if following == "team":
            scope = self.host.scope
            if scope is None or scope.whole_floor:
                self._team = self._row_team()
                if self._team is None:
                    following = "mine"
                    self.notify(
                        "No team to narrow to: the hub's token is for the whole floor. Put the cursor on a row of "
                        "the team, then m.",
                        markup=False,
                        timeout=5,
                    )
        if self.view not in WHOSE_VIEWS:
            self.notify("m narrows follow-ups, the search and the uncoached list.", markup=False, timeout=3)
        self.whose = following

    # -- painting ----------------------------------------------------------------------
    def _paint(self) -> None:
        data = self._data
        assert data is not None
        table = self.query_one(LiveTable)
        width = self.size.width or 80
        site = self.host.site
        caption = Text()
        view = data.request.view
        rows: list[tuple[str, dict[str, Text]]]
        whose = "" if data.request.whose == EVERYONE else f" Showing {self._whose_words()}."
        if view in ("due", "search"):
            columns = note_columns(width, view == "due", data.notes, data.today)
            table.set_columns(columns)
            body_width = next((c.width or 0) for c in columns if c.key == "body")
            rows = [(n.id, note_cells(n, data.today, site, body_width)) for n in data.notes]
            if view == "due":
                overdue = sum(1 for n in data.notes if (n.follow_up_on or "") < data.today)
                caption.append(
                    f"{counted(len(data.notes), 'follow-up')} due today or overdue ({overdue} overdue).{whose} "
                )
                caption.append("enter opens one, d marks it done.", style="dim")
            else:
                n = len(data.notes)
                caption.append(f"{counted(n, 'note')} {'matches' if n == 1 else 'match'} ")
                caption.append(repr(data.request.words))
                caption.append(f" (newest first; up to 200).{whose} ")
                caption.append("escape clears.", style="dim")
        elif view == "themes":
            table.set_columns(theme_columns(data.themes))
            rows = [(r.team, theme_cells(r)) for r in data.themes]
            caption.append(
                f"Coaching notes of the last {THEME_DAYS} days by team: topic, and the ADKAR stage most noted. "
            )
            caption.append("e explains a row.", style="dim")
        elif view == "uncoached":
            table.set_columns(uncoached_columns(data.uncoached))
            rows = [(u.agent_id, uncoached_cells(u, site)) for u in data.uncoached]
            days = data.request.not_coached_days
            caption.append(
                f"{counted(len(data.uncoached), 'agent')} without a coaching note in "
                f"{counted(days, 'day')} (coaching.not_coached_days).{whose} "
            )
            caption.append("enter opens the agent, n writes a note.", style="dim")
        else:
            table.set_columns(problem_columns(width))
            rows = [(str(p.seq), problem_cells(p, site)) for p in data.problems]
            caption.append(f"{counted(len(data.problems), 'local change')} the hub would not take. ")
            caption.append("enter opens one to keep yours, take theirs, keep both or discard.", style="dim")
        self.query_one("#caption", Static).update(caption)
        table.sync(rows, reorder=True)
        self._update_title()

    def _update_title(self) -> None:
        narrow = self.app.size.width < NARROW
        full, short = VIEW_NAMES[self.view]
        parts = [short if narrow else full]
        if self.view in WHOSE_VIEWS and self.whose != "all":
            parts.append(self._whose_words())
        data = self._data
        if data is not None and data.problems and self.view != "problems":
            n = len(data.problems)
            parts.append(f"⚠ {n} (c)" if narrow else f"⚠ {n} waiting for you (c)")
        self.set_title(*parts)
        self._update_views()

    def _key(self, intent_id: str) -> str:
        """The key bound to an intent here (a remap in `[keys]` included)."""
        for key, active in self.active_bindings.items():
            if active.binding.id == intent_id:
                return self.app.get_key_display(active.binding)
        return intent(intent_id).keys.split(",")[0]

    def _update_views(self) -> None:
        """The bar of views, the one on show marked: the keys to each, and how many wait for a decision."""
        data = self._data
        waiting = len(data.problems) if data is not None else 0
        bar = Text()
        for view, intent_id in VIEW_KEYS:
            if view == "search" and self.view != "search":
                continue
            name = VIEW_NAMES[view][1] + (f" ⚠ {waiting}" if view == "problems" and waiting else "")
            key = self._key(intent_id)
            style = "reverse bold" if view == self.view else ""
            bar.append(f" {key} {name} ", style=style)
            bar.append(" ")
        self.query_one("#views", Static).update(bar)

    # -- keys ----------------------------------------------------------------------------
    def action_view(self, view: str) -> None:
        assert view in VIEWS
        if view == self.view:
            self.host.request_load(True)
        self.view = view

    def _current_note(self) -> NoteView | None:
        key = self.query_one(LiveTable).current_key
        if self._data is None or key is None or self.view not in ("due", "search"):
            return None
        return next((n for n in self._data.notes if n.id == key), None)

    def _current_uncoached(self) -> Uncoached | None:
        key = self.query_one(LiveTable).current_key
        if self._data is None or key is None or self.view != "uncoached":
            return None
        return next((u for u in self._data.uncoached if u.agent_id == key), None)

    def _current_theme(self) -> ThemeRow | None:
        key = self.query_one(LiveTable).current_key
        if self._data is None or key is None or self.view != "themes":
            return None
        return next((r for r in self._data.themes if r.team == key), None)

    def _current_problem(self) -> Problem | None:
        key = self.query_one(LiveTable).current_key
        if self._data is None or key is None or self.view != "problems":
            return None
        return next((p for p in self._data.problems if str(p.seq) == key), None)

    def action_new_note(self) -> None:
        u = self._current_uncoached()
        if u is not None:
            self.post_message(nav.NewNote(u.agent_id, u.name))
            return
        note = self._current_note()
        if note is not None and note.agent_id:
            self.post_message(nav.NewNote(note.agent_id, note.agent_name or note.agent_id))
            return
        self.app.bell()
        self.notify("Pick an agent (u lists those not coached lately) or a note first.", markup=False)

    def action_done(self) -> None:
        """Clear the follow-up date: an edit of the note, pushed like any other."""
        from floorview.store.notes import save_note

        note = self._current_note()
        if self.view != "due" or note is None:
            self.app.bell()
            self.notify("Pick a follow-up in the list (f) first.", markup=False)
            return
        now = self.host.clock.now()
        data = edit_data(note, now)
        data.pop("follow_up_on", None)
        self.host.write_store(lambda conn: save_note(conn, note.id, data, now, None, note.version), "follow-up done")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        note = self._current_note()
        if note is not None:
            self.post_message(nav.OpenNote(note.id))
            return
        u = self._current_uncoached()
        if u is not None:
            self.post_message(nav.OpenAgent(u.agent_id, u.name))
            return
        p = self._current_problem()
        if p is not None:
            self.post_message(nav.OpenNote(p.note_id))

    def explain(self) -> tuple[str, Text] | None:
        data = self._data
        if data is None:
            return None
        site = self.host.site
        note = self._current_note()
        if note is not None:
            if self.view == "due":
                return why.follow_up(note, data.today, site, self._whose_words())
            return why.search_match(note, data.request.words, site, self._whose_words())
        row = self._current_theme()
        if row is not None:
            return why.theme(row)
        u = self._current_uncoached()
        if u is not None:
            return why.uncoached(u, data.request.not_coached_days, site, self._whose_words())
        p = self._current_problem()
        if p is not None:
            return why.problem(p, site)
        return None
