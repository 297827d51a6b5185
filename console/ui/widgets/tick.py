"""A checkbox that reads [x] / [ ] in any terminal: the stock one shows the same glyph either way and
relies on colour, which ANSI themes and some SSH clients flatten."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox


class Tick(Checkbox):
    @property
    def _button(self) -> Content:
        return Content.styled("[x]" if self.value else "[ ]", "bold" if self.value else "")
