"""Tags (JSON metadata) and SIP headers: a name/value table, checked and previewed as you edit."""

from __future__ import annotations

import json

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Static

from console.request_parts import TAGS_MAX_BYTES, HeaderError, check_header, headers_from_pairs, tags_from_pairs
from console.ui.widgets.footer import KeysFooter

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
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#pairs", DataTable)
        table.add_column("name", width=24, key="name")
        table.add_column("value", width=40, key="value")
        self.redraw()
        self.set_focus(self.query_one("#pair-name", Input))  # now: keys typed right after F7 land here

    def redraw(self) -> None:
        table = self.query_one("#pairs", DataTable)
        table.clear()
        for index, (name, value) in enumerate(self.pairs):
            table.add_row(Text(name), Text(value), key=str(index))
        self.preview()

    def _problem(self, pairs: Pairs) -> str | None:
        try:
            if self.kind == "tags":
                tags_from_pairs(pairs)
            else:
                headers_from_pairs(pairs)
        except ValueError as exc:
            return str(exc)
        return None

    def preview(self) -> bool:
        """Show what the pairs amount to; False when they are not valid."""
        out = self.query_one("#preview", Static)
        problem = self._problem(self.pairs)
        if problem is not None:
            out.update(Text(problem, style="bold red"))
            return False
        if self.kind == "tags":
            encoded = json.dumps(tags_from_pairs(self.pairs), separators=(",", ":"), ensure_ascii=False)
            out.update(Text(f"{encoded}\n{len(encoded.encode()):,} of {TAGS_MAX_BYTES:,} bytes"))
        else:
            headers = headers_from_pairs(self.pairs)
            out.update(Text("\n".join(f"{n}: {v}" for n, v in headers.items()) or "no headers"))
        return True

    def _say(self, problem: str) -> None:
        label = self.query_one("#pair-error", Label)
        label.update(problem)
        label.set_class(bool(problem), "shown")

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.add_row()

    def add_row(self) -> bool:
        """The inputs as a row (added, or replacing the row of that name); False, said and focused, when the
        row cannot be one."""
        name_box, value_box = self.query_one("#pair-name", Input), self.query_one("#pair-value", Input)
        name, value = name_box.value.strip(), value_box.value
        if not name:
            self._say("this row has a value but no name: give it a name, or clear the value" if value.strip()
                      else "a row needs a name")
            self.set_focus(name_box)
            return False
        if self.kind == "headers":
            try:
                name, value = check_header(name, value)
            except HeaderError as exc:
                self._say(str(exc))
                self.set_focus(value_box if exc.part == "value" else name_box)
                return False
        existing = next((i for i, (n, _) in enumerate(self.pairs) if n.lower() == name.lower()), None)
        pairs = list(self.pairs)
        if existing is None:
            pairs.append((name, value))
        else:
            pairs[existing] = (name, value)
        problem = self._problem(pairs)
        if problem is not None:  # the row is fine alone but not with the others (the size limit, say)
            self._say(problem)
            self.set_focus(value_box)
            return False
        self._say("")
        self.pairs = pairs
        name_box.value = value_box.value = ""
        self.set_focus(name_box)
        self.redraw()
        return True

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
        """Keep the rows; what is still in the inputs counts, and nothing is dropped without a word: a row
        that cannot be kept leaves the editor open with the problem said and the cursor on it."""
        name_box, value_box = self.query_one("#pair-name", Input), self.query_one("#pair-value", Input)
        if (name_box.value.strip() or value_box.value.strip()) and not self.add_row():
            return
        problem = self._problem(self.pairs)
        if problem is not None:
            bad = next((i for i in range(len(self.pairs)) if self._problem(self.pairs[:i + 1])), len(self.pairs) - 1)
            table = self.query_one("#pairs", DataTable)
            table.move_cursor(row=bad)
            self.set_focus(table)
            self._say(f"row {bad + 1} ({self.pairs[bad][0]}): {problem}")
            return
        self.dismiss(self.pairs)

    def action_cancel(self) -> None:
        self.dismiss(None)
