"""The what-if's data: one queue over one period, its baseline and the model's
outcomes now and with the changes made, read and worked out in the worker.

The model's inputs come from `metrics.model_inputs` and its agents from
`Staffing.can_take`, the Queues screen's rule and "have": the two screens
give the same agents needed for the same queue and minute.

Changes are held as steps from the baseline (agents +2, AHT +30 s, volume
+10 %, patience -20 s), so they carry over when another queue or interval is
picked: "what would 30 more seconds for quality cost here, and here?".
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace

from floorview.domain.metrics import INTERVAL, WINDOW, Counts, ModelInputs, QueueFigures, figures, model_inputs
from floorview.domain.sitetime import SiteTime
from floorview.domain.whatif import Outcome, Scenario, evaluate
from floorview.store.balance import queue_intervals
from floorview.store.reads import QueueSnapshot, queue_snapshots

INPUTS = ("agents", "aht", "volume", "patience")
STEP = {"agents": 1, "aht": 10, "volume": 5, "patience": 10}  # agents, s, % of baseline, s
DEFAULT_AHT_S = 300.0  # only when the queue has neither handled contacts nor an AHT target
KEEP_OUTCOMES = 64  # scenarios whose outcomes the loader keeps (Erlang A on a big queue takes tens of ms)


@dataclass(frozen=True, slots=True)
class Period:
    interval: int | None  # None: the rolling 30 minutes

    def label(self, site: SiteTime) -> str:
        if self.interval is None:
            return "last 30 min"
        start = self.interval * INTERVAL
        return f"{site.fmt(start, '%H:%M')}–{site.fmt(start + INTERVAL, '%H:%M')} {site.abbrev(start)}"


@dataclass(frozen=True, slots=True)
class Adjustments:
    """The changes made on screen, as steps from the baseline: agents, AHT
    seconds, volume in % of the baseline's, patience seconds."""

    agents: int = 0
    aht: int = 0
    volume: int = 0
    patience: int = 0

    def get(self, key: str) -> int:
        value: int = getattr(self, key)
        return value

    def step(self, key: str, sign: int) -> Adjustments:
        value = self.get(key) + sign * STEP[key]
        if key == "volume":
            value = max(-100, value)
        return replace(self, **{key: value})

    def apply(self, s: Scenario) -> Scenario:
        """The what-if scenario: the baseline with these changes, kept within what a model takes."""
        return s.with_(
            agents=max(0, s.agents + self.agents),
            aht_s=max(1.0, s.aht_s + self.aht),
            volume=max(0.0, s.volume * (1 + self.volume / 100)),
            patience_s=max(1.0, s.patience_s + self.patience) if s.patience_s is not None else None,
        )


@dataclass(frozen=True, slots=True)
class WhatIfRequest:
    queue_id: str | None  # None: the first queue
    interval: int | None  # a complete 15-minute interval of today; None: the rolling 30 minutes
    adjust: Adjustments
    config_cost: float  # balance.cost_per_agent_hour, for a queue whose feed gives none


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
    queues: list[QueueSnapshot]  # every queue, for , . and the filter
    queue_id: str | None  # the queue shown: the one asked for, else the first
    periods: list[Period]  # the rolling 30 minutes, then today's complete intervals, latest first
    baseline: Baseline | None  # None: no queue in the store
    scenario: Scenario | None  # the what-if: the baseline with the request's changes
    now: Outcome | None
    what: Outcome | None


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


class WhatIfLoader:
    """`load(con, now, request)` for the what-if, keeping the outcomes of the
    scenarios it worked out lately: a refresh that leaves the baseline as it
    was, or a change undone, costs no Erlang search. Run by the one load worker."""

    def __init__(self) -> None:
        self._outcomes: dict[Scenario, Outcome] = {}

    def __call__(self, con: sqlite3.Connection, now: float, request: WhatIfRequest) -> WhatIfData:
        queues = queue_snapshots(con, now)
        snap = next((q for q in queues if q.id == request.queue_id), queues[0] if queues else None)
        if snap is None:
            return WhatIfData(queues, None, [Period(None)], None, None, None, None)
        intervals: dict[int, Counts] = {}
        done = int(now // INTERVAL)  # the interval under way is not complete: left out
        for interval, counts in queue_intervals(con, snap.id, now - snap.today_s, done * INTERVAL):
            intervals[interval] = counts
        periods = [Period(None), *(Period(i) for i in sorted(intervals, reverse=True))]
        if request.interval in intervals:
            period, counts, span = Period(request.interval), intervals[request.interval], float(INTERVAL)
        else:
            period, counts, span = Period(None), snap.window, snap.window_s or WINDOW
        b = baseline(snap, period, counts, span, request.config_cost)
        scenario = request.adjust.apply(b.scenario)
        return WhatIfData(queues, snap.id, periods, b, scenario, self._evaluate(b.scenario), self._evaluate(scenario))

    def _evaluate(self, scenario: Scenario) -> Outcome:
        outcome = self._outcomes.get(scenario)
        if outcome is None:
            if len(self._outcomes) >= KEEP_OUTCOMES:
                self._outcomes.clear()
            outcome = self._outcomes[scenario] = evaluate(scenario)
        return outcome
