"""The staffing what-if: one queue and interval, the floor, the model now and what-if side by side.

"Observed" is what the floor did over the period (the store's counts, as on
the Queues screen); "Model now" is Erlang A or C given the period's inputs,
and "Model what-if" the same with the changes made here. The model assumes
steady arrivals and agents who serve this queue alone, so when it and the
floor disagree widely (domain.whatif.compare) the screen says so in words.

The queue, the period and the changes are the screen's view state and make
its request; the loader (whatif_data.py) reads the queue and works the
model out in the worker, so what is painted is always one request's answer.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widgets import Static

from floorview.domain.metrics import PATIENT, figures
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
)
from floorview.tui.base import DataScreen
from floorview.tui.bindings import bind
from floorview.tui.format import EMPTY, cell, duration, num, pct
from floorview.tui.queues.cells import contacts, delta, money, pair, pct_points, seconds, whole
from floorview.tui.queues.explain import minutes_seconds, span_words, window_words, wrapped
from floorview.tui.queues.whatif_data import (
    INPUTS,
    Adjustments,
    Baseline,
    WhatIfData,
    WhatIfLoader,
    WhatIfRequest,
)
from floorview.tui.widgets.live_table import Column, LiveTable


class WhatIfScreen(DataScreen[WhatIfRequest, WhatIfData]):
    BINDINGS = [
        bind("nav.back", "app.pop_screen"),
        bind("whatif.less", "adjust(-1)", priority=True),
        bind("whatif.more", "adjust(1)", priority=True),
        bind("whatif.reset", "reset"),
        bind("whatif.earlier", "period(1)"),
        bind("whatif.later", "period(-1)"),
        bind("whatif.prev_queue", "queue(-1)"),
        bind("whatif.next_queue", "queue(1)"),
    ]
    DEFAULT_CSS = """
    WhatIfScreen #heading { height: auto; padding: 0 1; }
    WhatIfScreen #whatif { height: 1fr; }
    WhatIfScreen #note { height: auto; padding: 0 1; }
    """
    title_text = "What-if"
    filter_hint = "jump to a queue by name"

    # The view: which queue, which period, what changes. Each is part of the request.
    queue_id: reactive[str | None] = reactive(None, init=False)
    interval: reactive[int | None] = reactive(None, init=False)  # None: the rolling 30 minutes
    adjust: reactive[Adjustments] = reactive(Adjustments, init=False)

    def __init__(self, queue_id: str | None = None) -> None:
        super().__init__()
        self.set_reactive(WhatIfScreen.queue_id, queue_id)
        self.loader = WhatIfLoader()  # keeps the outcomes of recent scenarios
        self._data: WhatIfData | None = None
        self._shown: WhatIfRequest | None = None  # the request the data shown answers
        self._read_at = 0.0  # when the data shown was read

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
                Column("change", "Change", 10, "right"),  # "-100.0 pts"
            ]
        )
        self._update_title()

    # -- the view ------------------------------------------------------------------
    def watch_queue_id(self) -> None:
        self._view_changed()

    def watch_interval(self) -> None:
        self._view_changed()

    def watch_adjust(self) -> None:
        self._view_changed()

    def _view_changed(self) -> None:
        self.host.request_load(force=True)

    # -- data --------------------------------------------------------------------------
    def request(self) -> WhatIfRequest:
        return WhatIfRequest(self.queue_id, self.interval, self.adjust, self.host.settings.balance.cost_per_agent_hour)

    def show(self, data: WhatIfData, request: WhatIfRequest, now: float) -> None:
        self._data, self._shown, self._read_at = data, request, now
        # The queue asked for may be gone, or none was: say which is shown, without asking again.
        self.set_reactive(WhatIfScreen.queue_id, data.queue_id)
        if data.baseline is not None:
            self.set_reactive(WhatIfScreen.interval, data.baseline.period.interval)
        self._paint()

    @property
    def baseline(self) -> Baseline | None:
        return self._data.baseline if self._data is not None else None

    @property
    def now_outcome(self) -> Outcome | None:
        return self._data.now if self._data is not None else None

    @property
    def what_outcome(self) -> Outcome | None:
        return self._data.what if self._data is not None else None

    # -- painting ----------------------------------------------------------------------
    def _paint(self) -> None:
        data, request = self._data, self._shown
        if data is None or request is None:
            return
        self._update_title()
        b, now, what, s = data.baseline, data.now, data.what, data.scenario
        if b is None or now is None or what is None or s is None:
            self.query_one("#heading", Static).update(Text("No queues in the store yet."))
            return
        site = self.host.site
        heading = Text()
        heading.append(b.snap.name, style="bold")
        heading.append(
            f"  {b.snap.channel} · {b.period.label(site)} · target {pct(b.scenario.target)} "
            f"in {span_words(b.scenario.threshold_s)} · model: {model_name(b, now)}\n"
        )
        verdict, words = floor_versus_model(b, now)
        heading.append(words + "\n", style="bold yellow" if verdict in (MODEL_HIGHER, MODEL_LOWER) else "dim")
        heading.append("↑↓ pick · ←→ or -/+ change · r reset · [ ] interval · , . queue · e explains", style="dim")
        self.query_one("#heading", Static).update(heading)
        rows = []
        for key, label, seen, a, b_, change in figure_rows(b, now, what, s, request.adjust):
            marker = "◂▸ " if key in INPUTS else "   "
            rows.append(
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
        self.query_one(LiveTable).sync(rows, reorder=False)
        self.query_one("#note", Static).update(Text(cost_words(b), style="dim"))

    def _update_title(self) -> None:
        b = self.baseline
        self.set_title(b.snap.name if b else "")

    # -- keys ----------------------------------------------------------------------------
    def _current_input(self) -> str | None:
        key = self.query_one(LiveTable).current_key
        return key if key in INPUTS else None

    def action_adjust(self, sign: int) -> None:
        key = self._current_input()
        if key is None:
            self.app.bell()
            self.notify("Pick an input (agents, AHT, volume, patience) with ↑↓ first.", markup=False, timeout=3)
            return
        b = self.baseline
        if key == "patience" and b is not None and b.scenario.patience_s is None:
            self.app.bell()
            self.notify("No abandons seen today: there is no patience to change (Erlang C).", markup=False)
            return
        self.adjust = self.adjust.step(key, sign)

    def action_reset(self) -> None:
        self.adjust = Adjustments()

    def action_period(self, step: int) -> None:
        """`[` an interval earlier, `]` later; the rolling 30 minutes come before the latest interval."""
        if self._data is None:
            return
        intervals = [p.interval for p in self._data.periods]
        at = intervals.index(self.interval) if self.interval in intervals else 0
        if not 0 <= at + step < len(intervals):
            self.app.bell()
            return
        self.interval = intervals[at + step]

    def action_queue(self, step: int) -> None:
        if self._data is None or not self._data.queues:
            return
        ids = [q.id for q in self._data.queues]
        i = ids.index(self.queue_id) if self.queue_id in ids else 0
        self._go_to_queue(ids[(i + step) % len(ids)])

    def _go_to_queue(self, queue_id: str) -> None:
        self.set_reactive(WhatIfScreen.interval, None)  # another queue starts on its last 30 minutes
        self.queue_id = queue_id

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
        data, request = self._data, self._shown
        if data is None or request is None or data.baseline is None or data.now is None or data.scenario is None:
            return None
        return f"What-if — {data.baseline.snap.name}", explain_whatif(
            data.baseline, data.now, data.scenario, self.host.site, self._read_at
        )


def figure_rows(
    b: Baseline, now: Outcome, what: Outcome, s: Scenario, adjust: Adjustments
) -> list[tuple[str, str, str, str, str, str]]:
    """(key, label, observed, model now, model what-if, change) for each row of the table."""
    base, o, st = b.scenario, b.observed, b.snap.staffing
    rolling = b.period.interval is None
    return [
        (
            "agents",
            "Agents",
            f"{st.can_take} of {st.staffed}" if rolling else EMPTY,
            str(base.agents),
            str(s.agents),
            delta(s.agents - base.agents, ""),
        ),
        (
            "aht",
            "AHT",
            duration(o.aht_s),
            duration(base.aht_s),
            duration(s.aht_s),
            delta(int(s.aht_s) - int(base.aht_s), " s"),
        ),
        (
            "volume",
            "Volume per 15 min",
            f"{base.volume:.1f}",
            f"{base.volume:.1f}",
            f"{s.volume:.1f}",
            delta(adjust.volume, " %"),
        ),
        (
            "patience",
            "Patience",
            duration(o.patience_s),
            duration(base.patience_s) if base.patience_s else EMPTY,
            duration(s.patience_s) if s.patience_s else EMPTY,
            delta(int(s.patience_s or 0) - int(base.patience_s or 0), " s"),
        ),
        (
            "sl",
            "Service level",
            pct(o.service_level, 1),
            *pair(now.best.service_level, what.best.service_level, pct_points),
        ),
        ("sl_c", "SL if no hang-ups", "", *pair(now.c.service_level, what.c.service_level, pct_points)),
        ("asa", "ASA", duration(o.asa_s), *pair(now.best.asa_s, what.best.asa_s, seconds)),
        (
            "abandon",
            "Abandon rate",
            pct(o.abandon_rate, 1),
            *pair(now.a.p_abandon if now.a else None, what.a.p_abandon if what.a else None, pct_points),
        ),
        (
            "occupancy",
            "Occupancy",
            pct(st.occupancy_here, 1) if rolling else EMPTY,
            *pair(now.best.occupancy, what.best.occupancy, pct_points),
        ),
        ("required", "Agents for target", "", *pair(now.required, what.required, whole)),
        ("cost_hour", "Cost per hour", "", *pair(now.cost_per_hour, what.cost_per_hour, money)),
        ("cost_contact", "Cost per contact", "", *pair(per_contact(now), per_contact(what), money)),
    ]


def explain_whatif(b: Baseline, now: Outcome, s: Scenario, site: SiteTime, read_at: float) -> Text:
    src, o = b.inputs, b.observed
    st, by = b.snap.staffing, b.snap.staffing.by_state
    away = st.staffed - st.can_take
    _, words = floor_versus_model(b, now)
    today_aht = figures(b.snap.today).aht_s
    span = (
        "a complete 15-minute interval today" if b.period.interval is not None else window_words(b.snap, read_at, site)
    )
    rows: list[tuple[str, str]] = [
        (
            "period",
            f"{b.period.label(site)}: {span}; threshold "
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
            f"{model_name(b, now)}: service level {pct(now.best.service_level, 1)}, ASA "
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
        (
            "volume",
            f"{b.scenario.volume:.1f} per 15 min: {contacts(b.counts.offered)} offered in "
            f"{minutes_seconds(b.span_s)}" + (", the period above" if b.period.interval is None else ""),
        ),
        ("patience", f"{duration(src.patience_seen_s) if src.patience_seen_s else EMPTY}: {src.patience_from}"),
        (
            "model",
            f"{model_name(b, now)}: {src.model_why}. The rule behind Queues' agents needed too: "
            f"Erlang A with a patience, Erlang C with none or with one over {PATIENT} x AHT",
        ),
        ("cost", cost_words(b)),
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
            "queue (, .) or interval ([ ])",
        ),
    ]
    return wrapped(*rows)


def model_name(b: Baseline, o: Outcome) -> str:
    if o.a is not None:
        return "Erlang A"
    return "Erlang C" if b.scenario.patience_s is None else "Erlang C (abandons too rare)"


def floor_versus_model(b: Baseline, now: Outcome) -> tuple[str, str]:
    """The comparison's verdict (domain.whatif.compare) and the words shown for it."""
    o = b.observed
    model_sl = now.best.service_level
    judged = b.counts.answered + b.counts.abandoned
    verdict = compare(model_sl, o.service_level, judged, b.scenario.target)
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
        if not judged:
            return verdict, "No contact answered or abandoned in this period: nothing to check the model against."
        return (
            verdict,
            f"Only {contacts(judged)} answered or abandoned in this period: too few to check the model against.",
        )
    return verdict, f"The model is within {WIDE_GAP * 100:g} points of the floor's {f} in this period."


def cost_words(b: Baseline) -> str:
    cost = f"{b.scenario.cost_per_agent_hour:,.2f}" if b.scenario.cost_per_agent_hour is not None else EMPTY
    if b.cost_from == "feed":
        return f"Costs: {cost} per agent hour, in the units of this queue's feed"
    return f"Costs: {cost} per agent hour, in config units (balance.cost_per_agent_hour)"


def per_contact(o: Outcome) -> float | None:
    return o.cost_per_contact_a if o.a is not None else o.cost_per_contact_c
