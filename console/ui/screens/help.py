"""Every key the console answers to, where, and its id for the keymap; and the `:` commands."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from console.ui.widgets.footer import KeysFooter

Row = tuple[str, str, str, str]  # where, keys, id, what it does


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,f1,q", "dismiss", "Close", id="help-close", tooltip="Back.")]

    def __init__(self, rows: list[Row], commands: list[tuple[str, str]]):
        super().__init__()
        self.rows = rows
        self.commands = commands

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Label("Keys  (remap any of them by id: [keymap] in the config)", classes="title", markup=False)
            yield DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)
            yield Static(Text("Commands after ':'  " + "  ·  ".join(f":{n}" + (f" ({h})" if h else "")
                                                                   for n, h in self.commands)), classes="hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#help-keys", DataTable)
        # The ids whole (they are what [keymap] needs); what a key does wraps rather than being cut.
        id_width = max((len(binding_id) for _, _, binding_id, _ in self.rows), default=2)
        for label, width in (("keys", 12), ("what it does", 44), ("id", id_width)):
            table.add_column(label, width=width)
        section = None
        for where, keys, binding_id, what in self.rows:
            if where != section:  # a heading row per place the keys work
                section = where
                table.add_row(Text(where, style="bold underline"), Text(""), Text(""), height=None)  # wraps, whole
            table.add_row(Text(keys, style="bold"), Text(what), Text(binding_id, style="dim"), height=None)
        self.set_focus(table)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
