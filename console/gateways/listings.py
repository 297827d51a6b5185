"""What gateways answer, as the console holds it: numbers, applications, live and recent calls, a placed
call, what their records say of one call. Plain data with no HTTP behind it, so the screens that show
it load without the HTTP client."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from console.status import CallStatus


@dataclass(frozen=True)
class NumberInfo:
    number: str  # E.164
    label: str = ""
    application: str | None = None


@dataclass(frozen=True)
class AppInfo:
    id: str
    name: str
    kind: str = "application"  # application, ivr, audio or agent


@dataclass
class Prepared:
    """A create-call request as it will be sent, and what the operator should know first."""

    method: str
    path: str
    body: dict[str, Any]
    form: bool = False  # send form-encoded instead of JSON
    notes: list[str] = field(default_factory=list)  # fields dropped or ignored, and why
    retries: int = 0  # how many times the gateway itself calls again after a busy or unanswered attempt


@dataclass(frozen=True)
class Placed:
    call_sid: str
    sip_call_id: str | None
    status: CallStatus  # what acceptance means on this API
    raw: str
    http_status: int | None = None  # the create's HTTP status, kept with its answer


@dataclass(frozen=True)
class LiveCall:
    call_sid: str
    status: CallStatus | None
    provider_status: str
    from_number: str
    to_number: str
    sip_status: int | None
    duration: int | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class RecentPage:
    total: int
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class CallLookup:
    """What the gateway's own records say about one call (reconciliation)."""

    found: bool  # False: the gateway has no record of it (not yet, or no longer)
    where: str  # the record asked: "live calls", "recent calls", "callstatus"
    status: CallStatus | None = None
    provider_status: str | None = None
    sip_status: int | None = None
    sip_reason: str | None = None
    duration: int | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    raw: str = ""
