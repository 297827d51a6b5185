"""Closing a call by hand: nothing is sent to the gateway; history records it as unknown with the
operator's reason, as an event of its own."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from console.ui.widgets.footer import KeysFooter


class MarkEnded(ModalScreen[str | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Leave it", id="mark-cancel", tooltip="Leave the call as it is."),
    ]

    def __init__(self, question: str):
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="question")
            yield Input(placeholder="why (kept with the call): e.g. the customer called back", id="mark-reason")
            yield Label("", id="mark-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Mark ended (enter)", id="mark-yes", variant="warning", compact=True)
                yield Button("Leave it (esc)", id="mark-no", compact=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#mark-reason", Input))

    @on(Input.Submitted, "#mark-reason")
    @on(Button.Pressed, "#mark-yes")
    def confirm(self) -> None:
        reason = self.query_one("#mark-reason", Input).value.strip()
        if not reason:
            error = self.query_one("#mark-error", Label)
            error.update("a reason is needed: it is what the call's history will say")
            error.add_class("shown")
            self.query_one("#mark-reason", Input).focus()
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#mark-no")
    def action_cancel(self) -> None:
        self.dismiss(None)
