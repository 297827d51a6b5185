"""A one-line input that recalls what was entered before (up: older, down: newer), like a shell."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.widgets import Input


class RecallInput(Input):
    BINDINGS = [
        Binding("up", "recall(-1)", "Older", show=False, id="recall-older", tooltip="The entry before this one."),
        Binding("down", "recall(1)", "Newer", show=False, id="recall-newer", tooltip="The entry after this one."),
    ]

    def __init__(self, entries: list[str], **kw: Any):
        super().__init__(**kw)
        self.entries = entries  # oldest first; shared with whoever keeps them, so new ones show at once
        self._at: int | None = None  # the entry shown; None: what is being typed
        self._typed = ""

    def action_recall(self, step: int) -> None:
        if not self.entries:
            return
        if self._at is None:
            if step > 0:
                return
            self._typed, self._at = self.value, len(self.entries)
        self._at = max(0, min(len(self.entries), self._at + step))
        self.value = self._typed if self._at == len(self.entries) else self.entries[self._at]
        if self._at == len(self.entries):
            self._at = None
        self.cursor_position = len(self.value)
