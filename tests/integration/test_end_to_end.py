"""Simulator -> receiver -> store, for every demo profile, with the services the console runs on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from console.config import load_settings
from console.receiver_state import ReceiverState
from console.services import Services
from console.status import AmdResult, CallStatus, EventSource
from console.store import Store
from console.ui.screens.call_detail import timeline_words
from tests.integration.demo import request


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[receiver]\nport = 0\n")
    settings = load_settings(cfg)
    store = Store(tmp_path / "h.db")
    s = Services.build(settings, store, key=b"e2e", speed=500)
    assert await s.start() is ReceiverState.LISTENING
    yield s
    await s.stop()
    store.close()


async def settled(store: Store, attempt: str, timeout: float = 20) -> Any:
    async with asyncio.timeout(timeout):
        while True:
            call = store.call(attempt)
            if call.status.final and (call.status is not CallStatus.COMPLETED or call.duration is not None):
                return call
            await asyncio.sleep(0.02)


NUMBERS = {"demo-cognigy": "+12125550101", "demo-jambonz": "+12125550101", "demo-ibm": "+12125550101",
           "demo-mobtexting": "+919876543201"}


@pytest.mark.parametrize("profile", list(NUMBERS))
async def test_a_call_on_every_demo_profile_reaches_history(services: Services, profile: str) -> None:
    outcome = await services.dialer.place(profile, request(profile, NUMBERS[profile]))
    assert outcome.placed, outcome.error
    call = await settled(services.store, outcome.call.attempt_id)
    assert call.status is CallStatus.COMPLETED and call.duration == 4 and call.answered_at is not None
    events = services.store.events(call.id)
    assert events and all(e.verified for e in events)
    if profile != "demo-mobtexting":  # MOBtexting reports once, at the end
        heard = [e.status for e in events if e.status and e.source is EventSource.WEBHOOK]
        assert heard[:2] in ([CallStatus.DIALING, CallStatus.RINGING], [CallStatus.QUEUED, CallStatus.RINGING])


async def test_busy_amd_and_hang_up_through_the_whole_path(services: Services) -> None:
    busy = await services.dialer.place("demo-jambonz", request("demo-jambonz", "+12125550102"))
    machine = await services.dialer.place("demo-cognigy", request("demo-cognigy", "+12125550105", amd={}))
    stay = await services.dialer.place("demo-cognigy", request("demo-cognigy", "+12125550106"))
    call = await settled(services.store, busy.call.attempt_id)
    assert (call.status, call.sip_status, call.sip_reason) == (CallStatus.BUSY, 486, "Busy Here")
    call = await settled(services.store, machine.call.attempt_id)
    assert (call.amd_result, call.amd_reason) == (AmdResult.MACHINE, "long greeting")
    async with asyncio.timeout(10):
        while services.store.call(stay.call.attempt_id).status is not CallStatus.ANSWERED:
            await asyncio.sleep(0.02)
    await services.dialer.hangup(services.store.call(stay.call.attempt_id))
    call = await settled(services.store, stay.call.attempt_id)
    assert call.status is CallStatus.COMPLETED
    last = services.store.events(call.id)[-1]
    assert last.details["call_termination_by"] == "jambonz"


async def test_mobtexting_busy_then_answered_on_its_own_retry_is_answered_with_both_attempts(
    services: Services,
) -> None:
    from console.ui.screens.call_detail import timeline_words

    outcome = await services.dialer.place("demo-mobtexting", request("demo-mobtexting", "+919876543207",
                                                                      mobtexting={"flow_id": "351", "interval": 5}))
    assert outcome.call.request["retries"] == 2  # the profile's count: MOBtexting does not document one
    async with asyncio.timeout(10):
        while (call := services.store.call(outcome.call.attempt_id)).status is not CallStatus.RETRYING:
            await asyncio.sleep(0.01)
    assert call.attempts == 1 and call.provider_status == "BUSY"
    call = await settled(services.store, outcome.call.attempt_id)
    assert (call.status, call.attempts, call.duration) == (CallStatus.COMPLETED, 2, 4)
    events = services.store.events(call.id)
    assert [w for w in timeline_words(events, "mobtexting") if "attempt" in w] == ["BUSY (attempt 1)",
                                                                                  "ANSWER (attempt 2)"]


async def test_one_redaction_rule_for_every_column_and_export(tmp_path: Path) -> None:
    from console.export import export

    key = "configured-api-key-0123456789"
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[receiver]\nport = 0\n[profiles.demo]\nprovider = "cognigy"\nbase_url = "embedded"\n'
                   f'account_sid = "9b1f6c2e-3d4a-4e5b-8c6d-7e8f9a0b1c2d"\napi_key = "{key}"\n')
    settings = load_settings(cfg)
    secrets = ["hunter2-tag-secret", "tok-abc123456", "hdr-secret-9876", key]
    with Store(tmp_path / "h.db", secrets=settings.secrets()) as store:
        services = Services.build(settings, store, key=b"k", speed=500)
        await services.start()
        try:
            outcome = await services.dialer.place("demo", request(
                "demo-cognigy", "+12125550101", tags={"password": secrets[0], "api_token": secrets[1], "note": key},
                headers={"X-Auth-Token": secrets[2]}))
            call = await settled(store, outcome.call.attempt_id)
        finally:
            await services.stop()
        assert call.tags["password"] != secrets[0]  # masked in the call's own tags too
        events = store.events(call.id)
        assert any(e.customer_data for e in events)  # the gateway echoed the tags back
        import io

        out = {fmt: io.StringIO() for fmt in ("csv", "json")}
        for fmt, sink in out.items():
            export(store.iter_calls(), fmt, sink, store.events if fmt == "json" else None, store.redact)
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("h.db*"))
    for secret in secrets:
        assert secret.encode() not in stored, secret
        assert all(secret not in sink.getvalue() for sink in out.values()), secret


async def test_a_cancel_is_in_the_calls_timeline_before_the_gateways_no_answer(tmp_path: Path) -> None:
    """jambonz reports a cancelled call as no-answer 487, as it does a ring timeout: the operator's cancel,
    written before the request leaves, says which it was."""
    settings = load_settings(receiver={"port": 0})
    with Store(tmp_path / "h.db") as store:
        services = Services.build(settings, store, key=b"cancel", speed=20)  # 3 s of ringing
        await services.start()
        heard: list[str] = []
        services.on_event = lambda event, _: heard.append(event.details.get("why", ""))
        try:
            placed = await services.dialer.place("demo-jambonz", request("demo-jambonz", "+12125550103"))
            async with asyncio.timeout(10):
                while store.call(placed.call.attempt_id).status is not CallStatus.RINGING:
                    await asyncio.sleep(0.02)
            await services.dialer.hangup(store.call(placed.call.attempt_id))
            call = await settled(store, placed.call.attempt_id)
            assert (call.status, call.sip_status) == (CallStatus.NO_ANSWER, 487)  # the gateway's own word
            events = store.events(call.id)
            asked = [e for e in events if e.source is EventSource.OPERATOR]
            assert [e.details["why"] for e in asked] == ["cancel asked by the operator"] and asked[0].status is None
            assert events.index(asked[0]) < events.index(next(e for e in events if e.status is CallStatus.NO_ANSWER))
            assert "cancel asked by the operator" in heard  # shown at once, not at the next look at history
            words = timeline_words(events, "jambonz")
            assert words[events.index(asked[0])] == "cancel asked by the operator"  # a word, not "unknown: ..."
        finally:
            await services.stop()
