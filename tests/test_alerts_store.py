"""Alerts in the store (store/alerts.py, migration 0006): the figures the rules read, checked by hand on
a small floor; the evaluator's state, acknowledgements and snoozes across a restart; pruning."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from floorview.domain.alerts import DEFAULT_RULES, Budget, Observations, QueueObservation, Scope, Subject
from floorview.domain.sitetime import SiteTime
from floorview.store import alerts as store_alerts
from floorview.store.apply import Applier
from floorview.store.engine import SCHEMA_HEAD, open_engine, open_reader

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=timezone.utc)
NOW = (T0 + timedelta(minutes=20)).timestamp()
SITE = SiteTime("UTC", "setting")
DAY = "2026-11-20"


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def since_now(seconds: float) -> str:
    return datetime.fromtimestamp(NOW - seconds, timezone.utc).isoformat()


def change(kind: str, rid: str, **data: object) -> dict[str, object]:
    return {"kind": kind, "id": rid, "version": 1, "op": "upsert", "data": data}


def contact(iid: str, minute: int, *, answer: float | None = None, abandon: float | None = None, end=True, **more):
    start = minute * 60
    data: dict[str, object] = {"queue_id": "q1", "channel": "voice", "enqueued_at": at(start)}
    if answer is not None:
        data["answered_at"] = at(start + answer)
        if end:
            data["ended_at"] = at(start + answer + 300)
    if abandon is not None:
        data["abandoned_at"] = at(start + abandon)
    data.update(more)
    return change("interaction", iid, **data)


FLOOR = [
    change("queue", "q1", name="Billing", channel="voice", sl_threshold_s=20, sl_target=0.8, abandon_target=0.05),
    change("queue", "q2", name="Chat", channel="chat", sl_threshold_s=60, sl_target=0.8),
    # q1 in the last 30 minutes: 7 answered within 20 s (one still on the phone), 2 answered after 30 s,
    # 2 abandoned after 10 s, 1 short abandon (2 s: counted nowhere), 1 waiting 50 s now.
    *(contact(f"i{n}", n, answer=10) for n in range(1, 7)),
    contact("i7", 7, answer=30),
    contact("i8", 8, answer=30),
    contact("i9", 9, abandon=10),
    contact("i10", 10, abandon=10),
    contact("i11", 11, abandon=2),
    change("interaction", "i12", queue_id="q1", channel="voice", enqueued_at=since_now(50)),
    contact("i13", 18, answer=5, end=False, agent_id="a3"),
    change("agent", "a1", name="Ana", team="Harbor", state="available", state_since=at(0), queues=["q1", "q2"]),
    change(
        "agent",
        "a2",
        name="Bo",
        team="Harbor",
        state="not_ready",
        reason="Break",
        state_since=since_now(1000),
        queues=["q1"],
    ),
    change(
        "agent",
        "a3",
        name="Cy",
        team="Delta",
        state="on_contact",
        state_since=at(18 * 60 + 5),
        queues=["q1"],
        interaction_id="i13",
    ),
    change(
        "agent", "a4", name="Di", team="Delta", state="after_contact_work", state_since=since_now(100), queues=["q2"]
    ),
]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "alerts.db"
    engine = open_engine(path)
    with engine.begin() as conn:
        Applier(conn, NOW).apply(FLOOR)
    engine.dispose()
    return path


def observe(path: Path) -> Observations:
    con = open_reader(path)
    try:
        return store_alerts.observations(con, NOW, SITE)
    finally:
        con.close()


def test_the_figures_are_the_floors_by_hand(store):
    obs = observe(store)
    assert obs.day == DAY
    q1, q2 = sorted(obs.queues, key=lambda q: q.id)
    assert q1.service_level == pytest.approx(7 / 11)  # 7 in 20 s of 9 answered + 2 abandoned
    assert q1.abandon_rate == pytest.approx(2 / 11)
    assert q1.contacts == 11
    assert NOW - q1.oldest_enqueued_at == pytest.approx(50)
    assert q1.can_take == 2  # Ana available, Cy on a Billing contact; Bo on a break
    assert q1.teams == frozenset({"Harbor", "Delta"}) and q2.teams == frozenset({"Harbor", "Delta"})
    assert (q1.sl_threshold_s, q1.sl_target, q1.abandon_target) == (20, 0.8, 0.05)
    assert (q2.service_level, q2.oldest_enqueued_at, q2.abandon_target, q2.can_take) == (None, None, None, 1)
    agents = {a.id: a for a in obs.agents}
    assert sorted(agents) == ["a2", "a4"]  # Ana available and Cy on a contact: no agent rule watches them
    assert (agents["a2"].state, agents["a2"].reason, NOW - agents["a2"].state_since) == ("not_ready", "Break", 1000)
    assert (agents["a2"].team, agents["a2"].queues, agents["a2"].channels) == ("Harbor", {"q1"}, {"voice"})
    assert (agents["a4"].state, NOW - agents["a4"].state_since, agents["a4"].channels) == (
        "after_contact_work",
        100,
        {"chat"},
    )


def test_only_what_the_rules_need_is_read(store):
    con = open_reader(store)
    rules = {r.id: r for r in DEFAULT_RULES}
    queues_only = store_alerts.observations(con, NOW, SITE, rules=[rules["oldest-wait"]])
    assert queues_only.agents == () and all(q.teams == frozenset() for q in queues_only.queues)
    breaks = store_alerts.observations(con, NOW, SITE, rules=[rules["not-ready"]])
    assert [a.id for a in breaks.agents] == ["a2"]
    harbor = replace(rules["oldest-wait"], scope=Scope(teams=frozenset({"Harbor"})))
    scoped = store_alerts.observations(con, NOW, SITE, rules=[harbor])
    assert {q.id: q.teams for q in scoped.queues} == {"q1": {"Harbor", "Delta"}, "q2": {"Harbor", "Delta"}}
    con.close()


def test_need_and_have_are_the_queues_screens(store):
    from floorview.tui.queues.data import load

    con = open_reader(store)
    rows = {r.snap.id: r for r in load(con, NOW)}
    obs = store_alerts.observations(con, NOW, SITE)
    for q in obs.queues:
        assert (q.needed, q.can_take) == (rows[q.id].need.needed, rows[q.id].snap.staffing.can_take)
    # Read once by the caller, the snapshots give the same figures.
    again = store_alerts.observations(con, NOW, SITE, queues=[r.snap for r in rows.values()])
    assert sorted(again.queues, key=lambda q: q.id) == sorted(obs.queues, key=lambda q: q.id)
    con.close()


def tick(path: Path, obs: Observations, now: float, budget: Budget = Budget()):
    engine = open_engine(path)
    try:
        with engine.begin() as conn:
            return store_alerts.tick(conn, DEFAULT_RULES, obs, now, budget)
    finally:
        engine.dispose()


def test_the_shipped_rules_on_the_small_floor(store):
    obs = observe(store)
    state, events = tick(store, obs, NOW)
    fired = sorted((e.alert.rule_id, e.alert.subject.id) for e in events if e.kind == "fired")
    # Waiting 50 s (over 2 x 20 s), Bo's break at 1000 s (over 900 s); service level, abandons and
    # need wait for their hold time; Di in wrap-up 100 s (under 300 s).
    assert fired == [("not-ready", "a2"), ("oldest-wait", "q1")]
    con = open_reader(store)
    assert [a.rule_id for a in store_alerts.alerts_up(con, NOW)] == ["oldest-wait", "not-ready"]  # warning first
    assert store_alerts.firing_count(con, NOW) == 2
    assert sorted(a.rule_id for a in store_alerts.alert_history(con, NOW)) == ["not-ready", "oldest-wait"]
    assert store_alerts.alert_history(con, NOW + 1) == []
    con.close()
    _, events = tick(store, obs, NOW + 600)
    assert ("fired", "service-level", "q1") in [(e.kind, e.alert.rule_id, e.alert.subject.id) for e in events]


def test_ack_and_snooze_survive_a_restart(store):
    obs = observe(store)
    _, events = tick(store, obs, NOW)
    wait = next(e.alert for e in events if e.alert.rule_id == "oldest-wait")
    brk = next(e.alert for e in events if e.alert.rule_id == "not-ready")
    engine = open_engine(store)
    with engine.begin() as conn:
        assert store_alerts.acknowledge(conn, wait.id, "sam", NOW + 5)
        assert store_alerts.snooze(conn, brk.id, NOW + 1800)
        assert not store_alerts.acknowledge(conn, "no-such-alert", "sam", NOW + 5)
    engine.dispose()
    # A restart: a new engine and a new reader on the same file.
    con = open_reader(store)
    up = {a.rule_id: a for a in store_alerts.alerts_up(con, NOW + 60)}
    assert (up["oldest-wait"].status(NOW + 60), up["oldest-wait"].ack_by, up["oldest-wait"].ack_at) == (
        "acknowledged",
        "sam",
        NOW + 5,
    )
    assert up["not-ready"].status(NOW + 60) == "snoozed" and up["not-ready"].snooze_until == NOW + 1800
    assert store_alerts.firing_count(con, NOW + 60) == 1  # the snoozed one is not counted
    con.close()
    state, events = tick(store, obs, NOW + 60)
    assert events == []  # nothing fires again
    [acked] = [a for a in state.active() if a.rule_id == "oldest-wait"]
    assert acked.ack_by == "sam"
    _, events = tick(store, obs, NOW + 1800)  # the snooze ends with Bo still on his break
    assert [(e.kind, e.alert.id) for e in events if e.alert.rule_id == "not-ready"] == [("returned", brk.id)]


def test_a_snoozed_rule_stays_quiet_after_its_alert_resolved_and_a_restart(store):
    obs = observe(store)
    _, events = tick(store, obs, NOW)
    wait = next(e.alert for e in events if e.alert.rule_id == "oldest-wait")
    nobody_waits = Observations(
        DAY, tuple(QueueObservation(**{**_fields(q), "oldest_enqueued_at": None}) for q in obs.queues), obs.agents
    )
    tick(store, nobody_waits, NOW + 10)
    _, events = tick(store, nobody_waits, NOW + 70)  # false for 60 s: cleared
    assert ("resolved", wait.id) in [(e.kind, e.alert.id) for e in events]
    engine = open_engine(store)
    with engine.begin() as conn:
        assert store_alerts.snooze(conn, wait.id, NOW + 3600)  # a resolved alert: its rule sleeps for q1
    engine.dispose()
    _, events = tick(store, obs, NOW + 100)  # a contact waits again
    assert [e for e in events if e.alert.rule_id == "oldest-wait"] == []
    _, events = tick(store, obs, NOW + 3600)
    assert [(e.kind, e.alert.subject.id) for e in events if e.alert.rule_id == "oldest-wait"] == [("fired", "q1")]


def _fields(q: QueueObservation) -> dict[str, object]:
    return {name: getattr(q, name) for name in QueueObservation.__dataclass_fields__}


def test_held_back_is_kept_and_counted_per_day(store):
    obs = observe(store)
    _, events = tick(store, obs, NOW, Budget(per_agent_day=0, per_queue_day=6, per_hour=12))
    assert [(e.kind, e.alert.subject) for e in events if e.alert.subject.kind == "agent"] == [
        ("held_back", Subject("agent", "a2"))
    ]
    tick(store, obs, NOW + 30, Budget(per_agent_day=0))  # still held: not counted again
    con = open_reader(store)
    assert store_alerts.held_back(con, DAY) == 1 and store_alerts.held_back(con, "2026-11-19") == 0
    con.close()


def test_a_tick_that_changes_nothing_writes_nothing(store):
    obs = observe(store)
    tick(store, obs, NOW)
    con = open_reader(store)
    before = con.execute("PRAGMA data_version").fetchone()[0]
    _, events = tick(store, obs, NOW + 30)
    assert events == []
    assert con.execute("PRAGMA data_version").fetchone()[0] == before  # no screen is woken for nothing
    clock = "SELECT evaluated_at FROM alert_clock"  # nor for the evaluation's time: once a minute
    assert con.execute(clock).fetchone()[0] == NOW
    tick(store, obs, NOW + store_alerts.CLOCK_EVERY_S)
    assert con.execute(clock).fetchone()[0] == NOW + store_alerts.CLOCK_EVERY_S
    before = con.execute("PRAGMA data_version").fetchone()[0]
    tick(store, obs, NOW + 600)  # service level's ten minutes: a change
    assert con.execute("PRAGMA data_version").fetchone()[0] != before
    con.close()


def test_history_is_pruned_seven_days_after_an_alert_resolves(store):
    obs = observe(store)
    tick(store, obs, NOW)
    calm = Observations(DAY, (), ())  # the floor gone quiet: every alert clears
    tick(store, calm, NOW + 100)  # Bo's break alert resolves at once (clear_s 0)
    tick(store, calm, NOW + 200)  # the long wait's after 60 s false
    engine = open_engine(store)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO alert_held VALUES ('2026-11-19', 'agent', 'a2', 3), ('2026-11-20', 'agent', 'a1', 1)"
        )
    week = 7 * 86400
    gone = []
    for now in (NOW + 100 + week - 1, NOW + 100 + week + 1, NOW + 200 + week - 1, NOW + 200 + week + 1):
        with engine.begin() as conn:
            gone.append(store_alerts.prune(conn, now, SITE))
    with engine.begin() as conn:
        left = conn.exec_driver_sql("SELECT count(*) FROM alert").scalar()
        days = [r[0] for r in conn.exec_driver_sql("SELECT day FROM alert_held ORDER BY day")]
    engine.dispose()
    assert gone == [0, 1, 0, 1] and left == 0
    assert days == ["2026-11-20"]  # on the 27th: a week back is the 20th, kept; the 19th's count goes


def test_a_hand_made_sync_identity_is_kept_by_the_migration(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from floorview.store import schema, syncstate
    from floorview.store.migrate import upgrade

    path = tmp_path / "old.db"
    path.touch(mode=0o600)
    upgrade(path, "0005")
    con = sqlite3.connect(path)
    con.execute(syncstate._IDENTITY_DDL)
    con.execute("INSERT INTO sync_identity VALUES (1, 'lead-harbor', '[\"Harbor\"]', '[]', 1.5)")
    con.commit()
    con.close()
    engine = open_engine(path)  # brings it to the head (0006 made sync_identity)
    with engine.connect() as conn:
        assert syncstate.token_scope(conn) == syncstate.TokenScope("lead-harbor", ("Harbor",), ())
        context = MigrationContext.configure(conn, opts={"include_name": schema.include_name})
        assert compare_metadata(context, schema.Base.metadata) == []
    with engine.begin() as conn:
        syncstate.save_token_scope(conn, syncstate.TokenScope("lead-delta", ("Delta",), ("q1",)), 2.0)
    reader = open_reader(path)
    assert syncstate.token_scope(reader) == syncstate.TokenScope("lead-delta", ("Delta",), ("q1",))
    assert reader.execute("SELECT version_num FROM alembic_version").fetchone()[0] == SCHEMA_HEAD
    reader.close()
    engine.dispose()


def test_after_a_gap_a_condition_holds_again_from_the_restart(store):
    obs = observe(store)
    tick(store, obs, NOW)  # service level pending from NOW
    later = NOW + 4 * 3600  # the console closed for four hours, opened on a floor as bad
    engine = open_engine(store)
    with engine.begin() as conn:
        _, events = store_alerts.tick(conn, DEFAULT_RULES, obs, later, first=True)
    assert "service-level" not in [e.alert.rule_id for e in events]  # not known to have held in the gap
    with engine.begin() as conn:
        _, events = store_alerts.tick(conn, DEFAULT_RULES, obs, later + 599)
        assert "service-level" not in [e.alert.rule_id for e in events]
        _, events = store_alerts.tick(conn, DEFAULT_RULES, obs, later + 600)
        assert ("fired", "service-level") in [(e.kind, e.alert.rule_id) for e in events]
    engine.dispose()


def _fired(engine, obs, now: float, first: bool) -> bool:
    with engine.begin() as conn:
        _, events = store_alerts.tick(conn, DEFAULT_RULES, obs, now, first=first)
    return ("fired", "service-level") in [(e.kind, e.alert.rule_id) for e in events]


def test_cron_runs_carry_the_holding_times_on(store):
    """`floorview sync --once` every 5 minutes: each run's one tick is its process's first, and a
    rule held 10 minutes (service level) fires on the run 10 minutes after the condition began."""
    obs = observe(store)
    engine = open_engine(store)
    assert [_fired(engine, obs, NOW + m * 60, first=True) for m in (0, 5, 10)] == [False, False, True]
    engine.dispose()


def test_after_a_gap_longer_than_continuous_s_the_holding_starts_again(store):
    obs = observe(store)
    engine = open_engine(store)
    restart = NOW + 300 + store_alerts.CONTINUOUS_S + 1  # a run missed: 6 minutes and a second since
    runs = (NOW, NOW + 300, restart, restart + 300, restart + 600)
    assert [_fired(engine, obs, t, first=True) for t in runs] == [False, False, False, False, True]
    engine.dispose()
