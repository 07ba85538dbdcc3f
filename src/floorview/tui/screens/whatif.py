"""The staffing what-if: one queue and interval, now and what-if side by side.

Inputs are held as changes from the baseline (agents +2, AHT +30 s, volume
+10 %, patience -20 s), so they carry over when another queue or interval is
picked: "what would 30 more seconds for quality cost here, and here?".
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static
from textual.worker import get_current_worker

from floorview.domain.metrics import INTERVAL, WINDOW, Counts, figures
from floorview.domain.whatif import Outcome, Scenario, evaluate
from floorview.store.reads import QueueSnapshot, queue_snapshots
from floorview.store.walk import queue_intervals
from floorview.tui.render import EMPTY, cell, duration, labelled, num, pct
from floorview.tui.screens.base import DataScreen
from floorview.tui.widgets.live_table import Column, LiveTable

INPUTS = ("agents", "aht", "volume", "patience")
STEP = {"agents": 1, "aht": 10, "volume": 5, "patience": 10}  # agents, s, % of baseline, s
DEFAULT_AHT_S = 300.0  # only when the queue has neither handled contacts nor an AHT target


@dataclass(frozen=True, slots=True)
class Period:
    label: str
    interval: int | None  # None: the rolling 30 minutes


@dataclass(frozen=True, slots=True)
class Baseline:
    snap: QueueSnapshot
    period: Period
    scenario: Scenario
    sources: dict[str, str]  # where each input came from, for the explain view


@dataclass(slots=True)
class WhatIfData:
    queues: list[QueueSnapshot]
    periods: list[Period]
    intervals: dict[int, Counts]  # today's complete intervals of the chosen queue


class WhatIfScreen(DataScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="whatif.back"),
        Binding("left,minus", "adjust(-1)", "Less", id="whatif.less", priority=True),
        Binding("right,plus,equals_sign", "adjust(1)", "More", id="whatif.more", priority=True),
        Binding("r", "reset", "Reset", id="whatif.reset"),
        Binding("left_square_bracket", "period(1)", "Earlier", id="whatif.earlier"),
        Binding("right_square_bracket", "period(-1)", "Later", id="whatif.later"),
        Binding("comma", "queue(-1)", "Prev queue", id="whatif.prev_queue"),
        Binding("full_stop", "queue(1)", "Next queue", id="whatif.next_queue"),
    ]
    DEFAULT_CSS = """
    WhatIfScreen #heading { height: auto; padding: 0 1; }
    WhatIfScreen #whatif { height: 1fr; }
    """
    title_text = "What-if"
    filter_hint = "jump to a queue by name"

    def __init__(self, queue_id: str | None = None) -> None:
        super().__init__()
        self.queue_id = queue_id
        self._period = 0  # index into the periods, 0 = the rolling 30 minutes
        self.deltas = {k: 0 for k in INPUTS}
        self._data: WhatIfData | None = None
        self.baseline: Baseline | None = None
        self.now_outcome: Outcome | None = None
        self.what_outcome: Outcome | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(id="heading")
        yield LiveTable(id="whatif")

    def on_mount(self) -> None:
        self.query_one(LiveTable).set_columns([
            Column("figure", "", 24),
            Column("now", "Now", 11, "right"),
            Column("whatif", "What-if", 11, "right"),
            Column("change", "Change", 10, "right"),
        ])
        self._update_title()

    # -- data ----------------------------------------------------------------
    def load(self, con: sqlite3.Connection, now: float) -> WhatIfData:
        queues = queue_snapshots(con, now)
        qid = self.queue_id if any(q.id == self.queue_id for q in queues) else (queues[0].id if queues else None)
        self.queue_id = qid
        intervals: dict[int, Counts] = {}
        periods = [Period("last 30 min", None)]
        snap = next((q for q in queues if q.id == qid), None)
        if snap is not None:
            start = now - snap.today_s
            done = int(now // INTERVAL)  # the interval under way is not complete: left out
            for interval, counts in reversed(queue_intervals(con, snap.id, start, done * INTERVAL)):
                intervals[interval] = counts
                periods.append(Period(datetime.fromtimestamp(interval * INTERVAL).strftime("%H:%M"), interval))
        return WhatIfData(queues, periods, intervals)

    def show(self, data: WhatIfData, now: float) -> None:
        self._data = data
        self._period = min(self._period, len(data.periods) - 1)
        baseline = self._baseline()
        if baseline is None:
            self.query_one("#heading", Static).update(Text("No queues in the store yet."))
            return
        if self.baseline is None or baseline.scenario != self.baseline.scenario:
            self.baseline = baseline
            self.now_outcome = None
            self._recompute()
        else:
            self.baseline = baseline
            self._paint()

    def _baseline(self) -> Baseline | None:
        data = self._data
        if data is None:
            return None
        snap = next((q for q in data.queues if q.id == self.queue_id), None)
        if snap is None:
            return None
        period = data.periods[self._period]
        today = figures(snap.today)
        if period.interval is None:
            counts, span = snap.window, snap.window_s or WINDOW
        else:
            counts, span = data.intervals[period.interval], INTERVAL
        f = figures(counts)
        sources = {}
        if f.aht_s:
            aht, sources["aht"] = f.aht_s, "observed in the period"
        elif today.aht_s:
            aht, sources["aht"] = today.aht_s, "today's (none handled in the period)"
        elif snap.settings.aht_target_s:
            aht, sources["aht"] = snap.settings.aht_target_s, "the queue's AHT target (nothing handled today)"
        else:
            aht, sources["aht"] = DEFAULT_AHT_S, "a default (nothing handled, no AHT target)"
        if f.patience_s:
            patience, sources["patience"] = f.patience_s, "observed in the period: wait / abandons"
        elif today.patience_s:
            patience, sources["patience"] = today.patience_s, "today's (no abandons in the period)"
        else:
            patience, sources["patience"] = None, "no abandons today: Erlang C only"
        sources["agents"] = "staffed now: available, on contact or in wrap-up"
        sources["volume"] = f"offered {counts.offered} in {duration(span)}, per 15 minutes"
        cost = snap.cost_per_agent_hour
        if cost is None:
            cost, sources["cost"] = self.app.settings.balance.cost_per_agent_hour, "balance.cost_per_agent_hour (config)"
        else:
            sources["cost"] = "the queue's cost per agent hour (feed)"
        scenario = Scenario(
            agents=snap.staffing.staffed,
            aht_s=aht,
            volume=counts.offered * INTERVAL / span,
            patience_s=patience,
            threshold_s=snap.settings.sl_threshold_s,
            target=snap.settings.sl_target,
            cost_per_agent_hour=cost,
        )
        return Baseline(snap, period, scenario, sources)

    def what_if(self) -> Scenario | None:
        b = self.baseline
        if b is None:
            return None
        s, d = b.scenario, self.deltas
        return s.with_(
            agents=max(0, s.agents + d["agents"]),
            aht_s=max(1.0, s.aht_s + d["aht"]),
            volume=max(0.0, s.volume * (1 + d["volume"] / 100)),
            patience_s=max(1.0, s.patience_s + d["patience"]) if s.patience_s is not None else None,
        )

    def _recompute(self) -> None:
        b, s = self.baseline, self.what_if()
        if b is not None and s is not None:
            self._evaluate(b.scenario if self.now_outcome is None else None, s)

    @work(thread=True, exclusive=True, group="whatif", exit_on_error=False)
    def _evaluate(self, now_scenario: Scenario | None, scenario: Scenario) -> None:
        # Off the loop: Erlang A for a 500-agent queue takes tens of milliseconds.
        now_outcome = evaluate(now_scenario) if now_scenario is not None else None
        outcome = evaluate(scenario)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._evaluated, now_outcome, scenario, outcome)

    def _evaluated(self, now_outcome: Outcome | None, scenario: Scenario, outcome: Outcome) -> None:
        if not self.is_attached or not self.is_running:
            return  # closed while this was worked out
        if scenario != self.what_if():
            return  # a key was pressed since: its own evaluation follows
        if now_outcome is not None:
            self.now_outcome = now_outcome
        self.what_outcome = outcome
        self._paint()

    # -- painting --------------------------------------------------------------
    def _paint(self) -> None:
        b, now, what, s = self.baseline, self.now_outcome, self.what_outcome, self.what_if()
        if b is None or now is None or what is None or s is None:
            return
        self._update_title()
        heading = Text()
        heading.append(b.snap.name, style="bold")
        heading.append(f"  {b.snap.channel} · {b.period.label} · target {pct(b.scenario.target)} in "
                       f"{b.scenario.threshold_s:g} s · ")
        if now.a is not None:
            heading.append("Erlang A")
        elif b.scenario.patience_s is None:
            heading.append("Erlang C (no abandons seen)")
        else:
            heading.append("Erlang C (abandons too rare to matter)")
        heading.append("\n")
        heading.append("↑↓ pick · ←→ or -/+ change · r reset · [ ] interval · , . queue · e explains",
                       style="dim")
        self.query_one("#heading", Static).update(heading)
        base = b.scenario
        rows = [
            ("agents", "Agents", str(base.agents), str(s.agents), _delta(s.agents - base.agents, "")),
            ("aht", "AHT", duration(base.aht_s), duration(s.aht_s), _delta(s.aht_s - base.aht_s, " s")),
            ("volume", "Volume per 15 min", f"{base.volume:.1f}", f"{s.volume:.1f}",
             _delta(self.deltas["volume"], " %")),
            ("patience", "Patience", duration(base.patience_s) if base.patience_s else EMPTY,
             duration(s.patience_s) if s.patience_s else EMPTY,
             _delta((s.patience_s or 0) - (base.patience_s or 0), " s")),
        ]
        rows += [
            ("sl_a", "Service level (A)", *_pair(now.a and now.a.service_level, what.a and what.a.service_level, pct_points)),
            ("sl_c", "Service level (C)", *_pair(now.c.service_level, what.c.service_level, pct_points)),
            ("asa", "ASA", *_pair(now.best.asa_s, what.best.asa_s, seconds)),
            ("abandon", "Abandon rate", *_pair(now.a and now.a.p_abandon, what.a and what.a.p_abandon, pct_points)),
            ("occupancy", "Occupancy", *_pair(now.best.occupancy, what.best.occupancy, pct_points)),
            ("required", "Agents for target", *_pair(now.required, what.required, whole)),
            ("cost_hour", "Cost per hour", *_pair(now.cost_per_hour, what.cost_per_hour, money)),
            ("cost_contact", "Cost per contact", *_pair(_per_contact(now), _per_contact(what), money)),
        ]
        table_rows = []
        for key, label, a, b_, change in rows:
            marker = "◂▸ " if key in INPUTS else "   "
            table_rows.append((key, {
                "figure": cell(marker + label, "bold" if key in INPUTS else ""),
                "now": num(a),
                "whatif": num(b_, "bold" if a != b_ else ""),
                "change": num(change),
            }))
        self.query_one(LiveTable).sync(table_rows, reorder=False)

    def _update_title(self) -> None:
        b = self.baseline
        self.set_title(b.snap.name if b else "")

    # -- keys ------------------------------------------------------------------
    def _current_input(self) -> str | None:
        key = self.query_one(LiveTable).current_key
        return key if key in INPUTS else None

    def action_adjust(self, sign: int) -> None:
        key = self._current_input()
        if key is None:
            self.app.bell()
            self.notify("Pick an input (agents, AHT, volume, patience) with ↑↓ first.", markup=False, timeout=3)
            return
        if key == "patience" and self.baseline and self.baseline.scenario.patience_s is None:
            self.app.bell()
            self.notify("No abandons seen today: there is no patience to change (Erlang C).", markup=False)
            return
        self.deltas[key] += sign * STEP[key]
        if key == "volume":
            self.deltas[key] = max(-100, self.deltas[key])
        self._recompute()

    def action_reset(self) -> None:
        self.deltas = {k: 0 for k in INPUTS}
        self._recompute()

    def action_period(self, step: int) -> None:
        if self._data is None:
            return
        new = self._period + step
        if not 0 <= new < len(self._data.periods):
            self.app.bell()
            return
        self._period = new
        self.show(self._data, self.app.clock.now())

    def action_queue(self, step: int) -> None:
        if self._data is None or not self._data.queues:
            return
        ids = [q.id for q in self._data.queues]
        i = ids.index(self.queue_id) if self.queue_id in ids else 0
        self._go_to_queue(ids[(i + step) % len(ids)])

    def _go_to_queue(self, queue_id: str) -> None:
        self.queue_id = queue_id
        self._period = 0
        self.baseline = None
        self.app.request_load(force=True)

    def refilter(self) -> None:
        wanted = self.filter_text.lower()
        if not wanted or self._data is None:
            return
        for q in self._data.queues:
            if wanted in q.name.lower() or wanted in q.id.lower():
                if q.id != self.queue_id:
                    self._go_to_queue(q.id)
                return

    def explain(self) -> tuple[str, Text] | None:
        b, now, what = self.baseline, self.now_outcome, self.what_outcome
        key = self.query_one(LiveTable).current_key
        if b is None or now is None or what is None or key is None:
            return None
        s = self.what_if()
        src = b.sources
        rows = [
            ("queue", f"{b.snap.name}: {b.period.label}; threshold {b.scenario.threshold_s:g} s, "
                      f"target {pct(b.scenario.target)}"),
            ("agents", f"{b.scenario.agents} now ({src['agents']})"),
            ("AHT", f"{duration(b.scenario.aht_s)} ({src['aht']})"),
            ("volume", f"{b.scenario.volume:.1f} ({src['volume']})"),
            ("patience", f"{duration(b.scenario.patience_s) if b.scenario.patience_s else EMPTY} ({src['patience']})"),
            ("cost", f"{b.scenario.cost_per_agent_hour:.2f} per agent hour ({src['cost']})"),
            ("", ""),
            ("Erlang A", "Palm's M/M/n+M: callers hang up after an exponential patience; service level is"),
            ("", "answered within the threshold over all arrivals, abandons counting against it"),
            ("Erlang C", "M/M/n: nobody hangs up; with agents at or below the load the queue never drains"),
            ("required", "the fewest agents whose service level meets target (Erlang A with a patience,"),
            ("", "else C): the search behind the Queues screen's agents needed"),
            ("cost", "cost per hour = agents x cost per agent hour; per contact: / contacts answered an hour"),
            ("", "(arrivals x (1 - abandon rate) under Erlang A)"),
            ("what-if", f"agents {s.agents}, AHT {duration(s.aht_s)}, volume {s.volume:.1f}, "
                        f"patience {duration(s.patience_s) if s.patience_s else EMPTY}"),
            ("", "the changes are kept when you pick another queue (, .) or interval ([ ])"),
        ]
        return f"What-if — {b.snap.name}", labelled(*rows)


def _per_contact(o: Outcome) -> float | None:
    return o.cost_per_contact_a if o.a is not None else o.cost_per_contact_c


def pct_points(v: float) -> str:
    return pct(v, 1)


def seconds(v: float) -> str:
    return duration(v)


def whole(v: float) -> str:
    return str(int(v))


def money(v: float) -> str:
    return f"{v:,.2f}"


def _pair(a: float | None, b: float | None, fmt) -> tuple[str, str, str]:
    sa = fmt(a) if a is not None else EMPTY
    sb = fmt(b) if b is not None else EMPTY
    if a is None or b is None or sa == sb:
        return sa, sb, ""
    if fmt is pct_points:
        return sa, sb, f"{(b - a) * 100:+.1f} pts"
    if fmt is seconds:
        if a == float("inf") or b == float("inf"):
            return sa, sb, ""
        return sa, sb, f"{b - a:+.0f} s"
    if fmt is whole:
        return sa, sb, f"{int(b) - int(a):+d}"
    return sa, sb, f"{b - a:+,.2f}"


def _delta(value: float, unit: str) -> str:
    if not value:
        return ""
    return f"{value:+.0f}{unit}"
