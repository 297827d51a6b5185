"""Calls whose webhooks never came, settled from the gateway's own records: every demo outcome with every
webhook lost, IBM's unknown, RecentCalls after GET /Calls forgot the call, the request budget, 429s, and a
call left open by a console that was killed."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from console.clock import iso, utc_now
from console.config import DEMO_APPLICATION_SID, load_settings
from console.records import CallRecord
from console.services import Services
from console.simulator import Seed, Simulator, SimulatorOptions
from console.simulator.ratelimit import RateLimit
from console.status import CallStatus, EventSource
from console.store import Store
from tests.conftest import ROOT
from tests.integration.demo import request

SPEED = 500.0
TICK = 0.05


@pytest.fixture
async def lost(tmp_path: Path) -> AsyncIterator[Services]:
    """The demo profiles with every webhook lost on the way: only reconciliation can settle a call."""
    settings = load_settings(receiver={"port": 0}, simulator={"drop_webhooks": 1.0},
                             reconcile={"requests_per_minute": 600})
    store = Store(tmp_path / "h.db")
    services = Services.build(settings, store, key=b"reconcile", speed=SPEED)
    services.reconciler.tick_s = TICK
    await services.start()
    yield services
    await services.stop()
    store.close()


async def settled(store: Store, attempt: str, timeout: float = 15) -> CallRecord:
    async with asyncio.timeout(timeout):
        while not (call := store.call(attempt)).status.final:
            await asyncio.sleep(0.02)
    return call


# (number, time limit, status, SIP status, talk seconds): the simulator's outcome table
OUTCOMES = [
    ("+12125550101", None, CallStatus.COMPLETED, 200, 4),
    ("+12125550102", None, CallStatus.BUSY, 486, None),
    ("+12125550103", None, CallStatus.NO_ANSWER, 487, None),
    ("+12125550104", None, CallStatus.FAILED, 404, None),
    ("+12125550105", None, CallStatus.COMPLETED, 200, 9),
    ("+12125550106", 10, CallStatus.COMPLETED, 200, 10),
]


@pytest.mark.parametrize("profile", ["demo-cognigy", "demo-jambonz"])
async def test_every_outcome_settles_from_the_gateways_record_when_every_webhook_is_lost(lost: Services,
                                                                                      profile: str) -> None:
    placed = []
    for number, limit, *_ in OUTCOMES:
        outcome = await lost.dialer.place(profile, request(profile, number, time_limit=limit))
        assert outcome.placed, outcome.error
        placed.append(outcome.call)
    sim = await lost.embedded.for_provider(profile.removeprefix("demo-"))
    for call, (number, _, status, sip, talk) in zip(placed, OUTCOMES):
        final = await settled(lost.store, call.attempt_id)
        assert (final.status, final.sip_status, final.duration) == (status, sip, talk), number
        events = lost.store.events(final.id)
        assert [e.source for e in events][0] is EventSource.CREATE
        assert EventSource.WEBHOOK not in {e.source for e in events}  # nothing came any other way
        last = events[-1]
        assert last.source is EventSource.POLL and last.details["asked"] == "live calls"
        # within the deadline plus one look: from when the gateway ended it, or when it went quiet
        ended = next(c for c in sim.engine.finished if c.call_sid == call.call_sid).ended_at
        window = lost.reconciler.window(final if final.answered_at is None else final).total_seconds()
        assert last.received_at.timestamp() - max(ended, events[-2].received_at.timestamp()) <= window + 1.0
    assert sim.notifier.dropped > 0 and sim.notifier.sent == 0
    assert lost.reconciler.stats.unknown == 0


async def test_mobtexting_settles_from_callstatus(lost: Services) -> None:
    placed = [(await lost.dialer.place("demo-mobtexting", request("demo-mobtexting", f"+9198765432{d}"))).call
              for d in ("01", "02", "03", "04")]
    final = [await settled(lost.store, c.attempt_id) for c in placed]
    assert [c.status for c in final] == [CallStatus.COMPLETED, CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.FAILED]
    # the portal's own times (whole seconds, and this simulator runs 500 times faster than a call)
    assert final[0].answered_at is not None and final[0].ended_at >= final[0].answered_at
    assert all(lost.store.events(c.id)[-1].details["asked"] == "callstatus" for c in final)


async def test_ibm_has_no_api_to_ask_so_its_call_becomes_unknown_with_the_reason(lost: Services) -> None:
    call = (await lost.dialer.place("demo-ibm", request("demo-ibm", "+12125550101"))).call
    final = await settled(lost.store, call.attempt_id)
    assert final.status is CallStatus.UNKNOWN
    assert final.error == "no final webhook within 90 s; IBM has no API to ask"
    assert lost.store.events(final.id)[-1].source is EventSource.DEADLINE


async def test_what_no_record_can_settle_becomes_unknown_after_giving_up_with_the_reason(lost: Services) -> None:
    lost.settings.reconcile.give_up_s = 10
    lost.reconciler.clock = lambda: utc_now() + timedelta(seconds=200)  # long past every deadline

    async def call(profile: str, sid: str) -> CallRecord:
        attempt = await lost.store.begin_attempt(profile=profile, provider="cognigy", from_number="+12125550100",
                                                 to_number="+12125550101")
        return await lost.store.attempt_placed(attempt.attempt_id, call_sid=sid)

    stranger = await call("demo-cognigy", "00000000-0000-4000-8000-00000000dead")  # the gateway never had it
    orphan = await call("gone", "00000000-0000-4000-8000-00000000beef")  # a profile no longer configured
    stranger, orphan = await settled(lost.store, stranger.attempt_id), await settled(lost.store, orphan.attempt_id)
    assert stranger.status is CallStatus.UNKNOWN and stranger.error.startswith(
        "the gateway no longer lists the call, and its recent calls hold no record of it (asked ")
    assert orphan.status is CallStatus.UNKNOWN and orphan.error.startswith(
        "no final word within 90 s, and profile gone is not configured here, so its gateway cannot be asked (asked ")


async def test_a_call_that_was_live_and_then_vanished_without_a_record_is_given_up_in_time(lost: Services) -> None:
    lost.settings.reconcile.give_up_s = 10  # 20 ms at this speed
    stay = (await lost.dialer.place("demo-cognigy", request("demo-cognigy", "+12125550106"))).call
    async with asyncio.timeout(10):
        while lost.store.call(stay.attempt_id).status is not CallStatus.ANSWERED:  # the gateway said so, asked
            await asyncio.sleep(0.02)
    sim = await lost.embedded.for_provider("cognigy")
    sim.engine.find(stay.call_sid).deleted = True  # its record is gone (DELETE /Calls/{sid}); the call is not over
    final = await settled(lost.store, stay.attempt_id)
    assert final.status is CallStatus.UNKNOWN and "the gateway no longer lists the call" in final.error


async def test_a_call_the_gateway_no_longer_lists_is_found_in_its_recent_calls(tmp_path: Path) -> None:
    settings = load_settings(receiver={"port": 0}, simulator={"drop_webhooks": 1.0},
                             reconcile={"enabled": False, "requests_per_minute": 600})
    with Store(tmp_path / "h.db") as store:
        services = Services.build(settings, store, key=b"k", speed=5000)
        await services.start()
        try:
            call = (await services.dialer.place("demo-cognigy", request("demo-cognigy", "+12125550101"))).call
            sim = await services.embedded.for_provider("cognigy")
            await sim.engine.idle()
            await asyncio.sleep(3600 / 5000 + 0.2)  # jambonz keeps a finished call listed for an hour
            assert sim.engine.find(call.call_sid) is None
            await services.reconciler.tick()
            await services.reconciler.idle()
            final = store.call(call.attempt_id)
            assert (final.status, final.duration) == (CallStatus.COMPLETED, 4)
            last = store.events(final.id)[-1]
            cdr = json.loads(last.raw)
            assert last.details["asked"] == "recent calls" and cdr["call_sid"] == call.call_sid
            # the times are the gateway's, not when it was asked
            assert (iso(final.answered_at), iso(final.ended_at)) == (cdr["answered_at"], cdr["terminated_at"])
            assert last.received_at - final.ended_at > timedelta(seconds=0.5)
        finally:
            await services.stop()


class Ticking:
    """A monotonic clock that moves only when told to (the budget's minute, without waiting one)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def unsettled(tmp_path: Path, calls: int, **reconcile: Any) -> AsyncIterator[tuple[Services, Simulator, list]]:
    """`calls` answered calls, over at the gateway, whose webhooks were all lost: reconciliation not started."""
    settings = load_settings(receiver={"port": 0}, simulator={"drop_webhooks": 1.0},
                             reconcile={"enabled": False, **reconcile})
    with Store(tmp_path / "h.db") as store:
        services = Services.build(settings, store, key=b"k", speed=SPEED)
        services.reconciler.tick_s = TICK
        await services.start()
        try:
            placed = [(await services.dialer.place("demo-cognigy", request("demo-cognigy", f"+121255501{n:02d}"))).call
                      for n in range(10, 10 + calls)]
            sim = await services.embedded.for_provider("cognigy")
            await sim.engine.idle()
            await asyncio.sleep(0.3)  # every call is past its deadline
            yield services, sim, placed
        finally:
            await services.stop()


async def test_the_budget_allows_at_most_its_requests_a_minute_one_at_a_time(tmp_path: Path) -> None:
    async with unsettled(tmp_path, 20) as (services, sim, calls):
        assert services.settings.reconcile.requests_per_minute == 12  # the default
        lookups = lambda: [s for s in sim.requests if s.method == "GET" and "/Calls/" in s.path]  # noqa: E731
        minute = Ticking()
        services.reconciler.monotonic = minute
        runner = asyncio.create_task(services.reconciler.run())
        await asyncio.sleep(2.0)
        assert len(lookups()) == 12  # all the budget allows in this minute, whatever is due
        minute.now += 61
        finals = [await settled(services.store, c.attempt_id) for c in calls]
        runner.cancel()
        assert all(c.status is CallStatus.COMPLETED for c in finals)
        assert len(lookups()) == 20 and max(s.in_flight for s in lookups()) == 1


async def test_a_429_slows_reconciliation_and_never_fails_a_call(tmp_path: Path) -> None:
    async with unsettled(tmp_path, 6, requests_per_minute=600) as (services, sim, calls):
        sim.jambonz.rate_limit = RateLimit(2, 1.0)  # two requests a second for the whole server
        runner = asyncio.create_task(services.reconciler.run())
        finals = [await settled(services.store, c.attempt_id, timeout=40) for c in calls]
        runner.cancel()
        assert all(c.status is CallStatus.COMPLETED for c in finals)
        assert services.reconciler.stats.limited > 0 and services.reconciler.stats.unknown == 0


KILLED_CONSOLE = textwrap.dedent("""
    import asyncio, os, signal, sys
    from console.calls import DialRequest
    from console.config import load_settings
    from console.services import Services
    from console.store import Store

    async def main():
        settings = load_settings(sys.argv[1])
        store = Store(settings.storage.path)
        services = Services.build(settings, store, key=b"k")
        await services.start()
        request = DialRequest.build({"provider": "cognigy", "from": "+12125550100", "application_sid": sys.argv[2],
                                     "to": {"type": "phone", "number": "+12125550101"}}, region="US")
        outcome = await services.dialer.place("gw", request)
        print(outcome.call.attempt_id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    asyncio.run(main())
""")


async def test_a_call_left_dialing_by_a_killed_console_is_settled_at_the_next_start(tmp_path: Path) -> None:
    sim = Simulator(SimulatorOptions(speed=100, drop_webhooks=1.0, seed=Seed()))
    await sim.start()
    info = sim.info()
    cfg = tmp_path / "c.toml"
    cfg.write_text(textwrap.dedent(f"""
        [storage]
        path = "{tmp_path / 'h.db'}"
        [receiver]
        port = 0
        [reconcile]
        ring_timeout_s = 1
        grace_s = 0
        [profiles.gw]
        provider = "cognigy"
        base_url = "{sim.base_url}"
        api_key = "{info['api_key']}"
        account_sid = "{info['account_sid']}"
        webhook_secrets = ["{info['webhook_secret']}"]
    """))
    try:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        killed = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", KILLED_CONSOLE, str(cfg),
                                                          DEMO_APPLICATION_SID],
                                         capture_output=True, text=True, timeout=60, env=env)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        attempt = killed.stdout.strip()
        settings = load_settings(cfg)
        with Store(settings.storage.path) as store:
            assert store.call(attempt).status is CallStatus.DIALING  # left open by the killed console
            await sim.engine.idle()
            services = Services.build(settings, store, key=b"k")
            services.reconciler.tick_s = TICK
            await services.start()
            try:
                final = await settled(store, attempt)
            finally:
                await services.stop()
            assert (final.status, final.duration) == (CallStatus.COMPLETED, 4)
            assert store.events(final.id)[-1].source is EventSource.POLL
    finally:
        await sim.stop()
