"""Which targets the floor meets: each constraint's metrics, checked per queue
and 15-minute interval.

Every metric is a ratio of sums, so it pools over any set of intervals. An
interval is checked when it holds at least one contact the metric counts
(a QA score, a survey answer...); it is breached when its value misses the
target. "Breached for" is breached intervals x 15 minutes; "longest" is the
longest run of consecutive breached intervals of one queue.

The floor's figure of a metric pools its sums per channel. Ratios of counts
(service level, abandons, QA, resolution...) may add channels up; averages
of time (ASA, AHT) never do: an email's wait of hours and a call's of
seconds make no mean. Those have a floor figure only per channel.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from floorview.domain.metrics import INTERVAL, Counts, QueueFigures, QueueSettings, figures
from floorview.domain.targets import Targets


@dataclass(slots=True)
class Sums:
    """What the metrics need of one queue-interval, all additive."""

    counts: Counts = field(default_factory=Counts)
    long_waits: int = 0
    qa_n: int = 0
    qa_sum: float = 0.0
    qa_fails: int = 0
    outcome_n: int = 0
    resolved: int = 0
    transferred: int = 0
    known_n: int = 0  # contacts of a known customer
    repeats: int = 0
    csat_n: int = 0
    csat_good: int = 0
    csat_bad: int = 0

    def add(self, other: Sums) -> None:
        self.counts.add(other.counts)
        for name in _SCALARS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


_SCALARS = tuple(n for n in Sums.__dataclass_fields__ if n != "counts")


def _ratio(num: float, den: float) -> tuple[float | None, int]:
    return (num / den if den else None), int(den)


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    constraint: str
    label: str
    unit: str  # "%", "s" or "pts"
    higher_is_better: bool
    definition: str
    # (value, how many it counts) from the sums and their queue figures (worked out once per row)
    value: Callable[[Sums, QueueFigures], tuple[float | None, int]]
    target: Callable[[Targets, QueueSettings], float | None]
    per_queue: bool = False  # the target is each queue's own

    @property
    def pools_channels(self) -> bool:
        """Whether a floor figure may add channels up: ratios of counts may, averages of time not."""
        return self.unit != "s"


def _sl(s: Sums, f: QueueFigures) -> tuple[float | None, int]:
    return f.service_level, s.counts.answered + s.counts.abandoned


def _asa(s: Sums, f: QueueFigures) -> tuple[float | None, int]:
    return f.asa_s, s.counts.answered


def _aht(s: Sums, f: QueueFigures) -> tuple[float | None, int]:
    return f.aht_s, s.counts.handled


def _abandon(s: Sums, f: QueueFigures) -> tuple[float | None, int]:
    return f.abandon_rate, s.counts.answered + s.counts.abandoned


METRICS: tuple[Metric, ...] = (
    Metric(
        "qa",
        "quality",
        "QA score",
        "pts",
        True,
        "mean QA score of scored contacts",
        lambda s, f: _ratio(s.qa_sum, s.qa_n),
        lambda t, q: t.qa_score,
    ),
    Metric(
        "resolution",
        "quality",
        "Resolved",
        "%",
        True,
        "resolved / contacts with a recorded outcome",
        lambda s, f: _ratio(s.resolved, s.outcome_n),
        lambda t, q: t.resolution,
    ),
    Metric(
        "csat",
        "quality",
        "CSAT 4-5",
        "%",
        True,
        "CSAT answers of 4 or 5 / CSAT answers",
        lambda s, f: _ratio(s.csat_good, s.csat_n),
        lambda t, q: t.csat_good,
    ),
    Metric(
        "complaints",
        "quality",
        "Complaints",
        "%",
        False,
        "CSAT answers of 1 or 2 / CSAT answers",
        lambda s, f: _ratio(s.csat_bad, s.csat_n),
        lambda t, q: t.complaints,
    ),
    Metric(
        "sl",
        "cost",
        "Service level",
        "%",
        True,
        "answered within the queue's threshold / (answered + abandoned), against the queue's target",
        _sl,
        lambda t, q: q.sl_target,
        per_queue=True,
    ),
    Metric(
        "aht",
        "cost",
        "AHT",
        "s",
        False,
        "(talk + wrap-up) / handled, against the queue's AHT target",
        _aht,
        lambda t, q: q.aht_target_s,
        per_queue=True,
    ),
    Metric(
        "asa",
        "time",
        "ASA",
        "s",
        False,
        "wait of answered contacts / answered, against the queue's SL threshold",
        _asa,
        lambda t, q: q.sl_threshold_s,
        per_queue=True,
    ),
    Metric(
        "long_waits",
        "time",
        "Long waits",
        "%",
        False,
        "contacts that waited over twice the queue's threshold / (answered + abandoned)",
        lambda s, f: _ratio(s.long_waits, s.counts.answered + s.counts.abandoned),
        lambda t, q: t.long_waits,
    ),
    Metric(
        "abandon",
        "time",
        "Abandoned",
        "%",
        False,
        "abandoned (short abandons excluded) / (answered + abandoned), against the queue's target",
        _abandon,
        lambda t, q: q.abandon_target,
        per_queue=True,
    ),
    Metric(
        "compliance",
        "risk",
        "Compliance fails",
        "%",
        False,
        "QA scores under the compliance score / QA scores",
        lambda s, f: _ratio(s.qa_fails, s.qa_n),
        lambda t, q: t.compliance_fails,
    ),
    Metric(
        "escalations",
        "risk",
        "Transferred",
        "%",
        False,
        "answered contacts transferred at least once / answered",
        lambda s, f: _ratio(s.transferred, s.counts.answered),
        lambda t, q: t.escalations,
    ),
    Metric(
        "repeats",
        "risk",
        "Repeat contacts",
        "%",
        False,
        "contacts of a customer seen on the same queue within the repeat window / contacts of known customers",
        lambda s, f: _ratio(s.repeats, s.known_n),
        lambda t, q: t.repeats,
    ),
)
BY_KEY = {m.key: m for m in METRICS}


def meets(value: float, target: float, higher_is_better: bool) -> bool:
    return value >= target if higher_is_better else value <= target


@dataclass(frozen=True, slots=True)
class Breach:
    queue_id: str
    interval: int  # epoch // 900
    value: float
    target: float


KEEP = 300  # breaches kept of each metric, the newest: the drill shows no more


@dataclass(slots=True)
class Attainment:
    metric: Metric
    value: float | None = None  # pooled over every queue and interval; None for time averages over several channels
    sample: int = 0
    by_channel: dict[str, tuple[float | None, int]] = field(default_factory=dict)  # channel -> (value, sample)
    target: float | None = None  # the floor's target; None when each queue has its own
    checked: int = 0
    met: int = 0
    missed: int = 0
    breaches: list[Breach] = field(default_factory=list)  # the newest KEEP, newest first
    longest: int = 0  # intervals, the longest consecutive breach of one queue
    longest_queue: str | None = None

    @property
    def on_target(self) -> float | None:
        return self.met / self.checked if self.checked else None

    @property
    def channels(self) -> dict[str, int]:
        """The channels with something counted, and how much."""
        return {c: n for c, (_, n) in self.by_channel.items() if n}

    @property
    def breached_s(self) -> int:
        return self.missed * INTERVAL

    def _run(self, length: int, queue_id: str) -> None:
        if length > self.longest or (length == self.longest and queue_id < (self.longest_queue or "")):
            self.longest, self.longest_queue = length, queue_id  # a tie goes to the first queue by id


@dataclass(slots=True)
class Checked:
    """One metric over a stretch of intervals, in the little that stretches
    checked apart need to add up: counts, the newest breaches, the longest run
    inside, and the runs touching either end (which may go on next door)."""

    checked: int = 0
    met: int = 0
    missed: int = 0
    newest: list[Breach] = field(default_factory=list)
    longest: int = 0
    longest_queue: str | None = None
    edges: dict[str, tuple[int, int]] = field(default_factory=dict)  # queue -> (run from the start, run to the end)


@dataclass(slots=True)
class Tally:
    """The queue-intervals [start, end) checked against the targets (`combine` adds tallies up)."""

    start: int
    end: int
    pooled: dict[str, Sums] = field(default_factory=dict)  # channel -> sums
    metrics: dict[str, Checked] = field(default_factory=dict)


def _newest(breaches: Iterable[Breach]) -> list[Breach]:
    return heapq.nsmallest(KEEP, breaches, key=lambda b: (-b.interval, b.queue_id))


def tally(
    rows: Iterable[tuple[str, int, Sums]],
    settings: dict[str, QueueSettings],
    targets: Targets,
    start: int,
    end: int,
    channels: Mapping[str, str] | None = None,
) -> Tally:
    """Check `rows` of (queue id, interval, sums), intervals in [start, end), in
    any order; `channels` names each queue's channel (unknown: "")."""
    t = Tally(start, end, metrics={k: Checked() for k in BY_KEY})
    breaches: dict[str, list[Breach]] = {k: [] for k in BY_KEY}
    run: dict[tuple[str, str], tuple[int, int, int]] = {}  # (metric, queue) -> (run start, last interval, length)
    default = QueueSettings()
    for queue_id, interval, sums in sorted(rows, key=lambda r: (r[0], r[1])):
        _pool(t.pooled, (channels or {}).get(queue_id, ""), sums)
        qs = settings.get(queue_id, default)
        f = figures(sums.counts)
        for m in METRICS:
            value, n = m.value(sums, f)
            target = m.target(targets, qs)
            if value is None or not n or target is None:
                continue
            c = t.metrics[m.key]
            c.checked += 1
            if meets(value, target, m.higher_is_better):
                c.met += 1
                continue
            c.missed += 1
            breaches[m.key].append(Breach(queue_id, interval, value, target))
            began, last, length = run.get((m.key, queue_id), (interval, None, 0))
            began, length = (began, length + 1) if last == interval - 1 else (interval, 1)
            run[(m.key, queue_id)] = (began, interval, length)
            if length > c.longest:
                c.longest, c.longest_queue = length, queue_id
            if began == start:
                lead = length
            elif queue_id in c.edges:
                lead = c.edges[queue_id][0]
            else:
                lead = 0
            if lead or interval == end - 1:
                c.edges[queue_id] = (lead, length if interval == end - 1 else 0)
    for key, c in t.metrics.items():
        c.newest = _newest(breaches[key])
    return t


def _pool(pooled: dict[str, Sums], channel: str, sums: Sums) -> None:
    if channel not in pooled:
        pooled[channel] = Sums()
    pooled[channel].add(sums)


def combine(tallies: Iterable[Tally], targets: Targets) -> dict[str, Attainment]:
    """Every metric over tallies of stretches that do not overlap, oldest first;
    a run of breaches goes on from one stretch into the next when they meet."""
    out = {m.key: Attainment(m, target=None if m.per_queue else m.target(targets, QueueSettings())) for m in METRICS}
    pooled: dict[str, Sums] = {}
    newest: dict[str, list[Breach]] = {k: [] for k in out}
    trailing: dict[str, dict[str, int]] = {k: {} for k in out}  # metric -> queue -> run reaching the last end
    end = None
    for t in tallies:
        for channel, sums in t.pooled.items():
            _pool(pooled, channel, sums)
        for key, c in t.metrics.items():
            a = out[key]
            a.checked += c.checked
            a.met += c.met
            a.missed += c.missed
            newest[key] += c.newest
            if c.longest_queue is not None:
                a._run(c.longest, c.longest_queue)
            before: dict[str, int] = trailing[key] if t.start == end else {}
            after = {}
            for queue_id, (lead, trail) in c.edges.items():
                joined = before.get(queue_id, 0) + lead
                if lead:
                    a._run(joined, queue_id)
                if trail:
                    after[queue_id] = joined if lead == t.end - t.start else trail
            trailing[key] = after
        end = t.end
    every = Sums()
    for sums in pooled.values():
        every.add(sums)
    f = figures(every.counts)
    per_channel = {c: (sums, figures(sums.counts)) for c, sums in pooled.items()}
    for m in METRICS:
        a = out[m.key]
        a.by_channel = {c: m.value(sums, cf) for c, (sums, cf) in sorted(per_channel.items())}
        if m.pools_channels or len(a.channels) <= 1:
            a.value, a.sample = m.value(every, f)
        else:  # several channels: no floor-wide mean of time
            a.value, a.sample = None, sum(a.channels.values())
        a.breaches = _newest(newest[m.key])
    return out


def attainment(
    rows: Iterable[tuple[str, int, Sums]],
    settings: dict[str, QueueSettings],
    targets: Targets,
    channels: Mapping[str, str] | None = None,
) -> dict[str, Attainment]:
    """Every metric over `rows` of (queue id, interval, sums), in any order."""
    return combine([tally(rows, settings, targets, 0, 0, channels)], targets)


def constraint_attainment(results: dict[str, Attainment], constraint: str) -> float | None:
    """The mean on-target share of the constraint's metrics that were checked."""
    shares = [a.on_target for a in results.values() if a.metric.constraint == constraint and a.on_target is not None]
    return sum(shares) / len(shares) if shares else None
