"""The engagement score's weights and caps: a module of its own so the config
can validate them at start-up without importing the trust card's scoring."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class EngagementWeights:
    """Each figure's weight and the value that counts as full marks."""

    weights: dict[str, float] = field(
        default_factory=lambda: {
            "logins_30d": 1.0,
            "active_days_30d": 2.0,
            "products": 2.0,
            "upgrades_90d": 1.0,
            "community_posts_30d": 0.5,
            "usage_trend": 1.5,
            "support_contacts_30d": 0.0,
        }
    )
    caps: dict[str, float] = field(
        default_factory=lambda: {
            "logins_30d": 30,
            "active_days_30d": 30,
            "products": 5,
            "upgrades_90d": 2,
            "community_posts_30d": 4,
            "support_contacts_30d": 6,
        }
    )
