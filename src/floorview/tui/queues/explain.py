"""Explanations of the Queues screen's figures: formula, inputs, settings, units.

Clock times are the site's (`SiteTime`), never the host's; a queue's "today"
starts at midnight in the queue's own zone (the feed's daily reset), and the
view says so in both zones when they differ.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from rich.text import Text

from floorview.domain.metrics import INTERVAL, MINUTE, PATIENT
from floorview.domain.sitetime import SiteTime
from floorview.tui.format import EMPTY, duration, labelled, pct

if TYPE_CHECKING:
    from floorview.config import Settings
    from floorview.store.reads import QueueSnapshot
    from floorview.tui.queues.data import QueueRow


EXPLAIN_WIDTH = 54  # a value's width that fits the explain panel at 80 columns, beside its label


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


def today_span(snap: QueueSnapshot, now: float, site: SiteTime) -> str:
    """Where "today" starts for a queue: its own midnight, in the site's time too
    when the queue's zone is not the site's."""
    start = now - snap.today_s
    end = f"to {_hm(now, site)} {site.abbrev(now)}"
    if not snap.timezone or snap.timezone == site.name:
        return f"since {_hm(start, site)} (midnight, {site.name}) {end}"
    own = SiteTime(snap.timezone)
    return f"since {_hm(start, own)} {snap.timezone} ({_hm(start, site)} site time, {site.name}) {end}"


def window_span(snap: QueueSnapshot, now: float, site: SiteTime) -> str:
    return f"{_hm(now - snap.window_s, site)} to {_hm(now, site)} {site.abbrev(now)}"


def explain_queue_cell(
    row: QueueRow,
    column: str,
    today: bool,
    now: float,
    settings: Settings,
    site: SiteTime,
    scoped: bool = False,
) -> tuple[str, Text]:
    snap, s = row.snap, row.snap.settings
    span_window = f"{window_span(snap, now, site)}: the last 30 minutes, to the minute, by time enqueued"
    span_today = f"{today_span(snap, now, site)}, by time enqueued"
    use_today = today and column in {"offered", "asa", "abandon", "aht"} or column == "sl_today"
    c = snap.today if use_today else snap.window
    f = row.today if use_today else row.window
    span = span_today if use_today else span_window
    name = f"{snap.name} ({snap.id})"
    margins = settings.queues
    threshold = span_words(s.sl_threshold_s)

    if column in ("sl", "sl_today"):
        den = c.answered + c.abandoned
        return f"Service level — {name}", wrapped(
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
            (
                "target",
                f"{pct(s.sl_target)} within {threshold}; ✓ met, ! within "
                f"{margins.sl_warn_margin * 100:g} points (queues.sl_warn_margin), ✗ beyond",
            ),
            ("window", span),
            ("units", "share of contacts, %"),
        )
    if column == "asa":
        return f"Average speed of answer — {name}", wrapped(
            ("formula", "total wait of answered contacts / answered"),
            ("inputs", f"total wait {c.answer_wait_s:.0f} s over {c.answered} answered"),
            ("result", duration(f.asa_s)),
            ("window", span),
            ("units", "seconds (m:ss past a minute; 12m past ten minutes, 1h05 past an hour)"),
        )
    if column == "abandon":
        return f"Abandon rate — {name}", wrapped(
            ("formula", "abandoned / (answered + abandoned)"),
            ("", f"abandons under {span_words(s.short_abandon_s)} (short abandons) are left out"),
            ("inputs", f"abandoned {c.abandoned}; answered {c.answered}; short abandons {c.short_abandoned}"),
            ("result", pct(f.abandon_rate, 1)),
            (
                "target",
                f"at most {pct(s.abandon_target)}" if s.abandon_target is not None else "none set for this queue",
            ),
            ("window", span),
            ("units", "share of contacts, %"),
        )
    if column == "aht":
        return f"Average handle time — {name}", wrapped(
            ("formula", "(talk time + after-contact work) / handled contacts"),
            ("inputs", f"{c.handle_s:.0f} s of handling over {c.handled} handled contacts"),
            ("result", duration(f.aht_s)),
            (
                "target",
                f"at most {duration(s.aht_target_s)}; ! within {margins.aht_warn_margin_s:g} s "
                "(queues.aht_warn_margin_s)"
                if s.aht_target_s
                else "none set for this queue",
            ),
            ("window", span),
            ("units", "seconds (m:ss)"),
        )
    if column in ("waiting", "longest"):
        oldest = snap.oldest_enqueued_at
        return f"Waiting now — {name}", wrapped(
            ("waiting", f"{snap.waiting} contacts queued, not yet answered or abandoned"),
            (
                "oldest",
                f"enqueued {_hm(oldest, site)} {site.abbrev(oldest)}, waiting {duration(now - oldest)}"
                if oldest
                else "nobody waiting",
            ),
            ("signs", f"✓ up to the {threshold} threshold, ! up to twice it, ✗ beyond"),
            ("units", "contacts; 45s, 3:07, 12m past ten minutes, 1h05 past an hour"),
        )
    if column in ("agents", "occupancy"):
        return f"Agents needed and have — {name}", explain_agents(row, now, site, scoped)
    if column == "trend":
        points = ", ".join(f"{_hm(i * INTERVAL, site)} {pct(sl)}" for i, sl in snap.trend[-8:])
        return f"Service level by interval — {name}", wrapped(
            ("shows", "service level of each 15-minute interval today, newest right; blank: nothing offered"),
            ("scale", "▁ 0% to █ 100%, the same for every queue"),
            ("latest", f"{points} ({site.name})" if points else "no intervals yet"),
        )
    if column == "offered":
        return f"Offered — {name}", wrapped(
            (
                "counts",
                f"{c.offered} contacts enqueued ({c.answered} answered, {c.abandoned} abandoned, "
                f"{c.short_abandoned} short abandons, the rest waiting)",
            ),
            ("window", span),
        )
    return f"{snap.name}", wrapped(
        ("queue", name),
        ("channel", snap.channel),
        (
            "settings",
            f"threshold {threshold}, target {pct(s.sl_target)}, "
            f"short abandon {span_words(s.short_abandon_s)}, time zone {snap.timezone}",
        ),
        ("window", f"{window_span(snap, now, site)} ({int(snap.window_s // MINUTE)} min)"),
        ("today", today_span(snap, now, site)),
        ("times", f"shown in site time, {site.describe()}"),
    )


def explain_agents(row: QueueRow, now: float, site: SiteTime, scoped: bool = False) -> Text:
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
    if scoped:
        verdict = "no sign: have counts only the agents your token sees"
    away_n = away.get("on_contact", 0) + away.get("after_contact_work", 0)
    here_contact = by.get("on_contact", 0) - away.get("on_contact", 0)
    here_wrap = by.get("after_contact_work", 0) - away.get("after_contact_work", 0)
    rows: list[tuple[str, str]] = [
        (
            "needed",
            f"{needed}: the fewest agents for {pct(s.sl_target)} within {span_words(s.sl_threshold_s)}, by {n.model}",
        ),
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
    if scoped:
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
            f"{n.arrival_rate * 3600:.1f} an hour: {snap.window.offered} offered in "
            f"{snap.window_s / 60:.0f} min ({window_span(snap, now, site)})",
        ),
        ("AHT", f"{duration(n.aht_s)}: {m.aht_from if m else 'observed'}; else today's, else the queue's AHT target"),
        (
            "occupancy",
            f"{pct(st.occupancy)} of the staffed busy now, on any queue's contact: "
            "(on contact + wrap-up) / (those + available)",
        ),
        ("same", "the what-if (x) starts from this rule, these inputs and these agents"),
    ]
    return wrapped(*rows)
