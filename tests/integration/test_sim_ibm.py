"""The simulated IBM Voice Gateway: startOutboundCall and its Basic-auth status webhooks."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from console.simulator.seed import IBM_AGENT, IBM_AGENT_NO_OUTBOUND
from tests.integration.conftest import MakeSim
from tests.integration.sim_helpers import HookRecorder

PATH = f"/vgw/outboundCalls/{IBM_AGENT}/startOutboundCall"


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def start(sim, body: Any, *, path: str = PATH, auth: dict[str, str] | None = None) -> httpx.Response:
    headers = auth if auth is not None else basic("apikey", sim.info()["ibm_api_key"])
    async with httpx.AsyncClient(base_url=sim.base_url, headers=headers) as c:
        return await c.post(path, json=body)


def call(recorder: HookRecorder, to: str = "tel:+12125550101", **extra: Any) -> dict[str, Any]:
    return {"to": to, "from": f"tel:{IBM_AGENT}", "statusWebhook": recorder.url("/ibm"),
            "statusWebhookUsername": "vgw", "statusWebhookPassword": "hook-secret", **extra}


async def test_a_call_starts_and_reports_with_basic_auth(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await make_sim()
    r = await start(sim, call(recorder, context={"customer": "A-17"},
                              tenantConfig={"updateMethod": "merge", "config": {"outboundCalls": {
                                  "sipAuth": {"username": "trunk", "password": "p"}}}},
                              route="<sip:edge1.example;lr>, sip:edge2.example"))
    assert r.status_code == 200 and r.json()["msg"] == "Outbound calling session created successfully."
    session = r.json()["vgwSessionID"]
    await sim.engine.idle()
    events = recorder.on("/ibm")
    assert [e.json["event"] for e in events] == ["initiated", "ringing", "answered", "completed"]
    assert all(e.headers["Authorization"] == basic("vgw", "hook-secret")["Authorization"] for e in events)
    assert all(e.json["vgwSessionID"] == session and "failureReason" not in e.json for e in events)
    assert events[-1].json["duration"] == 4 and events[-1].json["context"] == {"customer": "A-17"}


@pytest.mark.parametrize(
    ("to", "event", "reason"),
    [
        ("tel:+12125550102", "busy", "486 Busy Here"),
        ("sip:+12125550103@trunk.example", "no-answer", "487 Request Terminated"),
        ("tel:+12125550104", "failed", "404 Not Found"),
    ],
)
async def test_failures_carry_a_failure_reason(make_sim: MakeSim, recorder: HookRecorder, to: str, event: str,
                                               reason: str) -> None:
    sim = await make_sim()
    assert (await start(sim, call(recorder, to))).status_code == 200
    await sim.engine.idle()
    last = recorder.on("/ibm")[-1].json
    assert (last["event"], last["failureReason"]) == (event, reason)


async def test_a_disabled_instance_answers_200_with_a_failure_reason(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await make_sim()
    r = await start(sim, call(recorder), path=f"/vgw/outboundCalls/{IBM_AGENT_NO_OUTBOUND}/startOutboundCall")
    assert r.status_code == 200 and "vgwSessionID" not in r.json()
    assert r.json()["failureReason"] == "Outbound calling is not enabled for this instance"


async def test_refusals(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await make_sim()
    key = sim.info()["ibm_api_key"]
    r = await start(sim, call(recorder), auth={})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Basic realm="vgw"'
    r = await start(sim, call(recorder), auth=basic("apikey", "wrong"))
    assert r.status_code == 403 and r.json()["failureReason"].startswith("Forbidden")
    r = await start(sim, call(recorder), auth=basic("admin", key))
    assert r.status_code == 403
    r = await start(sim, call(recorder), path="/vgw/outboundCalls/+19999999999/startOutboundCall")
    assert r.status_code == 404 and "no agent or tenant +19999999999" in r.json()["failureReason"]
    bad = [
        ({"from": "tel:+1"}, "'to' is required"),
        (call(recorder, "+12125550101"), "'to' must be a sip: or tel: URI"),
        (call(recorder, context="x"), "'context' must be an object"),
        (call(recorder, tenantConfig={"updateMethod": "patch"}), "updateMethod' must be merge or replace"),
        (
            call(recorder, tenantConfig={"config": {"outboundCalls": {"sipAuth": {"username": "u"}}}}),
            "'sipAuth' needs a username and a password",
        ),
        (call(recorder, route="sip:a.example, http://b"), "'route' must be a comma-separated list of SIP URIs"),
        (call(recorder, statusWebhook="/relative"), "'statusWebhook' must be an absolute http(s) URL"),
        ([1, 2], "the body must be a JSON object"),
    ]
    for body, reason in bad:
        r = await start(sim, body)
        assert r.status_code == 400 and reason in r.json()["failureReason"], (body, r.text)
    async with httpx.AsyncClient(base_url=sim.base_url, headers=basic("apikey", key)) as c:
        r = await c.post(PATH, content=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["failureReason"] == "Bad Request: the body is not valid JSON"
    assert recorder.requests == []
