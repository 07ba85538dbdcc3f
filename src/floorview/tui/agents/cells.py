"""The Agents panel's data as `Text`: the list's title, and the agent page's
header, figures, QA scores and notes. (The list's row cells are shared with
a queue's drill-down: tui/widgets/agent_cells.py.)"""

from __future__ import annotations

from rich.text import Text

from floorview.domain.sitetime import SiteTime
from floorview.domain.vocabulary import state_label
from floorview.store.agents import QaScore
from floorview.store.coaching import NoteView
from floorview.tui.agents.data import AgentPage, Week
from floorview.tui.format import EMPTY, age, cell, duration, num, pct, words_to

# The list's sorts: (name in the title, short name when the title is narrow)
SORTS: tuple[tuple[str, str], ...] = (
    ("name", "name"),
    ("state", "state"),
    ("time in state", "time"),
    ("handled", "handled"),
)
CATCHING_UP = "catching up"
SYNC_SIGNS: dict[str | None, str] = {None: "", "pending": "↑", "conflict": "⚠", "rejected": "✗"}


def list_title(sort: int, team: str | None, state: str | None, narrow: bool) -> list[str]:
    """The Agents title's parts. The active filters (team and state) are
    always whole; narrow, the sort gives way to a short word."""
    name, short = SORTS[sort]
    parts = [f"by {short}" if narrow else f"sort: {name}"]
    if team:
        parts.append(f"team: {team}")
    if state:
        parts.append(f"state: {state_label(state)}")
    return parts


# -- the agent page --------------------------------------------------------------------
def header(p: AgentPage, now: float) -> Text:
    """Name, team, state (its one word) and for how long, the reason, whom they serve."""
    a = p.agent
    text = Text()
    text.append(a.name, style="bold")
    text.append(" · team ")
    text.append(a.team)
    text.append(f" · {state_label(a.state)} for {age(now - a.state_since)}")
    if a.reason:
        text.append(" (")
        text.append(a.reason)
        text.append(")")
    if a.customer_id:
        text.append(" · serving ")
        text.append(a.customer_id)
        text.append(" (c: the card)", style="dim")
    return text


def trend(now: float | None, before: float | None, higher_is_better: bool, tolerance: float, partial: bool) -> str:
    """An arrow that says which way today went against the week, and a word
    for it; no verdict while catching up."""
    if now is None or before is None:
        return ""
    if partial:
        return CATCHING_UP
    if abs(now - before) <= tolerance:
        return "→ steady"
    better = (now > before) == higher_is_better
    return ("▲ " if now > before else "▼ ") + ("better" if better else "worse")


# figure key -> (label, higher is better, tolerance of "steady")
FIGURES: dict[str, tuple[str, bool, float]] = {
    "handled": ("Handled", True, 0.0),
    "aht": ("AHT", False, 15.0),
    "qa": ("QA", True, 2.0),
    "resolved": ("Resolved", True, 0.03),
}


def figure_values(w: Week) -> dict[str, tuple[float | None, float | None]]:
    """Each figure's (today, the days before), as numbers."""
    t = w.today
    return {
        "handled": (float(t.handled) if t else 0.0, w.handled_per_day),
        "aht": (t.aht_s if t else None, w.aht_s),
        "qa": (t.qa_mean if t else None, w.qa),
        "resolved": (t.resolved / t.outcomes if t and t.outcomes else None, w.resolved),
    }


def figure_rows(w: Week, partial: bool) -> list[tuple[str, dict[str, Text]]]:
    """The page's figures: today (a part day: handled reads "so far"), the
    days before, and the trend word (none for handled: a part day against
    whole days says nothing)."""
    values = figure_values(w)
    t = w.today
    rows: list[tuple[str, dict[str, Text]]] = []
    for key, (label, higher, tolerance) in FIGURES.items():
        now, before = values[key]
        if key == "handled":
            today = f"{t.handled if t else 0} so far"
            week = f"{before:.0f}/day" if before is not None else EMPTY
            word = ""
        elif key == "aht":
            today, week = duration(now), duration(before)
            word = trend(now, before, higher, tolerance, partial)
        elif key == "qa":
            today = f"{now:.1f}" if now is not None else EMPTY
            week = f"{before:.1f}" if before is not None else EMPTY
            word = trend(now, before, higher, tolerance, partial)
        else:
            today, week = pct(now), pct(before)
            word = trend(now, before, higher, tolerance, partial)
        rows.append((key, {"figure": cell(label), "today": num(today), "week": num(week), "trend": cell(word)}))
    return rows


def qa_line(scores: tuple[QaScore, ...], site: SiteTime, today: str) -> Text:
    """The latest QA scores with their dates, grouped by day, newest first:
    "Latest QA  today 74 60 · 19 Nov 86"."""
    text = Text("Latest QA  ", style="bold")
    if not scores:
        text.append("none scored yet")
        return text
    days: list[tuple[str, list[str]]] = []
    for s in scores:
        day = site.local(s.at).date().isoformat()
        label = "today" if day == today else site.fmt(s.at, "%d %b")
        if not days or days[-1][0] != label:
            days.append((label, []))
        days[-1][1].append(f"{s.score:.0f}")
    for i, (label, values) in enumerate(days):
        if i:
            text.append(" · ", style="dim")
        text.append(label, style="dim")
        text.append(" " + " ".join(values))
    return text


def note_cells(n: NoteView, site: SiteTime, body_width: int) -> dict[str, Text]:
    sign = SYNC_SIGNS.get(n.sync_state, "?")
    return {
        "when": cell(site.fmt(n.created_at, "%d %b %H:%M")),
        "author": cell(n.author),
        "type": cell(n.type),
        "topic": cell(n.topic or EMPTY),
        "adkar": cell(n.adkar or EMPTY),
        "follow": cell(n.follow_up_on or ""),
        "vis": cell(n.visibility),
        "sync": cell(sign, "bold yellow" if sign in ("⚠", "✗") else ""),
        "body": cell(words_to(n.body, body_width)),
    }


def note_whole(n: NoteView, site: SiteTime) -> Text:
    """The note under the cursor, whole (the list cuts it between words)."""
    text = Text()
    text.append(n.author, style="bold")
    text.append(f", {site.fmt(n.created_at, '%d %b %H:%M')} · {n.type}")
    for extra in (n.topic, n.adkar):
        if extra:
            text.append(" · ")
            text.append(extra)
    if n.follow_up_on:
        text.append(f" · follow up {n.follow_up_on}")
    text.append(f" · {n.visibility}")
    text.append("\n")
    text.append(" ".join(n.body.split()))
    return text
