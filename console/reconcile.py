"""Settling the calls whose final webhook never came.

A call still going on whose last word is older than its deadline (its ring timeout, or its time limit
once answered, plus a grace) is checked against the gateway's own records: jambonz and Cognigy
`GET /Calls/{sid}` while the gateway holds the call, then the account's RecentCalls; MOBtexting
`outgoing/callstatus`. What the gateway says is stored as an event whose source is the poll, and it
folds in like any webhook. IBM has no such API: past its deadline the call becomes unknown, with why.

Each gateway gets a budget: at most `requests_per_minute` in any minute, one request in flight, and a
pause (Retry-After, or doubling) after a 429, which slows the work and never fails a call.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from console.budget import Both, Budget, Budgets, gateway_key
from console.clock import iso, utc_now
from console.config import ConfigError, ReconcileSettings, Settings
from console.gateways import GatewayPool
from console.gateways.base import Gateway
from console.gateways.errors import GatewayError, GatewayRateLimited, NotSupported
from console.gateways.listings import CallLookup
from console.providers import Provider, room
from console.records import CallRecord, Ingested
from console.status import CallEvent, CallStatus, EventKind, EventSource
from console.store import Store


@dataclass
class ReconcileStats:
    asked: int = 0  # requests sent
    settled: int = 0  # calls given a final status by the gateway's records
    unknown: int = 0  # calls marked unknown
    limited: int = 0  # 429s
    errors: int = 0  # other failures to ask
    last_error: str = ""


@dataclass
class _Watch:
    """What this process remembers of a call it has asked about (it asks again after a restart)."""

    next_at: float = 0.0  # monotonic time of the next look
    overdue_since: datetime | None = None  # wall time its deadline passed
    tries: int = 0


@dataclass
class Reconciler:
    settings: Settings
    store: Store
    gateways: GatewayPool
    clock: Callable[[], datetime] = utc_now
    monotonic: Callable[[], float] = time.monotonic
    speed: float = 1.0  # the embedded simulator's time scale: its calls' deadlines shrink with it
    tick_s: float = 1.0
    on_event: Callable[[CallEvent, Ingested], object] | None = None  # what it stored, shown at once
    stats: ReconcileStats = field(default_factory=ReconcileStats)
    _watch: dict[int, _Watch] = field(default_factory=dict)
    # One allowance per gateway, shared with whatever else asks it (a campaign's create requests).
    budgets: Budgets = field(default_factory=Budgets)
    _own: dict[str, Budget] = field(default_factory=dict)  # reconciliation's own rate, within the shared one
    _lanes: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _busy: set[int] = field(default_factory=set)

    @property
    def config(self) -> ReconcileSettings:
        return self.settings.reconcile

    async def run(self) -> None:
        """Look for overdue calls every tick until cancelled; the first look settles calls an earlier run
        left open."""
        try:
            while True:
                await self.tick()
                await asyncio.sleep(self.tick_s)
        finally:
            for lane in self._lanes.values():
                lane.cancel()
            await asyncio.gather(*self._lanes.values(), return_exceptions=True)

    async def tick(self) -> None:
        live = await asyncio.to_thread(self.store.live_activity)
        now, mono = self.clock(), self.monotonic()
        due: dict[str, list[CallRecord]] = {}
        for call, heard in live:
            if call.id in self._busy:
                continue
            watch = self._watch.get(call.id)
            if watch is not None and watch.next_at > mono:
                continue
            deadline = heard + self.window(call)
            if now < deadline:
                continue
            self._watch.setdefault(call.id, _Watch(overdue_since=deadline))
            due.setdefault(self.gateway_key(call.profile), []).append(call)
            self._busy.add(call.id)
        for key, calls in due.items():
            lane = self._lanes.get(key)
            if lane is not None and not lane.done():
                for call in calls:  # the running lane takes them on its next pass
                    self._busy.discard(call.id)
                continue
            self._lanes[key] = asyncio.create_task(self._lane(key, calls), name=f"reconcile-{key}")
        live_ids = {call.id for call, _ in live}
        for gone in set(self._watch) - live_ids:
            del self._watch[gone]

    async def idle(self) -> None:
        """Wait for the lanes running now (tests)."""
        await asyncio.gather(*self._lanes.values(), return_exceptions=True)

    # ------------------------------------------------------------ deadlines

    def _scale(self, profile: str) -> float:
        known = self.settings.profiles.get(profile)
        return self.speed if known is not None and known.embedded else 1.0

    def window(self, call: CallRecord) -> timedelta:
        """How long a call may go without a word before the gateway is asked about it."""
        c = self.config
        dial: dict[str, Any] = call.request.get("dial") or {}
        ring = float(dial.get("timeout") or c.ring_timeout_s)
        if call.status is CallStatus.ANSWERED:
            limit = dial.get("time_limit")
            # with a time limit the call ends by itself: wait for it, then a grace
            seconds = float(limit) + c.grace_s if limit else float(c.answered_check_s)
        else:
            seconds = ring + c.grace_s
            retries = room(call.provider).retries
            if retries is not None:
                left = max(0, int(call.request.get("retries") or 0) - (call.attempts or 0))
                seconds += left * (retries(call.request) + ring)  # the gateway's own retries are still to come
        return timedelta(seconds=seconds / self._scale(call.profile))

    def _again_s(self, call: CallRecord) -> float:
        """When to look again at a call the gateway still holds, or could not tell us about."""
        c = self.config
        seconds = c.answered_check_s if call.status is CallStatus.ANSWERED else max(c.grace_s, 30)
        return seconds / self._scale(call.profile)

    def gateway_key(self, profile: str) -> str:
        return gateway_key(self.settings, profile)

    # ------------------------------------------------------------ asking

    async def _lane(self, key: str, calls: list[CallRecord]) -> None:
        """One gateway's calls, one request at a time."""
        budget = Both(self._own.setdefault(key, Budget(self.config.requests_per_minute, self.monotonic)),
                      self.budgets.get(key, self.settings.campaigns.gateway_requests_per_minute, self.monotonic))
        try:
            for call in calls:
                try:
                    await self._settle(call, budget)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - one call's surprise must not stop the others
                    self.stats.errors += 1
                    self.stats.last_error = f"{type(exc).__name__}: {exc}"
                    self._watch.setdefault(call.id, _Watch()).next_at = self.monotonic() + self._again_s(call)
                finally:
                    self._busy.discard(call.id)
        finally:
            for call in calls:
                self._busy.discard(call.id)

    async def _ask(self, budget: Both, question: Callable[[str], Awaitable[CallLookup]], sid: str) -> CallLookup:
        while (wait := budget.wait_s()) > 0:
            await asyncio.sleep(min(wait, 1.0))  # looked at again each second: a budget can change meanwhile
        budget.spend()
        self.stats.asked += 1
        try:
            answer = await question(sid)
        except GatewayRateLimited as exc:
            self.stats.limited += 1
            budget.limited(exc.retry_after)
            raise
        budget.succeeded()
        return answer

    async def _settle(self, call: CallRecord, budget: Both) -> None:
        watch = self._watch.setdefault(call.id, _Watch(overdue_since=self.clock()))
        watch.tries += 1
        silent = _span(self.window(call).total_seconds() * self._scale(call.profile))
        if call.profile not in self.settings.profiles:  # another configuration's: its owner may settle it yet
            return await self._later(call, watch, f"no final word within {silent}, and profile {call.profile} is "
                                                  "not configured here, so its gateway cannot be asked")
        if not call.call_sid:
            return await self._unknown(call, "the gateway never answered the create request, so the call has no id "
                                             "to ask about (it may or may not have been placed)")
        try:
            gateway = await self.gateways.get(call.profile)
        except (ConfigError, GatewayError) as exc:  # a credential missing here, say
            return await self._later(call, watch, f"cannot reach the gateway of profile {call.profile}: {exc}")
        try:
            lookup = await self._ask(budget, gateway.lookup_live, call.call_sid)
            if not lookup.found:
                try:
                    lookup = await self._ask(budget, gateway.lookup_ended, call.call_sid)
                except NotSupported:
                    pass
        except NotSupported:
            return await self._unknown(call, f"no final webhook within {silent}; {_name(gateway)} has no API to ask")
        except GatewayRateLimited:
            watch.tries -= 1
            watch.next_at = 0.0  # as soon as the budget's pause allows
            return None
        except GatewayError as exc:
            self.stats.errors += 1
            self.stats.last_error = str(exc)
            return await self._later(call, watch, f"could not ask the gateway: {exc}")
        if not lookup.found:
            return await self._later(call, watch, _NOT_FOUND.get(lookup.where, "the gateway has no record of it"))
        if lookup.status is None:
            return await self._later(call, watch, f"the gateway's {lookup.where} say {lookup.provider_status!r}, "
                                                   "which the console does not know as a status")
        changed = lookup.status.final or lookup.status.rank > call.status.rank
        if changed:
            await self._store(call, lookup)
        if lookup.status.final:
            self.stats.settled += 1
            return None
        watch.overdue_since, watch.tries = None, 0  # the gateway holds it as going on: a fresh deadline
        watch.next_at = self.monotonic() + self._again_s(call)
        return None

    async def _later(self, call: CallRecord, watch: _Watch, problem: str) -> None:
        """Nothing settled this time: look again later, or give up with the reason once it is long overdue."""
        overdue = watch.overdue_since = watch.overdue_since or self.clock()
        give_up = timedelta(seconds=self.config.give_up_s / self._scale(call.profile))
        waited = self.clock() - overdue
        if waited >= give_up:
            span = _span(waited.total_seconds() * self._scale(call.profile))
            return await self._unknown(call, f"{problem} (asked {watch.tries} times over {span})")
        watch.next_at = self.monotonic() + min(self._again_s(call) * 2 ** max(0, watch.tries - 1),
                                               self.config.give_up_s / self._scale(call.profile))

    async def _store(self, call: CallRecord, lookup: CallLookup) -> None:
        details: dict[str, Any] = {"asked": lookup.where}
        if lookup.answered_at:
            details["answered_at"] = iso(lookup.answered_at)
        if lookup.ended_at:
            details["ended_at"] = iso(lookup.ended_at)
        await self._record(CallEvent(
            profile=call.profile, provider=Provider(call.provider), kind=EventKind.STATUS, call_sid=call.call_sid,
            token=call.attempt_id, status=lookup.status, provider_status=lookup.provider_status,
            sip_status=lookup.sip_status, sip_reason=lookup.sip_reason, duration=lookup.duration,
            received_at=self.clock(), verified=True, raw=lookup.raw, details=details, source=EventSource.POLL))

    async def _unknown(self, call: CallRecord, why: str) -> None:
        self.stats.unknown += 1
        await self._record(unknown_event(call, why, EventSource.DEADLINE, self.clock()))

    async def _record(self, event: CallEvent) -> None:
        ingested = await self.store.ingest(event)
        if self.on_event is not None:
            self.on_event(event, ingested)


_NOT_FOUND = {
    "live calls": "the gateway no longer lists the call",
    "recent calls": "the gateway no longer lists the call, and its recent calls hold no record of it",
    "callstatus": "the gateway's callstatus has no record of it",
}


def unknown_event(call: CallRecord, why: str, source: EventSource, now: datetime) -> CallEvent:
    """An event that ends a call as unknown (no final word and none to be had, or an operator's say)."""
    return CallEvent(profile=call.profile, provider=Provider(call.provider), kind=EventKind.STATUS,
                     call_sid=call.call_sid, token=call.attempt_id, status=CallStatus.UNKNOWN,
                     received_at=now, verified=True, raw=json.dumps({"why": why}, ensure_ascii=False),
                     details={"why": why}, source=source)


def _name(gateway: Gateway) -> str:
    return room(gateway.provider).title


def _span(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"
