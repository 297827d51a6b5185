"""What history holds, as the rest of the console reads it: calls, their events, a filter's summary,
what storing a webhook came to; and the errors of using history."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from console.errors import ConsoleError
from console.providers import Provider
from console.status import AmdResult, CallEvent, CallStatus, EventKind, EventSource


def new_attempt_id() -> str:
    """Short, unguessable, URL-safe: it is also the token in the hook URLs of the attempt."""
    return secrets.token_hex(8)


class StoreError(ConsoleError, RuntimeError):
    """The history database cannot be used; the message says why."""


class Cancelled(Exception):
    """A read stopped because its caller no longer wanted the answer."""


class CallRecord(BaseModel):
    id: int
    attempt_id: str
    profile: str
    provider: str
    call_sid: str | None = None
    sip_call_id: str | None = None
    from_number: str | None = None
    to_number: str | None = None
    target_type: str | None = None
    status: CallStatus
    provider_status: str | None = None
    sip_status: int | None = None
    sip_reason: str | None = None
    amd_result: AmdResult | None = None
    amd_reason: str | None = None
    tags: dict[str, Any] = {}
    request: dict[str, Any] = {}
    error: str | None = None
    created_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    updated_at: datetime
    duration: int | None = None
    attempts: int | None = None  # MOBtexting: the attempts the gateway has reported on

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CallRecord:
        return cls.model_validate({**row, "tags": json.loads(row["tags"]), "request": json.loads(row["request"])})


class EventRecord(BaseModel):
    id: int
    call_id: int | None
    profile: str
    provider: str
    call_sid: str | None = None
    token: str | None = None
    kind: str
    status: CallStatus | None = None
    provider_status: str | None = None
    sip_status: int | None = None
    sip_reason: str | None = None
    amd_result: AmdResult | None = None
    amd_reason: str | None = None
    duration: int | None = None
    customer_data: dict[str, Any] | None = None
    details: dict[str, Any] = {}
    received_at: datetime
    verified: bool
    raw: str
    source: EventSource = EventSource.WEBHOOK

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> EventRecord:
        data = dict(row)
        data.pop("dedup_key", None)
        data["customer_data"] = json.loads(row["customer_data"]) if row["customer_data"] else None
        data["details"] = json.loads(row["details"]) if row["details"] else {}
        data["source"] = row.get("source") or EventSource.WEBHOOK.value
        return cls.model_validate(data)

    def as_event(self) -> CallEvent:
        """The event as the receiver handed it on (for processes that follow history instead)."""
        return CallEvent(
            profile=self.profile, provider=Provider(self.provider), kind=EventKind(self.kind), call_sid=self.call_sid,
            token=self.token, status=self.status, provider_status=self.provider_status, sip_status=self.sip_status,
            sip_reason=self.sip_reason, amd=self.amd_result, amd_reason=self.amd_reason, duration=self.duration,
            customer_data=self.customer_data, received_at=self.received_at, verified=self.verified, raw=self.raw,
            details=self.details, source=self.source)


@dataclass(frozen=True)
class Summary:
    """What the dashboard strip shows for a filter."""

    calls: int
    answered: int
    human: int
    machine: int
    ring_s: float | None  # average, answered calls: from the attempt to the answer
    talk_s: float | None  # average, answered calls
    per_minute: list[int]  # 60 buckets, oldest first, ending at window_end
    window_end: datetime

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.calls if self.calls else None


class CallDetail(BaseModel):
    call: CallRecord
    events: list[EventRecord]


@dataclass(frozen=True)
class Ingested:
    """The outcome of storing one webhook event."""

    duplicate: bool  # already stored (a gateway retry): nothing changed
    call: CallRecord | None  # the call it belongs to, updated; None while its attempt is unknown
    event_id: int | None = None  # its row; None for a duplicate


@dataclass(frozen=True)
class Followed:
    """An event read back from history, whichever process stored it, with its call as it stands now."""

    event_id: int
    event: CallEvent
    call: CallRecord | None


@dataclass(frozen=True)
class DoNotCall:
    """A number on the do-not-call list, why, and where it came from (a file, the log, the CLI)."""

    number: str
    reason: str | None
    source: str
    added_at: str  # ISO 8601 UTC
