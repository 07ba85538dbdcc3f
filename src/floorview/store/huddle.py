"""What huddle mode and `floorview export huddle` show: a team's day for a
shared screen or the minutes.

A team's own figures (contacts answered, AHT, QA) count the contacts its
agents handled; the service level, waits and abandons beside them are those
of the queues the team serves, everyone's work on them included, and say so.
Every figure is per channel: an email's wait and a call's do not average.

Only team-visible notes are read here, and aggregated: coaching as counts by
topic and ADKAR stage, never who was coached; kudos with the agent's name,
since praise is meant to be heard. Customers appear only as their words:
no name, id or contact detail is selected.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from floorview.domain.metrics import COUNT_COLUMNS, INTERVAL, Counts, QueueFigures, figures
from floorview.domain.sitetime import SiteTime
from floorview.store.reads import _counts

THEMES = 5
KUDOS = 5
VERBATIMS = 4
VERBATIM_ROWS = 200  # the newest different texts read: enough for four once spacing and case are set aside
WEEK = 7 * 86400
CHANNELS = ("voice", "chat", "email", "social", "task")  # the feed's order: a huddle reads them so


@dataclass(frozen=True, slots=True)
class TeamWork:
    """What a team's agents (or the floor's) did today on one channel."""

    answered: int = 0  # contacts answered, by time enqueued today
    handled: int = 0  # of those, finished
    handle_s: float = 0.0  # talk + after-contact work of the finished ones

    @property
    def aht_s(self) -> float | None:
        return self.handle_s / self.handled if self.handled else None


@dataclass(frozen=True, slots=True)
class Huddle:
    """A team's day (or the floor's), never pooled over channels.

    `own` is the team's own work: contacts its agents answered. `served` is
    the queues the team serves (the floor: every queue), by channel: their
    service level, waits and abandons, everyone's work on them included.
    """

    team: str | None  # None: the whole floor
    at: float
    own: dict[str, TeamWork]  # channel -> the team's own work today
    served: dict[str, Counts]  # channel -> the served queues' counts today
    served_queues: int  # how many queues the team serves
    agents_working: int
    agents_total: int
    themes: list[tuple[str, str, int]]  # (topic, ADKAR stage, notes) this week
    coaching_notes: int
    kudos: list[tuple[str, str]]  # (agent name, words) this week
    kudos_count: int
    verbatims: list[str]  # today's, words only, each once
    sentence: str | None = None
    qa_mean: float | None = None
    qa_count: int = 0
    teams: list[str] = field(default_factory=list)
    day_start: float = 0.0  # midnight, site time
    partial: bool = False  # the store holds part of the floor (a scoped token): team None is that part

    @property
    def channels(self) -> list[str]:
        """The channels with anything today, in the feed's order."""
        seen = set(self.own) | {c for c, n in self.served.items() if n.offered}
        return sorted(seen, key=lambda c: (CHANNELS.index(c) if c in CHANNELS else len(CHANNELS), c))

    def served_figures(self, channel: str) -> QueueFigures:
        return figures(self.served.get(channel, Counts()))

    def served_total(self) -> Counts:
        """Every channel's counts added up: only service level and abandon
        rate are read from it (ratios of counts); waits and handle times are never pooled."""
        total = Counts()
        for c in self.served.values():
            total.add(c)
        return total

    @property
    def answered(self) -> int:
        return sum(w.answered for w in self.own.values())

    def busiest(self) -> str | None:
        """The channel with the most contacts offered on the served queues today."""
        offered = {c: n.offered for c, n in self.served.items() if n.offered}
        return (
            min(offered, key=lambda c: (-offered[c], c)) if offered else (self.channels[0] if self.channels else None)
        )


def distinct_words(texts: Iterable[str]) -> list[str]:
    """Each text once, in the order given, spaces tidied: the same words
    twice (in another case, or spaced or composed otherwise) read as one."""
    seen: set[str] = set()
    out: list[str] = []
    for text in texts:
        words = " ".join(unicodedata.normalize("NFKC", text).split())
        key = words.casefold()
        if words and key not in seen:
            seen.add(key)
            out.append(words)
    return out


def teams(con: sqlite3.Connection) -> list[str]:
    return [t for (t,) in con.execute("SELECT DISTINCT team FROM agent ORDER BY team")]


def find_team(con: sqlite3.Connection, name: str) -> str | None:
    """The team called `name`, its case as the feed spells it ("canyon" finds "Canyon")."""
    known = teams(con)
    if name in known:
        return name
    folded = [t for t in known if t.casefold() == name.casefold()]
    return folded[0] if len(folded) == 1 else None


def load_huddle(con: sqlite3.Connection, team: str | None, now: float, site: SiteTime) -> Huddle:
    """The huddle summary of `team` (or the floor) at `now`; today began at midnight, site time."""
    day_start = site.day_start(now)
    agent_filter, params = ("WHERE a.team = ?", (team,)) if team else ("", ())
    if team:
        queue_ids = [
            q
            for (q,) in con.execute(
                "SELECT DISTINCT aq.queue_id FROM agent_queue aq JOIN agent a ON a.id = aq.agent_id WHERE a.team = ?",
                (team,),
            )
        ]
    else:
        queue_ids = [q for (q,) in con.execute("SELECT id FROM queue")]
    served: dict[str, Counts] = {}
    if queue_ids:
        marks = ",".join("?" * len(queue_ids))
        for channel, *sums in con.execute(
            f"SELECT coalesce(q.channel, '?'), {', '.join(f'total(qi.{c})' for c in COUNT_COLUMNS)}"
            " FROM queue_interval qi LEFT JOIN queue q ON q.id = qi.queue_id"
            f" WHERE qi.interval >= ? AND qi.interval < ? AND qi.queue_id IN ({marks}) GROUP BY 1",
            (int(day_start // INTERVAL), int(now // INTERVAL) + 1, *queue_ids),
        ):
            served[channel] = _counts(sums)
    # The team's own work: contacts its agents answered, by time enqueued today.
    own = {
        channel: TeamWork(int(answered), int(handled), handle_s)
        for channel, answered, handled, handle_s in con.execute(
            "SELECT i.channel, count(*), total(i.ended_at IS NOT NULL),"
            " total(CASE WHEN i.ended_at IS NOT NULL THEN i.ended_at - i.answered_at + coalesce(i.wrap_s, 0) END)"
            " FROM interaction i INDEXED BY ix_interaction_enqueued_at_agent_id JOIN agent a ON a.id = i.agent_id"
            f" WHERE i.enqueued_at >= ? AND i.answered_at IS NOT NULL {'AND a.team = ?' if team else ''}"
            " GROUP BY i.channel",
            (day_start, *params),
        )
    }
    working, total = con.execute(
        "SELECT total(a.state IN ('available', 'on_contact', 'after_contact_work')), count(*)"
        f" FROM agent a {agent_filter}",
        params,
    ).fetchone()
    team_notes = "n.visibility = 'team' AND n.created_at >= ? AND n.created_at < ?" + (
        " AND a.team = ?" if team else ""
    )
    note_params = (now - WEEK, now, *params)
    themes = con.execute(
        "SELECT coalesce(n.topic, 'general'), coalesce(n.adkar, '–'), count(*) FROM note n"
        f" LEFT JOIN agent a ON a.id = n.agent_id WHERE n.type = 'coaching' AND {team_notes}"
        " GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
        note_params,
    ).fetchall()
    kudos = con.execute(
        "SELECT coalesce(a.name, 'the team'), n.body FROM note n LEFT JOIN agent a ON a.id = n.agent_id"
        f" WHERE n.type = 'kudos' AND {team_notes} ORDER BY n.created_at DESC",
        note_params,
    ).fetchall()
    qa, qa_n = con.execute(
        "SELECT avg(i.qa_score), count(i.qa_score) FROM interaction i JOIN agent a ON a.id = i.agent_id"
        f" WHERE i.enqueued_at >= ? AND i.qa_score IS NOT NULL {'AND a.team = ?' if team else ''}",
        (day_start, *params),
    ).fetchone()
    verbatims = distinct_words(
        v
        for (v,) in con.execute(  # newest first; the same words twice read as one
            "SELECT s.verbatim FROM survey s JOIN interaction i ON i.id = s.interaction_id"
            " LEFT JOIN agent a ON a.id = i.agent_id"
            f" WHERE s.answered_at >= ? AND s.verbatim IS NOT NULL AND s.verbatim != '' {'AND a.team = ?' if team else ''}"
            " GROUP BY s.verbatim ORDER BY max(s.answered_at) DESC LIMIT ?",
            (day_start, *params, VERBATIM_ROWS),
        )
    )[:VERBATIMS]
    return Huddle(
        team=team,
        at=now,
        own=own,
        served=served,
        served_queues=len(queue_ids),
        agents_working=int(working or 0),
        agents_total=total,
        themes=[tuple(t) for t in themes[:THEMES]],
        coaching_notes=sum(t[2] for t in themes),
        kudos=[tuple(k) for k in kudos[:KUDOS]],
        kudos_count=len(kudos),
        verbatims=verbatims,
        qa_mean=qa,
        qa_count=qa_n,
        teams=teams(con),
        day_start=day_start,
    )
