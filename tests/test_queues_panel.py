"""The Queues panel as a supervisor meets it (issue 15, walk 1): every figure
explained from the keyboard (M7), no verdict while catching up (m10), the
wait sort across channels (m19), the drill-down's lists and explain (m26,
m2), the window's length (m27), one staffing rule on Queues and the what-if
(m13), counts in the singular (m23), and the panel's shape: typed requests,
navigation by message, no SQL and no other panel inside tui/queues."""

from __future__ import annotations

import ast
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from floorview.store.apply import Applier
from floorview.store.engine import open_engine, open_reader
from floorview.tui.messages import SourceChanged
from floorview.tui.modals.explain import ExplainScreen
from floorview.tui.queues.drill import QueueDetailScreen, split_height
from floorview.tui.queues.screen import QueuesScreen
from floorview.tui.queues.whatif import WhatIfScreen
from floorview.tui.queues.whatif_data import Adjustments, WhatIfRequest
from floorview.tui.widgets.live_table import LiveTable

from .conftest import SAMPLE_AT, add_waiting, make_app, settle, wait_for

SIZES = [(80, 24), (120, 40)]
SIZE_IDS = ["80x24", "120x40"]

# What each column's explanation is titled: one view per figure, never the row's summary.
TITLES = {
    "name": "Queue — Billing",
    "channel": "Channel — Billing",
    "sl": "Service level, last 30 min — Billing",
    "sl_today": "Service level, today — Billing",
    "offered": "Offered, last 30 min — Billing",
    "answered": "Answered, last 30 min — Billing",
    "abandoned": "Abandoned, last 30 min — Billing",
    "asa": "Average speed of answer, last 30 min — Billing",
    "abandon": "Abandon rate, last 30 min — Billing",
    "aht": "Average handle time, last 30 min — Billing",
    "waiting": "Waiting now — Billing",
    "oldest": "Oldest wait — Billing",
    "agents": "Agents needed and have — Billing",
    "available": "Available agents — Billing",
    "occupancy": "Occupancy — Billing",
    "trend": "Service level by interval — Billing",
}


def text_of(app, selector: str) -> str:
    return " ".join(str(app.screen.query_one(selector).render()).split())


def title(app) -> str:
    return text_of(app, "#titlebar")


def signs(table: LiveTable) -> set[str]:
    return {
        ch
        for i in range(table.row_count)
        for c in table.get_row_at(i)
        for ch in getattr(c, "plain", str(c))
        if ch in "✓!✗"
    }


# -- M7: every figure, from the keyboard -------------------------------------------------------
@pytest.mark.parametrize("size", [*SIZES, (200, 50)], ids=[*SIZE_IDS, "200x50"])
async def test_arrows_then_e_explain_every_column_on_its_own(sample_store, size):
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        table = await settle(pilot)
        assert table.current_key == "q-billing"
        columns = [c.key for c in table.columns_now]
        seen: dict[str, str] = {}
        for i, key in enumerate(columns):
            if i:
                await pilot.press("right")
            assert table.current_column == key and table.current_key == "q-billing"
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
            head, body = text_of(app, "#title"), text_of(app, "#body")
            assert head.startswith(TITLES[key]), (key, head)
            assert "window" in body and ("threshold" in body or "target" in body), (key, body)
            if key not in ("name", "channel"):  # figures: how each is made
                assert any(w in body for w in ("formula", "needed", "shows")), (key, body)
            seen[key] = head
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, QueuesScreen))
        assert len(set(seen.values())) == len(columns)  # no two figures share a view
    if size == (200, 50):
        assert set(seen) == set(TITLES)  # at 200 columns every column of Queues is on screen


async def test_the_today_window_explains_today(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await settle(pilot)
        await pilot.press("w")
        assert app.screen.window == "today"
        while table.current_column != "offered":
            await pilot.press("right")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
        assert text_of(app, "#title").startswith("Offered, today — Billing")
        assert "midnight" in text_of(app, "#body")


# -- m10: no verdict on part of a day ----------------------------------------------------------
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_no_verdicts_while_catching_up(sample_store, size):
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        table = await settle(pilot)
        assert signs(table) >= {"✓", "✗"}
        app.post_message(SourceChanged("catching up", "3 pages"))
        await wait_for(pilot, lambda: "catching up" in title(app))
        await wait_for(pilot, lambda: not signs(table))
        # the figure, without a sign: Billing's window, 32 of 37 answered within 20 s (SQL on sample.db)
        assert table.get_cell("q-billing", "sl").plain.strip() == "86%"
        while table.current_column != "sl":
            await pilot.press("right")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
        assert "catching up: no sign" in text_of(app, "#body")
        await pilot.press("escape")
        app.post_message(SourceChanged("live"))
        app.request_load(force=True)  # fresh data may come before the next tick: the title follows either way
        await wait_for(pilot, lambda: "catching up" not in title(app) and signs(table) >= {"✓", "✗"})


# -- m19: the wait sort across channels ------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_the_wait_sort_puts_the_furthest_past_its_threshold_first(sample_store, size):
    # Two callers waiting beside the sample's emails and Tech support's three (for 10 to 28 s at its moment).
    add_waiting(sample_store, [("q-retention", 14, "c-0000067"), ("q-tech-support", 53, "c-0000002")])
    con = open_reader(sample_store)
    now = SAMPLE_AT.timestamp()
    past = {
        qid: (now - oldest) / threshold
        for qid, oldest, threshold in con.execute(
            "SELECT q.id, min(i.enqueued_at), q.sl_threshold_s FROM queue q JOIN interaction i ON i.queue_id = q.id"
            " WHERE i.answered_at IS NULL AND i.abandoned_at IS NULL AND i.ended_at IS NULL GROUP BY q.id"
        )
    }
    expected = sorted(past, key=lambda q: -past[q])
    assert expected[0] == "q-tech-support"  # 53 s against 30 s: the worst, though emails have waited 20 min
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        table = await settle(pilot)
        while app.screen.sort != "wait past threshold":
            await pilot.press("s")
        assert "sort: wait past threshold" in title(app)
        order = [table.get_row_at(i)[0].plain.strip() for i in range(table.row_count)]
        names = dict(con.execute("SELECT id, name FROM queue"))
        assert order[: len(expected)] == [names[q] for q in expected]
        assert order.index("Orders email") > order.index("Retention")  # 20 min of 4 h after 14 s of 20 s


# -- m26 and m2: the drill-down -------------------------------------------------------------------
def test_the_lists_share_the_height_by_what_they_hold():
    assert split_height(34, 62, 7) == (26, 8)  # the agents fit: the waiting list takes the rest
    assert split_height(34, 3, 40) == (4, 30)  # few waiting: the agents take the rest
    assert split_height(30, 100, 100) == (12, 18)  # both long: three fifths to the agents
    assert split_height(34, 0, 7) == (26, 8)


async def drill(pilot, app, queue: str) -> QueueDetailScreen:
    table = await settle(pilot)
    while table.current_key != queue:
        await pilot.press("down")
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, QueueDetailScreen))
    await settle(pilot, "#agents")
    screen = app.screen
    assert isinstance(screen, QueueDetailScreen)
    return screen


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_the_waiting_list_uses_the_free_space(sample_store, size):
    # The sample's 7 order emails waiting and 55 more, an hour's mail: more than the screen holds.
    add_waiting(sample_store, [("q-orders-email", 60 * n, None) for n in range(1, 56)])
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        screen = await drill(pilot, app, "q-orders-email")  # 62 waiting, 6 agents (SQL: agent_queue)
        await pilot.pause(0.1)
        waiting, agents = screen.query_one("#waiting", LiveTable), screen.query_one("#agents", LiveTable)
        lists = screen.query_one("#lists")
        assert waiting.row_count == 62 and agents.row_count == 6
        assert agents.size.height == agents.row_count + 1  # every agent, and no empty row beneath
        assert waiting.size.height + agents.size.height == lists.size.height - 2  # nothing left over
        if size == (120, 40):
            assert waiting.size.height > 20  # not ~13 rows with 15 empty ones under the agents


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_e_in_a_drill_down_with_nobody_waiting_explains_its_figures(sample_store, size):
    app = make_app(sample_store)
    notes: list[str] = []
    async with app.run_test(size=size) as pilot:
        screen = await drill(pilot, app, "q-billing")  # nobody waiting
        assert screen.query_one("#waiting", LiveTable).row_count == 0
        assert "Nobody waiting" in text_of(app, "#waiting-heading")
        summary = text_of(app, "#summary")
        # SQL on sample.db: 32 of 37 within 20 s (one hung up); Erlang A (tests/erlang_reference.py) on
        # the window's 37 contacts in 29 min, AHT 287 s, patience 139 s: 8 agents; 11 of Billing's agents
        # available (8) or on its contacts (3)
        assert "SL 30 min ✓ 86%" in summary and "need 8 · have 11" in summary
        app.notify = lambda message, **kw: notes.append(str(message))  # what a bell would say
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
        assert not notes
        assert text_of(app, "#title") == "Queue: Billing — its figures"
        body = text_of(app, "#body")
        assert "answered within 20 s / (answered + abandoned)" in body and "need 8" in body
        assert "nobody waiting, so no oldest wait" in body


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_one_contact_waiting_reads_in_the_singular(sample_store, size):
    add_waiting(sample_store, [("q-retention", 14, "c-0000067")])
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        await drill(pilot, app, "q-retention")  # one contact waiting
        heading = text_of(app, "#waiting-heading")
        assert heading == "Waiting now, oldest first: 1 contact"
        assert "1 contact waiting" in text_of(app, "#summary")
        await pilot.press("e")  # on that contact: it, then the queue's figures
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
        body = text_of(app, "#body")
        assert "1 contact queued now" in body and "1 contacts" not in body


async def test_the_drill_down_opens_agents_and_customers_by_message(sample_store):
    add_waiting(sample_store, [("q-retention", 14, "c-0000067")])
    app = make_app(sample_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await drill(pilot, app, "q-retention")
        await pilot.press("c")  # the waiting contact's customer
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CustomerCardScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueDetailScreen))
        await pilot.press("tab")  # to the agents
        assert app.focused is app.screen.query_one("#agents")
        first = app.screen.query_one("#agents", LiveTable).current_key
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
        assert "in have" in text_of(app, "#body")
        await pilot.press("escape")
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "AgentPageScreen")
        assert app.screen.agent_id == first


# -- m27: the window's length --------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_the_thirty_minute_window_says_what_it_covers(sample_store, size):
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        table = await settle(pilot)
        assert "window: 30 min" in title(app)
        for column in ("sl", "agents"):
            while table.current_column != column:
                await pilot.press("right")
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
            body = text_of(app, "#body")
            # sample.db is taken at 10:30:00: the minute under way has just begun.
            assert "the last 30 minutes, counted by the minute: 10:01 to 10:30:00 EST" in body
            assert "the minute under way (10:30) so far, so 29 min 0 s of contacts" in body
            assert "(29 min)" not in body and "in 29 min" not in body
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, QueuesScreen))


# -- m13: one staffing rule on Queues and in the what-if ---------------------------------------------
NY = ZoneInfo("America/New_York")
AT = datetime(2026, 11, 20, 10, 30, tzinfo=NY)


def _floor_with_abandons_earlier_today(path: Path) -> None:
    """One voice queue: 40 contacts in the last 30 minutes, all answered
    (none abandoned in the window); this morning, 30 contacts of which 10
    hung up after two minutes. The window has no patience of its own, so
    both screens must take today's: Erlang A."""
    changes: list[dict] = []

    def add(kind: str, id_: str, data: dict) -> None:
        changes.append({"kind": kind, "id": id_, "version": 1, "op": "upsert", "data": data})

    def at(minutes: float) -> str:
        return (AT + timedelta(minutes=minutes)).isoformat()

    add("queue", "q-front", {"name": "Front desk", "channel": "voice", "timezone": "America/New_York"})
    for k in range(40):
        t = -29 + k * 0.7
        add(
            "interaction",
            f"i-now-{k}",
            {
                "queue_id": "q-front",
                "channel": "voice",
                "enqueued_at": at(t),
                "answered_at": at(t + 0.25),
                "ended_at": at(t + 4),
                "wrap_s": 20,
            },
        )
    for k in range(30):
        t = -180 + k * 2
        data = {"queue_id": "q-front", "channel": "voice", "enqueued_at": at(t)}
        if k % 3 == 0:
            data["abandoned_at"] = at(t + 2)
        else:
            data |= {"answered_at": at(t + 0.5), "ended_at": at(t + 5), "wrap_s": 20}
        add("interaction", f"i-early-{k}", data)
    for k in range(8):
        add(
            "agent",
            f"a{k}",
            {
                "name": f"Agent {k}",
                "team": "Canyon",
                "state": "available",
                "state_since": at(-5),
                "queues": ["q-front"],
            },
        )
    engine = open_engine(path)
    with engine.begin() as conn:
        Applier(conn, AT.timestamp()).apply(changes)
    engine.dispose()


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_queues_need_and_the_what_ifs_agents_for_target_agree_on_todays_patience(tmp_path, size):
    path = tmp_path / "store" / "floorview.db"
    _floor_with_abandons_earlier_today(path)
    app = make_app(path, now=AT.timestamp())
    async with app.run_test(size=size) as pilot:
        table = await settle(pilot)
        need = table.get_cell("q-front", "agents").plain.split()[-1].split("/")[0]
        while table.current_column != "agents":
            await pilot.press("right")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
        assert f"{need}: the fewest agents" in text_of(app, "#body") and "by Erlang A" in text_of(app, "#body")
        assert "today's: no abandons in the period" in text_of(app, "#body")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, QueuesScreen))
        await pilot.press("x")
        whatif = await settle(pilot, "#whatif")
        await wait_for(pilot, lambda: whatif.row_count == 12)
        assert whatif.get_cell("required", "now").plain.strip() == need
        assert "model: Erlang A" in text_of(app, "#heading")


# -- the what-if on the typed contract ---------------------------------------------------------------
async def test_the_what_ifs_request_holds_queue_period_and_changes(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        table = await settle(pilot, "#whatif")
        screen = app.screen
        assert isinstance(screen, WhatIfScreen)
        await wait_for(pilot, lambda: screen.baseline is not None and screen.baseline.snap.id == "q-billing")
        table.move_cursor(row=1)  # AHT
        await pilot.press("right", "right", "left_square_bracket")  # +20 s, an interval earlier
        await wait_for(pilot, lambda: screen.baseline.period.interval is not None)
        request = screen.request()
        assert request == WhatIfRequest("q-billing", screen.baseline.period.interval, Adjustments(aht=20), 30.0)
        with pytest.raises(AttributeError):
            request.queue_id = "q-sales"  # frozen: built on the loop, read in the worker
        assert "EST" in text_of(app, "#heading")  # the interval, in site time
        await wait_for(pilot, lambda: table.get_cell("aht", "change").plain.strip() == "+20 s")
        await pilot.press("full_stop")  # the next queue: the changes carry over, the period starts again
        await wait_for(pilot, lambda: screen.baseline.snap.id == "q-billing-chat")
        assert screen.request().adjust == Adjustments(aht=20) and screen.interval is None
        await wait_for(pilot, lambda: table.get_cell("aht", "change").plain.strip() == "+20 s")
        # The loader answers the request alone, off the loop.
        data = screen.loader(app.reader, app.clock.now(), screen.request())
        assert data.queue_id == "q-billing-chat" and data.scenario.aht_s == data.baseline.scenario.aht_s + 20


# -- the panel's shape --------------------------------------------------------------------------------
PANEL = Path(__file__).resolve().parent.parent / "src" / "floorview" / "tui" / "queues"
OTHER_PANELS = ("agents", "balance", "coaching", "customers", "huddle", "alerts")


@pytest.mark.parametrize("module", sorted(p.name for p in PANEL.glob("*.py")))
def test_the_queues_panel_imports_no_other_panel_and_runs_no_sql(module):
    tree = ast.parse((PANEL / module).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            assert not any(node.module.startswith(f"floorview.tui.{p}") for p in OTHER_PANELS), node.module
        if isinstance(node, ast.Attribute):
            assert node.attr not in ("execute", "executemany"), f"{module}: SQL belongs in store/"
