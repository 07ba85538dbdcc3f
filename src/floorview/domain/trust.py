"""A customer's trust and behavior, read together.

Trust is a three-legged stool: sincerity, competence and reliability (each
answered 1 to 5); the weakest leg is where to act. Net trust scores the
"Do you trust us?" answers yes +1, no -1 and sometimes -1, averaged and shown
on -100..+100 like NPS.

Emotion (0..100) is the mean of what the customer told us, each put on 0..100:
net trust ((t + 100) / 2), NPS (x 10), CSAT ((x - 1) / 4) and effort (CES,
lower is better: (7 - x) / 6). Each is a weighted mean of the answers of the
last EMOTION_DAYS days, a survey's weight halving every EMOTION_HALF_LIFE_DAYS
of its age: recent answers count most, and no single survey decides the
quadrant (a detractor's one 10 does not make an Advocate).

Behavior (0..100) is the engagement score: a weighted mean of the behavior
figures, each capped and put on 0..1 (usage trend from -1..1), with the
weights in the config. Support contacts weigh nothing by default: many
contacts can mean engagement or friction, so they are shown, not scored.

The quadrant reads the two together: both high, Advocate; behavior high and
emotion low, Captive ("buys everything, can't stand us"); behavior low and
emotion high, Dormant fan ("loves us, forgets us"); both low, At risk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from floorview.domain.engagement import EngagementWeights

LEGS = ("sincerity", "competence", "reliability")
NEW_CUSTOMER_DAYS = 90
EMOTION_DAYS = 365  # answers older than this are not read into emotion
EMOTION_HALF_LIFE_DAYS = 90  # a survey this old weighs half as much as one from today


@dataclass(frozen=True, slots=True)
class Answer:
    """One survey's answers (any may be missing)."""

    at: float
    nps: int | None = None
    csat: int | None = None
    ces: int | None = None
    trust: str | None = None  # yes, no, sometimes
    sincerity: int | None = None
    competence: int | None = None
    reliability: int | None = None
    verbatim: str | None = None


def net_trust(answers: Iterable[Answer]) -> tuple[float | None, int]:
    """(net trust on -100..+100, answers counted)."""
    scores = [1 if a.trust == "yes" else -1 for a in answers if a.trust in ("yes", "no", "sometimes")]
    return (100 * sum(scores) / len(scores) if scores else None), len(scores)


def nps_category(score: int | None) -> str | None:
    if score is None:
        return None
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


@dataclass(frozen=True, slots=True)
class Stool:
    legs: dict[str, float | None]  # mean answer, 1..5
    counts: dict[str, int]

    @property
    def weakest(self) -> str | None:
        """The lowest leg; on a tie, the first in LEGS order (sincerity, competence, reliability)."""
        scored = [(v, LEGS.index(k), k) for k, v in self.legs.items() if v is not None]
        return min(scored)[2] if scored else None


def stool(answers: Sequence[Answer]) -> Stool:
    return Stool(
        {leg: _mean(getattr(a, leg) for a in answers) for leg in LEGS},
        {leg: sum(1 for a in answers if getattr(a, leg) is not None) for leg in LEGS},
    )


@dataclass(frozen=True, slots=True)
class Emotion:
    score: float | None  # 0..100
    parts: dict[str, float]  # each input on 0..100, as used
    latest_nps: int | None
    csat: float | None
    ces: float | None
    net_trust: float | None


def _weighted(pairs: Iterable[tuple[float, float | None]]) -> float | None:
    """The mean of (weight, value) pairs with a value."""
    total = weight = 0.0
    for w, v in pairs:
        if v is not None:
            total += w * v
            weight += w
    return total / weight if weight else None


def emotion(answers: Sequence[Answer], now: float) -> Emotion:
    """`answers` oldest first; read over the last EMOTION_DAYS days, recent ones weighing most."""
    recent = [a for a in answers if now - a.at <= EMOTION_DAYS * 86400]
    weighed = [(0.5 ** (max(0.0, now - a.at) / (EMOTION_HALF_LIFE_DAYS * 86400)), a) for a in recent]
    latest_nps = next((a.nps for a in reversed(answers) if a.nps is not None), None)
    trust_score = {"yes": 100.0, "no": -100.0, "sometimes": -100.0}
    trust = _weighted((w, trust_score.get(a.trust or "")) for w, a in weighed)
    nps = _weighted((w, a.nps) for w, a in weighed)
    csat = _weighted((w, a.csat) for w, a in weighed)
    ces = _weighted((w, a.ces) for w, a in weighed)
    parts = {}
    if trust is not None:
        parts["trust"] = (trust + 100) / 2
    if nps is not None:
        parts["nps"] = nps * 10.0
    if csat is not None:
        parts["csat"] = (csat - 1) / 4 * 100
    if ces is not None:
        parts["effort"] = (7 - ces) / 6 * 100
    return Emotion(_mean(parts.values()), parts, latest_nps, csat, ces, trust)


@dataclass(frozen=True, slots=True)
class Engagement:
    score: float | None  # 0..100
    inputs: dict[str, tuple[float, float, float]]  # figure -> (value, on 0..1, weight)


def engagement(behavior: Mapping[str, float] | None, w: EngagementWeights) -> Engagement:
    inputs = {}
    for name, weight in w.weights.items():
        value = (behavior or {}).get(name)
        if value is None:
            continue
        if name == "usage_trend":
            unit = (max(-1.0, min(1.0, value)) + 1) / 2
        else:
            unit = max(0.0, min(1.0, value / w.caps[name]))
        inputs[name] = (float(value), unit, weight)
    total = sum(weight for _, _, weight in inputs.values())
    score = 100 * sum(unit * weight for _, unit, weight in inputs.values()) / total if total else None
    return Engagement(score, inputs)


QUADRANTS = {
    (True, True): "Advocate",
    (True, False): "Captive",
    (False, True): "Dormant fan",
    (False, False): "At risk",
}
MEANING = {
    "Advocate": "behaviorally and emotionally loyal",
    "Captive": "buys everything, can't stand us",
    "Dormant fan": "loves us, forgets us",
    "At risk": "neither engaged nor warm",
}
LEG_ACTIONS = {
    "sincerity": "a personal call from a team lead: own what happened, in plain words",
    "competence": "an expert follow-up: someone who can settle it for good",
    "reliability": "fix and confirm the broken promise, then check it stayed fixed",
}


def quadrant(
    behavior: float | None, emotion_score: float | None, behavior_high: float, emotion_high: float
) -> str | None:
    """The quadrant, or None while either side is unknown. On a threshold counts as high."""
    if behavior is None or emotion_score is None:
        return None
    return QUADRANTS[(behavior >= behavior_high, emotion_score >= emotion_high)]


def actions(
    behavior: float | None,
    emotion_score: float | None,
    weakest: str | None,
    since: date | None,
    today: date,
    behavior_high: float,
    emotion_high: float,
) -> list[str]:
    """What to do, most pressing first."""
    out = []
    if emotion_score is not None and emotion_score < emotion_high:
        leg = weakest or "reliability"
        out.append(f"Rebuild trust on {leg}: {LEG_ACTIONS[leg]}.")
    if behavior is not None and behavior < behavior_high:
        out.append("Awareness and education: useful content, onboarding help, a courtesy call.")
    if since is not None and (today - since).days < NEW_CUSTOMER_DAYS:
        out.append("New customer (first 90 days): check the hand-off went well and that value shows quickly.")
    if not out and behavior is not None and emotion_score is not None:
        out.append("Keep it up: thank them, and ask whether they would speak for us.")
    return out


def trust_trend(answers: Sequence[Answer], now: float, days: int = 90) -> tuple[float | None, float | None]:
    """Net trust over the last `days` and over the `days` before, for the trend arrow."""
    cut, before = now - days * 86400, now - 2 * days * 86400
    recent, _ = net_trust(a for a in answers if a.at >= cut)
    earlier, _ = net_trust(a for a in answers if before <= a.at < cut)
    return recent, earlier
