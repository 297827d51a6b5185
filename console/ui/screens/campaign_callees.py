"""One campaign's callees: where each stands, its outcome and tries, its newest call (enter opens it)."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from console.campaigns import progress
from console.campaigns.progress import Campaign
from console.status import CallStatus
from console.store import Store
from console.ui.screens.call_detail import CallDetailScreen
from console.ui.widgets.footer import KeysFooter
from console.ui.widgets.tables import VimTable, number_cell

_STATE_STYLE = {"calling": "yellow", "waiting": "", "done": "bold", "skipped": "dim"}
FINAL = frozenset(s.value for s in CallStatus if s.final)


class CampaignCallees(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="callees-back", tooltip="Back to the campaigns."),
        Binding("enter", "open", "Last call", id="callees-call", tooltip="The callee's newest call in detail."),
    ]

    class Read(Message):
        def __init__(self, rows: list[dict[str, object]]) -> None:
            super().__init__()
            self.rows = rows

    def __init__(self, store: Store, campaign: Campaign) -> None:
        super().__init__()
        self.store = store
        self.campaign = campaign
        self.rows: list[dict[str, object]] = []

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble(("callees of ", "bold"), (self.campaign.name, "bold")), id="callees-title")
        yield VimTable(id="callees-table")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#callees-table", VimTable)
        for label, width in (("line", 5), ("number", 16), ("state", 8), ("outcome", 11), ("tries", 5),
                             ("last call", 14), ("note", 30)):
            table.add_column(label, width=width)
        self.set_focus(table)
        self.read()
        self.set_interval(2.0, self.read)

    @work(thread=True, exclusive=True, group="callees-read", exit_on_error=False)
    def read(self) -> None:
        self.post_message(self.Read(self.store.read(progress.results, self.campaign.id)))

    @on(Read)
    def show(self, message: Read) -> None:
        self.rows = message.rows
        table = self.query_one("#callees-table", VimTable)
        keep = table.cursor_row
        chosen = table.coordinate_to_cell_key(Coordinate(keep, 0)).row_key.value if table.row_count and keep >= 0 \
            else None
        table.clear()
        for row in self.rows:
            state = str(row["state"])
            last = " ".join(str(x) for x in (row["last_status"], row["last_sip"]) if x).replace("_", " ")
            note = str(row["note"] or "")
            if state == "calling" and row["last_status"] in FINAL:  # only a run of the campaign settles a callee
                note = "ended: settles on next run"  # fits the column: the call itself shows how it ended
            table.add_row(number_cell(int(str(row["line"]))), Text(str(row["number"])),
                          Text(state, style=_STATE_STYLE.get(state, "")),
                          str(row["outcome"] or "").replace("_", " "),
                          number_cell(int(str(row["tries"]))), last,
                          Text(note, style="dim"), key=str(row["number"]))
        table.apply_sort()  # the operator's column, if one was chosen
        if self.rows:
            table.move_cursor(row=table.get_row_index(chosen) if chosen is not None and chosen in table.rows
                              else min(keep, len(self.rows) - 1))
        self.query_one("#callees-title", Static).update(Text.assemble(
            ("callees of ", "bold"), (self.campaign.name, "bold"), f"  {len(self.rows)}"))

    @on(DataTable.RowSelected, "#callees-table")
    def selected(self) -> None:  # enter on the table (the table's own binding answers it first)
        self.action_open()

    def action_open(self) -> None:
        table = self.query_one("#callees-table", VimTable)
        if not self.rows or table.cursor_row < 0:
            return
        number = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        row = next((r for r in self.rows if r["number"] == number), None)
        if row is None or not row["last_attempt"]:
            self.notify("not called yet", timeout=3)
            return
        self.app.push_screen(CallDetailScreen(self.store, str(row["last_attempt"])))
