"""The Queues panel's figures as cells: `Text` with a sign and a word, colour
only as a bonus. Queues' rows, the drill-down's summary and waiting list,
and the what-if's figures.

While the store is still catching up (`partial`), no figure gets a ✓/!/✗:
the counts are of part of the day, so a verdict on them would be a guess.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text

from floorview.domain.metrics import Level, rate_level
from floorview.tui.format import EMPTY, cell, duration, judged, num, pct, sparkline

if TYPE_CHECKING:
    from floorview.config import QueuesConfig
    from floorview.store.reads import WaitingContact
    from floorview.tui.queues.data import QueueRow


def short_duration(seconds: float | None) -> str:
    """Durations in at most four characters, changing unit rather than being
    cut: 45s, 9:59, 12m (past ten minutes), 1h05, 12h, 3d."""
    if seconds is None:
        return EMPTY
    if math.isinf(seconds):
        return "∞"
    s = max(0, int(seconds))
    if s < 600:
        return duration(s)
    if s < 3600:
        return f"{s // 60}m"
    if s < 36000:
        return duration(s)
    if s < 86400:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def oldest_wait(r: QueueRow, now: float) -> float | None:
    oldest = r.snap.oldest_enqueued_at
    return None if oldest is None else max(0.0, now - oldest)


def wait_level(wait: float | None, threshold: float) -> str:
    """The oldest wait against the queue's threshold: ✓ within it, ! up to twice it, ✗ beyond."""
    if wait is None:
        return Level.NONE
    if wait <= threshold:
        return Level.OK
    return Level.WARN if wait <= 2 * threshold else Level.BREACH


def past_threshold(r: QueueRow, now: float) -> float | None:
    """How far the oldest wait is into the queue's threshold (1.0: at it, 2.0:
    twice it), which compares a voice queue with an email queue; None: nobody waits."""
    wait = oldest_wait(r, now)
    if wait is None:
        return None
    return wait / r.snap.settings.sl_threshold_s if r.snap.settings.sl_threshold_s > 0 else math.inf


def staff_level(needed: int | None, have: int) -> str:
    """The Agents verdict: ✓ when the agents who could take the queue's next
    contact (`Staffing.can_take`) are at least those needed, ! one short, ✗
    more; no sign without a need to judge by."""
    if needed is None:
        return Level.NONE
    if have >= needed:
        return Level.OK
    return Level.WARN if have == needed - 1 and have > 0 else Level.BREACH


def need_have(needed: int | None, have: int, words: bool) -> str:
    need = EMPTY if needed is None else str(needed)
    return f"need {need} · have {have}" if words else f"{need}/{have}"


def oldest_cell(r: QueueRow, now: float, partial: bool) -> Text:
    wait = oldest_wait(r, now)
    return judged(short_duration(wait), Level.NONE if partial else wait_level(wait, r.snap.settings.sl_threshold_s))


class Judge:
    """The verdicts of one queue's figures, as the Queues screen gives them:
    none at all while catching up, none on "have" for a token that sees part of the floor."""

    def __init__(self, conf: QueuesConfig, partial: bool, scoped: bool) -> None:
        self.conf, self.partial, self.scoped = conf, partial, scoped

    def sl(self, r: QueueRow, value: float | None) -> str:
        s = r.snap.settings
        return Level.NONE if self.partial else rate_level(value, s.sl_target, True, self.conf.sl_warn_margin)

    def abandon(self, r: QueueRow, value: float | None) -> str:
        s = r.snap.settings
        return Level.NONE if self.partial else rate_level(value, s.abandon_target, False, self.conf.abandon_warn_margin)

    def aht(self, r: QueueRow, value: float | None) -> str:
        s = r.snap.settings
        return Level.NONE if self.partial else rate_level(value, s.aht_target_s, False, self.conf.aht_warn_margin_s)

    def agents(self, r: QueueRow) -> str:
        # A scoped token sees its own agents only: "have" is theirs, no verdict on the queue's.
        if self.partial or self.scoped:
            return Level.NONE
        return staff_level(r.need.needed, r.snap.staffing.can_take)


def queue_cells(r: QueueRow, now: float, today: bool, judge: Judge, words: bool) -> dict[str, Text]:
    """A Queues row, every column but the trend (whose width is what the others leave)."""
    f = r.today if today else r.window
    st = r.snap.staffing
    return {
        "name": cell(r.snap.name),
        "channel": cell(r.snap.channel),
        "sl": judged(pct(r.window.service_level), judge.sl(r, r.window.service_level)),
        "sl_today": judged(pct(r.today.service_level), judge.sl(r, r.today.service_level)),
        "offered": num(str(f.offered)),
        "answered": num(str(f.answered)),
        "abandoned": num(str(f.abandoned)),
        "available": num(str(st.by_state.get("available", 0))),
        "asa": num(short_duration(f.asa_s)),
        "abandon": judged(pct(f.abandon_rate), judge.abandon(r, f.abandon_rate)),
        "aht": judged(duration(f.aht_s), judge.aht(r, f.aht_s)),
        "waiting": num(str(r.snap.waiting)),
        "oldest": oldest_cell(r, now, judge.partial),
        "agents": judged(need_have(r.need.needed, st.can_take, words), judge.agents(r)),
        "occupancy": num(pct(st.occupancy)),
    }


def trend_cell(r: QueueRow, width: int) -> Text:
    return sparkline(r.trend, width)


def haystack(r: QueueRow) -> str:
    return f"{r.snap.name} {r.snap.channel} {r.snap.id}".lower()


# -- the drill-down ----------------------------------------------------------------------
def summary(r: QueueRow, now: float, judge: Judge) -> Text:
    """The queue's figures over its drill-down, each with its sign, as on Queues."""
    s = r.snap
    text = Text()
    text.append(f"{s.channel} · SL 30 min ")
    text.append_text(judged(pct(r.window.service_level), judge.sl(r, r.window.service_level)))
    text.append(" · today ")
    text.append_text(judged(pct(r.today.service_level), judge.sl(r, r.today.service_level)))
    text.append(f" · {contacts(s.waiting)} waiting")
    if s.oldest_enqueued_at is not None:
        text.append(", oldest ")
        text.append_text(oldest_cell(r, now, judge.partial))
    text.append(" · agents ")
    text.append_text(judged(need_have(r.need.needed, s.staffing.can_take, True), judge.agents(r)))
    if judge.partial:
        text.append(" · catching up: no ✓ ! ✗ yet")
    text.append(" · e explains", style="dim")
    return text


def contacts(n: int) -> str:
    return f"{n} contact" if n == 1 else f"{n} contacts"


def waiting_cells(w: WaitingContact, now: float) -> dict[str, Text]:
    return {
        "id": cell(w.id),
        "customer": cell(w.customer_name or w.customer_id or EMPTY),
        "wait": num(duration(now - w.enqueued_at)),
    }


# -- the what-if ---------------------------------------------------------------------------
Fmt = Callable[[float], str]


def pct_points(v: float) -> str:
    return pct(v, 1)


def seconds(v: float) -> str:
    return duration(v)


def whole(v: float) -> str:
    return str(int(v))


def money(v: float) -> str:
    return f"{v:,.2f}"


def pair(a: float | None, b: float | None, fmt: Fmt) -> tuple[str, str, str]:
    """Two figures as shown, and the change between them worked out from the
    shown (rounded) values, so "0.0%" to "0.1%" reads "+0.1 pts", never "+0.0"."""
    sa = fmt(a) if a is not None else EMPTY
    sb = fmt(b) if b is not None else EMPTY
    if a is None or b is None or sa == sb:
        return sa, sb, ""
    if fmt is pct_points:
        return sa, sb, f"{float(sb.rstrip('%')) - float(sa.rstrip('%')):+.1f} pts"
    if fmt is seconds:
        if a == float("inf") or b == float("inf"):
            return sa, sb, ""
        return sa, sb, delta(int(b) - int(a), " s")
    if fmt is whole:
        return sa, sb, f"{int(b) - int(a):+d}"
    return sa, sb, f"{float(sb.replace(',', '')) - float(sa.replace(',', '')):+,.2f}"


def delta(value: float, unit: str) -> str:
    if not value:
        return ""
    return f"{value:+.0f}{unit}"
