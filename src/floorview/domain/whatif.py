"""The staffing what-if: one queue, one interval, priced.

Erlang A (with the queue's observed patience) is the figure to read; Erlang C,
which assumes nobody hangs up, stands beside it. Agents required uses the
same search as the Queues screen's "agents needed" (erlang.agents_for_target),
so the two screens never disagree.

Cost: agents x cost per agent hour. Cost per contact divides that by the
contacts answered in an hour: arrivals x (1 - P(abandon)) under Erlang A;
under Erlang C every arrival, or what the agents can take when overloaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from floorview.domain.erlang import ErlangResult, agents_for_target, erlang_a, erlang_c
from floorview.domain.metrics import INTERVAL, PATIENT


@dataclass(frozen=True, slots=True)
class Scenario:
    agents: int
    aht_s: float
    volume: float  # contacts offered per interval
    patience_s: float | None  # None: nobody abandons (Erlang C only)
    threshold_s: float
    target: float  # service-level target, a fraction
    cost_per_agent_hour: float | None
    interval_s: int = INTERVAL

    @property
    def arrival_rate(self) -> float:
        return self.volume / self.interval_s

    def with_(self, **changes) -> Scenario:
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Outcome:
    a: ErlangResult | None  # Erlang A; None without a patience
    c: ErlangResult
    required_a: int | None
    required_c: int | None
    cost_per_hour: float | None
    cost_per_contact_a: float | None
    cost_per_contact_c: float | None

    @property
    def best(self) -> ErlangResult:
        return self.a or self.c

    @property
    def required(self) -> int | None:
        return self.required_a if self.a is not None else self.required_c


def _patience(s: Scenario) -> float | None:
    p = s.patience_s
    if p is None or not math.isfinite(p) or p <= 0 or p > PATIENT * s.aht_s:
        return None  # abandonment this rare changes nothing (as on the Queues screen)
    return p


def _required(s: Scenario, patience: float | None) -> int | None:
    try:
        return agents_for_target(s.arrival_rate, s.aht_s, s.threshold_s, s.target, patience)
    except ValueError:
        return None


def evaluate(s: Scenario) -> Outcome:
    if s.agents < 0 or s.aht_s <= 0 or s.volume < 0:
        raise ValueError("agents and volume cannot be negative, and AHT must be above zero")
    patience = _patience(s)
    c = erlang_c(s.agents, s.arrival_rate, s.aht_s, s.threshold_s)
    a = erlang_a(s.agents, s.arrival_rate, s.aht_s, patience, s.threshold_s) if patience else None
    per_hour = s.agents * s.cost_per_agent_hour if s.cost_per_agent_hour is not None else None
    arrivals_h = s.arrival_rate * 3600

    def per_contact(answered_h: float) -> float | None:
        return per_hour / answered_h if per_hour is not None and answered_h > 0 else None

    return Outcome(
        a=a,
        c=c,
        required_a=_required(s, patience) if patience else None,
        required_c=_required(s, None),
        cost_per_hour=per_hour,
        cost_per_contact_a=per_contact(arrivals_h * (1 - a.p_abandon)) if a else None,
        # Overloaded, Erlang C's queue grows without end and answers only what the agents can take.
        cost_per_contact_c=per_contact(min(arrivals_h, s.agents * 3600 / s.aht_s)),
    )
