"""The demo: a simulating hub started as a child on loopback, synced over HTTP."""

from __future__ import annotations

import os
import time

from floorview.config import Settings
from floorview.sync.source import DemoHubSource
from floorview.tui.app import FloorviewApp

from .conftest import settle


async def test_demo_starts_a_hub_syncs_and_stops_it(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    store = folder / "demo.db"
    store.write_text("an old demo store is replaced")
    source = DemoHubSource(store, folder / "demo-hub.db", seed=7, poll_s=0.2)
    app = FloorviewApp(Settings(refresh_s=0.2), store, source=source)
    async with app.run_test(size=(100, 30)) as pilot:
        assert "starting" in str(app.screen.query_one("#status").render())
        table = await settle(pilot, "#queues")
        assert table.row_count == 8
        for _ in range(200):
            if "● live" in str(app.screen.query_one("#status").render()):
                break
            await pilot.pause(0.1)
        assert "● live" in str(app.screen.query_one("#status").render())
        assert "DEMO" in str(app.screen.query_one("#titlebar").render())
        child = source.child
        assert child is not None and child.poll() is None
        await pilot.press("2")
        agents = await settle(pilot, "#agents")
        assert agents.row_count == 64
    for _ in range(100):  # the child ends with the app
        if child.poll() is not None:
            break
        time.sleep(0.1)
    assert child.poll() is not None
    for f in folder.iterdir():
        assert oct(f.stat().st_mode & 0o777) == "0o600", f
    assert oct(os.stat(folder).st_mode & 0o777) == "0o700"
