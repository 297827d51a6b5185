"""Keys in the order they were typed, each acting where the focus was when it was typed.

Textual hands a key the focused widget does not bind with priority to that widget's queue; the key then
travels up, widget by widget, to the app, which looks up the non-priority bindings (space on a switch,
enter on a button, j in a table) against the focus *at that moment*. A priority key typed after it (Tab,
ctrl+g, the function keys) acts as soon as it arrives, so it overtook the first: F6, space, Tab, 5,
ctrl+g saved the threshold but lost the space on the switch, and a number typed fast was dialled cut short.

So the console takes one key at a time: a key handed to a widget is followed up its path by a marker, and
the next key waits until the marker reaches the app (the key has been typed into its field, or its binding
has run). A widget that holds its queue for long (a slow handler) is not waited for beyond HOLD_S.
Esc and a key typed together (one alt+key on the wire) are taken apart first, on every screen.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.message_pump import MessagePump
from textual.widgets import Input

HOLD_S = 0.5
_NAMED = {"/": "slash", ":": "colon", "?": "question_mark", " ": "space"}
NUMBER_START = frozenset("+0123456789")  # a key that begins a phone number


def start_typing(box: Input, event: events.Key) -> None:
    """`event`, a key nothing took where it was typed, begins a new text in `box`: focused at once, the key
    queued behind that focus in the box's own queue (focus selects the text: set now, it would be typed over)."""
    event.stop()
    event.prevent_default()
    box.value = ""
    box.screen.set_focus(box)
    box.post_message(events.Key(event.key, event.character))


def as_typed(key: events.Key) -> list[events.Key]:
    """Esc and the key right after it, typed together, arrive as one alt+key (the terminal sends the same
    bytes for both); the console binds no alt+key, so they are taken as typed: esc, then that key."""
    character = key.character or ""
    if key.key.startswith("alt+") and len(character) == 1 and (character.isalnum() or character in _NAMED):
        return [events.Key("escape", "\x1b"), events.Key(_NAMED.get(character, character), character)]
    return [key]


class KeyOrder:
    def __init__(self, app: App[Any], handle: Callable[[events.Key], Awaitable[None]]) -> None:
        """`handle`: Textual's own handling of a key as it arrives (priority bindings, else to the focus)."""
        self.app = app
        self._handle = handle
        self._waiting: deque[events.Key] = deque()
        self._travelling: int | None = None  # the turn of the key on its way up, if one is
        self._turn = 0

    @property
    def idle(self) -> bool:
        return self._travelling is None and not self._waiting

    async def arrived(self, key: events.Key) -> None:
        for typed in as_typed(key):
            if self._travelling is not None:
                self._waiting.append(typed)
            else:
                await self._take(typed)

    async def _take(self, key: events.Key) -> None:
        await self._handle(key)
        if not key.is_forwarded:  # a priority binding took it: done already
            return
        self._turn += 1
        turn = self._turn
        self._travelling = turn
        start: DOMNode = self.app.focused or self.app.screen
        path: list[MessagePump] = [start, *start.ancestors]  # ends at the app
        self.app.set_timer(HOLD_S, lambda: self.app.call_later(self._next, turn))
        self._follow(path, 0, turn)

    def _follow(self, path: list[MessagePump], at: int, turn: int) -> None:
        """Queue the marker behind the key at each widget it passes, up to the app."""
        if self._travelling != turn:
            return
        while at < len(path):
            node = path[at]
            later: Callable[..., object] = self._next if node is self.app else self._follow
            arguments = (turn,) if node is self.app else (path, at + 1, turn)
            if node.call_later(later, *arguments):
                return
            at += 1  # closed: nothing left behind it to wait for
        self.app.call_later(self._next, turn)

    async def _next(self, turn: int) -> None:
        """The key of `turn` has been handled (or waited for long enough): the keys typed after it go on."""
        if self._travelling != turn:
            return
        self._travelling = None
        while self._waiting and self._travelling is None:
            await self._take(self._waiting.popleft())
