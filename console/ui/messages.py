"""Messages that carry data into the UI; workers and the receiver post them, @on handlers own the state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class GatewayReady(Message):
    """The embedded simulator for the active profile is listening."""

    base_url: str


class ServicesLoaded(Message):
    """History is open and the services are built (after the first screen was drawn)."""

    def __init__(self, services: Any):
        super().__init__()
        self.services = services


class ReceiverChanged(Message):
    """The webhook receiver started, failed to, or stopped."""


class CallsUpdated(Message):
    """Webhooks were committed to history; the app's inbox holds their calls as they now stand."""


@dataclass
class CallPlaced(Message):
    """The dialer finished a create: placed, refused, or not sent."""

    outcome: Any


@dataclass
class Counters(Message):
    counts: dict[str, int]


@dataclass
class ListsLoaded(Message):
    profile: str
    numbers: list[tuple[str, tuple[str, ...]]]
    apps: list[tuple[str, tuple[str, ...]]]
    error: str | None


@dataclass
class DoNotCallWanted(Message):
    """An operator wants a call's number on the do-not-call list (from the log or the detail)."""

    call: Any


@dataclass
class MarkEndedWanted(Message):
    """An operator wants to close a call by hand (from the log, the detail or the live calls view)."""

    call: Any


@dataclass
class RedialAsked(Message):
    """The number was dialled moments ago: the operator is asked before it is dialled again."""

    profile: str
    request: Any
    recent: Any


# Posted by screens the app opens only when asked (history, the live view, a call's detail): here, so the
# app can hear them without loading those screens before its first frame.


@dataclass
class CallWanted(Message):
    """A call's detail is wanted (a row chosen in history or the live view)."""

    call: Any


@dataclass
class SearchRun(Message):
    """A search was run in history: the app keeps it for next time."""

    text: str


@dataclass
class RedialWanted(Message):
    """A past call's fields back in the dial form."""

    call: Any


@dataclass
class CampaignWanted(Message):
    """A campaign of these calls' numbers (`described`: which calls, for the campaign's source)."""

    calls: list[Any]
    described: str


class DetailHangupWanted(Message):
    """Hang up or cancel the call a detail screen shows."""

    def __init__(self, detail: Any):
        super().__init__()
        self.detail = detail
