"""The console: built from injected services, it renders and never talks HTTP or SQL on its loop.

Workers do the talking and post messages; the @on handlers here own all UI state.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.actions import SkipAction
from textual.app import App, InvalidThemeError
from textual.binding import Binding
from textual.command import CommandPalette
from textual.css.query import NoMatches
from textual.notifications import Notify, SeverityLevel
from textual.worker import Worker, WorkerState

from console import paths
from console.clock import utc_now
from console.config import Settings
from console.dialform import form_from_record, initial_values, kept_state, restored
from console.export import export_to_folder
from console.gateways.errors import GatewayError
from console.receiver_state import ReceiverState
from console.records import CallRecord
from console.status import EventSource
from console.ui.commands import ConsoleCommands
from console.ui.keyorder import KeyOrder
from console.ui.messages import (
    CallsUpdated,
    CallWanted,
    CampaignWanted,
    Counters,
    DetailHangupWanted,
    DoNotCallWanted,
    GatewayReady,
    MarkEndedWanted,
    ReceiverChanged,
    RedialWanted,
    SearchRun,
    ServicesLoaded,
)
from console.ui.screens.confirm import Confirm
from console.ui.screens.main import MainScreen
from console.ui.screens.pairs_editor import PairsEditor
from console.ui.themes import file_themes
from console.ui.widgets.call_log import CallLog
from console.ui.widgets.pickers import Picker
from console.ui.widgets.status_bar import StatusBar
from console.ui.widgets.tables import ConsoleTable, VimTable
from console.uistate import ConsoleState
from console.uistate import load as load_state
from console.uistate import save as save_state

if TYPE_CHECKING:  # the services load after the first screen is drawn (their web server and HTTP client too)
    from console.services import Services
    from console.store import Store

RECENT_CALLS = 200
INBOX_S = 0.05  # webhooks' calls gathered this long before the screens hear of them (the log redraws at 0.2 s)
COALESCED = {"dialling", "receiver"}  # toast titles whose newest replaces the last


# A hang-up sent is not asked for again this long (a second h, or H over calls already being ended): the
# gateway's word that the call ended usually follows within a second or two.
ENDING_S = 15.0
# Actions that need history or the gateways: off (not in the footer) for the moment the services load.
NEEDS_SERVICES = frozenset({"history", "gateway_live", "gateway_alerts", "gateway_recent", "campaigns"})


class ConsoleApp(App[None]):
    TITLE = "vgconsole"
    CSS_PATH = Path(__file__).with_name("console.tcss")  # absolute: subclasses live elsewhere
    COMMANDS = App.COMMANDS | {ConsoleCommands}
    # Not priority: an open editor or dialog answers its own keys first (ctrl+g saves there).
    BINDINGS = [
        Binding("f1", "help", "Help", id="help-anywhere", tooltip="Every key and command."),
        Binding("f9", "gateway_live", "Live", id="gateway-live", tooltip="Live calls as the gateway lists them."),
        Binding("f10", "history", "History", id="history", tooltip="Every call: filter, export, redial."),
        Binding("f11", "campaigns", "Campaigns", id="campaigns", show=False,
                tooltip="Lists dialled at a safe pace (also :campaigns, where F11 is the terminal's)."),
        # Priority, so that the command opens before the keys typed after it arrive; a field that takes
        # the character as text gets it instead (SkipAction).
        Binding("colon", "typed_command('colon')", "Command", id="command", priority=True,
                tooltip=":dial, :profile NAME, :history, :theme ..."),
        Binding("question_mark", "typed_command('question_mark')", "Help", id="help", show=False, priority=True,
                tooltip="Every key and command."),
        Binding("q", "quit", "Quit", id="quit", tooltip="Leave (calls go on at the gateway)."),
        Binding("ctrl+q", "quit", "Quit", id="quit-anywhere", show=False, priority=True, tooltip="Leave the console."),
        # Read-only: where h and m are not offered (the log, a call's detail, F9), pressed anyway they say why.
        Binding("h,H", "refuse('hang-up')", show=False),
        Binding("m,M", "refuse('marking a call ended')", show=False),
        # Focus moves as the key arrives: a Tab that first travelled up from the field would be overtaken
        # by the keys typed after it, which would then land in the field it was leaving.
        Binding("tab", "app.focus_next", "Next field", show=False, priority=True, id="focus-next"),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True, id="focus-previous"),
    ]

    def __init__(self, settings: Settings, services: Services | None = None,
                 clock: Callable[[], datetime] = utc_now, *, start: Callable[[], Services] | None = None,
                 state_path: Path | None = None, profile_given: bool = False, theme_given: bool = False):
        """`services`, or `start` to build them in a thread once the first screen is drawn (history, the
        receiver, the simulators and their libraries take longer to load than the screen to draw).
        `state_path`: where the console remembers itself between runs (None: it does not). The profile
        and theme it was left with come back unless --profile or --theme says otherwise."""
        super().__init__()
        if (services is None) == (start is None):
            raise ValueError("give the console its services, or how to start them")
        self.settings = settings
        self._services = services
        self._start = start
        self.clock = clock
        self.zone = settings.ui.zone()  # times shown and typed in it
        self.ending: dict[str, float] = {}  # attempt id -> when its hang-up was sent (monotonic)
        self.profile_name = settings.default_profile or next(iter(settings.profiles))
        self.gateway_url: str | None = None
        self.counters: dict[str, int] = {}
        self._receiver_seen = ReceiverState.STOPPED
        self._repeats: dict[str, int] = {}  # toast identity -> how many times its message came
        self._inbox: dict[str, CallRecord] = {}  # calls changed by webhooks since the last CallsUpdated
        self.main = MainScreen()
        self.keys = KeyOrder(self, partial(App.on_event, self))
        self.state_path = state_path
        self.state, self._state_note = load_state(state_path) if state_path else (ConsoleState(), None)
        self._theme_given = theme_given
        self._save_failed = False
        self._saving = threading.Lock()
        if not profile_given and self.state.profile in settings.profiles:
            self.profile_name = self.state.profile
        for name, kept in self.state.profiles.items():
            if name in settings.profiles:
                self.main.form_values[name], self.main.editors[name] = restored(settings, name, kept)

    @property
    def ready(self) -> bool:
        """The services have started loading: history, the receiver, the gateways can be asked."""
        return self._services is not None

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("the console is still starting")  # actions needing them are off until ready
        return self._services

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def read_only(self) -> bool:
        """Watching only (--read-only, [ui] read_only, or the profile's read_only): nothing that places
        or ends a call is offered, and each such action refuses should it be reached some other way."""
        return self.settings.ui.read_only or self.settings.profile(self.profile_name).read_only

    @property
    def closing(self) -> bool:
        """Shutting down: messages still queued find no widgets (webhooks still get stored)."""
        return not self.is_running

    # ------------------------------------------------------------ layout

    def get_default_screen(self) -> MainScreen:
        return self.main

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:  # as typed, not on its way back up
            await self.keys.arrived(event)
        else:
            await super().on_event(event)

    def on_mount(self) -> None:
        themes, errors = file_themes()
        for theme in themes:
            self.register_theme(theme)
        if errors:
            self.notify("\n".join(errors), title=f"{len(errors)} theme file(s) not loaded", severity="warning")
        remembered = self.state.theme if not self._theme_given else None
        try:
            self.theme = remembered if remembered in self.available_themes else self.settings.theme
        except InvalidThemeError:
            self.notify(f"no theme named {self.settings.theme!r}; using vgconsole-dark", severity="warning")
            self.theme = "vgconsole-dark"
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        if self._state_note:
            self.notify(self._state_note, title="remembered state", severity="warning", timeout=12)
        self.theme_changed_signal.subscribe(self, lambda theme: self.remember())

    def main_mounted(self) -> None:
        """The main screen is composed: what fills its widgets may start (the screen mounts after the app)."""
        if self._services is not None:
            self.attach(self._services)
        else:  # once the screen is out: loading them in a thread would hold the interpreter lock meanwhile
            self.call_after_refresh(self.load_services)

    @work(thread=True, exclusive=True, group="starting", exit_on_error=False)
    def load_services(self) -> Services:
        """After the first frame: open history and build the services (importing what they need)."""
        assert self._start is not None
        services = self._start()
        self.post_message(ServicesLoaded(services))
        return services

    @on(ServicesLoaded)
    def services_loaded(self, message: ServicesLoaded) -> None:
        if not self.closing:
            self.attach(message.services)

    def attach(self, services: Services) -> None:
        """The services are there: hear from them, start them, and fill the screen from history."""
        self._services = services
        services.on_event = self._stored
        services.on_state = lambda: self.post_message(ReceiverChanged())
        services.campaigns.warn = lambda text: self.notify(text, title="campaign", severity="warning", timeout=10)
        for note in services.notes:
            self.notify(note, title="note", severity="warning", timeout=15)
        self.show_status()
        self.refresh_bindings()
        self.start_services()
        self.load_recent()
        self.refresh_counters()
        self.set_interval(1.0, self.refresh_counters)  # one indexed query a second, however busy the calls

    async def on_unmount(self) -> None:
        self.remember(at_once=True)
        if self._services is not None:  # left before they came: whoever gave `start` closes what it opened
            await self._services.stop()

    # ------------------------------------------------------------ remembered between runs

    def remember(self, at_once: bool = False) -> None:
        """Keep the profile, theme, each profile's form and editors, and the histories for the next run
        (written in a thread, or `at_once` when leaving)."""
        if self.state_path is None:
            return
        state = self.state
        state.profile, state.theme = self.profile_name, self.theme
        values = dict(self.main.form_values)
        try:
            values[self.profile_name] = self.main.form.values()
        except NoMatches:
            pass  # the screen is gone (leaving): the values it had last are in form_values
        known = self.settings.secrets()
        for name in set(values) | set(self.main.editors):
            if name not in self.settings.profiles:
                continue
            if name in values:
                form = values[name]
            elif name in state.profiles:  # its form is gone with the screen: as it was kept last
                form = state.profiles[name].form
            else:
                form = initial_values(self.settings, name)
            state.profiles[name] = kept_state(self.settings.profile(name).provider, form,
                                              self.main.editors_for(name), known)
        snapshot = state.model_copy(deep=True)
        if at_once:
            self._save(snapshot)
        else:
            self.run_worker(partial(self._save, snapshot), thread=True, group="state", exit_on_error=False)

    def _save(self, state: ConsoleState) -> None:
        assert self.state_path is not None
        try:
            with self._saving:  # one writer at a time (they share the temporary file's name)
                save_state(self.state_path, state)
        except OSError as exc:
            if not self._save_failed:  # said once, not at every change; notify is safe from a thread
                self._save_failed = True
                self.notify(f"cannot keep the console's state in {self.state_path}: {exc.strerror or exc}",
                            title="remembered state", severity="warning")

    def remember_entry(self, history: str, text: str) -> None:
        self.state.remember(history, text)
        self.remember()

    @on(SearchRun)
    def searched(self, message: SearchRun) -> None:
        self.remember_entry("searches", message.text)

    # ------------------------------------------------------------ services

    @work(exclusive=True, group="services", exit_on_error=False)
    async def start_services(self) -> None:
        await self.services.start()  # a port held by something else leaves no receiver; the console works on
        await self.open_profile()

    async def open_profile(self) -> None:
        profile = self.settings.profile(self.profile_name)
        if profile.embedded:
            sim = await self.services.embedded.for_provider(profile.provider)
            self.post_message(GatewayReady(sim.base_url))
        self.main.load_lists()

    @on(ReceiverChanged)
    def receiver_changed(self) -> None:
        if self.closing:
            return
        self.show_status()
        receiver = self.services.receiver
        if receiver.state is self._receiver_seen:
            return  # told twice (as the services start): said once
        if receiver.state is ReceiverState.LISTENING:
            if self._receiver_seen is ReceiverState.SHARED:
                self.notify(f"this console now receives the webhooks ({receiver.detail})", title="receiver", timeout=6)
        elif receiver.state is ReceiverState.SHARED:
            self.notify(f"{receiver.detail.removeprefix('shared: ')}: every call shows here, whoever placed it",
                        title="receiver", timeout=6)
        elif receiver.state is not ReceiverState.STOPPED:
            self.notify(f"{receiver.detail}. Calls can still be placed; their outcome comes from the gateway's own "
                        "records, after a delay.", title=f"receiver {receiver.state.value}", severity="warning",
                        timeout=12)
        self._receiver_seen = receiver.state

    @on(GatewayReady)
    def gateway_ready(self, message: GatewayReady) -> None:
        if self.closing:
            return
        self.gateway_url = message.base_url
        self.show_status()

    def show_status(self) -> None:
        profile = self.settings.profile(self.profile_name)
        addresses = self.settings.ui.show_addresses
        if profile.embedded:
            gateway = "embedded simulator" + (f" {self.gateway_url}" if addresses and self.gateway_url else "")
        else:
            gateway = (profile.resolved_base_url or "") if addresses else "gateway"
        if self._services is None:
            self.main.query_one("#status", StatusBar).show(
                profile=self.profile_name, provider=profile.provider, gateway=gateway or "", receiver="starting",
                receiver_at="", receiver_ok=True, counters=self.counters, read_only=self.read_only)
            return
        r = self.services.receiver
        where = ""
        if r.state is ReceiverState.LISTENING:
            receiver, where = "listening", (r.address if addresses else "")
        elif r.state is ReceiverState.SHARED:
            receiver = f"shared (pid {r.owner_pid})"
        elif r.state is ReceiverState.STOPPED:
            receiver = "starting"
        else:
            receiver = r.state.value
        self.main.query_one("#status", StatusBar).show(
            profile=self.profile_name, provider=profile.provider, gateway=gateway or "", receiver=receiver,
            receiver_at=where, receiver_ok=r.state.hears or r.state is ReceiverState.STOPPED, counters=self.counters,
            read_only=self.read_only)

    @work(thread=True, exclusive=True, group="counters", exit_on_error=False)
    def refresh_counters(self) -> None:
        self.post_message(Counters(self.store.counts_since(self.clock() - timedelta(hours=1))))

    @on(Counters)
    def counters_changed(self, message: Counters) -> None:
        if self.closing:
            return
        if message.counts != self.counters:
            self.counters = message.counts
            self.show_status()

    # ------------------------------------------------------------ the log

    @work(thread=True, exclusive=True, group="recent", exit_on_error=False)
    def load_recent(self) -> None:
        calls = self.store.page(limit=RECENT_CALLS)
        self.call_from_thread(self.main.call_log.load, calls)

    def _stored(self, event: Any, ingested: Any) -> None:
        """The receiver, on this loop, after each webhook's commit. One message per INBOX_S, not per
        webhook: at hundreds a second the messages would cost more than the webhooks."""
        call = ingested.call
        if call is None:
            return  # not (yet) one of our calls: it joins its call when the attempt is known
        if not self._inbox:
            asyncio.get_running_loop().call_later(INBOX_S, self.post_message, CallsUpdated())
        self._inbox[call.attempt_id] = call

    @on(CallsUpdated)
    def calls_updated(self) -> None:
        calls, self._inbox = self._inbox, {}
        if self.closing:
            return
        log = self.main.call_log
        for call in calls.values():
            log.upsert(call)
        followed = getattr(self.screen, "calls_changed", None)  # a screen on top that shows calls (detail, F9)
        if followed is not None:
            followed(calls)

    @on(CallLog.Opened)
    @on(CallWanted)
    def open_call(self, message: CallLog.Opened | CallWanted) -> None:
        from console.ui.screens.call_detail import CallDetailScreen

        self.push_screen(CallDetailScreen(self.store, message.call.attempt_id))

    # ------------------------------------------------------------ hang-up

    @on(MarkEndedWanted)
    @work(group="ask", exit_on_error=False)
    async def ask_mark_ended(self, message: MarkEndedWanted) -> None:
        if self.read_only:
            self.notify("read-only: calls cannot be closed here", severity="warning")
            return
        latest = await asyncio.to_thread(self.store.call, message.call.attempt_id) or message.call
        if latest.status.final:
            self.notify(f"the call to {latest.to_number} has already ended ({latest.status.value.replace('_', ' ')})",
                        timeout=4)
            return
        question = (f"Mark the call to {latest.to_number} ({latest.status.value}) as ended? Nothing is sent to the "
                    "gateway: history records it as unknown, with your reason.")
        from console.ui.screens.mark_ended import MarkEnded

        self.push_screen(MarkEnded(question), partial(self._mark_ended, latest))

    def _mark_ended(self, call: CallRecord, reason: str | None) -> None:
        if reason:
            self.mark_ended(call, reason)

    @work(group="mark", exit_on_error=False)
    async def mark_ended(self, call: CallRecord, reason: str) -> None:
        from console.reconcile import unknown_event

        event = unknown_event(call, f"marked ended by the operator: {reason}", EventSource.OPERATOR, self.clock())
        self.services.hand_on(event, await self.store.ingest(event))
        self.notify(f"the call to {call.to_number} is marked ended", timeout=3)

    async def latest(self, calls: list[CallRecord]) -> list[CallRecord]:
        """The calls as history has them now: it, not the log, knows where each stands."""
        found: list[CallRecord] = []
        for call in calls:
            now: CallRecord | None = await asyncio.to_thread(self.store.call, call.attempt_id)
            found.append(now or call)
        return found

    @on(DoNotCallWanted)
    def ask_do_not_call(self, message: DoNotCallWanted) -> None:
        number = message.call.to_number or ""
        if not number.startswith("+"):
            self.notify(f"{number or 'this call'}: only phone numbers go on the do-not-call list", timeout=4)
            return
        question = f"Put {number} on the do-not-call list? Campaigns never dial it (vgconsole dnc remove undoes it)."

        def answered(yes: bool | None) -> None:
            if yes:
                self.add_do_not_call(number, message.call.attempt_id)

        self.push_screen(Confirm(question, yes="Do not call"), answered)

    @work(group="dnc", exit_on_error=False)
    async def add_do_not_call(self, number: str, attempt_id: str) -> None:
        new = await self.store.add_do_not_call([number], reason=f"from the call {attempt_id}", source="console")
        self.notify(f"{number} is on the do-not-call list" + ("" if new else " (it was already)"), timeout=4)

    @on(CallLog.MarkEndedMarkedWanted)
    @work(group="ask", exit_on_error=False)
    async def ask_mark_ended_marked(self, message: CallLog.MarkEndedMarkedWanted) -> None:
        """Every marked call still live in history, closed with one reason after one question that counts them."""
        if self.read_only:
            self.notify("read-only: calls cannot be closed here", severity="warning")
            return
        latest = await self.latest(message.calls)
        going = [c for c in latest if not c.status.final]
        if not going:
            self.notify(f"the {len(latest)} marked call(s) have all ended already", timeout=4)
            self.main.call_log.unmark(c.attempt_id for c in latest)
            return
        self.main.call_log.unmark(c.attempt_id for c in latest if c.status.final)  # nothing left to do for them
        also = f" ({len(latest) - len(going)} of the marked have ended already)" if len(going) < len(latest) else ""
        question = (f"Mark {len(going)} marked call(s) as ended{also}? Nothing is sent to the gateway: history "
                    "records each as unknown, with your reason.")

        def answered(reason: str | None) -> None:
            if reason:
                self.mark_all_ended(going, reason)

        from console.ui.screens.mark_ended import MarkEnded

        self.push_screen(MarkEnded(question), answered)

    @work(group="mark", exit_on_error=False)
    async def mark_all_ended(self, calls: list[CallRecord], reason: str) -> None:
        from console.reconcile import unknown_event

        for call in calls:
            event = unknown_event(call, f"marked ended by the operator: {reason}", EventSource.OPERATOR, self.clock())
            self.services.hand_on(event, await self.store.ingest(event))
        self.main.call_log.unmark(c.attempt_id for c in calls)
        self.notify(f"{len(calls)} call(s) marked ended", timeout=4)

    @on(CallLog.ExportMarkedWanted)
    @work(thread=True, group="export", exit_on_error=False)
    def export_marked(self, message: CallLog.ExportMarkedWanted) -> None:
        """The marked calls as history has them now, newest first, into the exports folder."""
        folder = self.settings.ui.export_dir or paths.exports_dir()
        calls = sorted((self.store.call(c.attempt_id) or c for c in message.calls), key=lambda c: -c.id)
        stem = f"calls-marked-{self.zone.of(self.clock()):%Y%m%d-%H%M%S}"
        try:
            path, count = export_to_folder(folder, stem, calls, message.fmt,  # type: ignore[arg-type]
                                           redact=self.store.redact)
        except OSError as exc:
            self.call_from_thread(self.notify, f"cannot write to {folder}: {exc.strerror or exc}",
                                  title="export failed", severity="error", timeout=12)
            return
        self.call_from_thread(self.notify, f"{count} marked call(s) written to {path}", title="exported", timeout=12)

    @on(CallLog.HangupWanted)
    def hangup_from_log(self, message: CallLog.HangupWanted) -> None:
        self.ask_hangup(message.call)

    @on(CallLog.HangupMarkedWanted)
    @work(group="ask", exit_on_error=False)
    async def ask_hangup_marked(self, message: CallLog.HangupMarkedWanted) -> None:
        """Every marked call still going, hung up or cancelled after one yes that names how many."""
        if self.read_only:
            self.notify("read-only: hang-up is off", severity="warning")
            return
        latest = await self.latest(message.calls)
        going = [c for c in latest if not c.status.final]
        ended = len(latest) - len(going)
        asked = [c for c in going if self.being_ended(c)]
        going = [c for c in going if not self.being_ended(c)]
        if not going:
            more = f", {len(asked)} being ended" if asked else ""
            self.notify(f"none of the {len(latest)} marked call(s) is left to end ({ended} ended already{more})",
                        timeout=4)
            self.main.call_log.unmark(c.attempt_id for c in latest if c.status.final)
            return
        self.main.call_log.unmark(c.attempt_id for c in latest if c.status.final)  # nothing left to do for them
        also = f" ({ended} of the marked have ended already)" if ended else ""
        also += f" ({len(asked)} already being ended, left alone)" if asked else ""
        question = f"Hang up or cancel {len(going)} marked call(s) still going{also}?"

        def answered(yes: bool | None) -> None:
            if yes:
                self.hang_up_all(going)

        self.push_screen(Confirm(question, yes=f"End {len(going)}"), answered)

    @work(group="hangup", exit_on_error=False)
    async def hang_up_all(self, calls: list[CallRecord]) -> None:
        failed: dict[str, str] = {}  # attempt id -> what went wrong (those stay marked, to try again)
        for call in calls:
            self.ending[call.attempt_id] = time.monotonic()
            try:
                await self.services.dialer.hangup(call)
            except GatewayError as exc:
                self.ending.pop(call.attempt_id, None)
                failed[call.attempt_id] = f"{call.to_number}: {exc}"
        self.main.call_log.unmark(c.attempt_id for c in calls if c.attempt_id not in failed)
        sent = len(calls) - len(failed)
        if failed:
            self.notify(f"sent for {sent}; failed for {len(failed)}: " + "; ".join(failed.values()),
                        title="hang-up", severity="error", timeout=12)
        else:
            self.notify(f"hang-up sent for {sent} call(s)", timeout=4)

    @on(DetailHangupWanted)
    def hangup_from_detail(self, message: DetailHangupWanted) -> None:
        self.ask_hangup(message.detail.call)

    @work(group="ask", exit_on_error=False)
    async def ask_hangup(self, call: CallRecord) -> None:
        if self.read_only:
            self.notify("read-only: hang-up is off", severity="warning")
            return
        # History, not a widget, knows where the call stands (the log keeps only its newest rows).
        latest = await asyncio.to_thread(self.store.call, call.attempt_id) or call
        if latest.status.final:
            self.notify(f"the call to {latest.to_number} has already ended ({latest.status.value.replace('_', ' ')})",
                        timeout=4)
            return
        if self.being_ended(latest):
            self.notify(f"the call to {latest.to_number} was asked to end: waiting for the gateway to end it",
                        timeout=4)
            return
        verb = "Hang up" if latest.status.value == "answered" else "Cancel"
        self.push_screen(Confirm(f"{verb} the call to {latest.to_number}?", yes=verb),
                         partial(self._hangup_confirmed, latest, verb))

    def being_ended(self, call: CallRecord) -> bool:
        """A hang-up was sent for the call moments ago (not asked again while the gateway ends it)."""
        sent = self.ending.get(call.attempt_id)
        return sent is not None and time.monotonic() - sent < ENDING_S

    def _hangup_confirmed(self, call: CallRecord, verb: str, yes: bool | None) -> None:
        if yes:
            self.hang_up(call, verb)

    @work(group="hangup", exit_on_error=False)
    async def hang_up(self, call: CallRecord, verb: str) -> None:
        self.ending[call.attempt_id] = time.monotonic()
        try:
            await self.services.dialer.hangup(call)
        except GatewayError as exc:
            self.ending.pop(call.attempt_id, None)
            self.notify(str(exc), title=f"{verb.lower()} failed", severity="error", timeout=10)
            return
        self.notify(f"{verb.lower()} sent for {call.to_number}", timeout=3)

    # ------------------------------------------------------------ profiles, focus, help

    async def switch_profile(self, name: str) -> None:
        if name not in self.settings.profiles or name == self.profile_name:
            return
        old, self.profile_name = self.profile_name, name
        self.sub_title = name
        self.gateway_url = None
        await self.main.profile_changed(old)
        self.show_status()
        self.refresh_bindings()
        if self.ready:  # else the services open it as they start
            self.switch_gateway()
        self.notify(f"profile {name} ({self.settings.profile(name).provider})", timeout=3)
        self.remember()

    @work(exclusive=True, group="services", exit_on_error=False)
    async def switch_gateway(self) -> None:
        await self.open_profile()

    def still_starting(self) -> bool:
        """The services are still loading (a command typed in the first moment): said, and nothing done."""
        if not self.ready:
            self.notify("still starting: history and the gateway are a moment away", timeout=3)
        return not self.ready

    def action_history(self) -> None:
        from console.ui.screens.history import HistoryScreen

        if isinstance(self.screen, HistoryScreen) or self.still_starting():
            return
        self.push_screen(HistoryScreen(self.store, profiles=list(self.settings.profiles),
                                       export_dir=self.settings.ui.export_dir or paths.exports_dir(), clock=self.clock,
                                       zone=self.zone, read_only=self.read_only, searches=self.state.searches))

    @on(CampaignWanted)
    def campaign_from_history(self, message: CampaignWanted) -> None:
        """A campaign of some calls' numbers: made in the form, then dialled here and shown on its screen."""
        from console.ui.screens.campaign_form import CampaignForm
        from console.ui.screens.campaigns import CampaignsScreen

        if not message.calls:
            self.notify("no calls to make a campaign of", timeout=3)
            return

        def made(campaign: Any) -> None:
            if campaign is not None:
                screen = CampaignsScreen(self.services, read_only=self.read_only)
                self.push_screen(screen)
                screen.call_after_refresh(screen.made, campaign)

        self.push_screen(CampaignForm(self.services, message.calls, message.described), made)

    @on(RedialWanted)
    async def redial(self, message: RedialWanted) -> None:
        """A past call's fields back in the dial form, on its profile; the operator checks and dials."""
        call = message.call
        if call.profile not in self.settings.profiles:
            self.notify(f"profile {call.profile} is no longer configured, so the call cannot be redialled as it was",
                        severity="warning", timeout=8)
            return
        if self.settings.ui.read_only or self.settings.profile(call.profile).read_only:
            self.notify("read-only: dialling is off", severity="warning")
            return
        values, editors = form_from_record(self.settings, call.profile, call.request, to_number=call.to_number,
                                           from_number=call.from_number, target_type=call.target_type, tags=call.tags)
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.main.editors[call.profile] = editors
        self.main.form_values[call.profile] = values
        was = self.profile_name
        if call.profile != was:
            await self.switch_profile(call.profile)
        else:
            await self.main.replace_form(values)
        masked = " (type the SIP password again)" if any(v for k, v in values.items() if k.endswith("sip_user")) else ""
        switched = f" on profile {call.profile} (was {was})" if call.profile != was else ""
        self.notify(f"the call to {call.to_number} is in the form{switched}, with the tags, headers and AMD it was "
                    f"placed with: check it and dial{masked}", timeout=8)

    def action_gateway_live(self) -> None:
        from console.ui.screens.gateway_live import LiveCallsScreen

        if isinstance(self.screen, LiveCallsScreen) or self.still_starting():
            return
        self.push_screen(LiveCallsScreen(self.services, self.profile_name, every_s=self.settings.ui.live_poll_s,
                                         read_only=self.read_only))

    def action_campaigns(self) -> None:
        from console.ui.screens.campaigns import CampaignsScreen

        if isinstance(self.screen, CampaignsScreen) or self.still_starting():
            return
        self.push_screen(CampaignsScreen(self.services, read_only=self.read_only))

    def action_gateway_alerts(self) -> None:
        self._gateway_pages("alerts")

    def action_gateway_recent(self) -> None:
        self._gateway_pages("recent")

    def _gateway_pages(self, which: str) -> None:
        from console.ui.screens.gateway_pages import GatewayPagesScreen

        if not self.still_starting():
            self.push_screen(GatewayPagesScreen(self.services, self.profile_name, which, self.zone))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "refuse":  # the read-only refusals exist only in read-only mode
            return self.read_only
        if action in NEEDS_SERVICES and not self.ready:
            return False  # offered a moment later, once history and the gateways are there
        return True

    def action_refuse(self, what: str) -> None:
        """A key read-only mode does not offer, pressed anyway: said, not silently dropped."""
        if not self.read_only:
            raise SkipAction()
        cause = ("--read-only or [ui] read_only" if self.settings.ui.read_only
                 else f"profile {self.profile_name} has read_only = true")
        self.notify(f"read-only: {what} is off here ({cause})", title="read-only", severity="warning", timeout=4)

    def action_typed_command(self, key: str) -> None:
        """`:` or `?`: the command line or help, unless the focused field takes the character as text."""
        character = {"colon": ":", "question_mark": "?"}[key]
        focused = self.focused
        if focused is not None and focused.check_consume_key(key, character):
            raise SkipAction()
        if key == "colon":
            self.action_command_line()
        else:
            self.action_help()

    def action_command_line(self) -> None:
        self.push_screen(CommandPalette(providers=[ConsoleCommands], placeholder=":"))

    def action_help(self) -> None:
        from console.ui.screens.call_detail import CallDetailScreen
        from console.ui.screens.gateway_live import LiveCallsScreen
        from console.ui.screens.gateway_pages import GatewayPagesScreen
        from console.ui.screens.help import HelpScreen
        from console.ui.screens.history import HistoryScreen
        from console.ui.screens.history_filter import FilterScreen

        if isinstance(self.screen, HelpScreen):
            return
        from console.ui.screens.campaign_callees import CampaignCallees
        from console.ui.screens.campaign_form import CampaignForm
        from console.ui.screens.campaigns import CampaignsScreen

        sections: list[tuple[str, list[Any]]] = [
            ("anywhere", self.BINDINGS), ("main screen", MainScreen.BINDINGS),
            ("every table", VimTable.BINDINGS), ("call log", CallLog.BINDINGS + ConsoleTable.BINDINGS),
            ("lists", Picker.BINDINGS), ("call detail", CallDetailScreen.BINDINGS), ("history", HistoryScreen.BINDINGS),
            ("history filter", FilterScreen.BINDINGS), ("live calls", LiveCallsScreen.BINDINGS),
            ("alerts, recent calls", GatewayPagesScreen.BINDINGS),
            ("editors", PairsEditor.BINDINGS), ("campaigns", CampaignsScreen.BINDINGS),
            ("new campaign", CampaignForm.BINDINGS), ("campaign callees", CampaignCallees.BINDINGS),
            ("confirm", Confirm.BINDINGS),
        ]
        keymap = self._keymap

        def keys(binding: Binding) -> str:
            wanted = keymap.get(binding.id or "", binding.key)
            return " ".join(self.get_key_display(Binding(k.strip(), "")) for k in wanted.split(","))

        rows = [(where, keys(b), b.id or "", b.tooltip or b.description)  # no id: a refusal, not a key of its own
                for where, bindings in sections for b in bindings if isinstance(b, Binding) and b.id]
        commands = [
            ("dial", "call"),
            ("profile NAME", "switch"),
            ("numbers", ""),
            ("applications", ""),
            ("history", "filter, export, redial"),
            ("live", "the gateway's live calls"),
            ("alerts", "the gateway's alerts"),
            ("recent", "the gateway's finished calls"),
            ("campaigns", "lists dialled at a safe pace"),
            ("theme NAME", ""),
            ("help", ""),
            ("q", "quit"),
        ]
        self.push_screen(HelpScreen(rows, [(n, h) for n, h in commands]))

    async def action_quit(self) -> None:
        """Leave; ask first when leaving changes something: this console's demo gateway ends the calls still
        live, this console is the one receiving their webhooks, or it is dialling a campaign."""
        self.remember(at_once=True)  # while the form is still there to read
        if isinstance(self.screen, Confirm) or not self.ready:
            self.exit()
            return
        live = len(await asyncio.to_thread(self.store.live))  # history's, not the log's few hundred rows
        carried = self.services.embedded.live_calls()
        receiving = self.services.receiver.state is ReceiverState.LISTENING
        campaigns = [c.name for c in self.services.campaigns.here()]
        if not carried and not (live and receiving) and not campaigns:
            self.exit()
            return
        # The count is history's, as the header's "live" is; the demo gateway's own count can differ for a
        # moment (a call it has just ended whose webhook is on its way), so it is said apart.
        said = [f"{live} call(s) still live" if live else "no call still live in history"]
        if campaigns:
            said.append(f"campaign {', '.join(campaigns)} is dialled from this console: nobody dials it once you "
                        "leave, until it is run again (r in F11, or `vgconsole campaign run`)")
        if carried:
            said.append(f"this console's demo gateway carries {carried} and ends them as it stops")
        if live and receiving:
            said.append("this console receives their webhooks: until another vgconsole takes the port over, their "
                        "outcome comes later, from the gateway's own records")
        self.push_screen(Confirm(f"{'; '.join(said)}. Leave anyway?", yes="Leave"),
                         lambda yes: self.exit() if yes else None)

    # ------------------------------------------------------------ toasts

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Toasts are plain text: they quote config keys ([ui]), numbers, gateway words and names the operator
        gave (a campaign called `[/x]`), never markup, whoever asks (a screen's notify passes markup=True)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def _on_notify(self, event: Notify) -> None:
        """Toasts coalesce instead of stacking: the same message again says how many times it came, and the
        newest of a kind that only says what is happening now (dialling, the receiver) replaces the last."""
        new = event.notification
        for old in list(self._notifications):
            if old.title != new.title or old.severity != new.severity:
                continue
            same = old.message.rsplit(" (×", 1)[0] == new.message
            if not same and new.title not in COALESCED:
                continue
            repeats = self._repeats.pop(old.identity, 1)
            if same:
                self._repeats[new.identity] = repeats + 1
                new.message = f"{new.message} (×{repeats + 1})"
            self._unnotify(old, refresh=False)
        shown = {n.identity for n in self._notifications}
        self._repeats = {k: v for k, v in self._repeats.items() if k in shown or k == new.identity}
        super()._on_notify(event)

    # ------------------------------------------------------------ errors

    @on(Worker.StateChanged)
    def worker_failed(self, event: Worker.StateChanged) -> None:
        """Whatever a worker did not expect reaches the operator as a sentence, never a traceback."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            if event.worker.group == "starting":  # no history, no console: said on the terminal as it closes
                self.exit(return_code=1, message=f"vgconsole: cannot start: {error}")
                return
            self.notify(str(error) or type(error).__name__, title=f"{event.worker.group or 'background'} failed",
                        severity="error", timeout=12)


def run(settings: Settings, start: Callable[[], Services], *, state_path: Path | None = None,
        profile_given: bool = False, theme_given: bool = False) -> int:
    """The console, drawn at once; `start` builds the services behind it in a thread. The exit code."""
    app = ConsoleApp(settings, start=start, state_path=state_path, profile_given=profile_given,
                     theme_given=theme_given)
    app.run()
    return app.return_code or 0
