"""What reconciliation costs: a campaign of N calls (outcomes 01 to 05 in turn) through the embedded
jambonz simulator, with a share of the status webhooks lost on the way (seeded, so every run loses the
same ones), the real receiver and a real SQLite history in a temp folder. It waits until every call has a
final status, then counts the requests reconciliation sent to the gateway, and checks every call's final
status against what the simulator did.

The baseline, measured in the same run, is the number of calls: what the cheapest console that trusted no
webhook would spend (one request per call, at its end). Time runs `--speed` times faster than a real
campaign; deadlines scale with it, so the request count is that of the real campaign. The budget is
raised for the run (the count is the point, not the pacing); stderr says how long the default budget
(12 a minute) takes to send that many.

Last line: reconcile calls=N lost_share=s webhooks_lost=n settled_by_poll=n requests=n
           requests_per_call=r wrong=n unknown=n
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from console.calls import DialRequest
from console.config import DEMO_APPLICATION_SID, load_settings
from console.providers.jambonz import STATUS as JAMBONZ_STATUS
from console.services import Services
from console.status import CallStatus, EventSource
from console.store import Store


async def campaign(calls: int, lost: float, speed: float, folder: Path) -> dict[str, float]:
    settings = load_settings(receiver={"port": 0}, simulator={"drop_webhooks": lost, "drop_seed": 13},
                             reconcile={"requests_per_minute": 600})
    store = Store(folder / "history.db")
    services = Services.build(settings, store, key=b"bench", speed=speed)
    services.reconciler.tick_s = 0.1
    await services.start()
    try:
        sim = await services.embedded.for_provider("jambonz")
        sim.jambonz.rate_limit = None  # its window is real time: a campaign squeezed 2000 times would hit it
        started = len(sim.requests)
        placed = []
        for n in range(calls):
            number = f"+12125{n % 10000:04d}0{n % 5 + 1}"
            request = DialRequest.build({"provider": "jambonz", "from": "+12125550100",
                                         "application_sid": DEMO_APPLICATION_SID,
                                         "to": {"type": "phone", "number": number}}, region="US")
            outcome = await services.dialer.place("demo-jambonz", request)
            if outcome.call is None or outcome.error is not None:
                raise SystemExit(f"the campaign could not place call {n}: {outcome.error}")
            placed.append(outcome.call.attempt_id)
            if n % 20 == 19:
                await asyncio.sleep(0.02)  # a paced campaign, not one burst
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            final = [store.call(a) for a in placed]
            if all(c.status.final for c in final):
                break
            await asyncio.sleep(0.2)
        else:
            raise SystemExit("not every call reached a final status within 300 s")
        truth = {c.call_sid: JAMBONZ_STATUS[c.status] for c in sim.engine.finished}
        asked = [s for s in list(sim.requests)[started:] if s.method == "GET"]
        by_poll = sum(1 for c in final if store.events(c.id)[-1].source is EventSource.POLL)
        return {
            "calls": calls, "lost_share": lost, "webhooks_lost": sim.notifier.dropped, "settled_by_poll": by_poll,
            "requests": len(asked), "requests_per_call": round(len(asked) / calls, 4),
            "wrong": sum(1 for c in final if truth.get(c.call_sid) is not c.status),
            "unknown": sum(1 for c in final if c.status is CallStatus.UNKNOWN),
        }
    finally:
        await services.stop()
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--lost", type=float, default=0.05, help="share of the webhooks lost (0 to 1)")
    parser.add_argument("--speed", type=float, default=2000.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        figures = asyncio.run(campaign(args.calls, args.lost, args.speed, Path(folder)))
    minutes = figures["requests"] / 12
    print(f"at the default budget of 12 requests a minute per gateway these take {minutes:.1f} min; a campaign "
          f"of {args.calls} calls an hour costs {figures['requests']:.0f} requests an hour, of 720 allowed",
          file=sys.stderr)
    print("reconcile " + " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
