"""Explanations of the Queues panel's figures: what each is, its formula and
inputs, the threshold or target it is judged by, the window it covers, units.

One view per column of the Queues screen (`QUEUE_VIEWS`), the drill-down's
summary line and rows, all from the same functions. Clock times are the
site's (`SiteTime`), never the host's; a queue's "today" starts at midnight
in the queue's own zone (the feed's daily reset), and the view says so in
both zones when they differ.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text

from floorview.domain.metrics import INTERVAL, MINUTE, PATIENT, WINDOW, Counts, QueueFigures
from floorview.domain.sitetime import SiteTime
from floorview.tui.format import EMPTY, duration, labelled, pct
from floorview.tui.queues.cells import contacts, oldest_wait, short_duration

if TYPE_CHECKING:
    from floorview.config import Settings
    from floorview.store.reads import AgentSnapshot, QueueSnapshot, WaitingContact
    from floorview.tui.queues.data import QueueRow


EXPLAIN_WIDTH = 54  # a value's width that fits the explain panel at 80 columns, beside its label
CATCHING_UP = "catching up: no sign until the store has caught up with the hub, as these counts are of part of the day"


def wrapped(*rows: tuple[str, str], width: int = EXPLAIN_WIDTH) -> Text:
    """labelled(), with long values wrapped onto continuation lines under the value."""
    out: list[tuple[str, str]] = []
    for label, value in rows:
        lines = textwrap.wrap(value, width, break_on_hyphens=False) or [""]
        out.append((label, lines[0]))
        out += [("", line) for line in lines[1:]]
    return labelled(*out)


def _hm(ts: float, site: SiteTime) -> str:
    return site.fmt(ts, "%H:%M")


def span_words(seconds: float) -> str:
    """A threshold in words: "20 s", "2 min", "8 h", "1 h 30 min"."""
    s = float(seconds)
    if s >= 60 and s % 60 == 0:
        h, m = divmod(int(s) // 60, 60)
        if not h:
            return f"{m} min"
        return f"{h} h" if not m else f"{h} h {m} min"
    return f"{s:g} s"


def minutes_seconds(seconds: float) -> str:
    """A span to the second, in words: "29 min 0 s"."""
    m, s = divmod(int(seconds), 60)
    return f"{m} min {s} s" if m else f"{s} s"


def today_span(snap: QueueSnapshot, now: float, site: SiteTime) -> str:
    """Where "today" starts for a queue: its own midnight, in the site's time too
    when the queue's zone is not the site's."""
    start = now - snap.today_s
    end = f"to {_hm(now, site)} {site.abbrev(now)}"
    if not snap.timezone or snap.timezone == site.name:
        return f"since {_hm(start, site)} (midnight, {site.name}) {end}"
    own = SiteTime(snap.timezone)
    return f"since {_hm(start, own)} {snap.timezone} ({_hm(start, site)} site time, {site.name}) {end}"


def window_words(snap: QueueSnapshot, now: float, site: SiteTime) -> str:
    """The rolling window and why it is a little under or over 30 minutes: it
    is kept as 30 one-minute counts, the latest of them still under way (m27)."""
    start = now - snap.window_s
    return (
        f"the last {WINDOW // MINUTE} minutes, counted by the minute: {_hm(start, site)} to "
        f"{site.stamp(now, '%H:%M:%S')}, the minute under way ({_hm(now, site)}) so far, "
        f"so {minutes_seconds(snap.window_s)} of contacts, by time enqueued"
    )


@dataclass(frozen=True, slots=True)
class Context:
    """What an explanation of a queue's figure depends on besides the queue."""

    now: float
    settings: Settings
    site: SiteTime
    today: bool = False  # the Queues screen's window is today (`w`)
    scoped: bool = False  # the token sees part of the floor
    partial: bool = False  # the store is catching up: no verdicts


def _period(row: QueueRow, ctx: Context, today: bool) -> tuple[Counts, QueueFigures, str, str]:
    """The counts and figures of the window or today, its name and its span in words."""
    snap = row.snap
    if today:
        return snap.today, row.today, "today", f"{today_span(snap, ctx.now, ctx.site)}, by time enqueued"
    return snap.window, row.window, "last 30 min", window_words(snap, ctx.now, ctx.site)


def _signs(ctx: Context, rule: str) -> str:
    return CATCHING_UP if ctx.partial else rule


def _name(snap: QueueSnapshot) -> str:
    return f"{snap.name} ({snap.id})"


# -- one view per column ------------------------------------------------------------------
View = Callable[["QueueRow", Context], tuple[str, Text]]


def explain_name(row: QueueRow, ctx: Context) -> tuple[str, Text]:
    snap, s = row.snap, row.snap.settings
    return f"Queue — {_name(snap)}", wrapped(
        ("queue", f"{snap.name}, id {snap.id}, {snap.channel}: a row of its figures, each against its target"),
        (
            "threshold",
            f"{span_words(s.sl_threshold_s)}: answered within it counts toward service level; "
            f"hang-ups under {span_words(s.short_abandon_s)} are short abandons, counted nowhere but offered",
        ),
        (
            "targets",
            f"service level {pct(s.sl_target)}; abandon rate "
            + (f"at most {pct(s.abandon_target)}" if s.abandon_target is not None else "none set")
            + "; AHT "
            + (f"at most {duration(s.aht_target_s)}" if s.aht_target_s else "none set"),
        ),
        ("window", f"SL 30m and the other figures: {window_words(snap, ctx.now, ctx.site)}"),
        ("today", f"Today, and the others after w: {today_span(snap, ctx.now, ctx.site)} (zone {snap.timezone})"),
        ("times", f"shown in site time, {ctx.site.describe()}"),
        ("keys", "enter: who waits and who serves it; x: the what-if; ← →: a figure, e explains it"),
    )


def explain_channel(row: QueueRow, ctx: Context) -> tuple[str, Text]:
    snap, s = row.snap, row.snap.settings
    return f"Channel — {_name(snap)}", wrapped(
        ("channel", f"{snap.channel}: how this queue's contacts come in, as the feed names it"),
        (
            "threshold",
            f"{span_words(s.sl_threshold_s)} for this queue: a channel's contacts are judged by its own "
            "threshold, so compare waits within a channel (the sort by wait past threshold does that)",
        ),
        ("window", "a setting of the queue, not a count: no window"),
        ("filter", f"/ {snap.channel} lists this channel's queues alone"),
    )


def explain_sl(row: QueueRow, ctx: Context, today: bool) -> tuple[str, Text]:
    snap, s = row.snap, row.snap.settings
    c, f, when, span = _period(row, ctx, today)
    threshold = span_words(s.sl_threshold_s)
    den = c.answered + c.abandoned
    margin = ctx.settings.queues.sl_warn_margin
    return f"Service level, {when} — {_name(snap)}", wrapped(
        ("formula", "answered within threshold / (answered + abandoned)"),
        ("", f"abandons under {span_words(s.short_abandon_s)} are short abandons and count in neither"),
        (
            "inputs",
            f"answered within {threshold}: {c.answered_in_sl}; answered: {c.answered}; "
            f"abandoned: {c.abandoned}; short abandons left out: {c.short_abandoned}",
        ),
        (
            "result",
            f"{c.answered_in_sl} / {den} = {pct(f.service_level, 1)}"
            if den
            else "no answered or abandoned contacts yet: –",
        ),
        ("threshold", f"{threshold}: the queue's own (queue setting)"),
        (
            "target",
            f"{pct(s.sl_target)} within {threshold}; "
            + _signs(ctx, f"✓ met, ! within {margin * 100:g} points (queues.sl_warn_margin), ✗ beyond"),
        ),
        ("window", span),
        ("units", "share of contacts, %"),
    )


def explain_offered(row: QueueRow, ctx: Context) -> tuple[str, Text]:
    snap = row.snap
    c, f, when, span = _period(row, ctx, ctx.today)
    open_ = max(0, c.offered - c.answered - c.abandoned - c.short_abandoned)
    return f"Offered, {when} — {_name(snap)}", wrapped(
        ("formula", "contacts enqueued in the window, whatever became of them"),
        (
            "inputs",
            f"{c.answered} answered + {c.abandoned} abandoned + {c.short_abandoned} short abandons "
            f"+ {open_} not answered or abandoned yet",
        ),
        ("result", contacts(c.offered)),
        ("threshold", "none: a count, with no target; the arrival rate behind Need/have"),
        ("window", span),
        ("units", "contacts"),
    )


def explain_answered(row: QueueRow, ctx: Context) -> tuple[str, Text]:
    snap, s = row.snap, row.snap.settings
    c, f, when, span = _period(row, ctx, ctx.today)
    return f"Answered, {when} — {_name(snap)}", wrapped(
        ("formula", "contacts enqueued in the window that an agent has answered"),
        (
            "inputs",
            f"{c.answered_in_sl} of them within the {span_words(s.sl_threshold_s)} threshold, "
            f"{c.answered - c.answered_in_sl} after it; {c.handled} finished (handled)",
        ),
        ("result", contacts(c.answered)),
        ("threshold", f"no target of its own: answered within {span_words(s.sl_threshold_s)} makes service level"),
        ("window", span),
        ("units", "contacts"),
    )


def explain_abandoned(row: QueueRow, ctx: Context) -> tuple[str, Text]:
    snap, s = row.snap, row.snap.settings
    c, f, when, span = _period(row, ctx, ctx.today)
    return f"Abandoned, {when} — {_name(snap)}", wrapped(
        ("formula", f"contacts that hung up after waiting {span_words(s.short_abandon_s)} or more"),
        (
            "inputs",
            f"{c.short_abandoned} hung up sooner (short abandons) and are left out here; the "
            "staffing model's patience counts every hang-up: all waits / all hang-ups",
        ),
        ("result", contacts(c.abandoned)),
        (
            "threshold",
            f"short abandon limit {span_words(s.short_abandon_s)}; the abandon rate (Aband) is judged by "
            + (f"its target, at most {pct(s.abandon_target)}" if s.abandon_target is not None else "no target here"),
        ),
        ("window", span),
        ("units", "contacts"),
    )


def explain_asa(row: QueueRow, ctx: Context) -> tuple[str, Text]:
    snap, s = row.snap, row.snap.settings
    c, f, when, span = _period(row, ctx, ctx.today)
    return f"Average speed of answer, {when} — {_name(snap)}", wrapped(
        ("formula", "total wait of answered contacts / answered"),
        ("inputs", f"total wait {c.answer_wait_s:.0f} s over {contacts(c.answered)} answered"),
        ("result", f"{duration(f.asa_s)} (shown as {short_duration(f.asa_s)})"),
        (
            "threshold",
            f"no ASA target, so no sign; the queue's {span_words(s.sl_threshold_s)} threshold judges each "
            "contact's wait in service level",
        ),
        ("window", span),
        ("units", "seconds; m:ss past a minute, 12m past ten minutes, 1h05 past an hour"),
    )


def explain_abandon(row: QueueRow, ctx: Context) -> tuple[str, Text]:
    snap, s = row.snap, row.snap.settings
    c, f, when, span = _period(row, ctx, ctx.today)
    margin = ctx.settings.queues.abandon_warn_margin
    return f"Abandon rate, {when} — {_name(snap)}", wrapped(
        ("formula", "abandoned / (answered + abandoned)"),
        ("", f"abandons under {span_words(s.short_abandon_s)} (short abandons) are left out"),
        ("inputs", f"abandoned {c.abandoned}; answered {c.answered}; short abandons {c.short_abandoned}"),
        ("result", pct(f.abandon_rate, 1)),
        (
            "target",
            f"at most {pct(s.abandon_target)}; "
            + _signs(ctx, f"✓ met, ! within {margin * 100:g} points (queues.abandon_warn_margin), ✗ beyond")
            if s.abandon_target is not None
            else "none set for this queue: no sign",
        ),
        ("window", span),
        ("units", "share of contacts, %"),
    )


def explain_aht(row: QueueRow, ctx: Context) -> tuple[str, Text]:
    snap, s = row.snap, row.snap.settings
    c, f, when, span = _period(row, ctx, ctx.today)
    margin = ctx.settings.queues.aht_warn_margin_s
    return f"Average handle time, {when} — {_name(snap)}", wrapped(
        ("formula", "(talk time + after-contact work) / handled contacts"),
        ("inputs", f"{c.handle_s:.0f} s of handling over {contacts(c.handled)} handled"),
        ("result", duration(f.aht_s)),
        (
            "target",
            f"at most {duration(s.aht_target_s)}; "
            + _signs(ctx, f"✓ met, ! within {margin:g} s (queues.aht_warn_margin_s), ✗ beyond")
            if s.aht_target_s
            else "none set for this queue: no sign",
        ),
        ("window", span),
        ("units", "seconds (m:ss)"),
    )


def explain_waiting(row: QueueRow, ctx: Context) -> tuple[str, Text]:
    snap = row.snap
    return f"Waiting now — {_name(snap)}", wrapped(
        ("formula", "contacts queued now: enqueued, not yet answered, abandoned or ended"),
        (
            "inputs",
            f"{contacts(snap.waiting)} waiting; the oldest since "
            + (
                f"{_hm(snap.oldest_enqueued_at, ctx.site)} {ctx.site.abbrev(snap.oldest_enqueued_at)}"
                if snap.oldest_enqueued_at is not None
                else "– (nobody waits)"
            ),
        ),
        ("result", contacts(snap.waiting)),
        ("threshold", "no target for how many: the oldest wait (Oldest) is judged by the queue's threshold"),
        ("window", f"now, {ctx.site.stamp(ctx.now, '%H:%M:%S')}: not a period"),
        ("units", "contacts"),
    )


def explain_oldest(row: QueueRow, ctx: Context) -> tuple[str, Text]:
    snap, s = row.snap, row.snap.settings
    oldest, wait = snap.oldest_enqueued_at, oldest_wait(row, ctx.now)
    threshold = span_words(s.sl_threshold_s)
    return f"Oldest wait — {_name(snap)}", wrapped(
        ("formula", "now minus the time the longest-waiting contact was enqueued"),
        (
            "inputs",
            f"enqueued {_hm(oldest, ctx.site)} {ctx.site.abbrev(oldest)}, now {ctx.site.fmt(ctx.now, '%H:%M:%S')}"
            if oldest is not None
            else "nobody waiting",
        ),
        ("result", f"{duration(wait)} (shown as {short_duration(wait)})" if wait is not None else EMPTY),
        (
            "threshold",
            f"{threshold}, the queue's: "
            + _signs(ctx, f"✓ up to it, ! up to twice it ({span_words(2 * s.sl_threshold_s)}), ✗ beyond"),
        ),
        ("window", "now, counting up each second"),
        ("units", "45s, 3:07; 12m past ten minutes, 1h05 past an hour, 12h, 3d"),
    )


def explain_available(row: QueueRow, ctx: Context) -> tuple[str, Text]:
    snap = row.snap
    st = snap.staffing
    by = st.by_state
    return f"Available agents — {_name(snap)}", wrapped(
        ("formula", "agents serving this queue whose state is available now"),
        (
            "inputs",
            f"of those serving it: available {by.get('available', 0)}, on contact {by.get('on_contact', 0)}, "
            f"wrap-up {by.get('after_contact_work', 0)}, not ready {by.get('not_ready', 0)}, "
            f"offline {by.get('offline', 0)}",
        ),
        ("result", str(by.get("available", 0))),
        (
            "threshold",
            "no target of its own: they count in Need/have's have, with those on this queue's contacts; "
            "an agent serving several queues counts in each",
        ),
        ("window", "now"),
        ("units", "agents"),
    )


def explain_occupancy(row: QueueRow, ctx: Context) -> tuple[str, Text]:
    snap = row.snap
    by = snap.staffing.by_state
    busy = by.get("on_contact", 0) + by.get("after_contact_work", 0)
    free = by.get("available", 0)
    return f"Occupancy — {_name(snap)}", wrapped(
        ("formula", "(on contact + wrap-up) / (those + available), of the agents serving this queue"),
        (
            "inputs",
            f"on contact {by.get('on_contact', 0)}, wrap-up {by.get('after_contact_work', 0)}: "
            f"{busy} busy, on any queue's contact; available {free}",
        ),
        ("result", f"{busy} / {busy + free} = {pct(snap.staffing.occupancy)}" if busy + free else EMPTY),
        ("threshold", "no target, no sign: near 100% agents have no breath between contacts"),
        ("window", "now"),
        ("units", "share of working agents, %"),
    )


def explain_trend(row: QueueRow, ctx: Context) -> tuple[str, Text]:
    snap, s = row.snap, row.snap.settings
    points = ", ".join(f"{_hm(i * INTERVAL, ctx.site)} {pct(sl)}" for i, sl in snap.trend[-8:])
    return f"Service level by interval — {_name(snap)}", wrapped(
        ("shows", "service level of each 15-minute interval today, newest right; blank: nothing offered"),
        ("formula", "answered within threshold / (answered + abandoned), each interval apart"),
        ("latest", f"{points} ({ctx.site.name})" if points else "no intervals yet"),
        ("threshold", f"{span_words(s.sl_threshold_s)}; target {pct(s.sl_target)}, which the bars are not marked by"),
        ("scale", "▁ 0% to █ 100%, the same for every queue"),
        ("window", today_span(snap, ctx.now, ctx.site)),
    )


def explain_agents_cell(row: QueueRow, ctx: Context) -> tuple[str, Text]:
    return f"Agents needed and have — {_name(row.snap)}", explain_agents(row, ctx)


QUEUE_VIEWS: dict[str, View] = {
    "name": explain_name,
    "channel": explain_channel,
    "sl": lambda row, ctx: explain_sl(row, ctx, today=False),
    "sl_today": lambda row, ctx: explain_sl(row, ctx, today=True),
    "offered": explain_offered,
    "answered": explain_answered,
    "abandoned": explain_abandoned,
    "asa": explain_asa,
    "abandon": explain_abandon,
    "aht": explain_aht,
    "waiting": explain_waiting,
    "oldest": explain_oldest,
    "agents": explain_agents_cell,
    "available": explain_available,
    "occupancy": explain_occupancy,
    "trend": explain_trend,
}


def explain_queue_cell(row: QueueRow, column: str, ctx: Context) -> tuple[str, Text]:
    """The explanation of the figure in that column of the queue's row (the row itself: the queue)."""
    return QUEUE_VIEWS.get(column, explain_name)(row, ctx)


def explain_agents(row: QueueRow, ctx: Context) -> Text:
    """Agents needed against those who could take the queue's next contact."""
    snap, s, n = row.snap, row.snap.settings, row.need
    st, away = snap.staffing, snap.staffing.elsewhere
    by = st.by_state
    have = st.can_take
    m = n.inputs
    needed = EMPTY if n.needed is None else str(n.needed)
    if n.needed is None:
        verdict = "no sign: nothing to base the need on yet"
    elif have >= n.needed:
        verdict = f"✓ have {have} ≥ need {n.needed}"
    elif have == n.needed - 1 and have > 0:
        verdict = f"! have {have}, one short of {n.needed}"
    else:
        verdict = f"✗ have {have}, {n.needed - have} short of {n.needed}"
    if ctx.scoped:
        verdict = "no sign: have counts only the agents your token sees"
    if ctx.partial:
        verdict = f"no sign yet, {CATCHING_UP}"
    away_n = away.get("on_contact", 0) + away.get("after_contact_work", 0)
    here_contact = by.get("on_contact", 0) - away.get("on_contact", 0)
    here_wrap = by.get("after_contact_work", 0) - away.get("after_contact_work", 0)
    rows: list[tuple[str, str]] = [
        (
            "needed",
            f"{needed}: the fewest agents for {pct(s.sl_target)} within {span_words(s.sl_threshold_s)}, by {n.model}",
        ),
        ("target", f"service level {pct(s.sl_target)}, threshold {span_words(s.sl_threshold_s)}: the queue's own"),
        (
            "have",
            f"{have} could take this queue's next contact now: available {by.get('available', 0)} "
            f"+ on its contacts {here_contact} + in its wrap-up {here_wrap}",
        ),
        (
            "not",
            f"{away_n} busy with another queue's contact (on contact {away.get('on_contact', 0)}, "
            f"wrap-up {away.get('after_contact_work', 0)}); not ready {by.get('not_ready', 0)}; "
            f"offline {by.get('offline', 0)}",
        ),
    ]
    if st.unknown:
        rows.append(
            (
                "",
                f"of the busy, {st.unknown} on a contact the store does not hold: its queue is unknown, so not counted",
            )
        )
    if ctx.scoped:
        rows.append(
            (
                "scope",
                "your token sees its own teams' agents only (and those of its queues): "
                "have counts them, not other teams' agents on this queue",
            )
        )
    rows += [
        ("verdict", f"{verdict}. ✓ have at least the need, ! one short, ✗ more"),
        (
            "why",
            "An agent on another queue's contact cannot take this queue's next one until done, "
            "and may then take that queue's; the Erlang models assume agents who serve this "
            "queue alone. An available agent serving several queues counts in each.",
        ),
        (
            "staffed",
            f"{st.staffed} serving this queue and working (available, on contact or wrap-up, "
            f"whichever queue's): {st.staffed - have} of them busy elsewhere",
        ),
        (
            "model",
            (
                f"Erlang A with patience {duration(n.patience_s)}, {m.patience_from}"
                if m and n.model == "Erlang A"
                else f"{n.model}: {m.model_why}"
                if m
                else n.model
            ),
        ),
        (
            "rule",
            "Erlang A with the patience seen in the window (total wait / abandons), else "
            f"today's; Erlang C with none, or with one over {PATIENT} x AHT",
        ),
        (
            "arrivals",
            f"{n.arrival_rate * 3600:.1f} an hour: {contacts(snap.window.offered)} offered in the window",
        ),
        ("window", window_words(snap, ctx.now, ctx.site)),
        ("AHT", f"{duration(n.aht_s)}: {m.aht_from if m else 'observed'}; else today's, else the queue's AHT target"),
        (
            "occupancy",
            f"{pct(st.occupancy)} of the staffed busy now, on any queue's contact: "
            "(on contact + wrap-up) / (those + available)",
        ),
        ("same", "the what-if (x) starts from this rule, these inputs and these agents"),
    ]
    return wrapped(*rows)


# -- the drill-down ---------------------------------------------------------------------------
def summary_rows(row: QueueRow, ctx: Context) -> list[tuple[str, str]]:
    """The drill-down's summary line, figure by figure (m2: something to
    explain with nobody waiting too)."""
    snap, s = row.snap, row.snap.settings
    c, f = snap.window, row.window
    wait = oldest_wait(row, ctx.now)
    den = c.answered + c.abandoned
    threshold = span_words(s.sl_threshold_s)
    return [
        (
            "SL 30 min",
            f"{pct(f.service_level, 1)}: answered within {threshold} / (answered + abandoned) = "
            f"{c.answered_in_sl} / {den}; target {pct(s.sl_target)}"
            if den
            else f"–: nothing answered or abandoned in the window; target {pct(s.sl_target)}",
        ),
        ("window", window_words(snap, ctx.now, ctx.site)),
        ("today", f"{pct(row.today.service_level, 1)}, the same formula {today_span(snap, ctx.now, ctx.site)}"),
        ("waiting", f"{contacts(snap.waiting)} queued now, not yet answered or abandoned; listed oldest first"),
        (
            "oldest",
            f"waiting {duration(wait)}, against the {threshold} threshold: "
            + _signs(ctx, "✓ up to it, ! up to twice it, ✗ beyond")
            if wait is not None
            else "nobody waiting, so no oldest wait",
        ),
        (
            "agents",
            f"need {row.need.needed if row.need.needed is not None else EMPTY} for the target "
            f"(by {row.need.model}), have {snap.staffing.can_take} who could take its next contact now; "
            "the agents listed are all those serving it, whatever their state",
        ),
        ("signs", _signs(ctx, "as on Queues, where ← → and e explain each figure in full")),
    ]


def explain_summary(row: QueueRow, ctx: Context) -> tuple[str, Text]:
    return f"Queue: {row.snap.name} — its figures", wrapped(*summary_rows(row, ctx))


def explain_waiting_contact(w: WaitingContact, row: QueueRow | None, ctx: Context) -> tuple[str, Text]:
    rows = [
        ("contact", f"{w.id} ({w.channel})"),
        ("customer", f"{w.customer_name or EMPTY} ({w.customer_id or 'unknown'}); c opens the card"),
        (
            "waiting",
            f"{duration(ctx.now - w.enqueued_at)}: now minus its enqueue time, "
            f"{_hm(w.enqueued_at, ctx.site)} {ctx.site.abbrev(w.enqueued_at)}",
        ),
    ]
    if row is None:
        return f"Waiting contact {w.id}", wrapped(*rows)
    s = row.snap.settings
    rows += [
        (
            "threshold",
            f"{span_words(s.sl_threshold_s)}: answered later than that, it counts against service level; "
            f"hanging up after {span_words(s.short_abandon_s)}, as abandoned",
        ),
        ("", ""),
        ("queue", f"{row.snap.name}: the figures above the lists"),
        *summary_rows(row, ctx),
    ]
    return f"Waiting contact in {row.snap.name}", wrapped(*rows)


STATE_WORDS = {
    "available": "available",
    "on_contact": "on a contact",
    "after_contact_work": "in wrap-up",
    "not_ready": "not ready",
    "offline": "offline",
}


def explain_agent_here(a: AgentSnapshot, row: QueueRow | None, ctx: Context) -> tuple[str, Text]:
    """An agent serving the queue, from the queue's side: whether they count in its "have"."""
    qid = row.snap.id if row is not None else None
    state = STATE_WORDS.get(a.state, a.state)
    if a.state == "available":
        counts = "yes: available, could take this queue's next contact"
    elif a.state in ("on_contact", "after_contact_work") and a.queue_id == qid:
        counts = "yes: busy with this queue's own contact, as the model's agents are"
    elif a.state in ("on_contact", "after_contact_work") and a.queue_id is None:
        counts = "no: on a contact the store does not hold, so its queue is unknown"
    elif a.state in ("on_contact", "after_contact_work"):
        counts = f"no: busy with {a.queue_name or a.queue_id}'s contact until done"
    else:
        counts = f"no: {state}"
    thresholds = ctx.settings.agents.time_in_state.get(a.state, [])
    rows = [
        ("agent", f"{a.name} ({a.id}), team {a.team}"),
        ("state", f"{state}{f' ({a.reason})' if a.reason else ''} for {duration(ctx.now - a.state_since)}"),
        ("in have", counts),
    ]
    if thresholds:
        rows.append(
            (
                "escalates",
                f"at {', '.join(duration(t) for t in thresholds)} in this state "
                f"(agents.time_in_state.{a.state}): · then ! then !!",
            )
        )
    rows += [
        ("serves", a.queue_names or ", ".join(a.queues) or "no queue"),
        (
            "today",
            f"{contacts(a.handled_today)} handled, AHT {duration(a.aht_today)} "
            f"(talk + wrap-up / handled); QA {f'{a.qa_today:.0f}' if a.qa_today is not None else EMPTY} "
            f"over {a.qa_count} score{'' if a.qa_count == 1 else 's'}",
        ),
        ("keys", "enter opens the agent's page; c the card of the customer they serve"),
    ]
    return f"{a.name}, serving {row.snap.name if row is not None else 'this queue'}", wrapped(*rows)
