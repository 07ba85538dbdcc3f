"""Pilot tests of alerts in the TUI: screen 7 and the status line at 80x24 and
120x40, acknowledging (kept across a restart), snoozing, drilling to the
queue or the agent, the explanation, the bell, and the evaluation itself
(between loads, on a writable store only, writing nothing when nothing changed).

What fires is counted here by SQL of its own on the sample store, not by the
code under test: at the sample's moment plus ten minutes the contacts still
waiting in Retention and Tech support have waited past twice their
thresholds, and agents are past their not-ready and after-contact limits.

The sample's floor runs near its targets: at its moment only Tech support (the
queue in trouble) has callers waiting, three, none yet for twice its threshold,
and one agent is past a limit (Uma Varga, "system issue" for 16 min). These
tests need a rougher moment (warnings before infos, the budget holding some
back), so the store they use (the `sample_store` fixture below) is the sample as
a hub would leave it had a caller been waiting on Retention and five more agents
gone not ready, sent as feed changes."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from floorview.store.reads import data_version
from floorview.tui.agents.page import AgentPageScreen
from floorview.tui.alerts.screen import AlertsScreen, SnoozeChoice
from floorview.tui.modals.explain import ExplainScreen
from floorview.tui.queues.drill import QueueDetailScreen
from floorview.tui.widgets.live_table import LiveTable

from .conftest import SAMPLE_AT, add_waiting, apply_to, make_app, settle, wait_for

SIZES = [(80, 24), (120, 40)]
LATER = SAMPLE_AT.timestamp() + 600  # ten minutes past the sample's moment: nothing moved in the store
LIMITS = {"break": 900, "lunch": 3600}  # the shipped not-ready limits; any other reason 600 s
ACW_S = 300  # the shipped after-contact-work limit


# queue -> (how long its caller had waited at the sample's moment: under twice its threshold then, customer)
WAITING = {"q-retention": (14, "c-0000067")}  # Tech support's three callers are the sample's own
# agent (available at the sample's moment) -> (not-ready reason, for how long by then: under its limit then)
AWAY = {
    "a-0010": ("meeting", 300),
    "a-0016": ("training", 120),
    "a-0030": ("system issue", 60),
    "a-0036": ("break", 420),  # Pia Jensen and Eli Haas serve Retention, where a caller waits
    "a-0050": ("break", 420),
}


@pytest.fixture
def sample_store(sample_store: Path) -> Path:
    """The sample with a caller waiting on Retention and five more agents not ready, applied as
    a hub's changes would be."""
    at = SAMPLE_AT.timestamp()
    add_waiting(sample_store, [(q, waited, customer) for q, (waited, customer) in WAITING.items()])
    con = sqlite3.connect(sample_store)
    changes = []
    for aid, name, team, state, version in con.execute("SELECT id, name, team, state, version FROM agent"):
        if aid not in AWAY:
            continue
        assert state == "available", aid
        reason, away = AWAY[aid]
        queues = [q for (q,) in con.execute("SELECT queue_id FROM agent_queue WHERE agent_id = ?", (aid,))]
        since = datetime.fromtimestamp(at - away, timezone.utc).isoformat()
        data = {"name": name, "team": team, "queues": queues, "state": "not_ready", "state_since": since}
        changes.append(
            {"kind": "agent", "id": aid, "version": version + 1, "op": "upsert", "data": data | {"reason": reason}}
        )
    con.close()
    assert len(changes) == len(AWAY)
    apply_to(sample_store, changes)
    return sample_store


def _expected(store: Path, now: float) -> tuple[list[str], list[str]]:
    """Queues whose oldest contact waiting has waited twice the queue's threshold, and agents past
    their state's limit, by SQL alone."""
    con = sqlite3.connect(store)
    queues = [
        name
        for (name,) in con.execute(
            "SELECT q.name FROM queue q JOIN interaction i ON i.queue_id = q.id"
            " WHERE i.answered_at IS NULL AND i.abandoned_at IS NULL AND i.ended_at IS NULL"
            " GROUP BY q.id HAVING ? - min(i.enqueued_at) >= 2 * q.sl_threshold_s ORDER BY q.name",
            (now,),
        )
    ]
    agents = []
    for name, state, reason, since in con.execute(
        "SELECT name, state, reason, state_since FROM agent WHERE state IN ('not_ready', 'after_contact_work')"
    ):
        limit = ACW_S if state == "after_contact_work" else LIMITS.get((reason or "").strip().lower(), 600)
        if now - since >= limit:
            agents.append(name)
    con.close()
    return queues, agents


def status(app) -> str:
    return app.status_text(app.clock.now()).plain


def rows(table: LiveTable) -> list[list[str]]:
    return [[c.plain for c in table.get_row_at(i)] for i in range(table.row_count)]


def screen_text(app) -> str:
    return "\n".join("".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips())


async def idle(pilot) -> None:
    """Until no load and no evaluation runs or is due."""
    app = pilot.app
    await wait_for(pilot, lambda: not app._loading and not app._alerts_due and app._pending is None)
    await pilot.pause(0.05)


async def open_alerts(pilot, rows: bool = True) -> LiveTable:
    await settle(pilot)
    await idle(pilot)
    await pilot.press("7")
    table = await settle(pilot, "#alerts", rows=rows)
    await idle(pilot)
    return table


def test_what_fires_by_sql(sample_store):
    """The budget's arithmetic on the sample: 2 warnings and 12 infos due (six agents past their
    not-ready limit, the five sent away and Uma Varga; the six in wrap-up at the sample's moment,
    all past 5 min ten minutes on); info may fill half the floor's hour of 12, so 4 infos fire
    beside the 2 warnings and 8 are held back."""
    queues, agents = _expected(sample_store, LATER)
    assert queues == ["Retention", "Tech support"]
    assert len(agents) == 12
    assert _expected(sample_store, SAMPLE_AT.timestamp()) == ([], ["Uma Varga"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_screen_lists_alerts_in_order_with_words_and_the_status_count(sample_store, size):
    queues, agents = _expected(sample_store, LATER)
    firing = len(queues) + (6 - len(queues))  # info fills up to half of 12 in the hour
    held = len(agents) - (6 - len(queues))
    app = make_app(sample_store, now=LATER)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await idle(pilot)
        assert f"▲ {firing} alerts (7)" in status(app)
        table = await open_alerts(pilot)
        assert isinstance(app.screen, AlertsScreen)
        shown = rows(table)
        assert len(shown) == firing
        assert all(r[0] == "● firing" for r in shown)
        # The warnings (the queues' long waits) before the infos (the agents).
        assert [r[-1].split(":")[0] for r in shown[: len(queues)]] == queues
        assert shown[0][-1] == "Retention: a contact waiting 10 min, limit 40 s"
        assert shown[1][-1] == "Tech support: a contact waiting 10 min, limit 1 min"
        assert all(r[-1].split(":")[0] in agents for r in shown[len(queues) :])
        assert {r[1] for r in shown} == ({"warn", "info"} if size[0] < 100 else {"warning", "info"})
        caption = str(app.screen.query_one("#caption").render())
        assert f"{held} alerts held back by the budget today" in caption
        text = screen_text(app)
        # No figure cut: every row's words are on screen whole, the status line too.
        for r in shown:
            assert r[-1] in text, r
        assert f"▲ {firing} alerts (7)" in text
        assert "Times EST" in text


async def test_the_sample_moment_fires_one_alert_and_a_second_evaluation_writes_nothing(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_alerts(pilot)
        assert rows(table) == [["● firing", "info", "Uma Varga: not ready (system issue) for 15 min, limit 10 min"]]
        assert "▲ 1 alert (7)" in status(app)
        version = data_version(app.reader)
        app._alerts_timer()  # the 15-second timer: the same moment, nothing changes
        await idle(pilot)
        assert not app._alerts_failed
        assert data_version(app.reader) == version


async def test_acknowledge_by_the_author_survives_reopening(sample_store):
    app = make_app(sample_store, now=LATER)
    app.author = lambda: "Ana"  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_alerts(pilot)
        table.focus()
        first = table.current_key
        await pilot.press("a")
        await wait_for(pilot, lambda: table.get_cell(first, "status").plain.startswith("✓"))
        assert table.get_cell(first, "status").plain == "✓ ack by Ana 10:40"
        await idle(pilot)
        shown = rows(table)
        assert [r[0] for r in shown].index("✓ ack by Ana 10:40") == len(shown) - 1  # acknowledged after firing
        assert "acknowledged by Ana at 10:40" in str(app.screen.query_one("#detail").render())
    again = make_app(sample_store, now=LATER + 5)
    async with again.run_test(size=(120, 40)) as pilot:
        table = await open_alerts(pilot)
        assert table.get_cell(first, "status").plain == "✓ ack by Ana 10:40"


async def test_snooze_silences_and_the_count_drops(sample_store):
    app = make_app(sample_store, now=LATER)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_alerts(pilot)
        assert "▲ 6 alerts (7)" in status(app)
        table.focus()
        key = table.current_key
        await pilot.press("z")
        await wait_for(pilot, lambda: isinstance(app.screen, SnoozeChoice))
        await pilot.press("enter")  # 15 min, the first choice
        await wait_for(pilot, lambda: "▲ 5 alerts (7)" in status(app))
        table = app.screen.query_one(LiveTable)
        await wait_for(pilot, lambda: table.get_cell(key, "status").plain == "z until 10:55")
        assert rows(table)[-1][0] == "z until 10:55"  # snoozed after firing


async def test_snooze_until_tomorrow_and_escape_cancels(sample_store):
    app = make_app(sample_store, now=LATER)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await open_alerts(pilot)
        table.focus()
        await pilot.press("z")
        await wait_for(pilot, lambda: isinstance(app.screen, SnoozeChoice))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, AlertsScreen))
        await idle(pilot)
        assert "▲ 6 alerts (7)" in status(app)
        key = table.current_key
        await pilot.press("z")
        await wait_for(pilot, lambda: isinstance(app.screen, SnoozeChoice))
        await pilot.press("down", "down", "down", "enter")
        await wait_for(pilot, lambda: "▲ 5 alerts (7)" in status(app))
        await wait_for(pilot, lambda: table.get_cell(key, "status").plain == "z until tomorrow")


async def test_enter_opens_the_queue_or_the_agent(sample_store):
    app = make_app(sample_store, now=LATER)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await open_alerts(pilot)
        table.focus()
        await pilot.press("enter")  # Retention's long wait
        await wait_for(pilot, lambda: isinstance(app.screen, QueueDetailScreen))
        assert app.screen.queue_id == "q-retention"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, AlertsScreen))
        table = app.screen.query_one(LiveTable)
        table.focus()
        table.move_cursor(row=2)  # the first agent
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AgentPageScreen))
        assert app.screen.agent_name == "Noor Berg"  # a-0010, the first of the four infos fired by id


async def test_e_explains_the_rule_and_its_inputs(sample_store):
    app = make_app(sample_store, now=LATER)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_alerts(pilot)
        table.focus()
        table.move_cursor(row=2)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
        body = " ".join(str(app.screen.query_one("#body").render()).split())
        for words in (
            "not-ready (info)",
            "reason_limits_s: break 15 min, lunch 1 h 00 min, other 10 min",
            "for 0 s (for_s)",
            "(clear_s)",
            "now 15 min against 10 min: past the line (reason: meeting)",  # a-0010: 300 s by 10:30, 10 min on
            "every agent in the store",
            "at most 2 alerts per agent and 6 per queue",
            "of which info may fill 6 (50%)",
            "8 alerts held back by the budget today",
            "America/New_York",
        ):
            assert words in body, (words, body)


async def test_no_bell_by_default(sample_store):
    app = make_app(sample_store)
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await idle(pilot)
        assert "▲ 1 alert (7)" in status(app)
        app.clock.advance(600)
        app._alerts_timer()
        await idle(pilot)
        assert "▲ 1 alert (7)" not in status(app)  # more fired
        assert bells == []


async def test_a_bell_on_a_new_alert_when_enabled_and_none_in_huddle_mode(sample_store):
    from floorview.config import AlertsConfig

    app = make_app(sample_store, alerts=AlertsConfig(bell=True))
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await idle(pilot)
        assert bells == [1]  # Uma Varga's system issue, on the first evaluation
        app._alerts_timer()  # nothing new
        await idle(pilot)
        assert bells == [1]
        await pilot.press("h")
        await idle(pilot)
        app.clock.advance(600)  # five more fire: in huddle mode, silently
        app._alerts_timer()
        await idle(pilot)
        assert bells == [1]
        await pilot.press("h")
        await idle(pilot)
        assert "▲ 1 alert (7)" not in status(app)  # more fired, in silence
        app.clock.advance(3600)  # the hour rolls on: the held back fire, and the bell rings again
        app._alerts_timer()
        await idle(pilot)
        assert bells == [1, 1]


async def test_huddle_status_line_names_no_agent(sample_store):
    app = make_app(sample_store, now=LATER)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await idle(pilot)
        await pilot.press("h")
        await idle(pilot)
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "▲ 6 alerts (7)" in text
        con = sqlite3.connect(sample_store)
        names = [n for (n,) in con.execute("SELECT name FROM alert WHERE subject_kind = 'agent'")]
        assert names and not any(n in text for n in names)


async def test_offline_evaluates_nothing(sample_store):
    app = make_app(sample_store, now=LATER, offline=True)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_alerts(pilot, rows=False)
        await pilot.pause(0.3)
        assert table.row_count == 0
        assert "▲" not in status(app)
        assert "No alert up, and none resolved today" in str(app.screen.query_one("#caption").render())
    con = sqlite3.connect(sample_store)
    assert con.execute("SELECT count(*) FROM alert").fetchone() == (0,)


async def test_disabled_evaluates_nothing(sample_store):
    from floorview.config import AlertsConfig

    app = make_app(sample_store, now=LATER, alerts=AlertsConfig(enabled=False))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await idle(pilot)
        assert "▲" not in status(app)
    con = sqlite3.connect(sample_store)
    assert con.execute("SELECT count(*) FROM alert_track").fetchone() == (0,)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_seven_from_every_screen(sample_store, size):
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key in "1234567":
            await pilot.press(key)
            await pilot.pause(0.2)
            await pilot.press("7")
            await wait_for(pilot, lambda: isinstance(app.screen, AlertsScreen))
            title = "".join(seg.text for seg in app.screen.query_one("#titlebar").render_line(0))
            assert "7 Alerts" in title
        await pilot.press("1", "enter")  # from a drill-down, too
        await wait_for(pilot, lambda: isinstance(app.screen, QueueDetailScreen))
        await pilot.press("7")
        await wait_for(pilot, lambda: isinstance(app.screen, AlertsScreen))


async def test_a_hostile_name_is_shown_as_text(sample_store):
    hostile = "[/b][@click=app.quit]Jae[link=https://x]y[/link]"
    con = sqlite3.connect(sample_store)
    with con:
        con.execute("UPDATE agent SET name = ? WHERE id = 'a-0010'", (hostile,))  # the first agent row
    con.close()
    app = make_app(sample_store, now=LATER)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await open_alerts(pilot)
        # Cut with … to leave the figure whole, and never read as markup.
        assert any(r[-1].startswith("[/b][@click=app.quit]Jae[link=https://x]") for r in rows(table)), rows(table)
        table.focus()
        table.move_cursor(row=2)
        await pilot.pause(0.1)
        assert str(app.screen.query_one("#detail").render()).startswith(hostile)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
        assert app.is_running


async def test_on_queues_an_evaluation_judges_the_refreshs_figures_without_reading_the_queues_again(
    sample_store, monkeypatch, tmp_path
):
    """The Queues refresh has just read every queue: the evaluation that follows judges those
    snapshots (one read of the queues, not two) and fires what an evaluation reading them fires."""
    import shutil

    import floorview.store.alerts as store_alerts
    from floorview.config import Settings
    from floorview.store.engine import open_engine, open_reader
    from floorview.store.reads import site_time

    twin = tmp_path / "twin" / "floorview.db"
    twin.parent.mkdir(mode=0o700)
    shutil.copyfile(sample_store, twin)
    reads: list[float] = []
    original = store_alerts.queue_snapshots

    def counted(con, now, *args, **kwargs):
        reads.append(now)
        return original(con, now, *args, **kwargs)

    monkeypatch.setattr(store_alerts, "queue_snapshots", counted)
    app = make_app(sample_store, now=LATER)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await idle(pilot)
        await wait_for(pilot, lambda: "alerts (7)" in status(app))
        assert reads == []  # every evaluation so far followed a Queues refresh
        fed = {(r[1], r[2]) for r in _up(app.reader)}
        await pilot.press("2")  # on Agents no queue figures are at hand: the evaluation reads them
        await settle(pilot, "#agents")
        app._alerts_timer()
        await idle(pilot)
        assert reads, "an evaluation away from Queues reads the queues itself"
    alerts = Settings().alerts
    engine = open_engine(twin)
    try:
        with engine.begin() as conn:  # the same first evaluation, reading the queues
            site = site_time(open_reader(twin), "")
            store_alerts.evaluate_now(conn, alerts.rules, LATER, site, alerts.budget.budget(), first=True)
    finally:
        engine.dispose()
    read = {(r[1], r[2]) for r in _up(open_reader(twin))}
    assert fed == read and len(fed) == 6, (fed, read)  # 2 queues' long waits and 4 agents (the budget)


def _up(con: sqlite3.Connection) -> list[tuple]:
    return con.execute("SELECT id, rule_id, subject_id FROM alert WHERE resolved_at IS NULL").fetchall()
