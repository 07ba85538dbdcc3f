"""Which targets the floor meets: each constraint's metrics, checked per queue
and 15-minute interval.

Every metric is a ratio of sums, so it pools over any set of intervals. An
interval is checked when it holds at least one contact the metric counts
(a QA score, a survey answer...); it is breached when its value misses the
target. "Breached for" is breached intervals x 15 minutes; "longest" is the
longest run of consecutive breached intervals of one queue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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


def _sl(s: Sums, f: QueueFigures):
    return f.service_level, s.counts.answered + s.counts.abandoned


def _asa(s: Sums, f: QueueFigures):
    return f.asa_s, s.counts.answered


def _aht(s: Sums, f: QueueFigures):
    return f.aht_s, s.counts.handled


def _abandon(s: Sums, f: QueueFigures):
    return f.abandon_rate, s.counts.answered + s.counts.abandoned


METRICS: tuple[Metric, ...] = (
    Metric("qa", "quality", "QA score", "pts", True, "mean QA score of scored contacts",
           lambda s, f: _ratio(s.qa_sum, s.qa_n), lambda t, q: t.qa_score),
    Metric("resolution", "quality", "Resolved", "%", True, "resolved / contacts with a recorded outcome",
           lambda s, f: _ratio(s.resolved, s.outcome_n), lambda t, q: t.resolution),
    Metric("csat", "quality", "CSAT 4-5", "%", True, "CSAT answers of 4 or 5 / CSAT answers",
           lambda s, f: _ratio(s.csat_good, s.csat_n), lambda t, q: t.csat_good),
    Metric("complaints", "quality", "Complaints", "%", False, "CSAT answers of 1 or 2 / CSAT answers",
           lambda s, f: _ratio(s.csat_bad, s.csat_n), lambda t, q: t.complaints),
    Metric("sl", "cost", "Service level", "%", True,
           "answered within the queue's threshold / (answered + abandoned), against the queue's target",
           _sl, lambda t, q: q.sl_target, per_queue=True),
    Metric("aht", "cost", "AHT", "s", False, "(talk + wrap-up) / handled, against the queue's AHT target",
           _aht, lambda t, q: q.aht_target_s, per_queue=True),
    Metric("asa", "time", "ASA", "s", False, "wait of answered contacts / answered, against the queue's SL threshold",
           _asa, lambda t, q: q.sl_threshold_s, per_queue=True),
    Metric("long_waits", "time", "Long waits", "%", False,
           "contacts that waited over twice the queue's threshold / (answered + abandoned)",
           lambda s, f: _ratio(s.long_waits, s.counts.answered + s.counts.abandoned), lambda t, q: t.long_waits),
    Metric("abandon", "time", "Abandoned", "%", False,
           "abandoned (short abandons excluded) / (answered + abandoned), against the queue's target",
           _abandon, lambda t, q: q.abandon_target, per_queue=True),
    Metric("compliance", "risk", "Compliance fails", "%", False, "QA scores under the compliance score / QA scores",
           lambda s, f: _ratio(s.qa_fails, s.qa_n), lambda t, q: t.compliance_fails),
    Metric("escalations", "risk", "Transferred", "%", False, "answered contacts transferred at least once / answered",
           lambda s, f: _ratio(s.transferred, s.counts.answered), lambda t, q: t.escalations),
    Metric("repeats", "risk", "Repeat contacts", "%", False,
           "contacts of a customer seen on the same queue within the repeat window / contacts of known customers",
           lambda s, f: _ratio(s.repeats, s.known_n), lambda t, q: t.repeats),
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


@dataclass(slots=True)
class Attainment:
    metric: Metric
    value: float | None = None  # pooled over every queue and interval of the window
    sample: int = 0
    target: float | None = None  # the floor's target; None when each queue has its own
    checked: int = 0
    met: int = 0
    breaches: list[Breach] = field(default_factory=list)
    longest: int = 0  # intervals, the longest consecutive breach of one queue
    longest_queue: str | None = None

    @property
    def on_target(self) -> float | None:
        return self.met / self.checked if self.checked else None

    @property
    def breached_s(self) -> int:
        return len(self.breaches) * INTERVAL


@dataclass(slots=True)
class Tally:
    """A stretch of queue-intervals checked against the targets: what the
    attainment needs of it, so that stretches checked apart add up (`combine`)."""

    pooled: Sums = field(default_factory=Sums)
    checked: dict[str, int] = field(default_factory=dict)
    met: dict[str, int] = field(default_factory=dict)
    breaches: dict[str, list[Breach]] = field(default_factory=dict)  # each queue's oldest first


def tally(rows: Iterable[tuple[str, int, Sums]], settings: dict[str, QueueSettings], targets: Targets) -> Tally:
    """Check `rows` of (queue id, interval, sums), in any order."""
    t = Tally(checked=dict.fromkeys(BY_KEY, 0), met=dict.fromkeys(BY_KEY, 0), breaches={k: [] for k in BY_KEY})
    default = QueueSettings()
    for queue_id, interval, sums in sorted(rows, key=lambda r: (r[0], r[1])):
        t.pooled.add(sums)
        qs = settings.get(queue_id, default)
        f = figures(sums.counts)
        for m in METRICS:
            value, n = m.value(sums, f)
            target = m.target(targets, qs)
            if value is None or not n or target is None:
                continue
            t.checked[m.key] += 1
            if meets(value, target, m.higher_is_better):
                t.met[m.key] += 1
            else:
                t.breaches[m.key].append(Breach(queue_id, interval, value, target))
    return t


def combine(tallies: Iterable[Tally], targets: Targets) -> dict[str, Attainment]:
    """Every metric over tallies of stretches that do not overlap, oldest first
    (a run of breaches may go on from one stretch into the next)."""
    out = {m.key: Attainment(m, target=None if m.per_queue else m.target(targets, QueueSettings())) for m in METRICS}
    pooled = Sums()
    run: dict[tuple[str, str], tuple[int, int]] = {}  # (metric, queue) -> (last breached interval, run length)
    for t in tallies:
        pooled.add(t.pooled)
        for key, a in out.items():
            a.checked += t.checked.get(key, 0)
            a.met += t.met.get(key, 0)
            for b in t.breaches.get(key, ()):
                a.breaches.append(b)
                last, length = run.get((key, b.queue_id), (None, 0))
                length = length + 1 if last == b.interval - 1 else 1
                run[(key, b.queue_id)] = (b.interval, length)
                if length > a.longest or (length == a.longest and b.queue_id < a.longest_queue):
                    a.longest, a.longest_queue = length, b.queue_id  # a tie goes to the first queue by id
    f = figures(pooled.counts)
    for m in METRICS:
        out[m.key].value, out[m.key].sample = m.value(pooled, f)
    return out


def attainment(
    rows: Iterable[tuple[str, int, Sums]], settings: dict[str, QueueSettings], targets: Targets
) -> dict[str, Attainment]:
    """Every metric over `rows` of (queue id, interval, sums), in any order."""
    return combine([tally(rows, settings, targets)], targets)


def constraint_attainment(results: dict[str, Attainment], constraint: str) -> float | None:
    """The mean on-target share of the constraint's metrics that were checked."""
    shares = [a.on_target for a in results.values() if a.metric.constraint == constraint and a.on_target is not None]
    return sum(shares) / len(shares) if shares else None
