"""The tables' common ground: vim keys, `/` to filter, and a filter box that any table can sit in."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input


class SortText(Text):
    """A cell that sorts by something other than what it shows (DataTable.sort sees cells only)."""

    def __init__(self, text: str, sort_key: Any, **kw: Any):
        super().__init__(text, **kw)
        self.sort_key = sort_key


class VimTable(DataTable):
    """A table of rows with the same movement keys everywhere: j k g G beside the arrows and page keys."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="row-down", tooltip="Next row."),
        Binding("k", "cursor_up", "Up", show=False, id="row-up", tooltip="Previous row."),
        Binding("g", "scroll_top", "Top", show=False, id="row-first", tooltip="First row."),
        Binding("G", "scroll_bottom", "Bottom", show=False, id="row-last", tooltip="Last row."),
    ]

    def __init__(self, **kw: Any):
        kw.setdefault("cursor_type", "row")
        kw.setdefault("zebra_stripes", True)
        super().__init__(**kw)


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
    def open_filter(self, event: ConsoleTable.FilterRequested) -> None:
        event.stop()
        box = self.query_one("Input.filter", Input)
        box.add_class("shown")
        box.focus()

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
