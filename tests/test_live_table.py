"""LiveTable: the cell cursor, the NO_COLOR cursor, and the fence around the
DataTable internals it relies on (a Textual upgrade that moves them must fail
here, loudly, not as a table that silently stops repainting)."""

from __future__ import annotations

import inspect

import pytest
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from floorview.tui.widgets.live_table import Column, LiveTable, _Internals

COLUMNS = [Column("name", "Name", 8), Column("a", "A", 4, "right"), Column("b", "B", 4, "right")]
ROWS = [(k, {"name": Text(k), "a": Text(str(i)), "b": Text(str(i * 10))}) for i, k in enumerate(["x", "y", "z"])]


class TableApp(App[None]):
    def __init__(self, cells: bool) -> None:
        super().__init__()
        self.cells = cells
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        yield LiveTable(id="t", cells=self.cells)

    def on_mount(self) -> None:
        table = self.query_one(LiveTable)
        table.set_columns(COLUMNS)
        table.sync(ROWS, reorder=True)
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.selected.append(event.row_key.value)


def test_the_internals_livetable_uses_are_there() -> None:
    """The privates `_Internals` touches exist, with the shapes it assumes."""
    table = LiveTable()
    for name in _Internals.NAMES:
        assert hasattr(table, name), f"DataTable.{name} is gone: LiveTable's fence needs updating"
    assert isinstance(table._data, dict) and isinstance(table._update_count, int)
    params = list(inspect.signature(DataTable._get_row_style).parameters)
    assert params == ["self", "row_index", "base_style"], params


async def test_arrows_move_a_cell_cursor_and_enter_opens_the_row() -> None:
    app = TableApp(cells=True)
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(LiveTable)
        assert (table.current_key, table.current_column) == ("x", "name")
        await pilot.press("down", "right", "right")
        assert (table.current_key, table.current_column) == ("y", "b")
        await pilot.press("enter")
        await pilot.pause()
        assert app.selected == ["y"]


async def test_the_cursor_row_stays_marked_under_a_cell_cursor() -> None:
    app = TableApp(cells=True)
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(LiveTable)
        await pilot.press("down", "right")
        await pilot.pause()
        mark = table.get_component_rich_style("livetable--cursor-row")
        base = Style()
        assert table._get_row_style(1, base) != table._get_row_style(0, base)
        assert table._get_row_style(1, base) == base + mark


async def test_a_row_table_keeps_the_row_cursor() -> None:
    app = TableApp(cells=False)
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(LiveTable)
        await pilot.press("down", "right", "enter")
        await pilot.pause()
        assert table.cursor_type == "row" and app.selected == ["y"]


@pytest.mark.parametrize("cells", [False, True])
async def test_no_color_cursor_is_reverse_video(monkeypatch: pytest.MonkeyPatch, cells: bool) -> None:
    """m17: under NO_COLOR the cursor must not be bold alone (a breach is bold)."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = TableApp(cells=cells)
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(LiveTable)
        await pilot.press("down")
        await pilot.pause()
        cursor = table.get_component_rich_style("datatable--cursor")
        assert cursor.reverse, cursor
        # What reaches the terminal: the cursor's cells are drawn reversed.
        line = table.render_line(2)  # header, x, y
        texts = [(seg.text, seg.style) for seg in line if seg.text.strip()]
        assert any(t.strip() == "y" and s is not None and s.reverse for t, s in texts), texts
