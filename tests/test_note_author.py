"""After an edit is pushed, the editor's own store holds the note as the hub
stored it: the original author kept (usability walk m1), the editor named,
the hub's timestamps. A pull would never correct it: the version is the same."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from floorview.store.engine import open_engine
from floorview.store.notes import save_note
from floorview.sync.syncer import Syncer
from floorview.sync.transport import HubClient

from .conftest import SAMPLE_AT
from .hubs import start_hub

AT = (SAMPLE_AT - timedelta(minutes=5)).isoformat()
AGENT = {
    "kind": "agent",
    "id": "a1",
    "version": 1,
    "op": "upsert",
    "data": {"name": "Ema Quinn", "team": "Canyon", "state": "available", "queues": ["q1"]},
}


def _note(body: str, author: str) -> dict:
    return {
        "agent_id": "a1",
        "author": author,
        "created_at": AT,
        "updated_at": AT,
        "type": "coaching",
        "topic": "quality",
        "visibility": "team",
        "body": body,
    }


def test_the_editors_store_keeps_the_original_author(tmp_path):
    hub = start_hub(tmp_path / "hub.db")
    engines = []
    try:
        hub.store.write([AGENT])
        stores = {}
        for who in ("Ana Sup", "Bo Lead"):
            path = tmp_path / who.split()[0] / "floorview.db"
            path.parent.mkdir(mode=0o700)
            engine = open_engine(path)
            engines.append(engine)
            stores[who] = (path, engine, Syncer(engine, HubClient(hub.url, hub.store.create_token(who))))
        _, ana_engine, ana = stores["Ana Sup"]
        with ana_engine.begin() as conn:
            save_note(conn, "n-1", _note("Listened to call 3: good empathy.", "whoever"))
        assert ana.push_outbox() == 1
        bo_path, bo_engine, bo = stores["Bo Lead"]
        bo.pull_until_caught_up()
        with bo_engine.begin() as conn:
            save_note(conn, "n-1", _note("Listened to call 3: good empathy. Follow up Friday.", "Bo Lead"))
        assert bo.push_outbox() == 1
        row = sqlite3.connect(bo_path).execute("SELECT author, body, version FROM note WHERE id = 'n-1'").fetchone()
        hub_note = hub.store.current("note", "n-1")
        assert row == ("Ana Sup", "Listened to call 3: good empathy. Follow up Friday.", hub_note["version"])
        assert hub_note["data"]["author"] == "Ana Sup"
        # Who edited it is kept too, on both sides, once Ana pulls (m1).
        ana_path = stores["Ana Sup"][0]
        ana.pull_until_caught_up()
        for path in (bo_path, ana_path):
            row = sqlite3.connect(path).execute("SELECT author, edited_by FROM note WHERE id = 'n-1'").fetchone()
            assert row == ("Ana Sup", "Bo Lead"), (path, row)
    finally:
        for engine in engines:
            engine.dispose()
        hub.stop()


async def test_the_note_view_says_who_edited_it(tmp_path):
    """m1 on screen: Ana's note, edited by Bo on the hub, reads "by Ana Sup" and
    "edited by Bo Lead" in Ana's TUI once synced."""
    from textual.widgets import Static

    from floorview.tui.nav import OpenNote

    from .conftest import make_app, wait_for

    hub = start_hub(tmp_path / "hub.db")
    engines = []
    try:
        hub.store.write([AGENT])
        syncers = {}
        paths = {}
        for who in ("Ana Sup", "Bo Lead"):
            path = tmp_path / who.split()[0] / "floorview.db"
            path.parent.mkdir(mode=0o700)
            engine = open_engine(path)
            engines.append(engine)
            paths[who] = path
            syncers[who] = (engine, Syncer(engine, HubClient(hub.url, hub.store.create_token(who))))
        ana_engine, ana = syncers["Ana Sup"]
        with ana_engine.begin() as conn:
            save_note(conn, "n-1", _note("Listened to call 3: good empathy.", "Ana Sup"))
        ana.push_outbox()
        bo_engine, bo = syncers["Bo Lead"]
        bo.pull_until_caught_up()
        with bo_engine.begin() as conn:
            save_note(conn, "n-1", _note("Listened to call 3: good empathy. Follow up Friday.", "Bo Lead"))
        bo.push_outbox()
        ana.pull_until_caught_up()
        app = make_app(paths["Ana Sup"])
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause(0.3)
            app.post_message(OpenNote("n-1"))

            def shown() -> str:
                return " ".join(str(w.render()) for w in app.screen.query(Static))

            await wait_for(pilot, lambda: "Follow up Friday" in shown())
            text = " ".join(shown().split())
            assert "Ana Sup" in text and "edited by Bo Lead" in text, text
    finally:
        for engine in engines:
            engine.dispose()
        hub.stop()
