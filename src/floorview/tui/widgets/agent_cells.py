"""Agent rows, shared by the Agents screen and a queue's drill-down."""

from __future__ import annotations

from rich.text import Text

from floorview.store.reads import AgentSnapshot
from floorview.tui.format import (
    ESCALATION_MARK,
    age,
    ESCALATION_STYLE,
    cell,
    duration,
    escalation,
    num,
)
from floorview.tui.widgets.live_table import Column

STATE_LABEL = {
    "available": ("●", "Available", "green"),
    "on_contact": ("◉", "On contact", "cyan"),
    "after_contact_work": ("◑", "Wrap-up", "blue"),
    "not_ready": ("○", "Not ready", "yellow"),
    "offline": ("·", "Offline", "dim"),
}


def agent_columns(width: int) -> list[Column]:
    """Narrow: the essentials, the reason folded into the state. Wide: team and
    reason of their own. Very wide: the queues each agent serves too."""
    if width < 110:
        return [
            Column("name", "Agent", 16),
            Column("state", "State", 12),
            Column("time", "In state", 8, "right"),
            Column("queue", "Queue", 12),
            Column("handled", "Hdl", 3, "right"),
            Column("aht", "AHT", 5, "right"),
            Column("qa", "QA", 3, "right"),
        ]
    roomy = width >= 150
    columns = [
        Column("name", "Agent", 22 if roomy else 20),
        Column("team", "Team", 12 if roomy else 10),
        Column("state", "State", 12),
        Column("time", "In state", 8, "right"),
        Column("reason", "Reason", 12),
        Column("queue", "Queue", 16),
        Column("handled", "Handled", 7, "right"),
        Column("aht", "AHT", 6, "right"),
        Column("qa", "QA", 5, "right"),
    ]
    if roomy:
        columns.append(Column("serves", "Serves", max(16, width - 125)))
    return columns


def state_cell(a: AgentSnapshot, with_reason: bool) -> Text:
    sign, word, style = STATE_LABEL.get(a.state, ("?", a.state, ""))
    if with_reason and a.state == "not_ready" and a.reason:
        word = a.reason.capitalize()
    return cell(f"{sign} {word}", style)


def time_cell(a: AgentSnapshot, now: float, thresholds: dict[str, list[float]]) -> Text:
    seconds = max(0.0, now - a.state_since)
    level = escalation(seconds, thresholds.get(a.state, [])) if a.state in thresholds else 0
    return num(f"{age(seconds)}{ESCALATION_MARK[level]}", ESCALATION_STYLE[level])


def agent_cells(a: AgentSnapshot, now: float, thresholds: dict[str, list[float]], wide: bool) -> dict[str, Text]:
    return {
        "name": cell(a.name),
        "team": cell(a.team),
        "state": state_cell(a, with_reason=not wide),
        "time": time_cell(a, now, thresholds),
        "reason": cell(a.reason or ""),
        "queue": cell(a.queue_name or ""),
        "handled": num(str(a.handled_today)),
        "aht": num(duration(a.aht_today)),
        "qa": num(f"{a.qa_today:.0f}" if a.qa_today is not None else "–"),
        "serves": cell(a.queue_names),
    }


def agent_haystack(a: AgentSnapshot) -> dict[str, str]:
    return {
        "name": a.name.lower(),
        "team": a.team.lower(),
        "state": f"{a.state} {STATE_LABEL.get(a.state, ('', a.state))[1]}".lower(),
        "queue": f"{a.queue_name or ''} {a.queue_id or ''} {' '.join(a.queues)} {a.queue_names}".lower(),
        "reason": (a.reason or "").lower(),
    }


def matches(a: AgentSnapshot, query: str) -> bool:
    """`query` words must all match: plain words anywhere, `team:`, `state:`,
    `queue:` or `reason:` words in that field only."""
    hay = agent_haystack(a)
    anywhere = " ".join(hay.values())
    for word in query.lower().split():
        field, sep, value = word.partition(":")
        if sep and field in hay:
            if value.replace("_", " ") not in hay[field].replace("_", " "):
                return False
        elif word not in anywhere:
            return False
    return True
