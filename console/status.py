"""Call status as the console speaks it, each provider's own words for it, and CallEvent."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from console.providers import Provider


class CallStatus(StrEnum):
    QUEUED = "queued"
    DIALING = "dialing"
    # MOBtexting with a retry interval: an attempt ended busy or unanswered and the gateway will try again.
    RETRYING = "retrying"
    RINGING = "ringing"
    ANSWERED = "answered"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CANCELED = "canceled"
    FAILED = "failed"
    # Not live, and nobody can say how it ended: no final webhook in time and no gateway record to ask,
    # or closed by an operator. The call's error says why; a real final status still replaces it.
    UNKNOWN = "unknown"

    @property
    def final(self) -> bool:
        """Over, as far as anyone can tell (unknown included: it is never shown live)."""
        return self in FINAL

    @property
    def rank(self) -> int:
        """Progress order; an event never moves a call to a lower rank (webhooks arrive out of order)."""
        return _RANK[self]


FINAL = frozenset({CallStatus.COMPLETED, CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.CANCELED, CallStatus.FAILED,
                   CallStatus.UNKNOWN})
LIVE = tuple(s for s in CallStatus if s not in FINAL)
_RANK = {
    CallStatus.QUEUED: 0,
    CallStatus.DIALING: 1,
    CallStatus.RETRYING: 1,
    CallStatus.RINGING: 2,
    CallStatus.ANSWERED: 3,
    **{s: 4 for s in FINAL},
}


def live_sql(column: str = "status") -> str:
    """`column IN (...)` for the statuses of calls still going on (the status index answers it)."""
    return f"{column} IN ({', '.join(repr(s.value) for s in LIVE)})"


def advance(current: CallStatus | None, new: CallStatus | None) -> CallStatus | None:
    """The status after `new` arrives: forward only, and the first final status stays, except that what
    the gateway says (a real final status) replaces `unknown`."""
    if new is None:
        return current
    if current is None:
        return new
    if current is CallStatus.UNKNOWN:
        return new if new.final else current
    if current.final:
        return current
    return new if new.rank >= current.rank else current


def map_status(
    provider: str, raw: str | None, *, ended: bool = False, failure_reason: str | None = None
) -> CallStatus | None:
    """A provider's status word in the console's terms; None when it says nothing we know. `ended`: the
    gateway reported an end time; `failure_reason`: a failure marker beside the word (IBM)."""
    from console.providers import room  # the providers' modules know their words

    return room(provider).status(raw, ended, failure_reason)


class AmdResult(StrEnum):
    HUMAN = "human"
    MACHINE = "machine"
    NO_SPEECH = "no_speech"
    UNDECIDED = "undecided"
    TONE = "tone"
    MACHINE_DONE = "machine_done"
    STOPPED = "stopped"
    ERROR = "error"

    @property
    def verdict(self) -> bool:
        """Whether this event decides human vs machine (tone/stop events only add detail)."""
        return self in (AmdResult.HUMAN, AmdResult.MACHINE, AmdResult.NO_SPEECH, AmdResult.UNDECIDED)


# jambonz AmdEvents (feature-server constants.json).
AMD_EVENTS: dict[str, AmdResult] = {
    "amd_human_detected": AmdResult.HUMAN,
    "amd_machine_detected": AmdResult.MACHINE,
    "amd_no_speech_detected": AmdResult.NO_SPEECH,
    "amd_decision_timeout": AmdResult.UNDECIDED,
    "amd_tone_detected": AmdResult.TONE,
    "amd_machine_stopped_speaking": AmdResult.MACHINE_DONE,
    "amd_stopped": AmdResult.STOPPED,
    "amd_error": AmdResult.ERROR,
}


class EventKind(StrEnum):
    STATUS = "status"
    AMD = "amd"
    ACTION = "action"  # a verb actionHook (e.g. the dial outcome when the call ends)


class EventSource(StrEnum):
    """Where what an event says came from, so the timeline shows why a call stands where it does."""

    WEBHOOK = "webhook"  # the gateway told the receiver
    CREATE = "create"  # the gateway's answer to the create request (accepted or refused)
    POLL = "poll"  # the console asked the gateway (reconciliation, the live calls view)
    OPERATOR = "operator"  # a person closed the call by hand
    DEADLINE = "deadline"  # no final word in time and no gateway record to ask


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEvent:
    """What one webhook reported about one call, normalised; `raw` keeps the body as received.
    A plain dataclass: one is built per webhook, from values the parsers have already checked."""

    profile: str
    provider: Provider
    kind: EventKind
    call_sid: str | None = None  # the provider's id: jambonz call_sid, vgwSessionID, MOBtexting id
    token: str | None = None  # the per-attempt token from the hook URL
    status: CallStatus | None = None
    provider_status: str | None = None
    sip_status: int | None = None
    sip_reason: str | None = None
    amd: AmdResult | None = None
    amd_reason: str | None = None
    duration: int | None = None  # seconds of talk, on the final event
    customer_data: dict[str, Any] | None = None
    received_at: datetime
    verified: bool = False
    raw: str = ""
    details: dict[str, Any] = field(default_factory=dict)  # anything else worth showing
    # Not a webhook: where the word came from. Such events may carry in `details` "why" (the reason a
    # call is unknown), and "answered_at" / "ended_at" (ISO times the gateway's own record gives).
    source: EventSource = EventSource.WEBHOOK

    @property
    def dedup_key(self) -> str:
        """Equal for a gateway's retry of the same webhook, and for the same body delivered through two
        hooks (Cognigy sends call:status to the application's hook and to notifyUrl): stored once. The
        same answer polled twice is also stored once; it never equals a webhook's key."""
        # each part followed by NUL: the keys already in a history stay valid
        parts: tuple[str, ...] = (self.profile, self.kind.value, self.call_sid or "", self.raw, "")
        if self.source is not EventSource.WEBHOOK:
            parts = (self.source.value, self.token or "", *parts)
        elif not self.verified:  # an unsigned copy sent first must not make the genuine one a duplicate
            parts = ("unverified", *parts)
        return hashlib.sha256("\x00".join(parts).encode()).hexdigest()
