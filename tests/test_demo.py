"""The demo floor: a fresh store, simulated since midnight, then live."""

from __future__ import annotations

from floorview.config import Settings
from floorview.domain.clock import SystemClock
from floorview.hub.demo import DemoFloor
from floorview.tui.app import FloorviewApp

from .conftest import settle


async def test_demo_starts_fills_and_goes_live(tmp_path):
    path = tmp_path / "data" / "demo.db"
    path.parent.mkdir(mode=0o700)
    path.write_text("an old demo store is replaced")
    source = DemoFloor(path, seed=7, clock=SystemClock(), interval_s=0.2)
    app = FloorviewApp(Settings(refresh_s=0.2), path, source=source)
    async with app.run_test(size=(100, 30)) as pilot:
        assert "starting" in str(app.screen.query_one("#status").render())
        table = await settle(pilot, "#queues")
        assert table.row_count == 8
        await pilot.pause(0.5)
        status = str(app.screen.query_one("#status").render())
        assert "● live" in status
        assert "DEMO" in str(app.screen.query_one("#titlebar").render())
        await pilot.press("2")
        agents = await settle(pilot, "#agents")
        assert agents.row_count == 64
    assert app._stop.is_set()
    workers = [w for w in app.workers if w.group == "source"]
    assert all(w.is_finished for w in workers)
