"""One call: what it is, every event the gateway sent (time, what it said, the raw body), and the
request as it was sent (secrets masked before it was ever stored)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static, TabbedContent, TabPane
from textual.widgets.data_table import ColumnKey

from console.clock import LOCAL, Zone, utc_now
from console.providers import room
from console.records import CallDetail, CallRecord, EventRecord
from console.status import EventSource
from console.ui.clipboard import copy
from console.ui.formatting import clock_time, seconds, status_cell
from console.ui.messages import DetailHangupWanted, DoNotCallWanted, MarkEndedWanted
from console.ui.widgets.footer import KeysFooter

if TYPE_CHECKING:  # loaded with the services, after the first screen is drawn
    from console.store import Store


SAID_MIN = 22  # the timeline's 'said' column at its narrowest


def pretty(raw: str) -> str:
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except (ValueError, TypeError):
        return raw

class CallDetailScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back", tooltip="Back to where you were."),
        Binding("h", "hangup", "Hang up", id="detail-hangup", tooltip="Hang up or cancel this call, after a yes."),
        Binding("m", "mark_ended", "Mark ended", id="detail-mark-ended",
                tooltip="Close this call by hand: history only, with your reason."),
        Binding("c", "copy", "Copy id", id="copy-id", tooltip="Copy the call id to the clipboard (OSC 52)."),
        Binding("d", "do_not_call", "Do not call", id="detail-do-not-call", show=False,
                tooltip="Put the number on the do-not-call list (campaigns never dial it), after a yes."),
        Binding("r", "reload", "Reload", id="detail-reload", tooltip="Read the call again from history."),
        Binding("1", "tab('timeline')", "Timeline", id="detail-timeline", tooltip="The call's events, as they came."),
        Binding("2", "tab('request')", "Request", id="detail-request", tooltip="The request as it was sent."),
    ]

    class Loaded(Message):
        def __init__(self, detail: CallDetail | None):
            super().__init__()
            self.detail = detail

    HangupWanted = DetailHangupWanted  # heard by the app without loading this screen first

    def __init__(self, store: Store, attempt_id: str):
        super().__init__()
        self.store = store
        self.attempt_id = attempt_id
        self.detail: CallDetail | None = None
        self._said_longest = 0  # the longest of what the events said, in cells

    def compose(self) -> ComposeResult:
        yield Static("loading…", id="detail-summary")
        with TabbedContent(id="detail-tabs"):
            with TabPane("Timeline", id="timeline-tab"):
                yield DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="raw-box"):
                    yield Static("", id="raw")
            with TabPane("Request", id="request-tab"):
                with VerticalScroll(id="request-box"):
                    yield Static("", id="request")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#timeline", DataTable)
        time = f"time {self.zone.label(utc_now())}"
        for label, width in ((time, max(12, len(time))), ("from", 8), ("kind", 6), ("said", SAID_MIN), ("sip", 4),
                             ("verified", 8)):
            table.add_column(label, width=width, key=label)
        self.fit_said(self.size.width)
        self.set_focus(table)  # up and down walk the events, each one's raw body below
        self.action_reload()

    def on_resize(self, event: events.Resize) -> None:
        self.fit_said(event.size.width)

    def fit_said(self, width: int) -> None:
        """What each event said is as wide as its longest, within the width the others leave ("cancel asked
        by the operator" whole from 100 columns)."""
        table = self.query_one("#timeline", DataTable)
        if "said" not in table.columns:
            return
        others = sum(c.width + 2 * table.cell_padding for k, c in table.columns.items() if k != "said")
        room_left = width - others - 2 * table.cell_padding - 4
        table.columns[ColumnKey("said")].width = max(SAID_MIN, min(self._said_longest, room_left))
        table._require_update_dimensions = True
        table.refresh()

    def calls_changed(self, calls: dict[str, CallRecord]) -> None:
        """Webhooks changed these calls: this one's timeline is read again if it is among them."""
        if self.attempt_id in calls:
            self.action_reload()

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def action_reload(self) -> None:
        self.post_message(self.Loaded(self.store.detail(self.attempt_id)))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        self.detail = message.detail
        if message.detail is None:
            self.query_one("#detail-summary", Static).update(Text(f"no call {self.attempt_id} in history", style="red"))
            return
        call = message.detail.call
        zone = self.zone
        lines = Text.assemble(
            ("to ", "dim"),
            (call.to_number or "", "bold"),
            ("  from ", "dim"),
            (call.from_number or ""),
            ("  ", ""),
            status_cell(call),
            ("  sip ", "dim"),
            (f"{call.sip_status or ''} {call.sip_reason or ''}".strip()),
            ("  amd ", "dim"),
            (call.amd_result.value if call.amd_result else "-"),
            ("\nprofile ", "dim"),
            (f"{call.profile} ({call.provider})"),
            ("  attempt ", "dim"),
            (call.attempt_id),
            ("  call ", "dim"),
            (call.call_sid or "-"),
            ("\ncreated ", "dim"),
            (f"{zone.of(call.created_at):%Y-%m-%d %H:%M:%S} {zone.label(call.created_at)}"),
            ("  answered ", "dim"),
            (clock_time(zone.of(call.answered_at)) if call.answered_at else "-"),
            ("  ended ", "dim"),
            (clock_time(zone.of(call.ended_at)) if call.ended_at else "-"),
            ("  talk ", "dim"),
            (seconds(call.duration) or "-"),
            *(
                [("\nwhy ", "bold yellow"), (call.error, "yellow")]
                if call.error and call.status.value == "unknown"
                else [("\nerror ", "bold red"), (call.error, "red")]
                if call.error
                else []
            ),
        )
        self.query_one("#detail-summary", Static).update(lines)
        table = self.query_one("#timeline", DataTable)
        table.clear()
        words = timeline_words(message.detail.events, call.provider)
        self._said_longest = max(map(cell_len, words), default=0)
        self.fit_said(self.size.width)
        for event, said in zip(message.detail.events, words):
            table.add_row(Text(zone.of(event.received_at).strftime("%H:%M:%S.%f")[:12]), Text(event.source.value),
                          Text(event.kind), Text(said), Text(str(event.sip_status or "")),
                          Text("yes" if event.verified else "no", style="" if event.verified else "yellow"),
                          key=str(event.id))
        if message.detail.events:
            self.show_raw(0)
        sent = {k: v for k, v in call.request.items() if k != "dial"}  # `dial` is the form, kept for redial
        self.query_one("#request", Static).update(Text(json.dumps(sent, indent=2, ensure_ascii=False)))

    @property
    def zone(self) -> Zone:
        return getattr(self.app, "zone", LOCAL)

    def show_raw(self, index: int) -> None:
        if self.detail and 0 <= index < len(self.detail.events):
            self.query_one("#raw", Static).update(Text(pretty(self.detail.events[index].raw)))

    @on(DataTable.RowHighlighted, "#timeline")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_raw(event.cursor_row)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("hangup", "mark_ended") and getattr(self.app, "read_only", False):
            return False  # read-only: not offered (and the app refuses it too)
        return True

    def action_hangup(self) -> None:
        if self.detail is not None:
            self.post_message(self.HangupWanted(self.detail))

    def action_mark_ended(self) -> None:
        if self.detail is not None:
            self.post_message(MarkEndedWanted(self.detail.call))

    def action_do_not_call(self) -> None:
        if self.detail is not None:
            self.post_message(DoNotCallWanted(self.detail.call))

    def action_tab(self, which: str) -> None:
        """Show a tab and go into it (focus left in the other tab would bring that one back)."""
        self.query_one("#detail-tabs", TabbedContent).active = f"{which}-tab"
        self.set_focus(self.query_one("#timeline" if which == "timeline" else "#request-box"))

    def action_copy(self) -> None:
        if self.detail is not None:
            value = self.detail.call.call_sid or self.detail.call.attempt_id
            self.notify(copy(self.app, value, value), timeout=6)


def timeline_words(events: list[EventRecord], provider: str) -> list[str]:
    """What each event said, in the timeline's words: the AMD verdict, the gateway's status word (numbered by
    attempt where the gateway retries by itself and reports each attempt), the create's answer, or why a call is
    unknown."""
    words, attempt = [], 0
    by_attempt = room(provider).retries is not None  # each of the gateway's own attempts reports: numbered
    for event in events:
        if event.amd_result:
            words.append(event.amd_result.value)
        elif event.source is EventSource.CREATE:  # the gateway's answer to the create, with its HTTP status
            status = event.status.value if event.status else "unknown"  # none: its answer was lost, noted only
            word = {"failed": "refused", "unknown": "answer lost: may have been placed"}.get(status, "accepted")
            http = event.details.get("http_status")
            words.append(f"{word}, HTTP {http}" if http else word)
        elif event.source in (EventSource.OPERATOR, EventSource.DEADLINE):  # with no status: a word, not an end
            why = event.details.get("why", "")
            words.append(f"unknown: {why}" if event.status else why)
        elif by_attempt and event.source is EventSource.WEBHOOK and event.status:
            attempt += 1
            words.append(f"{event.provider_status or event.status.value} (attempt {attempt})")
        else:
            words.append(event.provider_status or (event.status.value if event.status else ""))
    return words
