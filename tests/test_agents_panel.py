"""The Agents panel (issue 15): the list and an agent's page, from the keyboard
at 80x24 and 120x40, for each defect of the walk it fixed (M7, m2-m6, m10,
m14, m23, m29) and its ways to other panels (nav messages)."""

from __future__ import annotations

import sqlite3

import pytest
from rich.text import Text

from floorview.domain.vocabulary import STATE_LABELS
from floorview.tui import nav
from floorview.tui.agents.page import AgentPageScreen
from floorview.tui.agents.screen import AgentsScreen
from floorview.tui.modals.explain import ExplainScreen
from floorview.tui.widgets.live_table import LiveTable

from .conftest import make_app, settle, wait_for

SIZES = [(80, 24), (120, 40)]
AGENT = "a-0025"  # Oli Berg: on a contact, with figures today (17 handled) and the days before, and 8 notes
sizes = pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")


def column(table: LiveTable, key: str) -> list[str]:
    return [table.get_cell(row.value, key).plain.strip() for row in table.rows]


def title_text(app) -> Text:
    rendered = app.screen.query_one("#titlebar").render()
    return rendered if isinstance(rendered, Text) else Text(str(rendered))


def explained(app) -> tuple[str, str]:
    assert isinstance(app.screen, ExplainScreen)
    body = " ".join(str(app.screen.query_one("#body").render()).split())  # as read, whatever the wrapping
    return str(app.screen.query_one("#title").render()), body


def db(store, sql: str, *params) -> list[tuple]:
    con = sqlite3.connect(store)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


async def agents_screen(pilot) -> LiveTable:
    await settle(pilot)
    await pilot.press("2")
    table = await settle(pilot, "#agents")
    assert isinstance(pilot.app.screen, AgentsScreen)
    return table


async def agent_page(pilot, agent_id: str) -> AgentPageScreen:
    table = await agents_screen(pilot)
    table.move_cursor(row=[k.value for k in table.rows].index(agent_id))
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, AgentPageScreen) and pilot.app.screen._page is not None)
    await settle(pilot, "#notes", rows=False)
    return pilot.app.screen


# -- M7: a cell cursor, and `e` explains the cell under it -------------------------------
@pytest.mark.parametrize("size", [*SIZES, (160, 40)], ids=lambda s: f"{s[0]}x{s[1]}")  # 160: Serves too
async def test_e_explains_each_cell_of_a_row_from_the_keyboard(sample_store, size):
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        table = await agents_screen(pilot)
        keys = [c.key for c in table.columns_now]
        seen: dict[str, tuple[str, str]] = {}
        for i, key in enumerate(keys):
            if i:
                await pilot.press("right")
            assert table.current_column == key
            await pilot.press("e")
            seen[key] = explained(app)
            await pilot.press("escape")
            assert isinstance(app.screen, AgentsScreen)
        name = table.get_row_at(0)[0].plain.strip()
        titles = [t for t, _ in seen.values()]
        bodies = [b for _, b in seen.values()]
        assert len(set(titles)) == len(keys) and len(set(bodies)) == len(keys)  # each column its own
        assert all(t.startswith(f"{name}: ") for t in titles)
        assert seen["aht"][0] == f"{name}: AHT today" and "(talk + after-contact work) / handled" in seen["aht"][1]
        assert "agents.time_in_state" in seen["time"][1] and "now minus when it began" in seen["time"][1]
        assert "quality score" in seen["qa"][1] and "answered and ended" in seen["handled"][1]
        assert "● Available" in seen["state"][1] and "◑ Wrap-up" in seen["state"][1]
        if size[0] >= 110:
            assert {"team", "reason"} <= set(seen)
        if size[0] >= 150:
            assert "the queues the agent is staffed on" in seen["serves"][1]
        # the cursor goes back left as well, and enter still opens the row's agent
        await pilot.press("left")
        assert table.current_column == keys[-2]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AgentPageScreen))
        assert app.screen.agent_name == name


# -- m5: one word per state ---------------------------------------------------------------
@sizes
async def test_one_word_per_state_in_table_title_filter_and_page(sample_store, size):
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        table = await agents_screen(pilot)
        for state, label in STATE_LABELS.items():
            await pilot.press("f")
            assert f"state: {label}" in title_text(app).plain
            if state != "not_ready" or size[0] >= 110:  # narrow, a Not ready cell shows the reason
                assert set(column(table, "state")) <= {f"{s} {label}" for s in "●◉◑○·"}
        await pilot.press("f")  # everyone again
        wrap_up = [r.value for r in table.rows if "Wrap-up" in table.get_cell(r.value, "state").plain]
        assert wrap_up and not any("after contact" in table.get_cell(r, "state").plain for r in wrap_up)
        table.move_cursor(row=[k.value for k in table.rows].index(wrap_up[0]))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AgentPageScreen) and app.screen._page is not None)
        who = str(app.screen.query_one("#who").render())
        assert "Wrap-up for" in who and "after contact" not in who


@sizes
async def test_state_filter_finds_what_the_state_column_shows(sample_store, size):
    on_break = {
        name for (name,) in db(sample_store, "SELECT name FROM agent WHERE state = 'not_ready' AND reason = 'break'")
    }
    assert on_break
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        table = await agents_screen(pilot)
        await pilot.press("slash", *"state:break")
        await pilot.pause()
        assert set(column(table, "name")) == on_break
        if size[0] < 110:
            assert set(column(table, "state")) == {"○ Break"}  # as the column shows it
        else:
            assert set(column(table, "state")) == {"○ Not ready"} and set(column(table, "reason")) == {"break"}
        await pilot.press("ctrl+a", "ctrl+k", *"state:wrap-up")  # the label, as the id still does
        await pilot.pause()
        assert table.row_count and set(column(table, "state")) == {"◑ Wrap-up"}


# -- m6: after a sort, the top of the list --------------------------------------------------
@sizes
async def test_a_sort_shows_the_top_with_the_cursor_on_the_first_row(sample_store, size):
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        table = await agents_screen(pilot)
        for _ in range(40):
            await pilot.press("down")
        await pilot.pause()
        assert table.scroll_y > 0
        for sort in ("state", "time", "handled", "name"):
            await pilot.press("s")
            await pilot.pause()
            assert sort in title_text(app).plain
            assert table.cursor_coordinate.row == 0 and table.scroll_y == 0
        first = table.get_row_at(0)[0].plain.strip()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AgentPageScreen))
        assert app.screen.agent_name == first


# -- m3: the active filter whole in the title ------------------------------------------------
@sizes
async def test_the_title_shows_the_active_filters_whole(sample_store, size):
    app = make_app(sample_store, show_clock=True)
    async with app.run_test(size=size) as pilot:
        await agents_screen(pilot)
        await pilot.press("t", "t", "s", "s")  # the second team, sorted by time in state
        for _ in range(4):
            await pilot.press("f")  # Not ready, the longest label
        title = title_text(app)
        team = sorted({t for (t,) in db(sample_store, "SELECT team FROM agent")})[1]
        assert f"team: {team}" in title.plain and "state: Not ready" in title.plain
        assert title.cell_len <= size[0] - 2  # all of it in the bar: nothing cut off


# -- m2, m29: the agent page's figures and their explanation ---------------------------------
@sizes
async def test_the_page_says_so_far_dates_qa_scores_and_explains_its_trends(sample_store, size):
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        page = await agent_page(pilot, AGENT)
        figures = page.query_one("#figures", LiveTable)
        today = figures.get_cell("handled", "today").plain.strip()
        assert today.endswith(" so far") and figures.get_cell("handled", "week").plain.strip().endswith("/day")
        trends = {figures.get_cell(k, "trend").plain.strip() for k in ("aht", "qa", "resolved")}
        assert trends <= {"▲ better", "▲ worse", "▼ better", "▼ worse", "→ steady", ""} and trends - {""}
        qa = str(page.query_one("#qa").render())
        (at,) = db(sample_store, "SELECT max(enqueued_at) FROM interaction WHERE agent_id = ? AND qa_score", AGENT)[0]
        newest = "today" if app.site.today(at) == app.site.today(app.clock.now()) else app.site.fmt(at, "%d %b")
        assert qa.startswith("Latest QA  " + newest)
        await pilot.press("e")
        title, body = explained(app)
        assert title.endswith("today against the week")
        assert f"{today.split()[0]} contacts answered and ended so far today" in body
        for word in trends - {""}:
            assert f"{word}: " in body  # each trend word on show, with its figures
        assert "better or worse says which way is good" in body and "within 15 s for AHT" in body
        assert "(talk + after-contact work) / handled" in body and "The note under the cursor" in body


# -- m14, m4: the notes list: authors, and no text cut mid-word -------------------------------
@sizes
async def test_the_notes_show_their_authors_and_are_never_cut_mid_word(sample_store, size):
    notes = {
        nid: (author, body)
        for nid, author, body in db(sample_store, "SELECT id, author, body FROM note WHERE agent_id = ?", AGENT)
    }
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        page = await agent_page(pilot, AGENT)
        table = page.query_one("#notes", LiveTable)
        assert table.row_count == len(notes)
        width = next(c.width for c in table.columns_now if c.key == "body")
        for row in table.rows:
            author, body = notes[row.value]
            assert table.get_cell(row.value, "author").plain == author
            shown, whole = table.get_cell(row.value, "body").plain, " ".join(body.split())
            assert len(shown) <= width
            if shown != whole:  # cut between words, and says so
                assert shown.endswith("…") and whole.startswith(shown[:-1]) and whole[len(shown) - 1] == " "
        for row in range(min(3, table.row_count)):  # the note under the cursor, whole, below the list
            table.move_cursor(row=row)
            await pilot.pause()
            key = table.coordinate_to_cell_key((row, 0)).row_key.value
            assert " ".join(notes[key][1].split()) in str(page.query_one("#note").render())


# -- m10: no verdict while catching up ----------------------------------------------------------
@sizes
async def test_no_marks_or_trend_words_while_catching_up(sample_store, size):
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        table = await agents_screen(pilot)
        assert any(cell.endswith(("!", "·")) for cell in column(table, "time"))  # caught up: marks
        app._source_state = ("catching up", "3 pages")
        app._tick()
        await pilot.pause()
        assert not any(cell.endswith(("!", "·")) for cell in column(table, "time"))
        while table.current_column != "time":
            await pilot.press("right")
        await pilot.press("e")
        assert "catching up: no marks" in explained(app)[1]
        await pilot.press("escape")
        app._source_state = ("live", None)
        page = await agent_page(pilot, AGENT)
        app._source_state = ("catching up", "3 pages")
        app.request_load(force=True)
        figures = page.query_one("#figures", LiveTable)
        await wait_for(pilot, lambda: figures.get_cell("aht", "trend").plain.strip() == "catching up")
        words = " ".join(figures.get_cell(k, "trend").plain for k in ("aht", "qa", "resolved"))
        assert not any(mark in words for mark in ("▲", "▼", "→", "better", "worse"))


# -- m23: singular forms -------------------------------------------------------------------------
@sizes
async def test_one_note_is_one_note(sample_store, size):
    con = sqlite3.connect(sample_store)
    with con:
        keep = con.execute("SELECT min(id) FROM note WHERE agent_id = ?", (AGENT,)).fetchone()[0]
        con.execute("DELETE FROM note WHERE agent_id = ? AND id != ?", (AGENT, keep))
    con.close()
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        await agent_page(pilot, AGENT)
        assert "│ 1 note" in title_text(app).plain and "1 notes" not in title_text(app).plain


# -- the ways out: nav messages, and no store read on the event loop -----------------------------
@sizes
async def test_customer_note_and_page_open_through_nav_messages(sample_store, size):
    from floorview.tui.coaching.editor import NoteEditor
    from floorview.tui.customers.card import CustomerCardScreen

    serving = dict(
        db(
            sample_store,
            "SELECT a.id, i.customer_id FROM agent a JOIN interaction i ON i.id = a.interaction_id"
            " WHERE i.customer_id IS NOT NULL",
        )
    )
    idle = db(sample_store, "SELECT id FROM agent WHERE interaction_id IS NULL LIMIT 1")[0][0]
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        table = await agents_screen(pilot)
        posted: list[object] = []
        screen = app.screen
        original = screen.post_message
        screen.post_message = lambda m: (posted.append(m), original(m))[1]  # type: ignore[method-assign]
        agent = next(iter(serving))
        table.move_cursor(row=[k.value for k in table.rows].index(agent))
        reader, app.reader = app.reader, None  # the customer is in the loaded data: nothing to read
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerCardScreen))
        assert [m.customer_id for m in posted if isinstance(m, nav.OpenCustomer)] == [serving[agent]]
        app.reader = reader
        app.pop_screen()
        await wait_for(pilot, lambda: app.screen is screen)
        table.move_cursor(row=[k.value for k in table.rows].index(idle))
        await pilot.press("c")  # serving nobody: says so, opens nothing
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteEditor))
        assert [m.agent_id for m in posted if isinstance(m, nav.NewNote)] == [idle]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AgentPageScreen))
        assert [m.agent_id for m in posted if isinstance(m, nav.OpenAgent)] == [idle]


def test_a_note_is_cut_between_words_in_cells_not_characters():
    from rich.cells import cell_len

    from floorview.tui.format import words_to

    assert words_to("Listened to call 4: good empathy, missed the hold script", 28) == "Listened to call 4: good…"
    assert words_to("  two\nlines  ", 20) == "two lines"
    wide = words_to("日本語のテキスト 日本語のテキスト 日本語のテキスト", 20)
    assert wide == "日本語のテキスト…" and cell_len(wide) <= 20
    assert words_to("Supercalifragilisticexpialidocious word", 10) == "Supercali…"  # one long word: cut, marked
