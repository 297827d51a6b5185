"""Placing and ending calls: the gateway does the talking, the store keeps every attempt.

An attempt is written before the request leaves (so a crash mid-request still leaves a trace) and
finished as placed or failed; a failed create keeps the operator's sentence as its error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from console.calls import DialRequest
from console.campaigns import ledger
from console.clock import iso, utc_now
from console.gateways import GatewayPool, Prepared
from console.gateways.errors import GatewayBadResponse, GatewayError, GatewayNotFound, may_have_reached
from console.providers import Provider
from console.records import CallRecord, Ingested, new_attempt_id
from console.status import CallEvent, CallStatus, EventKind, EventSource
from console.store import Store


@dataclass
class DialOutcome:
    call: CallRecord | None  # None when nothing was sent
    notes: list[str] = field(default_factory=list)
    error: GatewayError | None = None
    withheld: str | None = None  # a campaign's attempt not made, and why

    @property
    def placed(self) -> bool:
        return self.error is None and self.call is not None


class Dialer:
    def __init__(self, store: Store, gateways: GatewayPool,
                 on_event: Callable[[CallEvent, Ingested], object] | None = None,
                 clock: Callable[[], datetime] = utc_now):
        """`on_event`: told of what the dialer stores itself (an operator's hang-up), to show it at once."""
        self.store = store
        self.gateways = gateways
        self.on_event = on_event
        self.clock = clock

    async def preview(self, profile: str, request: DialRequest) -> Prepared:
        """The request as it would be sent, with the notes to show before sending."""
        gateway = await self.gateways.get(profile)
        return gateway.prepare(request, "preview")

    async def place(self, profile: str, request: DialRequest, *, campaign_callee: int | None = None) -> DialOutcome:
        """`campaign_callee`: the attempt is a campaign's, claimed for that callee (not placed when the
        campaign no longer dials it: `withheld` says why)."""
        gateway = await self.gateways.get(profile)
        attempt_id = new_attempt_id()
        try:
            prepared = gateway.prepare(request, attempt_id)
        except GatewayError as exc:
            return DialOutcome(None, error=exc)  # refused before sending: not an attempt
        row = self.store.attempt_row(
            profile=profile, provider=gateway.provider.value, from_number=request.from_,
            to_number=request.destination, target_type=request.to.type, tags=request.tags,
            # The wire request for the record, and the request as asked for, to redial with the same fields.
            request={"method": prepared.method, "path": prepared.path, "form": prepared.form, "body": prepared.body,
                     "dial": request.model_dump(mode="json", exclude_none=True), "retries": prepared.retries},
            attempt_id=attempt_id,
        )
        if campaign_callee is None:
            call = await self.store.begin_row(row)
        else:  # written only if the campaign still dials this callee, with its attempt number
            claimed = await self.store.write(ledger.claim, campaign_callee, row)
            if "not" in claimed:
                return DialOutcome(None, withheld=claimed["not"])
            call = claimed["call"]
        try:
            placed = await gateway.send(prepared)
        except Exception as exc:  # noqa: BLE001 - an answer no check foresaw: the attempt must not stay queued
            error = gateway.http.mask(exc if isinstance(exc, GatewayError) else GatewayBadResponse(
                f"the gateway's answer could not be read ({type(exc).__name__}: {exc})"))  # read after the send too
            # Its answer lost or unreadable, the request may have made a call: unknown, never "failed".
            status = CallStatus.UNKNOWN if may_have_reached(error) else CallStatus.FAILED
            call = await self.store.attempt_failed(attempt_id, str(error), sip_status=None, raw=error.detail,
                                                   http_status=error.status, status=status)
            return DialOutcome(call, prepared.notes, error)
        call = await self.store.attempt_placed(attempt_id, call_sid=placed.call_sid, sip_call_id=placed.sip_call_id,
                                               status=placed.status, raw=placed.raw, http_status=placed.http_status)
        return DialOutcome(call, prepared.notes)

    async def hangup(self, call: CallRecord) -> None:
        """End an answered call or cancel a ringing one, as the gateway's API allows."""
        if not call.call_sid:
            raise GatewayError("the gateway never gave this attempt a call id, so there is nothing to hang up")
        if call.status.final:
            raise GatewayError(f"the call has already ended ({call.status.value})")
        answered = call.status is CallStatus.ANSWERED
        # In the call's timeline before the request leaves, so it comes before the gateway's word on it: a
        # cancelled call then reads "cancel asked by the operator" above jambonz's own "no-answer 487".
        await self._note(call, f"{'hang-up' if answered else 'cancel'} asked by the operator")
        try:
            await self.hangup_sid(call.profile, call.call_sid, answered=answered)
        except GatewayError as exc:
            await self._note(call, f"the gateway did not take the {'hang-up' if answered else 'cancel'}: {exc}")
            raise

    async def _note(self, call: CallRecord, why: str) -> None:
        """An operator's word in the call's timeline; it changes nothing of where the call stands."""
        now = self.clock()
        event = CallEvent(profile=call.profile, provider=Provider(call.provider), kind=EventKind.STATUS,
                          call_sid=call.call_sid, token=call.attempt_id, received_at=now, verified=True,
                          raw=json.dumps({"why": why, "at": iso(now)}), details={"why": why},
                          source=EventSource.OPERATOR)
        ingested = await self.store.ingest(event)
        if self.on_event is not None:
            self.on_event(event, ingested)

    async def hangup_sid(self, profile: str, call_sid: str, *, answered: bool) -> None:
        """End a call the gateway lists, ours or not (the live calls view)."""
        gateway = await self.gateways.get(profile)
        try:
            await gateway.hangup(call_sid, answered=answered)
        except GatewayNotFound as exc:
            if not self.gateways.settings.profile(profile).embedded:
                raise
            # each console runs its own demo gateway: a call another console placed lives only in that one
            raise GatewayNotFound(f"this console's demo gateway does not carry call {call_sid}: if another console "
                                  "placed it, its own demo gateway does, so hang it up there", detail=exc.detail,
                                  status=exc.status) from None
