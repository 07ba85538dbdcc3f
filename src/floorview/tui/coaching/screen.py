"""Screen 4: coaching across the floor. One table, five views:
follow-ups due (today and overdue), themes by team (topic and ADKAR stage),
agents not coached lately, a text search across notes, and the local changes
the hub would not take (conflicts and rejections) waiting for a decision."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from floorview.domain.sitetime import SiteTime
from floorview.domain.text import clean
from floorview.store.coaching import (
    NoteView,
    Problem,
    TopicCount,
    Uncoached,
    coaching_mix_by_team,
    follow_ups,
    not_coached_since,
    note_by_id,
    outbox_problems,
    search_notes,
)
from floorview.tui.coaching.notes import open_note
from floorview.tui.format import EMPTY, cell, num, pct
from floorview.tui.base import DataScreen
from floorview.tui.widgets.live_table import Column, LiveTable

VIEWS = {
    "due": "Follow-ups due",
    "themes": "Themes by team, 30 days",
    "uncoached": "Not coached lately",
    "search": "Search",
    "problems": "Waiting for you",
}
THEME_DAYS = 30
STAGES = ("awareness", "desire", "knowledge", "ability", "reinforcement")
TOPICS = ("quality", "cost", "time", "risk")


@dataclass(slots=True)
class CoachingData:
    view: str
    today: str
    notes: list[NoteView]
    themes: list[TopicCount]
    uncoached: list[Uncoached]
    problems: list[Problem]


class CoachingScreen(DataScreen):
    BINDINGS = [
        Binding("f", "view('due')", "Follow-ups", id="coaching.due"),
        Binding("t", "view('themes')", "Themes", id="coaching.themes"),
        Binding("u", "view('uncoached')", "Uncoached", id="coaching.uncoached"),
        Binding("c", "view('problems')", "Conflicts", id="coaching.problems"),
        Binding("n", "new_note", "Note", id="coaching.new_note"),
        Binding("d", "done", "Follow-up done", id="coaching.done"),
    ]
    DEFAULT_CSS = """
    CoachingScreen #caption { height: auto; padding: 0 1; }
    CoachingScreen #coaching { height: 1fr; }
    """
    title_text = "Coaching"
    filter_hint = "search notes: words in the text, author, agent or topic"

    def __init__(self) -> None:
        super().__init__()
        self.view = "due"
        self._data: CoachingData | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(id="caption")
        yield LiveTable(id="coaching")

    def on_mount(self) -> None:
        self._update_title()

    def on_resize(self) -> None:
        if self._data is not None:
            self._paint()

    # -- data ------------------------------------------------------------------
    def load(self, con: sqlite3.Connection, now: float) -> CoachingData:
        today = self.app.site.today(now).isoformat()
        view, words = self.view, self.filter_text
        days = self.app.settings.coaching.not_coached_days
        return CoachingData(
            view=view,
            today=today,
            notes=(search_notes(con, words) if view == "search" else follow_ups(con, today) if view == "due" else []),
            themes=coaching_mix_by_team(con, now - THEME_DAYS * 86400) if view == "themes" else [],
            uncoached=not_coached_since(con, now - days * 86400) if view == "uncoached" else [],
            problems=outbox_problems(con),
        )

    def show(self, data: CoachingData, now: float) -> None:
        self._data = data
        if data.view == self.view:
            self._paint()

    def refilter(self) -> None:
        words = self.filter_text
        if words and self.view != "search":
            self.view = "search"
        elif not words and self.view == "search":
            self.view = "due"
        self.app.request_load(force=True)

    # -- painting ----------------------------------------------------------------
    def _paint(self) -> None:
        data = self._data
        assert data is not None
        table = self.query_one(LiveTable)
        width = self.size.width or 80
        caption = Text()
        site = self.app.site
        if data.view in ("due", "search"):
            table.set_columns(_note_columns(width, data.view == "due"))
            rows = [(n.id, _note_cells(n, data.today, site)) for n in data.notes]
            if data.view == "due":
                overdue = sum(1 for n in data.notes if n.follow_up_on < data.today)
                caption.append(f"{len(data.notes)} follow-ups due today or overdue ({overdue} overdue). ")
                caption.append("enter opens one.", style="dim")
            else:
                caption.append(f"{len(data.notes)} notes match ")
                caption.append(repr(self.filter_text))
                caption.append(" (newest first; up to 200). escape clears.", style="dim")
        elif data.view == "themes":
            table.set_columns(_theme_columns())
            rows = _theme_rows(data.themes)
            caption.append(
                f"Coaching notes of the last {THEME_DAYS} days by team: topic, and the ADKAR stage most noted."
            )
        elif data.view == "uncoached":
            table.set_columns(
                [Column("name", "Agent", 22), Column("team", "Team", 12), Column("last", "Last coached", 16)]
            )
            rows = [
                (
                    u.agent_id,
                    {
                        "name": cell(u.name),
                        "team": cell(u.team),
                        "last": cell(site.fmt(u.last_coached, "%a %d %b") if u.last_coached else "never"),
                    },
                )
                for u in data.uncoached
            ]
            days = self.app.settings.coaching.not_coached_days
            caption.append(
                f"{len(data.uncoached)} agents without a coaching note in {days} days "
                "(coaching.not_coached_days). enter opens the agent."
            )
        else:
            table.set_columns(
                [
                    Column("when", "Written", 12),
                    Column("state", "Hub said", 10),
                    Column("op", "Change", 7),
                    Column("what", "Note", max(20, width - 42)),
                ]
            )
            rows = [(str(p.seq), _problem_cells(p, site)) for p in data.problems]
            caption.append(
                f"{len(data.problems)} local changes the hub would not take. "
                "enter opens one to keep yours, take theirs, keep both or discard."
            )
        self.query_one("#caption", Static).update(caption)
        table.sync(rows, reorder=True)
        self._update_title()

    def _update_title(self) -> None:
        parts = [VIEWS[self.view] + " (f t u c, / search)"]
        data = self._data
        if data is not None and data.problems and self.view != "problems":
            parts.append(f"⚠ {len(data.problems)} waiting for you (c)")
        self.set_title(*parts)

    # -- keys ----------------------------------------------------------------------
    def action_view(self, view: str) -> None:
        self.view = view
        self._update_title()
        self.app.request_load(force=True)

    def _current_note(self) -> NoteView | None:
        key = self.query_one(LiveTable).current_key
        if self._data is None or key is None:
            return None
        return next((n for n in self._data.notes if n.id == key), None)

    def action_new_note(self) -> None:
        from floorview.tui.coaching.notes import new_note

        data = self._data
        key = self.query_one(LiveTable).current_key
        if data is not None and self.view == "uncoached" and key:
            u = next((u for u in data.uncoached if u.agent_id == key), None)
            if u is not None:
                new_note(self, u.agent_id, u.name)
                return
        note = self._current_note()
        if note is not None and note.agent_id:
            new_note(self, note.agent_id, note.agent_name or note.agent_id)
            return
        self.app.bell()
        self.notify("Pick an agent (u lists those not coached lately) or a note first.", markup=False)

    def action_done(self) -> None:
        """Clear the follow-up date: an edit of the note, pushed like any other."""
        from floorview.store.notes import save_note
        from floorview.tui.coaching.notes import edit_data

        note = self._current_note()
        if self.view != "due" or note is None:
            self.app.bell()
            self.notify("Pick a follow-up in the list (f) first.", markup=False)
            return
        data = edit_data(note, self.app.clock.now())
        data.pop("follow_up_on", None)
        now = self.app.clock.now()
        self.app.write_store(lambda conn: save_note(conn, note.id, data, now), "follow-up done")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        data, key = self._data, event.row_key.value
        if data is None or key is None:
            return
        if self.view in ("due", "search"):
            note = self._current_note()
            if note is not None:
                open_note(self, note)
        elif self.view == "uncoached":
            from floorview.tui.agents.page import AgentPageScreen

            u = next((u for u in data.uncoached if u.agent_id == key), None)
            if u is not None:
                self.app.push_screen(AgentPageScreen(u.agent_id, u.name))
                self.app.request_load(force=True)
        elif self.view == "problems":
            problem = next((p for p in data.problems if str(p.seq) == key), None)
            if problem is not None and self.app.reader is not None:
                open_note(self, problem_note(self.app.reader, problem))


def problem_note(con: sqlite3.Connection, p: Problem) -> NoteView:
    """The note a problem is about, as the person wrote it (a deletion has no body left here)."""
    found = note_by_id(con, p.note_id)
    data = p.mine or ((p.theirs or {}).get("data") or {})

    def text(key: str, default: str | None = None) -> str | None:  # the hub's when ours is gone: shown, so cleaned
        value = data.get(key, default)
        return None if value is None else clean(str(value))

    base = found or NoteView(
        id=p.note_id,
        version=0,
        agent_id=text("agent_id"),
        agent_name=None,
        team=None,
        customer_id=text("customer_id"),
        author=text("author", "?") or "?",
        created_at=p.created_at,
        updated_at=p.created_at,
        type=text("type", "coaching") or "coaching",
        topic=text("topic"),
        adkar=text("adkar"),
        follow_up_on=text("follow_up_on"),
        interaction_id=text("interaction_id"),
        visibility=text("visibility", "team") or "team",
        body="(deleted here)" if p.op == "delete" else "",
    )
    from dataclasses import replace

    return replace(base, sync_state=p.state, sync_detail=p.detail, outbox_seq=p.seq)


def _note_columns(width: int, due: bool) -> list[Column]:
    cols = [
        Column("due" if due else "when", "Due" if due else "Written", 10),
        Column("agent", "Agent", 16),
        Column("topic", "Topic", 7),
        Column("adkar", "ADKAR", 13),
    ]
    if width >= 110:
        cols.append(Column("author", "By", 12))
    used = sum(c.width or 0 for c in cols) + 2 * (len(cols) + 1)
    cols.append(Column("body", "Note", max(16, width - used - 2)))
    return cols


def _note_cells(n: NoteView, today: str, site: SiteTime) -> dict[str, Text]:
    due = n.follow_up_on or ""
    late = bool(due) and due < today
    if due:
        days = (date.fromisoformat(today) - date.fromisoformat(due)).days
        due_text = "today" if not days else f"{days}d late"
    else:
        due_text = EMPTY
    return {
        "due": cell(("! " if late else "") + due_text, "bold yellow" if late else ""),
        "when": cell(site.fmt(n.created_at, "%d %b %H:%M")),
        "agent": cell(n.agent_name or n.agent_id or EMPTY),
        "topic": cell(n.topic or EMPTY),
        "adkar": cell(n.adkar or EMPTY),
        "author": cell(n.author),
        "body": cell(" ".join(n.body.split())),
    }


def _theme_columns() -> list[Column]:
    return [
        Column("team", "Team", 12),
        *(Column(t, t.title(), 9, "right") for t in TOPICS),
        Column("total", "Notes", 6, "right"),
        Column("stage", "Most noted stage", 16),
    ]


def _theme_rows(counts: list[TopicCount]) -> list[tuple[str, dict[str, Text]]]:
    by_team: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    stages: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in counts:
        by_team[c.team][c.topic] += c.count
        if c.adkar in STAGES:
            stages[c.team][c.adkar] += c.count
    rows = []
    for team in sorted(by_team):
        topics = by_team[team]
        total = sum(topics.values())
        top_stage = max(stages[team].items(), key=lambda kv: kv[1])[0] if stages[team] else EMPTY
        cells = {t: num(f"{topics.get(t, 0)} {pct(topics.get(t, 0) / total if total else 0):>4}") for t in TOPICS}
        rows.append((team, {"team": cell(team), **cells, "total": num(str(total)), "stage": cell(top_stage)}))
    return rows


def _problem_cells(p: Problem, site: SiteTime) -> dict[str, Text]:
    # The hub's words and note are cleaned when they come (sync/syncer.py), and
    # again here for what an older floorview stored raw.
    what = Text()
    if p.state == "conflict":
        what.append("not on the hub: " if p.detail == "null" else "changed on the hub meanwhile: ")
    elif p.detail:
        what.append(clean(p.detail))
        what.append(": ")
    body = (p.mine or {}).get("body") or ((p.theirs or {}).get("data") or {}).get("body") or ""
    what.append(clean(" ".join(str(body).split())))
    return {
        "when": cell(site.fmt(p.created_at, "%d %b %H:%M")),
        "state": cell("⚠ conflict" if p.state == "conflict" else "✗ rejected", "bold yellow"),
        "op": cell("edit" if p.op == "put" else "delete"),
        "what": what,
    }
