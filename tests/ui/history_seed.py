"""A small, fixed history for the screenshots: same ids, same times, same bodies on every run."""

from __future__ import annotations

from typing import Any

from console.providers import Provider
from console.status import EventKind
from console.store import Store
from tests.conftest import FrozenClock
from tests.webhook_events import webhook_event

PROFILE = "demo-cognigy"
FROM = "+12125550100"
TRYING = (EventKind.STATUS, {"call_status": "trying", "sip_status": 100, "sip_reason": "Trying"}, 0.3)
RINGING = (EventKind.STATUS, {"call_status": "ringing", "sip_status": 180, "sip_reason": "Ringing"}, 0.4)
ANSWERED = (EventKind.STATUS, {"call_status": "in-progress", "sip_status": 200, "sip_reason": "OK"}, 3.0)


def attempt_id(n: int) -> str:
    return f"{n:016x}"


def call_sid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


async def seed_history(store: Store, clock: FrozenClock) -> dict[str, str]:
    """Six calls, one per kind of row; returns the attempt id of each by outcome."""
    ids: dict[str, str] = {}

    async def call(n: int, name: str, to: str, events: list[tuple[EventKind, dict[str, Any], float]],
                   tags: dict[str, Any] | None = None, refused: str | None = None) -> None:
        attempt = attempt_id(n)
        ids[name] = attempt
        request = {"method": "POST", "path": "/v1/Accounts/9b1f6c2e-3d4a-4e5b-8c6d-7e8f9a0b1c2d/Calls",
                   "body": {"from": FROM, "to": {"type": "phone", "number": to}, **({"tag": tags} if tags else {}),
                            "application_sid": "0e06a1b0-d49f-4fb8-b973-b5a3c6758de1"}}
        await store.begin_attempt(profile=PROFILE, provider="cognigy", from_number=FROM, to_number=to,
                                  target_type="phone", tags=tags, request=request, attempt_id=attempt)
        if refused:
            await store.attempt_failed(attempt, refused, sip_status=None)
        else:
            await store.attempt_placed(attempt, call_sid=call_sid(n))
            for kind, fields, after in events:
                clock.advance(after)
                payload = {"call_sid": call_sid(n), "direction": "outbound", "from": FROM, "to": to, **fields}
                await store.ingest(webhook_event(Provider.COGNIGY, kind, payload, profile=PROFILE, token=attempt,
                                                 received_at=clock()))
        clock.advance(20)

    done = (EventKind.STATUS, {"call_status": "completed", "sip_status": 200, "sip_reason": "OK", "duration": 4}, 4.0)
    await call(1, "completed", "+12125550101", [TRYING, RINGING, ANSWERED, done], tags={"campaign": "spring", "n": 2})
    await call(2, "busy", "+12125550102", [TRYING, RINGING, (EventKind.STATUS, {
        "call_status": "busy", "sip_status": 486, "sip_reason": "Busy Here"}, 1.0)])
    await call(3, "failed", "+12125550104", [TRYING, (EventKind.STATUS, {
        "call_status": "failed", "sip_status": 404, "sip_reason": "Not Found"}, 0.2)])
    await call(4, "machine", "+12125550105", [TRYING, RINGING, ANSWERED, (EventKind.AMD, {
        "type": "amd_machine_detected", "reason": "long greeting", "greeting": "Hi, you have reached"}, 2.5), done])
    await call(5, "refused", "+12125550101", [], refused="the gateway refused the call: application_sid not found")
    await call(6, "ringing", "+12125550103", [TRYING, RINGING])
    return ids
