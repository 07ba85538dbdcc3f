"""Agent rows, shared by the Agents screen and a queue's drill-down: the
columns, the cells, the `/` filter and what `e` says about each cell.

States read as floorview.domain.vocabulary names them, everywhere: the
State column, `/state:` (which also finds a Not ready agent by the reason
the narrow State column shows in place of the word) and the explanations.
"""

from __future__ import annotations

from rich.text import Text

from floorview.config import Settings
from floorview.domain.sitetime import SiteTime
from floorview.domain.vocabulary import STATE_LABELS, state_label
from floorview.store.reads import AgentSnapshot
from floorview.tui.format import ESCALATION_MARK, ESCALATION_STYLE, age, cell, duration, escalation, labelled, num
from floorview.tui.widgets.live_table import Column

# state id -> (sign, label, style): the sign says it without colour
_SIGNS: dict[str, tuple[str, str]] = {
    "available": ("●", "green"),
    "on_contact": ("◉", "cyan"),
    "after_contact_work": ("◑", "blue"),
    "not_ready": ("○", "yellow"),
    "offline": ("·", "dim"),
}
STATE_LABEL: dict[str, tuple[str, str, str]] = {
    state: (sign, STATE_LABELS[state], style) for state, (sign, style) in _SIGNS.items()
}
# What each state means (docs/feed-protocol.md), for `e` on the State column.
STATE_MEANING: dict[str, str] = {
    "available": "logged in and free: the next contact of a queue they serve can go to them",
    "on_contact": "talking to (or writing with) a customer",
    "after_contact_work": "finishing a contact they have ended: notes, forms, follow-ups",
    "not_ready": "logged in but taking no contacts, for the reason they gave",
    "offline": "logged out",
}
# The column headers, whole, for the explanation's title.
COLUMN_NAMES: dict[str, str] = {
    "name": "agent",
    "team": "team",
    "state": "state",
    "time": "time in state",
    "reason": "reason",
    "queue": "queue",
    "handled": "handled today",
    "aht": "AHT today",
    "qa": "QA today",
    "serves": "queues served",
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


def state_word(a: AgentSnapshot, with_reason: bool) -> str:
    """The word of the State column: the state's label, or a Not ready agent's
    reason where the reason has no column of its own."""
    if with_reason and a.state == "not_ready" and a.reason:
        return a.reason.capitalize()
    return state_label(a.state)


def state_cell(a: AgentSnapshot, with_reason: bool) -> Text:
    sign, _, style = STATE_LABEL.get(a.state, ("?", a.state, ""))
    return cell(f"{sign} {state_word(a, with_reason)}", style)


def time_level(a: AgentSnapshot, now: float, thresholds: dict[str, list[float]], partial: bool = False) -> int:
    """0 to 3: how far past the state's thresholds the agent is; 0 while
    catching up (a partial store gives no verdict)."""
    if partial or a.state not in thresholds:
        return 0
    return escalation(max(0.0, now - a.state_since), thresholds[a.state])


def time_cell(a: AgentSnapshot, now: float, thresholds: dict[str, list[float]], partial: bool = False) -> Text:
    level = time_level(a, now, thresholds, partial)
    return num(f"{age(max(0.0, now - a.state_since))}{ESCALATION_MARK[level]}", ESCALATION_STYLE[level])


def agent_cells(
    a: AgentSnapshot, now: float, thresholds: dict[str, list[float]], wide: bool, partial: bool = False
) -> dict[str, Text]:
    return {
        "name": cell(a.name),
        "team": cell(a.team),
        "state": state_cell(a, with_reason=not wide),
        "time": time_cell(a, now, thresholds, partial),
        "reason": cell(a.reason or ""),
        "queue": cell(a.queue_name or ""),
        "handled": num(str(a.handled_today)),
        "aht": num(duration(a.aht_today)),
        "qa": num(f"{a.qa_today:.0f}" if a.qa_today is not None else "–"),
        "serves": cell(a.queue_names),
    }


def agent_haystack(a: AgentSnapshot) -> dict[str, str]:
    reason = (a.reason or "").lower()
    return {
        "name": a.name.lower(),
        "team": a.team.lower(),
        # the id, the label, and the reason a Not ready agent's State cell shows
        "state": f"{a.state} {state_label(a.state)} {reason if a.state == 'not_ready' else ''}".lower(),
        "queue": f"{a.queue_name or ''} {a.queue_id or ''} {' '.join(a.queues)} {a.queue_names}".lower(),
        "reason": reason,
    }


def matches(a: AgentSnapshot, query: str) -> bool:
    """`query` words must all match: plain words anywhere, `team:`, `state:`,
    `queue:` or `reason:` words in that field only. `state:` matches the
    state's id or label (`state:wrap-up`, `state:not_ready`) and a Not ready
    agent's reason (`state:break`), as the State column shows it."""
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


# -- `e`: what a cell means ----------------------------------------------------------
def explain_agent(
    a: AgentSnapshot,
    column: str,
    now: float,
    settings: Settings,
    *,
    site: SiteTime | None = None,
    partial: bool = False,
    customer_id: str | None = None,
) -> tuple[str, Text]:
    """The explanation of one cell of an agent's row: the agent (the name
    cell: the whole row in brief) or the figure of that column."""
    thresholds = settings.agents.time_in_state
    label = state_label(a.state)
    since = f" (since {site.stamp(a.state_since, '%H:%M')})" if site else ""
    today = f"today (site time, {site.name})" if site else "today (site time)"
    rows: list[tuple[str, str]]
    if column == "team":
        rows = [
            ("team", a.team),
            ("", "the team the feed puts the agent in; `t` shows one team at a time, `/team:` finds one"),
        ]
    elif column == "state":
        sign = STATE_LABEL.get(a.state, ("?",))[0]
        rows = [("state", f"{sign} {label}: {STATE_MEANING.get(a.state, 'a state this floorview does not know')}")]
        if a.state == "not_ready":
            rows.append(("reason", a.reason or "none given"))
            rows.append(("", "where the table has no Reason column, the reason shows in place of Not ready"))
        rows += [
            ("signs", ", ".join(f"{s} {w}" for s, w, _ in STATE_LABEL.values())),
            ("filter", "`f` shows one state at a time; `/state:` finds a state or a Not ready reason"),
        ]
    elif column == "time":
        rows = [("in state", f"{label} for {duration(now - a.state_since)}{since}: now minus when it began")]
        marks = thresholds.get(a.state, [])
        if marks:
            names = ("·", "!", "!!")
            rows.append(
                (
                    "marks",
                    ", ".join(f"{m} from {duration(t)}" for m, t in zip(names, marks))
                    + f" in {label} (agents.time_in_state.{a.state})",
                )
            )
            if partial:
                rows.append(("now", "catching up: no marks until the store has caught up with the hub"))
            else:
                level = time_level(a, now, thresholds)
                rows.append(
                    ("now", f"{names[level - 1]}: past {duration(marks[level - 1])}" if level else "no mark yet")
                )
        else:
            rows.append(("marks", f"none for {label} (agents.time_in_state.{a.state} is not set)"))
    elif column == "reason":
        if a.state == "not_ready":
            rows = [("reason", a.reason or "none given"), ("", "why the agent is Not ready, as their platform says")]
        else:
            rows = [("reason", "none: a reason is given for Not ready only"), ("state", label)]
    elif column == "queue":
        rows = [("queue", a.queue_name or a.queue_id or "none")]
        if a.queue_id:
            rows.append(("", f"the queue of the contact the agent is on now ({a.queue_id})"))
            rows.append(("customer", customer_id or "not known: the contact names no customer"))
        else:
            rows.append(("", f"the queue of the contact the agent is on; {label}: on no contact now"))
    elif column == "handled":
        rows = [
            ("handled", f"{a.handled_today} contact{'' if a.handled_today == 1 else 's'}"),
            ("", f"answered and ended by this agent {today}, counted by when each was enqueued"),
        ]
    elif column == "aht":
        rows = [
            ("AHT", duration(a.aht_today)),
            ("formula", "(talk + after-contact work) / handled"),
            ("", f"= {a.handle_s_today:.0f} s / {a.handled_today} = {duration(a.aht_today)}, {today}"),
        ]
    elif column == "qa":
        scores = f"{a.qa_count} quality score{'' if a.qa_count == 1 else 's'}"
        rows = [
            ("QA", f"{a.qa_today:.1f}" if a.qa_today is not None else "none scored yet"),
            ("", f"the mean of {scores} (0–100) given to this agent's contacts {today}"),
        ]
    elif column == "serves":
        rows = [
            ("serves", a.queue_names or "none"),
            ("", "the queues the agent is staffed on: their contacts can go to them; `/queue:` finds one"),
        ]
    else:  # the name cell: who, and the whole row in brief
        return f"{a.name}: the agent", _summary(a, now, thresholds, label, since, today, partial)
    return f"{a.name}: {COLUMN_NAMES.get(column, column.replace('_', ' '))}", labelled(*rows)


def _summary(
    a: AgentSnapshot,
    now: float,
    thresholds: dict[str, list[float]],
    label: str,
    since: str,
    today: str,
    partial: bool,
) -> Text:
    marks = thresholds.get(a.state, [])
    rows = [
        ("agent", f"{a.name} ({a.id}), team {a.team}"),
        ("state", f"{label}{f' ({a.reason})' if a.reason else ''} for {duration(now - a.state_since)}{since}"),
    ]
    if marks:
        escalates = ", ".join(duration(t) for t in marks)
        rows.append(("escalates", f"at {escalates} in this state (agents.time_in_state.{a.state}): · then ! then !!"))
        if partial:
            rows.append(("", "catching up: no marks until the store has caught up with the hub"))
    rows += [
        ("queues", ", ".join(a.queues) or "none"),
        ("handled", f"{a.handled_today} contact{'' if a.handled_today == 1 else 's'} answered and ended {today}"),
        (
            "AHT",
            f"(talk + after-contact work) / handled = {a.handle_s_today:.0f} s / {a.handled_today}"
            f" = {duration(a.aht_today)}",
        ),
        (
            "QA",
            f"mean of {a.qa_count} quality score{'' if a.qa_count == 1 else 's'} today (0–100)"
            + (f" = {a.qa_today:.1f}" if a.qa_today is not None else ""),
        ),
        ("", "← → move between the figures; e explains the one under the cursor"),
    ]
    return labelled(*rows)
