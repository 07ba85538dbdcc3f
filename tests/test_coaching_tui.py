"""The Coaching screen (4), huddle mode (h) and `floorview export huddle`: what they
list, and that private notes and customer details never reach a shared screen
or the minutes."""

from __future__ import annotations

import sqlite3
import stat
from datetime import timedelta

import pytest

from floorview.cli import main
from floorview.store.engine import open_engine
from floorview.store.notes import save_note
from floorview.tui.coaching.screen import CoachingScreen
from floorview.tui.huddle.screen import HuddleScreen

from .conftest import SAMPLE_AT, make_app, settle, wait_for

SIZE = (100, 30)
SECRET = "SECRET-PRIVATE-7f3a"
HOSTILE = "<script>alert(1)</script> [link](http://x.example) ![img](http://y.example) **bold**"


def add_notes(store) -> str:
    """A private coaching note and a private kudos carrying SECRET, and a team kudos
    carrying hostile text, all today for one agent; returns that agent's team."""
    con = sqlite3.connect(store)
    agent, team = con.execute("SELECT id, team FROM agent ORDER BY id LIMIT 1").fetchone()
    con.close()
    at = (SAMPLE_AT - timedelta(minutes=30)).isoformat()
    base = {"agent_id": agent, "author": "lead", "created_at": at, "updated_at": at}
    engine = open_engine(store)
    with engine.begin() as conn:
        save_note(
            conn,
            "n-secret-1",
            {
                **base,
                "type": "coaching",
                "topic": "risk",
                "adkar": "awareness",
                "visibility": "private",
                "body": f"{SECRET} personal matter",
            },
        )
        save_note(conn, "n-secret-2", {**base, "type": "kudos", "visibility": "private", "body": f"{SECRET} kudos"})
        save_note(conn, "n-hostile", {**base, "type": "kudos", "visibility": "team", "body": HOSTILE})
    engine.dispose()
    return team


def todays_customer_names(store) -> list[str]:
    con = sqlite3.connect(store)
    try:
        return [
            n
            for (n,) in con.execute(
                "SELECT DISTINCT c.name FROM survey s JOIN customer c ON c.id = s.customer_id WHERE s.answered_at >= ?",
                (SAMPLE_AT.timestamp() - 6 * 3600,),
            )
        ]
    finally:
        con.close()


async def test_coaching_screen_views_and_follow_up_done(sample_store):
    app = make_app(sample_store)
    today = SAMPLE_AT.date().isoformat()
    con = sqlite3.connect(sample_store)
    due = con.execute("SELECT count(*) FROM note WHERE type = 'coaching' AND follow_up_on <= ?", (today,)).fetchone()[0]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        table = await settle(pilot, "#coaching")
        assert isinstance(app.screen, CoachingScreen)
        assert table.row_count == due > 0
        first = table.coordinate_to_cell_key((0, 0)).row_key.value
        assert table.get_cell(first, "due").plain.startswith("! ")  # the oldest overdue first, marked
        table.focus()
        await pilot.press("d")
        await wait_for(
            pilot, lambda: con.execute("SELECT follow_up_on FROM note WHERE id = ?", (first,)).fetchone()[0] is None
        )
        assert con.execute("SELECT op, state FROM outbox WHERE note_id = ?", (first,)).fetchall() == [
            ("put", "pending")
        ]
        await wait_for(pilot, lambda: table.row_count == due - 1)
        await pilot.press("t")
        await wait_for(
            pilot, lambda: "Themes" in str(app.screen.query_one("#titlebar").render()) and table.row_count == 6
        )
        await pilot.press("u")
        await wait_for(pilot, lambda: "Not coached" in str(app.screen.query_one("#titlebar").render()))
        await pilot.press("slash")
        await pilot.press(*"identity")
        await wait_for(pilot, lambda: app.screen.view == "search" and table.row_count > 0)
        matching = con.execute("SELECT count(*) FROM note WHERE lower(body) LIKE '%identity%'").fetchone()[0]
        assert table.row_count == min(matching, 200)
        assert all("identity" in table.get_row_at(i)[-1].plain.lower() for i in range(table.row_count))
        await pilot.press("escape")
        await pilot.press("c")
        await wait_for(
            pilot, lambda: "0 local changes the hub would not take" in str(app.screen.query_one("#caption").render())
        )


async def test_huddle_mode_hides_private_notes_and_customers(sample_store):
    team = add_notes(sample_store)
    names = todays_customer_names(sample_store)
    assert names
    app = make_app(sample_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HuddleScreen) and app.screen._huddle is not None)
        for _ in range(7):  # the floor, then every team in turn
            await wait_for(pilot, lambda: app.screen._huddle.team == app.screen.team)
            shown = app.screen.query_one("#rest").render().plain + app.screen.query_one("#marker").render().plain
            assert "HUDDLE" in shown
            assert SECRET not in shown
            assert not any(name in shown for name in names)
            if app.screen.team == team:
                assert "<script>alert(1)</script>" in shown  # team kudos, shown as the words they are
                assert "personal matter" not in shown
            await pilot.press("t")
        await pilot.press("h")
        await wait_for(pilot, lambda: not isinstance(app.screen, HuddleScreen))


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_export_holds_no_private_note_and_escapes_what_it_holds(sample_store, tmp_path, fmt, capsys):
    team = add_notes(sample_store)
    names = todays_customer_names(sample_store)
    out = tmp_path / f"huddle.{fmt}"
    assert (
        main(["export", "huddle", "--db", str(sample_store), "--team", team, "--format", fmt, "--output", str(out)])
        == 0
    )
    text = out.read_text()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert SECRET not in text and "personal matter" not in text
    assert not any(name in text for name in names)
    assert f"Team {team}" in text and "Kudos this week" in text and "You rank Quality first" in text
    if fmt == "html":
        assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    else:
        assert "<script>" not in text and "\\<script\\>" in text
        assert "\\[link\\](http://x.example)" in text and "\\!\\[img\\]" in text and "\\*\\*bold\\*\\*" in text
    assert main(["export", "huddle", "--db", str(sample_store), "--team", "Nobody"]) == 2
    assert "no team 'Nobody'" in capsys.readouterr().err


def test_private_notes_stay_in_their_team_on_the_wire_and_out_of_the_logs(tmp_path, caplog):
    """Both sides: the hub never serves another team's private note, so a scoped
    client never stores one; and pushing a private note logs none of its text."""
    import logging
    import uuid

    from floorview.hub.seed import simulated_changes
    from floorview.sync.syncer import Syncer
    from floorview.sync.transport import HubClient

    from .hubs import start_hub

    hub = start_hub(tmp_path / "hub.db")
    try:
        for batch in simulated_changes(7, SAMPLE_AT.timestamp() - 3600):
            hub.store.write(batch)
        engine = open_engine(tmp_path / "mine" / "floorview.db")
        con_path = tmp_path / "mine" / "floorview.db"
        mine = "Harbor"
        token = hub.store.create_token("Harbor lead", teams=[mine])
        syncer = Syncer(engine, HubClient(hub.url, token))
        caplog.set_level(logging.DEBUG)
        syncer.pull_until_caught_up()
        con = sqlite3.connect(con_path)
        private = con.execute(
            "SELECT count(*), total(a.team != ?) FROM note n JOIN agent a ON a.id = n.agent_id"
            " WHERE n.visibility = 'private'",
            (mine,),
        ).fetchone()
        everywhere = sum(
            1
            for (v,) in sqlite3.connect(tmp_path / "hub.db").execute("SELECT data FROM hub_record WHERE kind = 'note'")
            if '"private"' in v
        )
        assert everywhere > private[0] and private[1] == 0  # other teams' private notes never arrived
        agent = con.execute("SELECT id FROM agent WHERE team = ? LIMIT 1", (mine,)).fetchone()[0]
        at = SAMPLE_AT.isoformat()
        with engine.begin() as conn:
            save_note(
                conn,
                str(uuid.uuid4()),
                {
                    "agent_id": agent,
                    "author": "x",
                    "created_at": at,
                    "updated_at": at,
                    "type": "coaching",
                    "topic": "risk",
                    "visibility": "private",
                    "body": f"{SECRET} health matter",
                },
            )
        assert syncer.push_outbox() == 1
        engine.dispose()
        assert SECRET not in caplog.text
    finally:
        hub.stop()


def test_a_failed_write_shows_no_note_text(sample_store):
    """Errors from the store leave the parameters out, so a private note's words
    cannot reach the log or the screen through an error message."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    engine = open_engine(sample_store)
    try:
        with pytest.raises(IntegrityError) as err, engine.begin() as conn:
            conn.execute(text("INSERT INTO note (id, version) VALUES (:id, :v)"), {"id": SECRET, "v": 1})
    finally:
        engine.dispose()
    assert SECRET not in str(err.value)


def test_theme_shares_are_rounded_not_cut():
    from floorview.store.coaching import TopicCount
    from floorview.tui.coaching.cells import theme_cells
    from floorview.tui.coaching.data import theme_rows

    counts = [TopicCount("Delta", "quality", "awareness", 2), TopicCount("Delta", "time", "ability", 1)]
    [row] = theme_rows(counts)
    cells = theme_cells(row)
    assert row.team == "Delta" and row.top_stage == "awareness"
    assert [cells[t].plain for t in ("quality", "time", "cost")] == ["2  67%", "1  33%", "0   0%"]
