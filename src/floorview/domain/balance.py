"""The quality-versus-cost balance: what a site says it ranks first (talk)
against what its floor coaches and achieves (walk).

Talk is four constraints, force-ranked 1 to 4, each weighed on the 1 to 5
scale with a strictly lower weight for a lower rank: everything cannot be
equal, so ties are refused with the reason.

Walk is measured from the store: the mix of coaching-note topics, and per
15-minute interval and queue whether each constraint's metrics met target.

The talk/walk gap is the total-variation distance between the stated
weights, as shares of their sum, and the coaching mix, as shares of the
coaching notes that name a topic:

    gap = 1/2 * sum over constraints |stated share - coached share|

in points from 0 (coaching spread exactly as the weights say) to 100
(coaching only on constraints given no weight, which the 1 to 5 scale never
allows, so the real ceiling is lower). It is the share of coaching that
would have to move to another topic to match the stated priorities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

CONSTRAINTS = ("quality", "cost", "time", "risk")
LABELS = {"quality": "Quality", "cost": "Cost", "time": "Time", "risk": "Risk"}
WEIGHT_MIN, WEIGHT_MAX = 1, 5


class PriorityError(ValueError):
    """Priorities that cannot stand; the message says why, in plain words."""


@dataclass(frozen=True, slots=True)
class Priorities:
    order: tuple[str, ...]  # rank 1 first
    weights: tuple[int, ...]  # the weight of each rank, in the same order

    def rank(self, constraint: str) -> int:
        return self.order.index(constraint) + 1

    def weight(self, constraint: str) -> int:
        return self.weights[self.order.index(constraint)]

    def shares(self) -> dict[str, float]:
        """Stated weights as shares of their sum."""
        total = sum(self.weights)
        return {c: w / total for c, w in zip(self.order, self.weights)}

    def as_config(self) -> dict[str, dict[str, int]]:
        return {c: {"rank": self.rank(c), "weight": self.weight(c)} for c in CONSTRAINTS}


def check_priorities(ranks: Mapping[str, int], weights: Mapping[str, int]) -> Priorities:
    """Priorities from a rank and a weight per constraint, or PriorityError saying why not."""
    for name, table in (("rank", ranks), ("weight", weights)):
        missing = [LABELS[c] for c in CONSTRAINTS if c not in table]
        unknown = sorted(set(table) - set(CONSTRAINTS))
        if unknown:
            raise PriorityError(f"unknown constraint {unknown[0]!r}; the four are {', '.join(CONSTRAINTS)}")
        if missing:
            raise PriorityError(f"every constraint needs a {name}; missing: {', '.join(missing)}")
        for c, v in table.items():
            if isinstance(v, bool) or not isinstance(v, int):
                raise PriorityError(f"{LABELS[c]}: the {name} must be a whole number, got {v!r}")
    for c, r in ranks.items():
        if not 1 <= r <= len(CONSTRAINTS):
            raise PriorityError(f"{LABELS[c]}: rank {r} is outside 1 to {len(CONSTRAINTS)}")
    by_rank: dict[int, str] = {}
    for c in CONSTRAINTS:
        other = by_rank.setdefault(ranks[c], c)
        if other != c:
            raise PriorityError(
                f"{LABELS[other]} and {LABELS[c]} are both ranked {ranks[c]}: "
                "everything cannot be equal; rank the four 1 to 4"
            )
    for c in CONSTRAINTS:
        if not WEIGHT_MIN <= weights[c] <= WEIGHT_MAX:
            raise PriorityError(f"{LABELS[c]}: weight {weights[c]} is outside {WEIGHT_MIN} to {WEIGHT_MAX}")
    order = tuple(sorted(CONSTRAINTS, key=lambda c: ranks[c]))
    for above, below in zip(order, order[1:]):
        if weights[below] == weights[above]:
            raise PriorityError(
                f"{LABELS[above]} and {LABELS[below]} both weigh {weights[above]}: "
                "everything cannot be equal; a lower rank weighs less"
            )
        if weights[below] > weights[above]:
            raise PriorityError(
                f"{LABELS[below]} (rank {ranks[below]}) weighs more than "
                f"{LABELS[above]} (rank {ranks[above]}); a lower rank weighs less"
            )
    return Priorities(order, tuple(weights[c] for c in order))


def reweigh(p: Priorities, constraint: str, delta: int) -> Priorities:
    """The same ranking with one weight moved by `delta`; PriorityError when that ties or leaves the scale."""
    weights = {c: p.weight(c) for c in CONSTRAINTS}
    weights[constraint] += delta
    return check_priorities({c: p.rank(c) for c in CONSTRAINTS}, weights)


def move(p: Priorities, constraint: str, delta: int) -> Priorities:
    """Move a constraint `delta` ranks (-1: up). The weights stay with the ranks,
    so the constraints trade weights as they trade places."""
    i = p.order.index(constraint)
    j = i + delta
    if not 0 <= j < len(p.order):
        where = "first" if j < 0 else "last"
        raise PriorityError(f"{LABELS[constraint]} is already ranked {where}")
    order = list(p.order)
    order[i], order[j] = order[j], order[i]
    return Priorities(tuple(order), p.weights)


@dataclass(frozen=True, slots=True)
class CoachingMix:
    counts: dict[str, int]  # coaching notes per topic in the window

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def shares(self) -> dict[str, float] | None:
        total = self.total
        if not total:
            return None
        return {c: self.counts.get(c, 0) / total for c in CONSTRAINTS}


def talk_walk_gap(p: Priorities, mix: CoachingMix) -> float | None:
    """The gap in points, 0..100 (see the module's doc); None without coaching to compare."""
    coached = mix.shares()
    if coached is None:
        return None
    stated = p.shares()
    return 50 * sum(abs(stated[c] - coached[c]) for c in CONSTRAINTS)


def sentence(p: Priorities, mix: CoachingMix, period: str) -> str:
    """The gap in one plain sentence: "You rank Quality first; 68% of coaching
    in the last 7 days was about Cost (ranked 3)."."""
    first = p.order[0]
    coached = mix.shares()
    if coached is None:
        return f"You rank {LABELS[first]} first; there was no coaching {period} to compare it with."
    top = max(CONSTRAINTS, key=lambda c: (coached[c], -CONSTRAINTS.index(c)))
    about = LABELS[top]
    share = f"{round(coached[top] * 100)}%"
    if top == first:
        return f"You rank {LABELS[first]} first, and coaching agrees: {share} of it {period} was about {about}."
    return f"You rank {LABELS[first]} first; {share} of coaching {period} was about {about} (ranked {p.rank(top)})."


def gap_trend(weeks: Sequence[tuple[str, Priorities, CoachingMix]]) -> list[tuple[str, float | None]]:
    """The gap week by week: (label, gap) per (label, priorities then, coaching that week)."""
    return [(label, talk_walk_gap(p, mix)) for label, p, mix in weeks]
