"""The app with a live sync: status in words, responsive while the hub misbehaves."""

from __future__ import annotations

import threading
import time

from floorview.config import Settings
from floorview.store.engine import open_engine
from floorview.sync.source import HubSource
from floorview.tui.app import FloorviewApp
from floorview.tui.agents.screen import AgentsScreen
from floorview.tui.modals.quarantine import QuarantineScreen

from .hubs import Scripted, start_hub
from .test_sync import feed_hub


def status(app) -> str:
    return str(app.screen.query_one("#status").render())


async def wait_for(pilot, predicate, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


async def test_screens_answer_keys_while_the_hub_drips(tmp_path):
    """Keys are handled while the sync is stuck on a hub dripping one byte per
    half second for 30 s: proved by the drip still running once they were
    (no wall-clock bound, which a loaded machine would break)."""
    hub = Scripted()
    drip_ended = threading.Event()

    def drip(h):
        h.send_response(200)
        h.send_header("Content-Length", "100000")
        h.end_headers()
        try:
            for _ in range(60):
                try:
                    h.wfile.write(b" ")
                    h.wfile.flush()
                except OSError:
                    return
                time.sleep(0.5)
        finally:
            drip_ended.set()

    hub.answer = drip
    store = tmp_path / "s.db"
    app = FloorviewApp(Settings(), store, source=HubSource(store, hub.url, "t"))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(1.0)  # the sync is now stuck reading a dripping answer
            await pilot.press("2")
            assert isinstance(app.screen, AgentsScreen)
            await pilot.press("question_mark", "escape", "1")
            assert not isinstance(app.screen, AgentsScreen)
            assert not drip_ended.is_set(), "the keys waited for the sync"
    finally:
        hub.stop()


async def test_status_says_token_rejected(tmp_path):
    hub = start_hub(tmp_path / "hub.db")
    try:
        store = tmp_path / "s.db"
        app = FloorviewApp(Settings(), store, source=HubSource(store, hub.url, "fv_not_known"))
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: "token rejected by hub" in status(app))
    finally:
        hub.stop()


async def test_live_from_a_hub_with_quarantine_listed(tmp_path):
    hub = start_hub(tmp_path / "hub.db")
    try:
        feed_hub(hub)
        hub.store.write(
            [
                {
                    "kind": "agent",
                    "id": "a-broken",
                    "version": 1,
                    "op": "upsert",
                    "data": {
                        "name": "[b]Bad[/b]",
                        "team": "T",
                        "state": "dancing",
                        "state_since": "2026-11-20T10:00:00Z",
                    },
                }
            ]
        )
        store = tmp_path / "s.db"
        open_engine(store).dispose()
        app = FloorviewApp(Settings(), store, source=HubSource(store, hub.url, hub.token))
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: "● live" in status(app))
            await wait_for(pilot, lambda: "1 quarantined" in status(app))
            await pilot.press("Q")
            assert isinstance(app.screen, QuarantineScreen)
            listed = str(app.screen.query_one("#quarantine").render())
            assert "agent a-broken v1" in listed and "state" in listed
    finally:
        hub.stop()
