"""SVG snapshots of the screens on the seeded sample store at its frozen moment.

After an intended change of the screens: `uv run pytest tests/test_snapshots.py
--snapshot-update`, then look at the new SVGs before committing them.
"""

from __future__ import annotations

import pytest

from .conftest import make_app, settle

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_queues(snap_compare, sample_store, size):
    async def ready(pilot):
        await settle(pilot)

    assert snap_compare(make_app(sample_store), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_agents(snap_compare, sample_store, size):
    async def ready(pilot):
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot, "#agents")

    assert snap_compare(make_app(sample_store), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_queue_drill_down(snap_compare, sample_store, size):
    async def ready(pilot):
        await settle(pilot)
        await pilot.press("down", "down", "down", "enter")  # Orders email: 62 contacts waiting
        await settle(pilot, "#waiting")

    assert snap_compare(make_app(sample_store), terminal_size=size, run_before=ready)


def test_explain_80x24(snap_compare, sample_store):
    async def ready(pilot):
        table = await settle(pilot)
        table.move_cursor(row=0, column=8)  # Billing, agents needed versus staffed
        await pilot.press("e")
        await pilot.pause()

    assert snap_compare(make_app(sample_store), terminal_size=(80, 24), run_before=ready)


def test_help_80x24(snap_compare, sample_store):
    async def ready(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(make_app(sample_store), terminal_size=(80, 24), run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_balance(snap_compare, sample_store, size):
    async def ready(pilot):
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot, "#metrics")

    assert snap_compare(make_app(sample_store), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_whatif(snap_compare, sample_store, size):
    async def ready(pilot):
        await settle(pilot)
        await pilot.press("x")
        table = await settle(pilot, "#whatif")
        table.focus()
        await pilot.press("down", "right", "right", "right")  # AHT +30 s: what quality costs
        for _ in range(300):
            if table.row_count == 12 and table.get_cell("aht", "change").plain.strip() == "+30 s":
                break
            await pilot.pause(0.02)
        await pilot.pause()

    assert snap_compare(make_app(sample_store), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_agent_page(snap_compare, sample_store, size):
    async def ready(pilot):
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot, "#agents")
        await pilot.press("enter")  # the first agent by name
        await settle(pilot, "#notes")

    assert snap_compare(make_app(sample_store), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_coaching(snap_compare, sample_store, size):
    async def ready(pilot):
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot, "#coaching")

    assert snap_compare(make_app(sample_store), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_huddle(snap_compare, sample_store, size):
    async def ready(pilot):
        await settle(pilot)
        await pilot.press("h")
        for _ in range(300):
            if getattr(pilot.app.screen, "_huddle", None) is not None:
                break
            await pilot.pause(0.02)
        await pilot.pause()

    assert snap_compare(make_app(sample_store), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_recovery(snap_compare, sample_store, size):
    async def ready(pilot):
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot, "#recovery")

    assert snap_compare(make_app(sample_store), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_customer_card(snap_compare, sample_store, size):
    async def ready(pilot):
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot, "#recovery")
        await pilot.press("enter")  # the most hurt customer's card
        await settle(pilot, "#timeline")
        for _ in range(300):
            if getattr(pilot.app.screen, "view", None) is not None:
                break
            await pilot.pause(0.02)
        await pilot.pause()

    assert snap_compare(make_app(sample_store), terminal_size=size, run_before=ready)


def test_customer_search_80x24(snap_compare, sample_store):
    async def ready(pilot):
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot, "#customers")
        await pilot.press("slash", *"usman")
        for _ in range(300):
            table = pilot.app.screen.query_one("#customers")
            if table.row_count and all("Usman" in table.get_row_at(i)[0].plain for i in range(table.row_count)):
                break
            await pilot.pause(0.02)
        await pilot.pause()

    assert snap_compare(make_app(sample_store), terminal_size=(80, 24), run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_alerts(snap_compare, sample_store, size):
    """Screen 7 ten minutes past the sample's moment (SQL on sample.db): Tech support's oldest caller,
    27 s at the moment, has waited 10 min (a warning); seven agents are past their limits (Uma Varga's
    "system issue" of 25 min 58 s, six in wrap-up since the moment): info may fill 6 of the hour's 12, one
    taken by the warning, so five fire (the not-ready one, then wrap-up by agent id) and two are held back."""
    from .conftest import SAMPLE_AT

    async def ready(pilot):
        await settle(pilot)
        await pilot.press("7")
        await settle(pilot, "#alerts")
        for _ in range(300):
            if not pilot.app._loading and not pilot.app._alerts_due:
                break
            await pilot.pause(0.02)
        await pilot.pause()

    app = make_app(sample_store, now=SAMPLE_AT.timestamp() + 600)
    assert snap_compare(app, terminal_size=size, run_before=ready)
