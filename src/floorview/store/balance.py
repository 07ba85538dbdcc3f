"""The reads behind the Balance screen: stated priorities as saved, coaching
notes by topic, and each queue-interval's sums for the attainment metrics.

Plain SQL on the screens' stdlib sqlite3 connection, like store/reads.py.
The interval sums come from the per-interval table where it has them; the
rest (QA, outcomes, transfers, repeats, surveys) from the contacts of the
window, through the index on enqueue time.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import Any

from floorview.domain.attainment import Sums
from floorview.domain.targets import Targets
from floorview.domain.balance import CoachingMix, Priorities, PriorityError, check_priorities, sentence
from floorview.domain.metrics import COUNT_COLUMNS, INTERVAL, Counts, QueueSettings
from floorview.store.reads import _counts


@dataclass(frozen=True, slots=True)
class SavedPriorities:
    ranking: dict[str, Any]  # constraint -> {"rank": r, "weight": w}, as stored
    set_at: float
    set_by: str


def priority_history(con: sqlite3.Connection) -> list[SavedPriorities]:
    """Every ranking set on screen, oldest first."""
    rows = con.execute("SELECT ranking, set_at, set_by FROM priority_setting ORDER BY seq").fetchall()
    return [SavedPriorities(json.loads(r), at, by) for r, at, by in rows]


def _ranking(saved: SavedPriorities) -> Priorities | None:
    try:
        return check_priorities(
            {c: v["rank"] for c, v in saved.ranking.items()}, {c: v["weight"] for c, v in saved.ranking.items()}
        )
    except (PriorityError, KeyError, TypeError, AttributeError):
        return None  # a row this version cannot read: fall back, never crash


def priorities_at(
    history: list[SavedPriorities], at: float, default: Priorities
) -> tuple[Priorities, SavedPriorities | None]:
    """The ranking in force at `at`: the latest saved before it, else the config's."""
    for saved in reversed(history):
        if saved.set_at <= at:
            p = _ranking(saved)
            if p is not None:
                return p, saved
    return default, None


def coaching_topics(con: sqlite3.Connection, since: float, until: float) -> list[tuple[float, str]]:
    """(created_at, topic) of the coaching notes that name a topic, in [since, until)."""
    rows: list[tuple[float, str]] = con.execute(
        "SELECT created_at, topic FROM note WHERE type = 'coaching' AND topic IS NOT NULL"
        " AND created_at >= ? AND created_at < ? ORDER BY created_at",
        (since, until),
    ).fetchall()
    return rows


@dataclass(frozen=True, slots=True)
class NoteLine:
    id: str
    created_at: float
    agent_id: str | None
    agent_name: str | None
    author: str
    type: str
    topic: str | None
    adkar: str | None
    visibility: str
    body: str


def notes_between(
    con: sqlite3.Connection, since: float, until: float, topic: str | None = None, limit: int = 500
) -> list[NoteLine]:
    """Coaching notes in [since, until), newest first; of one topic when given."""
    sql = (
        "SELECT n.id, n.created_at, n.agent_id, a.name, n.author, n.type, n.topic, n.adkar, n.visibility, n.body"
        " FROM note n LEFT JOIN agent a ON a.id = n.agent_id"
        " WHERE n.type = 'coaching' AND n.created_at >= ? AND n.created_at < ?"
    )
    args: list[object] = [since, until]
    if topic is not None:
        sql += " AND n.topic = ?"
        args.append(topic)
    sql += " ORDER BY n.created_at DESC LIMIT ?"
    args.append(limit)
    return [NoteLine(*row) for row in con.execute(sql, args)]


QueueInfo = tuple[str, QueueSettings, float | None, str]  # name, settings, cost per agent hour, channel


def queue_settings(con: sqlite3.Connection) -> dict[str, QueueInfo]:
    """Each queue's name, settings, cost per agent hour and channel."""
    out: dict[str, QueueInfo] = {}
    for qid, name, thr, target, short, aht, abandon, cost, channel in con.execute(
        "SELECT id, name, sl_threshold_s, sl_target, short_abandon_s, aht_target_s, abandon_target,"
        " cost_per_agent_hour, channel FROM queue"
    ):
        out[qid] = (name, QueueSettings(thr, target, short, aht, abandon), cost, channel)
    return out


_INTERVAL_COLUMNS = ", ".join(COUNT_COLUMNS)
SURVEY_GRACE_S = 86400


def interval_sums(con: sqlite3.Connection, since: float, until: float, targets: Targets) -> dict[tuple[str, int], Sums]:
    """Sums per (queue, 15-minute interval) for the intervals starting in [since, until)."""
    first, last = int(since // INTERVAL), int(until // INTERVAL)
    out: dict[tuple[str, int], Sums] = {}

    def at(queue_id: str, interval: int) -> Sums:
        sums = out.get((queue_id, interval))
        if sums is None:
            sums = out[(queue_id, interval)] = Sums()
        return sums

    for queue_id, interval, *counts in con.execute(
        f"SELECT queue_id, interval, {_INTERVAL_COLUMNS} FROM queue_interval WHERE interval >= ? AND interval < ?",
        (first, last),
    ):
        at(queue_id, interval).counts = _counts(counts)

    window_s = targets.repeat_window_h * 3600
    for row in con.execute(
        """
        SELECT i.queue_id, CAST(i.enqueued_at / ? AS INTEGER),
               total(COALESCE(i.answered_at, i.abandoned_at) - i.enqueued_at > 2 * q.sl_threshold_s),
               count(i.qa_score), total(i.qa_score), total(i.qa_score < ?),
               count(i.resolved), total(i.resolved),
               total(i.answered_at IS NOT NULL AND i.transfers > 0),
               count(i.customer_id),
               total(i.repeat_gap_s <= ?)
        FROM interaction i JOIN queue q ON q.id = i.queue_id
        WHERE i.enqueued_at >= ? AND i.enqueued_at < ?
        GROUP BY 1, 2
        """,
        (INTERVAL, targets.compliance_score, window_s, first * INTERVAL, last * INTERVAL),
    ):
        s = at(row[0], row[1])
        s.long_waits, s.qa_n, s.qa_sum, s.qa_fails = int(row[2]), row[3], row[4], int(row[5])
        s.outcome_n, s.resolved, s.transferred = row[6], int(row[7]), int(row[8])
        s.known_n, s.repeats = row[9], int(row[10])

    # Survey answers count toward the interval of the contact they rate. A
    # survey is answered after its contact: reading only those answered since
    # the window began (a day's grace for skewed clocks) spares a scan of them all.
    for queue_id, interval, n, good, bad in con.execute(
        """
        SELECT i.queue_id, CAST(i.enqueued_at / ? AS INTEGER), count(*), total(s.csat >= 4), total(s.csat <= 2)
        FROM survey s JOIN interaction i ON i.id = s.interaction_id
        WHERE s.answered_at >= ? AND s.csat IS NOT NULL AND i.enqueued_at >= ? AND i.enqueued_at < ?
        GROUP BY 1, 2
        """,
        (INTERVAL, first * INTERVAL - SURVEY_GRACE_S, first * INTERVAL, last * INTERVAL),
    ):
        s = at(queue_id, interval)
        s.csat_n, s.csat_good, s.csat_bad = n, int(good), int(bad)
    return out


def queue_intervals(con: sqlite3.Connection, queue_id: str, since: float, until: float) -> list[tuple[int, Counts]]:
    """One queue's sums per 15-minute interval in [since, until), oldest first."""
    return [
        (interval, _counts(counts))
        for interval, *counts in con.execute(
            f"SELECT interval, {_INTERVAL_COLUMNS} FROM queue_interval"
            " WHERE queue_id = ? AND interval >= ? AND interval < ? ORDER BY interval",
            (queue_id, int(since // INTERVAL), int(until // INTERVAL)),
        )
    ]


MIN_TEAM_NOTES = 5  # fewer coaching notes in the week than this say nothing of a team's coaching


def week_sentence(
    con: sqlite3.Connection, now: float, default: Priorities, team: str | None = None, least: int = MIN_TEAM_NOTES
) -> str | None:
    """The talk/walk sentence of the last seven days for huddle mode and its
    export: the team-visible coaching notes (the ones the huddle counts),
    about the team's agents when a team is given, against the ranking in
    force. None when they are fewer than `least`: a share of three notes is
    no trend to put in front of a team."""
    p, _ = priorities_at(priority_history(con), now, default)
    topics = [
        str(t)
        for (t,) in con.execute(
            "SELECT n.topic FROM note n LEFT JOIN agent a ON a.id = n.agent_id WHERE n.type = 'coaching'"
            " AND n.visibility = 'team' AND n.topic IS NOT NULL AND n.created_at >= ? AND n.created_at < ?"
            + (" AND a.team = ?" if team is not None else ""),
            (now - 7 * 86400, now, *((team,) if team is not None else ())),
        )
    ]
    if len(topics) < max(1, least):
        return None
    # "in team notes": Balance counts private notes too, so its share may differ; say which this is.
    return sentence(p, CoachingMix(dict(Counter(topics))), "in team notes this week")


def first_interval(con: sqlite3.Connection) -> int | None:
    """The first 15-minute interval the store holds sums of; None: none yet."""
    row = con.execute("SELECT min(interval) FROM queue_interval").fetchone()
    return None if row is None or row[0] is None else int(row[0])
