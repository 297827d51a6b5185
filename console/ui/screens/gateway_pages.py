"""The gateway's own records, a page at a time: its alerts (webhook failures, no carrier, limits)
and its recent calls (CDRs of finished calls). Asked on opening and on request, never polled."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from console.clock import LOCAL, Zone
from console.gateways.errors import GatewayError
from console.gateways.listings import RecentPage
from console.ui.widgets.footer import KeysFooter
from console.ui.widgets.tables import VimTable

if TYPE_CHECKING:  # loaded with the services, after the first screen is drawn
    from console.services import Services

PAGE = 50
# Per view: title, gateway method, columns (label, width, row key).
VIEWS: dict[str, tuple[str, str, tuple[tuple[str, int, str], ...]]] = {
    "alerts": ("alerts", "alerts", (("time", 19, "time"), ("type", 26, "alert_type"), ("message", 44, "message"),
                                    ("call", 12, "target_sid"))),
    "recent": ("recent calls", "recent_calls", (
        ("attempted", 19, "attempted_at"), ("from", 14, "from"), ("to", 14, "to"), ("answered", 8, "answered"),
        ("sip", 4, "sip_status"), ("secs", 5, "duration"), ("ended by", 20, "termination_reason"),
        ("call", 12, "call_sid"))),
}
TIMES = frozenset({"time", "attempted_at"})


def cell(value: Any, width: int, zone: Zone = LOCAL) -> Text:
    """Gateway text as plain Text (never markup), on one line; an ISO time to the second, in `zone`."""
    if value is None:
        return Text("")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    text = value if isinstance(value, str) else json.dumps(value)
    if len(text) >= 19 and text[4:5] == "-" and text[10:11] == "T":
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            text = text[:19].replace("T", " ")
        else:  # the gateway keeps UTC; a time without a zone is UTC too
            text = f"{zone.of(moment if moment.tzinfo else moment.replace(tzinfo=UTC)):%Y-%m-%d %H:%M:%S}"
    return Text(" ".join(text.split())[:max(width * 3, width)])


class GatewayPagesScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="pages-back", tooltip="Back to where you were."),
        Binding("n,pagedown", "page(1)", "Older", id="pages-next", tooltip="The next (older) page."),
        Binding("p,pageup", "page(-1)", "Newer", id="pages-previous", tooltip="The previous (newer) page."),
        Binding("r", "reload", "Refresh", id="pages-refresh", tooltip="Ask the gateway again."),
        Binding("enter", "raw", "Raw", id="pages-raw", tooltip="The row as the gateway sent it."),
    ]

    class Loaded(Message):
        def __init__(self, page: RecentPage | None, error: str | None):
            super().__init__()
            self.page, self.error = page, error

    def __init__(self, services: Services, profile: str, view: str, zone: Zone = LOCAL):
        super().__init__()
        self.zone = zone
        self.services = services
        self.profile = profile
        self.view = view
        self.title_text, self.method, self.columns = VIEWS[view]
        self.number = 1
        self.total = 0
        self.rows: list[dict[str, Any]] = []
        self.loads = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="pages-title")
        yield VimTable(id="pages-table")
        yield Static("", id="pages-raw")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#pages-table", DataTable)
        now = datetime.now(UTC)
        for label, width, key in self.columns:  # the gateway's times, shown in the console's zone, named
            label = f"{label} {self.zone.label(now)}" if key in TIMES else label
            table.add_column(label, width=max(width, len(label)))
        self.set_focus(table)
        self.action_reload()

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE))

    def action_reload(self) -> None:
        self.query_one("#pages-title", Static).update(Text(f"{self.title_text} at {self.profile}: asking the gateway…"))
        self.load(self.number)

    def action_page(self, step: int) -> None:
        wanted = self.number + step
        if wanted < 1 or (step > 0 and wanted > self.pages):
            return
        self.number = wanted
        self.action_reload()

    @work(exclusive=True, group="gateway-pages", exit_on_error=False)
    async def load(self, number: int) -> None:
        try:
            gateway = await self.services.gateways.get(self.profile)
            page = await getattr(gateway, self.method)(number, PAGE)
        except GatewayError as exc:
            self.post_message(self.Loaded(None, str(exc)))
            return
        self.post_message(self.Loaded(page, None))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        self.loads += 1
        table = self.query_one("#pages-table", VimTable)
        title = self.query_one("#pages-title", Static)
        if message.page is None:
            title.update(Text.assemble((f"{self.title_text} at {self.profile}: ", "bold"),
                                       (message.error or "", "bold red")))
            return
        self.total, self.rows = message.page.total, message.page.rows
        table.clear()
        for index, row in enumerate(self.rows):
            table.add_row(*(cell(row.get(key), width, self.zone) for _, width, key in self.columns),
                          key=str(index))
        table.apply_sort()
        title.update(Text.assemble((f"{self.title_text} ", "bold"), (self.profile, "bold"),
                                   f"  page {self.number} of {self.pages}, {self.total:,} in all, newest first",
                                   no_wrap=True, overflow="ellipsis"))

    def action_raw(self) -> None:
        table = self.query_one("#pages-table", DataTable)
        if table.row_count:  # by key: rows may be sorted
            index = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0)
            raw = json.dumps(self.rows[index], indent=2, ensure_ascii=False)
            self.query_one("#pages-raw", Static).update(Text(raw))

    @on(DataTable.RowSelected, "#pages-table")
    def selected(self) -> None:
        self.action_raw()
