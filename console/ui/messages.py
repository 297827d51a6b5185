"""Messages that carry data into the UI; workers post them, @on handlers own the state."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from console.store import CallRecord


@dataclass
class HistoryLoaded(Message):
    calls: list[CallRecord]
    total: int


@dataclass
class GatewayReady(Message):
    """The embedded simulator for the active profile is listening."""

    base_url: str
