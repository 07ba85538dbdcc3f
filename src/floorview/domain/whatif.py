"""The staffing what-if: one queue, one interval, priced.

Erlang A (with the queue's observed patience) is the figure to read; Erlang C,
which assumes nobody hangs up, stands beside it. Which of the two applies is
decided by `metrics.erlang_patience`, and the inputs by `metrics.model_inputs`,
the rule behind the Queues screen's "agents needed" too; agents required uses
the same search (erlang.agents_for_target), so the two screens never disagree.

The model is a model: steady arrivals, agents who do nothing else. `compare`
sets it beside what the floor did over the same period and says when the two
disagree too widely for the model to be read as the floor.

Cost: agents x cost per agent hour. Cost per contact divides that by the
contacts answered in an hour: arrivals x (1 - P(abandon)) under Erlang A;
under Erlang C every arrival, or what the agents can take when overloaded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from floorview.domain.erlang import ErlangResult, agents_for_target, erlang_a, erlang_c
from floorview.domain.metrics import INTERVAL, erlang_patience


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

    def with_(self, **changes: Any) -> Scenario:  # any field of the scenario, by name, as dataclasses.replace
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
    return erlang_patience(s.patience_s, s.aht_s)  # the Queues screen's rule, the same function


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


# When the model and the floor disagree (see `compare`).
COMPARE_MIN = 10  # contacts answered or abandoned in the period; fewer move the figure 10 points each
WIDE_GAP = 0.15  # service level apart by more than 15 points
SIDES_GAP = 0.05  # or on opposite sides of the target and more than 5 points apart

AGREE, MODEL_HIGHER, MODEL_LOWER, TOO_FEW = "agree", "model higher", "model lower", "too few"


def compare(model_sl: float | None, floor_sl: float | None, contacts: int, target: float) -> str:
    """How the model's service level stands against the floor's over the same period.

    `too few` when the period had fewer than COMPARE_MIN contacts answered or
    abandoned (or either figure is missing): too little to judge the model by.
    Otherwise they disagree when more than WIDE_GAP apart, or when one meets
    the target and the other misses it and they are more than SIDES_GAP apart
    (a queue failing its target while the model says it meets it); `model
    higher` or `model lower` says which way. Else `agree`.
    """
    if model_sl is None or floor_sl is None or contacts < COMPARE_MIN:
        return TOO_FEW
    gap = model_sl - floor_sl
    sides = (model_sl >= target) != (floor_sl >= target)
    if abs(gap) > WIDE_GAP or (sides and abs(gap) > SIDES_GAP):
        return MODEL_HIGHER if gap > 0 else MODEL_LOWER
    return AGREE
