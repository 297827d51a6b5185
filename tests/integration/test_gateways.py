"""The four gateway clients against the simulator over real HTTP, and against misbehaving servers."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from console.calls import DialRequest
from console.config import DEMO_ACCOUNT_SID, DEMO_APPLICATION_SID, Settings, load_settings
from console.dialer import Dialer
from console.gateways import GatewayPool
from console.gateways.errors import (
    GatewayAuthError,
    GatewayBadResponse,
    GatewayDropped,
    GatewayError,
    GatewayNotFound,
    GatewayRateLimited,
    GatewayRejected,
    GatewayTimeout,
    GatewayTlsError,
    GatewayUnavailable,
    GatewayUnreachable,
    NotSupported,
)
from console.hooks import HookUrls
from console.redact import MASK
from console.simulator import Seed, Simulator, SimulatorOptions
from console.simulator.embedded import EmbeddedGateways
from console.simulator.seed import ACCOUNT_API_KEY, OTHER_ACCOUNT_API_KEY, SP_API_KEY
from console.status import CallStatus
from console.store import Store
from tests.integration.faulty import FaultyServer, gzip_bomb
from tests.integration.sim_helpers import HookRecorder

HOOK_KEY = b"test-hook-key"
EXTRA = """
demo_profiles = true
[profiles.jz-hooks]
provider = "jambonz"
base_url = "embedded"
account_sid = "9b1f6c2e-3d4a-4e5b-8c6d-7e8f9a0b1c2d"
per_call_hooks = true
[profiles.mob-form]
provider = "mobtexting"
base_url = "embedded"
request_format = "form"
webhook_id = "1"
[profiles.mob-json]
provider = "mobtexting"
base_url = "embedded"
webhook_id = "1"
"""


@dataclass
class World:
    settings: Settings
    pool: GatewayPool
    dialer: Dialer
    store: Store
    embedded: EmbeddedGateways
    sent: list[httpx.Request]
    recorder: HookRecorder

    def request(self, profile: str, **fields: Any) -> DialRequest:
        provider = self.settings.profile(profile).provider
        data: dict[str, Any] = {"provider": provider, "from": "+12125550100",
                                "to": {"type": "phone", "number": "+12125550101"}}
        if provider in ("cognigy", "jambonz"):
            data["application_sid"] = DEMO_APPLICATION_SID
        if provider == "ibm":
            data["from"] = "+12125550150"
        if provider == "mobtexting":
            data.update({"from": "+918068280000", "to": {"type": "phone", "number": "+919876543201"},
                         "mobtexting": {"flow_id": "351"}})
        data.update(fields)
        return DialRequest.build(data, region="US")

    def body(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.sent[index].content)


@pytest.fixture
async def world(tmp_path: Path, recorder: HookRecorder) -> AsyncIterator[World]:
    cfg = tmp_path / "c.toml"
    cfg.write_text(EXTRA)
    settings = load_settings(cfg)
    seed = lambda mode: Seed(status_hook={"url": recorder.url("/app-status")},  # noqa: E731
                             mobtexting_webhooks={"1": {"uri": recorder.url("/mob"), "secret": None}})
    embedded = EmbeddedGateways(speed=1000, seed=seed)
    sent: list[httpx.Request] = []

    async def keep(request: httpx.Request) -> None:
        sent.append(request)

    client = httpx.AsyncClient(event_hooks={"request": [keep]}, timeout=10)
    urls = HookUrls(recorder.base_url, HOOK_KEY)
    pool = GatewayPool(settings, embedded, client=client, hooks=lambda: urls)
    store = Store(tmp_path / "h.db")
    yield World(settings, pool, Dialer(store, pool), store, embedded, sent, recorder)
    await pool.close()
    await client.aclose()
    await embedded.stop()
    store.close()


async def idle(world: World) -> None:
    for info in world.embedded._running.values():
        await info.engine.idle()


# ---------------------------------------------------------------- lists


async def test_numbers_and_applications_per_provider(world: World) -> None:
    cognigy = await world.pool.get("demo-cognigy")
    assert [n.number for n in await cognigy.list_numbers()] == ["+12125550100", "+12125550199", "+442079460958"]
    assert [a.name for a in await cognigy.list_applications()] == ["Demo IVR", "Survey bot"]
    jambonz = await world.pool.get("demo-jambonz")
    assert (await jambonz.list_numbers())[0].application == DEMO_APPLICATION_SID
    ibm = await world.pool.get("demo-ibm")
    assert [(a.id, a.kind) for a in await ibm.list_applications()] == [("+12125550150", "agent")]
    assert [n.number for n in await ibm.list_numbers()] == ["+12125550150"]
    mob = await world.pool.get("demo-mobtexting")
    assert [(a.id, a.kind) for a in await mob.list_applications()] == [("351", "ivr"), ("welcome-en", "audio")]


# ---------------------------------------------------------------- create


async def test_cognigy_sends_every_field_and_fills_the_hooks(world: World) -> None:
    request = world.request(
        "demo-cognigy",
        to={"type": "phone", "number": "+12125550105", "trunk": "Demo Carrier US", "proxy": "sip:proxy.example",
            "headers": {"X-Leg": "b"}},
        from_host="sip.acme.example", caller_name="Acme Support", timeout=30, time_limit=120,
        tags={"campaign": "spring", "n": 2}, headers={"X-Campaign": "spring"},
        speech={"synthesis_vendor": "google", "synthesis_language": "en-US", "synthesis_voice": "en-US-Wavenet-C",
                "recognizer_vendor": "google", "recognizer_language": "en-US"},
        amd={"thresholdWordCount": 7, "recognizer": {"vendor": "google", "language": "en-US"}},
        jambonz={"refer_hook": "https://app.example/refer", "sip_request_within_dialog_hook": "https://app.example/info"},
        cognigy={"dtmf_capture": ["*9"], "dtmf_hook": "https://app.example/dtmf", "confirm_hook": "https://app.example/ok",
                 "listen": {"url": "wss://media.example/stream"}, "transcribe": {"transcriptionHook": "https://a.example/t"}},
    )
    outcome = await world.dialer.place("demo-cognigy", request)
    assert outcome.placed and outcome.notes == [], outcome.error
    body = world.body()
    attempt = outcome.call.attempt_id
    base = f"{world.recorder.base_url}/hooks/demo-cognigy"
    assert body["notifyUrl"] == {"url": f"{base}/status/{attempt}", "method": "POST"}
    assert "actionHook" not in body  # sent only when the operator sets one
    assert body["amd"]["actionHook"] == f"{base}/amd/{attempt}" and body["amd"]["thresholdWordCount"] == 7
    assert body["to"] == {"type": "phone", "number": "+12125550105", "trunk": "Demo Carrier US",
                          "proxy": "sip:proxy.example", "headers": {"X-Leg": "b"}}
    assert (body["timeout"], body["timeLimit"]) == (30, 120)  # JSON numbers, never strings
    assert (body["fromHost"], body["callerName"], body["tag"], body["headers"]) == (
        "sip.acme.example", "Acme Support", {"campaign": "spring", "n": 2}, {"X-Campaign": "spring"})
    assert body["speech_synthesis_voice"] == "en-US-Wavenet-C" and body["dtmfCapture"] == ["*9"]
    assert body["referHook"]["url"] == "https://app.example/refer" and body["listen"] == {"url": "wss://media.example/stream"}
    assert outcome.call.status is CallStatus.DIALING and outcome.call.call_sid and outcome.call.sip_call_id
    await idle(world)
    statuses = [r.json["call_status"] for r in world.recorder.on(f"/hooks/demo-cognigy/status/{attempt}")]
    assert statuses == ["trying", "ringing", "in-progress", "completed"]
    amd = [r.json["type"] for r in world.recorder.on(f"/hooks/demo-cognigy/amd/{attempt}")]
    assert amd[0] == "amd_machine_detected"
    stored = world.store.call(outcome.call.id)
    assert stored.request["body"]["notifyUrl"]["url"].endswith(attempt)  # the request as sent is in history


TARGETS = [
    {"type": "sip", "sip_uri": "sip:+12125550101@pbx.example", "auth": {"username": "u", "password": "sip-pass-123"}},
    {"type": "user", "name": "alice01"},
    {"type": "teams", "number": "+12125550101", "tenant": "contoso.example", "vmail": True},
]


@pytest.mark.parametrize("profile", ["demo-cognigy", "demo-jambonz"])
@pytest.mark.parametrize("target", TARGETS, ids=[t["type"] for t in TARGETS])
async def test_every_target_type_is_placed(world: World, profile: str, target: dict[str, Any]) -> None:
    outcome = await world.dialer.place(profile, world.request(profile, to=target))
    assert outcome.placed, outcome.error
    sent = world.body()["to"]
    assert sent["type"] == target["type"]
    if target["type"] == "sip":
        assert sent["auth"] == {"username": "u", "password": "sip-pass-123"}  # on the wire, never in history
        assert "sip-pass-123" not in json.dumps(world.store.call(outcome.call.id).request)
    if target["type"] == "teams":
        assert (sent["tenant"], sent["vmail"]) == ("contoso.example", True)


async def test_jambonz_leaves_out_cognigy_fields_and_says_so(world: World) -> None:
    request = world.request("demo-jambonz", cognigy={"dtmf_capture": ["1"], "dtmf_hook": "https://a.example/d"},
                            jambonz={"call_status_hook": "https://a.example/s"})
    prepared = await world.dialer.preview("demo-jambonz", request)
    assert prepared.notes[0].startswith("left out dtmfCapture, dtmfHook: open-source jambonz refuses")
    assert "call_status_hook is ignored when an application is set" in prepared.notes[1]
    outcome = await world.dialer.place("demo-jambonz", request)
    assert outcome.placed, outcome.error  # the simulator in jambonz mode would answer 500 had they been sent
    assert not {"notifyUrl", "dtmfCapture", "dtmfHook", "actionHook"} & set(world.body())
    assert outcome.call.sip_call_id  # jambonz answers callId (Cognigy callid: see the Cognigy test)


async def test_jambonz_per_call_hooks_instead_of_an_application(world: World) -> None:
    world.recorder.answers["/hooks/jz-hooks/call/*"] = (200, [{"verb": "pause", "length": 30}])
    refused = await world.dialer.place("jz-hooks", world.request("jz-hooks"))
    assert isinstance(refused.error, GatewayRejected) and refused.call is None
    assert "needs all five speech settings" in str(refused.error)
    speech = {"synthesis_vendor": "google", "synthesis_language": "en-US", "synthesis_voice": "x",
              "recognizer_vendor": "google", "recognizer_language": "en-US"}
    outcome = await world.dialer.place("jz-hooks", world.request("jz-hooks", speech=speech))
    assert outcome.placed, outcome.error
    assert "application_sid left out" in outcome.notes[0]
    body, attempt = world.body(), outcome.call.attempt_id
    base = f"{world.recorder.base_url}/hooks/jz-hooks"
    assert "application_sid" not in body
    assert (body["call_hook"], body["call_status_hook"]) == (f"{base}/call/{attempt}", f"{base}/status/{attempt}")
    await idle(world)
    assert [r.json["call_status"] for r in world.recorder.on(f"/hooks/jz-hooks/status/{attempt}")][-1] == "completed"
    assert world.recorder.on(f"/hooks/jz-hooks/call/{attempt}")[0].json["call_status"] == "in-progress"


async def test_ibm_builds_uris_tenant_config_and_an_authenticated_status_webhook(world: World) -> None:
    request = world.request("demo-ibm", to={"type": "sip", "sip_uri": "sip:+12125550102@trunk.example"},
                            ibm={"context": {"customer": "A-17"}, "tenant_config": {"vgwTenantName": "x"},
                                 "update_method": "merge", "sip_auth": {"username": "trunk", "password": "trunk-pw"},
                                 "route": "sip:edge1.example;lr, sip:edge2.example"})
    outcome = await world.dialer.place("demo-ibm", request)
    assert outcome.placed, outcome.error
    body, attempt = world.body(), outcome.call.attempt_id
    assert (body["to"], body["from"], body["route"]) == ("sip:+12125550102@trunk.example", "tel:+12125550150",
                                                         "sip:edge1.example;lr,sip:edge2.example")
    assert body["tenantConfig"] == {"config": {"vgwTenantName": "x", "outboundCalls": {
        "sipAuth": {"username": "trunk", "password": "trunk-pw"}}}, "updateMethod": "merge"}
    assert world.sent[-1].url.path == "/vgw/outboundCalls/+12125550150/startOutboundCall"
    assert outcome.call.status is CallStatus.QUEUED and outcome.call.call_sid
    await idle(world)
    events = world.recorder.on(f"/hooks/demo-ibm/ibm/{attempt}")
    assert [e.json["event"] for e in events] == ["initiated", "ringing", "busy"]
    user, _, password = base64.b64decode(events[0].headers["Authorization"][6:]).decode().partition(":")
    assert world.pool.hook_urls.check_credentials("demo-ibm", attempt, user, password)
    assert not world.pool.hook_urls.check_credentials("demo-ibm", "other-attempt", user, password)
    history = json.dumps(world.store.call(outcome.call.id).request)
    assert password not in history and "trunk-pw" not in history


@pytest.mark.parametrize(("profile", "form"), [("mob-json", False), ("mob-form", True)])
async def test_mobtexting_both_generations(world: World, profile: str, form: bool) -> None:
    request = world.request(profile, mobtexting={"flow_id": "351", "name": "renewals", "interval": 15,
                                                 "variables": {"otp": "4321"}})
    outcome = await world.dialer.place(profile, request)
    assert outcome.placed, outcome.error
    sent = world.sent[-1]
    if form:
        fields = dict(x.split("=", 1) for x in sent.content.decode().split("&"))
        assert (fields["ivr_id"], fields["bridge"], fields["variables%5Botp%5D"]) == ("351", "918068280000", "4321")
        assert outcome.call.call_sid.endswith(":1")
    else:
        body = json.loads(sent.content)
        assert (body["flow_id"], body["interval"], body["variables"], body["webhook_id"]) == (
            "351",
            15,
            {"otp": "4321"},
            "1",
        )
    assert sent.headers["Authorization"].startswith("Bearer ") and outcome.call.status is CallStatus.QUEUED
    await idle(world)
    assert [h.json["mid"] for h in world.recorder.on("/mob")] == [outcome.call.call_sid]


async def test_mobtexting_audio_by_url(world: World) -> None:
    outcome = await world.dialer.place("mob-json", world.request("mob-json", mobtexting={"audio": "https://cdn.example.in/a.mp3"}))
    assert outcome.placed and world.body()["audio"] == "https://cdn.example.in/a.mp3"


# ---------------------------------------------------------------- hang-up


@pytest.mark.parametrize("profile", ["demo-cognigy", "demo-jambonz"])
async def test_hang_up_while_ringing_and_while_answered(world: World, profile: str) -> None:
    gateway = await world.pool.get(profile)
    for number, wait_for, answered, final in (("+12125550103", "ringing", False, "no-answer"),
                                              ("+12125550106", "in-progress", True, "completed")):
        outcome = await world.dialer.place(profile, world.request(profile, to={"type": "phone", "number": number},
                                                                    timeout=600))
        sid, attempt = outcome.call.call_sid, outcome.call.attempt_id
        path = f"/hooks/{profile}/status/{attempt}" if profile == "demo-cognigy" else "/app-status"
        await world.recorder.wait_for(lambda rs: any(r.path == path and r.json["call_sid"] == sid
                                                     and r.json["call_status"] == wait_for for r in rs))
        if answered:
            with pytest.raises(
                GatewayRejected, match="the gateway cannot do that now: current call state is incompatible"
            ):
                await gateway.hangup(sid, answered=False)
        await gateway.hangup(sid, answered=answered)
        await world.recorder.wait_for(lambda rs: any(r.path == path and r.json["call_sid"] == sid
                                                     and r.json["call_status"] == final for r in rs))
        with pytest.raises(GatewayRejected, match=r"has already ended at the gateway \(call session is gone"):
            await gateway.hangup(sid, answered=answered)
    with pytest.raises(GatewayNotFound, match="no longer knows call 00000000"):
        await gateway.hangup("00000000-0000-4000-8000-000000000000", answered=True)
    # a call this console's demo gateway never carried (another console's demo gateway placed it): said so
    with pytest.raises(GatewayNotFound, match="this console's demo gateway does not carry call 00000000.*hang it up "
                                              "there"):
        await world.dialer.hangup_sid("demo-jambonz", "00000000-0000-4000-8000-000000000000", answered=True)


async def test_live_calls_count_and_recent_calls(world: World) -> None:
    gateway = await world.pool.get("demo-jambonz")
    outcome = await world.dialer.place("demo-jambonz", world.request("demo-jambonz", to={"type": "phone",
                                                                                         "number": "+12125550106"}))
    sid = outcome.call.call_sid
    await world.recorder.wait_for(lambda rs: any(r.json and r.json.get("call_sid") == sid
                                                 and r.json["call_status"] == "in-progress" for r in rs))
    live = await gateway.live_calls()
    assert [(c.call_sid, c.status, c.sip_status) for c in live] == [(sid, CallStatus.ANSWERED, 200)]
    assert await gateway.call_count() == {"inbound": 0, "outbound": 1}
    await gateway.hangup(sid, answered=True)
    await idle(world)
    recent = await gateway.recent_calls(1, 10)
    assert recent.total == 1 and recent.rows[0]["call_sid"] == sid


@pytest.mark.parametrize("profile", ["demo-ibm", "demo-mobtexting"])
async def test_providers_without_call_control_say_so(world: World, profile: str) -> None:
    gateway = await world.pool.get(profile)
    with pytest.raises(NotSupported, match="has no API to hang up"):
        await gateway.hangup("x", answered=True)
    with pytest.raises(NotSupported, match="has no API listing live calls"):
        await gateway.live_calls()


# ---------------------------------------------------------------- errors from the gateway


async def test_a_refused_create_is_recorded_with_the_gateways_words(world: World) -> None:
    outcome = await world.dialer.place("demo-cognigy", world.request(
        "demo-cognigy", application_sid="00000000-0000-4000-8000-000000000000"))
    assert isinstance(outcome.error, GatewayRejected) and outcome.error.status == 400
    assert str(outcome.error) == "application_sid not found 00000000-0000-4000-8000-000000000000"
    stored = world.store.call(outcome.call.attempt_id)
    assert (stored.status, stored.error) == (CallStatus.FAILED, str(outcome.error))


async def test_ibm_and_mobtexting_refusals_reach_the_operator(world: World) -> None:
    ibm = await world.dialer.place("demo-ibm", world.request("demo-ibm", ibm={"agent": "+12125550151"}))
    assert str(ibm.error) == "the gateway did not start the call: Outbound calling is not enabled for this instance"
    assert world.store.call(ibm.call.id).status is CallStatus.FAILED
    unknown = await world.dialer.place("demo-ibm", world.request("demo-ibm", ibm={"agent": "+19995550100"}))
    assert isinstance(unknown.error, GatewayNotFound)
    assert str(unknown.error).startswith("no agent or tenant '+19995550100' at this gateway (404)")
    mob = await world.dialer.place("mob-json", world.request("mob-json", mobtexting={"flow_id": "999"}))
    assert str(mob.error) == "The selected flow id is invalid."


def profile_at(tmp_path: Path, base: str, key: str = ACCOUNT_API_KEY, **extra: Any) -> tuple[GatewayPool, str]:
    """A jambonz profile pointing at `base` (the simulator or a misbehaving server)."""
    lines = ['provider = "jambonz"', f'base_url = "{base}"', f'api_key = "{key}"',
             f'account_sid = "{DEMO_ACCOUNT_SID}"', *(f"{k} = {json.dumps(v)}" for k, v in extra.items())]
    cfg = tmp_path / f"profile-{abs(hash((key, base, tuple(extra.items()))))}.toml"
    cfg.write_text("[profiles.real]\n" + "\n".join(lines) + "\n")
    return GatewayPool(load_settings(cfg), EmbeddedGateways()), "real"


def jambonz_request() -> DialRequest:
    return DialRequest.build(
        {
            "provider": "jambonz",
            "from": "+12125550100",
            "to": {"type": "phone", "number": "+12125550101"},
            "application_sid": DEMO_APPLICATION_SID,
        }
    )


async def test_auth_errors_say_what_to_check(tmp_path: Path) -> None:
    async with Simulator(SimulatorOptions(rate_limit=None)) as sim:
        for key, kind, words in ((f"{ACCOUNT_API_KEY[:-1]}0", GatewayAuthError, "does not accept this API key"),
                                 (SP_API_KEY, GatewayAuthError, "A service-provider key never can"),
                                 (OTHER_ACCOUNT_API_KEY, GatewayAuthError, "has no access to account .* use an API key "
                                                                           "of this account")):
            pool, name = profile_at(tmp_path, sim.base_url, key=key)
            gateway = await pool.get(name)
            with pytest.raises(kind, match=words):
                await gateway.create_call(jambonz_request(), "a1")
            await pool.close()
        pool, name = profile_at(tmp_path, sim.base_url, key=OTHER_ACCOUNT_API_KEY)
        with pytest.raises(GatewayAuthError, match="has no access to account .* use an API key of this account"):
            await (await pool.get(name)).list_applications()
        await pool.close()


async def test_wrong_base_url_capacity_rate_limit_and_bare_500(tmp_path: Path) -> None:
    async with Simulator(SimulatorOptions(rate_limit=3, seed=Seed(teams_tenant=""))) as sim:
        pool, name = profile_at(tmp_path, f"{sim.base_url}/api")
        with pytest.raises(GatewayNotFound, match=r"has no such route \(/api/v1/PhoneNumbers\): check the base URL"):
            await (await pool.get(name)).list_numbers()
        await pool.close()
        sim.options.rate_limit = None
        sim.jambonz.rate_limit = None
        pool, name = profile_at(tmp_path, sim.base_url)
        gateway = await pool.get(name)
        sim.jambonz.capacity = False
        with pytest.raises(GatewayUnavailable, match="no feature server available right now"):
            await gateway.create_call(jambonz_request(), "a2")
        sim.jambonz.capacity = True
        teams = DialRequest.build(
            {
                "provider": "jambonz",
                "from": "+12125550100",
                "application_sid": DEMO_APPLICATION_SID,
                "to": {"type": "teams", "number": "+12125550101"},
            }
        )
        with pytest.raises(
            GatewayRejected,
            match="HTTP 500 and no reason: either the request holds a field this "
            "gateway does not accept, or its feature server could not place",
        ) as info:
            await gateway.create_call(teams, "a3")
        assert info.value.status == 500
        from console.simulator.ratelimit import RateLimit

        sim.jambonz.rate_limit = RateLimit(1, 300)
        await gateway.list_numbers()
        with pytest.raises(GatewayRateLimited, match=r"rate limiting requests \(HTTP 429\)\. Try again in \d+ s"):
            await gateway.list_numbers()  # the reset is minutes away: no silent waiting
        await pool.close()


async def test_reads_retry_a_short_rate_limit_and_creates_do_not(tmp_path: Path) -> None:
    script = [(429, {"Retry-After": "0"}, "slow down"), (200, {"Content-Type": "application/json"}, [{"number": "1"}])]
    async with FaultyServer("script", script) as server:
        pool, name = profile_at(tmp_path, server.base_url)
        gateway = await pool.get(name)
        assert [n.number for n in await gateway.list_numbers()] == ["+1"]
        assert len(server.requests) == 2
    async with FaultyServer("script", [(429, {"Retry-After": "0"}, "slow down")]) as server:
        pool, name = profile_at(tmp_path, server.base_url)
        with pytest.raises(GatewayRateLimited):
            await (await pool.get(name)).create_call(jambonz_request(), "a4")
        assert len(server.requests) == 1
        await pool.close()


# ---------------------------------------------------------------- transport faults


async def test_connection_refused_is_named(tmp_path: Path) -> None:
    pool, name = profile_at(tmp_path, "http://127.0.0.1:9")
    with pytest.raises(GatewayUnreachable, match=r"cannot reach 127.0.0.1:9: connection refused"):
        await (await pool.get(name)).list_numbers()


async def test_a_slow_gateway_times_out_and_a_create_says_it_may_have_gone_through(tmp_path: Path) -> None:
    async with FaultyServer("slow") as server:
        pool, name = profile_at(tmp_path, server.base_url, read_timeout_s=0.3)
        gateway = await pool.get(name)
        with pytest.raises(GatewayTimeout, match=r"did not answer within 0.3 s. The call may have been placed"):
            await gateway.create_call(jambonz_request(), "a5")
        await pool.close()


@pytest.mark.parametrize("mode", ["cut", "close"])
async def test_a_dropped_connection_is_named(tmp_path: Path, mode: str) -> None:
    async with FaultyServer(mode) as server:
        pool, name = profile_at(tmp_path, server.base_url)
        with pytest.raises(GatewayDropped, match="dropped before the answer was complete"):
            await (await pool.get(name)).create_call(jambonz_request(), "a6")
        await pool.close()


async def test_a_success_that_does_not_parse(tmp_path: Path) -> None:
    async with FaultyServer("script", [(201, {"Content-Type": "text/plain"}, b"created!")]) as server:
        pool, name = profile_at(tmp_path, server.base_url)
        with pytest.raises(GatewayBadResponse, match="answered the new call with HTTP 201 but the body is not JSON"):
            await (await pool.get(name)).create_call(jambonz_request(), "a7")
        await pool.close()
    async with FaultyServer("script", [(201, {"Content-Type": "application/json"}, {"id": 1})]) as server:
        pool, name = profile_at(tmp_path, server.base_url)
        with pytest.raises(GatewayBadResponse, match="without a call sid"):
            await (await pool.get(name)).create_call(jambonz_request(), "a8")
        await pool.close()


async def test_tls_is_verified_and_a_private_ca_can_be_trusted(tmp_path: Path) -> None:
    import ssl

    import trustme
    from aiohttp import web

    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    app = web.Application()
    async def numbers(request: web.Request) -> web.Response:
        return web.json_response([{"number": "12125550100"}])

    app.router.add_get("/v1/PhoneNumbers", numbers)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await site.start()
    base = f"https://127.0.0.1:{runner.addresses[0][1]}"
    try:
        pool, name = profile_at(tmp_path, base)
        with pytest.raises(GatewayTlsError, match="TLS with 127.0.0.1:.* failed: .*set ca_file in the profile"):
            await (await pool.get(name)).list_numbers()
        await pool.close()
        pem = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(pem))
        pool, name = profile_at(tmp_path, base, ca_file=str(pem))
        assert [n.number for n in await (await pool.get(name)).list_numbers()] == ["+12125550100"]
        await pool.close()
    finally:
        await runner.cleanup()


def test_an_unresolvable_name_is_named() -> None:
    """The resolver is outside loopback, so its failure is built as httpx raises it (checked by hand)."""
    import socket

    from console.gateways.base import _connect_error

    try:
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as gai:
            raise httpx.ConnectError("[Errno -2] Name or service not known") from gai
    except httpx.ConnectError as exc:
        error = _connect_error(exc, "gateway.example:443")
    assert isinstance(error, GatewayUnreachable)
    assert str(error) == "cannot resolve gateway.example:443: check the base URL (Name or service not known)"


# ---------------------------------------------------------------- the jambonz spec


async def test_jambonz_request_bodies_validate_against_the_create_call_schema(world: World) -> None:
    from openapi_core import OpenAPI

    from tests.spec_tools import OpenApiRequest, known_differences, load_spec

    speech = {"synthesis_vendor": "google", "synthesis_language": "en-US", "synthesis_voice": "x",
              "recognizer_vendor": "google", "recognizer_language": "en-US"}
    placed = [
        ("demo-jambonz", world.request("demo-jambonz", from_host="sip.acme.example", caller_name="Acme", timeout=20,
                                       time_limit=60, tags={"a": 1}, headers={"X-A": "1"}, amd={},
                                       jambonz={"refer_hook": "https://a.example/r", "dual_streams": False,
                                                "sip_request_within_dialog_hook": "https://a.example/i"})),
        *[("demo-jambonz", world.request("demo-jambonz", to=t)) for t in TARGETS],
        ("jz-hooks", world.request("jz-hooks", speech=speech)),
    ]
    for profile, request in placed:
        outcome = await world.dialer.place(profile, request)
        assert outcome.placed, outcome.error
    sim = world.embedded._running["jambonz"]
    openapi = OpenAPI.from_dict(known_differences(load_spec(), sim.base_url))
    creates = [r for r in world.sent if r.method == "POST" and r.url.path.endswith("/Calls")]
    assert len(creates) == len(placed)
    for request in creates:
        openapi.validate_request(OpenApiRequest(request))


@pytest.mark.parametrize("mode", ["trickle", "endless", "bomb"])
async def test_a_gateway_that_never_finishes_or_floods_ends_the_dial_within_its_limits(tmp_path: Path,
                                                                                      mode: str) -> None:
    import resource
    import time

    bomb = gzip_bomb(200 << 20) if mode == "bomb" else b""  # 200 MB of zeros in 200 KB
    async with FaultyServer(mode, bomb=bomb) as server:
        pool, name = profile_at(tmp_path, server.base_url, deadline_s=1.5, max_response_bytes=1 << 20)
        with Store(tmp_path / "h.db") as store:
            dialer = Dialer(store, pool)
            grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.monotonic()
            outcome = await dialer.place(name, jambonz_request())
            numbers_error = None
            try:
                await (await pool.get(name)).list_numbers()
            except GatewayError as exc:
                numbers_error = str(exc)
            took = time.monotonic() - started
            grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - grown
            call = store.call(outcome.call.attempt_id)
        await pool.close()
    assert took < 5  # two requests, each within its deadline of 1.5 s
    assert grown < 100_000  # KB: the answer was never held past the 1 MB cap
    said = {"trickle": "did not finish answering within 1.5 s (the profile's deadline_s)",
            "endless": "answered with more than 1,048,576 bytes (the profile's max_response_bytes)",
            "bomb": "answered with more than 1,048,576 bytes (the profile's max_response_bytes)"}[mode]
    # the gateway took the request and its answer never came whole: the call may exist there
    assert call.status is CallStatus.UNKNOWN and said in call.error and said in (numbers_error or "")
    if mode == "trickle":
        assert "The call may have been placed" in call.error


def profile_of(tmp_path: Path, provider: str, base: str) -> tuple[GatewayPool, str]:
    extra = {"mobtexting": 'webhook_id = "1"\n', "ibm": 'agent_number = "+12125550150"\n'}[provider]
    cfg = tmp_path / f"{provider}.toml"
    cfg.write_text(f'[profiles.real]\nprovider = "{provider}"\nbase_url = "{base}"\napi_key = "k"\n{extra}')
    return GatewayPool(load_settings(cfg), EmbeddedGateways()), "real"


@pytest.mark.parametrize(("provider", "answer", "said"), [
    ("mobtexting", {"status": "OK", "message": "queued", "data": {"id": "x"}}, "holds no call id (data[0].id)"),
    ("mobtexting", {"status": "OK", "data": [{"id": {"nested": 1}}]}, "holds no call id (data[0].id)"),
    ("ibm", {"msg": "started", "vgwSessionID": {"id": "s-1"}}, "without msg and a vgwSessionID text"),
])
async def test_a_create_answer_of_the_wrong_shape_leaves_the_attempt_unknown_with_a_sentence(
        tmp_path: Path, provider: str, answer: dict, said: str) -> None:
    async with FaultyServer("script", [(200, {"Content-Type": "application/json"}, answer)]) as server:
        pool, name = profile_of(tmp_path, provider, server.base_url)
        request = DialRequest.build({"provider": provider, "from": "+918068280000" if provider == "mobtexting"
                                     else "+12125550150", "to": {"type": "phone", "number": "+919876543201"},
                                     **({"mobtexting": {"flow_id": "351"}} if provider == "mobtexting" else {})},
                                    region="IN")
        with Store(tmp_path / "h.db") as store:
            outcome = await Dialer(store, pool).place(name, request)
            call = store.call(outcome.call.attempt_id)
        await pool.close()
    assert isinstance(outcome.error, GatewayBadResponse) and said in str(outcome.error)
    assert call.status is CallStatus.UNKNOWN and said in call.error  # a 200: the gateway may have placed it


async def test_a_gateway_quoting_our_credential_back_in_its_error_is_shown_masked(tmp_path: Path) -> None:
    """History masks the secrets it knows; the sentence the console shows and the CLI prints comes from the
    gateway's answer first, and is masked where it is made."""
    key = "FAKEKEY_SECRET_4242"
    echo = {"msg": f"bad auth Bearer {key}"}
    async with FaultyServer("script", [(400, {"Content-Type": "application/json"}, echo)]) as server:
        pool, name = profile_at(tmp_path, server.base_url, key=key)
        with Store(tmp_path / "h.db") as store:
            outcome = await Dialer(store, pool).place(name, jambonz_request())
        await pool.close()
    assert outcome.error is not None and "bad auth" in str(outcome.error)
    assert key not in str(outcome.error) and key not in outcome.error.detail and MASK in str(outcome.error)
    password = "ibm-PASSWORD-9876"  # IBM's Basic pair: the password alone, or the pair, may come back
    quoted = {"error": f"user apikey:{password} unknown"}
    async with FaultyServer("script", [(400, {"Content-Type": "application/json"}, quoted)]) as server:
        cfg = tmp_path / "ibm.toml"
        cfg.write_text(f'[profiles.real]\nprovider = "ibm"\nbase_url = "{server.base_url}"\n'
                       f'api_key = "apikey:{password}"\nagent_number = "+12125550150"\n')
        pool = GatewayPool(load_settings(cfg), EmbeddedGateways())
        request = DialRequest.build({"provider": "ibm", "from": "+12125550150",
                                     "to": {"type": "phone", "number": "+12125550101"}})
        with Store(tmp_path / "i.db") as store:
            outcome = await Dialer(store, pool).place("real", request)
        await pool.close()
    assert outcome.error is not None
    said = f"{outcome.error} {outcome.error.detail}"
    assert password not in said and MASK in said, said
    # quoted in an answer read after the request (a 200 the create cannot use): the Basic pair's base64 too
    packed = base64.b64encode(f"apikey:apikey:{password}".encode()).decode()
    answer = {"failureReason": f"credentials not accepted: Basic {packed}"}
    async with FaultyServer("script", [(200, {"Content-Type": "application/json"}, answer)]) as server:
        cfg.write_text(cfg.read_text().replace(cfg.read_text().split('base_url = "')[1].split('"')[0], server.base_url))
        pool = GatewayPool(load_settings(cfg), EmbeddedGateways())
        with Store(tmp_path / "i.db", secrets=load_settings(cfg).secrets()) as store:
            outcome = await Dialer(store, pool).place("real", request)
            stored = " ".join(e.raw for e in store.events(outcome.call.id)) + (outcome.call.error or "")
        await pool.close()
    said = f"{outcome.error} {outcome.error.detail}"
    assert packed not in said and packed not in stored and MASK in said, said
    # the rest of what a gateway says is left whole: only our credential is masked
    refusal = {"msg": "refresh token=expired for account 42; ask your admin"}
    async with FaultyServer("script", [(400, {"Content-Type": "application/json"}, refusal)]) as server:
        pool, name = profile_at(tmp_path, server.base_url, key=key)
        with Store(tmp_path / "r.db") as store:
            outcome = await Dialer(store, pool).place(name, jambonz_request())
        await pool.close()
    assert "refresh token=expired for account 42; ask your admin" in str(outcome.error), str(outcome.error)


@pytest.mark.parametrize("status", [502, 504])
async def test_a_proxys_bad_gateway_or_timeout_on_the_create_leaves_the_call_unknown(tmp_path: Path,
                                                                                      status: int) -> None:
    """A proxy in front of the gateway answered for it: the gateway itself may have placed the call."""
    async with FaultyServer("script", [(status, {}, None)]) as server:
        pool, name = profile_at(tmp_path, server.base_url)
        with Store(tmp_path / "h.db") as store:
            outcome = await Dialer(store, pool).place(name, jambonz_request())
            call = store.call(outcome.call.attempt_id)
        await pool.close()
    assert call.status is CallStatus.UNKNOWN and f"HTTP {status}" in call.error


async def test_a_refusal_and_an_unreachable_gateway_fail_the_attempt(tmp_path: Path) -> None:
    """Nothing was placed: the gateway said no, or was never reached."""
    async with FaultyServer("script", [(400, {"Content-Type": "application/json"}, {"msg": "bad from"})]) as server:
        pool, name = profile_of(tmp_path, "mobtexting", server.base_url)
        request = DialRequest.build({"provider": "mobtexting", "from": "+918068280000",
                                     "to": {"type": "phone", "number": "+919876543201"},
                                     "mobtexting": {"flow_id": "351"}}, region="IN")
        with Store(tmp_path / "h.db") as store:
            refused = store.call((await Dialer(store, pool).place(name, request)).call.attempt_id)
            await pool.close()
            pool, name = profile_of(tmp_path, "mobtexting", "http://127.0.0.1:9")  # nothing listens on port 9
            unreachable = store.call((await Dialer(store, pool).place(name, request)).call.attempt_id)
        await pool.close()
    assert refused.status is CallStatus.FAILED and unreachable.status is CallStatus.FAILED


async def test_a_number_list_with_rows_that_are_not_numbers_is_said_in_a_sentence(tmp_path: Path) -> None:
    async with FaultyServer("script", [(200, {"Content-Type": "application/json"}, [{"number": "1"}, "oops", 7])]) as s:
        pool, name = profile_at(tmp_path, s.base_url)
        with pytest.raises(GatewayBadResponse, match="holds a row that is not a phone number record"):
            await (await pool.get(name)).list_numbers()
        await pool.close()


@pytest.mark.parametrize(("value", "said"), [("inf", None), ("nan", None), ("1e12", 3600.0), ("-5", 0.0), ("12", 12.0)])
def test_a_wait_the_gateway_asks_for_is_a_finite_number_of_seconds(value: str, said: float | None) -> None:
    from console.gateways.base import retry_after

    response = httpx.Response(429, headers={"Retry-After": value}, request=httpx.Request("GET", "http://x"))
    assert retry_after(response) == said


@pytest.mark.parametrize(("body", "said"), [
    ({"msg": "fetch failed"}, "failed inside (HTTP 500: fetch failed): the API server could not reach its feature "
                              "server; the gateway itself is unwell, not this request"),
    ({"msg": "connect ECONNREFUSED 127.0.0.1:3360"}, "failed inside (HTTP 500: connect ECONNREFUSED 127.0.0.1:3360): "
                                                     "the API server could not reach one of its own services (that "
                                                     "address is inside the gateway, not one of yours)"),
])
async def test_the_gateways_own_failures_are_said_as_such(tmp_path: Path, body: dict, said: str) -> None:
    # jambonz.md §2.3: sysError answers 500 {"msg": err.message} for anything else
    async with FaultyServer("script", [(500, {"Content-Type": "application/json"}, body)]) as server:
        pool, name = profile_at(tmp_path, server.base_url)
        gateway = await pool.get(name)
        for attempt in (gateway.list_numbers(), gateway.create_call(jambonz_request(), "a9")):
            with pytest.raises(GatewayRejected) as info:
                await attempt
            assert said in str(info.value) and info.value.status == 500
        await pool.close()


async def test_a_cognigy_profile_on_open_source_jambonz_is_told_to_say_jambonz(tmp_path: Path) -> None:
    async with Simulator(SimulatorOptions(mode="jambonz", rate_limit=None)) as sim:
        cfg = tmp_path / "c.toml"
        cfg.write_text(
            f'[profiles.vg]\nprovider = "cognigy"\nbase_url = "{sim.base_url}"\napi_key = "{ACCOUNT_API_KEY}"\n'
            f'account_sid = "{DEMO_ACCOUNT_SID}"\n'
        )
        urls = HookUrls("http://127.0.0.1:9", HOOK_KEY)
        pool = GatewayPool(load_settings(cfg), EmbeddedGateways(), hooks=lambda: urls)
        request = DialRequest.build({"provider": "cognigy", "from": "+12125550100",
                                     "application_sid": DEMO_APPLICATION_SID,
                                     "to": {"type": "phone", "number": "+12125550101"}})
        with pytest.raises(GatewayRejected) as info:
            await (await pool.get("vg")).create_call(request, "a10")
        await pool.close()
    assert "This profile sent Cognigy Voice Gateway fields (notifyUrl)" in str(info.value)
    assert 'set provider = "jambonz" on the profile' in str(info.value)


async def test_the_numbers_listed_are_this_accounts_whoever_the_key_belongs_to(tmp_path: Path) -> None:
    async with Simulator(SimulatorOptions(rate_limit=None)) as sim:
        # a service-provider key lists every account's numbers: another customer's is never offered as ours
        pool, name = profile_at(tmp_path, sim.base_url, key=SP_API_KEY)
        assert [n.number for n in await (await pool.get(name)).list_numbers()] == [
            "+12125550100", "+12125550199", "+442079460958"]
        await pool.close()
        # another account's key lists that account's numbers: said, not shown as ours
        pool, name = profile_at(tmp_path, sim.base_url, key=OTHER_ACCOUNT_API_KEY)
        with pytest.raises(GatewayAuthError, match=r"listed 1 number\(s\), none of account .*belongs to another"):
            await (await pool.get(name)).list_numbers()
        await pool.close()
    assert any(s.path == "/v1/PhoneNumbers" for s in sim.requests)
