"""The Numbers and Applications panes: what the gateway (or the profile) offers, Enter picks it."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from console.gateways import AppInfo, NumberInfo
from console.ui.widgets.tables import ConsoleTable


class Picker(ConsoleTable):
    """A list of choices; `kind` says which form field a pick fills ("from" or "application")."""

    BINDINGS = [
        Binding("enter", "pick", "Use", id="pick", tooltip="Put this choice into the dial form."),
        Binding("r", "reload", "Reload", id="reload-list", tooltip="Ask the gateway again."),
    ]

    class Picked(Message):
        def __init__(self, kind: str, value: str):
            super().__init__()
            self.kind = kind
            self.value = value

    class ReloadWanted(Message):
        pass

    def __init__(self, kind: str, columns: tuple[tuple[str, int], ...], **kw: Any):
        super().__init__(**kw)
        self.kind = kind
        self._columns = columns
        self.items: list[tuple[str, tuple[str, ...]]] = []  # (value, cells)

    def on_mount(self) -> None:
        for label, width in self._columns:
            self.add_column(label, width=width)

    def show(self, items: list[tuple[str, tuple[str, ...]]]) -> None:
        self.items = items
        self.rebuild()

    def rebuild(self) -> None:
        self.clear()
        for index, (value, cells) in enumerate(self.items):
            if self.matches(*cells):
                self.add_row(*(Text(c) for c in cells), key=f"{index}:{value}")

    def action_pick(self) -> None:
        if self.row_count == 0:
            return
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value or ""
        self.post_message(self.Picked(self.kind, key.split(":", 1)[1]))

    def action_reload(self) -> None:
        self.post_message(self.ReloadWanted())


def number_items(numbers: list[NumberInfo], apps: list[AppInfo] | tuple[()] = ()) -> list[tuple[str, tuple[str, ...]]]:
    """A number with its label, or else the application it routes to."""
    names = {a.id: a.name for a in apps}
    return [(n.number, (n.number, n.label or (f"→ {names.get(n.application, n.application)}" if n.application else "")))
            for n in numbers]


def app_items(apps: list[AppInfo]) -> list[tuple[str, tuple[str, ...]]]:
    return [(a.id, (a.name, a.kind, a.id)) for a in apps]
