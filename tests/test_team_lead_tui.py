"""A team lead's token, through a real hub and the real screens (usability walk B1).

`--team Canyon` on the simulated morning: every queue is listed, customers
carry names and segments, the what-if finds its queues, the huddle is the
team's and says so, and Need/have gives no verdict on agents it cannot see.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from floorview.hub.seed import simulated_changes
from floorview.store.engine import open_engine
from floorview.sync.syncer import Syncer
from floorview.sync.transport import HubClient
from floorview.tui.huddle.screen import HuddleScreen
from floorview.tui.queues.whatif import WhatIfScreen

from .conftest import SAMPLE_AT, make_app, settle, wait_for
from .hubs import start_hub

NOW = SAMPLE_AT.timestamp()


def _synced_lead_store(tmp_path):
    hub = start_hub(tmp_path / "hub.db")
    try:
        for batch in simulated_changes(5, NOW - 2 * 3600):
            hub.store.write(batch)
        token = hub.store.create_token("Bo Lead", teams=["Canyon"])
        store = tmp_path / "lead" / "floorview.db"
        store.parent.mkdir(mode=0o700)
        engine = open_engine(store)
        client = HubClient(hub.url, token)
        try:
            Syncer(engine, client).pull_until_caught_up()
        finally:
            client.close()
            engine.dispose()
    finally:
        hub.stop()
    return store


async def test_a_team_leads_screens_work_and_say_whose_they_are(tmp_path):
    store = _synced_lead_store(tmp_path)
    con = sqlite3.connect(store)
    queue_names = sorted(n for (n,) in con.execute("SELECT name FROM queue"))
    assert len(queue_names) == 8
    assert {t for (t,) in con.execute("SELECT DISTINCT team FROM agent")} == {"Canyon"}
    # The site's day, worked out here from the queues' zones without the code under test.
    zone = Counter(z for (z,) in con.execute("SELECT timezone FROM queue")).most_common(1)[0][0]
    midnight = datetime.fromtimestamp(NOW, ZoneInfo(zone)).replace(hour=0, minute=0, second=0, microsecond=0)
    answered = con.execute(
        "SELECT count(*) FROM interaction i JOIN agent a ON a.id = i.agent_id"
        " WHERE a.team = 'Canyon' AND i.answered_at IS NOT NULL AND i.enqueued_at >= ?",
        (midnight.timestamp(),),
    ).fetchone()[0]
    assert answered > 0

    app = make_app(store, NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await settle(pilot)
        assert app.scope is not None and app.scope.teams == ("Canyon",) and app.scoped
        names = sorted(table.get_cell(k, "name").plain.strip() for k in table.rows)
        assert names == queue_names
        for k in table.rows:  # have counts Canyon's agents only: no ✓ or ✗ on the queue's staffing
            assert not {"✓", "✗", "!"} & set(table.get_cell(k, "agents").plain)

        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HuddleScreen) and app.screen._huddle is not None)
        huddle = app.screen._huddle
        assert huddle.team == "Canyon" and huddle.answered == answered
        assert "Team Canyon" in str(app.screen.query_one("#marker").render())
        await pilot.press("h")

        await pilot.press("6")
        recovery = await settle(pilot)
        customers = {c: (n, s) for c, n, s in con.execute("SELECT id, name, segment FROM customer")}
        assert recovery.row_count > 0
        for k in list(recovery.rows)[:20]:
            shown = recovery.get_cell(k, "name").plain.strip()
            assert shown == customers[k.value][0] and not shown.startswith("c-")

        await pilot.press("1")
        await settle(pilot)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, WhatIfScreen) and app.screen.baseline is not None)
        heading = str(app.screen.query_one("#heading").render())
        assert "No queues" not in heading and any(n in heading for n in queue_names)
