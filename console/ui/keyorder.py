"""Keys in the order they were typed. A priority binding (ctrl+g, the function keys) acts as its key
arrives, ahead of the keys typed before it that are still queued at the focused field; an action that
reads the fields must wait for them, or a number typed fast is dialled cut short and a date applied as
'toda'."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from textual.screen import Screen

S = TypeVar("S", bound=Screen[Any])


def after_typed_keys(action: Callable[[S], None]) -> Callable[[S], None]:
    """Run a screen's action from the focused widget's queue, after the keys typed before it."""

    @functools.wraps(action)
    def run(screen: S) -> None:
        focused = screen.focused
        if focused is not None:
            focused.call_later(action, screen)
        else:
            action(screen)

    return run
