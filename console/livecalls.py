"""What is live right now: the gateway's own list merged with what the receiver has recorded, and
how often to ask. jambonz's rate limit (600 requests per 5 minutes by default) is shared by every
client of the API server, so the console polls slowly and backs off when told to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from console.gateways.listings import LiveCall
from console.providers import Provider
from console.records import CallRecord
from console.status import CallEvent, CallStatus, EventKind, EventSource

DEFAULT_POLL_S = 5.0  # two requests (Calls, CallCount) per poll: 0.4 a second of a shared 2 a second
MIN_POLL_S = 2.0
MAX_BACKOFF_S = 60.0


@dataclass(frozen=True)
class LiveRow:
    key: str  # the gateway's call sid, or our attempt id when the gateway never gave one
    call_sid: str | None
    from_number: str
    to_number: str
    gateway_status: str  # the gateway's word; "" when it does not list the call
    status: CallStatus | None  # ours, from the webhooks
    duration: int | None
    call: CallRecord | None  # our attempt, when it is one of ours
    at_gateway: bool

    @property
    def answered(self) -> bool:
        """For a hang-up: an answered call is ended, a ringing one cancelled."""
        if self.gateway_status:
            return self.gateway_status == "in-progress"
        return self.status is CallStatus.ANSWERED


def merge(listed: list[LiveCall] | None, ours: dict[str, CallRecord],
          unfinished: list[CallRecord]) -> tuple[list[LiveRow], int]:
    """The gateway's live calls first (with our record of each where we have one), then the calls history
    still thinks are live that the gateway no longer lists (a final webhook that never came); and how many
    ended calls the gateway still lists were left out (jambonz keeps them for an hour).
    `listed` is None when the gateway has no such list: then history's view is all there is."""
    rows: list[LiveRow] = []
    seen: set[str] = set()
    ended = 0
    for live in listed or []:
        call = ours.get(live.call_sid)
        seen.add(live.call_sid)
        if live.status is not None and live.status.final and (call is None or call.status.final):
            ended += 1  # over on both sides; shown while history still holds it live
            continue
        rows.append(LiveRow(live.call_sid, live.call_sid, live.from_number, live.to_number, live.provider_status,
                            call.status if call else None, live.duration, call, True))
    for call in unfinished:
        if call.call_sid and call.call_sid in seen:
            continue
        rows.append(LiveRow(call.call_sid or call.attempt_id, call.call_sid, call.from_number or "",
                            call.to_number or "", "", call.status, None, call, False))
    return rows, ended


def overtaken(listed: list[LiveCall] | None, ours: dict[str, CallRecord]) -> list[tuple[LiveCall, CallRecord]]:
    """Our calls the gateway lists as ended while history still holds them live (a lost final webhook)."""
    return [(live, ours[live.call_sid]) for live in listed or [] if live.status is not None and live.status.final
            and live.call_sid in ours and not ours[live.call_sid].status.final]


def settled_event(call: CallRecord, live: LiveCall, now: datetime) -> CallEvent:
    """What the gateway's live list says of one of our calls, stored as a poll (the timeline says so)."""
    return CallEvent(profile=call.profile, provider=Provider(call.provider), kind=EventKind.STATUS,
                     call_sid=live.call_sid, token=call.attempt_id, status=live.status,
                     provider_status=live.provider_status, sip_status=live.sip_status,
                     sip_reason=str(live.raw["sip_reason"]) if live.raw.get("sip_reason") else None,
                     duration=live.duration if live.status is CallStatus.COMPLETED else None, received_at=now,
                     verified=True, raw=json.dumps(live.raw, separators=(",", ":"), ensure_ascii=False),
                     details={"asked": "live calls"}, source=EventSource.POLL)


class Pacer:
    """The delay before the next poll: the configured interval, doubled after each refusal for too many
    requests (or what the gateway's Retry-After says, if longer), back to normal after a success."""

    def __init__(self, every_s: float = DEFAULT_POLL_S):
        self.every_s = max(MIN_POLL_S, every_s)
        self.delay_s = self.every_s

    def succeeded(self) -> float:
        self.delay_s = self.every_s
        return self.delay_s

    def limited(self, retry_after: float | None) -> float:
        self.delay_s = min(MAX_BACKOFF_S, max(self.delay_s * 2, retry_after or 0.0))
        return self.delay_s
