"""The Textual application: built from injected services, it renders and never talks HTTP itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, InvalidThemeError
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from console.config import Settings
from console.receiver import ReceiverState
from console.services import Services
from console.store import utc_now
from console.ui.messages import CallEventStored, GatewayReady, HistoryLoaded, ReceiverChanged
from console.ui.themes import file_themes

HISTORY_ROWS = 200
STATUS_STYLE = {
    "answered": "bold green", "completed": "green", "ringing": "yellow", "dialing": "yellow",
    "queued": "dim", "busy": "magenta", "no_answer": "magenta", "canceled": "dim", "failed": "bold red",
}


class ConsoleApp(App[None]):
    TITLE = "vgconsole"
    CSS_PATH = "console.tcss"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit", tooltip="Leave the console."),
        Binding("r", "refresh", "Refresh", id="refresh", tooltip="Reload the call history from the database."),
        Binding("question_mark", "toggle_help", "Help", id="help", tooltip="Show or hide the keys for what has focus."),
    ]

    def __init__(self, settings: Settings, services: Services, clock: Callable[[], datetime] = utc_now):
        super().__init__()
        self.settings = settings
        self.services = services
        self.store = services.store
        self.clock = clock
        self.profile_name = settings.default_profile or ""
        self.gateway_url: str | None = None
        # Receiver callbacks run on this app's loop; post a message and let a handler own the state.
        services.receiver.on_event = lambda event, ingested: self.post_message(CallEventStored(event, ingested))

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(self._summary(), id="summary")
        table: DataTable[Text] = DataTable(id="history", cursor_type="row", zebra_stripes=True)
        # Fits 80 columns: 64 of content plus one cell of padding on each side of 7 columns.
        for label, width in (("created UTC", 14), ("status", 9), ("from", 13), ("to", 13), ("sip", 3), ("amd", 7), ("secs", 5)):
            table.add_column(label, width=width, key=label)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        themes, errors = file_themes()
        for theme in themes:
            self.register_theme(theme)
        if errors:
            self.notify("\n".join(errors), title=f"{len(errors)} theme file(s) not loaded", severity="warning")
        try:
            self.theme = self.settings.theme
        except InvalidThemeError:
            self.notify(f"no theme named {self.settings.theme!r}; using vgconsole-dark", severity="warning")
            self.theme = "vgconsole-dark"
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        self.sub_title = self.profile_name
        self.load_history()
        self.start_services()

    async def on_unmount(self) -> None:
        await self.services.stop()

    @work(exclusive=True, group="services", exit_on_error=False)
    async def start_services(self) -> None:
        await self.services.start()  # a busy port leaves the receiver down; the console works on
        self.post_message(ReceiverChanged())
        profile = self.settings.profile(self.profile_name)
        if profile.embedded:
            sim = await self.services.embedded.for_provider(profile.provider)
            self.post_message(GatewayReady(sim.base_url))

    @on(ReceiverChanged)
    def receiver_changed(self) -> None:
        self.query_one("#summary", Static).update(self._summary())
        receiver = self.services.receiver
        if receiver.state is not ReceiverState.LISTENING:
            self.notify(f"receiver {receiver.state.value}: {receiver.detail}", severity="warning", timeout=10)

    @on(CallEventStored)
    def event_stored(self) -> None:
        self.load_history()

    @on(GatewayReady)
    def gateway_ready(self, message: GatewayReady) -> None:
        self.gateway_url = message.base_url
        self.query_one("#summary", Static).update(self._summary())

    def _summary(self) -> Text:
        profile = self.settings.profile(self.profile_name)
        if profile.embedded:
            where = f"embedded simulator at {self.gateway_url}" if self.gateway_url else "embedded simulator (starting)"
        else:
            where = profile.resolved_base_url or ""
        receiver = self.services.receiver
        state = receiver.detail if receiver.state is ReceiverState.LISTENING else f"{receiver.state.value}: {receiver.detail}"
        return Text.assemble(
            ("profile ", "dim"), (self.profile_name, "bold"), ("  ", ""), (profile.provider, ""),
            ("  gateway ", "dim"), (where, ""), ("  receiver ", "dim"), (state or "starting", ""),
            ("  history ", "dim"), (str(self.store.path), ""),
        )

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def load_history(self) -> None:
        self.post_message(HistoryLoaded(self.store.page(limit=HISTORY_ROWS), self.store.count()))

    @on(HistoryLoaded)
    def show_history(self, message: HistoryLoaded) -> None:
        table = self.query_one("#history", DataTable)
        table.clear()
        for call in message.calls:
            table.add_row(
                Text(call.created_at.strftime("%m-%d %H:%M:%S")),
                Text(call.status.value, style=STATUS_STYLE.get(call.status.value, "")),
                Text(call.from_number or ""),
                Text(call.to_number or ""),
                Text(str(call.sip_status or "")),
                Text(call.amd_result.value if call.amd_result else ""),
                Text("" if call.duration is None else str(call.duration)),
                key=str(call.id),
            )
        table.border_title = f"history: {message.total:,} call(s)"

    def action_refresh(self) -> None:
        self.load_history()

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()


def run(settings: Settings, services: Services) -> None:
    ConsoleApp(settings, services).run()
