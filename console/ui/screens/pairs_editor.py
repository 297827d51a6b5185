"""Tags (JSON metadata) and SIP headers: a name/value table, checked and previewed as you edit."""

from __future__ import annotations

import json

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Label, Static

from console.request_parts import TAGS_MAX_BYTES, check_header, headers_from_pairs, tags_from_pairs

Pairs = list[tuple[str, str]]


class PairsEditor(ModalScreen[Pairs | None]):
    """`kind` is "tags" (values may be JSON) or "headers" (RFC 3261 names, single-line values)."""

    BINDINGS = [
        Binding("ctrl+g", "save", "Save", id="editor-save", priority=True, tooltip="Keep these for the next calls."),
        Binding("escape", "cancel", "Cancel", id="editor-cancel", tooltip="Leave without changes."),
        Binding("delete", "remove", "Remove row", id="editor-remove", tooltip="Remove the selected row."),
    ]

    def __init__(self, kind: str, pairs: Pairs):
        super().__init__()
        self.kind = kind
        self.pairs: Pairs = list(pairs)

    def compose(self) -> ComposeResult:
        title = "Tags: JSON metadata sent with the call" if self.kind == "tags" else "Custom SIP headers on the INVITE"
        with Vertical(classes="dialog editor"):
            yield Label(title, classes="title")
            yield DataTable(id="pairs", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="field"):
                yield Input(
                    placeholder="name" if self.kind == "tags" else "X-Header-Name", id="pair-name", compact=True
                )
                yield Input(placeholder='value (2, true, {"a": 1} are JSON)' if self.kind == "tags" else "value",
                            id="pair-value", compact=True)
            yield Label("", classes="error", id="pair-error")
            yield Static("", id="preview")
            yield Static("enter adds or updates the row · enter on a row edits it · delete removes it",
                         classes="hint")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#pairs", DataTable)
        table.add_column("name", width=24, key="name")
        table.add_column("value", width=40, key="value")
        self.redraw()
        self.query_one("#pair-name", Input).focus()

    def redraw(self) -> None:
        table = self.query_one("#pairs", DataTable)
        table.clear()
        for index, (name, value) in enumerate(self.pairs):
            table.add_row(Text(name), Text(value), key=str(index))
        self.preview()

    def preview(self) -> bool:
        """Show what the pairs amount to; False when they are not valid."""
        out = self.query_one("#preview", Static)
        try:
            if self.kind == "tags":
                tags = tags_from_pairs(self.pairs)
                encoded = json.dumps(tags, separators=(",", ":"), ensure_ascii=False)
                out.update(Text(f"{encoded}\n{len(encoded.encode()):,} of {TAGS_MAX_BYTES:,} bytes"))
            else:
                headers = headers_from_pairs(self.pairs)
                out.update(Text("\n".join(f"{n}: {v}" for n, v in headers.items()) or "no headers"))
        except ValueError as exc:
            out.update(Text(str(exc), style="bold red"))
            return False
        return True

    @on(Input.Submitted)
    def add_row(self) -> None:
        name_box, value_box = self.query_one("#pair-name", Input), self.query_one("#pair-value", Input)
        name, value = name_box.value.strip(), value_box.value
        error = self.query_one("#pair-error", Label)
        if not name:
            error.update("a row needs a name")
            name_box.focus()
            return
        if self.kind == "headers":
            try:
                name, value = check_header(name, value)
            except ValueError as exc:
                error.update(str(exc))
                return
        error.update("")
        existing = next((i for i, (n, _) in enumerate(self.pairs) if n.lower() == name.lower()), None)
        if existing is None:
            self.pairs.append((name, value))
        else:
            self.pairs[existing] = (name, value)
        name_box.value = value_box.value = ""
        name_box.focus()
        self.redraw()

    @on(DataTable.RowSelected)
    def edit_row(self, event: DataTable.RowSelected) -> None:
        name, value = self.pairs[int(event.row_key.value or 0)]
        self.query_one("#pair-name", Input).value = name
        self.query_one("#pair-value", Input).value = value
        self.query_one("#pair-value", Input).focus()

    def action_remove(self) -> None:
        table = self.query_one("#pairs", DataTable)
        if table.row_count and table.has_focus:
            del self.pairs[table.cursor_row]
            self.redraw()

    def action_save(self) -> None:
        if self.query_one("#pair-name", Input).value.strip():
            self.add_row()  # what is still in the inputs counts
        if self.preview():
            self.dismiss(self.pairs)

    def action_cancel(self) -> None:
        self.dismiss(None)
