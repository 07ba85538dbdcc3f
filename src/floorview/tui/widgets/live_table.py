"""A DataTable that is kept current by row key, touching only the cells that changed.

Over a slow SSH link every repainted cell costs bytes: a refresh that
changes one agent's state should repaint one cell, not the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.coordinate import Coordinate
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowDoesNotExist, RowKey


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int | None = None
    justify: str = "left"


def _fit(value: Text | None, column: Column) -> Text:
    """Right-aligned columns are padded here: DataTable lays cells out flush left."""
    if value is None:
        return Text("")
    if column.justify == "right" and column.width and value.cell_len < column.width:
        value = value.copy()
        value.align("right", column.width)
    return value


def _sig(value: Text) -> tuple:
    return (value.plain, str(value.style), tuple(value.spans))


class LiveTable(DataTable):
    BINDINGS = [Binding("enter", "select_cursor", "Open", id="table.open")]
    DEFAULT_CSS = """
    LiveTable { height: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._shown: dict[str, dict[str, tuple]] = {}
        self._order: list[str] = []
        self._columns_now: tuple[Column, ...] = ()

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
        row, col = RowKey(row_key), ColumnKey(column_key)
        self._data[row][col] = value
        self._update_count += 1  # the render caches are keyed by it
        self.refresh_coordinate(Coordinate(self._row_locations.get(row), self._column_locations.get(col)))

    def _rebuild(self, rows, cols) -> int:
        keep = getattr(self, "_restore", None) or self._current_key()
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
