"""The Balance screen's floor-wide targets: a module of its own so the config
can validate them at start-up without importing the metric definitions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Targets:
    """Floor-wide targets; the queue's own settings give the rest."""

    qa_score: float = 85.0  # mean QA score, points
    resolution: float = 0.80  # resolved / contacts with an outcome
    csat_good: float = 0.80  # CSAT 4-5 / CSAT answers
    complaints: float = 0.05  # CSAT 1-2 / CSAT answers
    long_waits: float = 0.05  # waited over twice the queue's threshold / answered + abandoned
    compliance_fails: float = 0.02  # QA scores under compliance_score / QA scores
    compliance_score: float = 60.0
    escalations: float = 0.10  # transferred / answered
    repeats: float = 0.15  # came back to the same queue within repeat_window_h / contacts of known customers
    repeat_window_h: float = 72.0
