"""Huddle mode on a shared screen (usability walk m10, m11, m23, m25): figures
that scale with the terminal, a wallboard without footer or toasts, the site's
clock, figures that never break, the team's own talk/walk sentence, and each
customer's words once."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pytest
from textual.widgets import Footer

from floorview.cli import main
from floorview.tui.huddle.screen import HuddleScreen

from .conftest import SAMPLE_AT, make_app, settle, wait_for

NOW = SAMPLE_AT.timestamp()
DAY_START = datetime(2026, 11, 20, 5, 0, tzinfo=timezone.utc).timestamp()  # midnight EST, the sample's day
SIZES = [(80, 24), (120, 40), (200, 50)]
SIZE_IDS = ["80x24", "120x40", "200x50"]


async def open_huddle(pilot, team: str | None = None) -> HuddleScreen:
    app = pilot.app
    await settle(pilot)
    await pilot.press("h")
    await wait_for(pilot, lambda: isinstance(app.screen, HuddleScreen) and app.screen._huddle is not None)
    for _ in range(8):
        if app.screen.team == team:
            break
        await pilot.press("t")
        await wait_for(pilot, lambda: app.screen._huddle.team == app.screen.team)
    assert app.screen.team == team
    await pilot.pause(0.05)
    return app.screen


def rest_text(screen: HuddleScreen) -> str:
    """All of the rest of the huddle (some of it below the fold), spaces tidied."""
    return " ".join(screen.query_one("#rest").content.plain.split())


def rest_lines(screen: HuddleScreen) -> list[str]:
    """The rest of the huddle as laid out on screen, line by line."""
    rest = screen.query_one("#rest")
    return [line.text for line in rest.render_lines(rest.region.reset_offset)]


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_the_figures_scale_with_the_screen_and_fit_it(sample_store, size):
    # m25: the big digits were 3 rows tall on 200x50, the lower 60% of the screen empty.
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        screen = await open_huddle(pilot)
        tall = {key: screen.query_one(f"#{key}").region for key in ("sl", "answered", "asa")}
        heights = {r.height for r in tall.values()}
        assert len(heights) == 1  # the three alike
        height = heights.pop()
        assert height == {24: 3, 40: 9, 50: 15}[size[1]]
        for key, region in tall.items():  # whole on screen, three abreast
            assert region.right <= size[0] and region.bottom <= size[1], key
            label = screen.query_one(f"#{key}-label").region
            assert label.y == region.bottom and label.height == 1, key
        # What the figures say, whatever their size: the floor's voice answers today, counted here.
        con = sqlite3.connect(sample_store)
        answered = con.execute(
            "SELECT count(*) FROM interaction WHERE channel = 'voice' AND answered_at IS NOT NULL AND enqueued_at >= ?",
            (DAY_START,),
        ).fetchone()[0]
        assert screen.query_one("#answered").value == str(answered)
        assert screen.query_one("#rest").region.height >= 8


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_a_wallboard_has_no_footer_no_toasts_and_the_sites_clock(sample_store, size):
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        screen = await open_huddle(pilot)
        assert not screen.query_one(Footer).display
        app.notify("Zanzibarish toast", timeout=30)
        await pilot.pause(0.2)
        assert all(not rack.display for rack in screen.query("ToastRack"))
        assert "Zanzibarish" not in app.export_screenshot()
        marker = screen.query_one("#marker").render().plain
        assert f"{SAMPLE_AT.strftime('%H:%M')} {SAMPLE_AT.tzname()}" in marker  # 10:30 EST, the site's
        assert "no private notes or customer details" in marker
        await pilot.press("escape")  # nav.back leaves, as h does
        await wait_for(pilot, lambda: not isinstance(app.screen, HuddleScreen))
        assert app.screen.query_one(Footer).display


@pytest.mark.parametrize("size", [(64, 24), (80, 24), (120, 40)], ids=["64x24", "80x24", "120x40"])
async def test_the_agents_working_figure_never_breaks_over_two_lines(sample_store, size):
    # m25: at 80 columns "Agents" / "working now: 50 of 64".
    con = sqlite3.connect(sample_store)
    working, total = con.execute(
        "SELECT total(state IN ('available', 'on_contact', 'after_contact_work')), count(*) FROM agent"
    ).fetchone()
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        screen = await open_huddle(pilot)
        lines = rest_lines(screen)
        assert any(f"Agents working now: {int(working)} of {total}" in line for line in lines), lines
        assert not any(line.rstrip().endswith(("Agents", "Agents working", "Agents working now:")) for line in lines)


def keep_team_notes(store, team: str, keep: int) -> None:
    """Leave `team` with its newest `keep` team-visible coaching notes of the week."""
    con = sqlite3.connect(store)
    ids = [
        i
        for (i,) in con.execute(
            "SELECT n.id FROM note n JOIN agent a ON a.id = n.agent_id WHERE a.team = ? AND n.type = 'coaching'"
            " AND n.visibility = 'team' ORDER BY n.created_at DESC",
            (team,),
        )
    ]
    con.executemany("DELETE FROM note WHERE id = ?", [(i,) for i in ids[keep:]])
    con.commit()
    con.close()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_each_team_hears_its_own_talk_and_walk_or_none(sample_store, size, capsys):
    # m11: every team's huddle said the floor's sentence; a team with too few notes should get none.
    keep_team_notes(sample_store, "Meadow", 1)
    con = sqlite3.connect(sample_store)
    topics = [
        t
        for (t,) in con.execute(
            "SELECT n.topic FROM note n JOIN agent a ON a.id = n.agent_id WHERE a.team = 'Canyon'"
            " AND n.type = 'coaching' AND n.visibility = 'team' AND n.topic IS NOT NULL"
            " AND n.created_at >= ? AND n.created_at < ?",
            (NOW - 7 * 86400, NOW),
        )
    ]
    order = ["quality", "cost", "time", "risk"]
    top = max(set(topics), key=lambda t: (topics.count(t), -order.index(t)))
    share = round(topics.count(top) / len(topics) * 100)
    floor = [
        t
        for (t,) in con.execute(
            "SELECT topic FROM note WHERE type = 'coaching' AND visibility = 'team' AND topic IS NOT NULL"
            " AND created_at >= ? AND created_at < ?",
            (NOW - 7 * 86400, NOW),
        )
    ]
    floor_share = round(max(floor.count(t) for t in set(floor)) / len(floor) * 100)
    assert share != floor_share  # the team's sentence is told from the floor's
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        screen = await open_huddle(pilot, "Canyon")
        text = rest_text(screen)
        assert "Talk and walk: Canyon's coaching" in text
        assert f"{share}% of" in text and top.title() in text.split("Talk and walk")[1]
        assert "in team notes this week" in text  # not Balance's count of all notes: said so
        for _ in range(6):  # on to Meadow
            await pilot.press("t")
            await wait_for(pilot, lambda: screen._huddle.team == screen.team)
            if screen.team == "Meadow":
                break
        assert screen.team == "Meadow"
        text = rest_text(screen)
        assert "(1 note, no names)" in text  # m23
        assert "Talk and walk" not in text  # one note tells no trend
    assert main(["export", "huddle", "--db", str(sample_store), "--team", "Meadow", "--format", "md"]) == 0
    assert "Talk and walk" not in capsys.readouterr().out


async def test_each_customers_words_show_once(sample_store, capsys):
    # m11: "Friendly and knew exactly what to do." twice on the huddle and in the export.
    con = sqlite3.connect(sample_store)
    contacts = con.execute(
        "SELECT id, customer_id FROM interaction WHERE enqueued_at >= ? AND customer_id IS NOT NULL LIMIT 3",
        (DAY_START,),
    ).fetchall()
    words = ["Sorted in one call, thank you.", "sorted in one  call, thank you. ", "SORTED IN ONE CALL, THANK YOU."]
    for n, ((contact, customer), said) in enumerate(zip(contacts, words)):
        con.execute(
            "INSERT INTO survey (customer_id, interaction_id, answered_at, verbatim, id, version)"
            " VALUES (?, ?, ?, ?, ?, 1)",
            (customer, contact, NOW + 3600 + n, said, f"s-twice-{n}"),  # the newest the store holds
        )
    con.commit()
    app = make_app(sample_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_huddle(pilot)
        said = [line.strip() for line in rest_lines(screen) if line.strip().startswith("“")]
        assert len(said) == len({s.casefold() for s in said}) == 3, said
        assert sum("sorted in one call" in s.casefold() for s in said) == 1
    assert main(["export", "huddle", "--db", str(sample_store), "--format", "md"]) == 0
    quoted = [line for line in capsys.readouterr().out.splitlines() if line.startswith("> ")]
    assert len(quoted) == len({q.casefold() for q in quoted}) == 4
    assert sum("sorted in one call" in q.casefold() for q in quoted) == 1


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_the_figures_labels_each_hold_one_line(sample_store, size):
    """At 80 columns "answered by Canyon · voice" broke over two lines under its figure:
    the label says it shorter where it would not fit, still naming whose answers they are."""
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        screen = await open_huddle(pilot, "Canyon")
        await pilot.pause(0.2)
        for key in ("sl", "answered", "asa"):
            label = screen.query_one(f"#{key}-label")
            lines = [line.text.strip() for line in label.render_lines(label.region.reset_offset)]
            assert len([line for line in lines if line]) == 1, (key, lines)
        answered = str(screen.query_one("#answered-label").render())
        assert answered == ("answered by Canyon · voice" if size[0] >= 120 else "Canyon answered · voice"), answered


def test_coaching_theme_items_are_never_broken_over_two_lines():
    """The snapshot at 80 columns broke "cost · ability: 21" after "cost ·": items are packed whole."""
    from floorview.tui.huddle.cells import packed

    items = [
        f"{t} · {s}: {n}"
        for t, s, n in [
            ("cost", "desire", 25),
            ("cost", "awareness", 24),
            ("cost", "knowledge", 22),
            ("cost", "ability", 21),
            ("cost", "reinforcement", 21),
        ]
    ]
    text = packed(items, 78)
    lines = text.split("\n")
    assert all(len(line) <= 78 and line.startswith("  ") for line in lines)
    assert sorted(item for line in lines for item in line.strip().split("   ")) == sorted(items)
    assert lines[0] == "  cost · desire: 25   cost · awareness: 24   cost · knowledge: 22"
    assert packed(["a very long item"], 5) == "  a very long item"  # wider than the line: a line of its own
    assert packed([], 78) == ""
