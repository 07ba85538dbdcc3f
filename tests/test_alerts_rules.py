"""Alert rules (domain/alerts.py): each shipped rule at its line, hysteresis, the budget, ack and snooze,
and the config that carries them. Figures are written by hand: 14 of 20 in threshold is 70%."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from floorview.config import ConfigError, Settings, load_settings
from floorview.domain.alerts import (
    DEFAULT_RULES,
    AgentObservation,
    AlertState,
    Budget,
    Event,
    Observations,
    QueueObservation,
    Rule,
    Scope,
    Subject,
    acknowledge,
    describe,
    evaluate,
    shown_order,
    snooze,
)

T = 1_800_000_000.0  # a moment; site days are given by hand
DAY = "2027-01-15"
RULES = {r.id: r for r in DEFAULT_RULES}
BIG = Budget(per_agent_day=100, per_queue_day=100, per_hour=1000)  # out of the way where not under test


def queue(qid: str = "q1", **over: object) -> QueueObservation:
    base = dict(
        id=qid,
        name=qid.title(),
        channel="voice",
        sl_threshold_s=20.0,
        sl_target=0.8,
        abandon_target=0.05,
        service_level=0.9,
        abandon_rate=0.0,
        contacts=20,
        oldest_enqueued_at=None,
        needed=5,
        can_take=6,
        teams=frozenset({"Harbor"}),
    )
    base.update(over)
    return QueueObservation(**base)  # type: ignore[arg-type]


def agent(aid: str = "a1", **over: object) -> AgentObservation:
    base = dict(
        id=aid,
        name=aid.upper(),
        team="Harbor",
        state="available",
        state_since=T,
        reason=None,
        queues=frozenset({"q1"}),
        channels=frozenset({"voice"}),
    )
    base.update(over)
    return AgentObservation(**base)  # type: ignore[arg-type]


class Run:
    """Ticks of one or more rules over hand-made observations, the state carried along."""

    def __init__(self, rules: list[Rule] | tuple[Rule, ...], budget: Budget = BIG) -> None:
        self.rules = list(rules)
        self.budget = budget
        self.state = AlertState()
        self.events: list[Event] = []

    def tick(
        self, now: float, queues: tuple[QueueObservation, ...] = (), agents: tuple[AgentObservation, ...] = (), day=DAY
    ) -> list[Event]:
        self.state, events = evaluate(self.rules, Observations(day, queues, agents), self.state, now, self.budget)
        self.events += events
        return events

    def kinds(self, events: list[Event] | None = None) -> list[str]:
        return [e.kind for e in (self.events if events is None else events)]


# -- each shipped rule at its line and one tick before ----------------------------------------
def test_service_level_fires_below_target_less_the_margin_after_ten_minutes():
    rule = RULES["service-level"]
    assert (rule.margin, rule.for_s, rule.min_contacts) == (0.05, 600, 5)
    on_line = queue(service_level=15 / 20)  # 75%: 80% less 5 points, on the line (the screen's "!")
    below = queue(service_level=14 / 20)  # 70%
    run = Run([rule])
    assert run.tick(T, (on_line,)) == []
    assert run.tick(T + 600, (on_line,)) == []  # ten minutes on the line: nothing
    run = Run([rule])
    assert run.tick(T, (below,)) == []
    assert run.tick(T + 599, (below,)) == []  # one second before the ten minutes
    [fired] = run.tick(T + 600, (below,))
    assert fired.kind == "fired" and fired.alert.since == T and fired.alert.value == pytest.approx(0.70)
    assert fired.alert.limit == pytest.approx(0.75) and fired.alert.severity == "critical"


def test_service_level_is_not_judged_on_fewer_than_five_contacts():
    rule = replace(RULES["service-level"], for_s=0)
    run = Run([rule])
    assert run.tick(T, (queue(service_level=0.0, contacts=4),)) == []  # 0 of 4 in threshold: too few to judge
    assert run.kinds(run.tick(T + 1, (queue(service_level=0.0, contacts=5),))) == ["fired"]


def test_oldest_wait_fires_at_twice_the_threshold():
    rule = RULES["oldest-wait"]
    run = Run([rule])
    waiting = queue(oldest_enqueued_at=T)  # threshold 20 s: the line is 40 s
    assert run.tick(T + 39, (waiting,)) == []
    [fired] = run.tick(T + 40, (waiting,))
    assert fired.kind == "fired" and fired.alert.value == 40 and fired.alert.limit == 40


def test_abandon_rate_fires_over_target_after_fifteen_minutes():
    rule = RULES["abandon-rate"]
    run = Run([rule])
    on_target = queue(abandon_rate=2 / 40, contacts=40)  # 5%: the target, not over it
    over = queue(abandon_rate=3 / 40, contacts=40)  # 7.5%
    assert run.tick(T, (on_target,)) == [] and run.tick(T + 900, (on_target,)) == []
    run = Run([rule])
    run.tick(T, (over,))
    assert run.tick(T + 899, (over,)) == []
    assert run.kinds(run.tick(T + 900, (over,))) == ["fired"]
    no_target = Run([replace(rule, for_s=0)])
    assert no_target.tick(T, (queue(abandon_rate=0.5, abandon_target=None),)) == []


def test_agents_short_fires_when_need_exceeds_have_for_ten_minutes():
    rule = RULES["agents-short"]
    run = Run([rule])
    even = queue(needed=10, can_take=10)
    short = queue(needed=10, can_take=9)
    assert run.tick(T, (even,)) == [] and run.tick(T + 600, (even,)) == []
    run = Run([rule])
    run.tick(T, (short,))
    assert run.tick(T + 599, (short,)) == []
    [fired] = run.tick(T + 600, (short,))
    assert (fired.alert.value, fired.alert.limit) == (1, 1)
    unknown = Run([replace(rule, for_s=0)])
    assert unknown.tick(T, (queue(needed=None, can_take=0),)) == []  # nothing to base a need on


@pytest.mark.parametrize(
    "reason, limit",
    [("break", 900), ("Break ", 900), ("lunch", 3600), ("meeting", 600), (None, 600)],
)
def test_not_ready_fires_at_its_reasons_limit(reason, limit):
    run = Run([RULES["not-ready"]])
    a = agent(state="not_ready", reason=reason, state_since=T)
    assert run.tick(T + limit - 1, agents=(a,)) == []
    [fired] = run.tick(T + limit, agents=(a,))
    assert fired.alert.subject == Subject("agent", "a1") and fired.alert.limit == limit


def test_after_contact_work_fires_at_five_minutes_and_clears_when_the_agent_moves_on():
    run = Run([RULES["wrap-up"]])
    wrapping = agent(state="after_contact_work", state_since=T)
    assert run.tick(T + 299, agents=(wrapping,)) == []
    assert run.kinds(run.tick(T + 300, agents=(wrapping,))) == ["fired"]
    assert run.tick(T + 400, agents=(wrapping,)) == []  # still up, not again
    assert run.kinds(run.tick(T + 401, agents=(agent(state="available", state_since=T + 401),))) == ["resolved"]


def test_an_agent_in_another_state_or_out_of_scope_never_alerts():
    rules = [RULES["not-ready"], replace(RULES["wrap-up"], scope=Scope(teams=frozenset({"Delta"})))]
    run = Run(rules)
    run.tick(T + 86400, agents=(agent(state="on_contact"), agent("a2", state="after_contact_work")))
    assert run.events == []


# -- hysteresis -----------------------------------------------------------------------------
def test_an_alert_clears_only_after_its_clear_time_false():
    rule = RULES["service-level"]
    run = Run([rule])
    bad, good = queue(service_level=0.5), queue(service_level=0.9)
    run.tick(T, (bad,))
    run.tick(T + 600, (bad,))
    assert run.tick(T + 700, (good,)) == []
    assert run.tick(T + 999, (good,)) == []  # 299 s false
    [resolved] = run.tick(T + 1000, (good,))
    assert resolved.kind == "resolved" and resolved.alert.resolved_at == T + 1000
    assert run.state.tracks == {} and run.state.ended == (resolved.alert,)


def test_a_figure_wobbling_at_the_line_alerts_once():
    rule = RULES["service-level"]
    run = Run([rule])
    for minute in range(11):  # ten minutes at 70%: it fires
        run.tick(T + 60 * minute, (queue(service_level=0.70),))
    for minute in range(11, 131):  # then two hours of 76% and 70% by turns, a minute each
        run.tick(T + 60 * minute, (queue(service_level=0.76 if minute % 2 else 0.70),))
    assert run.kinds() == ["fired"]
    assert run.events[0].alert.fired_at == T + 600
    for minute in range(131, 137):  # then steady above the line: it clears after five minutes
        run.tick(T + 60 * minute, (queue(service_level=0.76),))
    assert run.kinds() == ["fired", "resolved"]


def test_a_wobble_shorter_than_the_hold_never_fires():
    run = Run([RULES["agents-short"]])
    for minute in range(60):  # short for nine minutes, then even for one, over and over
        run.tick(T + 60 * minute, (queue(needed=10, can_take=9 if minute % 10 != 9 else 10),))
    assert run.events == []


def test_a_queue_gone_from_the_store_clears_its_alert():
    run = Run([RULES["oldest-wait"]])
    run.tick(T + 100, (queue(oldest_enqueued_at=T),))
    run.tick(T + 110, ())
    assert run.kinds() == ["fired"]
    assert run.kinds(run.tick(T + 170, ())) == ["resolved"]


def test_a_rule_taken_out_of_the_config_resolves_its_alerts():
    run = Run([RULES["oldest-wait"]])
    run.tick(T + 100, (queue(oldest_enqueued_at=T),))
    run.rules = []
    assert run.kinds(run.tick(T + 101, (queue(oldest_enqueued_at=T),))) == ["resolved"]
    assert run.state.tracks == {}


# -- the budget -----------------------------------------------------------------------------
def wrap_episode(run: Run, start: float, aid: str = "a1", day: str = DAY) -> list[Event]:
    """An agent in wrap-up for ten minutes, then available."""
    out = run.tick(start + 600, agents=(agent(aid, state="after_contact_work", state_since=start),), day=day)
    out += run.tick(start + 601, agents=(agent(aid, state="available", state_since=start + 601),), day=day)
    return out


def test_an_agent_alerts_twice_a_day_and_the_rest_is_counted():
    run = Run([RULES["wrap-up"]], Budget(per_agent_day=2, per_queue_day=6, per_hour=100))
    kinds = [run.kinds(wrap_episode(run, T + 3600 * i)) for i in range(4)]
    assert kinds == [["fired", "resolved"], ["fired", "resolved"], ["held_back"], ["held_back"]]
    assert run.state.held_back(DAY) == 2
    assert run.kinds(wrap_episode(run, T + 86400, day="2027-01-16")) == ["fired", "resolved"]  # a new day
    assert run.state.held_back("2027-01-16") == 0


def test_a_held_back_episode_is_counted_once_however_long_it_holds():
    run = Run([replace(RULES["wrap-up"], id="w")], Budget(per_agent_day=0))
    for s in range(300, 1000, 10):
        run.tick(T + s, agents=(agent(state="after_contact_work", state_since=T),))
    assert run.kinds() == ["held_back"] and run.state.held_back(DAY) == 1
    for s in range(1000, 1100, 10):  # on into the next site day, still held: counted on that day too
        run.tick(T + s, agents=(agent(state="after_contact_work", state_since=T),), day="2027-01-16")
    assert run.kinds() == ["held_back"] * 2 and run.state.held_back("2027-01-16") == 1


def test_the_floors_hour_holds_back_and_releases_as_it_rolls_on():
    rule = RULES["oldest-wait"]  # warning: may fill 3/4 of the hour
    run = Run([rule], Budget(per_agent_day=9, per_queue_day=9, per_hour=4))
    queues = tuple(queue(f"q{i}", oldest_enqueued_at=T) for i in range(5))
    events = run.tick(T + 100, queues)
    assert run.kinds(events) == ["fired"] * 3 + ["held_back"] * 2
    assert run.state.held_back(DAY) == 2
    assert run.tick(T + 3699, queues) == []  # the first three still in the hour
    events = run.tick(T + 3700, queues)  # an hour on: they leave it; the held back fire
    assert run.kinds(events) == ["fired", "fired"]
    assert run.state.held_back(DAY) == 0


def test_the_most_severe_fire_first_and_less_severe_cannot_use_up_the_hour():
    info = replace(RULES["oldest-wait"], id="info-wait", severity="info")
    crit = replace(RULES["oldest-wait"], id="crit-wait", severity="critical")
    run = Run([info, crit], Budget(per_agent_day=9, per_queue_day=9, per_hour=4))
    qs = tuple(queue(f"q{i}", oldest_enqueued_at=T) for i in range(4))
    events = run.tick(T + 100, qs)
    fired = [e.alert.rule_id for e in events if e.kind == "fired"]
    assert fired == ["crit-wait"] * 4  # all four of the hour go to the critical ones
    assert sum(e.kind == "held_back" for e in events) == 4
    run = Run([info], Budget(per_agent_day=9, per_queue_day=9, per_hour=4))
    assert run.kinds(run.tick(T + 100, qs)).count("fired") == 2  # info: half the hour


def test_shown_order_is_firing_then_acknowledged_then_snoozed_most_severe_and_newest_first():
    run = Run([replace(RULES["oldest-wait"], id="w"), replace(RULES["oldest-wait"], id="c", severity="critical")])
    run.tick(T + 100, (queue("q1", oldest_enqueued_at=T),))
    run.tick(T + 200, (queue("q1", oldest_enqueued_at=T), queue("q2", oldest_enqueued_at=T)))
    order = [(a.rule_id, a.subject.id) for a in shown_order(run.state.active(), T + 200)]
    assert order == [("c", "q2"), ("c", "q1"), ("w", "q2"), ("w", "q1")]
    q2c = next(a for a in run.state.active() if (a.rule_id, a.subject.id) == ("c", "q2"))
    state = acknowledge(run.state, q2c.id, "sam", T + 201)
    q1c = next(a for a in state.active() if (a.rule_id, a.subject.id) == ("c", "q1"))
    state = snooze(state, q1c.id, T + 900)
    order = [(a.rule_id, a.subject.id, a.status(T + 300)) for a in shown_order(state.active(), T + 300)]
    assert order == [
        ("w", "q2", "firing"),
        ("w", "q1", "firing"),
        ("c", "q2", "acknowledged"),
        ("c", "q1", "snoozed"),
    ]


# -- acknowledged and snoozed ---------------------------------------------------------------
def test_an_acknowledged_alert_stays_until_it_resolves_then_a_new_one_is_fresh():
    run = Run([RULES["oldest-wait"]])
    [fired] = run.tick(T + 50, (queue(oldest_enqueued_at=T),))
    run.state = acknowledge(run.state, fired.alert.id, "sam", T + 60)
    for s in range(70, 500, 30):
        assert run.tick(T + s, (queue(oldest_enqueued_at=T),)) == []
    [up] = run.state.active()
    assert (up.status(T + 500), up.ack_by, up.ack_at) == ("acknowledged", "sam", T + 60)
    run.tick(T + 600, (queue(),))
    assert run.kinds(run.tick(T + 660, (queue(),))) == ["resolved"]
    [again] = run.tick(T + 2000, (queue(oldest_enqueued_at=T + 1900),))
    assert again.kind == "fired" and again.alert.ack_at is None


def test_a_snoozed_rule_does_not_fire_again_until_the_snooze_ends():
    run = Run([RULES["oldest-wait"]])
    [fired] = run.tick(T + 50, (queue(oldest_enqueued_at=T),))
    run.state = snooze(run.state, fired.alert.id, T + 1800)
    assert run.state.active()[0].status(T + 100) == "snoozed"
    run.tick(T + 200, (queue(),))
    assert run.kinds(run.tick(T + 260, (queue(),))) == ["resolved"]  # it cleared while snoozed
    for s in range(300, 1800, 60):  # a new long wait within the snooze: silent
        assert run.tick(T + s, (queue(oldest_enqueued_at=T + 250),)) == []
    assert run.kinds(run.tick(T + 1800, (queue(oldest_enqueued_at=T + 250),))) == ["fired"]


def test_an_alert_still_up_when_its_snooze_ends_returns():
    run = Run([RULES["oldest-wait"]])
    [fired] = run.tick(T + 50, (queue(oldest_enqueued_at=T),))
    run.state = snooze(run.state, fired.alert.id, T + 600)
    assert run.tick(T + 599, (queue(oldest_enqueued_at=T),)) == []
    [back] = run.tick(T + 600, (queue(oldest_enqueued_at=T),))
    assert back.kind == "returned" and back.alert.id == fired.alert.id
    assert run.tick(T + 700, (queue(oldest_enqueued_at=T),)) == []
    assert run.state.active()[0].status(T + 700) == "firing"


def test_ack_and_snooze_of_an_alert_not_up_change_nothing():
    state = AlertState()
    assert acknowledge(state, "nope", "sam", T) is state and snooze(state, "nope", T) is state


# -- no rule fires twice without clearing in between ----------------------------------------
@settings(max_examples=300, deadline=None)
@given(
    for_s=st.sampled_from([0.0, 30.0, 600.0]),
    clear_s=st.sampled_from([0.0, 45.0, 300.0]),
    steps=st.lists(
        st.tuples(st.integers(1, 400), st.sampled_from([None, 0.0, 0.5, 0.74, 0.75, 0.76, 1.0]), st.integers(0, 30)),
        max_size=60,
    ),
    acks=st.sets(st.integers(0, 59), max_size=5),
    snoozes=st.sets(st.integers(0, 59), max_size=5),
)
def test_no_sequence_of_figures_fires_a_rule_twice_without_clearing(for_s, clear_s, steps, acks, snoozes):
    rule = replace(RULES["service-level"], for_s=for_s, clear_s=clear_s)
    run = Run([rule], Budget(per_agent_day=1, per_queue_day=3, per_hour=2))
    now = T
    up = False
    true_since: float | None = None
    for i, (dt, sl, contacts) in enumerate(steps):
        now += dt
        obs = queue(service_level=sl, contacts=contacts)
        holds = sl is not None and contacts >= 5 and sl < 0.75
        true_since = (true_since if true_since is not None else now) if holds else None
        for e in run.tick(now, (obs,)):
            if e.kind == "fired":
                assert not up, "fired again without clearing"
                assert true_since is not None and now - true_since >= for_s
                up = True
            elif e.kind == "resolved":
                assert up and not holds
                up = False
        if up and i in acks:
            run.state = acknowledge(run.state, run.state.active()[0].id, "sam", now)
        if up and i in snoozes:
            run.state = snooze(run.state, run.state.active()[0].id, now + 120)
        assert len(run.state.active()) == (1 if up else 0)


# -- the config -----------------------------------------------------------------------------
def test_the_shipped_rules_are_the_configs_defaults():
    assert Settings().alerts.rules == DEFAULT_RULES
    assert Settings().alerts.budget.budget() == Budget(2, 6, 12)
    assert (Settings().alerts.enabled, Settings().alerts.bell) == (True, False)
    assert [r.id for r in DEFAULT_RULES] == [
        "service-level",
        "oldest-wait",
        "abandon-rate",
        "agents-short",
        "not-ready",
        "wrap-up",
    ]


def test_a_rule_from_the_file_takes_what_it_leaves_out_from_the_shipped_rule_of_its_kind(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        "[queues]\nsl_warn_margin = 0.1\n"
        '[[alerts.rules]]\nid = "billing-sl"\nkind = "service_level"\nqueues = ["q-billing"]\n'
        '[[alerts.rules]]\nid = "breaks"\nkind = "not_ready"\nlimits = { break = 1200 }\nteams = ["Harbor"]\n'
    )
    sl, breaks = load_settings(cfg).alerts.rules
    assert sl == replace(
        RULES["service-level"], id="billing-sl", margin=0.1, scope=Scope(queues=frozenset({"q-billing"}))
    )
    assert breaks.reason_limits_s == (("break", 1200.0),) and breaks.reason_limit("lunch") is None
    assert breaks.scope.teams == frozenset({"Harbor"})
    cfg.write_text("[queues]\nsl_warn_margin = 0.1\n")
    assert load_settings(cfg).alerts.rules[0].margin == 0.1  # the shipped rule follows the screen's margin


@pytest.mark.parametrize(
    "body, words",
    [
        ('[[alerts.rules]]\nid = "x"\nkind = "sunspots"\n', "unknown kind 'sunspots'"),
        (
            '[[alerts.rules]]\nid = "x"\nkind = "oldest_wait"\nmargin = 0.1\n',
            "unknown key 'margin' for kind oldest_wait",
        ),
        (
            '[[alerts.rules]]\nid = "x"\nkind = "oldest_wait"\nfactor = "lots"\n',
            "rule 1 (x): factor: expected a number",
        ),
        ('[[alerts.rules]]\nid = "x"\nkind = "oldest_wait"\nfor_s = -5\n', "for_s: must be between 0 and 86400"),
        (
            '[[alerts.rules]]\nid = "x"\nkind = "oldest_wait"\nseverity = "dire"\n',
            "expected one of critical, warning, info",
        ),
        ('[[alerts.rules]]\nid = "x"\nkind = "not_ready"\nlimits = { break = 0 }\n', "limits.break: must be above 0"),
        ('[[alerts.rules]]\nid = "a b"\nkind = "oldest_wait"\n', "id: expected a name"),
        ('[[alerts.rules]]\nid = "x"\nkind = "wrap"\n[[alerts.rules]]\nid = "x"\n', "unknown kind 'wrap'"),
        (
            '[[alerts.rules]]\nid = "x"\nkind = "oldest_wait"\n[[alerts.rules]]\nid = "x"\nkind = "oldest_wait"\n',
            "rule 2 (x): another rule has this id",
        ),
        ('[[alerts.rules]]\nid = "x"\nkind = "oldest_wait"\nteams = "Harbor"\n', "teams: expected a list of names"),
        ("[alerts.budget]\nper_agent_day = 2.5\n", "alerts.budget.per_agent_day: expected a whole number"),
        ("[alerts]\nbell = 'loud'\n", "alerts.bell: expected true or false"),
        ("[alerts]\ncolour = 'red'\n", "alerts.colour: unknown setting"),
    ],
)
def test_bad_alert_settings_are_refused_in_words(tmp_path, body, words):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(body)
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg)
    assert words in str(caught.value)


def test_an_alert_in_words_gives_the_figure_and_its_line():
    rule = RULES["service-level"]
    run = Run([rule])
    billing = queue(name="Billing", service_level=0.62, contacts=50)
    run.tick(T, (billing,))
    [fired] = run.tick(T + 600, (billing,))
    assert describe(fired.alert, T + 720, rule) == "Billing: service level 62% for 12 min, target 80%"
    run = Run([RULES["not-ready"]])
    [fired] = run.tick(T + 900, agents=(agent(name="Bo Diaz", state="not_ready", reason="break", state_since=T),))
    assert describe(fired.alert, T + 960, reason="break") == "Bo Diaz: not ready (break) for 16 min, limit 15 min"
    run = Run([RULES["agents-short"]])
    run.tick(T, (queue(name="Sales", needed=12, can_take=9),))
    [fired] = run.tick(T + 600, (queue(name="Sales", needed=12, can_take=9),))
    assert describe(fired.alert, T + 660) == "Sales: 3 agents short of the target's need for 11 min"
