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
        for _ in range(600):  # the hub writes today so far before it serves
            if "● live" in str(app.screen.query_one("#status").render()):
                break
            await pilot.pause(0.1)
        assert "● live" in str(app.screen.query_one("#status").render())
        table = await settle(pilot, "#queues")
        assert table.row_count == 8
        assert "DEMO" in str(app.screen.query_one("#titlebar").render())
        child = source.child
        assert child is not None and child.poll() is None
        await pilot.press("2")
        agents = await settle(pilot, "#agents")
        assert agents.row_count == 64
    # The child ends with the app: the source's thread winds down (a page being
    # applied is finished), then the hub has 2 s to close its long polls. On a
    # loaded two-core machine that has taken over 10 s; what matters is that it ends.
    for _ in range(300):
        if child.poll() is not None:
            break
        time.sleep(0.1)
    assert child.poll() is not None
    for f in folder.iterdir():
        assert oct(f.stat().st_mode & 0o777) == "0o600", f
    assert oct(os.stat(folder).st_mode & 0o777) == "0o700"


def test_the_simulating_hub_announces_its_port_once_today_is_written(tmp_path):
    """A client that connects when the port is announced sees the whole day so
    far, not a half-written morning it would take for the live floor."""
    import subprocess
    import sys
    from datetime import datetime

    import httpx

    token = "t" * 43
    env = {**os.environ, "FLOORVIEW_HUB_BOOTSTRAP_TOKEN": token}
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "floorview",
            "hub",
            "--simulate",
            "--port",
            "0",
            "--print-port",
            "--db",
            f"sqlite:///{tmp_path / 'hub.db'}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.startswith("PORT "), line
        newest, cursor = None, None
        with httpx.Client(
            base_url=f"http://127.0.0.1:{line.split()[1]}", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client:
            while True:
                page = client.get(
                    "/v1/changes", params={"limit": 5000, **({"cursor": cursor} if cursor else {})}
                ).json()
                for change in page["changes"]:
                    if change["kind"] == "interaction" and change["op"] == "upsert":
                        at = datetime.fromisoformat(change["data"]["enqueued_at"].replace("Z", "+00:00"))
                        newest = at if newest is None else max(newest, at)
                cursor = page["cursor"]
                if not page["more"]:
                    break
        assert newest is not None
        assert time.time() - newest.timestamp() < 15 * 60  # the simulated floor has reached now
    finally:
        child.terminate()
        child.wait(10)
