"""200 calls at once, fast: every webhook arrives exactly once, in order, for every call."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import httpx

from console.config import DEMO_ACCOUNT_SID, DEMO_APPLICATION_SID
from tests.integration.conftest import MakeSim, client
from tests.integration.sim_helpers import HookRecorder

EXPECTED = {
    "01": ["trying", "ringing", "in-progress", "completed"],
    "02": ["trying", "ringing", "busy"],
    "03": ["trying", "ringing", "no-answer"],
    "04": ["trying", "failed"],
    "05": ["trying", "ringing", "in-progress", "completed"],
    "06": ["trying", "ringing", "in-progress", "completed"],
}
AMD = {"01": ["amd_human_detected", "amd_stopped"], "06": ["amd_human_detected", "amd_stopped"],
       "05": ["amd_machine_detected", "amd_tone_detected", "amd_machine_stopped_speaking", "amd_stopped"]}


async def test_200_concurrent_calls_deliver_every_webhook_once_in_order(
    make_sim: MakeSim, recorder: HookRecorder
) -> None:
    sim = await make_sim(speed=2000)
    digits = [f"{1 + i % 6:02d}" for i in range(200)]
    async with client(sim, limits=httpx.Limits(max_connections=None)) as c:
        async def place(i: int, ending: str) -> tuple[str, str]:
            body = {"from": "+12125550100", "to": {"type": "phone", "number": f"+1212555{i % 100:02d}{ending}"},
                    "application_sid": DEMO_APPLICATION_SID, "timeout": 10, "timeLimit": 20,
                    "amd": {"actionHook": recorder.url("/amd")}, "tag": {"n": i}}
            r = await c.post(f"/v1/Accounts/{DEMO_ACCOUNT_SID}/Calls", json=body)
            assert r.status_code == 201, r.text
            return r.json()["sid"], ending

        placed = await asyncio.gather(*(place(i, d) for i, d in enumerate(digits)))
    await sim.engine.idle(timeout=60)
    status_seen: dict[str, list[str]] = defaultdict(list)
    amd_seen: dict[str, list[str]] = defaultdict(list)
    for r in recorder.requests:
        body = r.json
        (amd_seen if r.path == "/amd" else status_seen)[body["call_sid"]].append(
            body.get("type") or body["call_status"]
        )
    assert len(placed) == 200 and len({sid for sid, _ in placed}) == 200
    for sid, ending in placed:
        assert status_seen[sid] == EXPECTED[ending], (ending, status_seen[sid])
        assert amd_seen.get(sid, []) == AMD.get(ending, []), (ending, amd_seen.get(sid))
    assert sim.notifier.failed == 0 and sim.notifier.sent == len(recorder.requests)
