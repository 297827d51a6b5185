"""Messages that carry data into the UI; workers post them, @on handlers own the state."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from typing import Any

from console.store import CallRecord


@dataclass
class HistoryLoaded(Message):
    calls: list[CallRecord]
    total: int


@dataclass
class GatewayReady(Message):
    """The embedded simulator for the active profile is listening."""

    base_url: str


class ReceiverChanged(Message):
    """The webhook receiver started, failed to, or stopped."""


@dataclass
class CallEventStored(Message):
    """A webhook was committed to history (`ingested.call` is the call as it now stands)."""

    event: Any
    ingested: Any
