"""The Alerts panel's data: the alerts up and today's resolved, each with its
rule as configured and its figure now, and the count the budget held back
today; read in the worker (tui/base.py)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from floorview.domain.alerts import AgentObservation, Alert, Reading, Rule, Status, reading, shown_order, subjects_of
from floorview.domain.sitetime import SiteTime
from floorview.store.alerts import alerts_up, held_back, observations, resolved_since


@dataclass(frozen=True, slots=True)
class AlertsRequest:
    site: SiteTime  # the zone of "today" (the resolved listed, the budget's day)
    rules: tuple[Rule, ...]  # as configured: the figure now, and the explanation


@dataclass(frozen=True, slots=True)
class AlertRow:
    alert: Alert
    status: Status  # at the load's moment (a snooze may end before the next: screen.tick)
    rule: Rule | None  # as configured now; None: taken out of the config since it fired
    live: Reading | None  # the rule's figure for the subject now; None: not watched now (an agent out of the state)
    reason: str | None = None  # a not-ready agent's reason now
    team: str | None = None  # an agent's team


@dataclass(frozen=True, slots=True)
class AlertsData:
    rows: tuple[AlertRow, ...]  # in the order shown: firing, acknowledged, snoozed, resolved; most severe, newest
    held_back: int  # by the budget today
    day: str  # the site day (ISO) of "today"

    def count(self, status: Status) -> int:
        return sum(1 for r in self.rows if r.status == status)


def load(con: sqlite3.Connection, now: float, request: AlertsRequest) -> AlertsData:
    """Everything the Alerts screen shows, read off the event loop."""
    site = request.site
    alerts = shown_order([*alerts_up(con, now), *resolved_since(con, site.day_start(now))], now)
    day = site.today(now).isoformat()
    rows: list[AlertRow] = []
    if alerts:
        # The figures now, as the rules see them (the same read the evaluation makes).
        subjects = subjects_of(observations(con, now, site, rules=request.rules))
        by_id = {r.id: r for r in request.rules}
        for a in alerts:
            rule = by_id.get(a.rule_id)
            obs = subjects.get(a.subject)
            live = reading(rule, obs, now) if rule is not None and obs is not None else None
            agent = obs if isinstance(obs, AgentObservation) else None
            reason, team = (agent.reason, agent.team) if agent is not None else (None, None)
            rows.append(AlertRow(a, a.status(now), rule, live, reason, team))
    return AlertsData(tuple(rows), held_back(con, day), day)
