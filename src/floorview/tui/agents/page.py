"""An agent's page: their numbers today and this week with the trend, their
latest QA scores, and their notes, newest first (n writes one)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from floorview.store.coaching import AgentDayFigures, NoteView, agent_days_figures, agent_notes, agent_qa_scores
from floorview.tui.coaching.notes import SYNC_WORDS, new_note, open_note
from floorview.tui.format import EMPTY, age, cell, duration, num, pct
from floorview.tui.base import DataScreen
from floorview.tui.widgets.live_table import Column, LiveTable

DAYS = 7


@dataclass(slots=True)
class AgentPage:
    name: str
    team: str
    state: str
    state_since: float
    reason: str | None
    days: list[AgentDayFigures]
    today: str  # YYYY-MM-DD
    qa: list[tuple[float, float, str | None]]
    notes: list[NoteView]


def _week(days: list[AgentDayFigures], today: str) -> tuple[AgentDayFigures | None, dict]:
    """Today's figures, and the week's before today pooled."""
    now = next((d for d in days if d.day == today), None)
    before = [d for d in days if d.day != today]
    handled = sum(d.handled for d in before)
    qa_n = sum(d.qa_count for d in before)
    outcomes = sum(d.outcomes for d in before)
    return now, {
        "handled_per_day": handled / len(before) if before else None,
        "aht": sum(d.handle_s for d in before) / handled if handled else None,
        "qa": sum((d.qa_mean or 0) * d.qa_count for d in before) / qa_n if qa_n else None,
        "resolved": sum(d.resolved for d in before) / outcomes if outcomes else None,
    }


def _trend(now: float | None, before: float | None, higher_is_better: bool, tolerance: float) -> str:
    """An arrow that says which way today went against the week, and a word for it."""
    if now is None or before is None:
        return ""
    if abs(now - before) <= tolerance:
        return "→ steady"
    better = (now > before) == higher_is_better
    return ("▲ " if now > before else "▼ ") + ("better" if better else "worse")


class AgentPageScreen(DataScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="agent.back"),
        Binding("n", "new_note", "New note", id="agent.new_note"),
        Binding("tab", "app.focus_next", "Next table", id="agent.next", show=False),
    ]
    DEFAULT_CSS = """
    AgentPageScreen #who { height: auto; padding: 0 1; }
    AgentPageScreen #figures { height: auto; max-height: 6; }
    AgentPageScreen #qa { height: auto; padding: 0 1; }
    AgentPageScreen #notes { height: 1fr; }
    """
    filter_hint = "filter notes by words"

    def __init__(self, agent_id: str, name: str) -> None:
        super().__init__()
        self.agent_id, self.agent_name = agent_id, name
        self.title_text = f"Agent: {name}"
        self._page: AgentPage | None = None
        self._now = 0.0

    def compose_body(self) -> ComposeResult:
        yield Static(id="who")
        yield LiveTable(id="figures")
        yield Static(id="qa")
        yield LiveTable(id="notes")

    def on_mount(self) -> None:
        self.query_one("#figures", LiveTable).set_columns(
            [
                Column("figure", "", 12),
                Column("today", "Today", 9, "right"),
                Column("week", f"{DAYS - 1} days before", 14, "right"),
                Column("trend", "Trend", 10),
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

    def _note_columns(self) -> None:
        width = self.size.width or 80
        wide = width >= 110
        cols = [
            Column("when", "When", 12),
            Column("type", "Kind", 8),
            Column("topic", "Topic", 7),
            Column("adkar", "ADKAR", 13),
            Column("sync", "", 1),
        ]
        if wide:
            cols += [Column("follow", "Follow up", 10), Column("vis", "Seen by", 7)]
        used = sum(c.width or 0 for c in cols) + 2 * (len(cols) + 1)
        cols.append(Column("body", "Note", max(16, width - used - 2)))
        self.query_one("#notes", LiveTable).set_columns(cols)

    def load(self, con: sqlite3.Connection, now: float) -> AgentPage | None:
        row = con.execute(
            "SELECT name, team, state, state_since, reason FROM agent WHERE id = ?", (self.agent_id,)
        ).fetchone()
        if row is None:
            return None
        site = self.app.site
        this_day = site.today(now)
        week = [this_day - timedelta(days=back) for back in range(DAYS - 1, -1, -1)]
        days = agent_days_figures(con, self.agent_id, [(d.isoformat(), site.date_start(d)) for d in week])
        return AgentPage(
            *row, days, this_day.isoformat(), agent_qa_scores(con, self.agent_id), agent_notes(con, self.agent_id)
        )

    def show(self, data: AgentPage | None, now: float) -> None:
        self._now = now
        if data is None:
            self.query_one("#who", Static).update(Text("This agent is no longer in the store."))
            return
        self._page = data
        self._paint()

    def refilter(self) -> None:
        if self._page is not None:
            self._paint()

    def _paint(self) -> None:
        p = self._page
        assert p is not None
        who = Text()
        who.append(p.name, style="bold")
        who.append(" · team ")
        who.append(p.team)
        who.append(f" · {p.state.replace('_', ' ')} for {age(self._now - p.state_since)}")
        if p.reason:
            who.append(" (")
            who.append(p.reason)
            who.append(")")
        self.query_one("#who", Static).update(who)

        today, week = _week(p.days, p.today)
        rows = [
            (
                "handled",
                "Handled",
                str(today.handled) if today else "0",
                f"{week['handled_per_day']:.0f}/day" if week["handled_per_day"] is not None else EMPTY,
                "",
            ),
            (
                "aht",
                "AHT",
                duration(today.aht_s) if today else EMPTY,
                duration(week["aht"]),
                _trend(today.aht_s if today else None, week["aht"], False, 15),
            ),
            (
                "qa",
                "QA",
                f"{today.qa_mean:.1f}" if today and today.qa_mean is not None else EMPTY,
                f"{week['qa']:.1f}" if week["qa"] is not None else EMPTY,
                _trend(today.qa_mean if today else None, week["qa"], True, 2),
            ),
            (
                "resolved",
                "Resolved",
                pct(today.resolved / today.outcomes) if today and today.outcomes else EMPTY,
                pct(week["resolved"]),
                _trend(
                    today.resolved / today.outcomes if today and today.outcomes else None, week["resolved"], True, 0.03
                ),
            ),
        ]
        self.query_one("#figures", LiveTable).sync(
            [(k, {"figure": cell(f), "today": num(a), "week": num(b), "trend": cell(t)}) for k, f, a, b, t in rows],
            reorder=False,
        )
        qa = Text("Latest QA: ", style="bold")
        qa.append("  ".join(f"{score:.0f}" for _, score, _ in p.qa[:10]) or "none scored yet")
        self.query_one("#qa", Static).update(qa)

        wanted = self.filter_text.lower().split()
        notes = []
        for n in p.notes:
            if wanted and not all(w in f"{n.body} {n.topic} {n.type} {n.author}".lower() for w in wanted):
                continue
            sign = {None: "", "pending": "↑", "conflict": "⚠", "rejected": "✗"}.get(n.sync_state, "?")
            notes.append(
                (
                    n.id,
                    {
                        "when": cell(self.app.site.fmt(n.created_at, "%d %b %H:%M")),
                        "type": cell(n.type),
                        "topic": cell(n.topic or EMPTY),
                        "adkar": cell(n.adkar or EMPTY),
                        "follow": cell(n.follow_up_on or ""),
                        "vis": cell(n.visibility),
                        "sync": cell(sign, "bold yellow" if sign in ("⚠", "✗") else ""),
                        "body": cell(" ".join(n.body.split())),
                    },
                )
            )
        self.query_one("#notes", LiveTable).sync(notes, reorder=True)
        self._update_title()

    def _update_title(self) -> None:
        p = self._page
        parts = [f"{len(p.notes)} notes" if p else ""]
        if p and any(n.sync_state in ("conflict", "rejected") for n in p.notes):
            parts.append("⚠ needs you: open the marked note")
        self.set_title(*parts)

    @property
    def huddle_team(self) -> str | None:
        return self._page.team if self._page else None

    def action_new_note(self) -> None:
        new_note(self, self.agent_id, self.agent_name)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.data_table.id != "notes" or self._page is None:
            return
        key = event.row_key.value
        note = next((n for n in self._page.notes if n.id == key), None)
        if note is not None:
            open_note(self, note)

    def explain(self) -> tuple[str, Text] | None:
        from floorview.tui.format import labelled

        table = self.query_one("#notes", LiveTable)
        if self.focused is table and table.current_key and self._page:
            note = next((n for n in self._page.notes if n.id == table.current_key), None)
            if note:
                return "Note status", labelled(
                    ("status", SYNC_WORDS.get(note.sync_state, "?")),
                    ("", "↑ waiting to push · ⚠ conflict · ✗ rejected; enter opens it"),
                )
        return "This week", labelled(
            ("today", "contacts answered and ended since midnight (site time), by time enqueued"),
            ("before", f"the {DAYS - 1} days before today pooled: handled per day, AHT, QA mean, resolved"),
            ("trend", "today against those days: AHT within 15 s, QA within 2 points and resolved within"),
            ("", "3 points count as steady; ▲▼ show the direction, the word whether it is better"),
        )
