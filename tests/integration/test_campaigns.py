"""Campaigns run against the embedded simulator on loopback, with a real history: the outcome per callee from
the simulator's digit table, retries by outcome, the do-not-call list, the pace and the live limit (read from
the simulator's own record of requests and calls), calling hours on a frozen clock across zones, a 429 storm
and a gateway with no capacity, and a headless run killed with -9 and run again."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from console.campaigns import ledger, progress
from console.campaigns.hours import zones_for
from console.campaigns.policy import DEFAULT_RETRIES, Plan
from console.campaigns.progress import Campaign
from console.campaigns.runner import CampaignRunner
from console.config import load_settings
from console.gateways.errors import GatewayNotConfigured
from console.phone import to_e164
from console.providers import DEMO_ACCOUNT_SID, DEMO_APPLICATION_SID
from console.services import Services
from console.simulator import Simulator
from console.simulator.engine import SimCall
from console.simulator.ratelimit import RateLimit
from console.simulator.seed import ACCOUNT_API_KEY, WEBHOOK_SECRET
from console.store import Store
from tests.conftest import ROOT, FrozenClock

SPEED = 500.0
ALL_DAY = {"window": "00:00-24:00", "days": "all"}
# What the simulator does with a number by its last two digits, as the campaign counts it (no AMD asked for:
# the machine of 05 is taken for a person), and the tries with one more try after busy and after no answer.
TABLE = {"01": ("answered", 1), "02": ("busy", 2), "03": ("no_answer", 2), "04": ("failed", 1), "05": ("answered", 1)}
CREATE_PATHS = ("/Calls", "startOutboundCall", "outgoing/send")


@asynccontextmanager
async def running(tmp_path: Path, speed: float = SPEED, profiles: dict[str, Any] | None = None,
                  **reconcile: Any) -> AsyncIterator[Services]:
    extra = {"profiles": profiles} if profiles else {}
    config = load_settings(receiver={"port": 0}, reconcile={"requests_per_minute": 600, **reconcile},
                           campaigns={"gateway_requests_per_minute": 6000}, **extra)
    store = Store(tmp_path / "h.db")
    services = Services.build(config, store, key=b"campaign", speed=speed)
    services.reconciler.tick_s = 0.05
    await services.start()
    try:
        yield services
    finally:
        await services.stop()
        store.close()


async def create(store: Store, name: str, profile: str, numbers: list[str], plan: Plan,
                 zones: dict[str, str] | None = None) -> Campaign:
    rows = [(line, n, (zones or {}).get(n), ledger.fields_json({"name": f"callee {line}"}))
            for line, n in enumerate(numbers, start=2)]
    await store.write(ledger.create, {"name": name, "profile": profile, "state": "active",
                                      "plan": json.dumps(plan.to_json()), "source": "test"}, rows)
    found = store.read(progress.find, name)
    assert found is not None
    return found


def runner(services: Services, campaign: Campaign, **kw: Any) -> CampaignRunner:
    return CampaignRunner(services.store, services.dialer, services.settings, campaign,
                          budgets=services.reconciler.budgets, speed=SPEED, tick_s=0.02, **kw)


def numbers(count: int) -> list[str]:
    """Valid New York numbers whose last two digits cycle through the simulator's table."""
    found = [f"+1212555{10 + i // 5:02d}{list(TABLE)[i % 5]}" for i in range(count)]
    assert all(to_e164(n, "US") == n for n in found)
    return found


def creates(sim: Simulator) -> list[float]:
    return sorted(seen.started for seen in sim.requests if seen.method == "POST"
                  and seen.path.endswith(CREATE_PATHS))


def carried(sim: Simulator) -> list[SimCall]:
    """Every call the simulator has carried (a finished call stays listed a while: once each)."""
    return list({call.call_sid: call for call in [*sim.engine.finished, *sim.engine.calls.values()]}.values())


def most_at_once(sim: Simulator) -> int:
    """The most calls the simulator carried at the same moment."""
    edges = []
    for call in carried(sim):
        edges += [(call.created_at, 1), (call.ended_at or float("inf"), -1)]
    live = peak = 0
    for _, step in sorted(edges):
        live += step
        peak = max(peak, live)
    return peak


def most_in_window(starts: list[float], window: float) -> int:
    """The most requests the gateway saw within any `window` seconds. Ten gaps' worth, not one: a request
    held up on a busy machine arrives just before the next, but the pace over ten of them still shows."""
    return max(sum(1 for t in starts[i:] if t < first + window) for i, first in enumerate(starts))


def dialled(sim: Simulator) -> list[str]:
    return [call.to for call in carried(sim)]


@pytest.mark.parametrize("provider", ["cognigy", "jambonz", "ibm", "mobtexting"])
async def test_a_campaign_ends_every_callee_as_the_gateway_says_retries_and_skips_the_do_not_call_list(
        tmp_path: Path, provider: str) -> None:
    async with running(tmp_path) as services:
        store = services.store
        callees = numbers(200 if provider == "cognigy" else 40)  # a few hundred on one, the others alike
        banned = [n for n in callees if n.endswith("01")][:3]
        await store.add_do_not_call(banned, reason="asked", source="test")
        plan = Plan(**ALL_DAY, per_minute=600, max_live=3,
                    retries={**DEFAULT_RETRIES, "busy": (1, 0), "no_answer": (1, 0)})
        campaign = await create(store, "winter", f"demo-{provider}", callees, plan)
        late = callees[-1]  # put on the list after the campaign was created: checked before each attempt
        await store.add_do_not_call([late], reason="asked later", source="test")
        async with asyncio.timeout(100):
            assert await runner(services, campaign).run() == "done"
        results = {r["number"]: r for r in store.read(progress.results, campaign.id)}
        for number in callees:
            got = results[number]
            if number in (*banned, late):
                assert (got["state"], got["outcome"], got["tries"], got["last_attempt"]) == (
                    "skipped", "do_not_call", 0, None), number
            else:
                assert (got["state"], got["outcome"], got["tries"]) == ("done", *TABLE[number[-2:]]), number
        sim = await services.embedded.for_provider(provider)
        to = dialled(sim)
        assert not {n for n in to if any(n.endswith(b.lstrip("+")) for b in (*banned, late))}
        assert len(to) == sum(results[n]["tries"] for n in callees)  # no attempt twice, none lost
        assert most_at_once(sim) <= plan.max_live
        starts = creates(sim)
        assert len(starts) == len(to)
        assert most_in_window(starts, 10 * plan.gap_s) <= 10 + 1  # the pace, as the gateway saw it
        calls = store.page(limit=1000)
        assert len({(c.attempt_id) for c in calls}) == len(to)


async def test_mobtextings_own_retries_count_as_tries_and_are_not_doubled(tmp_path: Path) -> None:
    # MOBtexting's results carry times to the second: at 500 times real speed two attempts 5 minutes apart
    # would send the very same body, which history rightly takes for one webhook sent twice
    async with running(tmp_path, speed=100) as services:
        store = services.store
        busy, busy_then_answered = "+919876543202", "+919876543207"
        plan = Plan(**ALL_DAY, per_minute=600, max_live=2, sets={"interval": 5},  # the gateway calls twice more
                    retries={**DEFAULT_RETRIES, "busy": (2, 0)})
        campaign = await create(store, "mob", "demo-mobtexting", [busy, busy_then_answered], plan,
                                zones={busy: "UTC", busy_then_answered: "UTC"})
        work = CampaignRunner(store, services.dialer, services.settings, campaign, budgets=services.reconciler.budgets,
                              speed=100, tick_s=0.02)
        async with asyncio.timeout(60):
            assert await work.run() == "done"
        results = {r["number"]: r for r in store.read(progress.results, campaign.id)}
        # three tries by the gateway itself: as many as the campaign allows for busy, so it adds none
        assert (results[busy]["outcome"], results[busy]["tries"]) == ("busy", 3)
        assert (results[busy_then_answered]["outcome"], results[busy_then_answered]["tries"]) == ("answered", 2)
        sends = [s for s in (await services.embedded.for_provider("mobtexting")).requests
                 if s.path.endswith("outgoing/send")]
        assert len(sends) == 2  # one request per callee: the retries were the gateway's


async def test_calling_hours_are_kept_in_each_callees_zones_on_a_frozen_clock(tmp_path: Path) -> None:
    # Friday 14:00 UTC: 09:00 in New York, 19:30 in Kolkata, 23:00 in Tokyo, Saturday 01:00 in Sydney
    clock = FrozenClock(datetime(2026, 12, 4, 14, 0, tzinfo=UTC))
    new_york, kolkata = "+12125551001", "+919876543201"
    tokyo, australia, nowhere = "+81312345601", "+61412345601", "+80012345601"
    tokyo_listed_as_ny = "+81312345701"  # the list's time zone column wins over the number's
    assert len(zones_for(australia)) > 1  # a mobile number in every Australian zone
    async with running(tmp_path) as services:
        store = services.store
        plan = Plan(window="09:00-20:00", days="mon-fri", per_minute=600, max_live=5)
        campaign = await create(store, "hours", "demo-cognigy",
                                [new_york, kolkata, tokyo, australia, nowhere, tokyo_listed_as_ny], plan,
                                zones={tokyo_listed_as_ny: "America/New_York"})
        work = runner(services, campaign, clock=clock)
        async with asyncio.timeout(30):
            while store.read(progress.counts, campaign.id).get("done", 0) < 3:
                await work.settle_ended()
                await work.dial_some(0)
                await asyncio.sleep(0.05)
        sim = await services.embedded.for_provider("cognigy")
        assert sorted(n.lstrip("+") for n in dialled(sim)) == sorted(
            n.lstrip("+") for n in (new_york, kolkata, tokyo_listed_as_ny))
        results = {r["number"]: r for r in store.read(progress.results, campaign.id)}
        assert results[nowhere]["state"] == "skipped" and "no time zone" in results[nowhere]["note"]
        hours = plan.hours()
        for number in (tokyo, australia):  # waiting for their window, which opens on Monday in all their zones
            waiting = store.read(progress.due, campaign.id, "9999", 100)
            got = next(c for c in waiting if c.number == number)
            assert got.note is not None and got.note.startswith("calling hours: opens")
            assert got.next_at == hours.next_open(clock.now, zones_for(number))
            assert got.next_at is not None and got.next_at.weekday() in (0, 6)  # Monday there
            for zone in zones_for(number):
                assert hours.open_at(got.next_at, (zone,))
        assert store.read(progress.counts, campaign.id)["window"] == 2
        clock.now = max(c.next_at for c in store.read(progress.due, campaign.id, "9999", 100) if c.next_at)
        async with asyncio.timeout(30):
            assert await work.run() == "done"
        assert len(dialled(sim)) == 5


async def test_a_429_storm_and_a_gateway_with_no_capacity_slow_a_campaign_and_fail_nobody(tmp_path: Path) -> None:
    async with running(tmp_path) as services:
        store = services.store
        sim = await services.embedded.for_provider("cognigy")
        sim.jambonz.rate_limit = RateLimit(2, 1.0)  # two requests a second for the whole server
        callees = [n for n in numbers(30) if n[-2:] == "01"]
        plan = Plan(**ALL_DAY, per_minute=600, max_live=5)
        campaign = await create(store, "storm", "demo-cognigy", callees, plan)
        work = runner(services, campaign)
        async with asyncio.timeout(90):
            task = asyncio.create_task(work.run())
            while work.stats.slowed < 2:
                await asyncio.sleep(0.05)
            sim.jambonz.rate_limit = None
            sim.jambonz.capacity = False  # 480 to every create
            slowed = work.stats.slowed
            while work.stats.slowed == slowed:
                await asyncio.sleep(0.05)
            sim.jambonz.capacity = True
            assert await task == "done"
        assert any(s.path.endswith("/Calls") for s in sim.requests)
        results = store.read(progress.results, campaign.id)
        assert {(r["state"], r["outcome"], r["tries"]) for r in results} == {("done", "answered", 1)}
        assert sorted(n.lstrip("+") for n in dialled(sim)) == sorted(n.lstrip("+") for n in callees)


async def test_calls_others_have_live_on_the_account_count_against_the_live_limit(tmp_path: Path) -> None:
    from tests.integration.demo import request

    async with running(tmp_path) as services:
        store = services.store
        others = [(await services.dialer.place("demo-cognigy", request("demo-cognigy", number))).call
                  for number in ("+12125559006", "+12125559106")]  # answered, staying: another's, on the account
        sim = await services.embedded.for_provider("cognigy")
        async with asyncio.timeout(10):
            while sum(1 for c in sim.engine.calls.values() if c.status == "in-progress") < 2:
                await asyncio.sleep(0.02)
        # the campaign's calls last 100 s (0.2 s here), so at its pace several would overlap
        campaign = await create(store, "polite", "demo-cognigy", [f"+1212555{n}06" for n in range(10, 20)],
                                Plan(**ALL_DAY, per_minute=600, max_live=3, sets={"timeLimit": 100}))
        work = runner(services, campaign)
        task = asyncio.create_task(work.run())
        await asyncio.sleep(1.0)
        assert len(creates(sim)) >= 4  # it dials meanwhile, one at a time
        assert most_at_once(sim) == 3  # never more than the limit at the gateway, the others' two included
        for call in others:
            assert call is not None
            await services.dialer.hangup(store.call(call.attempt_id) or call)
        async with asyncio.timeout(30):
            assert await task == "done"
        assert most_at_once(sim) == 3
        results = store.read(progress.results, campaign.id)
        assert {(r["outcome"], r["tries"]) for r in results} == {("answered", 1)}


async def test_pause_resume_and_stop_take_effect_between_calls(tmp_path: Path) -> None:
    async with running(tmp_path) as services:
        store = services.store
        plan = Plan(**ALL_DAY, per_minute=120, max_live=2)
        campaign = await create(store, "brake", "demo-cognigy", [n for n in numbers(60) if n[-2:] == "01"], plan)
        work = runner(services, campaign)
        task = asyncio.create_task(work.run())
        async with asyncio.timeout(30):
            while work.stats.placed < 2:
                await asyncio.sleep(0.02)
            assert await store.write(ledger.set_state, campaign.id, "paused") == "paused"
            await asyncio.sleep(0.2)
            placed = work.stats.placed
            await asyncio.sleep(1.5)  # three calls' worth of pace
            assert work.stats.placed == placed
            await store.write(ledger.set_state, campaign.id, "active")
            while work.stats.placed < placed + 2:
                await asyncio.sleep(0.02)
            assert await store.write(ledger.set_state, campaign.id, "stopped") == "stopped"
            assert await task == "stopped"
        counts = store.read(progress.counts, campaign.id)
        assert counts.get("waiting", 0) == 0 and counts.get("calling", 0) == 0
        assert counts["outcome:stopped"] == 12 - counts["outcome:answered"]
        assert await store.write(ledger.set_state, campaign.id, "active") == "stopped"  # stopped for good


async def test_a_turn_that_fails_is_said_and_tried_again_never_a_silent_stop(tmp_path: Path) -> None:
    async with running(tmp_path) as services:
        store = services.store
        campaign = await create(store, "nosim", "demo-jambonz", numbers(3), Plan(**ALL_DAY, per_minute=600))
        # a dialer in a process that runs no simulator: each turn's request to the demo gateway fails
        from console.dialer import Dialer
        from console.gateways import GatewayPool

        warned: list[str] = []
        work = CampaignRunner(store, Dialer(store, GatewayPool(services.settings)), services.settings, campaign,
                              budgets=services.reconciler.budgets, speed=SPEED, tick_s=0.02, warn=warned.append)
        work.error_pause_s = 0.05
        task = asyncio.create_task(work.run())
        async with asyncio.timeout(10):
            while work.stats.errors < 3:
                await asyncio.sleep(0.02)
        assert not task.done()  # still there, trying
        assert warned[0].startswith("campaign nosim: ") and "does not run" in warned[0]
        assert "trying again" in warned[0]
        await store.write(ledger.set_state, campaign.id, "stopped")
        async with asyncio.timeout(10):
            assert await task == "stopped"


async def test_a_campaign_whose_key_is_missing_here_stops_saying_why_instead_of_retrying(tmp_path: Path) -> None:
    """No retry can bring a variable into this process's environment: the run ends, and says why."""
    keyless = {"provider": "jambonz", "base_url": "http://127.0.0.1:9", "account_sid": DEMO_ACCOUNT_SID,
               "api_key_env": "VGCONSOLE_TEST_NOT_SET",
               "defaults": {"from": "+12125550100", "application": DEMO_APPLICATION_SID}}
    async with running(tmp_path, profiles={"keyless": keyless}) as services:
        campaign = await create(services.store, "nokey", "keyless", numbers(3), Plan(**ALL_DAY, per_minute=600))
        warned: list[str] = []
        work = runner(services, campaign, warn=warned.append)
        work.error_pause_s = 0.05
        with pytest.raises(GatewayNotConfigured, match="VGCONSOLE_TEST_NOT_SET is not set in the environment"):
            async with asyncio.timeout(10):
                await work.run()
        assert work.stats.errors == 0 and not warned
        assert services.store.read(progress.counts, campaign.id).get("waiting") == 3  # nobody called, nobody lost


def vgconsole(*args: str, env: dict[str, str], **kw: Any) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "console", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)


def test_a_headless_run_killed_mid_campaign_goes_on_where_it_was_with_no_duplicate_and_no_skip(
        tmp_path: Path) -> None:
    """kill -9 of `campaign run` while calls are live at the gateway (a simulator in its own process, as a
    real gateway outlives the console), then a second run: every callee settled, each attempt made once."""
    sim_port, receiver_port = _free_port(), _free_port()
    config = tmp_path / "vgconsole.toml"
    config.write_text(textwrap.dedent(f"""\
        default_profile = "gw"
        [storage]
        path = "{tmp_path / 'h.db'}"
        [receiver]
        port = {receiver_port}
        [campaigns]
        gateway_requests_per_minute = 6000
        [reconcile]
        requests_per_minute = 600
        grace_s = 1
        ring_timeout_s = 5
        answered_check_s = 10
        [profiles.gw]
        provider = "jambonz"
        base_url = "http://127.0.0.1:{sim_port}"
        account_sid = "{DEMO_ACCOUNT_SID}"
        api_key = "{ACCOUNT_API_KEY}"
        webhook_secrets = ["{WEBHOOK_SECRET}"]
        [profiles.gw.defaults]
        from = "+12125550100"
        application = "{DEMO_APPLICATION_SID}"
        """))
    env = {**os.environ, "VGCONSOLE_CONFIG": str(config)}
    # the seeded application reports status to this receiver (while it is down, reconciliation asks instead)
    sim = vgconsole("simulator", "--port", str(sim_port), "--speed", "4", "--status-hook",
                    f"http://127.0.0.1:{receiver_port}/hooks/gw/status", env=env)
    try:
        callees = tmp_path / "callees.csv"
        listed = [f"+1212555{n:02d}{d}" for n in range(10, 22) for d in ("01", "02")]
        callees.write_text("number\n" + "\n".join(listed) + "\n")
        _wait_port(sim_port)
        made = subprocess.run([sys.executable, "-m", "console", "campaign", "create", "crash", str(callees),
                               "--hours", "00:00-24:00", "--days", "all", "--per-minute", "300", "--max-live", "4",
                               "--retry", "busy=1@1s"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert made.returncode == 0, made.stdout + made.stderr
        first = subprocess.Popen([sys.executable, "-m", "console", "campaign", "run", "crash"], cwd=ROOT, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        at_kill = _when_calls_are_live(tmp_path / "h.db", first)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        assert at_kill >= 2  # calls the gateway was carrying, their webhooks now lost with the receiver
        try:
            second = subprocess.run([sys.executable, "-m", "console", "campaign", "run", "crash"], cwd=ROOT, env=env,
                                    capture_output=True, text=True, timeout=80)
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"the second run never finished (callees dialled again and again?): {exc.stdout!r}")
        assert second.returncode == 0, second.stdout + second.stderr
        assert "campaign crash done" in second.stdout, second.stdout
        exported = subprocess.run([sys.executable, "-m", "console", "campaign", "export", "crash", "--format", "json"],
                                  cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        results = {r["number"]: r for r in json.loads(exported.stdout)}
        for number in listed:
            expected = ("answered", 1) if number.endswith("01") else ("busy", 2)
            got = results[number]
            # an attempt cut off by the kill is settled from the gateway's records, never dialled again blind
            assert got["state"] == "done" and ((got["outcome"], got["tries"]) == expected
                                               or got["outcome"] == "unknown"), got
        history = subprocess.run([sys.executable, "-m", "console", "history", "--json", "--limit", "1000"], cwd=ROOT,
                                 env=env, capture_output=True, text=True, timeout=60)
        calls = json.loads(history.stdout)
        tos = [c["to_number"] for c in calls]
        assert len(tos) == sum(r["tries"] for r in results.values())  # each attempt once
        assert all(tos.count(n) == results[n]["tries"] for n in listed)
    finally:
        sim.send_signal(signal.SIGTERM)
        try:
            sim.wait(10)
        except subprocess.TimeoutExpired:
            sim.kill()


def _when_calls_are_live(db_path: Path, run: subprocess.Popen[bytes], seconds: float = 60) -> int:
    """Wait until some calls are placed and at least two are going on at the gateway; how many are."""
    import sqlite3

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and run.poll() is None:
        try:
            with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
                placed, live = db.execute(
                    "SELECT count(*), sum(call_sid IS NOT NULL AND status IN ('dialing', 'ringing', 'answered')) "
                    "FROM calls").fetchone()
        except sqlite3.OperationalError:  # not created yet
            placed, live = 0, 0
        if placed >= 6 and (live or 0) >= 2:
            return int(live)
        time.sleep(0.01)
    raise AssertionError("the campaign never had two calls going on")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, seconds: float = 20) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listened on {port} within {seconds} s")

