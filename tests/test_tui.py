"""Pilot tests: every key of the Queues and Agents screens, live refresh, pause."""

from __future__ import annotations

from datetime import timedelta

from textual.command import CommandPalette

from floorview.store.apply import Applier
from floorview.store.engine import open_engine
from floorview.tui.agents.data import AgentsLoader
from floorview.tui.agents.screen import AgentsScreen
from floorview.tui.queues.drill import QueueDetailScreen
from floorview.tui.queues.screen import QueuesScreen
from floorview.tui.modals.explain import ExplainScreen
from floorview.tui.modals.keys import KeysScreen
from floorview.tui.widgets.live_table import LiveTable

from .conftest import SAMPLE_AT, make_app, settle

SIZE = (80, 24)


def names(table: LiveTable) -> list[str]:
    return [table.get_row_at(i)[0].plain.strip() for i in range(table.row_count)]


def cell(table: LiveTable, row_key: str, column: str) -> str:
    return table.get_cell(row_key, column).plain.strip()


def title(app) -> str:
    return str(app.screen.query_one("#titlebar").render())


def status(app) -> str:
    return str(app.screen.query_one("#status").render())


async def test_queues_screen_lists_every_queue_with_verdicts(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        table = await settle(pilot)
        assert isinstance(app.screen, QueuesScreen)
        assert names(table) == [
            "Billing",
            "Billing chat",
            "Claims email",
            "Orders email",
            "Retention",
            "Sales",
            "Tech chat",
            "Tech support",
        ]
        sl = cell(table, "q-billing", "sl")
        assert sl[0] in "✓!✗" and sl.endswith("%")
        assert "/" in cell(table, "q-billing", "agents")
        assert "snapshot" in status(app)


async def test_screen_keys_switch_and_keep_state(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        agents = await settle(pilot, "#agents")
        assert isinstance(app.screen, AgentsScreen)
        assert agents.row_count == 64
        await pilot.press("1")
        await settle(pilot, "#queues")
        assert isinstance(app.screen, QueuesScreen)


async def test_sort_key_cycles_orders(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        table = await settle(pilot)
        await pilot.press("s")
        assert "sort: worst service level" in title(app)
        values = [table.get_row_at(i)[1].plain.strip() for i in range(table.row_count)]
        numbers = [float(v.split()[-1].rstrip("%")) for v in values if v.strip() != "–"]
        assert numbers == sorted(numbers)  # worst service level first
        for _ in range(4):
            await pilot.press("s")
        assert "sort: name" in title(app)


async def test_window_key_switches_figures_to_today(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=(130, 30)) as pilot:
        table = await settle(pilot)
        offered_30m = cell(table, "q-billing", "offered")
        await pilot.press("w")
        assert "window: today" in title(app)
        assert int(cell(table, "q-billing", "offered")) > int(offered_30m)


async def test_filter_narrows_and_escape_clears(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        table = await settle(pilot)
        await pilot.press("slash", "c", "h", "a", "t")
        assert names(table) == ["Billing chat", "Tech chat"]
        await pilot.press("escape")
        assert table.row_count == 8


async def test_enter_drills_into_a_queue_and_escape_returns(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")  # Billing chat
        assert isinstance(app.screen, QueueDetailScreen)
        agents = await settle(pilot, "#agents")
        assert app.screen.queue_id == "q-billing-chat"
        assert agents.row_count > 0
        assert "Billing chat" in title(app)
        first = app.focused
        await pilot.press("tab")  # between the waiting list and the agents
        assert app.focused is not first and app.focused.id in ("waiting", "agents")
        await pilot.press("escape")
        assert isinstance(app.screen, QueuesScreen)


async def test_explain_shows_formula_inputs_and_target(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        table = await settle(pilot)
        table.move_cursor(row=0, column=1)
        await pilot.press("e")
        assert isinstance(app.screen, ExplainScreen)
        body = str(app.screen.query_one("#body").render())
        assert "answered within threshold / (answered + abandoned)" in body
        assert "answered within 20 s" in body and "target" in body
        await pilot.press("escape")
        assert isinstance(app.screen, QueuesScreen)


async def test_explain_on_the_agents_screen(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot, "#agents")
        await pilot.press("e")
        body = str(app.screen.query_one("#body").render())
        assert "(talk + after-contact work) / handled" in body
        assert "agents.time_in_state" in body


async def test_agents_team_and_state_filters(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        table = await settle(pilot, "#agents")
        await pilot.press("t")
        assert "team: Canyon" in title(app)
        assert 0 < table.row_count < 64
        await pilot.press("t", "t", "t", "t", "t", "t")  # past the last team: everyone again
        assert table.row_count == 64
        await pilot.press("f")  # available only
        assert "state: Available" in title(app)
        assert {table.get_row_at(i)[1].plain for i in range(table.row_count)} == {"● Available"}
        await pilot.press("f", "f", "f", "f", "f")
        assert table.row_count == 64
        await pilot.press("slash", *"state:not_ready")
        assert table.row_count > 0
        assert all(table.get_row_at(i)[1].plain.startswith("○") for i in range(table.row_count))


async def test_pause_holds_the_screen_and_resume_catches_up(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        table = await settle(pilot)
        before = cell(table, "q-sales", "waiting")
        await pilot.press("p")
        assert "PAUSED" in status(app)
        _add_waiting(sample_store, "q-sales", 5)
        app.clock.advance(2)
        await pilot.pause(0.3)
        app._poll()
        await pilot.pause(0.2)
        assert cell(table, "q-sales", "waiting") == before
        await pilot.press("p")
        await settle(pilot)
        await pilot.pause(0.2)
        assert int(cell(table, "q-sales", "waiting")) == int(before) + 5
        assert "PAUSED" not in status(app)


async def test_a_refresh_under_way_when_paused_is_not_shown(sample_store):
    """`p` pressed while a read is in flight: its result arrives paused and is
    dropped, so nothing moves; resuming reads afresh."""
    from floorview.store.reads import store_status
    from floorview.tui.messages import Loaded

    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        table = await settle(pilot)
        before = cell(table, "q-sales", "waiting")
        _add_waiting(sample_store, "q-sales", 3)
        screen, now = app.screen, app.clock.now()
        request = screen.request()
        data = screen.loader(app.reader, now, request)  # the read that was under way
        await pilot.press("p")
        app.post_message(Loaded(id(screen), request, data, store_status(app.reader), now))
        await pilot.pause(0.2)
        assert cell(table, "q-sales", "waiting") == before
        await pilot.press("p")
        await settle(pilot)
        await pilot.pause(0.2)
        assert int(cell(table, "q-sales", "waiting")) == int(before) + 3


async def test_live_refresh_updates_only_changed_cells(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        table = await settle(pilot)
        written = []
        original = table.set_cell
        table.set_cell = lambda *a, **k: (written.append(a[:2]), original(*a, **k))[1]
        _add_waiting(sample_store, "q-retention", 1)
        app._poll()
        await settle(pilot)
        await pilot.pause(0.1)
        assert int(cell(table, "q-retention", "waiting")) >= 1
        assert written and {row for row, _ in written} == {"q-retention"}


async def test_ticking_durations_advance_with_the_clock(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        table = await settle(pilot, "#agents")
        first = table.get_row_at(0)[2].plain
        app.clock.advance(61)
        app._tick()
        await pilot.pause()
        assert table.get_row_at(0)[2].plain != first


async def test_help_lists_the_screens_keys_and_their_ids(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, KeysScreen)
        keys = str(app.screen.query_one("#keys").render())
        for line in ("Sort", "view.sort", "Pause", "app.pause", "Explain", "view.explain", "Agents"):
            assert line in keys
        await pilot.press("question_mark")
        assert isinstance(app.screen, QueuesScreen)
        await pilot.press("2")
        await settle(pilot, "#agents")
        await pilot.press("question_mark")
        keys = str(app.screen.query_one("#keys").render())
        assert "view.team" in keys and "view.window" not in keys  # Agents' keys, not Queues'


async def test_palette_runs_commands_from_the_bindings(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Agents")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot, "#agents")
        assert isinstance(app.screen, AgentsScreen)


async def test_keys_can_be_remapped_from_config(sample_store):
    app = make_app(sample_store, keys={"app.pause": "z", "screen.agents": "a"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("z")
        assert app.paused
        await pilot.press("a")
        assert isinstance(app.screen, AgentsScreen)


async def test_q_quits(sample_store):
    app = make_app(sample_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


def _add_waiting(store, queue_id: str, n: int) -> None:
    """Another process's write: new contacts waiting in a queue."""
    engine = open_engine(store)
    at = (SAMPLE_AT - timedelta(seconds=30)).isoformat()
    changes = [
        {
            "kind": "interaction",
            "id": f"i-new-{queue_id}-{k}",
            "version": 1,
            "op": "upsert",
            "data": {"queue_id": queue_id, "channel": "voice", "enqueued_at": at},
        }
        for k in range(n)
    ]
    with engine.begin() as conn:
        Applier(conn, SAMPLE_AT.timestamp()).apply(changes)
    engine.dispose()


async def test_hidden_screens_run_no_query(sample_store):
    app = make_app(sample_store)
    loads: list[str] = []
    original_queues, original_agents = QueuesScreen.loader, AgentsLoader.__call__
    QueuesScreen.loader = staticmethod(
        lambda con, now, request: (loads.append("queues"), original_queues(con, now, request))[1]
    )
    AgentsLoader.__call__ = lambda self, con, now, request: (  # type: ignore[method-assign]
        loads.append("agents"),
        original_agents(self, con, now, request),
    )[1]
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("2")
            await settle(pilot, "#agents")
            loads.clear()
            for _ in range(3):  # new data arrives while the Agents screen is showing
                _add_waiting(sample_store, "q-sales", 1)
                app._poll()
                await settle(pilot, "#agents")
            assert loads and set(loads) == {"agents"}
    finally:
        QueuesScreen.loader, AgentsLoader.__call__ = staticmethod(original_queues), original_agents


async def test_low_bandwidth_drops_sparklines_and_slows_ticking(sample_store):
    app = make_app(sample_store, low_bandwidth=True)
    async with app.run_test(size=(200, 50)) as pilot:
        table = await settle(pilot)
        keys = [c.key for c in table.columns_now]
        assert "trend" not in keys and "occupancy" in keys
        ticks = [t for t in app._timers if t.name == "tick"]
        assert ticks and ticks[0]._interval == 5.0
    app = make_app(sample_store)
    async with app.run_test(size=(200, 50)) as pilot:
        table = await settle(pilot)
        assert "trend" in [c.key for c in table.columns_now]


async def test_no_data_screen_is_touched_while_the_app_shuts_down(sample_store):
    """The app's timers outlive its screens at shutdown (Textual prunes the
    screens first), and a tick that reached a screen whose table was already
    gone crashed the exit. While shutting down there is no data screen."""
    app = make_app(sample_store)
    during: list[object] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot, "#agents")
        assert app._data_screen() is app.screen
        close_all = app._close_all

        async def close_all_then_tick() -> None:
            during.append(app._data_screen())
            app._tick()  # what the tick timer may do at this point
            await close_all()
            during.append(app._data_screen())
            app._tick()

        app._close_all = close_all_then_tick
    assert during == [None, None]


def test_every_binding_names_an_action_that_exists():
    """A binding to a missing action does nothing, silently: Tab on Balance
    once named `focus_next`, which only the app has."""
    import importlib
    import inspect
    import pkgutil

    import floorview.tui as tui
    from floorview.tui.app import FloorviewApp
    from textual.binding import Binding

    checked, missing = 0, []
    for info in pkgutil.walk_packages(tui.__path__, "floorview.tui."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != info.name:
                continue
            for b in cls.__dict__.get("BINDINGS", ()):  # ours, not those a Textual base declares
                b = b if isinstance(b, Binding) else Binding(*b)
                target, action = (FloorviewApp, b.action[4:]) if b.action.startswith("app.") else (cls, b.action)
                checked += 1
                if not hasattr(target, "action_" + action.split("(")[0]):
                    missing.append(f"{cls.__name__}: {b.key} -> {b.action}")
    assert checked > 40 and not missing, missing
