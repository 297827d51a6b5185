"""Call history, a page at a time from SQLite (never the whole table in memory), searchable."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from console.store import CallRecord, Store
from console.ui.formatting import amd_cell, seconds, status_cell

PAGE = 100


class HistoryScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="history-back", tooltip="Back to the console."),
        Binding("n,pagedown", "next_page", "Older", id="history-next", tooltip="The next (older) page."),
        Binding("p,pageup", "previous_page", "Newer", id="history-previous", tooltip="The previous (newer) page."),
        Binding("slash", "search", "Search", id="history-search", tooltip="Numbers, ids or tag text."),
        Binding("enter", "open", "Detail", id="history-detail", tooltip="The call's timeline and request."),
    ]

    class Page(Message):
        def __init__(self, calls: list[CallRecord], total: int):
            super().__init__()
            self.calls = calls
            self.total = total

    class Opened(Message):
        def __init__(self, call: CallRecord):
            super().__init__()
            self.call = call

    def __init__(self, store: Store):
        super().__init__()
        self.store = store
        self.cursors: list[int | None] = [None]  # `before` of each page seen, for going back
        self.search = ""
        self.calls: list[CallRecord] = []

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search numbers, ids, tags (enter)", id="history-search", compact=True)
        yield Static("", id="history-title")
        yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#history-table", DataTable)
        for label, width in (("created", 19), ("profile", 14), ("to", 16), ("status", 12), ("amd", 8),
                             ("talk", 6), ("from", 16)):
            table.add_column(label, width=width)
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def load(self) -> None:
        calls = self.store.page(before=self.cursors[-1], limit=PAGE, search=self.search or None)
        self.post_message(self.Page(calls, self.store.count()))

    @on(Page)
    def show(self, message: Page) -> None:
        self.calls = message.calls
        table = self.query_one("#history-table", DataTable)
        table.clear()
        for call in message.calls:
            table.add_row(Text(call.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")), Text(call.profile),
                          Text(call.to_number or ""), status_cell(call), amd_cell(call), seconds(call.duration),
                          Text(call.from_number or ""), key=call.attempt_id)
        what = f"matching {self.search!r}" if self.search else f"of {message.total:,}"
        self.query_one("#history-title", Static).update(
            f"page {len(self.cursors)}: {len(message.calls)} call(s) {what}, newest first  (n older, p newer)")

    def action_next_page(self) -> None:
        if len(self.calls) == PAGE:
            self.cursors.append(self.calls[-1].id)
            self.load()

    def action_previous_page(self) -> None:
        if len(self.cursors) > 1:
            self.cursors.pop()
            self.load()

    def action_search(self) -> None:
        self.query_one("#history-search", Input).focus()

    @on(Input.Submitted, "#history-search")
    def searched(self, event: Input.Submitted) -> None:
        self.search = event.value.strip()
        self.cursors = [None]
        self.query_one("#history-table", DataTable).focus()
        self.load()

    @on(DataTable.RowSelected, "#history-table")
    def selected(self) -> None:
        self.action_open()  # the table takes enter for itself; its selection opens the call

    def action_open(self) -> None:
        table = self.query_one("#history-table", DataTable)
        if table.row_count:
            self.post_message(self.Opened(self.calls[table.cursor_row]))
