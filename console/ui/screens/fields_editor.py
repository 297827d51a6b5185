"""Every other documented request field of the profile's provider, by its documented name, in groups the
operator opens when needed; each value checked as it is typed (JSON where the field is an object)."""

from __future__ import annotations

import json
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Collapsible, Input, Label, Static

from console.calls import DialRequest
from console.dialform import more_fields
from console.fields import GROUPS, Declarations, Declared, parse_value
from console.ui.widgets.footer import KeysFooter


def shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class FieldsEditor(ModalScreen[dict[str, Any] | None]):
    BINDINGS = [
        Binding("ctrl+g", "save", "Save", id="editor-save", priority=True, tooltip="Keep these for the next calls."),
        Binding("escape", "cancel", "Cancel", id="editor-cancel", tooltip="Leave without changes."),
    ]

    def __init__(self, declarations: Declarations, target: str, values: dict[str, Any], region: str | None):
        super().__init__()
        self._declared = declarations
        self._target = target
        self._values = dict(values)
        self._region = region
        self._offered = more_fields(declarations, target)
        self._ids = {f"more-{i}": d for i, d in enumerate(self._offered)}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog editor", id="fields-dialog"):
            yield Label(f"More {self._declared.provider} fields, by their documented names", classes="title")
            with VerticalScroll(id="more-fields"):
                for group, title in GROUPS.items():
                    members = [(wid, d) for wid, d in self._ids.items() if d.group == group]
                    if not members:
                        continue
                    with Collapsible(title=title, collapsed=not any(d.path in self._values for _, d in members),
                                     id=f"group-{group}"):
                        for wid, d in members:
                            with Horizontal(classes="field"):
                                yield Label(d.path, classes="label wide")
                                yield Input(shown(self._values[d.path]) if d.path in self._values else "",
                                            placeholder=f"e.g. {shown(d.example)}", password=d.kind == "secret",
                                            compact=True, id=wid)
                            yield Label("", classes="error", id=f"{wid}-error")
            yield Static("", id="field-help", classes="hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#field-help", Static).update("tab moves · enter opens a group · ctrl+g keeps · esc leaves")
        # the first group's title, at once: keys typed right after F12 belong here, never to the form beneath
        self.set_focus(self.query_one(Collapsible).query_one("CollapsibleTitle"))

    @on(Collapsible.Expanded)
    def opened(self, event: Collapsible.Expanded) -> None:
        """Enter on a group goes into it: its first field, once it is shown."""
        first = event.collapsible.query(Input).first()
        self.call_after_refresh(first.focus)

    def _problem(self, d: Declared, text: str) -> str:
        if not text.strip():
            return ""
        value = parse_value(text, d.kind)
        found = self._declared.check({d.path: value}, lambda data: DialRequest.build(data, region=self._region),
                                        self._target)
        return "; ".join(str(p) for p in found)

    def _show(self, wid: str, problem: str) -> None:
        label = self.query_one(f"#{wid}-error", Label)
        label.update(problem)
        label.set_class(bool(problem), "shown")

    @on(Input.Changed)
    def typed(self, event: Input.Changed) -> None:
        wid = event.input.id or ""
        if wid in self._ids:
            self._show(wid, self._problem(self._ids[wid], event.value))

    def on_descendant_focus(self, event: Any) -> None:
        d = self._ids.get(getattr(event.widget, "id", "") or "")
        if d is not None:
            self.query_one("#field-help", Static).update(f"{d.path}: {d.describe()}")

    def action_save(self) -> None:
        offered = {d.path for d in self._offered}
        kept = {path: value for path, value in self._values.items() if path not in offered}  # another target's
        first = None
        for wid, d in self._ids.items():
            text = self.query_one(f"#{wid}", Input).value
            problem = self._problem(d, text)
            self._show(wid, problem)
            if problem and first is None:
                first = wid
            if text.strip():
                kept[d.path] = parse_value(text, d.kind)
        if first is not None:
            widget = self.query_one(f"#{first}", Input)
            for ancestor in widget.ancestors:
                if isinstance(ancestor, Collapsible):
                    ancestor.collapsed = False
            widget.focus()
            return
        self.dismiss(kept)

    def action_cancel(self) -> None:
        self.dismiss(None)
