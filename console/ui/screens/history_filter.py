"""The history filter: profile, status, dates, answered, AMD result and text, checked before it applies."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select

from console.callfilter import CallFilter, FilterError, build_filter
from console.clock import LOCAL, Zone
from console.status import AmdResult, CallStatus
from console.ui.widgets.footer import KeysFooter

ANY = "any"


def _shown(moment: datetime | None, zone: Zone) -> str:
    return zone.of(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


class FilterScreen(ModalScreen[CallFilter]):
    BINDINGS = [
        Binding("ctrl+g", "apply", "Apply", id="filter-apply", priority=True, tooltip="Show the calls that match."),
        Binding("ctrl+r", "clear", "Clear", id="filter-clear", tooltip="Empty every field."),
        Binding("escape", "app.pop_screen", "Cancel", id="filter-cancel", tooltip="Keep the filter as it was."),
    ]

    def __init__(self, current: CallFilter, profiles: Iterable[str], clock: Callable[[], datetime],
                 zone: Zone = LOCAL):
        super().__init__()
        self.zone = zone
        self.current = current
        self.profiles = sorted(set(profiles) | ({current.profile} if current.profile else set()))
        self.clock = clock

    def compose(self) -> ComposeResult:
        f = self.current
        with Vertical(classes="dialog", id="filter-dialog"):
            yield Label("Filter history  (ctrl+g apply, esc cancel)", classes="question")
            yield from self._row("Profile", Select([(p, p) for p in self.profiles], value=f.profile or Select.NULL,
                                                   prompt=ANY, compact=True, id="flt-profile"))
            yield from self._row("Status", Select([(s.value.replace("_", " "), s.value) for s in CallStatus],
                                                  value=f.status.value if f.status else Select.NULL, prompt=ANY,
                                                  compact=True, id="flt-status"))
            yield from self._row("Answered", Select([("yes", "yes"), ("no", "no")], prompt=ANY, compact=True,
                                                    value=Select.NULL if f.answered is None else
                                                    ("yes" if f.answered else "no"), id="flt-answered"))
            yield from self._row("AMD", Select([(a.value.replace("_", " "), a.value) for a in AmdResult if a.verdict],
                                               value=f.amd.value if f.amd else Select.NULL, prompt=ANY, compact=True,
                                               id="flt-amd"))
            yield from self._row(
                "Since",
                Input(
                    _shown(f.since, self.zone),
                    placeholder=f"2026-11-21 09:30 ({self.zone.label(self.clock())}), today, 24h, 7d",
                    compact=True,
                    id="flt-since",
                ),
            )
            yield from self._row("Until", Input(_shown(f.until, self.zone), placeholder="same forms; empty: now",
                                                compact=True, id="flt-until"))
            yield from self._row("Text", Input(f.text or "", placeholder="numbers, ids, tags", compact=True,
                                               id="flt-text"))
            yield Label("", classes="error", id="flt-error")
        yield KeysFooter()

    def _row(self, label: str, widget) -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label(label, classes="label")
            yield widget

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#flt-profile"))

    def _choice(self, wid: str) -> str | None:
        value = self.query_one(wid, Select).value
        return None if value is Select.NULL else str(value)

    def action_apply(self) -> None:
        try:
            chosen = build_filter(
                profile=self._choice("#flt-profile"), status=self._choice("#flt-status"),
                answered=self._choice("#flt-answered"), amd=self._choice("#flt-amd"),
                since=self.query_one("#flt-since", Input).value, until=self.query_one("#flt-until", Input).value,
                text=self.query_one("#flt-text", Input).value, now=self.clock(), zone=self.zone)
        except FilterError as exc:
            field = str(exc).split(":", 1)[0]
            error = self.query_one("#flt-error", Label)
            error.update(str(exc))
            error.add_class("shown")
            if field in ("since", "until"):
                self.query_one(f"#flt-{field}").focus()
            return
        self.dismiss(chosen)

    def action_clear(self) -> None:
        for select in self.query(Select):
            select.clear()
        for field in self.query(Input):
            field.value = ""
        self.query_one("#flt-error", Label).remove_class("shown")

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_apply()
