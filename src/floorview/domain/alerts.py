"""Alerts: rules over the figures the screens show, evaluated as a pure state machine.

A rule watches one figure of every queue or every agent in its scope:

  service_level       the window's service level below the queue's target by
                      more than `margin` (the Queues screen's warning margin:
                      the figure shows a breach), once the window holds at
                      least `min_contacts` answered and abandoned contacts
  oldest_wait         the oldest contact waiting now has waited `factor` times
                      the queue's service-level threshold, or longer
  abandon_rate        the window's abandon rate above the queue's abandon
                      target by more than `margin` (a queue without an abandon
                      target is not judged), on at least `min_contacts`
  agents_short        agents needed for the queue's target (metrics.agents_needed)
                      exceed those who can take its next contact
                      (Staffing.can_take) by `short_by` or more: the Queues
                      screen's need and have
  not_ready           an agent not ready for its reason's limit or longer
                      (`reason_limits_s`, "other" for any reason not named)
  after_contact_work  an agent in after-contact work for `limit_s` or longer

Hysteresis: a rule fires for a subject once its condition has held `for_s`
seconds, and its alert clears once the condition has been false `clear_s`
seconds; a true reading while clearing keeps the alert up. So a figure
wobbling at its line alerts once.

The budget caps how often a subject can alert in a site day (agents and
queues apart) and how many alerts the floor gets in any hour; a less severe
alert may fill only a share of the hour (SEVERITY_SHARE), leaving room for
the more severe. An alert the budget holds back is counted once per episode
and day (`AlertState.held`, an event `held_back`) and fires later if the
budget frees while its condition still holds (the floor's hour rolls on, or
a new day begins); it is then taken off the count. When several alerts are due at once the most severe go
first.

Life cycle: firing; acknowledged (by, at), which stays until the alert
resolves; snoozed (until), which silences it and keeps the rule from firing
again for that subject until the snooze ends (an alert still up then
returns: an event `returned`); resolved.

Nothing here reads a clock or a store: `evaluate(rules, observations, state,
now)` returns the new state and the events, and every time is an input.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, TypeAlias

Kind: TypeAlias = Literal[
    "service_level", "oldest_wait", "abandon_rate", "agents_short", "not_ready", "after_contact_work"
]
QUEUE_KINDS: tuple[Kind, ...] = ("service_level", "oldest_wait", "abandon_rate", "agents_short")
AGENT_KINDS: tuple[Kind, ...] = ("not_ready", "after_contact_work")
KINDS: tuple[Kind, ...] = QUEUE_KINDS + AGENT_KINDS

Severity: TypeAlias = Literal["critical", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")  # most severe first
_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}

SubjectKind: TypeAlias = Literal["queue", "agent"]
Status: TypeAlias = Literal["firing", "acknowledged", "snoozed", "resolved"]
EventKind: TypeAlias = Literal["fired", "resolved", "returned", "held_back"]

HOUR = 3600.0
OTHER_REASON = "other"
# Rates are compared with this much slack, so a figure exactly on its line
# (15 of 20 in 20 s is 75%, against 80% less 5 points) is on it, not past it.
_EPS = 1e-9


def severity_rank(severity: str) -> int:
    """0 for the most severe."""
    return _RANK.get(severity, len(SEVERITIES))


def subject_kind(kind: Kind) -> SubjectKind:
    return "queue" if kind in QUEUE_KINDS else "agent"


# -- rules ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Scope:
    """Which subjects a rule watches; an empty set does not narrow.

    A queue is in scope when its id and channel are named (where named) and
    an agent of a named team serves it; an agent when its team is named and
    it serves a named queue, and a queue of a named channel."""

    queues: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    kind: Kind
    severity: Severity = "warning"
    for_s: float = 0.0  # the condition holds this long before the rule fires
    clear_s: float = 0.0  # the condition is false this long before the alert clears
    scope: Scope = Scope()
    margin: float = 0.0  # service_level, abandon_rate: how far past the target, as a fraction
    min_contacts: int = 0  # service_level, abandon_rate: answered + abandoned in the window, at least
    factor: float = 2.0  # oldest_wait: times the queue's service-level threshold
    short_by: int = 1  # agents_short: needed minus can take, at least
    limit_s: float = 300.0  # after_contact_work
    reason_limits_s: tuple[tuple[str, float], ...] = ()  # not_ready: (reason, seconds); "other": the rest

    def reason_limit(self, reason: str | None) -> float | None:
        """The not-ready limit for `reason` (case and spaces aside), else the "other" one; None: never."""
        key = (reason or "").strip().lower()
        other = None
        for name, limit in self.reason_limits_s:
            if name == key:
                return limit
            if name == OTHER_REASON:
                other = limit
        return other


DEFAULT_REASON_LIMITS_S: tuple[tuple[str, float], ...] = (("break", 900.0), ("lunch", 3600.0), ("other", 600.0))

DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("service-level", "service_level", "critical", for_s=600, clear_s=300, margin=0.05, min_contacts=5),
    Rule("oldest-wait", "oldest_wait", "warning", for_s=0, clear_s=60, factor=2.0),
    Rule("abandon-rate", "abandon_rate", "warning", for_s=900, clear_s=300, margin=0.0, min_contacts=5),
    Rule("agents-short", "agents_short", "critical", for_s=600, clear_s=300, short_by=1),
    Rule("not-ready", "not_ready", "info", for_s=0, clear_s=0, reason_limits_s=DEFAULT_REASON_LIMITS_S),
    Rule("wrap-up", "after_contact_work", "info", for_s=0, clear_s=0, limit_s=300.0),
)


# The share of the floor's hour a severity may fill: what is less severe cannot
# use up the hour and hold back what is more (info stops at half of it).
SEVERITY_SHARE: dict[str, float] = {"critical": 1.0, "warning": 0.75, "info": 0.5}


@dataclass(frozen=True, slots=True)
class Budget:
    """Alerts at most: per agent and per queue in a site day, and on the whole floor in any
    hour (an alert of a severity fires while the hour holds fewer than its share of `per_hour`)."""

    per_agent_day: int = 2
    per_queue_day: int = 6
    per_hour: int = 12

    def per_day(self, kind: SubjectKind) -> int:
        return self.per_agent_day if kind == "agent" else self.per_queue_day

    def hour_for(self, severity: str) -> int:
        """How many alerts the hour may already hold for one of `severity` to fire."""
        return int(self.per_hour * SEVERITY_SHARE.get(severity, 1.0))


# -- observations --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class QueueObservation:
    """A queue's figures now, as the Queues screen shows them (the window's rates)."""

    id: str
    name: str
    channel: str
    sl_threshold_s: float
    sl_target: float
    abandon_target: float | None
    service_level: float | None  # the window's; None: nothing answered or abandoned
    abandon_rate: float | None  # the window's
    contacts: int  # answered + abandoned in the window: both rates' denominator
    oldest_enqueued_at: float | None  # the oldest contact waiting now; None: nobody waits
    needed: int | None  # agents needed for the target; None: nothing to base it on
    can_take: int  # agents who could take the queue's next contact
    teams: frozenset[str] = frozenset()  # teams with an agent serving the queue


@dataclass(frozen=True, slots=True)
class AgentObservation:
    id: str
    name: str
    team: str
    state: str
    state_since: float
    reason: str | None = None
    queues: frozenset[str] = frozenset()  # queues served
    channels: frozenset[str] = frozenset()  # their channels


@dataclass(frozen=True, slots=True)
class Observations:
    day: str  # the site's date at the moment observed (ISO): the budget's day
    queues: tuple[QueueObservation, ...] = ()
    agents: tuple[AgentObservation, ...] = ()


Observation: TypeAlias = QueueObservation | AgentObservation


@dataclass(frozen=True, slots=True)
class Reading:
    """A rule's figure for a subject: its value, the line it is held against, and whether it is past it."""

    holds: bool
    value: float | None
    limit: float | None


_NOTHING = Reading(False, None, None)


def in_scope(scope: Scope, obs: Observation) -> bool:
    if isinstance(obs, QueueObservation):
        return (
            (not scope.queues or obs.id in scope.queues)
            and (not scope.channels or obs.channel in scope.channels)
            and (not scope.teams or not scope.teams.isdisjoint(obs.teams))
        )
    return (
        (not scope.teams or obs.team in scope.teams)
        and (not scope.queues or not scope.queues.isdisjoint(obs.queues))
        and (not scope.channels or not scope.channels.isdisjoint(obs.channels))
    )


def reading(rule: Rule, obs: Observation, now: float) -> Reading:
    """The rule's figure for one subject at `now` (scope aside)."""
    kind = rule.kind
    if isinstance(obs, AgentObservation):
        if kind == "not_ready":
            if obs.state != "not_ready":
                return _NOTHING
            limit = rule.reason_limit(obs.reason)
        elif kind == "after_contact_work":
            if obs.state != "after_contact_work":
                return _NOTHING
            limit = rule.limit_s
        else:
            return _NOTHING
        held = now - obs.state_since
        return Reading(limit is not None and held >= limit, held, limit)
    if kind == "service_level":
        line = obs.sl_target - rule.margin
        sl = obs.service_level
        return Reading(sl is not None and obs.contacts >= rule.min_contacts and sl < line - _EPS, sl, line)
    if kind == "abandon_rate":
        if obs.abandon_target is None:
            return _NOTHING
        line = obs.abandon_target + rule.margin
        rate = obs.abandon_rate
        return Reading(rate is not None and obs.contacts >= rule.min_contacts and rate > line + _EPS, rate, line)
    if kind == "oldest_wait":
        line = rule.factor * obs.sl_threshold_s
        if obs.oldest_enqueued_at is None:
            return Reading(False, None, line)
        wait = now - obs.oldest_enqueued_at
        return Reading(wait >= line, wait, line)
    if kind == "agents_short":
        if obs.needed is None:
            return Reading(False, None, rule.short_by)
        short = obs.needed - obs.can_take
        return Reading(short >= rule.short_by, short, rule.short_by)
    return _NOTHING


# -- alerts and state ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Subject:
    kind: SubjectKind
    id: str


TrackKey: TypeAlias = tuple[str, Subject]  # (rule id, subject)
HeldKey: TypeAlias = tuple[str, Subject]  # (site day, subject)


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    rule_id: str
    kind: Kind
    severity: Severity
    subject: Subject
    name: str  # the queue's or agent's name when it fired
    since: float  # the condition held from
    fired_at: float
    day: str  # the site day whose budget it counts against
    value: float | None  # the figure when it fired
    limit: float | None  # the line it was past
    ack_by: str | None = None
    ack_at: float | None = None
    snooze_until: float | None = None
    resolved_at: float | None = None

    def status(self, now: float) -> Status:
        if self.resolved_at is not None:
            return "resolved"
        if self.snooze_until is not None and now < self.snooze_until:
            return "snoozed"
        if self.ack_at is not None:
            return "acknowledged"
        return "firing"


def alert_id(rule_id: str, subject: Subject, fired_at: float) -> str:
    return f"{rule_id}/{subject.kind}/{subject.id}/{fired_at:.3f}"


@dataclass(frozen=True, slots=True)
class Track:
    """One rule on one subject: where its condition and its alert stand."""

    rule_id: str
    subject: Subject
    true_since: float | None = None  # the condition has held since (None: not now)
    false_since: float | None = None  # while an alert is up, the condition has been false since
    held_day: str | None = None  # the budget held this episode back, counted on that day
    snooze_until: float | None = None  # no alert for this rule and subject before then
    alert: Alert | None = None  # the alert up (firing, acknowledged or snoozed)

    @property
    def key(self) -> TrackKey:
        return (self.rule_id, self.subject)

    @property
    def idle(self) -> bool:
        return self.true_since is None and self.alert is None and self.snooze_until is None


@dataclass(frozen=True, slots=True)
class FireMark:
    """An alert fired: what the budget counts."""

    at: float
    day: str
    subject: Subject


@dataclass(frozen=True, slots=True)
class AlertState:
    tracks: Mapping[TrackKey, Track] = field(default_factory=dict)
    fired: tuple[FireMark, ...] = ()  # the day's and the last hour's
    held: Mapping[HeldKey, int] = field(default_factory=dict)  # held back by the budget, per day and subject
    ended: tuple[Alert, ...] = ()  # alerts resolved by the evaluation that made this state
    day: str = ""  # the site day it was evaluated on (held holds that day's counts)

    def active(self) -> list[Alert]:
        return [t.alert for t in self.tracks.values() if t.alert is not None]

    def held_back(self, day: str) -> int:
        """How many alerts the budget held back on `day`."""
        return sum(n for (d, _), n in self.held.items() if d == day)


@dataclass(frozen=True, slots=True)
class Event:
    """fired, resolved, returned (a snooze ended with the alert still up), or
    held_back (the budget kept it: `alert` is what would have fired, not kept)."""

    kind: EventKind
    alert: Alert


def shown_order(alerts: Iterable[Alert], now: float) -> list[Alert]:
    """Firing before acknowledged before snoozed; within each, most severe, then newest, first."""
    group = {"firing": 0, "acknowledged": 1, "snoozed": 2, "resolved": 3}
    return sorted(alerts, key=lambda a: (group[a.status(now)], severity_rank(a.severity), -a.fired_at, a.id))


# -- evaluation ----------------------------------------------------------------------------
@dataclass(slots=True)
class _Due:
    track: Track
    rule: Rule
    reading: Reading
    name: str


def evaluate(
    rules: Sequence[Rule],
    observations: Observations,
    state: AlertState,
    now: float,
    budget: Budget = Budget(),
) -> tuple[AlertState, list[Event]]:
    """One tick: the new state and what happened (fired, resolved, returned, held_back)."""
    day = observations.day
    tracks: dict[TrackKey, Track] = {}
    events: list[Event] = []
    ended: list[Alert] = []
    due: list[_Due] = []
    by_id = {r.id: r for r in rules}
    old = state.tracks

    for key, t in old.items():  # a rule taken out of the config: its alerts end
        if key[0] not in by_id and t.alert is not None:
            gone = replace(t.alert, resolved_at=now)
            ended.append(gone)
            events.append(Event("resolved", gone))

    tracked: dict[str, set[str]] = {}  # rule id -> subjects with a track
    for rid, subject in old:
        tracked.setdefault(rid, set()).add(subject.id)
    seen: set[TrackKey] = set()
    for rule in rules:
        subjects: Sequence[Observation] = observations.queues if rule.kind in QUEUE_KINDS else observations.agents
        skind = subject_kind(rule.kind)
        known = tracked.get(rule.id, set())
        for obs in subjects:
            r = reading(rule, obs, now)
            if r.holds and not in_scope(rule.scope, obs):
                r = _NOTHING
            if not r.holds and obs.id not in known:
                continue  # the usual case: nothing to remember
            key = (rule.id, Subject(skind, obs.id))
            seen.add(key)
            _step(old.get(key) or Track(rule.id, key[1]), rule, r, obs.name, now, tracks, events, ended, due)
    for key, t in old.items():  # a subject gone from the store (or the rule's kind of subjects): false
        if key not in seen and key[0] in by_id:
            name = t.alert.name if t.alert is not None else t.subject.id
            _step(t, by_id[key[0]], _NOTHING, name, now, tracks, events, ended, due)

    fired = [m for m in state.fired if m.day == day or m.at > now - HOUR]
    held = {k: n for k, n in state.held.items() if k[0] == day}
    per_subject = Counter(m.subject for m in fired if m.day == day)
    in_hour = sum(1 for m in fired if m.at > now - HOUR)
    due.sort(
        key=lambda d: (
            severity_rank(d.rule.severity),
            d.track.true_since if d.track.true_since is not None else now,
            d.rule.id,
            d.track.subject.id,
        )
    )
    for d in due:
        t, subject = d.track, d.track.subject
        since = t.true_since if t.true_since is not None else now
        alert = Alert(
            id=alert_id(d.rule.id, subject, now),
            rule_id=d.rule.id,
            kind=d.rule.kind,
            severity=d.rule.severity,
            subject=subject,
            name=d.name,
            since=since,
            fired_at=now,
            day=day,
            value=d.reading.value,
            limit=d.reading.limit,
        )
        if per_subject[subject] < budget.per_day(subject.kind) and in_hour < budget.hour_for(d.rule.severity):
            per_subject[subject] += 1
            in_hour += 1
            fired.append(FireMark(now, day, subject))
            if t.held_day is not None and (t.held_day, subject) in held:  # held back earlier today, out now
                left = held[(t.held_day, subject)] - 1
                if left > 0:
                    held[(t.held_day, subject)] = left
                else:
                    del held[(t.held_day, subject)]
            tracks[t.key] = replace(t, alert=alert, held_day=None, false_since=None)
            events.append(Event("fired", alert))
        elif t.held_day != day:  # counted once an episode, and again on each new day it is still held
            held[(day, subject)] = held.get((day, subject), 0) + 1
            tracks[t.key] = replace(t, held_day=day)
            events.append(Event("held_back", alert))
    return AlertState(tracks, tuple(fired), held, tuple(ended), day), events


def _step(
    t: Track,
    rule: Rule,
    r: Reading,
    name: str,
    now: float,
    tracks: dict[TrackKey, Track],
    events: list[Event],
    ended: list[Alert],
    due: list[_Due],
) -> None:
    """One rule on one subject for one tick; a track due to fire goes to `due` for the budget."""
    snooze = t.snooze_until
    if snooze is not None and now >= snooze:
        snooze = None
        if t.alert is not None:  # the snooze is over and the alert is still up: it comes back
            events.append(Event("returned", t.alert))
    alert = t.alert
    if r.holds:
        true_since = t.true_since if t.true_since is not None else now
        t = replace(t, true_since=true_since, false_since=None, snooze_until=snooze)
        if alert is None and snooze is None and now - true_since >= rule.for_s:
            due.append(_Due(t, rule, r, name))
    else:
        false_since = None
        if alert is not None:
            false_since = t.false_since if t.false_since is not None else now
            if now - false_since >= rule.clear_s:
                alert = replace(alert, resolved_at=now)
                ended.append(alert)
                events.append(Event("resolved", alert))
                alert, false_since = None, None
        t = replace(t, true_since=None, false_since=false_since, held_day=None, snooze_until=snooze, alert=alert)
    if not t.idle:
        tracks[t.key] = t


# -- what a supervisor does to an alert ----------------------------------------------------
def _find(state: AlertState, alert_id_: str) -> Track | None:
    return next((t for t in state.tracks.values() if t.alert is not None and t.alert.id == alert_id_), None)


def acknowledge(state: AlertState, alert_id_: str, by: str, at: float) -> AlertState:
    """The alert stays, acknowledged, until it resolves. An alert not up: the state as it was."""
    t = _find(state, alert_id_)
    if t is None or t.alert is None:
        return state
    tracks = dict(state.tracks)
    tracks[t.key] = replace(t, alert=replace(t.alert, ack_by=by, ack_at=at))
    return replace(state, tracks=tracks)


def snooze(state: AlertState, alert_id_: str, until: float) -> AlertState:
    """Silence the alert, and the rule for its subject, until `until`. An alert not up: the state as it was."""
    t = _find(state, alert_id_)
    if t is None or t.alert is None:
        return state
    tracks = dict(state.tracks)
    tracks[t.key] = replace(t, alert=replace(t.alert, snooze_until=until), snooze_until=until)
    return replace(state, tracks=tracks)


def held_back(state: AlertState, day: str) -> int:
    return state.held_back(day)


def resumed(state: AlertState, now: float) -> AlertState:
    """The state as a process that starts (or wakes) after a gap takes it up: what happened to
    the figures in the gap is not known, so a condition's holding time, and an alert's clearing
    time, count from `now`. Alerts up, acknowledgements, snoozes and held-back episodes stay."""
    tracks = {
        key: replace(
            t,
            true_since=now if t.true_since is not None and t.alert is None else t.true_since,
            false_since=None,
        )
        for key, t in state.tracks.items()
    }
    return replace(state, tracks=tracks)


def subjects_of(observations: Observations) -> dict[Subject, Observation]:
    out: dict[Subject, Observation] = {Subject("queue", q.id): q for q in observations.queues}
    out.update({Subject("agent", a.id): a for a in observations.agents})
    return out


# -- in words ------------------------------------------------------------------------------
def _span(seconds: float) -> str:
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def describe(alert: Alert, now: float, rule: Rule | None = None, reason: str | None = None) -> str:
    """The alert in a supervisor's words, figure and line: "Billing: service level 62% for 12 min,
    target 80%". `rule`: the alert's rule as configured (for the target behind a margin); `reason`:
    a not-ready agent's reason now. Names and reasons are data: render them as text, never markup."""
    held = _span(now - alert.since if alert.resolved_at is None else alert.resolved_at - alert.since)
    v, line = alert.value, alert.limit
    name = alert.name
    if alert.kind == "service_level":
        target = line + rule.margin if rule is not None and line is not None else line
        return f"{name}: service level {_pct(v)} for {held}, target {_pct(target)}"
    if alert.kind == "abandon_rate":
        target = line - rule.margin if rule is not None and line is not None else line
        return f"{name}: abandon rate {_pct(v)} for {held}, target {_pct(target)}"
    if alert.kind == "oldest_wait":
        waited = (v or 0.0) + (now - alert.fired_at if alert.resolved_at is None else 0.0)
        return f"{name}: a contact waiting {_span(waited)}, limit {_span(line or 0.0)}"
    if alert.kind == "agents_short":
        short = int(v or 0)
        return f"{name}: {short} agent{'' if short == 1 else 's'} short of the target's need for {held}"
    in_state = (v or 0.0) + ((alert.resolved_at or now) - alert.fired_at)
    state = "in after-contact work" if alert.kind == "after_contact_work" else "not ready"
    if alert.kind == "not_ready" and reason:
        state = f"not ready ({reason})"
    return f"{name}: {state} for {_span(in_state)}, limit {_span(line or 0.0)}"
