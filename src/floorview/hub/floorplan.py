"""The simulated floor's plan moved to sources/simulator/floorplan.py; kept for old imports."""

from floorview.sources.simulator.floorplan import (
    DEMO_ZONES,
    PROFILE,
    REASONS,
    SITE_TZ,
    AgentPlan,
    FloorPlan,
    QueuePlan,
    afternoon_zone,
    make_plan,
)

__all__ = [
    "DEMO_ZONES",
    "PROFILE",
    "REASONS",
    "SITE_TZ",
    "AgentPlan",
    "FloorPlan",
    "QueuePlan",
    "afternoon_zone",
    "make_plan",
]
