"""The Coaching panel's data: the view on show, read in the worker.

The request holds everything the read depends on: the view, the search
words, whose notes (`Whose`: everyone, a team's or a queue's agents, my own
notes), the site-time setting (so "today" is the site's) and the uncoached
window. The loader is pure: it reads the store and returns frozen values.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass

from floorview.domain.vocabulary import ADKAR_STAGES, TOPICS
from floorview.store.coaching import (
    EVERYONE,
    NoteView,
    Problem,
    TopicCount,
    Uncoached,
    Whose,
    coaching_mix_by_team,
    follow_ups,
    not_coached_since,
    outbox_problems,
    search_notes,
)
from floorview.store.reads import site_time

VIEWS = ("due", "themes", "uncoached", "search", "problems")
THEME_DAYS = 30
SEARCH_LIMIT = 200


@dataclass(frozen=True, slots=True)
class CoachingRequest:
    view: str = "due"  # one of VIEWS
    words: str = ""  # the search's words (view "search")
    whose: Whose = EVERYONE  # follow-ups, search and uncoached: whose
    site_setting: str = ""  # settings.site_timezone: "today" is the site's
    not_coached_days: int = 14


@dataclass(frozen=True, slots=True)
class ThemeRow:
    """A team's coaching notes of the window: by topic, and by ADKAR stage."""

    team: str
    topics: tuple[int, ...]  # in TOPICS order
    total: int  # every coaching note, with or without a topic
    stages: tuple[int, ...]  # in ADKAR_STAGES order
    top_stage: str | None  # the stage most noted (the earlier stage on a tie); None: no stage noted

    def share(self, topic: str) -> float:
        count = self.topics[TOPICS.index(topic)]
        return count / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class CoachingData:
    request: CoachingRequest
    today: str  # YYYY-MM-DD, site time
    notes: tuple[NoteView, ...] = ()  # follow-ups due, or the search's matches
    themes: tuple[ThemeRow, ...] = ()
    uncoached: tuple[Uncoached, ...] = ()
    problems: tuple[Problem, ...] = ()  # always read: the title counts them


def load(con: sqlite3.Connection, now: float, request: CoachingRequest) -> CoachingData:
    """What the view on show needs, read off the event loop."""
    site = site_time(con, request.site_setting)
    today = site.today(now).isoformat()
    view, whose = request.view, request.whose
    notes: list[NoteView] = []
    if view == "due":
        notes = follow_ups(con, today, whose=whose)
    elif view == "search":
        notes = search_notes(con, request.words, SEARCH_LIMIT, whose)
    return CoachingData(
        request=request,
        today=today,
        notes=tuple(notes),
        themes=tuple(theme_rows(coaching_mix_by_team(con, now - THEME_DAYS * 86400))) if view == "themes" else (),
        uncoached=(
            tuple(not_coached_since(con, now - request.not_coached_days * 86400, whose)) if view == "uncoached" else ()
        ),
        problems=tuple(outbox_problems(con)),
    )


def theme_rows(counts: list[TopicCount]) -> list[ThemeRow]:
    """Counts by team, topic and stage, as a row per team (teams by name)."""
    topics: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    stages: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, int] = defaultdict(int)
    for c in counts:
        totals[c.team] += c.count
        topics[c.team][c.topic] += c.count
        if c.adkar in ADKAR_STAGES:
            stages[c.team][c.adkar] += c.count
    rows = []
    for team in sorted(totals):
        by_stage = tuple(stages[team].get(s, 0) for s in ADKAR_STAGES)
        top = max(range(len(ADKAR_STAGES)), key=lambda i: (by_stage[i], -i)) if any(by_stage) else None
        rows.append(
            ThemeRow(
                team=team,
                topics=tuple(topics[team].get(t, 0) for t in TOPICS),
                total=totals[team],
                stages=by_stage,
                top_stage=ADKAR_STAGES[top] if top is not None else None,
            )
        )
    return rows
