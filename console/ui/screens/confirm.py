"""Yes or no before anything that cannot be undone."""

from __future__ import annotations

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

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="question", markup=False)  # it quotes names the operator gave
            with Horizontal(classes="buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="error", compact=True)
                yield Button("No (n)", id="no", compact=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#no", Button))  # the safe answer has the focus

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")
