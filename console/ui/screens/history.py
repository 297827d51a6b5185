"""Call history for supervisors: a page at a time from SQLite (never the whole table in memory),
filtered, summed up in a dashboard strip, exported, copied, and redialled."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Sparkline, Static
from textual.worker import get_current_worker

from console.callfilter import CallFilter
from console.clock import LOCAL, Zone
from console.export import CSV_COLUMNS, export_to_folder
from console.records import CallRecord, Cancelled, Summary
from console.ui import messages
from console.ui.clipboard import copy
from console.ui.formatting import amd_cell, seconds, status_cell, talk_seconds
from console.ui.keyorder import NUMBER_START, start_typing
from console.ui.widgets.footer import KeysFooter
from console.ui.widgets.recall import RecallInput
from console.ui.widgets.tables import VimTable

if TYPE_CHECKING:  # loaded with the services, after the first screen is drawn
    from console.store import Store

PAGE = 100


def summary_text(s: Summary) -> Text:
    if not s.calls:
        return Text("no calls match", style="dim")
    rate = f"{s.answer_rate:.1%}" if s.answer_rate is not None else "-"
    return Text.assemble(
        (f"{s.calls:,}", "bold"), " call  " if s.calls == 1 else " calls  ", (rate, "bold green"), " answered  AMD ",
        (f"{s.human:,}", "bold"), " human ", (f"{s.machine:,}", "bold cyan"), " machine  ring ",
        (seconds(s.ring_s) or "-", "bold"), " talk ", (seconds(s.talk_s) or "-", "bold"), no_wrap=True,
        overflow="ellipsis")


class HistoryScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back", id="history-back",
                tooltip="Out of the search, then its text, then back to the console."),
        Binding("n,pagedown", "next_page", "Older", id="history-next", tooltip="The next (older) page."),
        Binding("p,pageup", "previous_page", "Newer", id="history-previous", tooltip="The previous (newer) page."),
        Binding("slash", "search", "Search", id="history-search", tooltip="Numbers, ids or tag text."),
        Binding("f", "filter", "Filter", id="history-filter", tooltip="Profile, status, dates, answered, AMD."),
        Binding("x", "clear_filter", "All", id="history-clear", show=False, tooltip="Drop the filter: every call."),
        Binding("enter", "open", "Detail", id="history-detail", tooltip="The call's timeline and request."),
        Binding("r", "redial", "Redial", id="history-redial", tooltip="The call's fields into the dial form."),
        Binding("e", "export('csv')", "CSV", id="history-csv",
                tooltip="Write the marked calls (or, none marked, every call of the filter) to a CSV file."),
        Binding("E", "export('json')", "JSON", id="history-json",
                tooltip="Write the marked calls (or, none marked, every call of the filter) to a JSON file."),
        Binding("C", "campaign", "Campaign", id="history-campaign", show=False,
                tooltip="A campaign of the marked calls' numbers (or, none marked, the filter's), as a new list."),
        Binding("space", "toggle_mark", "Mark", id="history-mark", show=False,
                tooltip="Mark the call (●) for the export keys; again to unmark."),
        Binding("u", "unmark_all", "Unmark all", id="history-unmark", show=False, tooltip="Drop every mark."),
        Binding("c", "copy_id", "Copy id", id="history-copy-id", show=False, tooltip="Copy the call id (OSC 52)."),
        Binding(
            "y", "copy_row", "Copy row", id="history-copy-row", show=False, tooltip="Copy the call as JSON (OSC 52)."
        ),
    ]

    class Page(Message):
        def __init__(self, calls: list[CallRecord], generation: int):
            super().__init__()
            self.calls = calls
            self.generation = generation

    class Summed(Message):
        def __init__(self, summary: Summary, generation: int):
            super().__init__()
            self.summary = summary
            self.generation = generation

    class Exported(Message):
        def __init__(self, path: Path | None, count: int, error: str | None):
            super().__init__()
            self.path, self.count, self.error = path, count, error

    # The app hears these without loading this screen first (console/ui/messages.py).
    Opened = messages.CallWanted
    Searched = messages.SearchRun
    RedialWanted = messages.RedialWanted
    CampaignWanted = messages.CampaignWanted

    def __init__(self, store: Store, *, profiles: list[str], export_dir: Path, clock: Callable[[], datetime],
                 zone: Zone = LOCAL, read_only: bool = False, filter: CallFilter | None = None,
                 searches: list[str] | None = None):
        super().__init__()
        self.searches = searches if searches is not None else []  # oldest first, kept by the app
        self.store = store
        self.profiles = profiles
        self.export_dir = export_dir
        self.clock = clock
        self.zone = zone
        self.read_only = read_only
        self.filter = filter or CallFilter()
        self.cursors: list[int | None] = [None]  # `before` of each page seen, for going back
        self.calls: list[CallRecord] = []
        self.marked: dict[str, None] = {}  # attempt ids marked (space), in the order marked, across pages
        self.generation = 0  # a page or a summary from an older filter is dropped
        self.summed_generation = -1
        self.pages_shown = 0

    def compose(self) -> ComposeResult:
        yield RecallInput(self.searches, placeholder="/ search numbers, ids, tags (enter; up: earlier searches)",
                          id="history-search", compact=True)
        yield Static("", id="history-title")
        yield Static("", id="history-summary")
        with Horizontal(id="history-dashboard"):
            yield Static("calls/min", id="history-spark-label")
            yield Sparkline([], id="history-spark")
        yield VimTable(id="history-table")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#history-table", DataTable)
        # What matters first (when, who, how it ended), so a narrow terminal cuts the profile and the
        # caller, never the outcome; times in the console's zone, which the header names.
        zone = self.zone.label(self.clock())
        for label, width in ((f"created {zone}", 14), ("to", 16), ("status", 14), ("amd", 8), ("talk", 6),
                             ("profile", 14), ("from", 16)):
            table.add_column(label, width=width)
        self.set_focus(table)
        self.refilter(self.filter)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "redial" and self.read_only:
            return False
        return True

    # ------------------------------------------------------------ loading

    def refilter(self, chosen: CallFilter) -> None:
        self.filter = chosen
        self.generation += 1
        self.cursors = [None]
        self.query_one("#history-search", Input).value = chosen.text or ""
        self.query_one("#history-summary", Static).update(Text("summing up…", style="dim"))
        self.load()  # the page first; the sums (a read of every matching call) once it is on screen

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def load(self) -> None:
        generation = self.generation
        self.post_message(self.Page(self.store.page(before=self.cursors[-1], limit=PAGE, filter=self.filter),
                                    generation))

    @work(thread=True, exclusive=True, group="history-summary", exit_on_error=False)
    def sum_up(self) -> None:
        generation = self.generation
        worker = get_current_worker()
        try:  # a newer filter, or leaving the screen, cancels this worker and stops its query
            summary = self.store.summary(self.filter, cancelled=lambda: worker.is_cancelled)
        except Cancelled:
            return
        self.post_message(self.Summed(summary, generation))

    @on(Page)
    def show(self, message: Page) -> None:
        if message.generation != self.generation:
            return
        self.calls = message.calls
        table = self.query_one("#history-table", VimTable)
        table.clear()
        for call in message.calls:
            table.add_row(Text(self.zone.of(call.created_at).strftime("%m-%d %H:%M:%S")), self._to_cell(call),
                          status_cell(call), amd_cell(call), seconds(talk_seconds(call, call.updated_at)),
                          Text(call.profile),
                          Text(call.from_number or ""), key=call.attempt_id)
        table.apply_sort()  # the operator's column, if one was chosen (within this page)
        self.show_title()
        self.pages_shown += 1
        if self.summed_generation != self.generation:
            self.summed_generation = self.generation
            self.sum_up()

    def show_title(self) -> None:
        more = "  n older" if len(self.calls) == PAGE else ""
        back = "  p newer" if len(self.cursors) > 1 else ""
        marked = [("  ", ""), (f"{len(self.marked)} marked (e/E export them, u unmark)", "bold yellow")] \
            if self.marked else []
        self.query_one("#history-title", Static).update(Text.assemble(
            ("history ", "bold"), (self.filter.describe(self.zone), "bold" if not self.filter.empty else ""),
            *marked, f"  page {len(self.cursors)}, {len(self.calls)} call(s), newest first{more}{back}",
            no_wrap=True, overflow="ellipsis"))

    @on(Summed)
    def summed(self, message: Summed) -> None:
        if message.generation != self.generation:
            return
        s = message.summary
        self.query_one("#history-summary", Static).update(summary_text(s))
        self.query_one("#history-spark", Sparkline).data = s.per_minute
        self.query_one("#history-spark-label", Static).update(
            f"calls/min to {self.zone.of(s.window_end):%H:%M} ")

    # ------------------------------------------------------------ moving and filtering

    def action_next_page(self) -> None:
        if len(self.calls) == PAGE:
            self.cursors.append(self.calls[-1].id)
            self.load()

    def action_previous_page(self) -> None:
        if len(self.cursors) > 1:
            self.cursors.pop()
            self.load()

    def on_key(self, event: events.Key) -> None:
        # A number typed over the calls searches for it (the table binds no digit: it was dropped unsaid)
        if event.character and event.character in NUMBER_START and self.focused is self.query_one("#history-table"):
            start_typing(self.query_one("#history-search", Input), event)

    def action_search(self) -> None:
        self.set_focus(self.query_one("#history-search", Input))  # at once: the keys typed behind `/` go there

    def action_back(self) -> None:
        box = self.query_one("#history-search", Input)
        if self.focused is box:
            self.query_one("#history-table", DataTable).focus()
        elif self.filter.text:  # a search in force goes first, as the log's filter does: the next esc leaves
            box.value = ""
            self.refilter(self.filter.model_copy(update={"text": None}))
            self.notify("search cleared: esc again goes back", timeout=3)
        else:
            self.app.pop_screen()

    @on(Input.Submitted, "#history-search")
    def searched(self, event: Input.Submitted) -> None:
        self.post_message(self.Searched(event.value))
        self.query_one("#history-table", DataTable).focus()
        self.refilter(self.filter.model_copy(update={"text": event.value.strip() or None}))

    def action_filter(self) -> None:
        from console.ui.screens.history_filter import FilterScreen

        def chosen(result: CallFilter | None) -> None:
            if result is not None:
                self.refilter(result)

        self.app.push_screen(FilterScreen(self.filter, self.profiles, self.clock, self.zone), chosen)

    def action_clear_filter(self) -> None:
        self.refilter(CallFilter())

    # ------------------------------------------------------------ the highlighted call

    def current(self) -> CallRecord | None:
        table = self.query_one("#history-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value  # by key: rows may be sorted
        return next((call for call in self.calls if call.attempt_id == key), None)

    @on(DataTable.RowSelected, "#history-table")
    def selected(self) -> None:
        self.action_open()  # the table takes enter for itself; its selection opens the call

    def action_open(self) -> None:
        if call := self.current():
            self.post_message(self.Opened(call))

    def _to_cell(self, call: CallRecord) -> Text:
        mark = ("● ", "bold yellow") if call.attempt_id in self.marked else ""
        return Text.assemble(mark, call.to_number or "")

    def action_toggle_mark(self) -> None:
        if (call := self.current()) is None:
            return
        if self.marked.pop(call.attempt_id, 0) == 0:
            self.marked[call.attempt_id] = None
        table = self.query_one("#history-table", VimTable)
        table.update_cell(call.attempt_id, list(table.columns)[1], self._to_cell(call))
        table.action_cursor_down()
        self.show_title()

    def action_unmark_all(self) -> None:
        self.marked.clear()
        table = self.query_one("#history-table", VimTable)
        for call in self.calls:
            table.update_cell(call.attempt_id, list(table.columns)[1], self._to_cell(call))
        self.show_title()

    def action_redial(self) -> None:
        if call := self.current():
            self.post_message(self.RedialWanted(call))

    def action_copy_id(self) -> None:
        if call := self.current():
            value = call.call_sid or call.attempt_id
            self.notify(copy(self.app, value, value), timeout=6)

    def action_copy_row(self) -> None:
        if call := self.current():
            data = call.model_dump(mode="json")
            text = json.dumps({k: data[k] for k in CSV_COLUMNS}, ensure_ascii=False)
            self.notify(copy(self.app, text, f"the call to {call.to_number} as JSON"), timeout=6)

    # ------------------------------------------------------------ exports

    def action_campaign(self) -> None:
        if not self.read_only:
            self.gather_campaign(self.filter, list(self.marked))

    @work(thread=True, group="campaign", exit_on_error=False)
    def gather_campaign(self, chosen: CallFilter, marked: list[str]) -> None:
        """The marked calls, or every call of the filter (up to a campaign's limit), oldest first."""
        from itertools import islice

        from console.campaigns.callees import MAX_CALLEES

        if marked:
            calls = [c for c in map(self.store.call, marked) if c is not None]
            described = f"{len(calls)} marked call(s)"
        else:
            calls = list(islice(self.store.iter_calls(filter=chosen), MAX_CALLEES))
            described = chosen.describe(self.zone) if chosen != CallFilter() else "every call"
        self.post_message(self.CampaignWanted(sorted(calls, key=lambda c: c.id), f"history: {described}"))

    def action_export(self, fmt: str) -> None:
        self.export(fmt, self.filter, list(self.marked))

    @work(thread=True, group="export", exit_on_error=False)
    def export(self, fmt: str, chosen: CallFilter, marked: list[str]) -> None:
        """The marked calls, newest first, when there are any; else every call of the filter."""
        stem = f"calls-{self.zone.of(self.clock()):%Y%m%d-%H%M%S}"
        calls: Iterable[CallRecord] = self.store.iter_calls(filter=chosen)
        if marked:
            calls = sorted((c for c in map(self.store.call, marked) if c is not None), key=lambda c: -c.id)
        try:
            path, count = export_to_folder(self.export_dir, stem, calls, fmt,  # type: ignore[arg-type]
                                           redact=self.store.redact)
        except OSError as exc:
            self.post_message(self.Exported(None, 0, f"cannot write to {self.export_dir}: {exc.strerror or exc}"))
            return
        self.post_message(self.Exported(path, count, None))

    @on(Exported)
    def exported(self, message: Exported) -> None:
        if message.error:
            self.notify(message.error, title="export failed", severity="error", timeout=12)
        else:
            self.notify(f"{message.count:,} call(s) written to {message.path}", title="exported", timeout=12)
