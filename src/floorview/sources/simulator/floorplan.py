"""The shape of a simulated floor: queues, teams, agents and customers.

Everything is drawn from one seeded random generator, so a seed names a floor.
"""

from __future__ import annotations

import math
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

# name, channel, sl threshold, aht mean, patience mean (None: never abandons), peak/hour,
# staffing (the share of the agents its load needs that the floor has: below 1, a queue in trouble),
# opening hours (local to the queue's zone; (0, 24): always open). A floor of this size opens its
# lines and chats by day, as most do; Tech support answers round the clock (a few on at night);
# mail arrives at any hour and is worked by day.
SMALL_QUEUES = (
    ("Billing", "voice", 20, 300, 150, 88, 1.0, (7, 22)),
    ("Tech support", "voice", 30, 480, 240, 57, 0.7, (0, 24)),
    ("Sales", "voice", 20, 360, 120, 37, 1.0, (8, 18)),
    ("Retention", "voice", 20, 540, 180, 18, 1.0, (8, 18)),
    ("Billing chat", "chat", 60, 420, 400, 29, 1.0, (7, 22)),
    ("Tech chat", "chat", 60, 600, 500, 20, 0.8, (7, 22)),
    ("Orders email", "email", 4 * 3600, 420, None, 22, 1.0, (0, 24)),
    ("Claims email", "email", 8 * 3600, 600, None, 10, 1.0, (0, 24)),
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
    staffing: float = 1.0  # the share of the agents its load needs that the floor has
    hours: tuple[int, int] = (0, 24)  # open from, until (local hours, the queue's zone): no contact arrives outside

    def open_at(self, hour: int) -> bool:
        """Whether the queue takes contacts in this local hour."""
        return self.hours[0] <= hour < self.hours[1]


@dataclass(slots=True)
class AgentPlan:
    id: str
    name: str
    team: str
    queues: list[str]
    shift_start_h: float  # local hour, in `timezone`
    shift_hours: float
    timezone: str = SITE_TZ  # the home queue's zone: agents work the hours of the callers they serve
    lunch_h: float = 4.0  # hours into the shift; a break about two hours before it and after it


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
        n_agents, n_customers, regions = 64, 5000, 1
        teams: tuple[str, ...] = TEAM_NAMES[:6]
    elif scale == "large":
        specs = [
            (f"{base[0]} {region}", *base[1:5], base[5] * 1.2, *base[6:])
            for region in range(1, 26)
            for base in SMALL_QUEUES
        ]
        n_agents, n_customers, regions = 2000, 1_000_000, 25
        teams = tuple(f"{t} {i}" for i in range(1, 26) for t in TEAM_NAMES)
    else:
        raise ValueError(f"unknown scale {scale!r} (small or large)")
    queues = []
    for i, (name, channel, threshold, aht, patience, peak, staffing, hours) in enumerate(specs):
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
                staffing=staffing,
                hours=hours,
            )
        )
    # Each region (the small floor is one) is staffed alike: the roster of its queues.
    per_region = len(queues) // regions
    roster = _roster(queues[:per_region], n_agents // regions)
    lunches = _lunches(queues[:per_region], roster)
    agents = []
    for i in range(n_agents):
        region, slot = divmod(i, n_agents // regions)
        home, start = roster[slot % len(roster)]
        mine = queues[region * per_region : (region + 1) * per_region]
        # A second queue of the same channel now and then, never one short of people:
        # nobody else covers the queue in trouble, so it stays in trouble, and its own
        # people are not lent out to the others (it needs every one of them).
        others = [
            q.id
            for q in mine
            if q.channel == mine[home].channel and q.staffing >= 1 and mine[home].staffing >= 1 and q is not mine[home]
        ]
        skills = [mine[home].id]
        if others and (start < 6 or start >= 13 or rng.random() < 0.5):  # the few on late or night shifts cover more
            skills += others if start < 6 or start >= 13 else [rng.choice(others)]
        agents.append(
            AgentPlan(
                id=f"a-{i + 1:04d}",
                name=_person(rng),
                team=teams[i % len(teams)],
                queues=skills,
                shift_start_h=start,
                shift_hours=SHIFT_H,
                timezone=mine[home].timezone,
                lunch_h=lunches[slot % len(roster)],
            )
        )
    leads = {t: _person(rng) for t in teams}
    return FloorPlan(site_tz=site_tz, queues=queues, agents=agents, teams=leads, customers=n_customers)


SHIFT_H = 8.5
STARTS = tuple(h / 2 for h in range(-4, 28))  # shift starts, local hours (-2.0: 22:00 the day before)
LUNCH_H = (4.0, 3.5, 4.5, 3.0, 5.0)  # when lunch may be, hours into the shift (the first of equals)
NIGHT = 0.2  # arrivals below this share of the peak: night
NIGHT_SLOTS = frozenset(s for s in range(48) if s < 12 or s >= 44)  # 22:00 to 06:00: the night shift's
SHRINKAGE = 1.18  # agents scheduled per agent needed on a seat: breaks, lunch, meetings


def _needed(q: QueuePlan, queues: list[QueuePlan]) -> list[float]:
    """Agents the queue needs on a seat, each half hour of the day, to meet its target
    (Erlang A: callers abandon), times its staffing: below 1 the floor is short there.
    Nothing while the queue is closed."""
    from floorview.domain.erlang import agents_for_target

    aht = q.aht_mean_s * 0.96  # talk and wrap as the floor draws them
    out = []
    for slot in range(48):
        hour = slot // 2
        rate = q.peak_per_hour * PROFILE[hour] / 3600
        if q.channel == "email":  # hours to answer: the day's work, not the hour's, sets the need
            need = q.peak_per_hour * sum(PROFILE) * aht / 3600 / 15 / 0.85 if 14 <= slot < 44 else 0.0
        elif not q.open_at(hour):
            need = 0.0
        else:
            need = agents_for_target(rate, aht, q.sl_threshold_s, q.sl_target, q.patience_mean_s) if rate else 0.0
            if PROFILE[hour] < NIGHT:  # the few on at night serve every open queue of their channel
                need /= sum(1 for other in queues if other.channel == q.channel and other.open_at(hour))
        out.append(need * q.staffing * SHRINKAGE)
    return out


def _roster(queues: list[QueuePlan], n: int) -> list[tuple[int, float]]:
    """(home queue index, shift start) for `n` agents: shifts added one at a time
    where they cover the most of what is still short, so the floor is staffed to
    its arrival profile (and its staffing). The night first: a queue open at night
    gets the few it needs from 22:00 to 06:00 before the day takes the rest (left
    to the day's fill, nobody would ever be on at night: a day shift covers more).
    Then the inboxes, with the people to clear a day's mail in a day (no backlog
    builds over weeks); the live queues share the rest. Deterministic: no draw."""
    short = [_needed(q, queues) for q in queues]
    roster: list[tuple[int, float]] = []
    span = int(SHIFT_H * 2)

    def fits(q: QueuePlan, start: float) -> bool:
        """Whether a shift from `start` is worked whole on the queue: it is open (mail: worked)
        at the shift's first and last half hour, so nobody sits idle before it opens or after it closes."""
        first, last = int(start * 2) % 48, (int(start * 2) + span - 1) % 48
        if q.channel == "email":
            return 14 <= first and last < 44 and first < last
        return q.open_at(first // 2) and q.open_at(last // 2)

    allowed = [[fits(q, start) for start in STARTS] for q in queues]

    def value(x: float) -> float:
        """What an agent more is worth in a half hour `x` agents short: a whole agent where one
        is missing (its share of one where less is); between shifts that cover alike, the one
        over the larger shortfall (the evening, rather than the morning already short by one)."""
        return min(1.0, max(0.0, x)) + 0.02 * max(0.0, x - 1.0)

    def gains(qi: int, slots: frozenset[int] | None = None) -> list[float]:
        """What a shift from each start would cover of queue `qi`'s shortfall (in `slots` only, if given);
        -1 for a start that does not fit the queue's hours."""
        covered = [value(x) if slots is None or s in slots else 0.0 for s, x in enumerate(short[qi])]
        return [
            sum(covered[s % 48] for s in range(int(start * 2), int(start * 2) + span)) if ok else -1.0
            for start, ok in zip(STARTS, allowed[qi])
        ]

    cover = [gains(qi) for qi in range(len(queues))]

    def add(candidates: list[int], slots: frozenset[int] | None = None) -> None:
        best, where = -1.0, (candidates[0], 0)
        for qi in candidates:
            for i, gain in enumerate(cover[qi] if slots is None else gains(qi, slots)):
                if gain > best + 1e-9:
                    best, where = gain, (qi, i)
        qi, i = where
        for s in range(int(STARTS[i] * 2), int(STARTS[i] * 2) + span):
            short[qi][s % 48] -= 1
        cover[qi] = gains(qi)
        roster.append((qi, STARTS[i]))

    live = [qi for qi, q in enumerate(queues) if q.channel != "email"]
    for qi in live:  # the night: until no night half hour is short by half an agent or more
        while len(roster) < n and max(short[qi][s] for s in NIGHT_SLOTS) >= 0.5:
            add([qi], NIGHT_SLOTS)
    for qi, q in enumerate(queues):
        if q.channel == "email":
            work_h = q.peak_per_hour * sum(PROFILE) * q.aht_mean_s * 0.96 / 3600
            for _ in range(math.ceil(work_h / (SHIFT_H - 1) / 0.9)):
                add([qi])
    while len(roster) < n:
        add(live or list(range(len(queues))))
    return roster[:n]


def _lunches(queues: list[QueuePlan], roster: list[tuple[int, float]]) -> list[float]:
    """Each rostered shift's lunch (hours into it), as a scheduler places them: in the half
    hour of LUNCH_H where its queue has the most people to spare over what it needs, so a
    wave that starts together does not leave the phones together. Breaks follow the lunch."""
    need = [_needed(q, queues) for q in queues]  # scheduled: breaks counted in
    spare = [[-x for x in n] for n in need]
    span = int(SHIFT_H * 2)
    for qi, start in roster:
        for s in range(int(start * 2), int(start * 2) + span):
            spare[qi][s % 48] += 1
    out = []
    for qi, start in roster:
        at = max(LUNCH_H, key=lambda h: (spare[qi][int((start + h) * 2) % 48], -LUNCH_H.index(h)))
        spare[qi][int((start + at) * 2) % 48] -= 1
        out.append(at)
    return out


def afternoon_zone(now: float) -> str:
    """The demo zone where it is closest to 14:00 now, so the demo floor is busy."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    def distance(zone: str) -> float:
        local = datetime.fromtimestamp(now, ZoneInfo(zone))
        return abs(local.hour + local.minute / 60 - 14)

    return min(DEMO_ZONES, key=distance)
