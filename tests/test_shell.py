"""The app's shell on every screen: the footer always offers `?`, the title
names the screens and keeps the view's state whole, help and the palette list
each intent once (screens and actions first), and `[keys]` is checked."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette

from textual.widgets._footer import FooterKey

from floorview.config import ConfigError, load_settings
from floorview.intents import INTENTS
from floorview.tui.modals.keys import KeysScreen
from tests.conftest import make_app, settle

SCREENS = {
    "1": "Queues",
    "2": "Agents",
    "3": "Balance",
    "4": "Coaching",
    "5": "Customers",
    "6": "Recovery",
    "7": "Alerts",
}


def _line(app, selector: str) -> str:
    """What the terminal shows of one widget's first line."""
    widget = app.screen.query_one(selector)
    return "".join(seg.text for seg in widget.render_line(0))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_screen_offers_help_in_the_footer_and_names_itself(sample_store, size) -> None:
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key, name in SCREENS.items():
            await pilot.press(key)
            await pilot.pause(0.3)
            keys = list(app.screen.query(FooterKey))
            first = keys[0]
            assert first.key == "question_mark", (name, [k.key for k in keys])
            assert first.region.width > 0 and first.region.right <= size[0], (name, first.region)
            title = _line(app, "#titlebar")
            assert f"{key} {name}" in title, (name, title)
            # The other screens are named, not only numbered, wherever they fit.
            if size[0] >= 120:
                others = [f"{k} {n[:3]}" for k, n in SCREENS.items() if k != key]
                assert all(o in title for o in others), title


@pytest.mark.parametrize("size", [(60, 24), (80, 24), (120, 40)])
async def test_the_footer_shows_whole_keys_only_and_all_of_them_when_it_can(sample_store, size) -> None:
    """A key that does not fit beside the palette key is left out, never shown cut
    ("h H" for "h Huddle"); `?` lists them all. Widened, the footer shows them again."""
    app = make_app(sample_store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key in ("2", "5", "1"):
            await pilot.press(key)
            keys, shown, edge = await _footer(pilot, app, size[0])
            assert shown and shown[0].key == "question_mark"
            assert all(k.region.right <= edge for k in shown), [(k.key, k.region) for k in shown]
            left_out = [k for k in keys if not k.display]
            assert all(keys.index(k) > keys.index(shown[-1]) for k in left_out)  # from the right only
        if size[0] < 120:
            assert left_out  # at this width Queues has more keys than room
            await pilot.resize_terminal(160, 40)
            for _ in range(30):
                await pilot.pause(0.1)
                if all(k.display for k in app.screen.query(FooterKey)):
                    break
            assert all(k.display for k in app.screen.query(FooterKey))


async def _footer(pilot, app, width: int):
    """The footer once laid out (a busy machine takes a few frames): its keys, those
    shown (the palette key apart), and where the palette key begins."""
    for _ in range(30):
        await pilot.pause(0.1)
        keys = list(app.screen.query(FooterKey))
        palette = [k for k in keys if k.has_class("-command-palette")]
        edge = palette[0].region.x if palette else width
        shown = [k for k in keys if k.display and not k.has_class("-command-palette")]
        if shown and all(k.region.width and k.region.right <= edge for k in shown):
            break
    return keys, shown, edge


async def test_help_lists_each_intent_once_with_all_its_keys(sample_store) -> None:
    app = make_app(sample_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await pilot.pause(0.5)
        await pilot.press("question_mark")
        assert isinstance(app.screen, KeysScreen)
        keys = str(app.screen.query_one("#keys").render())
        lines = [line for line in keys.splitlines() if line.strip()]
        heavier = [line for line in lines if "balance.heavier" in line]
        assert len(heavier) == 1 and "+" in heavier[0] and "=" in heavier[0], heavier
        ids = [line.split()[-1] for line in lines if line.split() and line.split()[-1] in INTENTS]
        assert len(ids) == len(set(ids)), ids
        # This screen's keys come before the screens and the app's; Textual's own
        # bindings (copy, focus previous) are not listed one by one.
        assert keys.index("This screen") < keys.index("Screens") < keys.index("Anywhere")
        assert "Copy selected text" not in keys and "Focus Previous" not in keys
        assert "move the cursor" in keys


async def test_the_palette_offers_screens_and_actions_before_anything_else(sample_store) -> None:
    app = make_app(sample_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.pause(0.5)
        from textual.widgets import OptionList

        options = app.screen.query_one(OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(min(6, options.option_count))]
        assert shown[0].startswith("Queues"), shown
        assert not any("Cursor" in s for s in shown), shown


def test_an_unknown_binding_id_is_refused_like_an_unknown_setting(tmp_path) -> None:
    """m16: a typo in [keys] is named, not silently ignored."""
    config = tmp_path / "floorview.toml"
    config.write_text('[keys]\n"app.pauze" = "space"\n')
    with pytest.raises(ConfigError, match=r"app\.pauze: unknown binding id"):
        load_settings(config)
    config.write_text('[keys]\n"app.pause" = "space"\n')
    assert load_settings(config).keys == {"app.pause": "space"}


async def test_one_line_remaps_an_intent_on_every_screen(sample_store) -> None:
    """view.sort is Sort on Queues and on Agents: one line moves both."""
    app = make_app(sample_store, keys={"view.sort": "o"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        title = _line(app, "#titlebar")
        await pilot.press("o")
        await pilot.pause(0.3)
        assert _line(app, "#titlebar") != title  # Queues' sort moved on
        await pilot.press("2")
        await settle(pilot, "#agents")
        title = _line(app, "#titlebar")
        await pilot.press("o")
        await pilot.pause(0.3)
        assert _line(app, "#titlebar") != title


def test_paused_or_stale_data_is_never_just_now() -> None:
    """m7: "as of just now" only for a live feed; otherwise when, and how long ago in words."""
    from floorview.domain.sitetime import SiteTime
    from floorview.tui.widgets.status import as_of

    site = SiteTime("America/New_York", "setting")
    taken = 1_763_652_600.0  # 2025-11-20 10:30 EST
    assert as_of(taken, taken + 5, site) == "as of just now"
    assert as_of(taken, taken + 5, site, live=False) == "as of 10:30:00 EST, seconds ago"
    assert as_of(taken, taken + 25, site, live=False) == "as of 10:30:00 EST, 20 s ago"
    assert as_of(taken, taken + 100, site, live=False).endswith(", 1 min ago")


async def test_a_paused_screen_says_how_old_its_data_grows(sample_store) -> None:
    import sqlite3

    from floorview.store.reads import store_status

    with sqlite3.connect(sample_store) as con:  # a store a hub keeps, not a snapshot
        con.execute("UPDATE sync_state SET source = 'hub' WHERE id = 1")
    app = make_app(sample_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app._source_state = ("live", None)  # as a live sync would report
        synced = store_status(app.reader).last_success_at or 0.0
        app.clock.set(synced + 5)
        app.refresh_status()
        assert "as of just now" in _line(app, "StatusLine")
        await pilot.press("p")
        app.clock.set(synced + 125)
        app.refresh_status()
        await pilot.pause()
        line = _line(app, "StatusLine")
        assert "PAUSED" in line and "just now" not in line and "2 min ago" in line, line
