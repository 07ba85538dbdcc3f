"""Explanations of the Queues screen's figures: formula, inputs, settings, units."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text

from floorview.domain.metrics import INTERVAL, MINUTE
from floorview.tui.render import EMPTY, duration, labelled, pct

if TYPE_CHECKING:
    from floorview.config import Settings
    from floorview.tui.screens.queues import QueueRow


def _hm(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%H:%M")


def explain_queue_cell(
    row: QueueRow, column: str, today: bool, now: float, settings: Settings
) -> tuple[str, Text]:
    snap, s = row.snap, row.snap.settings
    window_start = now - snap.window_s
    span_window = f"{_hm(window_start)} to {_hm(now)}: the last 30 minutes, to the minute, by time enqueued"
    span_today = f"since {_hm(now - snap.today_s)} (midnight, {snap.timezone}) to {_hm(now)}, by time enqueued"
    use_today = today and column in {"offered", "asa", "abandon", "aht"} or column == "sl_today"
    c = snap.today if use_today else snap.window
    f = row.today if use_today else row.window
    span = span_today if use_today else span_window
    name = f"{snap.name} ({snap.id})"
    margins = settings.queues

    if column in ("sl", "sl_today"):
        den = c.answered + c.abandoned
        return f"Service level — {name}", labelled(
            ("formula", "answered within threshold / (answered + abandoned)"),
            ("", f"abandons under {s.short_abandon_s:g} s are short abandons and count in neither"),
            ("inputs", f"answered within {s.sl_threshold_s:g} s: {c.answered_in_sl}; answered: {c.answered}; "
                       f"abandoned: {c.abandoned}; short abandons left out: {c.short_abandoned}"),
            ("result", f"{c.answered_in_sl} / {den} = {pct(f.service_level, 1)}" if den else "no answered or abandoned contacts yet: –"),
            ("target", f"{pct(s.sl_target)} within {s.sl_threshold_s:g} s; ✓ met, ! within "
                       f"{margins.sl_warn_margin * 100:g} points (queues.sl_warn_margin), ✗ beyond"),
            ("window", span),
            ("units", "share of contacts, %"),
        )
    if column == "asa":
        return f"Average speed of answer — {name}", labelled(
            ("formula", "total wait of answered contacts / answered"),
            ("inputs", f"total wait {c.answer_wait_s:.0f} s over {c.answered} answered"),
            ("result", duration(f.asa_s)),
            ("window", span),
            ("units", "seconds (m:ss past a minute)"),
        )
    if column == "abandon":
        return f"Abandon rate — {name}", labelled(
            ("formula", "abandoned / (answered + abandoned)"),
            ("", f"abandons under {s.short_abandon_s:g} s (short abandons) are left out"),
            ("inputs", f"abandoned {c.abandoned}; answered {c.answered}; short abandons {c.short_abandoned}"),
            ("result", pct(f.abandon_rate, 1)),
            ("target", f"at most {pct(s.abandon_target)}" if s.abandon_target is not None else "none set for this queue"),
            ("window", span),
            ("units", "share of contacts, %"),
        )
    if column == "aht":
        return f"Average handle time — {name}", labelled(
            ("formula", "(talk time + after-contact work) / handled contacts"),
            ("inputs", f"{c.handle_s:.0f} s of handling over {c.handled} handled contacts"),
            ("result", duration(f.aht_s)),
            ("target", f"at most {duration(s.aht_target_s)}; ! within {margins.aht_warn_margin_s:g} s "
                       "(queues.aht_warn_margin_s)" if s.aht_target_s else "none set for this queue"),
            ("window", span),
            ("units", "seconds (m:ss)"),
        )
    if column in ("waiting", "longest"):
        oldest = snap.oldest_enqueued_at
        return f"Waiting now — {name}", labelled(
            ("waiting", f"{snap.waiting} contacts queued, not yet answered or abandoned"),
            ("oldest", f"enqueued {_hm(oldest)}, waiting {duration(now - oldest)}" if oldest else "nobody waiting"),
            ("signs", f"✓ up to the {s.sl_threshold_s:g} s threshold, ! up to twice it, ✗ beyond"),
            ("units", "contacts; seconds (m:ss, h:mm)"),
        )
    if column in ("agents", "occupancy"):
        n = row.need
        st = snap.staffing.by_state
        model = n.model
        inputs = (
            f"arrival rate {n.arrival_rate * 3600:.1f}/h ({c.offered} offered in {snap.window_s / 60:.0f} min); "
            f"AHT {duration(n.aht_s)}; patience {duration(n.patience_s) if n.patience_s else 'not observed'}"
        )
        return f"Agents needed versus staffed — {name}", labelled(
            ("needed", f"{EMPTY if n.needed is None else n.needed}: the fewest agents for {pct(s.sl_target)} "
                       f"within {s.sl_threshold_s:g} s by {model}"),
            ("model", "Erlang A (with abandonment, patience estimated as total wait / abandons) when the "
                      "window saw abandons; Erlang C otherwise"),
            ("inputs", inputs),
            ("staffed", f"{snap.staffing.staffed} working this queue now (available, on contact or "
                        f"wrap-up): available {st.get('available', 0)}, on contact {st.get('on_contact', 0)}, "
                        f"wrap-up {st.get('after_contact_work', 0)}; not counted: not ready "
                        f"{st.get('not_ready', 0)}, offline {st.get('offline', 0)}"),
            ("", "agents serving several queues count in each of them"),
            ("occupancy", f"{pct(snap.staffing.occupancy)} = (on contact + after-contact work) / "
                          "(those + available), now"),
        )
    if column == "trend":
        points = ", ".join(
            f"{datetime.fromtimestamp(i * INTERVAL).strftime('%H:%M')} {pct(sl)}" for i, sl in snap.trend[-8:]
        )
        return f"Service level by interval — {name}", labelled(
            ("shows", "service level of each 15-minute interval today, newest right; blank: nothing offered"),
            ("scale", "▁ 0% to █ 100%, the same for every queue"),
            ("latest", points or "no intervals yet"),
        )
    if column == "offered":
        return f"Offered — {name}", labelled(
            ("counts", f"{c.offered} contacts enqueued ({c.answered} answered, {c.abandoned} abandoned, "
                       f"{c.short_abandoned} short abandons, the rest waiting)"),
            ("window", span),
        )
    return f"{snap.name}", labelled(
        ("queue", name),
        ("channel", snap.channel),
        ("settings", f"threshold {s.sl_threshold_s:g} s, target {pct(s.sl_target)}, "
                     f"short abandon {s.short_abandon_s:g} s, time zone {snap.timezone}"),
        ("window", f"{_hm(now - snap.window_s)}–{_hm(now)} ({int(snap.window_s // MINUTE)} min)"),
    )
