"""Yes or no before anything that cannot be undone."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from console.ui.widgets.footer import KeysFooter


class Confirm(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm-yes", tooltip="Do it."),
        Binding("n,escape", "answer(False)", "No", id="confirm-no", tooltip="Leave it."),
    ]

    def __init__(self, question: str, yes: str = "Yes"):
        super().__init__()
        self.question = question
        self.yes = yes
        self.unused = ""  # keys typed ahead (a number after a dial key) that reached the question instead

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="question", markup=False)  # it quotes names the operator gave
            with Horizontal(classes="buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="error", compact=True)
                yield Button("No (n)", id="no", compact=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#no", Button))  # the safe answer has the focus

    def on_key(self, event: events.Key) -> None:
        # Text typed while the question opened is not an answer: kept to be said, never lost unsaid
        if event.character and event.character.isprintable() and event.character not in "yn ":
            self.unused += event.character
        elif event.key in ("ctrl+g", "f5"):
            self.unused += " and the dial key" if self.unused else "the dial key"

    def action_answer(self, value: bool) -> None:
        self._close(value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self._close(event.button.id == "yes")

    def _close(self, value: bool) -> None:
        if self.unused:
            self.app.notify(f"typed while the question was open, and not used: {self.unused}", title="keys not used",
                            severity="warning", timeout=8)
        self.dismiss(value)
