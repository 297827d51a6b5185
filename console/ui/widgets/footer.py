"""The footer: the keys of what is in front, whole. One that would be cut at the right edge is left out,
with those after it (help, F1, lists every key); never shown half, as `f12 M` or `: Comman`.
FooterKey is not exported by Textual: it is pinned exactly, and the footer's test fails if the class moves."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeysFooter(Footer):
    def __init__(self, **kw: Any):
        super().__init__(compact=True, show_command_palette=False, **kw)  # ^p: the same as ':' here

    async def recompose(self) -> None:
        await super().recompose()
        self.call_after_refresh(self._leave_out_cut)

    def on_resize(self, event: events.Resize) -> None:
        for key in self.query(FooterKey):  # wider now, perhaps: every key again, then those that do not fit go
            key.display = True
        self.call_after_refresh(self._leave_out_cut)

    def _leave_out_cut(self) -> None:
        edge = self.region.right
        cut = False
        for key in self.query(FooterKey):
            cut = cut or key.region.right > edge
            if cut:
                key.display = False
