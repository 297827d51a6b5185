"""The live call log: one row per attempt, updated in place as events arrive.

Updates are collected and applied together (within FLUSH_S, or BUSY_FLUSH_S while calls pour in), so
a burst of webhooks costs one repaint, not one per event; the log keeps the newest MAX_ROWS calls (the
rest are in history)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from console.clock import LOCAL, Zone
from console.records import CallRecord
from console.ui.formatting import amd_cell, clock_time, ring_seconds, seconds, status_cell, tags_summary, talk_seconds
from console.ui.messages import DoNotCallWanted, MarkEndedWanted
from console.ui.widgets.tables import ConsoleTable, SortText, sort_value

MAX_ROWS = 500
# A status shows within FLUSH_S of its webhook. Each flush that adds calls redraws every row on screen
# (the new ones push the rest down), and the drawing holds the keys typed meanwhile; so while calls
# pour in faster than anyone reads them (more than BUSY_ROWS row changes at a flush), the log redraws
# every BUSY_FLUSH_S instead (bench/ui_latency.py: the console's CPU and keypress latency at 500/s).
FLUSH_S = 0.2
BUSY_FLUSH_S = 0.5
BUSY_ROWS = 20
LOOK_S = 0.1  # how often the log looks for updates
# Most telling first: at 80 columns the log shows time to talk and scrolls sideways for the rest.
COLUMNS = (("time", "time", 8), ("to", "to", 16), ("status", "status", 14), ("amd", "amd", 8),
           ("ring", "ring", 5), ("talk", "talk", 6), ("from", "from", 16), ("profile", "profile", 12),
           ("tags", "tags", 14))


class CallLog(ConsoleTable):
    BINDINGS = [
        Binding("enter", "open", "Detail", id="call-detail", tooltip="The call's timeline and the request as sent."),
        Binding("h", "hangup", "Hang up", id="hangup", tooltip="Hang up (answered) or cancel (ringing), asks first."),
        Binding("m", "mark_ended", "Mark ended", id="mark-ended",
                tooltip="Close a call that is over but still shown live (history only; asks why)."),
        Binding("space", "toggle_mark", "Mark", show=False, id="mark-row",
                tooltip="Mark the call (●) for an action on every marked call; again to unmark."),
        Binding("H", "hangup_marked", "Hang up marked", show=False, id="hangup-marked",
                tooltip="Hang up or cancel every marked call still going, after one yes."),
        Binding("M", "mark_ended_marked", "Mark marked ended", show=False, id="mark-ended-marked",
                tooltip="Close every marked call still shown live, with one reason, after one question."),
        Binding("e", "export_marked('csv')", "CSV of marked", show=False, id="export-marked-csv",
                tooltip="Write the marked calls to a CSV file in the exports folder."),
        Binding("E", "export_marked('json')", "JSON of marked", show=False, id="export-marked-json",
                tooltip="Write the marked calls to a JSON file in the exports folder."),
        Binding("u", "unmark_all", "Unmark all", show=False, id="unmark-all", tooltip="Drop every mark."),
        Binding("d", "do_not_call", "Do not call", show=False, id="do-not-call",
                tooltip="Put the number on the do-not-call list (campaigns never dial it), after a yes."),
    ]

    @dataclass
    class Opened(Message):
        call: CallRecord

    @dataclass
    class HangupWanted(Message):
        call: CallRecord

    @dataclass
    class HangupMarkedWanted(Message):
        calls: list[CallRecord]

    @dataclass
    class MarkEndedMarkedWanted(Message):
        calls: list[CallRecord]

    @dataclass
    class ExportMarkedWanted(Message):
        calls: list[CallRecord]
        fmt: str

    def __init__(self, clock: Callable[[], datetime], zone: Zone = LOCAL, **kw: Any):
        super().__init__(**kw)
        self.clock = clock
        self.zone = zone
        self.calls: dict[str, CallRecord] = {}
        self._pending: dict[str, CallRecord] = {}
        self.marked: set[str] = set()  # attempt ids the operator marked (space) for an action on all of them
        self.applied = 0  # row updates put on screen (the UI latency benchmark reads it)
        self._due = 0.0  # monotonic time before which the next flush waits

    def on_mount(self) -> None:
        zone = self.zone.label(self.clock())  # the header says which zone the times are in
        for label, key, width in COLUMNS:
            label = f"time {zone}" if key == "time" else label
            self.add_column(label, key=key, width=max(width, len(label)))
        self.set_interval(LOOK_S, self._look)
        self.set_interval(1.0, self.tick)

    # ------------------------------------------------------------ data in

    def upsert(self, call: CallRecord) -> None:
        """Queue a call's new state; the next flush shows it."""
        self._pending[call.attempt_id] = call

    def load(self, calls: Iterable[CallRecord]) -> None:
        for call in calls:
            self._pending[call.attempt_id] = call
        self.flush()

    def _look(self) -> None:
        if self._pending and time.monotonic() >= self._due:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, {}
        self._due = time.monotonic() + (BUSY_FLUSH_S if len(batch) > BUSY_ROWS else FLUSH_S)
        # New rows go on top. While the operator works in the log the cursor stays with its call, not
        # its line; otherwise it rests on the newest call, so F4 lands on the call just placed.
        chosen = self.selected() if self.has_focus else None
        added = False
        for attempt, call in batch.items():
            self.calls[attempt] = call
            if attempt in self.rows:
                self._update(call)
            elif self._shown(call):
                self.add_row(*self._cells(call), key=attempt, height=1)
                added = True
            self.applied += 1
        if len(self.calls) > MAX_ROWS:
            for attempt, _ in sorted(self.calls.items(), key=lambda kv: (kv[1].created_at, kv[1].id))[:-MAX_ROWS]:
                del self.calls[attempt]
                if attempt in self.rows:
                    self.remove_row(attempt)
        if self.sort_by is not None:  # the operator's column: rows that changed move too
            self.apply_sort()
        elif added:  # the newest on top
            self.sort("time", key=lambda cell: cell.sort_key, reverse=True)
        if chosen is not None and chosen.attempt_id in self.rows:
            self.move_cursor(row=self.get_row_index(chosen.attempt_id), animate=False)
        elif added and not self.has_focus and self.cursor_row != 0:
            self.move_cursor(row=0, animate=False)

    def tick(self) -> None:
        """Ring and talk time move on for the calls still going."""
        now = self.clock()
        for attempt, call in self.calls.items():
            if not call.status.final and attempt in self.rows:
                self._set(attempt, "ring", seconds(ring_seconds(call, now)))
                self._set(attempt, "talk", seconds(talk_seconds(call, now)))

    def _set(self, attempt: str, column: str, value: Any) -> None:
        """A cell changed only when what it shows changed (each change has the table redraw its rows)."""
        if self.get_cell(attempt, column) != value:
            self.update_cell(attempt, column, value)

    def rebuild(self) -> None:
        self.clear()
        for call in sorted(self.calls.values(), key=lambda c: (c.created_at, c.id), reverse=True):
            if self._shown(call):
                self.add_row(*self._cells(call), key=call.attempt_id, height=1)
        self.apply_sort()

    # ------------------------------------------------------------ rows

    def _shown(self, call: CallRecord) -> bool:
        """Under the filter: the text of any cell as the row shows it (time, status, AMD...), the call's ids,
        or its tags whole."""
        return not self.filter_text or self.matches(*self._cells(call), call.status.value, call.attempt_id,
                                                    call.call_sid, tags_summary(call.tags, 200))

    def _cells(self, call: CallRecord) -> list[Any]:
        now = self.clock()
        return [SortText(clock_time(self.zone.of(call.created_at)), (call.created_at, call.id)),
                self._to_cell(call), status_cell(call), amd_cell(call),
                seconds(ring_seconds(call, now)), seconds(talk_seconds(call, now)), Text(call.from_number or ""),
                Text(call.profile), Text(tags_summary(call.tags))]

    def _to_cell(self, call: CallRecord) -> Text:
        number = call.to_number or ""
        if call.attempt_id in self.marked:  # sorted by its number, as if the mark were not there
            cell = SortText("", sort_value(Text(number)))
            cell.append("● ", "bold yellow")
            cell.append(number)
            return cell
        return Text(number)

    def _update(self, call: CallRecord) -> None:
        now = self.clock()
        for key, value in (("status", status_cell(call)), ("amd", amd_cell(call)),
                           ("ring", seconds(ring_seconds(call, now))), ("talk", seconds(talk_seconds(call, now)))):
            self._set(call.attempt_id, key, value)

    # ------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("hangup", "mark_ended", "hangup_marked", "mark_ended_marked") and getattr(
                self.app, "read_only", False):
            return False  # read-only: not offered (and the app refuses it too)
        return True

    def selected(self) -> CallRecord | None:
        if self.row_count == 0:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self.calls.get(key) if key else None

    def action_open(self) -> None:
        if call := self.selected():
            self.post_message(self.Opened(call))

    def action_toggle_mark(self) -> None:
        call = self.selected()
        if call is None:
            return
        self.marked ^= {call.attempt_id}
        self.update_cell(call.attempt_id, "to", self._to_cell(call))
        self.action_cursor_down()  # as in htop and k9s: space, space marks a run of rows

    def _marked_calls(self) -> list[CallRecord]:
        calls = [self.calls[a] for a in self.marked if a in self.calls]
        if not calls:
            self.notify("no calls marked: space marks the call under the cursor", timeout=4)
        return calls

    def action_hangup_marked(self) -> None:
        if calls := self._marked_calls():
            self.post_message(self.HangupMarkedWanted(calls))

    def action_mark_ended_marked(self) -> None:
        if calls := self._marked_calls():
            self.post_message(self.MarkEndedMarkedWanted(calls))

    def action_export_marked(self, fmt: str) -> None:
        if calls := self._marked_calls():
            self.post_message(self.ExportMarkedWanted(calls, fmt))

    def action_unmark_all(self) -> None:
        self.unmark(list(self.marked))

    def unmark(self, attempts: Iterable[str]) -> None:
        for attempt in attempts:
            self.marked.discard(attempt)
            if attempt in self.rows and attempt in self.calls:
                self.update_cell(attempt, "to", self._to_cell(self.calls[attempt]))

    def action_hangup(self) -> None:
        if call := self.selected():
            self.post_message(self.HangupWanted(call))

    def action_do_not_call(self) -> None:
        if call := self.selected():
            self.post_message(DoNotCallWanted(call))

    def action_mark_ended(self) -> None:
        if call := self.selected():
            self.post_message(MarkEndedWanted(call))
