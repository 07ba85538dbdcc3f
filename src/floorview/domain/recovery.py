"""Service recovery: which customers were hurt today, and why.

A rule fires on facts the store holds (the contacts and survey answers of
today, the abandons of the last 7 days, the contacts of the last 72 hours).
Each rule weighs in with a severity from the config; a customer's severity is
the sum of the rules that fired, and the list is sorted by it, then by the
customer's value (segment, then products held).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

RULES = ("long_wait", "transfers", "repeat", "abandons", "detractor", "trust_no")


@dataclass(frozen=True, slots=True)
class RecoveryRules:
    long_wait_factor: float = 2.0  # waited more than this many times the queue's SL threshold
    abandons: int = 2  # abandoned this many times ...
    abandon_days: float = 7.0  # ... within these days
    repeat_hours: float = 72.0  # came back to the same queue within these hours
    transfers: int = 2  # transferred this many times or more in one contact
    severity: dict[str, int] = field(
        default_factory=lambda: {
            "long_wait": 2,
            "abandons": 3,
            "repeat": 2,
            "transfers": 2,
            "detractor": 3,
            "trust_no": 3,
        }
    )
    segment_value: dict[str, int] = field(
        default_factory=lambda: {
            "enterprise": 3,
            "small business": 2,
            "consumer": 1,
        }
    )


@dataclass(frozen=True, slots=True)
class Hurt:
    """One rule that fired for a customer today, in words."""

    rule: str
    why: str
    at: float


@dataclass(slots=True)
class Case:
    customer_id: str
    name: str
    segment: str | None
    products: int | None
    hurts: list[Hurt] = field(default_factory=list)

    def severity(self, rules: RecoveryRules) -> int:
        return severity({h.rule for h in self.hurts}, rules)

    def value(self, rules: RecoveryRules) -> tuple[int, int]:
        return rules.segment_value.get(self.segment or "", 0), self.products or 0


def severity(fired: Iterable[str], rules: RecoveryRules) -> int:
    """How hurt a customer is: the weights of the distinct rules that fired, summed."""
    return sum(rules.severity.get(rule, 1) for rule in set(fired))


def rank(cases: list[Case], rules: RecoveryRules) -> list[Case]:
    """Most hurt first; between equals, the most valuable; then by name."""
    return sorted(cases, key=lambda c: (-c.severity(rules), tuple(-v for v in c.value(rules)), c.name, c.customer_id))
