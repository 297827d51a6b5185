"""Live calls as the gateway itself lists them (jambonz/Cognigy GET /Calls and CallCount), merged
with what the receiver has recorded; polled slowly, and a supervisor can hang one up."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from console.budget import gateway_key
from console.clock import LOCAL, Zone
from console.gateways.errors import GatewayError, GatewayRateLimited, NotSupported
from console.livecalls import LiveRow, Pacer, merge, overtaken, settled_event
from console.records import CallRecord
from console.ui.formatting import STATUS_STYLE, clock_time, seconds, talk_seconds
from console.ui.messages import CallWanted, MarkEndedWanted
from console.ui.screens.confirm import Confirm
from console.ui.widgets.footer import KeysFooter
from console.ui.widgets.tables import VimTable

if TYPE_CHECKING:  # loaded with the services, after the first screen is drawn
    from console.services import Services


class LiveCallsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="live-back", tooltip="Back to where you were."),
        Binding("h", "hangup", "Hang up", id="live-hangup", tooltip="Hang up or cancel the call, after a yes."),
        Binding("m", "mark_ended", "Mark ended", id="live-mark-ended",
                tooltip="Close one of our calls by hand: history only, with your reason."),
        Binding("r", "poll_now", "Refresh", id="live-refresh", tooltip="Ask the gateway now."),
        Binding("enter", "open", "Detail", id="live-detail", tooltip="Our record of the call, if it is ours."),
        Binding("a", "app.gateway_alerts", "Alerts", id="live-alerts", tooltip="The gateway's alerts."),
        Binding("R", "app.gateway_recent", "Recent", id="live-recent", tooltip="The gateway's finished calls."),
    ]

    class Polled(Message):
        def __init__(self, rows: list[LiveRow], ended: int, counts: dict[str, int] | None, note: str,
                     error: str | None, next_s: float, listed: bool):
            super().__init__()
            self.rows, self.ended, self.counts, self.note, self.error = rows, ended, counts, note, error
            self.next_s = next_s
            self.listed = listed  # the gateway listed its calls: one it does not list has ended there

    Opened = CallWanted  # heard by the app without loading this screen first

    def __init__(self, services: Services, profile: str, *, every_s: float, read_only: bool):
        super().__init__()
        self.services = services
        self.profile = profile
        self.pacer = Pacer(every_s)
        self.read_only = read_only
        self.rows: list[LiveRow] = []
        self.listed = False  # the last look got the gateway's list (none: no API for it, or it failed)
        self.polls = 0
        self.ending: set[str] = set()  # calls asked to end here, until their end shows
        self._wake = asyncio.Event()

    def compose(self) -> ComposeResult:
        yield Static("", id="live-title")
        yield VimTable(id="live-table")
        yield Static("", id="live-note")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#live-table", DataTable)
        for label, width in (("call", 10), ("from", 13), ("to", 13), ("gateway", 12), ("ours", 10), ("talk", 6)):
            table.add_column(label, width=width)
        self.set_focus(table)
        self.query_one("#live-title", Static).update(Text(f"live calls at {self.profile}: asking the gateway…"))
        self.poll()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("hangup", "mark_ended") and self.read_only:
            return False
        return True

    # ------------------------------------------------------------ polling

    @work(exclusive=True, group="live-poll", exit_on_error=False)
    async def poll(self) -> None:
        """Until the screen closes (its workers are cancelled with it): ask, show, wait."""
        while True:
            self.post_message(await self._ask())
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.pacer.delay_s)
            except TimeoutError:
                pass

    async def _ask(self) -> Polled:
        store = self.services.store
        listed, counts, note, error = None, None, "", None
        # the gateway's one allowance, shared with reconciliation and campaigns: the view waits its turn
        settings = self.services.settings
        budget = self.services.reconciler.budgets.get(gateway_key(settings, self.profile),
                                                      settings.campaigns.gateway_requests_per_minute)
        try:
            if (wait := budget.wait_s()) > 0:
                raise GatewayRateLimited("the gateway's request allowance is spent for now (campaigns and "
                                         "reconciliation share it)", retry_after=wait, status=None)
            gateway = await self.services.gateways.get(self.profile)
            budget.spend()
            listed = await gateway.live_calls()
            budget.spend()
            counts = await gateway.call_count()
            self.pacer.succeeded()
        except NotSupported as exc:
            note = f"{exc}: these are the calls history still holds as live"
        except GatewayRateLimited as exc:
            if exc.status == 429:  # the gateway said so: everyone asking it slows down
                budget.limited(exc.retry_after)
            error = f"{exc}; asking again in {self.pacer.limited(exc.retry_after):.0f} s"
        except GatewayError as exc:
            error = str(exc)
        sids = [c.call_sid for c in listed or []]
        ours = await asyncio.to_thread(store.by_sids, self.profile, sids)
        # The gateway says it ended, history still holds it live (its final webhook was lost): the gateway's
        # word is stored as a poll, as reconciliation would.
        for live, call in overtaken(listed, ours):
            event = settled_event(call, live, self.app.clock())  # type: ignore[attr-defined]
            ingested = await store.ingest(event)
            self.services.hand_on(event, ingested)
            if ingested.call is not None:
                ours[live.call_sid] = ingested.call
        unfinished = await asyncio.to_thread(store.unfinished, self.profile)
        rows, ended = merge(listed, ours, unfinished)
        return self.Polled(rows, ended, counts, note, error, self.pacer.delay_s, listed is not None)

    def action_poll_now(self) -> None:
        self._wake.set()

    @on(Polled)
    def show(self, message: Polled) -> None:
        self.polls += 1
        self.rows, self.listed = message.rows, message.listed
        table = self.query_one("#live-table", VimTable)
        keep = table.cursor_row
        table.clear()
        for row in self.rows:
            table.add_row(*self._cells(row), key=row.key)
        table.apply_sort()  # the operator's column, if one was chosen
        if self.rows:
            table.move_cursor(row=min(keep, len(self.rows) - 1))
        counts = (f"gateway counts {message.counts['outbound']} out, {message.counts['inbound']} in  "
                  if message.counts is not None else "")
        moment = self.app.clock()  # type: ignore[attr-defined]
        zone: Zone = getattr(self.app, "zone", LOCAL)
        now = f"{clock_time(zone.of(moment))} {zone.label(moment)}"
        self.query_one("#live-title", Static).update(Text.assemble(
            ("live calls ", "bold"), (self.profile, "bold"), f"  {len(self.rows)} shown  ", counts,
            f"{message.ended} ended there, not shown  " if message.ended else "",
            (f"asked {now}, every {message.next_s:.0f} s", "dim"), no_wrap=True, overflow="ellipsis"))
        note_text = message.note
        if not note_text and self.listed and any(not row.at_gateway for row in self.rows):
            note_text = ("not listed: history holds the call as live but the gateway no longer does "
                         "(its last webhook never arrived)")
        note = Text(message.error, style="bold red") if message.error else Text(note_text, style="yellow")
        self.query_one("#live-note", Static).update(note)

    def _cells(self, row: LiveRow) -> list[Any]:
        if row.call is None:
            ours = Text("not ours", style="dim")  # placed by someone else: history has no record of it
        elif row.key in self.ending and not (row.status and row.status.final):
            ours = Text("ending…", style="yellow")  # asked to end here; the gateway's word on it is on its way
        else:
            ours = Text(row.status.value.replace("_", " ") if row.status else "",
                        style=STATUS_STYLE.get(row.status, "") if row.status else "")
        # not listed: history holds the call as live, the gateway no longer has it (when it could say so)
        if row.at_gateway:
            gateway = Text(row.gateway_status)
        else:
            gateway = Text("not listed", style="yellow") if self.listed else Text("?", style="dim")
        # jambonz gives a duration only once a call has completed: a live one's talk time is ours, from history
        talk: float | None = row.duration
        if talk is None and row.call is not None:
            talk = talk_seconds(row.call, self.app.clock())  # type: ignore[attr-defined]
        return [Text((row.call_sid or "-")[:10]), Text(row.from_number), Text(row.to_number), gateway, ours,
                seconds(talk)]

    def calls_changed(self, calls: dict[str, CallRecord]) -> None:
        """The receiver stored new events: our column follows at once, the gateway's at the next poll."""
        for i, row in enumerate(self.rows):
            if row.call and row.call.attempt_id in calls:
                call = calls[row.call.attempt_id]
                self.rows[i] = row = LiveRow(row.key, row.call_sid or call.call_sid, row.from_number, row.to_number,
                                             row.gateway_status, call.status, row.duration, call, row.at_gateway)
                self.show_row(row)

    # ------------------------------------------------------------ acting on a call

    def current(self) -> LiveRow | None:
        table = self.query_one("#live-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value  # by key: rows may be sorted
        return next((row for row in self.rows if row.key == key), None)

    def chosen(self) -> LiveRow | None:
        """The call under the cursor; none yet (a key typed right behind F9) or none at all is said."""
        row = self.current()
        if row is None:
            self.notify("asking the gateway: no call is listed yet" if not self.polls else "no live call listed",
                        timeout=3)
        return row

    @on(DataTable.RowSelected, "#live-table")
    def selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        row = self.chosen()
        if row is None:
            return
        if row.call is None:
            self.notify("this call was not placed from here: history has no record of it", timeout=4)
            return
        self.post_message(self.Opened(row.call))

    def action_hangup(self) -> None:
        row = self.chosen()
        if row is None:
            return
        if self.read_only:
            self.notify("read-only: hang-up is off", severity="warning")
            return
        if not row.call_sid:
            self.notify("the gateway never gave this call an id, so there is nothing to hang up", severity="warning")
            return
        if not row.at_gateway and self.listed:
            self.notify(f"the gateway no longer lists the call to {row.to_number}: it has ended there", timeout=5)
            return
        if row.key in self.ending:
            self.notify(f"the call to {row.to_number} was asked to end: waiting for the gateway to end it", timeout=4)
            return
        verb = "Hang up" if row.answered else "Cancel"
        self.app.push_screen(Confirm(f"{verb} the call to {row.to_number} ({row.call_sid})?", yes=verb),
                             partial(self._confirmed, row, verb))

    def _confirmed(self, row: LiveRow, verb: str, yes: bool | None) -> None:
        if yes:
            self.hang_up(row, verb)

    @work(group="live-hangup", exit_on_error=False)
    async def hang_up(self, row: LiveRow, verb: str) -> None:
        try:
            await self.services.dialer.hangup_sid(self.profile, row.call_sid or "", answered=row.answered)
        except GatewayError as exc:
            self.notify(str(exc), title=f"{verb.lower()} failed", severity="error", timeout=10)
            return
        self.notify(f"{verb.lower()} sent for {row.to_number}", timeout=3)
        self.ending.add(row.key)  # until the gateway's word on it comes, by webhook or at the next poll
        self.show_row(row)

    def show_row(self, row: LiveRow) -> None:
        table = self.query_one("#live-table", DataTable)
        if row.key in table.rows:
            for column, value in zip(table.columns, self._cells(row)):
                table.update_cell(row.key, column, value)

    def action_mark_ended(self) -> None:
        row = self.chosen()
        if row is None:
            return
        if row.call is None:
            self.notify("this call was not placed from here: history has no record of it to close", timeout=4)
            return
        self.post_message(MarkEndedWanted(row.call))
