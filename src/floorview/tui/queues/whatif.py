"""The staffing what-if: one queue and interval, the floor, the model now and what-if side by side.

"Observed" is what the floor did over the period (the store's counts, as on
the Queues screen); "Model now" is Erlang A or C given the period's inputs,
and "Model what-if" the same with the changes made here. The model assumes
steady arrivals and agents who serve this queue alone, so when it and the
floor disagree widely (domain.whatif.compare) the screen says so in words.

The model's inputs come from `metrics.model_inputs` and its agents from
`Staffing.can_take`, the Queues screen's rule and "have": the two screens
give the same agents needed for the same queue and minute.

Inputs are held as changes from the baseline (agents +2, AHT +30 s, volume
+10 %, patience -20 s), so they carry over when another queue or interval is
picked: "what would 30 more seconds for quality cost here, and here?".
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static
from textual.worker import get_current_worker

from floorview.domain.metrics import INTERVAL, PATIENT, WINDOW, Counts, ModelInputs, QueueFigures, figures, model_inputs
from floorview.domain.sitetime import SiteTime
from floorview.domain.whatif import (
    COMPARE_MIN,
    MODEL_HIGHER,
    MODEL_LOWER,
    SIDES_GAP,
    TOO_FEW,
    WIDE_GAP,
    Outcome,
    Scenario,
    compare,
    evaluate,
)
from floorview.store.reads import QueueSnapshot, queue_snapshots
from floorview.store.balance import queue_intervals
from floorview.tui.queues.explain import span_words, window_span, wrapped
from floorview.tui.format import EMPTY, cell, duration, num, pct
from floorview.tui.base import DataScreen
from floorview.tui.widgets.live_table import Column, LiveTable

INPUTS = ("agents", "aht", "volume", "patience")
STEP = {"agents": 1, "aht": 10, "volume": 5, "patience": 10}  # agents, s, % of baseline, s
DEFAULT_AHT_S = 300.0  # only when the queue has neither handled contacts nor an AHT target


@dataclass(frozen=True, slots=True)
class Period:
    interval: int | None  # None: the rolling 30 minutes

    def label(self, site: SiteTime) -> str:
        if self.interval is None:
            return "last 30 min"
        start = self.interval * INTERVAL
        return f"{site.fmt(start, '%H:%M')}–{site.fmt(start + INTERVAL, '%H:%M')} {site.abbrev(start)}"


@dataclass(frozen=True, slots=True)
class Baseline:
    snap: QueueSnapshot
    period: Period
    scenario: Scenario
    inputs: ModelInputs
    counts: Counts  # what the floor did over the period
    observed: QueueFigures
    span_s: float
    cost_from: str  # "feed" or "config"


@dataclass(slots=True)
class WhatIfData:
    queues: list[QueueSnapshot]
    periods: list[Period]
    intervals: dict[int, Counts]  # today's complete intervals of the chosen queue


def baseline(snap: QueueSnapshot, period: Period, counts: Counts, span_s: float, config_cost: float) -> Baseline:
    """The model's inputs for a queue over a period: the Queues screen's rule
    (`model_inputs`, with today's figures as fallbacks) and its agents
    (`Staffing.can_take`); a default AHT only when nothing says what it is."""
    inputs = model_inputs(counts, span_s, snap.settings, snap.today)
    aht = inputs.aht_s or DEFAULT_AHT_S
    cost, cost_from = (
        (config_cost, "config") if snap.cost_per_agent_hour is None else (snap.cost_per_agent_hour, "feed")
    )
    scenario = Scenario(
        agents=snap.staffing.can_take,
        aht_s=aht,
        volume=counts.offered * INTERVAL / span_s,
        patience_s=inputs.patience_seen_s,  # evaluate() applies erlang_patience, as agents_needed does
        threshold_s=snap.settings.sl_threshold_s,
        target=snap.settings.sl_target,
        cost_per_agent_hour=cost,
    )
    return Baseline(snap, period, scenario, inputs, counts, figures(counts), span_s, cost_from)


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
    WhatIfScreen #note { height: auto; padding: 0 1; }
    """
    title_text = "What-if"
    filter_hint = "jump to a queue by name"

    def __init__(self, queue_id: str | None = None) -> None:
        super().__init__()
        self.queue_id = queue_id
        self._period = 0  # index into the periods, 0 = the rolling 30 minutes
        self.deltas = {k: 0 for k in INPUTS}
        self._data: WhatIfData | None = None
        self._read_at = 0.0  # when the data shown was read
        self.baseline: Baseline | None = None
        self.now_outcome: Outcome | None = None
        self.what_outcome: Outcome | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(id="heading")
        yield LiveTable(id="whatif")
        yield Static(id="note")

    def on_mount(self) -> None:
        self.query_one(LiveTable).set_columns(
            [
                Column("figure", "", 20),
                Column("observed", "Observed", 8, "right"),
                Column("now", "Model now", 9, "right"),
                Column("whatif", "Model what-if", 13, "right"),
                Column("change", "Change", 9, "right"),
            ]
        )
        self._update_title()

    # -- data ----------------------------------------------------------------
    def load(self, con: sqlite3.Connection, now: float) -> WhatIfData:
        queues = queue_snapshots(con, now)
        qid = self.queue_id if any(q.id == self.queue_id for q in queues) else (queues[0].id if queues else None)
        self.queue_id = qid
        intervals: dict[int, Counts] = {}
        periods = [Period(None)]
        snap = next((q for q in queues if q.id == qid), None)
        if snap is not None:
            start = now - snap.today_s
            done = int(now // INTERVAL)  # the interval under way is not complete: left out
            for interval, counts in reversed(queue_intervals(con, snap.id, start, done * INTERVAL)):
                intervals[interval] = counts
                periods.append(Period(interval))
        return WhatIfData(queues, periods, intervals)

    def show(self, data: WhatIfData, now: float) -> None:
        self._data = data
        self._read_at = now
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
        if period.interval is None:
            counts, span = snap.window, snap.window_s or WINDOW
        else:
            counts, span = data.intervals[period.interval], INTERVAL
        return baseline(snap, period, counts, span, self.app.settings.balance.cost_per_agent_hour)

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
        site = self.app.site
        heading = Text()
        heading.append(b.snap.name, style="bold")
        heading.append(
            f"  {b.snap.channel} · {b.period.label(site)} · target {pct(b.scenario.target)} "
            f"in {span_words(b.scenario.threshold_s)} · model: {_model_name(b, now)}\n"
        )
        verdict, words = floor_versus_model(b, now)
        heading.append(words + "\n", style="bold yellow" if verdict in (MODEL_HIGHER, MODEL_LOWER) else "dim")
        heading.append("↑↓ pick · ←→ or -/+ change · r reset · [ ] interval · , . queue · e explains", style="dim")
        self.query_one("#heading", Static).update(heading)
        base, o, st = b.scenario, b.observed, b.snap.staffing
        rolling = b.period.interval is None
        rows = [
            (
                "agents",
                "Agents",
                f"{st.can_take} of {st.staffed}" if rolling else EMPTY,
                str(base.agents),
                str(s.agents),
                _delta(s.agents - base.agents, ""),
            ),
            (
                "aht",
                "AHT",
                duration(o.aht_s),
                duration(base.aht_s),
                duration(s.aht_s),
                _delta(int(s.aht_s) - int(base.aht_s), " s"),
            ),
            (
                "volume",
                "Volume per 15 min",
                f"{base.volume:.1f}",
                f"{base.volume:.1f}",
                f"{s.volume:.1f}",
                _delta(self.deltas["volume"], " %"),
            ),
            (
                "patience",
                "Patience",
                duration(o.patience_s),
                duration(base.patience_s) if base.patience_s else EMPTY,
                duration(s.patience_s) if s.patience_s else EMPTY,
                _delta(int(s.patience_s or 0) - int(base.patience_s or 0), " s"),
            ),
            (
                "sl",
                "Service level",
                pct_points(o.service_level),
                *_pair(now.best.service_level, what.best.service_level, pct_points),
            ),
            ("sl_c", "SL if no hang-ups", "", *_pair(now.c.service_level, what.c.service_level, pct_points)),
            ("asa", "ASA", duration(o.asa_s), *_pair(now.best.asa_s, what.best.asa_s, seconds)),
            (
                "abandon",
                "Abandon rate",
                pct_points(o.abandon_rate),
                *_pair(now.a and now.a.p_abandon, what.a and what.a.p_abandon, pct_points),
            ),
            (
                "occupancy",
                "Occupancy",
                pct_points(st.occupancy_here) if rolling else EMPTY,
                *_pair(now.best.occupancy, what.best.occupancy, pct_points),
            ),
            ("required", "Agents for target", "", *_pair(now.required, what.required, whole)),
            ("cost_hour", "Cost per hour", "", *_pair(now.cost_per_hour, what.cost_per_hour, money)),
            ("cost_contact", "Cost per contact", "", *_pair(_per_contact(now), _per_contact(what), money)),
        ]
        table_rows = []
        for key, label, seen, a, b_, change in rows:
            marker = "◂▸ " if key in INPUTS else "   "
            table_rows.append(
                (
                    key,
                    {
                        "figure": cell(marker + label, "bold" if key in INPUTS else ""),
                        "observed": num(seen),
                        "now": num(a),
                        "whatif": num(b_, "bold" if a != b_ else ""),
                        "change": num(change),
                    },
                )
            )
        self.query_one(LiveTable).sync(table_rows, reorder=False)
        self.query_one("#note", Static).update(Text(_cost_words(b), style="dim"))

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
        self.show(self._data, self._read_at)

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
        if b is None or now is None or what is None:
            return None
        s, site, src, o = self.what_if(), self.app.site, b.inputs, b.observed
        st, by = b.snap.staffing, b.snap.staffing.by_state
        away = st.staffed - st.can_take
        _, words = floor_versus_model(b, now)
        today_aht = figures(b.snap.today).aht_s
        rows: list[tuple[str, str]] = [
            (
                "period",
                f"{b.period.label(site)}: {_span_text(b, site, self._read_at)}; threshold "
                f"{span_words(b.scenario.threshold_s)}, target {pct(b.scenario.target)}",
            ),
            ("", ""),
            (
                "observed",
                f"what the floor did in the period, from the store's counts as on Queues: "
                f"{b.counts.offered} offered, {b.counts.answered} answered, {b.counts.abandoned} "
                f"abandoned; service level {pct(o.service_level, 1)}, ASA {duration(o.asa_s)}, "
                f"abandon rate {pct(o.abandon_rate, 1)}",
            ),
            (
                "model now",
                f"{_model_name(b, now)}: service level {pct(now.best.service_level, 1)}, ASA "
                f"{duration(now.best.asa_s)}. It assumes steady arrivals at the period's rate, "
                "agents who serve this queue alone and no backlog carried in: a model, not the floor",
            ),
            (
                "verdict",
                words.removesuffix(" e explains.").removesuffix(";") + "." if words.endswith("e explains.") else words,
            ),
            (
                "rule",
                f"they disagree when more than {WIDE_GAP * 100:g} points apart, or on opposite sides "
                f"of the target and more than {SIDES_GAP * 100:g} points apart; compared only with "
                f"{COMPARE_MIN} or more contacts answered or abandoned in the period",
            ),
            (
                "causes",
                f"arrivals in bursts; a backlog from before the period ({b.snap.waiting} waiting "
                f"now); agents busy on other queues ({away} of {st.staffed} staffed now); handle "
                f"time unlike the model's (the period's {duration(o.aht_s)}, today's "
                f"{duration(today_aht)})"
                + ("" if b.period.interval is None else "; and the agents are now's: staffing is not kept by interval"),
            ),
            ("", ""),
            (
                "agents",
                f"{b.scenario.agents}: those who could take its next contact now, as on Queues: "
                f"available {by.get('available', 0)}, on its contacts or wrap-up {st.busy_here}; "
                f"not counted: {away} on other queues' contacts, not ready {by.get('not_ready', 0)}, "
                f"offline {by.get('offline', 0)}",
            ),
            (
                "AHT",
                f"{duration(b.scenario.aht_s)}: "
                + (src.aht_from if src.aht_s else "a default to start from: nothing handled, no AHT target"),
            ),
            ("volume", f"{b.scenario.volume:.1f} per 15 min: {b.counts.offered} offered in {duration(b.span_s)}"),
            ("patience", f"{duration(src.patience_seen_s) if src.patience_seen_s else EMPTY}: {src.patience_from}"),
            (
                "model",
                f"{_model_name(b, now)}: {src.model_why}. The rule behind Queues' agents needed too: "
                f"Erlang A with a patience, Erlang C with none or with one over {PATIENT} x AHT",
            ),
            ("cost", _cost_words(b)),
            ("", ""),
            (
                "Erlang A",
                "Palm's M/M/n+M: callers hang up after an exponential patience; service level "
                "is answered within the threshold over all arrivals, abandons counting against it",
            ),
            ("Erlang C", "M/M/n: nobody hangs up; with agents at or below the load the queue never drains"),
            (
                "required",
                "the fewest agents whose service level meets the target: the Queues screen's "
                "agents needed, by the same search",
            ),
            (
                "per hour",
                "agents x cost per agent hour; per contact, that / contacts answered an hour "
                "(arrivals x (1 - abandon rate) under Erlang A)",
            ),
            ("change", "worked out from the figures as shown, so it matches them"),
            (
                "what-if",
                f"agents {s.agents}, AHT {duration(s.aht_s)}, volume {s.volume:.1f}, patience "
                f"{duration(s.patience_s) if s.patience_s else EMPTY}; kept when you pick another "
                "queue (, .) or interval ([ ])"
                if s
                else "",
            ),
        ]
        return f"What-if — {b.snap.name}", wrapped(*rows)


def _model_name(b: Baseline, o: Outcome) -> str:
    if o.a is not None:
        return "Erlang A"
    return "Erlang C" if b.scenario.patience_s is None else "Erlang C (abandons too rare)"


def _span_text(b: Baseline, site: SiteTime, now: float) -> str:
    if b.period.interval is not None:
        return "a complete 15-minute interval today"
    return f"{window_span(b.snap, now, site)}, to the minute"


def floor_versus_model(b: Baseline, now: Outcome) -> tuple[str, str]:
    """The comparison's verdict (domain.whatif.compare) and the words shown for it."""
    o = b.observed
    model_sl = now.best.service_level
    contacts = b.counts.answered + b.counts.abandoned
    verdict = compare(model_sl, o.service_level, contacts, b.scenario.target)
    m, f = pct(model_sl), pct(o.service_level)
    st = b.snap.staffing
    away = st.staffed - st.can_take
    if verdict == MODEL_HIGHER:
        where = (
            f"agents went to other queues ({away} of {st.staffed} staffed are on them now)"
            if away
            else "agents were away between contacts"
        )
        return verdict, (
            f"⚠ The model says {m} but the floor did {f}: arrivals came in bursts, a backlog "
            f"carried over, or {where}. Read the model as a best case; e explains."
        )
    if verdict == MODEL_LOWER:
        return verdict, (
            f"⚠ The model says {m} but the floor did {f}: agents not counted here took its "
            "contacts, or arrivals came steadier than the model assumes. Read the model as a "
            "worst case; e explains."
        )
    if verdict == TOO_FEW:
        if not contacts:
            return verdict, "No contact answered or abandoned in this period: nothing to check the model against."
        some = "1 contact" if contacts == 1 else f"{contacts} contacts"
        return verdict, f"Only {some} answered or abandoned in this period: too few to check the model against."
    return verdict, f"The model is within {WIDE_GAP * 100:g} points of the floor's {f} in this period."


def _cost_words(b: Baseline) -> str:
    cost = f"{b.scenario.cost_per_agent_hour:,.2f}" if b.scenario.cost_per_agent_hour is not None else EMPTY
    if b.cost_from == "feed":
        return f"Costs: {cost} per agent hour, in the units of this queue's feed"
    return f"Costs: {cost} per agent hour, in config units (balance.cost_per_agent_hour)"


def _per_contact(o: Outcome) -> float | None:
    return o.cost_per_contact_a if o.a is not None else o.cost_per_contact_c


def pct_points(v: float | None) -> str:
    return pct(v, 1)


def seconds(v: float) -> str:
    return duration(v)


def whole(v: float) -> str:
    return str(int(v))


def money(v: float) -> str:
    return f"{v:,.2f}"


def _pair(a: float | None, b: float | None, fmt) -> tuple[str, str, str]:
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
        return sa, sb, _delta(int(b) - int(a), " s")
    if fmt is whole:
        return sa, sb, f"{int(b) - int(a):+d}"
    return sa, sb, f"{float(sb.replace(',', '')) - float(sa.replace(',', '')):+,.2f}"


def _delta(value: float, unit: str) -> str:
    if not value:
        return ""
    return f"{value:+.0f}{unit}"
