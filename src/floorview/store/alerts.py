"""Alerts in the store: the figures the rules watch, and the evaluator's state kept between refreshes.

The queues' figures come through the Queues screen's own read
(`reads.queue_snapshots`) and formulas (`metrics.figures` for the window's
rates, `metrics.agents_needed` and `Staffing.can_take` for need and have),
so an alert never disagrees with the screen it points at. The agents' are
their state, since when and why, as the Agents screen shows them, read for
the agents in a watched state only: `reads.agent_snapshots` reads every
agent with the names of the queues each serves, which costs 10 to 15 ms on
2,000 agents, half a Queues refresh; this read costs under 1 ms.

The contract for a refresh (the TUI's and the headless sync's alike):

    obs = observations(reader, now, site, rules=rules)            # a read, off the event loop
    state, events = tick(writer_conn, rules, obs, now, budget)    # one write transaction

on every change of the store and on a timer too (an agent's time in a state
grows with no change to the store), with `first=True` on a process's first
tick: the holding times start again after a gap longer than CONTINUOUS_S
since the store's last evaluation (`alert_clock`), since what the figures
did in it is not known, and go on after a shorter one (a cron `sync --once`).

`tick` loads the state, evaluates and saves it in the caller's transaction,
so an acknowledgement or a snooze written by another connection
(`acknowledge`, `snooze`) is never lost, and a restart resumes where the last
tick stopped. It writes only when something changed: a write would wake
every screen's refresh (PRAGMA data_version).

Tables (migration 0006): `alert` (every alert that fired, up or resolved:
kept `KEEP_S` after it resolves), `alert_track` (each rule on each subject
where something is going on: the condition holding since, clearing since,
held back, snoozed, the alert up), `alert_held` (held back by the budget, per
site day and subject).

Writes take a SQLAlchemy `Connection` (the writer's); reads take it or a
plain `sqlite3.Connection` (as from `engine.open_reader`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeAlias

from floorview.domain.alerts import (
    AGENT_KINDS,
    QUEUE_KINDS,
    Alert,
    AlertState,
    AgentObservation,
    Budget,
    Event,
    FireMark,
    HeldKey,
    Observations,
    QueueObservation,
    Rule,
    Subject,
    SubjectKind,
    Track,
    TrackKey,
    evaluate,
    resumed,
    shown_order,
)
from floorview.domain.metrics import agents_needed, figures
from floorview.domain.sitetime import SiteTime
from floorview.store.reads import QueueSnapshot, queue_snapshots

if TYPE_CHECKING:
    from sqlalchemy import Connection

AnyConnection: TypeAlias = "Connection | sqlite3.Connection"

KEEP_S = 7 * 86400.0  # an alert's history is kept this long after it resolves
# A process's first tick within this of the store's last evaluation carries the holding times
# on (a cron `floorview sync --once` every 5 minutes, a console restarted): a condition true at
# both ends is taken as true between, as a rule engine sampling every few minutes does.
CONTINUOUS_S = 360.0
# The last evaluation's time (alert_clock) is written at least this often, not at every tick:
# a write wakes every screen's refresh, and the screens reload every minute anyway.
CLOCK_EVERY_S = 60.0

_ALERT_COLUMNS = (
    "id, rule_id, kind, severity, subject_kind, subject_id, name, since, fired_at, day,"
    " value, threshold, ack_by, ack_at, snooze_until, resolved_at"
)


def _run(con: AnyConnection) -> Callable[..., Any]:
    if isinstance(con, sqlite3.Connection):
        return con.execute
    return con.exec_driver_sql


def _subject_kind(value: str) -> SubjectKind:
    return "agent" if value == "agent" else "queue"


# -- the figures ---------------------------------------------------------------------------
def observations(
    con: sqlite3.Connection,
    now: float,
    site: SiteTime,
    queues: Sequence[QueueSnapshot] | None = None,
    rules: Sequence[Rule] | None = None,
) -> Observations:
    """The figures the rules watch now: every queue's, and the agents' in a state an agent rule
    watches (not ready, after-contact work: an agent in another state cannot alert).

    `queues`: the snapshots the Queues refresh read for this same moment, so they are not read
    twice. `rules`: the rules to be evaluated, so only what they need is read (the teams serving
    each queue only for a queue rule narrowed to teams); None: everything."""
    snaps = queue_snapshots(con, now) if queues is None else queues
    kinds = {r.kind for r in rules} if rules is not None else set(AGENT_KINDS)
    states = [k for k in AGENT_KINDS if k in kinds]  # an agent kind is named for the state it watches
    need_teams = rules is None or any(r.kind in QUEUE_KINDS and r.scope.teams for r in rules)
    channel = {s.id: s.channel for s in snaps}
    agents = []
    if states:
        for aid, name, team, state, since, reason, served in con.execute(
            "SELECT a.id, a.name, a.team, a.state, a.state_since, a.reason,"
            " (SELECT group_concat(queue_id, ' ') FROM agent_queue WHERE agent_id = a.id)"
            f" FROM agent a WHERE a.state IN ({', '.join('?' * len(states))}) ORDER BY a.name, a.id",
            states,
        ):
            served_ids = frozenset((served or "").split())
            agents.append(
                AgentObservation(
                    id=aid,
                    name=name,
                    team=team,
                    state=state,
                    state_since=since,
                    reason=reason,
                    queues=served_ids,
                    channels=frozenset(channel[q] for q in served_ids if q in channel),
                )
            )
    teams: dict[str, set[str]] = {}
    if need_teams:
        for qid, team in con.execute(
            "SELECT aq.queue_id, a.team FROM agent_queue aq JOIN agent a ON a.id = aq.agent_id"
            " GROUP BY aq.queue_id, a.team"
        ):
            teams.setdefault(qid, set()).add(team)
    return Observations(
        day=site.today(now).isoformat(),
        queues=tuple(queue_observation(s, frozenset(teams.get(s.id, ()))) for s in snaps),
        agents=tuple(agents),
    )


def queue_observation(snap: QueueSnapshot, teams: frozenset[str] = frozenset()) -> QueueObservation:
    """A queue's figures as the Queues screen computes them: the window's rates, need and have."""
    f = figures(snap.window)
    need = agents_needed(snap.window, snap.window_s, snap.settings, snap.today)
    return QueueObservation(
        id=snap.id,
        name=snap.name,
        channel=snap.channel,
        sl_threshold_s=snap.settings.sl_threshold_s,
        sl_target=snap.settings.sl_target,
        abandon_target=snap.settings.abandon_target,
        service_level=f.service_level,
        abandon_rate=f.abandon_rate,
        contacts=snap.window.answered + snap.window.abandoned,
        oldest_enqueued_at=snap.oldest_enqueued_at,
        needed=need.needed,
        can_take=snap.staffing.can_take,
        teams=teams,
    )


# -- the evaluator's state -----------------------------------------------------------------
def _alert(row: Sequence[Any]) -> Alert:
    return Alert(
        id=row[0],
        rule_id=row[1],
        kind=row[2],
        severity=row[3],
        subject=Subject(_subject_kind(row[4]), row[5]),
        name=row[6],
        since=row[7],
        fired_at=row[8],
        day=row[9],
        value=row[10],
        limit=row[11],
        ack_by=row[12],
        ack_at=row[13],
        snooze_until=row[14],
        resolved_at=row[15],
    )


def load_state(con: AnyConnection, now: float, day: str) -> AlertState:
    """The state the last evaluation saved, with the alerts it counts against the budget
    of `day` and of the hour before `now`."""
    run = _run(con)
    alerts = {
        row[0]: _alert(row)
        for row in run(f"SELECT {_ALERT_COLUMNS} FROM alert INDEXED BY ix_alert_up WHERE resolved_at IS NULL")
    }
    tracks: dict[TrackKey, Track] = {}
    for rule_id, skind, sid, true_since, false_since, held_day, snooze_until, aid in run(
        "SELECT rule_id, subject_kind, subject_id, true_since, false_since, held_day, snooze_until, alert_id"
        " FROM alert_track"
    ):
        subject = Subject(_subject_kind(skind), sid)
        tracks[(rule_id, subject)] = Track(
            rule_id, subject, true_since, false_since, held_day, snooze_until, alerts.get(aid) if aid else None
        )
    fired = tuple(
        FireMark(at, d, Subject(_subject_kind(skind), sid))
        for at, d, skind, sid in run(
            "SELECT fired_at, day, subject_kind, subject_id FROM alert WHERE day = ? OR fired_at > ? ORDER BY fired_at",
            (day, now - 3600.0),
        )
    )
    held: dict[HeldKey, int] = {
        (day, Subject(_subject_kind(skind), sid)): n
        for skind, sid, n in run("SELECT subject_kind, subject_id, count FROM alert_held WHERE day = ?", (day,))
    }
    return AlertState(tracks, fired, held, (), day)


def _alert_params(a: Alert) -> tuple[Any, ...]:
    return (
        a.id,
        a.rule_id,
        a.kind,
        a.severity,
        a.subject.kind,
        a.subject.id,
        a.name,
        a.since,
        a.fired_at,
        a.day,
        a.value,
        a.limit,
        a.ack_by,
        a.ack_at,
        a.snooze_until,
        a.resolved_at,
    )


def save_state(conn: Connection, state: AlertState) -> None:
    """Keep the state: its tracks, its alerts up, those it resolved, and the day's held-back counts.

    An acknowledgement or a snooze already in the store is kept if the state has none."""
    run = conn.exec_driver_sql
    alerts = [*state.active(), *state.ended]
    if alerts:
        run(
            f"INSERT INTO alert ({_ALERT_COLUMNS}) VALUES ({', '.join('?' * 16)})"
            " ON CONFLICT (id) DO UPDATE SET value = excluded.value, threshold = excluded.threshold,"
            " ack_by = coalesce(excluded.ack_by, alert.ack_by), ack_at = coalesce(excluded.ack_at, alert.ack_at),"
            " snooze_until = coalesce(excluded.snooze_until, alert.snooze_until),"
            " resolved_at = coalesce(excluded.resolved_at, alert.resolved_at)",
            [_alert_params(a) for a in alerts],
        )
    run("DELETE FROM alert_track")
    if state.tracks:
        run(
            "INSERT INTO alert_track (rule_id, subject_kind, subject_id, true_since, false_since, held_day,"
            " snooze_until, alert_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    t.rule_id,
                    t.subject.kind,
                    t.subject.id,
                    t.true_since,
                    t.false_since,
                    t.held_day,
                    t.snooze_until,
                    t.alert.id if t.alert is not None else None,
                )
                for t in state.tracks.values()
            ],
        )
    if state.day:
        run("DELETE FROM alert_held WHERE day = ?", (state.day,))
    rows = [(d, s.kind, s.id, n) for (d, s), n in state.held.items() if n > 0]
    if rows:
        run(
            "INSERT INTO alert_held (day, subject_kind, subject_id, count) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (day, subject_kind, subject_id) DO UPDATE SET count = excluded.count",
            rows,
        )


def tick(
    conn: Connection,
    rules: Sequence[Rule],
    obs: Observations,
    now: float,
    budget: Budget = Budget(),
    *,
    first: bool = False,
) -> tuple[AlertState, list[Event]]:
    """One evaluation in the caller's write transaction: load, evaluate, save (only on a change).

    `first`: the first tick of a process (or after it was paused). When the store's last
    evaluation (by any process) was more than CONTINUOUS_S ago, the figures in the gap are not
    known, so holding and clearing times start now (`domain.alerts.resumed`); sooner, they go on.
    The evaluation's time is kept when the state is saved, and at least every CLOCK_EVERY_S."""
    stored = load_state(conn, now, obs.day)
    last = conn.exec_driver_sql("SELECT evaluated_at FROM alert_clock").scalar()
    gap = None if last is None else now - last
    carried_on = gap is not None and 0 <= gap <= CONTINUOUS_S
    new, events = evaluate(rules, obs, resumed(stored, now) if first and not carried_on else stored, now, budget)
    changed = bool(events) or new.tracks != stored.tracks or new.held != stored.held
    if changed:
        save_state(conn, new)
    if changed or gap is None or not 0 <= gap < CLOCK_EVERY_S:
        conn.exec_driver_sql(
            "INSERT INTO alert_clock (id, evaluated_at) VALUES (1, ?)"
            " ON CONFLICT (id) DO UPDATE SET evaluated_at = excluded.evaluated_at",
            (now,),
        )
    return new, events


def evaluate_now(
    conn: Connection,
    rules: Sequence[Rule],
    now: float,
    site: SiteTime,
    budget: Budget = Budget(),
    *,
    first: bool = False,
    queues: Sequence[QueueSnapshot] | None = None,
) -> tuple[AlertState, list[Event]]:
    """`observations` and `tick` in the caller's one write transaction (the TUI's evaluation):
    the figures are read on the writer's own connection, so what is judged is what is saved;
    `queues`, the Queues refresh's own snapshots when it has just made them, spare reading
    the queues a second time (most of the cost on a big floor)."""
    raw = conn.connection.driver_connection
    if not isinstance(raw, sqlite3.Connection):
        raise TypeError(f"alerts are evaluated on an SQLite store, not {type(raw).__name__}")
    return tick(conn, rules, observations(raw, now, site, queues=queues, rules=rules), now, budget, first=first)


# -- what a supervisor does ----------------------------------------------------------------
def acknowledge(conn: Connection, alert_id: str, by: str, at: float) -> bool:
    """Acknowledge an alert that is up (the first acknowledgement stands). False: none such up."""
    up = conn.exec_driver_sql("SELECT ack_at FROM alert WHERE id = ? AND resolved_at IS NULL", (alert_id,)).first()
    if up is None:
        return False
    if up[0] is None:
        conn.exec_driver_sql("UPDATE alert SET ack_by = ?, ack_at = ? WHERE id = ?", (by, at, alert_id))
    return True


def snooze(conn: Connection, alert_id: str, until: float) -> bool:
    """Silence an alert, and its rule for its subject, until `until` (a resolved alert's rule
    too: it does not fire again for that subject before then). False: no such alert."""
    row = conn.exec_driver_sql(
        "SELECT rule_id, subject_kind, subject_id, resolved_at FROM alert WHERE id = ?", (alert_id,)
    ).first()
    if row is None:
        return False
    rule_id, skind, sid, resolved_at = row
    conn.exec_driver_sql("UPDATE alert SET snooze_until = ? WHERE id = ?", (until, alert_id))
    conn.exec_driver_sql(
        "INSERT INTO alert_track (rule_id, subject_kind, subject_id, snooze_until, alert_id) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (rule_id, subject_kind, subject_id) DO UPDATE SET snooze_until = excluded.snooze_until",
        (rule_id, skind, sid, until, None if resolved_at is not None else alert_id),
    )
    return True


def prune(conn: Connection, now: float, site: SiteTime, keep_s: float = KEEP_S) -> int:
    """Forget alerts resolved more than `keep_s` ago, and held-back counts of days that long past.
    Returns how many alerts went."""
    gone = conn.exec_driver_sql(
        "DELETE FROM alert WHERE resolved_at IS NOT NULL AND resolved_at < ?", (now - keep_s,)
    ).rowcount
    oldest_day = (site.today(now) - timedelta(seconds=keep_s)).isoformat()
    conn.exec_driver_sql("DELETE FROM alert_held WHERE day < ?", (oldest_day,))
    return int(gone or 0)


# -- for the screens -----------------------------------------------------------------------
def alerts_up(con: AnyConnection, now: float) -> list[Alert]:
    """The alerts up (firing, acknowledged or snoozed), in the order they are shown."""
    rows = _run(con)(f"SELECT {_ALERT_COLUMNS} FROM alert INDEXED BY ix_alert_up WHERE resolved_at IS NULL")
    return shown_order((_alert(r) for r in rows), now)


def firing_count(con: AnyConnection, now: float) -> int:
    """Alerts up and not snoozed: the status line's count."""
    row = _run(con)(
        "SELECT count(*) FROM alert INDEXED BY ix_alert_up"
        " WHERE resolved_at IS NULL AND (snooze_until IS NULL OR snooze_until <= ?)",
        (now,),
    ).fetchone()
    return int(row[0]) if row else 0


def resolved_since(con: AnyConnection, since: float) -> list[Alert]:
    """Alerts resolved since `since` (the Alerts screen: today's), newest resolved first."""
    rows = _run(con)(
        f"SELECT {_ALERT_COLUMNS} FROM alert WHERE resolved_at >= ? ORDER BY resolved_at DESC, id", (since,)
    )
    return [_alert(r) for r in rows]


def alert_history(con: AnyConnection, since: float) -> list[Alert]:
    """Alerts fired since `since`, up or resolved, newest first."""
    rows = _run(con)(f"SELECT {_ALERT_COLUMNS} FROM alert WHERE fired_at >= ? ORDER BY fired_at DESC, id", (since,))
    return [_alert(r) for r in rows]


def held_back(con: AnyConnection, day: str) -> int:
    """How many alerts the budget held back on the site day `day` (ISO date)."""
    row = _run(con)("SELECT total(count) FROM alert_held WHERE day = ?", (day,)).fetchone()
    return int(row[0]) if row else 0
