"""The Agents panel's data, read in the worker: every agent for the list, and
one agent's page (their day against the week, their QA scores, their notes)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from floorview.domain.sitetime import SiteTime
from floorview.store.agents import (
    AgentDayFigures,
    AgentHeader,
    QaScore,
    agent_days_figures,
    agent_header,
    agent_qa_scores,
    serving_customers,
)
from floorview.store.coaching import NoteView, agent_notes
from floorview.store.reads import AgentDay, AgentSnapshot, agent_days, agent_snapshots

DAY_TOTALS_S = 10  # handled, AHT and QA today are re-read at most this often
DAYS = 7  # the agent page's week: today and the six days before


# -- the list --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AgentsRequest:
    """The list reads every agent whatever the view (sort, team, state and the
    `/` filter are applied when painting); only the site's day depends on more."""

    site_tz: str


@dataclass(frozen=True, slots=True)
class AgentsData:
    agents: tuple[AgentSnapshot, ...]
    customers: Mapping[str, str]  # agent id -> the customer of the contact they are on now


class AgentsLoader:
    """Every agent with today's figures. States change every second on a live
    floor; today's totals are a scan of the day's contacts and may lag a few
    seconds, so they are read at most every DAY_TOTALS_S (this cache is the
    one load worker's alone)."""

    def __init__(self) -> None:
        self._days: dict[str, AgentDay] | None = None
        self._days_at = 0.0
        self._days_tz: str | None = None

    def __call__(self, con: sqlite3.Connection, now: float, request: AgentsRequest) -> AgentsData:
        stale = now - self._days_at >= DAY_TOTALS_S or now < self._days_at or self._days_tz != request.site_tz
        if self._days is None or stale:
            self._days, self._days_at, self._days_tz = agent_days(con, now, request.site_tz), now, request.site_tz
        agents = agent_snapshots(con, now, request.site_tz, today=self._days)
        return AgentsData(tuple(agents), serving_customers(con))


# -- an agent's page -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AgentPageRequest:
    agent_id: str
    site: SiteTime  # the zone of "today" and of the week's days


@dataclass(frozen=True, slots=True)
class Week:
    """Today's figures, and the days before today pooled."""

    today: AgentDayFigures | None
    days_before: int  # the days before today looked at (DAYS - 1)
    days_worked: int  # those of them with a contact handled
    handled_per_day: float | None
    aht_s: float | None
    qa: float | None
    qa_count: int
    resolved: float | None


@dataclass(frozen=True, slots=True)
class AgentPage:
    agent: AgentHeader
    today: str  # YYYY-MM-DD, site time
    week: Week
    qa: tuple[QaScore, ...]  # the latest, newest first
    notes: tuple[NoteView, ...]  # newest first


def week(days: list[AgentDayFigures], today: str, days_before: int = DAYS - 1) -> Week:
    """Today's figures, and the `days_before` days before today pooled
    (handled per day is over the days the agent handled contacts)."""
    now = next((d for d in days if d.day == today), None)
    before = [d for d in days if d.day != today]
    handled = sum(d.handled for d in before)
    qa_n = sum(d.qa_count for d in before)
    outcomes = sum(d.outcomes for d in before)
    return Week(
        today=now,
        days_before=days_before,
        days_worked=len(before),
        handled_per_day=handled / len(before) if before else None,
        aht_s=sum(d.handle_s for d in before) / handled if handled else None,
        qa=sum((d.qa_mean or 0) * d.qa_count for d in before) / qa_n if qa_n else None,
        qa_count=qa_n,
        resolved=sum(d.resolved for d in before) / outcomes if outcomes else None,
    )


def load_page(con: sqlite3.Connection, now: float, request: AgentPageRequest) -> AgentPage | None:
    """The agent's page; None when the agent is no longer in the store."""
    agent = agent_header(con, request.agent_id)
    if agent is None:
        return None
    site = request.site
    this_day = site.today(now)
    days = [this_day - timedelta(days=back) for back in range(DAYS - 1, -1, -1)]
    figures = agent_days_figures(con, request.agent_id, [(d.isoformat(), site.date_start(d)) for d in days])
    return AgentPage(
        agent=agent,
        today=this_day.isoformat(),
        week=week(figures, this_day.isoformat()),
        qa=tuple(agent_qa_scores(con, request.agent_id)),
        notes=tuple(agent_notes(con, request.agent_id)),
    )
