"""Running a campaign: callees dialled one start every 60/per_minute seconds at most, never more than
max_live at once, within the gateway's request allowance, only while their calling hours are open in all
their time zones, never on the do-not-call list (checked as each attempt is written), retried by outcome.

Everything it knows is in history, so it can be killed at any moment and run again: a callee being called
stays so until its call has a final status (a webhook, or reconciliation asking the gateway, or unknown
with why), and only then is it settled and, maybe, called again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from console.budget import FIRST_PAUSE_S, MAX_PAUSE_S, Budgets, gateway_key
from console.campaigns import ledger, progress
from console.campaigns.hours import zones_for
from console.campaigns.policy import decide, outcome_of
from console.campaigns.progress import Callee, Campaign
from console.clock import iso, utc_now
from console.compose import compose
from console.config import Settings
from console.dialer import Dialer
from console.gateways.errors import (
    GatewayError,
    GatewayNotConfigured,
    GatewayRateLimited,
    GatewayUnavailable,
    GatewayUnreachable,
    NotSupported,
    may_have_reached,
)
from console.problems import InvalidInput
from console.records import CallRecord
from console.store import Store

SLOW_DOWN = (GatewayRateLimited, GatewayUnavailable, GatewayUnreachable)  # not the callee's doing: not a try
ERROR_PAUSE_S = 5.0
COUNT_EVERY_S = 5.0  # the gateway's own count of live calls, asked at most this often (within the allowance)


@dataclass
class RunStats:
    placed: int = 0
    settled: int = 0
    slowed: int = 0  # 429, 480 or no answer from the gateway: the campaign paused, the callee waits
    last_slowdown: str = ""
    errors: int = 0  # turns that failed (said, and tried again)
    last_error: str = ""


class CampaignRunner:
    def __init__(self, store: Store, dialer: Dialer, settings: Settings, campaign: Campaign, *, budgets: Budgets,
                 clock: Callable[[], datetime] = utc_now, monotonic: Callable[[], float] = time.monotonic,
                 speed: float = 1.0, tick_s: float = 0.2, say: Callable[[str], None] | None = None,
                 warn: Callable[[str], None] | None = None):
        """`say`: a line per outcome; `warn`: what the operator must hear of (a turn that failed)."""
        self.store, self.dialer, self.settings, self.campaign = store, dialer, settings, campaign
        self.plan = campaign.plan
        self.hours = self.plan.hours()
        self.clock, self.monotonic = clock, monotonic
        profile = settings.profiles.get(campaign.profile)
        self.scale = speed if profile is not None and profile.embedded else 1.0  # the simulator's time
        self.tick_s = tick_s
        self.error_pause_s = ERROR_PAUSE_S
        self.say = say or (lambda line: None)
        self.warn = warn or self.say
        self.budget = budgets.get(gateway_key(settings, campaign.profile),
                                  settings.campaigns.gateway_requests_per_minute, monotonic)
        shared = settings.campaigns.gateway_requests_per_minute
        # reconciliation's share of the allowance, kept free (at most half of it)
        self.keep = min(settings.reconcile.requests_per_minute, shared // 2) if settings.reconcile.enabled else 0
        self.stats = RunStats()
        self._next_start = 0.0  # monotonic: the pace
        self._slow_s = 0.0  # the pause after a 480 or no answer, doubling while they last
        self._slow_until = 0.0
        self._due: list[Callee] = []
        self._said_stopping = False
        self._counted_at = float("-inf")
        self._gateway_live: int | None = None  # outbound calls at the gateway, by its last count (None: unknown)
        self._countable = True  # False once the gateway has said it cannot count
        self._ours_at_count = 0  # this campaign's live calls when the gateway last counted

    async def run(self) -> str:
        """Until the campaign is done or stopped (every callee being called settled); returns which. A
        surprise in one turn (history busy, a gateway answer no check foresaw) is said and the next turn
        tries again: a campaign left to run overnight does not stop silently at its first hiccup."""
        while True:
            try:
                ended = await self._turn()
            except (asyncio.CancelledError, GatewayNotConfigured):  # a credential missing here: no retry helps
                raise
            except Exception as exc:  # noqa: BLE001 - said, and tried again after a pause
                self.stats.errors += 1
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                self.warn(f"campaign {self.campaign.name}: {self.stats.last_error}; trying again in "
                          f"{self.error_pause_s:g} s")
                await asyncio.sleep(self.error_pause_s)
                continue
            if ended is not None:
                return ended

    async def _turn(self) -> str | None:
        """Settle, dial, wait a little; the state it ended in, or None to go on."""
        state = str(await asyncio.to_thread(self.store.read, progress.state, self.campaign.id))
        live = await self.settle_ended(stopped=state == "stopped")
        if state == "active":
            live = await self.dial_some(live)
        if state == "stopped" and not live:
            return state
        if state == "stopped" and not self._said_stopping:
            self._said_stopping = True
            self.say(f"campaign {self.campaign.name} stopped: nobody else is called; waiting for the {live} call(s) "
                     "going on to end")
        if state in ("active", "paused") and not live and await self.store.write(ledger.finish, self.campaign.id):
            return "done"
        if state == "done":
            return state
        wait = self.tick_s
        if state == "active" and live < self.plan.max_live:
            wait = min(wait, max(0.0, self._next_start - self.monotonic()))
        await asyncio.sleep(max(wait, 0.005))
        return None

    # ------------------------------------------------------------ settling

    async def settle_ended(self, *, stopped: bool = False) -> int:
        """Settle the callees whose call has ended; returns how many are still being called."""
        calling = await asyncio.to_thread(self.store.read, progress.calling, self.campaign.id)
        live = 0
        for callee, call in calling:
            if call is None or not call.status.final:
                live += 1
                continue
            await self._settle(callee, call, outcome_of(call), stopped=stopped)
        return live

    async def _settle(self, callee: Callee, call: CallRecord, outcome: str, *, stopped: bool = False,
                      note: str | None = None) -> None:
        decision = decide(self.plan, outcome, callee.tries, call, self.clock(), self.scale)
        state = "done" if stopped else decision.state
        if await self.store.write(ledger.settle, callee.id, state, decision.tries, decision.outcome,
                                  iso(decision.next_at) if decision.next_at and state == "waiting" else None, note):
            self.stats.settled += 1
            again = f", again at {decision.next_at:%H:%M:%S} UTC" if state == "waiting" and decision.next_at else ""
            self.say(f"{callee.number}: {outcome.replace('_', ' ')} (try {decision.tries}){again}")

    # ------------------------------------------------------------ dialling

    async def dial_some(self, live: int) -> int:
        """Start the calls the pace, the live limit, the allowance and the calling hours allow now."""
        while live < self.plan.max_live:
            mono = self.monotonic()
            if mono < self._next_start or mono < self._slow_until or self.budget.wait_s(self.keep) > 0:
                return live
            if await self._gateway_full(live):
                return live
            callee = await self._next_callee()
            if callee is None:
                return live
            if await self._dial(callee):
                live += 1
        return live

    async def _gateway_full(self, live: int) -> bool:
        """The account's outbound calls placed by others (another console, another campaign), by the gateway's
        own count (jambonz and Cognigy CallCount), and this campaign's `live` reach the live limit. Asked at
        most every COUNT_EVERY_S, within the allowance; a gateway that cannot count leaves the campaign's own."""
        if not self._countable:
            return False
        if self.monotonic() - self._counted_at >= COUNT_EVERY_S and self.budget.wait_s(self.keep) == 0:
            self._counted_at = self.monotonic()
            try:
                gateway = await self.dialer.gateways.get(self.campaign.profile)
                self.budget.spend()
                self._gateway_live = (await gateway.call_count())["outbound"]
                self._ours_at_count = live
            except NotSupported:
                self._countable, self._gateway_live = False, None
            except GatewayRateLimited as exc:
                self.budget.limited(exc.retry_after)
            except GatewayError:
                self._gateway_live = None  # not known this time: the campaign's own count holds
        if self._gateway_live is None:
            return False
        others = max(0, self._gateway_live - self._ours_at_count)  # ours have come and gone since: not counted
        return others + live >= self.plan.max_live

    async def _next_callee(self) -> Callee | None:
        """The next waiting callee whose hours are open now; those whose hours are closed are set aside
        until they open (shown as waiting for their window)."""
        now = self.clock()
        while True:
            if not self._due:
                self._due = await asyncio.to_thread(self.store.read, progress.due, self.campaign.id, iso(now), 64)
                if not self._due:
                    return None
            callee = self._due.pop(0)
            zones = zones_for(callee.number, callee.zone)
            if zones and self.hours.open_at(now, zones):
                return callee
            opens = self.hours.next_open(now, zones) if zones else None
            if opens is None:
                why = ("no time zone is known for the number: give the list a timezone column" if not zones else
                       f"the calling hours are never open in all its {len(zones)} time zones at once")
                await self.store.write(ledger.skip, callee.id, "no_window", why)
                self.say(f"{callee.number}: left out: {why}")
                continue
            await self.store.write(ledger.defer, [(callee.id, iso(opens), f"{ledger.HOURS_NOTE} {iso(opens)} "
                                                                           f"({', '.join(zones[:3])})")])

    async def _dial(self, callee: Callee) -> bool:
        """One attempt; returns whether a call is now live for the callee."""
        plan = self.plan
        try:
            request = compose(self.settings, self.campaign.profile, to=callee.number, from_=plan.from_, app=plan.app,
                              tags={**plan.tags, **callee.fields}, headers=plan.headers, amd=plan.amd,
                              timeout=plan.timeout, sets=plan.sets)
        except (InvalidInput, ValueError) as exc:
            text = "; ".join(str(p) for p in exc.problems) if isinstance(exc, InvalidInput) else str(exc)
            await self.store.write(ledger.skip, callee.id, "bad_request", f"the request cannot be made: {text}")
            self.say(f"{callee.number}: left out: the request cannot be made: {text}")
            return False
        paced, self._next_start = self._next_start, self.monotonic() + plan.gap_s
        self.budget.spend()
        outcome = await self.dialer.place(self.campaign.profile, request, campaign_callee=callee.id)
        if outcome.withheld is not None:  # nothing was sent: the pace is not spent
            self._next_start = paced
            if outcome.withheld.startswith("the campaign is"):  # paused or stopped meanwhile: nobody else now
                self._due.clear()
                self._slow_until = self.monotonic() + self.tick_s
            return False
        call = outcome.call
        assert call is not None  # claimed: the attempt is in history
        error = outcome.error
        if error is None:
            self.budget.succeeded()
            self._slow_s = 0.0
            self.stats.placed += 1
            return True
        if isinstance(error, SLOW_DOWN):
            self.stats.slowed += 1
            self.stats.last_slowdown = str(error)
            if isinstance(error, GatewayRateLimited):
                pause = self.budget.limited(error.retry_after)
            else:
                pause = self._slow_s = min(MAX_PAUSE_S, self._slow_s * 2 or FIRST_PAUSE_S / 2)
                self._slow_until = self.monotonic() + pause
            self.say(f"the gateway asks us to slow down ({error}): pausing {pause:.0f} s")
            # not counted: the same try again once the pause is over
            await self.store.write(ledger.settle, callee.id, "waiting", callee.tries, callee.outcome,
                                   iso(self.clock() + timedelta(seconds=pause)), f"slowed down: {error}")
            return False
        kind = "unknown" if may_have_reached(error) else "refused"
        await self._settle(callee, call, kind, note=str(error))
        return False
