"""A DataTable that is kept current by row key, touching only the cells that changed.

Over a slow SSH link every repainted cell costs bytes: a refresh that
changes one agent's state should repaint one cell, not the table.

`cells=True` gives a cell cursor for tables whose figures `e` explains one by
one: left and right move between figures, the cursor's row stays marked, and
enter still opens the row. Under NO_COLOR the cursor is reverse video, not
bold alone (bold is how a breach reads).

Two things DataTable does not offer publicly (repainting one cell; a row mark
under a cell cursor) reach into its internals. They are fenced in
`_Internals`, the only code here that names a private of DataTable;
tests/test_live_table.py fails loudly if a Textual release changes them, and
pyproject pins Textual to the versions tested.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import JustifyMethod
from rich.style import Style
from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowDoesNotExist, RowKey

from floorview.tui.bindings import bind


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int | None = None
    justify: JustifyMethod = "left"


def _fit(value: Text | None, column: Column) -> Text:
    """Right-aligned columns are padded here: DataTable lays cells out flush left."""
    if value is None:
        return Text("")
    if column.justify == "right" and column.width and value.cell_len < column.width:
        value = value.copy()
        value.align("right", column.width)
    return value


def _sig(value: Text) -> tuple[Any, ...]:
    return (value.plain, str(value.style), tuple(value.spans))


class _Internals:
    """Every use of DataTable's private members, in one place (see the module
    docstring). `NAMES` is what tests/test_live_table.py checks against the
    installed Textual."""

    NAMES = ("_data", "_update_count", "_row_locations", "_column_locations", "_get_row_style")

    @staticmethod
    def set_cell(table: DataTable[Any], row: RowKey, col: ColumnKey, value: Text) -> None:
        table._data[row][col] = value
        table._update_count += 1  # the render caches are keyed by it
        y, x = table._row_locations.get(row), table._column_locations.get(col)
        if y is not None and x is not None:
            table.refresh_coordinate(Coordinate(y, x))

    @staticmethod
    def row_style(table: DataTable[Any], row_index: int, base_style: Style) -> Style:
        return DataTable._get_row_style(table, row_index, base_style)


class LiveTable(DataTable[Text]):
    BINDINGS = [bind("nav.open", "select_cursor")]
    COMPONENT_CLASSES = {"livetable--cursor-row"}
    DEFAULT_CSS = """
    LiveTable { height: 1fr; }
    LiveTable > .livetable--cursor-row { background: $primary 20%; }
    LiveTable.-no-color > .datatable--cursor { text-style: bold reverse; }
    LiveTable.-no-color > .livetable--cursor-row { text-style: underline; }
    """

    def __init__(self, *, cells: bool = False, **kwargs: Any) -> None:
        super().__init__(cursor_type="cell" if cells else "row", zebra_stripes=False, **kwargs)
        self._cells = cells
        self._shown: dict[str, dict[str, tuple[Any, ...]]] = {}
        self._order: list[str] = []
        self._columns_now: tuple[Column, ...] = ()
        self._restore: str | None = None
        if os.environ.get("NO_COLOR"):
            self.add_class("-no-color")

    # -- the cell cursor -------------------------------------------------------
    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        style = _Internals.row_style(self, row_index, base_style)
        if self._cells and row_index == self.cursor_coordinate.row and row_index >= 0:
            style += self.get_component_rich_style("livetable--cursor-row")
        return style

    def watch_cursor_coordinate(self, old: Coordinate, new: Coordinate) -> None:
        super().watch_cursor_coordinate(old, new)
        if self._cells and old.row != new.row:  # the row mark moves with the cell
            self.refresh_row(old.row)
            self.refresh_row(new.row)

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        """Enter (or a second click) on a cell opens its row, as in a row table."""
        if self._cells:
            event.stop()
            self.post_message(DataTable.RowSelected(self, event.coordinate.row, event.cell_key.row_key))

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Define the columns; a change of columns rebuilds the table."""
        columns = tuple(columns)
        if columns == self._columns_now:
            return
        self._columns_now = columns
        keep = self._current_key()
        self.clear(columns=True)
        self._shown.clear()
        self._order = []
        for c in columns:
            label = Text(c.label, justify=c.justify)
            self.add_column(label, width=c.width, key=c.key)
        self._restore = keep

    @property
    def columns_now(self) -> tuple[Column, ...]:
        return self._columns_now

    def _current_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except (CellDoesNotExist, RowDoesNotExist):
            return None

    @property
    def current_key(self) -> str | None:
        return self._current_key()

    @property
    def current_column(self) -> str | None:
        if not self._columns_now:
            return None
        col = min(self.cursor_coordinate.column, len(self._columns_now) - 1)
        return self._columns_now[col].key

    def sync(self, rows: Sequence[tuple[str, dict[str, Text]]], reorder: bool) -> int:
        """Make the table show `rows` in this order; returns how many cells were written.

        Rows are matched by key. Order is only changed when `reorder` is true or
        rows came or went, so a sorted table does not reshuffle under the cursor.
        """
        wanted = [key for key, _ in rows]
        cols = self._columns_now
        changed = set(wanted) != set(self._order)
        if changed or (reorder and wanted != self._order):
            return self._rebuild(rows, cols)
        written = 0
        with self.app.batch_update():
            for key, cells in rows:
                shown = self._shown[key]
                for col in cols:
                    value = _fit(cells.get(col.key), col)
                    sig = _sig(value)
                    if shown.get(col.key) != sig:
                        shown[col.key] = sig
                        self.set_cell(key, col.key, value)
                        written += 1
        return written

    def sync_column(self, column_key: str, values: dict[str, Text]) -> int:
        """Update one column of rows already shown (the once-a-second tick)."""
        column = next((c for c in self._columns_now if c.key == column_key), None)
        if column is None:
            return 0
        written = 0
        with self.app.batch_update():
            for key, value in values.items():
                shown = self._shown.get(key)
                if shown is None:
                    continue
                value = _fit(value, column)
                sig = _sig(value)
                if shown.get(column_key) != sig:
                    shown[column_key] = sig
                    self.set_cell(key, column_key, value)
                    written += 1
        return written

    def set_cell(self, row_key: str, column_key: str, value: Text) -> None:
        """DataTable.update_cell, repainting that one cell instead of the whole table.

        update_cell refreshes the widget entirely, so one ticking duration sent
        every visible line to the terminal once a second.
        """
        _Internals.set_cell(self, RowKey(row_key), ColumnKey(column_key), value)

    def _rebuild(self, rows: Sequence[tuple[str, dict[str, Text]]], cols: tuple[Column, ...]) -> int:
        keep = self._restore or self._current_key()
        self._restore = None
        scroll_y = self.scroll_y
        with self.app.batch_update():
            self.clear()
            self._shown = {}
            for key, cells in rows:
                values = [_fit(cells.get(col.key), col) for col in cols]
                self.add_row(*values, key=key)
                self._shown[key] = {col.key: _sig(v) for col, v in zip(cols, values)}
            self._order = [key for key, _ in rows]
            if keep is not None and keep in self._shown:
                self.move_cursor(row=self._order.index(keep), animate=False)
            self.scroll_to(y=scroll_y, animate=False, immediate=True)
        return len(rows) * len(cols)
