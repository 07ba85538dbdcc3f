"""The shape of a simulated floor: queues, teams, agents and customers.

Everything is drawn from one seeded random generator, so a seed names a floor.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

SITE_TZ = "America/New_York"
# A second site an hour behind, for a queue or two: resets differ by zone.
NEIGHBOUR_TZ = {"America/New_York": "America/Chicago"}
# Zones the demo can place its floor in so that it is working hours there now.
DEMO_ZONES = (
    "Pacific/Auckland",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Bangkok",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/Istanbul",
    "Europe/Berlin",
    "Europe/London",
    "Atlantic/Azores",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
)

# Arrivals by local hour, relative to the peak (a typical weekday).
PROFILE = (
    0.04,
    0.03,
    0.02,
    0.02,
    0.03,
    0.06,
    0.15,
    0.40,
    0.75,
    0.95,
    1.00,
    0.98,
    0.85,
    0.90,
    0.95,
    0.88,
    0.75,
    0.55,
    0.40,
    0.30,
    0.22,
    0.15,
    0.09,
    0.06,
)

FIRST = (
    "Ada Amir Ana Ben Bea Cai Cleo Dan Dee Eli Ema Finn Gia Hal Ines Ivo Jae Jo Kai Kim "
    "Lea Leo Mae Max Nia Noor Oli Omar Pia Raj Rae Sam Sol Tao Tess Uma Val Vik Wen Yui Zoe"
).split()
LAST = (
    "Abara Berg Costa Diaz Eze Fox Garcia Haas Ito Jensen Khan Lund Moreau Novak Okafor "
    "Patel Quinn Rossi Sato Tran Ueda Varga Wong Xu Young Zeller"
).split()
REASONS = ("break", "lunch", "meeting", "training", "coaching", "system issue")

# name, channel, sl threshold, aht mean, patience mean (None: never abandons), peak/hour
SMALL_QUEUES = (
    ("Billing", "voice", 20, 300, 150, 125),
    ("Tech support", "voice", 30, 480, 240, 82),
    ("Sales", "voice", 20, 360, 120, 52),
    ("Retention", "voice", 20, 540, 180, 24),
    ("Billing chat", "chat", 60, 420, 400, 40),
    ("Tech chat", "chat", 60, 600, 500, 28),
    ("Orders email", "email", 4 * 3600, 420, None, 30),
    ("Claims email", "email", 8 * 3600, 600, None, 14),
)
TEAM_NAMES = ("Harbor", "Summit", "Prairie", "Canyon", "Delta", "Meadow", "Ridge", "Coast")


@dataclass(slots=True)
class QueuePlan:
    id: str
    name: str
    channel: str
    timezone: str
    sl_threshold_s: int
    sl_target: float
    short_abandon_s: int
    aht_mean_s: float
    patience_mean_s: float | None
    peak_per_hour: float
    aht_target_s: float
    abandon_target: float | None
    cost_per_agent_hour: float


@dataclass(slots=True)
class AgentPlan:
    id: str
    name: str
    team: str
    queues: list[str]
    shift_start_h: float  # local hour
    shift_hours: float


@dataclass(slots=True)
class FloorPlan:
    site_tz: str
    queues: list[QueuePlan]
    agents: list[AgentPlan]
    teams: dict[str, str]  # team -> lead's name
    customers: int
    customer_names: list[str] = field(default_factory=list)


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def make_plan(rng: random.Random, scale: str, site_tz: str = SITE_TZ) -> FloorPlan:
    if scale == "small":
        specs = list(SMALL_QUEUES)
        n_agents, n_customers = 64, 5000
        teams: tuple[str, ...] = TEAM_NAMES[:6]
    elif scale == "large":
        specs = [(f"{base[0]} {region}", *base[1:5], base[5] * 1.2) for region in range(1, 26) for base in SMALL_QUEUES]
        n_agents, n_customers = 2000, 1_000_000
        teams = tuple(f"{t} {i}" for i in range(1, 26) for t in TEAM_NAMES)
    else:
        raise ValueError(f"unknown scale {scale!r} (small or large)")
    queues = []
    for i, (name, channel, threshold, aht, patience, peak) in enumerate(specs):
        slug = name.lower().replace(" ", "-")
        tz = site_tz if i % 8 != 3 else NEIGHBOUR_TZ.get(site_tz, site_tz)
        queues.append(
            QueuePlan(
                id=f"q-{slug}",
                name=name,
                channel=channel,
                timezone=tz,
                sl_threshold_s=threshold,
                sl_target=0.8 if channel != "email" else 0.9,
                short_abandon_s=5 if channel == "voice" else (15 if channel == "chat" else 0),
                aht_mean_s=aht,
                patience_mean_s=patience,
                peak_per_hour=peak,
                aht_target_s=round(aht * 0.95),
                abandon_target=0.05 if patience else None,
                cost_per_agent_hour=32.0 if channel == "voice" else 28.0,
            )
        )
    # Agents are skilled by channel: two or three queues of one channel each.
    by_channel: dict[str, list[str]] = {}
    for q in queues:
        by_channel.setdefault(q.channel, []).append(q.id)
    # Enough email agents to clear the inbox each day: no backlog builds over weeks.
    weights = {"voice": 0.56, "chat": 0.26, "email": 0.18}
    agents = []
    for i in range(n_agents):
        channel = rng.choices(list(weights), list(weights.values()))[0]
        pool = by_channel[channel]
        skills = rng.sample(pool, min(len(pool), rng.choice((1, 2, 2, 3))))
        agents.append(
            AgentPlan(
                id=f"a-{i + 1:04d}",
                name=_person(rng),
                team=teams[i % len(teams)],
                queues=skills,
                shift_start_h=rng.choice((6.0, 7.0, 7.5, 8.0, 8.5, 9.0, 10.0, 11.0, 12.0, 13.0)),
                shift_hours=8.5,
            )
        )
    leads = {t: _person(rng) for t in teams}
    return FloorPlan(site_tz=site_tz, queues=queues, agents=agents, teams=leads, customers=n_customers)


def afternoon_zone(now: float) -> str:
    """The demo zone where it is closest to 14:00 now, so the demo floor is busy."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    def distance(zone: str) -> float:
        local = datetime.fromtimestamp(now, ZoneInfo(zone))
        return abs(local.hour + local.minute / 60 - 14)

    return min(DEMO_ZONES, key=distance)
