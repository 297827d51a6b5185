"""Compact widgets (no border), made without restyling them before they are on screen."""

from __future__ import annotations

from typing import TypeVar

from textual.widget import Widget

W = TypeVar("W", bound=Widget)


def compact(widget: W) -> W:
    """What `compact=True` makes, for Input, Button, Select and the toggles. Their `compact` reactive
    restyles the widget against the whole stylesheet as it is set, in the constructor, and again once
    mounted: the dial form's fields made so cost its first frame about 20 ms. Here the class is only
    noted, and applied with the rest of the widget's style as it mounts."""
    widget.set_reactive(type(widget).compact, True)  # type: ignore[attr-defined]
    widget.add_class("-textual-compact", update=False)
    return widget
