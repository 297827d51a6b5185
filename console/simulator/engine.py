"""The call engine: every accepted call lives in one task that walks its timeline (ring, answer,
talk, end) and tells its provider's emitter about each step, so each call's webhooks leave in order.

Waits are nominal seconds divided by `speed`. A hang-up request interrupts the current wait.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from console.simulator import outcomes
from console.simulator.outcomes import Outcome

MAX_CALL_SECONDS = 12 * 3600  # jambonz MAX_CALL_LIFETIME: nothing stays up forever
KEEP_AFTER_END_SECONDS = 3600  # jambonz keeps a finished call listable for an hour

FINAL_WORDS = ("completed", "busy", "no-answer", "failed")
RINGING_WORDS = ("trying", "ringing", "early-media")


class CallStateError(Exception):
    """The call cannot do what was asked in its current state (jambonz answers 422 text)."""


@dataclass
class SimCall:
    kind: str  # "jambonz", "ibm" or "mobtexting"
    account_sid: str
    from_: str
    to: str  # as the gateway reports it: number, user@realm or SIP URI
    outcome: Outcome
    timeout: float = outcomes.DEFAULT_RING_TIMEOUT
    time_limit: float | None = None
    amd: dict[str, Any] | None = None
    data: dict[str, Any] = field(default_factory=dict)  # the emitter's own: hooks, tags, ids
    call_sid: str = field(default_factory=lambda: str(uuid.uuid4()))
    call_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "queued"
    sip_status: int = 100
    sip_reason: str = "Trying"
    termination_by: str | None = None
    created_at: float = 0.0
    answered_at: float | None = None
    ended_at: float | None = None
    duration: int | None = None
    deleted: bool = False
    hangup: asyncio.Event = field(default_factory=asyncio.Event)
    hangup_action: str | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL_WORDS


# What an emitter is told at each step; it answers True to end the call now (an AMD hook's hangup verb).
Emit = Callable[[SimCall, str, dict[str, Any]], Awaitable[bool | None]]


class Engine:
    def __init__(self, speed: float = 1.0, clock: Callable[[], float] = time.time,
                 on_end: Callable[[SimCall], None] | None = None):
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self.clock = clock
        self.on_end = on_end
        self.calls: dict[str, SimCall] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.finished: deque[SimCall] = deque(maxlen=10_000)
        self.closing = False

    # ------------------------------------------------------------ lifecycle

    def start(self, call: SimCall, emit: Emit) -> SimCall:
        call.created_at = self.clock()
        self.calls[call.call_sid] = call
        self.spawn(self._life(call, emit), f"sim-call-{call.call_sid}")
        return call

    def later(self, seconds: float, call: SimCall, emit: Emit) -> None:
        """Start `call` after `seconds` nominal (a provider's own retry)."""
        if self.closing:
            return

        async def wait_then_start() -> None:
            await asyncio.sleep(seconds / self.speed)
            self.start(call, emit)

        self.spawn(wait_then_start(), f"sim-retry-{call.call_sid}")

    def spawn(self, coro: Awaitable[None], name: str) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def wind_down(self, timeout: float = 2.0) -> None:
        """End every live call as a hang-up would (answered: completed; ringing: cancelled, 487), let
        their final webhooks go out, and drop the retries not yet started: a simulator that stops
        leaves no call live in the histories it reported to."""
        self.closing = True
        for task in list(self._tasks):
            if task.get_name().startswith("sim-retry-"):
                task.cancel()
        for call in self.calls.values():
            if not call.final and not call.hangup.is_set():
                call.hangup_action = "completed" if call.status == "in-progress" else "no-answer"
                call.hangup.set()
        try:
            await self.idle(timeout)
        except TimeoutError:
            pass  # close() cancels what is left

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until no call is running (tests, and the benchmark)."""
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # ------------------------------------------------------------ queries

    def find(self, call_sid: str) -> SimCall | None:
        self._expire()
        call = self.calls.get(call_sid)
        return None if call is None or call.deleted else call

    def listed(self, account_sid: str, kind: str = "jambonz") -> list[SimCall]:
        self._expire()
        return [c for c in self.calls.values() if c.account_sid == account_sid and c.kind == kind and not c.deleted]

    def _expire(self) -> None:
        now = self.clock()
        gone = [sid for sid, c in self.calls.items()
                if c.ended_at is not None and (now - c.ended_at) * self.speed > KEEP_AFTER_END_SECONDS]
        for sid in gone:
            del self.calls[sid]

    def talk_seconds(self, call: SimCall) -> float:
        if call.answered_at is None:
            return 0.0
        return ((call.ended_at or self.clock()) - call.answered_at) * self.speed

    # ------------------------------------------------------------ control

    def request_hangup(self, call: SimCall, action: str) -> None:
        """`completed` ends an answered call; `no-answer` cancels one still ringing (jambonz rules)."""
        if call.final or call.hangup.is_set():
            raise CallStateError(f"call session is gone for call_sid {call.call_sid}")
        if action == "completed" and call.status != "in-progress":
            raise CallStateError(
                f"current call state is incompatible with requested action for call_sid {call.call_sid}"
            )
        if action == "no-answer" and call.status not in RINGING_WORDS:
            raise CallStateError(
                f"current call state is incompatible with requested action for call_sid {call.call_sid}"
            )
        call.hangup_action = action
        call.hangup.set()

    async def _wait(self, call: SimCall, seconds: float) -> bool:
        """Sleep `seconds` nominal; False when a hang-up request cut it short."""
        if call.hangup.is_set():
            return False
        try:
            await asyncio.wait_for(call.hangup.wait(), max(seconds, 0) / self.speed)
        except TimeoutError:
            return True
        return False

    # ------------------------------------------------------------ the life of a call

    def _set(self, call: SimCall, status: str, sip_status: int, sip_reason: str | None) -> None:
        call.status = status
        call.sip_status = sip_status
        if sip_reason is not None:  # jambonz does not update the reason on provisional responses
            call.sip_reason = sip_reason

    async def _end(self, call: SimCall, emit: Emit, status: str, sip_status: int, sip_reason: str,
                   by: str | None = None, talked: float | None = None) -> None:
        """`talked`: nominal seconds since answer when the end was planned; else measured."""
        call.ended_at = self.clock()
        if status == "completed":
            call.duration = int(round(self.talk_seconds(call) if talked is None else talked))
            call.termination_by = by
        self._set(call, status, sip_status, sip_reason)
        self.finished.append(call)
        if self.on_end is not None:
            self.on_end(call)
        await emit(call, status, {})

    async def _life(self, call: SimCall, emit: Emit) -> None:
        try:
            await self._ring_and_answer(call, emit)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - one call's bug must not stop the engine
            if not call.final:
                call.ended_at = self.clock()
                self._set(call, "failed", 500, "Internal Server Error")
            call.data["error"] = repr(exc)

    async def _ring_and_answer(self, call: SimCall, emit: Emit) -> None:
        self._set(call, "trying", 100, "Trying")
        await emit(call, "trying", {})
        outcome = call.outcome
        # The ring timer runs from the INVITE (rest_dial.js _setCallTimer).
        deadline = call.timeout
        if outcome is Outcome.NOT_FOUND:
            if not await self._wait(call, outcomes.TRYING_TO_NOT_FOUND):
                return await self._end(call, emit, "no-answer", 487, "Request Terminated")
            return await self._end(call, emit, "failed", 404, "Not Found")
        step = min(outcomes.TRYING_TO_RINGING, deadline)
        if not await self._wait(call, step):
            return await self._end(call, emit, "no-answer", 487, "Request Terminated")
        if step >= deadline:
            return await self._end(call, emit, "no-answer", 487, "Request Terminated")
        self._set(call, "ringing", 180, None)
        await emit(call, "ringing", {})
        elapsed = outcomes.TRYING_TO_RINGING
        if outcome is Outcome.BUSY:
            until = outcomes.RINGING_TO_BUSY
        elif outcome is Outcome.NO_ANSWER:
            until = float("inf")
        else:
            until = outcomes.RINGING_TO_ANSWER
        wait = min(until, deadline - elapsed)
        if not await self._wait(call, wait):
            return await self._end(call, emit, "no-answer", 487, "Request Terminated")
        if until > deadline - elapsed:
            return await self._end(call, emit, "no-answer", 487, "Request Terminated")
        if outcome is Outcome.BUSY:
            return await self._end(call, emit, "busy", 486, "Busy Here")
        call.answered_at = self.clock()
        self._set(call, "in-progress", 200, "OK")
        if await emit(call, "in-progress", {}):
            return await self._end(call, emit, "completed", 200, "OK", by="jambonz", talked=0.0)
        await self._talk(call, emit)

    async def _talk(self, call: SimCall, emit: Emit) -> None:
        speaker = outcomes.MACHINE if call.outcome is Outcome.MACHINE else outcomes.HUMAN
        plan: list[tuple[float, str, dict[str, Any]]] = []
        if call.amd is not None:
            plan += [(at, "amd", event) for at, event in outcomes.amd_timeline(speaker, call.amd)]
        if call.outcome is Outcome.MACHINE:
            plan.append((outcomes.MACHINE_CALL_SECONDS, "end", {"by": "jambonz"}))
        elif call.outcome is not Outcome.STAY:
            plan.append((outcomes.TALK_SECONDS, "end", {"by": "caller"}))
        limit = min(call.time_limit or MAX_CALL_SECONDS, MAX_CALL_SECONDS)
        plan.append((limit, "end", {"by": "jambonz"}))
        plan.sort(key=lambda item: item[0])
        at = 0.0
        for offset, what, detail in plan:
            if not await self._wait(call, offset - at):
                return await self._end(call, emit, "completed", 200, "OK", by="jambonz")
            at = offset
            if what == "end":
                return await self._end(call, emit, "completed", 200, "OK", by=detail["by"], talked=at)
            if await emit(call, "amd", detail):
                return await self._end(call, emit, "completed", 200, "OK", by="jambonz", talked=at)
