"""The simulated MOBtexting voice API: both request generations, webhooks, retries, callstatus."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from console.simulator.seed import MOBTEXTING_TOKEN
from tests.integration.conftest import MakeSim
from tests.integration.sim_helpers import HookRecorder

SEND = "/api/v2/outgoing/send"


def bearer(token: str = MOBTEXTING_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


async def sim_with_webhook(
    make_sim: MakeSim, recorder: HookRecorder, speed: float = 1000.0, secret: str | None = "hook-s3cret"
):
    return await make_sim(speed=speed, mobtexting_webhooks={"1": {"uri": recorder.url("/obd"), "secret": secret}})


async def test_the_seed_form_body_and_its_response(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await sim_with_webhook(make_sim, recorder)
    async with httpx.AsyncClient(base_url=sim.base_url, headers=bearer()) as c:
        r = await c.post(
            SEND,
            data={
                "bridge": "918068280000",
                "to": "919876543201",
                "ivr_id": "351",
                "name": "obd_api_call",
                "webhook_id": "1",
            },
        )
    body = r.json()
    assert r.status_code == 200 and (body["status"], body["message"]) == (200, "1 numbers accepted for delivery.")
    row = body["data"][0]
    assert row["id"].endswith(":1") and row["mobile"] == "919876543201" and row["charges"] == "0.5000"
    await sim.engine.idle()
    hook = recorder.on("/obd")[0]
    assert hook.headers["Authorization"] == "Bearer hook-s3cret"
    payload = hook.json
    assert {k: payload[k] for k in ("bridge", "from", "to", "source", "mid", "flow_id", "status", "duration")} == {
        "bridge": 918068280000, "from": 918068280000, "to": 919876543201, "source": "OBD", "mid": row["id"],
        "flow_id": 351, "status": "ANSWER", "duration": "4"}
    assert len(payload["start_at"]) == 19 and payload["end_at"] >= payload["start_at"]


async def test_the_current_json_body_and_its_response(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await sim_with_webhook(make_sim, recorder, secret=None)
    async with httpx.AsyncClient(base_url=sim.base_url, headers=bearer()) as c:
        r = await c.post(SEND, json={"bridge": "918068280000", "to": "919876543201,919876543204", "flow_id": 351,
                                     "webhook_id": 1, "variables": {"otp": "1234"}})
    body = r.json()
    assert (body["status"], body["message"]) == ("OK", "Calls queued successfully")
    assert [(d["mobile"], d["status"], d["channel"], d["flow_id"]) for d in body["data"]] == [
        ("919876543201", "queued", "outgoing", "351"), ("919876543204", "queued", "outgoing", "351")]
    await sim.engine.idle()
    results = {h.json["to"]: h.json["status"] for h in recorder.on("/obd")}
    assert results == {919876543201: "ANSWER", 919876543204: "CONGESTION"}
    assert all("Authorization" not in h.headers for h in recorder.on("/obd"))


async def test_busy_and_unanswered_numbers_are_retried_after_the_interval(
    make_sim: MakeSim, recorder: HookRecorder
) -> None:
    sim = await sim_with_webhook(make_sim, recorder, speed=20_000)
    async with httpx.AsyncClient(base_url=sim.base_url, headers=bearer()) as c:
        r = await c.post(SEND, json={"bridge": "918068280000", "to": "919876543202", "audio": "welcome-en",
                                     "interval": 5, "webhook_id": "1"})
    call_id = r.json()["data"][0]["id"]
    await sim.engine.idle()
    hooks = recorder.on("/obd")
    assert [h.json["status"] for h in hooks] == ["BUSY", "BUSY", "BUSY"]  # the first try and two retries
    assert {h.json["mid"] for h in hooks} == {call_id} and hooks[0].json["flow_id"] is None


async def test_a_busy_number_answers_on_the_retry(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await sim_with_webhook(make_sim, recorder, speed=20_000)
    async with httpx.AsyncClient(base_url=sim.base_url, headers=bearer()) as c:
        r = await c.post(SEND, json={"bridge": "918068280000", "to": "919876543207", "flow_id": "351", "interval": 5,
                                     "webhook_id": "1"})
        await sim.engine.idle()
        status = (await c.get("/api/v2/outgoing/callstatus", params={"id": r.json()["data"][0]["id"]})).json()
    assert [h.json["status"] for h in recorder.on("/obd")] == ["BUSY", "ANSWER"]
    assert status["data"][0]["status"] == "ANSWER"  # callstatus tells the latest attempt


async def test_callstatus_reports_by_id_and_mobile(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await sim_with_webhook(make_sim, recorder)
    async with httpx.AsyncClient(base_url=sim.base_url, headers=bearer()) as c:
        r = await c.post(SEND, json={"bridge": "918068280000", "to": "919876543203", "flow_id": "352"})
        call_id = r.json()["data"][0]["id"]
        await sim.engine.idle()
        by_id = (await c.get("/api/v2/outgoing/callstatus", params={"id": call_id})).json()
        by_mobile = (await c.get("/api/v2/outgoing/callstatus", params={"mobile": "+91 98765 43203"})).json()
        neither = await c.get("/api/v2/outgoing/callstatus")
    assert by_id["status"] == "OK" and [(d["id"], d["status"]) for d in by_id["data"]] == [(call_id, "NOANSWER")]
    assert by_mobile["data"] == by_id["data"]
    assert neither.status_code == 422


REFUSALS: list[tuple[str, dict[str, Any], int, str]] = [
    ("no bridge", {"to": "919876543201", "flow_id": "351"}, 422, "The bridge field is required."),
    ("no to", {"bridge": "918068280000", "flow_id": "351"}, 422, "The to field is required."),
    (
        "bad to",
        {"bridge": "918068280000", "to": "call me", "flow_id": "351"},
        422,
        "The to must be phone numbers with the country code.",
    ),
    (
        "no flow or audio",
        {"bridge": "918068280000", "to": "919876543201"},
        422,
        "The flow id field is required when audio is not present.",
    ),
    (
        "unknown flow",
        {"bridge": "918068280000", "to": "919876543201", "flow_id": "999"},
        422,
        "The selected flow id is invalid.",
    ),
    (
        "bad audio",
        {"bridge": "918068280000", "to": "919876543201", "audio": "ftp://x"},
        422,
        "The selected audio is invalid.",
    ),
    (
        "bad interval",
        {"bridge": "918068280000", "to": "919876543201", "flow_id": "351", "interval": 10},
        422,
        "The selected interval is invalid.",
    ),
    (
        "unknown webhook",
        {"bridge": "918068280000", "to": "919876543201", "flow_id": "351", "webhook_id": "77"},
        422,
        "The selected webhook id is invalid.",
    ),
]


@pytest.mark.parametrize(("body", "status", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
async def test_refusals(make_sim: MakeSim, body: dict[str, Any], status: int, message: str) -> None:
    sim = await make_sim()
    async with httpx.AsyncClient(base_url=sim.base_url, headers=bearer()) as c:
        r = await c.post(SEND, json=body)
    assert (r.status_code, r.json()) == (status, {"status": "ERROR", "code": status, "message": message})


async def test_tokens_and_versions(make_sim: MakeSim) -> None:
    sim = await make_sim()
    body = {"bridge": "918068280000", "to": "919876543201", "flow_id": "351"}
    async with httpx.AsyncClient(base_url=sim.base_url) as c:
        assert (await c.post(SEND, json=body)).json()["message"] == "Unauthenticated."
        assert (await c.post(SEND, json=body, headers=bearer("wrong"))).status_code == 401
        assert (await c.post(SEND, json=body, params={"access_token": MOBTEXTING_TOKEN})).status_code == 200
        assert (await c.post("/api/v9/outgoing/send", json=body, headers=bearer())).status_code == 404
        r = await c.post(SEND, content=b"{", headers={**bearer(), "Content-Type": "application/json"})
        assert r.status_code == 400


async def test_creating_a_webhook_verifies_it_with_a_challenge(make_sim: MakeSim, recorder: HookRecorder) -> None:
    recorder.answers["/echo"] = (200, lambda r: {"challenge": r.json["challenge"]})
    recorder.answers["/mute"] = (200, {"ok": True})
    sim = await make_sim()
    async with httpx.AsyncClient(base_url=sim.base_url, headers=bearer()) as c:
        good = await c.post(
            "/api/v2/developer/webhooks", json={"name": "console", "uri": recorder.url("/echo"), "secret": "s"}
        )
        bad = await c.post("/api/v2/developer/webhooks", json={"name": "x", "uri": recorder.url("/mute")})
        listed = (await c.get("/api/v2/developer/webhooks")).json()
    assert good.status_code == 201 and good.json()["data"]["uri"] == recorder.url("/echo")
    challenge = recorder.on("/echo")[0]
    assert challenge.query["token"] == challenge.json["validation_key"]
    assert bad.status_code == 422 and "verification failed" in bad.json()["message"]
    assert [w["uri"] for w in listed["data"]] == [recorder.url("/echo")]
