"""The tables' common ground: vim keys, `/` to filter, and a filter box that any table can sit in."""

from __future__ import annotations

import re
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input
from textual.widgets.data_table import ColumnKey


class SortText(Text):
    """A cell that sorts by something other than what it shows (DataTable.sort sees cells only)."""

    def __init__(self, text: str, sort_key: Any, **kw: Any):
        super().__init__(text, **kw)
        self.sort_key = sort_key


def number_cell(value: int | float, shown: str | None = None) -> SortText:
    """A count (or `shown` for it) that sorts as a number, not as text (2 before 10)."""
    return SortText(str(value) if shown is None else shown, (0, value, ""))


_DURATION = re.compile(r"^(?:(\d+)m)?(\d+)s$|^(\d+)h(\d+)m$")


def sort_value(cell: Any) -> Any:
    """How a cell sorts: by its own key when it has one, a duration (4s, 1m02s, 1h58m) by its seconds, text
    without regard to case; the empty first."""
    key = getattr(cell, "sort_key", None)
    if key is not None:
        return key
    text = str(cell).strip()
    found = _DURATION.match(text)
    if found and found.group(2) is not None:
        return (0, int(found.group(1) or 0) * 60 + int(found.group(2)), "")
    if found:
        return (0, int(found.group(3)) * 3600 + int(found.group(4)) * 60, "")
    return (1, 0, text.lower())


_PLAIN = Style()
_BY_IDENTITY = "identity"


def _looks(value: object) -> tuple[Any, ...]:
    """What a cell's drawing depends on: text by its characters and styles (equal cells in any row draw
    alike), plain values by value, anything else by identity (DataTable replaces a cell, never edits it)."""
    if isinstance(value, Text):
        return ("text", value.plain, tuple(value.spans), value.style, value.justify, value.overflow,
                value.no_wrap, value.end, value.tab_size)
    if value is None or isinstance(value, (str, int, float)):
        return ("value", type(value), value)
    return (_BY_IDENTITY, id(value))


class VimTable(DataTable):
    """A table of rows with the same keys everywhere: j k g G beside the arrows and page keys, and
    sorting by any column (s: the next column, S: the other way, or a click on its header)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="row-down", tooltip="Next row."),
        Binding("k", "cursor_up", "Up", show=False, id="row-up", tooltip="Previous row."),
        Binding("g", "scroll_top", "Top", show=False, id="row-first", tooltip="First row."),
        Binding("G", "scroll_bottom", "Bottom", show=False, id="row-last", tooltip="Last row."),
        Binding("s", "sort_next", "Sort", show=False, id="sort-next", tooltip="Sort by the next column."),
        Binding("S", "sort_reverse", "Reverse", show=False, id="sort-reverse", tooltip="Sort the other way."),
    ]

    def __init__(self, **kw: Any):
        kw.setdefault("cursor_type", "row")
        kw.setdefault("zebra_stripes", True)
        # Cell drawings by what they show: DataTable keys its own on a count that any change to any row
        # moves on, so a live log drew every visible cell again at each update, though most cells read
        # as others already drawn (a status, a profile, a second on the clock). Kept without the row's
        # stripe and place, which change as new rows push it down.
        self._drawn: LRUCache[tuple[Any, ...], tuple[Any, list[list[Segment]]]] = LRUCache(10_000)
        super().__init__(**kw)
        self.sort_by: ColumnKey | None = None  # None: the table's own order
        self.sort_reverse = False
        self._labels: dict[ColumnKey, Text] = {}
        self._widths: dict[ColumnKey, int] = {}  # each column's own width, before an arrow widened it

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        if row_index < self.fixed_rows or column_index < self.fixed_columns:  # the header, labels, fixed cells
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        value = self._data.get(row_key, {}).get(column_key)
        row = self.rows.get(row_key)
        looks = _looks(value)
        key = (looks, width, cursor, hover, self.show_cursor, self._show_hover_cursor,
               self._pseudo_class_state, row.height if row else None)
        kept = self._drawn.get(key)
        if kept is None or (kept[0] is not None and kept[0] is not value):
            drawn = super()._render_cell(row_index, column_index, _PLAIN, width, cursor, hover)
            kept = (value if looks[0] == _BY_IDENTITY else None, drawn)
            self._drawn[key] = kept
        # The stripe under it, and where a click lands (the place in the drawing kept is overridden).
        place = Style.from_meta({"row": row_index, "column": column_index})
        return [list(Segment.apply_style(line, base_style, place)) for line in kept[1]]

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._drawn.clear()

    def notify_style_update(self) -> None:
        self._drawn.clear()
        super().notify_style_update()

    def action_sort_next(self) -> None:
        keys = list(self.columns)
        if not keys:
            return
        at = keys.index(self.sort_by) + 1 if self.sort_by in keys else 0
        self.sort_on(keys[at % len(keys)], reverse=False)

    def action_sort_reverse(self) -> None:
        if self.sort_by is None:
            self.action_sort_next()
        self.sort_on(self.sort_by, reverse=not self.sort_reverse)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_on(event.column_key, reverse=not self.sort_reverse if event.column_key == self.sort_by else False)

    def sort_on(self, column: ColumnKey | None, reverse: bool) -> None:
        self.sort_by, self.sort_reverse = column, reverse
        for key, col in self.columns.items():  # the sorted column's header says so, and which way
            plain = self._labels.setdefault(key, col.label.copy())
            col.label = Text.assemble(plain, (" ▼" if reverse else " ▲") if key == column else "")
            if not col.auto_width:  # a label that fills its column keeps room for the arrow while sorted
                col.width = max(self._widths.setdefault(key, col.width), col.label.cell_len)
        self._require_update_dimensions = True  # the columns' widths may have changed
        self.apply_sort()
        self.refresh()

    def apply_sort(self) -> bool:
        """Sort by the operator's column, if one is chosen (after rows are added or rebuilt); True if so."""
        if self.sort_by is None or self.sort_by not in self.columns or not self.row_count:
            return False
        chosen = self.coordinate_to_cell_key(self.cursor_coordinate).row_key if self.row_count else None
        self.sort(self.sort_by, key=sort_value, reverse=self.sort_reverse)
        if chosen is not None and chosen in self.rows:  # the cursor stays with its row
            self.move_cursor(row=self.get_row_index(chosen), animate=False)
        return True


class ConsoleTable(VimTable):
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="filter", tooltip="Show only the rows containing some text."),
    ]

    class FilterRequested(Message):
        pass

    def __init__(self, **kw: Any):
        super().__init__(**kw)
        self.filter_text = ""

    def action_filter(self) -> None:
        if isinstance(self.parent, FilterBox):  # at once: the keys typed right behind `/` belong in the filter
            self.parent.open_filter()
        else:
            self.post_message(self.FilterRequested())

    def apply_filter(self, text: str) -> None:
        """Show only rows containing `text` (case-insensitive); subclasses rebuild their rows."""
        self.filter_text = text.strip().lower()
        self.rebuild()

    def rebuild(self) -> None:
        raise NotImplementedError

    def matches(self, *fields: object) -> bool:
        return not self.filter_text or any(self.filter_text in str(f).lower() for f in fields if f)


class FilterBox(Vertical):
    """A table with a filter line under it that `/` opens and `esc` closes."""

    DEFAULT_CSS = """
    FilterBox { height: 1fr; }
    FilterBox > DataTable { height: 1fr; }
    FilterBox > Input.filter { display: none; }
    FilterBox > Input.filter.shown { display: block; }
    """

    def __init__(self, table: ConsoleTable, **kw: Any):
        super().__init__(**kw)
        self.table = table

    def compose(self) -> ComposeResult:
        yield self.table
        yield Input(placeholder="filter (esc clears)", classes="filter", compact=True)

    @on(ConsoleTable.FilterRequested)
    def filter_requested(self, event: ConsoleTable.FilterRequested) -> None:
        event.stop()
        self.open_filter()

    def open_filter(self) -> None:
        box = self.query_one("Input.filter", Input)
        box.add_class("shown")
        # Focused now, not when the app next gets to it (`focus()`): the console lets the key after `/` go
        # once `/` has been handled, and it goes where the focus is.
        self.screen.set_focus(box)

    @on(Input.Changed, ".filter")
    def filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.table.apply_filter(event.value)

    @on(Input.Submitted, ".filter")
    def filter_kept(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    def key_escape(self) -> None:
        box = self.query_one("Input.filter", Input)
        if box.has_focus or box.value:
            box.value = ""
            box.remove_class("shown")
            self.table.apply_filter("")
            self.table.focus()
