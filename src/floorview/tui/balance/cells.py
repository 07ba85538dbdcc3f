"""The Balance panel's data as cells and lines: plain Text, never markup."""

from __future__ import annotations

from floorview.domain.units import counted

from collections.abc import Callable

from rich.text import Text

from floorview.domain.attainment import Attainment, constraint_attainment, meets
from floorview.domain.balance import LABELS, WEIGHT_MAX
from floorview.domain.metrics import INTERVAL, Level
from floorview.tui.balance.data import BalanceData
from floorview.tui.format import EMPTY, age, cell, duration, judged, num, pct

SHIFT_POINTS = 0.05  # coached share this far from the stated share gets an arrow


def hours(seconds: float) -> str:
    """Queue-hours missed: summed over queues, so it can exceed the window."""
    if 0 < seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:,.0f} h"


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return EMPTY
    if unit == "%":
        return pct(value, 1)
    if unit == "s":
        return duration(value)
    return f"{value:.1f}"


def format_target(a: Attainment) -> str:
    m = a.metric
    if a.target is None:
        return "per queue"
    return ("≥ " if m.higher_is_better else "≤ ") + format_value(a.target, m.unit)


def floor_value(a: Attainment, channel: str | None) -> tuple[float | None, str]:
    """The floor figure shown for a metric, and the label it goes by: time
    averages over several channels are shown for one channel, never pooled."""
    m = a.metric
    if m.pools_channels or len(a.channels) <= 1 or channel is None:
        return a.value, m.label
    return a.by_channel.get(channel, (None, 0))[0], f"{m.label} · {channel}"


def coached_cell(share: float | None, stated: float) -> Text:
    """The coached share, marked ▲ above the stated share (by more than 5
    points), ▼ below it, = within (the explain view says so)."""
    if share is None:
        return num(EMPTY)
    if share > stated + SHIFT_POINTS:
        return num(f"▲ {pct(share)}", "bold")
    if share < stated - SHIFT_POINTS:
        return num(f"▼ {pct(share)}")
    return num(f"= {pct(share)}")


def most_missed(data: BalanceData, constraint: str) -> Attainment:
    """The constraint's metric with the most queue-hours missed (then the longest run)."""
    return max(
        (a for a in data.walk.results.values() if a.metric.constraint == constraint),
        key=lambda a: (a.missed, a.longest),
    )


def constraint_rows(data: BalanceData) -> list[tuple[str, dict[str, Text]]]:
    talk, walk = data.talk.priorities, data.walk
    stated = talk.shares()
    coached = walk.mix.shares()
    rows = []
    for c in talk.order:
        worst = most_missed(data, c)
        weight = talk.weight(c)
        rows.append(
            (
                c,
                {
                    "rank": num(str(talk.rank(c))),
                    "name": cell(LABELS[c], "bold" if talk.rank(c) == 1 else ""),
                    "weight": cell(f"{weight} " + "●" * weight + "○" * (WEIGHT_MAX - weight)),
                    "stated": num(pct(stated[c])),
                    "coached": coached_cell(coached[c] if coached else None, stated[c]),
                    "on_target": num(pct(constraint_attainment(walk.results, c))),
                    "worst": cell(worst.metric.label if worst.missed else EMPTY),
                },
            )
        )
    return rows


def metric_cells(
    a: Attainment, constraint: str, names: dict[str, str], channel: str | None, verdicts: bool
) -> dict[str, Text]:
    """A metric's row; no ✓/✗ without `verdicts` (the store is catching up)."""
    m = a.metric
    shown, label = floor_value(a, channel)
    value = format_value(shown, m.unit)
    if verdicts and shown is not None and a.target is not None:
        value_cell = judged(value, Level.OK if meets(shown, a.target, m.higher_is_better) else Level.BREACH)
    else:
        value_cell = num(value)
    return {
        "constraint": cell(constraint, "bold"),
        "metric": cell(label),
        "value": value_cell,
        "target": num(format_target(a)),
        "on_target": num(pct(a.on_target)),
        "breached": num(hours(a.breached_s) if a.checked else EMPTY),
        "longest": num(age(a.longest * INTERVAL) if a.longest else EMPTY),
        "where": cell(names.get(a.longest_queue or "", a.longest_queue or "")),
    }


def summary(data: BalanceData, wide: bool, when: Callable[[float], str]) -> Text:
    """The gap, its weekly trend, the sentence and who set the ranking.

    The trend's weeks are seven days each, the last ending now: with the
    7-day window its figure is the headline's, ranked as the headline is."""
    walk = data.walk
    text = Text()
    gap = data.gap
    text.append("Talk/walk gap " if wide else "Gap ", style="bold")
    points = f"{gap:.0f}" if gap is not None else None
    text.append(f"{points} point{'' if points == '1' else 's'}" if points is not None else EMPTY, style="bold")
    notes = counted(walk.mix.total, "coaching note") if wide else counted(walk.mix.total, "note")
    text.append(f" ({notes}) · ")
    weeks = data.weeks if wide else data.weeks[-3:]
    text.append("by week, oldest first:" if wide else "weeks:")
    for w in weeks:
        text.append(f" {w.gap:.0f}" if w.gap is not None else f" {EMPTY}")
    text.append("\n")
    text.append(data.sentence)
    text.append("\n")
    saved = data.talk.saved
    if saved is None:
        text.append("Ranking from the config file", style="dim")
    else:
        text.append("Ranking set by ", style="dim")
        text.append(saved.set_by, style="dim")  # a Text span: never markup
        text.append(f" on {when(saved.set_at)}", style="dim")
    if wide:
        text.append(" · u/d rank, +/- weight, enter lists what is behind a figure", style="dim")
    return text


def title_parts(days: int, since: str | None, reading: bool, partial: bool) -> list[list[str]]:
    """The title's parts, longest wording first: the screen takes the first that fits.

    `since`: the first day the store holds, when the window reaches before it."""
    states = (["reading…"] if reading else []) + (["catching up"] if partial else [])
    if since is None:
        return [[f"last {days} days (w)", *states], [f"{days} days (w)", *states], [f"{days} days", *states]]
    return [
        [f"last {days} days (w)", f"data from {since}", *states],
        [f"{days} days (w), data from {since}", *states],
        [f"{days} days (w), from {since}", *states],
        [f"{days} days, from {since}", *states],
    ]
