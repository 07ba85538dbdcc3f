"""The Coaching panel's defects from the usability walk (../shared/reports/usability-walk-1.md),
each at 80x24 and 120x40, as a supervisor would meet them: M9 (a conflict shows
mine and theirs), m1 (an edit keeps the author, says who edited and when), m14
(visibility in words, the author on lists), m15 (escape asks before throwing
typed text away), m24 (the editor at 80 columns), m4 (whole dates and stage),
m3 (the title whole), m2 (`e` on follow-ups and themes), m23 (singular counts),
and issue 15's lists a lead can act on (follow-ups of my team, my notes)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from rich.text import Text
from textual.widgets import Input, Select, TextArea
from textual.widgets._select import SelectCurrent

from floorview.config import CoachingConfig
from floorview.store.engine import open_engine
from floorview.store.notes import save_note
from floorview.store.syncstate import TokenScope, save_token_scope
from floorview.sync.syncer import Syncer
from floorview.sync.transport import HubClient
from floorview.tui.coaching.editor import ConfirmDiscard, NoteEditor
from floorview.tui.coaching.notes import NoteScreen
from floorview.tui.coaching.screen import CoachingScreen
from floorview.tui.modals.explain import ExplainScreen
from floorview.tui.widgets.live_table import LiveTable

from .conftest import SAMPLE_AT, make_app, settle, wait_for
from .test_notes_tui import hub as sample_hub  # noqa: F401  (the sample's floor on a real hub)
from .test_notes_tui import outbox

SIZES = [(80, 24), (120, 40)]
sizes = pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
TODAY = SAMPLE_AT.date().isoformat()
AGENT = "a-0001"
# Every agent of the sample has a coaching note in the last week; one, Nia Varga (a-0035, last
# coached 13 Nov), has none in the last 5 days (SQL on sample.db): a "not coached lately" list of one.
NOT_COACHED = CoachingConfig(not_coached_days=5)
TEXT_COLUMNS = {"body", "what"}  # a note's words may be cut to the column; figures, names and dates may not


def _note(body: str, author: str = "Hal Jensen", **fields: str) -> dict:
    at = (SAMPLE_AT - timedelta(hours=2)).isoformat()
    return {
        "agent_id": AGENT,
        "author": author,
        "created_at": at,
        "updated_at": at,
        "type": "coaching",
        "topic": "quality",
        "visibility": "team",
        "body": body,
        **fields,
    }


def write(store, note_id: str, data: dict) -> None:
    engine = open_engine(store)
    try:
        with engine.begin() as conn:
            save_note(conn, note_id, data)
    finally:
        engine.dispose()


def title(app) -> str:
    return app.screen.query_one("#titlebar").render().plain


def caption(app) -> str:
    return str(app.screen.query_one("#caption").render())


async def coaching(pilot) -> LiveTable:
    await settle(pilot)
    await pilot.press("4")
    table = await settle(pilot, "#coaching")
    assert isinstance(pilot.app.screen, CoachingScreen)
    return table


def column(table: LiveTable, key: str):
    return next(c for k, c in table.columns.items() if k.value == key)


def assert_nothing_cut(table: LiveTable) -> None:
    """Every column but a note's words is as wide as its widest cell and its
    header, and the columns fit the table's width (none scrolled off). A note's
    words are shortened by us, between words and marked "…", never cut by the
    table mid-word."""
    for key, column in table.columns.items():
        widest = max([column.label.cell_len, *(table.get_cell(row, key).cell_len for row in table.rows)])
        if key.value not in TEXT_COLUMNS:
            assert column.width >= widest, f"{key.value}: {column.width} < {widest}"
        elif key.value == "body":
            for row in table.rows:
                text = table.get_cell(row, key).plain
                assert len(text) <= column.width, f"the table would cut {text!r} at {column.width}"
    used = sum(c.get_render_width(table) for c in table.columns.values())
    assert used <= table.scrollable_content_region.width


# -- M9 and m1: a conflict, mine and theirs ----------------------------------------------
@sizes
async def test_m9_a_conflict_shows_mine_and_theirs_before_the_choice(sample_store, sample_hub, size):  # noqa: F811
    """The walk's steps: one note on the hub; Bo edits it there; I edit it here
    on the version I had; my push is answered 409. Opening it shows both."""
    note_id = "n-walk-m9"
    ana, bo = sample_hub.store.create_token("Ana Sup"), sample_hub.store.create_token("Bo Lead")
    write(sample_store, note_id, _note("Great save on a tough call today."))
    engine = open_engine(sample_store)
    try:
        mine = Syncer(engine, HubClient(sample_hub.url, ana))
        assert mine.push_outbox() == 1
        theirs = {**sample_hub.store.current("note", note_id)["data"], "base_version": 1}
        theirs["body"] = "Great save on a tough call today. (edited by cb)"
        HubClient(sample_hub.url, bo).request("PUT", f"/v1/notes/{note_id}", json_body=theirs)
        with engine.begin() as conn:
            save_note(conn, note_id, _note("Great save; walk the team through it. (edited by ca)", "Ana Sup"))
        assert mine.push_outbox() == 0
    finally:
        engine.dispose()
    assert [r[2] for r in outbox(sample_store)] == ["conflict"]

    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        table = await coaching(pilot)
        assert "⚠ 1" in title(app)
        await pilot.press("c")
        await wait_for(pilot, lambda: app.screen.view == "problems" and table.row_count == 1)
        table.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
        view = app.screen
        await pilot.pause()
        mine_box, theirs_box = view.query_one("#mine"), view.query_one("#theirs")
        mine_text, theirs_text = str(mine_box.render()), str(theirs_box.render())
        assert mine_text.startswith("Mine: waiting here")
        assert "Great save; walk the team through it. (edited by ca)" in mine_text
        assert "(edited by cb)" not in mine_text
        assert theirs_text.startswith("Theirs: on the hub now, version 2")
        assert "Great save on a tough call today. (edited by cb)" in theirs_text
        assert "edited by Bo Lead at" in theirs_text  # m1: who edited it there, and when
        assert "(edited by ca)" not in theirs_text
        if size[0] >= 100:  # side by side
            assert mine_box.region.y == theirs_box.region.y and mine_box.region.right <= theirs_box.region.x
        else:  # one above the other
            assert mine_box.region.bottom <= theirs_box.region.y
        for box in (mine_box, theirs_box):  # both wholly on screen, above the keys
            assert box.region.bottom <= view.query_one("#keys").region.y <= size[1]
        assert "m keep mine · t take theirs · b keep both · x discard mine" in str(view.query_one("#keys").render())
        await pilot.press("m")
        await wait_for(pilot, lambda: [r[2] for r in outbox(sample_store)] == ["pending"])
    engine = open_engine(sample_store)
    try:
        assert Syncer(engine, HubClient(sample_hub.url, ana)).push_outbox() == 1
    finally:
        engine.dispose()
    kept = sample_hub.store.current("note", note_id)["data"]
    assert kept["body"] == "Great save; walk the team through it. (edited by ca)"
    assert kept["author"] == "Ana Sup"  # m1: the author stays the note's first writer


@sizes
async def test_m1_an_edit_keeps_the_author_and_says_who_edited_and_when(sample_store, size):
    write(sample_store, "n-walk-m1", _note("Listened to call 3: good empathy.", follow_up_on=TODAY))
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        table = await coaching(pilot)
        await pilot.press("slash", *"empathy.", "enter")
        await wait_for(pilot, lambda: "n-walk-m1" in [k.value for k in table.rows])
        table.focus()
        table.move_cursor(row=[k.value for k in table.rows].index("n-walk-m1"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
        assert "edited" not in str(app.screen.query_one("#body").render())  # written once, never edited
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteEditor))
        app.screen.query_one(TextArea).text = "Listened to call 3: good empathy. Follow up Friday."
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(outbox(sample_store)) == 2)  # written, then edited: both wait here
        await wait_for(pilot, lambda: isinstance(app.screen, CoachingScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
        shown = str(app.screen.query_one("#body").render())
        assert "by Hal Jensen" in shown  # the author kept
        assert f"edited by {app.author()}" in shown and "at Fri 20 Nov 10:30 EST" in shown  # site time


# -- m14, m15, m24: the editor ---------------------------------------------------------------
async def open_editor(pilot) -> NoteEditor:
    table = await coaching(pilot)
    await pilot.press("u")
    await wait_for(pilot, lambda: pilot.app.screen.view == "uncoached" and table.row_count > 0)
    table.focus()
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, NoteEditor))
    await pilot.pause()
    return pilot.app.screen


@sizes
async def test_m14_visibility_is_explained_and_lists_show_the_author(sample_store, size):
    app = make_app(sample_store, coaching=NOT_COACHED)
    async with app.run_test(size=size) as pilot:
        table = await coaching(pilot)
        con = sqlite3.connect(sample_store)
        authors = dict(con.execute("SELECT id, author FROM note"))
        assert column(table, "author").label.plain == "By"
        assert all(table.get_cell(row, "author").plain == authors[row.value] for row in table.rows)
        editor = await open_editor(pilot)
        words = editor.query_one("#visibility-words")
        assert str(words.render()).startswith("team: all who see this agent")
        editor.query_one("#visibility", Select).value = "private"
        await pilot.pause()
        shown = str(words.render())
        assert (
            shown == "private: leads of this agent's team and whole-floor supervisors only, never on the huddle screen."
        )
        assert words.region.height >= 2 and words.region.right <= editor.query_one("#body").region.right


@sizes
async def test_m15_escape_asks_before_discarding_typed_text(sample_store, size):
    app = make_app(sample_store, coaching=NOT_COACHED)
    async with app.run_test(size=size) as pilot:
        editor = await open_editor(pilot)
        await pilot.press("escape")  # nothing typed: closes at once
        await wait_for(pilot, lambda: isinstance(app.screen, CoachingScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteEditor))
        editor = app.screen
        await pilot.press(*"Good call")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDiscard))
        assert str(app.screen.query_one("#question").render()) == "Discard this note? y/n"
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is editor)
        assert editor.query_one(TextArea).text == "Good call"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDiscard))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, CoachingScreen))
    assert outbox(sample_store) == []


@sizes
async def test_m24_the_editors_fields_hold_their_values(sample_store, size):
    app = make_app(sample_store, coaching=NOT_COACHED)
    async with app.run_test(size=size) as pilot:
        editor = await open_editor(pilot)
        editor.query_one("#adkar", Select).value = "reinforcement"
        editor.query_one("#type", Select).value = "coaching"
        editor.query_one("#visibility", Select).value = "private"
        date_input = editor.query_one("#follow_up", Input)
        date_input.value = "2026-12-01"
        date_input.focus()
        await pilot.pause()
        frame = editor.query_one("Vertical").content_region
        for select in editor.query(Select):
            label = select.query_one(SelectCurrent).query_one("#label")
            assert label.region.height == 1, select.id  # the value does not wrap
            value = select.value
            if isinstance(value, str) and select.id != "interaction":
                assert label.region.width >= len(value), select.id
            assert frame.x <= select.region.x and select.region.right <= frame.right, select.id
        for label in editor.query("Label"):
            assert label.region.height == 1 and label.region.width >= len(str(label.render()))
        assert date_input.content_region.width > len("2026-12-01")  # the whole date and the cursor
        assert date_input.region.right <= frame.right
        before = editor.query_one("Vertical").region
        editor.query_one(TextArea).text = ""
        await pilot.press("ctrl+s")  # refused in the form
        await pilot.pause()
        assert "empty" in str(editor.query_one("#problem").render())
        assert editor.query_one("Vertical").region == before  # no jump


# -- m4, m3, m2, m23 and the lead's filter: the lists ---------------------------------------------
@sizes
async def test_m4_dates_and_stages_are_whole_in_every_list(sample_store, size):
    app = make_app(sample_store, coaching=NOT_COACHED)
    async with app.run_test(size=size) as pilot:
        table = await coaching(pilot)
        assert_nothing_cut(table)
        await pilot.press("slash", *"empathy", "enter")
        await wait_for(pilot, lambda: app.screen.view == "search" and "when" in [k.value for k in table.columns])
        await wait_for(pilot, lambda: table.row_count > 0)
        assert_nothing_cut(table)
        first = table.coordinate_to_cell_key((0, 0)).row_key
        assert len(table.get_cell(first, "when").plain) == len("20 Nov 10:09")
        await pilot.press("escape", "t")
        await wait_for(pilot, lambda: app.screen.view == "themes" and table.row_count == 6)
        assert column(table, "stage").label.plain == "Most noted stage"
        assert_nothing_cut(table)
        await pilot.press("u")
        await wait_for(pilot, lambda: app.screen.view == "uncoached" and table.row_count == 1)
        assert_nothing_cut(table)


@sizes
async def test_m3_the_title_holds_the_view_and_whose_whole(sample_store, size):
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        await coaching(pilot)
        uncoached = "Uncoached" if size[0] < 100 else "Not coached lately"
        for keys, words in (((), "Follow-ups"), (("m", "m"), "my notes"), (("t",), "Themes"), (("u",), uncoached)):
            await pilot.press(*keys)
            await pilot.pause(0.2)
            shown = title(app)
            assert words.lower() in shown.lower(), shown
            assert Text(shown).cell_len <= size[0] - 2  # nothing cut at the bar's end
            assert "(f t u c" not in shown


@sizes
async def test_m2_e_explains_follow_ups_and_themes(sample_store, size):
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        table = await coaching(pilot)
        table.focus()
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
        shown = str(app.screen.query_one("#body").render())
        assert "follow-up date is today or earlier" in shown and "America/New_York" in shown
        await pilot.press("escape", "t")
        await wait_for(pilot, lambda: isinstance(app.screen, CoachingScreen) and app.screen.view == "themes")
        await wait_for(pilot, lambda: table.row_count == 6)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
        shown = str(app.screen.query_one("#body").render())
        assert "Canyon" in shown and "By ADKAR stage" in shown and "last 30 days" in shown


def _teams(store, note_ids: list[str]) -> set[str]:
    con = sqlite3.connect(store)
    try:
        marks = ", ".join("?" * len(note_ids))
        return {
            t
            for (t,) in con.execute(
                f"SELECT a.team FROM note n JOIN agent a ON a.id = n.agent_id WHERE n.id IN ({marks})", note_ids
            )
        }
    finally:
        con.close()


def _due(store, team: str | None = None) -> int:
    con = sqlite3.connect(store)
    try:
        return con.execute(
            "SELECT count(*) FROM note n JOIN agent a ON a.id = n.agent_id WHERE n.type = 'coaching'"
            " AND n.follow_up_on <= ? AND (? IS NULL OR a.team = ?)",
            (TODAY, team, team),
        ).fetchone()[0]
    finally:
        con.close()


@sizes
async def test_follow_ups_narrow_to_my_team_then_my_notes(sample_store, size):
    """Issue 15: m cycles all, my team (here, the team of the agent under the
    cursor: the store's token is for the whole floor), my notes; the title says which."""
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        write(sample_store, "n-mine", _note("Mine to follow up.", app.author(), follow_up_on=TODAY))
        table = await coaching(pilot)
        await wait_for(pilot, lambda: table.row_count == _due(sample_store))
        table.focus()
        team = _teams(sample_store, [table.coordinate_to_cell_key((0, 0)).row_key.value]).pop()
        await pilot.press("m")
        await wait_for(pilot, lambda: table.row_count == _due(sample_store, team))
        assert f"team {team}" in title(app)
        assert _teams(sample_store, [k.value for k in table.rows]) == {team}
        await pilot.press("m")
        await wait_for(pilot, lambda: table.row_count == 1)
        assert "my notes" in title(app)
        assert [k.value for k in table.rows] == ["n-mine"]
        assert caption(app).startswith("1 follow-up due today or overdue (0 overdue).")  # m23
        await pilot.press("m")
        await wait_for(pilot, lambda: table.row_count == _due(sample_store))
        assert "my notes" not in title(app) and "team" not in title(app).split("Coaching", 1)[1]


@sizes
async def test_my_team_is_the_tokens_when_the_hub_says(sample_store, size):
    engine = open_engine(sample_store)
    with engine.begin() as conn:
        save_token_scope(conn, TokenScope("Harbor lead", teams=("Harbor",)), SAMPLE_AT.timestamp())
    engine.dispose()
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        table = await coaching(pilot)
        await wait_for(pilot, lambda: app.scope is not None)
        await pilot.press("m")
        await wait_for(pilot, lambda: table.row_count == _due(sample_store, "Harbor"))
        assert "team Harbor" in title(app)
        assert _teams(sample_store, [k.value for k in table.rows]) == {"Harbor"}


@sizes
async def test_m23_counts_of_one_are_singular(sample_store, size):
    write(sample_store, "n-once", _note("Quokka drill went well."))
    app = make_app(sample_store, coaching=NOT_COACHED)
    async with app.run_test(size=size) as pilot:
        table = await coaching(pilot)
        await pilot.press("u")
        await wait_for(pilot, lambda: app.screen.view == "uncoached" and table.row_count == 1)
        assert caption(app).startswith("1 agent without a coaching note in 5 days")
        await pilot.press("slash", *"quokka", "enter")
        await wait_for(pilot, lambda: app.screen.view == "search" and table.row_count == 1)
        assert caption(app).startswith("1 note matches 'quokka'")
