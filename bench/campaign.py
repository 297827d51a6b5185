"""A large campaign against the embedded simulator (fast calls), with a real history in a temp folder:
how close the achieved pace comes to the configured one, and what must never happen.

The simulator's server-wide rate limit (jambonz's 600 requests in 5 minutes) is off: what is measured is
the campaign's own pace. The callees: numbers whose last digits pick the simulator's outcome (mostly
answered, a tenth busy and tried once more), a twentieth on the do-not-call list, and a tenth with a
time-zone column naming a zone whose day is not today (the campaign's days are today's only): those must
wait, never be dialled.

Achieved pace: the simulator's create requests over the time from the first to the last, per minute.
Checked from the simulator's own record: attempts per callee against the campaign's tries (duplicates),
calls to numbers whose hours were closed at the moment of the request (outside_window), calls to the list.

Last line: campaign callees=N configured_per_min=X achieved_per_min=Y ratio=Y/X duplicates=0 outside_window=0
dnc_dialled=0
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from console.campaigns import ledger, progress
from console.campaigns.hours import DAYS, zones_for
from console.campaigns.policy import DEFAULT_RETRIES, Plan
from console.campaigns.runner import CampaignRunner
from console.config import load_settings
from console.services import Services
from console.store import Store

SPEED = 500.0
CREATE_PATHS = ("/Calls",)


def closed_zone(now: datetime) -> str:
    """A zone whose date is not UTC's today at this moment (+14 or -11 hours away: one of them always is)."""
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        if now.astimezone(ZoneInfo(zone)).weekday() != now.weekday():
            return zone
    raise AssertionError("no zone with another date")


async def main(callees: int, per_minute: float, max_live: int) -> None:
    start = datetime.now(UTC)
    far = closed_zone(start)
    today = DAYS[start.weekday()]
    areas = (212, 213, 312, 415, 617, 646, 702, 718, 202, 305, 404, 503, 512, 602, 704, 713, 917, 206, 303,
             480, 614, 919, 925, 347, 929, 332, 210, 214, 215, 216)
    numbers = [f"+1{areas[i // 90 % len(areas)]}555{i % 90 + 10:02d}{'02' if i % 10 == 3 else '01'}"
               for i in range(callees)]
    numbers = list(dict.fromkeys(numbers))
    banned = set(numbers[::20])
    # every callee's zone named in the list: UTC, open all of today; or one whose date is not today
    away = {n: far for n in numbers[5::10] if n not in banned}
    zone_of = {n: away.get(n, "UTC") for n in numbers}
    plan = Plan(window="00:00-24:00", days=today, per_minute=per_minute, max_live=max_live,
                retries={**DEFAULT_RETRIES, "busy": (1, 0)})
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(receiver={"port": 0}, reconcile={"requests_per_minute": 600},
                                 campaigns={"gateway_requests_per_minute": 6000})
        store = Store(Path(folder) / "h.db")
        services = Services.build(settings, store, key=b"bench", speed=SPEED)
        await services.start()
        try:
            await store.add_do_not_call(sorted(banned), reason="bench", source="bench")
            rows = [(line, n, zone_of[n], ledger.fields_json({})) for line, n in enumerate(numbers, start=2)]
            await store.write(ledger.create, {"name": "bench", "profile": "demo-cognigy", "state": "active",
                                              "plan": json.dumps(plan.to_json()), "source": "bench"}, rows)
            campaign = store.read(progress.find, "bench")
            assert campaign is not None
            # the simulator limits the API as jambonz does (600 requests in 5 minutes for the whole server): off
            # here, where the pace measured is the campaign's own (tests cover a gateway that limits it)
            (await services.embedded.for_provider("cognigy")).jambonz.rate_limit = None
            runner = CampaignRunner(store, services.dialer, settings, campaign, budgets=services.reconciler.budgets,
                                    speed=SPEED, tick_s=0.05)
            began = time.monotonic()
            task = asyncio.create_task(runner.run())
            # the run ends when only those waiting for their window are left: bounded, it stops by itself
            while not task.done():
                counts = store.read(progress.counts, campaign.id)
                if counts.get("calling", 0) == 0 and counts.get("waiting", 0) == counts.get("window", 0) \
                        and counts.get("done", 0) + counts.get("skipped", 0) + counts.get("window", 0) == len(numbers):
                    break
                if time.monotonic() - began > 3600:
                    raise SystemExit("the campaign did not finish within an hour")
                await asyncio.sleep(0.5)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            sim = await services.embedded.for_provider("cognigy")
            calls = list({c.call_sid: c for c in [*sim.engine.finished, *sim.engine.calls.values()]}.values())
            starts = sorted(s.started for s in sim.requests if s.method == "POST" and s.path.endswith(CREATE_PATHS))
            results = {r["number"]: r for r in store.read(progress.results, campaign.id)}
        finally:
            await services.stop()
            store.close()
    hours = plan.hours()
    per_number = Counter("+" + c.to.lstrip("+") for c in calls)
    duplicates = sum(max(0, n - results[number]["tries"]) for number, n in per_number.items())
    outside = sum(1 for c in calls if not hours.open_at(datetime.fromtimestamp(c.created_at, UTC),
                                                        zones_for(c.to, zone_of.get("+" + c.to.lstrip("+")))))
    dnc = sum(per_number[n] for n in banned)
    minutes = (starts[-1] - starts[0]) / 60 if len(starts) > 1 else float("nan")
    achieved = (len(starts) - 1) / minutes
    print(f"{len(calls)} calls for {len(numbers)} callees ({len(banned)} on the list, {len(away)} waiting in {far}), "
          f"{len(starts)} create requests in {minutes * 60:.1f} s")
    print(f"campaign callees={len(numbers)} configured_per_min={per_minute:g} achieved_per_min={achieved:.1f} "
          f"ratio={achieved / per_minute:.3f} duplicates={duplicates} outside_window={outside} dnc_dialled={dnc}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callees", type=int, default=2000)
    parser.add_argument("--per-minute", type=float, default=600)
    parser.add_argument("--max-live", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.callees, args.per_minute, args.max_live))
