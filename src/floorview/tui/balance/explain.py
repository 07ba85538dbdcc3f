"""The Balance screen's explain views and drills: the notes or intervals behind a figure."""

from __future__ import annotations

from floorview.domain.units import counted

from rich.text import Text

from floorview.config import Settings
from floorview.domain.attainment import BY_KEY, Attainment
from floorview.domain.balance import CONSTRAINTS, LABELS
from floorview.domain.metrics import INTERVAL
from floorview.store.balance import NoteLine
from floorview.tui.balance.cells import SHIFT_POINTS, format_target, format_value, hours
from floorview.tui.balance.data import BLOCK, DAY, OLD_TTL_S, RECENT_TTL_S, BalanceData
from floorview.tui.format import EMPTY, age, labelled, pct
from floorview.tui.modals.explain import ExplainScreen

DRILL_LIMIT = 300  # lines in a drill; the count above says how many there are in all


def _day(data: BalanceData, ts: float) -> str:
    return data.walk.site.fmt(ts, "%a %d %b %H:%M")


def _span(data: BalanceData) -> str:
    w = data.walk
    return (
        f"{_day(data, w.since)} to {_day(data, w.until)} {w.site.abbrev(w.until)}"
        f" (the last {w.days} days; w switches 7/30)"
    )


def explain_constraint(data: BalanceData, constraint: str) -> tuple[str, Text]:
    talk, walk = data.talk.priorities, data.walk
    stated = talk.shares()
    coached = walk.mix.shares()
    counts = walk.mix.counts
    shift = f"{SHIFT_POINTS * 100:.0f}"
    rows = [
        ("gap", "1/2 x sum over the four constraints of |stated share - coached share|, in points"),
        ("", "0: coaching is spread exactly as the weights say; the higher, the more coaching would"),
        ("", "have to move to another topic to match them"),
        (
            "stated",
            "each weight / the sum of the weights: "
            + ", ".join(f"{LABELS[c]} {talk.weight(c)}/{sum(talk.weights)} = {pct(stated[c])}" for c in talk.order),
        ),
        ("coached", "coaching notes (kudos and recovery notes left out) naming the topic / those naming any:"),
        ("", ", ".join(f"{LABELS[c]} {counts.get(c, 0)}" for c in CONSTRAINTS) + f" of {walk.mix.total}"),
        ("", f"▲ coached more than {shift} points above the stated share, ▼ more than {shift} points"),
        ("", f"below it, = within {shift} points of it"),
        ("result", f"{data.gap:.1f} points" if data.gap is not None else "no coaching notes in the window: –"),
        ("window", _span(data)),
        ("", ""),
        ("by week", "seven days at a time, the last ending now: each week's coaching against the ranking"),
        ("", "in force at its end (the last week: the ranking on screen, as the gap above)"),
    ]
    for w in data.weeks:
        mix = ", ".join(f"{LABELS[c]} {w.mix.counts.get(c, 0)}" for c in CONSTRAINTS)
        gap = f"{w.gap:.0f}" if w.gap is not None else EMPTY
        rows.append(("", f"{_day(data, w.start)} to {_day(data, w.end)}: gap {gap}  ({mix})"))
    rows += [
        ("", ""),
        (
            LABELS[constraint],
            f"rank {talk.rank(constraint)}, weight {talk.weight(constraint)} of 1 to 5; "
            f"coached {pct(coached[constraint]) if coached else EMPTY}",
        ),
        ("on target", "the mean, over the constraint's metrics, of the share of queue-intervals on target"),
        ("most", "hours missed: the metric whose queue-intervals off target add up to the most time"),
        (
            "ranking",
            "four constraints ranked 1 to 4, each weighed 1 to 5, a lower rank weighing less: "
            "ties are refused (u/d rank, +/- weight; balance.priorities in the config)",
        ),
    ]
    if constraint in ("cost", "time"):
        rows.append(("metrics", _WHY_SL))
    return f"Talk/walk gap — {LABELS[constraint]}", labelled(*rows)


# Service level is counted under Cost, as documented (README, the config):
# its target is the one agents are scheduled and paid to meet.
_WHY_SL = (
    "service level sits under Cost, not Time: its target is what the floor staffs to (agents are"
    " scheduled and paid to meet it), so missing it or beating it by far is a question of cost; Time"
    " holds what callers live through whatever the staffing: the average wait, long waits, abandons"
)


def explain_metric(data: BalanceData, key: str, settings: Settings) -> tuple[str, Text]:
    a = data.walk.results[key]
    m = a.metric
    where = data.walk.queue_names.get(a.longest_queue or "", a.longest_queue or EMPTY)
    rows = [
        ("metric", f"{m.label} ({LABELS[m.constraint]})"),
        ("formula", m.definition),
        *_floor_rows(a),
        (
            "target",
            format_target(a) + ("" if a.target is None else f" (balance.targets.{_setting_name(key)} in the config)"),
        ),
        (
            "checked",
            f"{counted(a.checked, 'queue-interval')} with something to count; {a.met:,} on target ({pct(a.on_target)})",
        ),
        ("missed", f"{counted(a.missed, 'queue-interval')} x 15 min = {hours(a.breached_s)}, summed over queues"),
        ("longest", f"{age(a.longest * INTERVAL)} in a row on {where}" if a.longest else EMPTY),
        ("window", _span(data)),
        ("fresh", _fresh(data.walk.days)),
        ("units", {"%": "share, %", "s": "seconds (m:ss, h:mm past an hour)", "pts": "QA points, 0 to 100"}[m.unit]),
    ]
    if key == "compliance":
        rows.insert(2, ("", f"a QA score under {settings.balance.targets.compliance_score:g} fails compliance"))
    if key == "sl":
        rows.append(("why Cost", _WHY_SL))
    if key == "repeats":
        window_h = settings.balance.targets.repeat_window_h
        rows.insert(2, ("", f"the repeat window is {window_h:g} hour{'' if window_h == 1 else 's'}"))
    return f"{m.label} — what the floor met", labelled(*rows)


def _fresh(days: int) -> str:
    """How soon a late QA score or survey counts, in a supervisor's words (see TallyCache)."""
    blocks_a_day = int(DAY // (BLOCK * INTERVAL))
    recent = max(RECENT_TTL_S // 60, blocks_a_day)  # one block re-read a minute at most
    older = max(OLD_TTL_S // 60, (days - 1) * blocks_a_day)
    later = f"about {older} min" if older < 90 else f"about {round(older / 60)} hours"
    return (
        "the last six hours are counted afresh each minute; what comes in later about an earlier contact"
        f" (a QA score, a survey, an outcome) counts within about {recent} min for the last day, within"
        f" {later} for older days"
    )


def _floor_rows(a: Attainment) -> list[tuple[str, str]]:
    m = a.metric
    if m.pools_channels or len(a.channels) <= 1:
        how = (
            "added up as counts over every queue, channel and interval"
            if m.pools_channels
            else ("pooled over every queue and interval")
        )
        rows = [("floor", f"{format_value(a.value, m.unit)}, {how} ({a.sample} counted)")]
    else:
        rows = [
            (
                "floor",
                "per channel only: a mean of time over voice, chat and email together means nothing"
                " (c picks the channel shown in the table)",
            )
        ]
    if len(a.channels) > 1:
        rows += [("", f"{c}: {format_value(v, m.unit)} ({n} counted)") for c, (v, n) in a.by_channel.items() if n]
    return rows


def _setting_name(key: str) -> str:
    return {"qa": "qa_score", "csat": "csat_good", "compliance": "compliance_fails"}.get(key, key)


def notes_panel(data: BalanceData, constraint: str, notes: list[NoteLine]) -> ExplainScreen:
    """The coaching notes behind a constraint's coached share (read by the screen off the loop)."""
    walk = data.walk
    total = walk.mix.counts.get(constraint, 0)
    text = Text()
    text.append(f"{counted(total, 'coaching note')} about {LABELS[constraint]}, {_span(data)}; newest first.\n\n")
    for n in notes:
        text.append(_day(data, n.created_at), style="bold")
        text.append("  ")
        text.append(n.agent_name or n.agent_id or "(no agent)")
        text.append(f"  {n.adkar or EMPTY}  {n.visibility}  by ")
        text.append(n.author)
        text.append("\n    ")
        body = n.body if len(n.body) <= 300 else n.body[:299] + "…"
        text.append(body.replace("\n", " "))
        text.append("\n")
    if total > len(notes):
        text.append(f"\n… and {total - len(notes):,} more.\n", style="dim")
    if not notes:
        text.append("None.\n")
    return ExplainScreen(
        f"Notes behind {LABELS[constraint]} — coached {pct((walk.mix.shares() or {}).get(constraint))}", text
    )


def breaches_panel(data: BalanceData, key: str) -> ExplainScreen:
    a = data.walk.results[key]
    m = BY_KEY[key]
    names = data.walk.queue_names
    text = Text()
    text.append(
        f"{a.missed:,} of {counted(a.checked, 'queue-interval')} missed target ({hours(a.breached_s)} in all), "
        f"{_span(data)}; newest first.\n\n"
    )
    for b in a.breaches:  # the newest, as many as the walk keeps
        text.append(_day(data, b.interval * INTERVAL), style="bold")
        text.append("  ")
        text.append(names.get(b.queue_id, b.queue_id))
        sign = "≥" if m.higher_is_better else "≤"
        text.append(f"  {format_value(b.value, m.unit)} (target {sign} {format_value(b.target, m.unit)})\n")
    if a.missed > len(a.breaches):
        text.append(f"\n… and {a.missed - len(a.breaches):,} more.\n", style="dim")
    if not a.breaches:
        text.append("None.\n")
    return ExplainScreen(f"Intervals behind {m.label}", text)
