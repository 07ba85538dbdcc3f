"""The Agents panel's `e` views: a cell of the list (each column its own, in
tui/widgets/agent_cells.py, shared with a queue's drill-down), and the agent
page's figures, their trend words, and the note under the cursor."""

from __future__ import annotations

from floorview.domain.units import counted

from rich.text import Text

from floorview.config import Settings
from floorview.domain.sitetime import SiteTime
from floorview.store.coaching import NoteView
from floorview.store.reads import AgentSnapshot
from floorview.tui.agents.cells import CATCHING_UP, FIGURES, SYNC_SIGNS, figure_values, trend
from floorview.tui.agents.data import AgentPage
from floorview.tui.format import duration, labelled, pct
from floorview.tui.widgets.agent_cells import explain_agent

# A note's sync state, in words (the sign the list shows first).
NOTE_STATES: dict[str | None, str] = {
    None: "on the hub",
    "pending": "↑ saved here, waiting to push",
    "conflict": "⚠ conflict: someone changed it on the hub; enter opens it to settle",
    "rejected": "✗ rejected by the hub; enter opens it",
}

# Who reads a note (docs/feed-protocol.md, what a token sees).
VISIBILITY: dict[str, str] = {
    "private": "the leads of this agent's team and whole-floor readers; never on the huddle screen",
    "team": "whoever sees this agent: their team's leads, leads of the queues they serve, the whole floor",
}


def explain_list_cell(
    a: AgentSnapshot,
    column: str,
    now: float,
    settings: Settings,
    site: SiteTime,
    partial: bool,
    customer_id: str | None,
) -> tuple[str, Text]:
    return explain_agent(a, column, now, settings, site=site, partial=partial, customer_id=customer_id)


def _fmt(key: str, value: float | None) -> str:
    if value is None:
        return "none"
    if key == "aht":
        return duration(value)
    if key == "resolved":
        return pct(value)
    if key == "handled":
        return f"{value:.0f}"
    return f"{value:.1f}"


def explain_page(p: AgentPage, note: NoteView | None, site: SiteTime, partial: bool) -> tuple[str, Text]:
    """Today against the week, figure by figure with its numbers and what its
    trend word means; then the note under the cursor, if any."""
    w = p.week
    values = figure_values(w)
    t = w.today
    before = f"the {counted(w.days_before, 'day')} before today"
    worked = counted(w.days_worked, "day")
    text = labelled(
        ("today", f"{p.today} so far (site time, {site.name}): a part day; contacts by when enqueued"),
        ("before", f"{before} pooled ({worked} with contacts handled)"),
    )
    text.append("\n")
    handled_today = t.handled if t else 0
    per_day = w.handled_per_day
    rows: list[tuple[str, str]] = [
        (
            "Handled",
            f"{counted(handled_today, 'contact')} answered and ended so far today;"
            f" {_fmt('handled', per_day)}/day on the {worked} before"
            " (no trend word: a part day against whole days)",
        ),
        (
            "AHT",
            "(talk + after-contact work) / handled: "
            + (f"{t.handle_s:.0f} s / {t.handled} = {duration(t.aht_s)} today" if t and t.handled else "none today")
            + f"; {_fmt('aht', w.aht_s)} before",
        ),
        (
            "QA",
            f"mean of {counted(t.qa_count if t else 0, 'score')} today: {_fmt('qa', values['qa'][0])};"
            f" of {counted(w.qa_count, 'score')} before: {_fmt('qa', w.qa)}",
        ),
        (
            "Resolved",
            "resolved / contacts with an outcome: "
            + (
                f"{t.resolved} / {t.outcomes} = {pct(t.resolved / t.outcomes)} today"
                if t and t.outcomes
                else "none today"
            )
            + f"; {_fmt('resolved', w.resolved)} before",
        ),
    ]
    text.append_text(labelled(*rows))
    text.append("\n")
    trend_rows: list[tuple[str, str]] = []
    for key in ("aht", "qa", "resolved"):
        label, higher, tolerance = FIGURES[key]
        now, then = values[key]
        word = trend(now, then, higher, tolerance, partial)
        if not word:
            trend_rows.append((label, "no trend: a figure is missing today or before"))
        elif word == CATCHING_UP:
            trend_rows.append((label, "catching up: no trend word until the store has caught up with the hub"))
        else:
            trend_rows.append((label, f"{word}: {_fmt(key, now)} today against {_fmt(key, then)} before"))
    trend_rows += [
        ("▲ ▼ →", "today above ▲, below ▼ or within a step → (steady) of the days before"),
        ("steady", "within 15 s for AHT, 2 points for QA, 3 points for resolved"),
        ("", "better or worse says which way is good: a lower AHT, a higher QA or resolved"),
    ]
    text.append("Trend\n", style="bold")
    text.append_text(labelled(*trend_rows))
    title = f"{p.agent.name}: today against the week"
    if note is not None:
        text.append("\n")
        text.append("The note under the cursor\n", style="bold")
        text.append_text(
            labelled(
                ("by", note.author),
                ("written", f"{site.stamp(note.created_at, '%d %b %Y %H:%M')}"),
                ("seen by", f"{note.visibility}: {VISIBILITY.get(note.visibility, 'as the hub decides')}"),
                ("status", NOTE_STATES.get(note.sync_state, note.sync_state or "")),
                (
                    "marks",
                    " · ".join(
                        f"{s} {NOTE_STATES[k].split(':')[0].lstrip(s).strip()}" for k, s in SYNC_SIGNS.items() if s
                    )
                    + "; enter opens the note",
                ),
            )
        )
    return title, text
