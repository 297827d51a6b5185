"""The webhook receiver over real HTTP on loopback, with a real store."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from console.config import Settings, load_settings
from console.hooks import HookUrls
from console.receiver import Receiver
from console.receiver_state import ReceiverState
from console.sharing import key_id
from console.status import AmdResult, CallStatus
from console.store import Store

SID = "2531329f-fb09-4ef7-887e-84e648214436"
CONFIG = """
demo_profiles = true
[receiver]
port = 0
max_body_bytes = 16384
signature_tolerance_s = 300
body_timeout_s = 0.5
[profiles.cog]
provider = "cognigy"
environment = "eu"
account_sid = "fef61e75-cec3-496c-a7bc-8368e4d02a04"
api_key = "k"
webhook_secrets = ["wh_secret_old", "wh_secret_new"]
[profiles.flagged]
provider = "jambonz"
base_url = "https://jz.example"
account_sid = "fef61e75-cec3-496c-a7bc-8368e4d02a04"
api_key = "k"
webhook_secrets = ["wh_secret_flag"]
webhook_auth = "flag"
[profiles.open]
provider = "jambonz"
base_url = "https://jz.example"
account_sid = "fef61e75-cec3-496c-a7bc-8368e4d02a04"
api_key = "k"
answer_verbs = [{verb = "hangup"}]
[profiles.watson]
provider = "ibm"
environment = "us-south"
agent_number = "+12125550150"
api_key = "k"
[profiles.obd]
provider = "mobtexting"
api_key = "k"
webhook_secrets = ["mob-secret"]
"""
# jambonz.md §6.3's completed example.
COMPLETED = {"call_sid": SID, "direction": "outbound", "from": "15083728299", "to": "+16172375089",
             "call_id": "8d07a246-f1ac-123b-b8ac-02113b73b840", "sip_status": 200, "sip_reason": "OK",
             "call_status": "completed", "account_sid": "fef61e75-cec3-496c-a7bc-8368e4d02a04",
             "trace_id": "654c5323d6f907233a1069136b8a330e", "application_sid": "0e06a1b0-d49f-4fb8-b973-b5a3c6758de1",
             "fs_sip_address": "10.0.150.88:5070", "call_termination_by": "caller", "duration": 42,
             "customerData": {"campaign": "spring", "operator": "alice"}}
# providers.md §1.4: Cognigy's CALL_FAILED payload.
FAILED = {"call_sid": "c0ffee00-0000-4000-8000-000000000001", "direction": "outbound", "from": "12345", "to": "10001",
          "call_id": "x", "sip_status": 400, "sip_reason": "Bad Request", "call_status": "failed",
          "account_sid": "a", "trace_id": "t", "application_sid": "b", "fs_sip_address": "10.0.0.1:5060",
          "api_base_url": "api-vg.cognigy.ai/v1"}
# providers.md §3.8: MOBtexting's example, invalid JSON as documented.
MOBTEXTING_DOC = (
    b'{"bridge":91806828XXXX,"from":91891952XXXX,"to":91886713XXXX,"source":"OBD","mid":"1234-1333-XXXXX",'
    b'"flow_id":123,"start_at":"2021-04-09 16:27:39","end_at":"2021-04-09 16:27:55","duration":"23",'
    b'"status":"ANSWER","recording_url":"https://rec.example/1.mp3",}'
)


def sign(body: bytes, secret: str, at: float | None = None) -> str:
    t = int(time.time() if at is None else at)
    return f"t={t},v1=" + hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Rig:
    def __init__(self, settings: Settings, store: Store, receiver: Receiver, client: httpx.AsyncClient):
        self.settings, self.store, self.receiver, self.client = settings, store, receiver, client
        self.seen: list[Any] = []

    async def jambonz(self, path: str, payload: dict[str, Any] | bytes, secret: str | None = "wh_secret_new",
                      **headers: str) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
        h = {"Content-Type": "application/json", **headers}
        if secret:
            h.setdefault("Jambonz-Signature", sign(body, secret))
        return await self.client.post(path, content=body, headers=h)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG)
    settings = load_settings(cfg)
    store = Store(tmp_path / "h.db")
    receiver = Receiver(settings, store, key=b"k" * 32)
    assert await receiver.start() is ReceiverState.LISTENING
    async with httpx.AsyncClient(base_url=f"http://{receiver.address}") as client:
        r = Rig(settings, store, receiver, client)
        receiver.on_event = lambda e, i: r.seen.append((e, i))
        yield r
    await receiver.stop()
    store.close()


def events(store: Store) -> list[dict[str, Any]]:
    return list(store._reader().query("SELECT * FROM events ORDER BY id"))


@asynccontextmanager
async def receiver_with(tmp_path: Path, receiver_lines: str) -> AsyncIterator[tuple[Receiver, Store]]:
    """The test configuration with more [receiver] settings, started on a fresh history."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG.replace("[receiver]\n", "[receiver]\n" + receiver_lines))
    with Store(tmp_path / "h.db") as store:
        receiver = Receiver(load_settings(cfg), store, key=b"k" * 32)
        await receiver.start()
        try:
            yield receiver, store
        finally:
            await receiver.stop()


# ---------------------------------------------------------------- each provider's payloads


async def test_jambonz_status_from_the_reference(rig: Rig) -> None:
    r = await rig.jambonz("/hooks/cog/status", COMPLETED)
    assert (r.status_code, r.json()) == (200, {"stored": True})
    event, ingested = rig.seen[0]
    assert (event.status, event.sip_status, event.duration, event.verified) == (CallStatus.COMPLETED, 200, 42, True)
    assert event.customer_data == {"campaign": "spring", "operator": "alice"} and ingested.call is None
    assert event.details["call_termination_by"] == "caller"
    r = await rig.jambonz("/hooks/cog/status", FAILED)
    assert r.status_code == 200 and rig.seen[-1][0].status is CallStatus.FAILED and rig.seen[-1][0].sip_status == 400


async def test_amd_events_from_the_reference(rig: Rig) -> None:
    hint = {"call_sid": SID, "call_status": "in-progress", "sip_status": 200, "type": "amd_machine_detected",
            "reason": "hint", "hint": "call has been forwarded", "language": "en-us"}
    assert (await rig.jambonz("/hooks/cog/amd/tok1", hint)).status_code == 200
    event = rig.seen[-1][0]
    assert (event.amd, event.amd_reason, event.details["hint"], event.status) == (AmdResult.MACHINE, "hint",
                                                                                   "call has been forwarded", None)
    r = await rig.jambonz("/hooks/cog/amd/tok1", {"call_sid": SID, "reason": "no type"})
    assert r.status_code == 400 and "needs a type" in r.text


async def test_ibm_notifications_with_the_per_attempt_credentials(rig: Rig) -> None:
    hooks = rig.receiver.hook_urls.for_attempt("watson", "att-1")
    body = {"vgwSessionID": "vgw-123", "failureReason": "SIP 503 Service Unavailable"}  # all IBM documents
    r = await rig.client.post("/hooks/watson/ibm/att-1", json=body,
                              headers={"Authorization": basic(hooks.username, hooks.password)})
    assert r.status_code == 200
    event = rig.seen[-1][0]
    assert (event.call_sid, event.status, event.token, event.sip_reason) == ("vgw-123", CallStatus.FAILED, "att-1",
                                                                           "SIP 503 Service Unavailable")
    other = rig.receiver.hook_urls.for_attempt("watson", "att-2")
    for header in (basic(other.username, other.password), basic("vgconsole", "guess"), None):
        r = await rig.client.post(
            "/hooks/watson/ibm/att-1", json=body, headers={"Authorization": header} if header else {}
        )
        assert r.status_code == 401
    assert rig.receiver.stats.unauthorized == 3 and len(events(rig.store)) == 1


async def test_mobtexting_results_lenient_json_form_and_challenge(rig: Rig) -> None:
    auth = {"Authorization": "Bearer mob-secret"}
    r = await rig.client.post(
        "/hooks/obd/mobtexting", content=MOBTEXTING_DOC, headers={**auth, "Content-Type": "application/json"}
    )
    assert r.status_code == 200, r.text
    event = rig.seen[-1][0]
    assert (event.call_sid, event.status, event.duration, event.provider_status) == (
        "1234-1333-XXXXX",
        CallStatus.COMPLETED,
        23,
        "ANSWER",
    )
    assert event.details["bridge"] == "91806828XXXX"
    r = await rig.client.post(
        "/hooks/obd/mobtexting", data={"mid": "m2", "status": "BUSY", "end_at": "2021-04-09 16:28:00"}, headers=auth
    )
    assert r.status_code == 200 and rig.seen[-1][0].status is CallStatus.BUSY
    r = await rig.client.post("/hooks/obd/mobtexting?token=abc", json={"validation_key": "abc", "challenge": "c-42"})
    assert r.json() == {"challenge": "c-42"} and rig.receiver.stats.challenges == 1
    assert (await rig.client.post("/hooks/obd/mobtexting", json={"mid": "m3", "status": "BUSY"})).status_code == 401
    assert (await rig.client.post("/hooks/obd/mobtexting", json={"mid": "m3"},
                                  headers={"Authorization": "Bearer nope"})).status_code == 401
    # credentials that are not UTF-8 (anyone who reaches the port can send them): refused, not a 500
    for header in (b"Bearer \xff\xfe", b"Basic " + base64.b64encode(b"\xff:\xfe")):
        r = await rig.client.post("/hooks/obd/mobtexting", json={"mid": "m3"}, headers={"Authorization": header})
        assert r.status_code == 401, (header, r.status_code, r.text)


async def test_call_hook_answers_with_the_profiles_verbs(rig: Rig) -> None:
    payload = {**COMPLETED, "call_status": "in-progress"}
    r = await rig.jambonz("/hooks/open/call/att-9", payload, secret=None)
    assert r.json() == [{"verb": "hangup"}]


# ---------------------------------------------------------------- joining, duplicates, order


async def test_events_before_their_attempt_duplicates_and_order(rig: Rig) -> None:
    ringing = {**COMPLETED, "call_status": "ringing", "sip_status": 180, "sip_reason": "Trying"}
    ringing.pop("duration")
    trying = {**ringing, "call_status": "trying", "sip_status": 100}
    assert (await rig.jambonz("/hooks/cog/status/att-7", trying)).json() == {"stored": True}
    assert (await rig.jambonz("/hooks/cog/status/att-7", trying)).json() == {"stored": False}  # a retry
    assert (await rig.jambonz("/hooks/cog/status", trying)).json() == {"stored": False}  # the same, via another hook
    assert rig.store.orphan_count() == 1
    call = await rig.store.begin_attempt(profile="cog", provider="cognigy", from_number="+15083728299",
                                         to_number="+16172375089", attempt_id="att-7")
    assert call.status is CallStatus.DIALING and rig.store.orphan_count() == 0
    await rig.jambonz("/hooks/cog/status/att-7", COMPLETED)
    r = await rig.jambonz("/hooks/cog/status/att-7", ringing)  # late
    assert r.status_code == 200
    final = rig.store.call("att-7")
    assert (final.status, final.duration, final.call_sid) == (CallStatus.COMPLETED, 42, SID)
    assert len(rig.store.events(final.id)) == 3 and rig.receiver.stats.duplicates == 2


# ---------------------------------------------------------------- authentication


async def test_signatures_bad_stale_future_and_rotated(rig: Rig) -> None:
    body = json.dumps(COMPLETED).encode()
    # a minute past the 300 s tolerance either way: a busy machine's second of delay must not decide it
    cases = [(sign(body, "wh_secret_wrong"), 401), (sign(body, "wh_secret_new", time.time() - 360), 401),
             (sign(body, "wh_secret_new", time.time() + 360), 401), ("t=abc,v1=00", 401), (None, 401),
             (sign(body + b" ", "wh_secret_new"), 401),
             (sign(body, "wh_secret_new", time.time() - 290), 200), (sign(body, "wh_secret_old"), 200)]
    for header, expected in cases:
        headers = {"Jambonz-Signature": header} if header else {}
        r = await rig.jambonz("/hooks/cog/status", body, secret=None, **headers)
        assert r.status_code == expected, header
    assert rig.receiver.stats.unauthorized == 6 and len(events(rig.store)) == 1


async def test_flag_mode_stores_unverified_and_off_mode_needs_nothing(rig: Rig) -> None:
    r = await rig.jambonz("/hooks/flagged/status", COMPLETED, secret="wh_secret_wrong")
    assert r.status_code == 200 and rig.seen[-1][0].verified is False
    r = await rig.jambonz("/hooks/flagged/status", FAILED, secret="wh_secret_flag")
    assert r.status_code == 200 and rig.seen[-1][0].verified is True
    r = await rig.jambonz("/hooks/open/status", COMPLETED, secret=None)
    assert r.status_code == 200 and rig.seen[-1][0].verified is False
    assert [row["verified"] for row in events(rig.store)] == [0, 1, 0]


async def test_receiver_basic_credentials_authenticate_jambonz_hooks(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[receiver]\nport = 0\nbasic_username = "hooks"\nbasic_password = "hook-pass"\n'
                   '[profiles.jz]\nprovider = "jambonz"\nbase_url = "https://jz.example"\n'
                   'account_sid = "fef61e75-cec3-496c-a7bc-8368e4d02a04"\napi_key = "k"\n')
    with Store(tmp_path / "h.db") as store:
        receiver = Receiver(load_settings(cfg), store, key=b"k")
        await receiver.start()
        async with httpx.AsyncClient(base_url=f"http://{receiver.address}") as c:
            ok = await c.post(
                "/hooks/jz/status", json=COMPLETED, headers={"Authorization": basic("hooks", "hook-pass")}
            )
            wrong = await c.post("/hooks/jz/status", json=COMPLETED, headers={"Authorization": basic("hooks", "nope")})
            none = await c.post("/hooks/jz/status", json=COMPLETED)
        await receiver.stop()
    assert (ok.status_code, wrong.status_code, none.status_code) == (200, 401, 401)


# ---------------------------------------------------------------- bad input


async def test_limits_and_bad_bodies(rig: Rig) -> None:
    big = json.dumps({**COMPLETED, "pad": "x" * 20000}).encode()
    assert (await rig.jambonz("/hooks/cog/status", big)).status_code == 413

    async def chunks():
        for _ in range(5):
            yield b"x" * 5000

    r = await rig.client.post("/hooks/cog/status", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and rig.receiver.stats.too_large == 2
    r = await rig.jambonz("/hooks/cog/status", b'{"call_sid": ')
    assert r.status_code == 400 and r.text.startswith("the body is not JSON: Expecting value at line 1")
    r = await rig.jambonz("/hooks/cog/status", b"[1, 2]")
    assert r.status_code == 400 and "not an object" in r.text
    r = await rig.jambonz("/hooks/cog/status", {"call_status": "ringing"})
    assert r.status_code == 400 and "no call_sid" in r.text
    r = await rig.jambonz("/hooks/cog/status", b"\xff\xfe")
    assert r.status_code == 400 and "not UTF-8" in r.text
    r = await rig.client.get("/hooks/cog/status", headers={"Jambonz-Signature": sign(b"", "wh_secret_new")})
    assert r.status_code == 400 and "configure the hook as POST" in r.text
    rejected = rig.store.rejected()
    assert len(rejected) == 5 and rejected[-1]["reason"].startswith("the body is not JSON")
    # no such profile, or no such hook for it: refused as an unknown sender is (the names are not told)
    assert (await rig.client.post("/hooks/nobody/status", json=COMPLETED)).status_code == 401
    assert (await rig.client.post("/hooks/watson/status", json=COMPLETED)).status_code == 401
    assert events(rig.store) == []


async def test_a_slow_body_is_cut_off(rig: Rig) -> None:
    host, port = rig.receiver.address.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"POST /hooks/open/status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{\"call_sid\"")
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    assert status_line.startswith(b"HTTP/1.1 408") and rig.receiver.stats.timed_out == 1


async def test_a_busy_port_or_a_disabled_receiver_is_reported(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cfg = tmp_path / "c.toml"
        cfg.write_text(f"[receiver]\nport = {port}\n")
        with Store(tmp_path / "h.db") as store:
            receiver = Receiver(load_settings(cfg), store, key=b"k")
            assert await receiver.start() is ReceiverState.PORT_BUSY
            assert receiver.detail == (
                f"port {port} on 127.0.0.1 is held by something that is not a vgconsole "
                "receiver; set another [receiver] port in the config, or VGCONSOLE_RECEIVER__PORT"
            )
            assert receiver.hook_urls is None
            await receiver.stop()
            cfg.write_text("[receiver]\nenabled = false\n")
            off = Receiver(load_settings(cfg), store, key=b"k")
            assert await off.start() is ReceiverState.DISABLED


async def test_health_says_which_history_and_key_and_nothing_else(rig: Rig) -> None:
    assert (await rig.client.get("/healthz")).json() == {
        "service": "vgconsole-receiver", "history": rig.store.history_id(), "key": key_id(rig.receiver._key),
        "pid": os.getpid()}


@pytest.mark.parametrize("header", [
    ("Jambonz-Signature", "t=\u00b2\u00b3\u00b9\u2074,v1=" + "0" * 64),  # digits to isdigit(), not to int()
    ("Jambonz-Signature", "t=" + "9" * 400 + ",v1=" + "0" * 64),
    ("Jambonz-Signature", "t=" + "1" * 5000 + ",v1=" + "0" * 64),  # past int()'s 4,300 digits
    ("Authorization", "Basic \u00e9"),
    ("Authorization", "Basic " + base64.b64encode("\u00e9t\u00e9:x".encode("latin-1")).decode()),
], ids=["superscript t", "400-digit t", "5000-digit t", "non-ASCII basic", "latin-1 basic"])
async def test_a_malformed_credential_is_refused_never_a_500(rig: Rig, header: tuple[str, str]) -> None:
    name, value = header
    body = json.dumps(COMPLETED).encode()
    for path in ("/hooks/cog/status", "/hooks/watson/ibm/tok"):
        r = await rig.client.post(path, content=body, headers={"Content-Type": "application/json",
                                                               name: value.encode("utf-8")})
        assert r.status_code == 401, (path, r.status_code, r.text)
    assert events(rig.store) == [] and rig.store.rejected() == []


def nested(depth: int) -> str:
    """JSON nested `depth` objects deep (json.dumps itself would stop short of it)."""
    return '{"n":' * depth + '{"leaf":1}' + "}" * depth


def with_field(payload: dict[str, Any], name: str, json_text: str) -> bytes:
    return json.dumps(payload)[:-1].encode() + f',"{name}":{json_text}}}'.encode()


POISON = {
    "sip_status 2^63": ("/hooks/cog/status", json.dumps({**COMPLETED, "sip_status": 2**63}).encode()),
    "duration 2^63+5": ("/hooks/cog/status", json.dumps({**COMPLETED, "duration": 2**63 + 5}).encode()),
    "customerData 1000 deep": ("/hooks/cog/status", with_field({k: v for k, v in COMPLETED.items()
                                                                if k != "customerData"}, "customerData", nested(1000))),
    "detail 200 deep": ("/hooks/cog/amd", with_field({**COMPLETED, "type": "amd_machine_detected"}, "hint",
                                                     nested(200))),
    "lone surrogate": ("/hooks/cog/status", json.dumps(COMPLETED)[:-1].encode() + b',"x":"\\ud800"}'),
    "5000-digit number": ("/hooks/cog/status", json.dumps(COMPLETED)[:-1].encode() + b',"x":' + b"7" * 5000 + b"}"),
}


@pytest.mark.parametrize("case", list(POISON))
async def test_a_poison_webhook_is_refused_once_with_a_reason_and_kept(rig: Rig, case: str) -> None:
    path, body = POISON[case]
    answers = [await rig.jambonz(path, body) for _ in range(2)]  # the gateway's retry gets the same answer
    assert [a.status_code for a in answers] == [400, 400], [(a.status_code, a.text) for a in answers]
    assert "Error" not in answers[0].text and "Traceback" not in answers[0].text
    assert events(rig.store) == []
    kept = rig.store.rejected()
    assert len(kept) == 2 and kept[0]["reason"] == answers[0].text and kept[0]["route"] == path


@pytest.mark.parametrize("duration", ["9" * 30, 1e30, -1.5e19])
async def test_a_duration_history_cannot_hold_is_dropped_and_the_event_kept(rig: Rig, duration: Any) -> None:
    r = await rig.jambonz("/hooks/cog/status", {**COMPLETED, "duration": duration})
    assert r.status_code == 200
    (stored,) = events(rig.store)
    assert (stored["status"], stored["duration"]) == ("completed", None)


async def test_an_ibm_status_code_past_64_bits_is_refused_with_a_reason(rig: Rig) -> None:
    body = json.dumps({"vgwSessionID": "s-1", "event": "completed", "sipStatusCode": 2**64 - 1}).encode()
    hooks = HookUrls("http://x", b"k" * 32)
    r = await rig.client.post("/hooks/watson/ibm/tok", content=body, headers={
        "Content-Type": "application/json", "Authorization": basic("vgconsole", hooks.password("watson", "tok"))})
    assert r.status_code == 400 and "signed 64-bit integers" in r.text
    assert rig.store.rejected()[0]["route"] == "/hooks/watson/ibm/tok"


async def test_nothing_is_written_for_a_sender_that_did_not_authenticate(rig: Rig) -> None:
    token = "t" * 7900  # as long a path as aiohttp takes
    for path in (f"/hooks/cog/status/{token}", "/hooks/cog/call", f"/hooks/watson/ibm/{token}"):
        assert (await rig.client.get(path)).status_code == 401
    garbage = b"\x00not json, not a form" * 50
    for content_type in ("application/json", "application/x-www-form-urlencoded"):
        r = await rig.client.post("/hooks/obd/mobtexting", content=garbage, headers={"Content-Type": content_type})
        assert r.status_code == 401
    assert rig.store.rejected() == [] and events(rig.store) == [] and rig.receiver.stats.unauthorized == 5
    # the portal's verification challenge is still answered (it writes nothing)
    r = await rig.client.post("/hooks/obd/mobtexting", json={"validation_key": "k", "challenge": "c-1"})
    assert r.json() == {"challenge": "c-1"}
    # a known sender's nonsense is kept, with the reason
    r = await rig.client.post("/hooks/obd/mobtexting", content=garbage, headers={"Authorization": "Bearer mob-secret",
                                                                                 "Content-Type": "application/json"})
    assert r.status_code == 400 and rig.store.rejected()[0]["reason"] == r.text


async def test_only_the_newest_refused_bodies_are_kept(tmp_path: Path) -> None:
    async with receiver_with(tmp_path, "max_rejected = 10\n") as (receiver, store):
        async with httpx.AsyncClient(base_url=f"http://{receiver.address}") as client:
            for n in range(25):
                body = json.dumps({"n": n, "no": "call_sid"}).encode()
                r = await client.post("/hooks/cog/status", content=body, headers={
                    "Content-Type": "application/json", "Jambonz-Signature": sign(body, "wh_secret_new")})
                assert r.status_code == 400
        kept = store.rejected(limit=100)
    assert [json.loads(k["body"])["n"] for k in kept] == list(range(24, 14, -1))


OPEN_PROFILE = """
[profiles.open]
provider = "jambonz"
base_url = "https://jz.example"
account_sid = "fef61e75-cec3-496c-a7bc-8368e4d02a04"
api_key = "k"
"""


@pytest.mark.parametrize(("host", "extra", "expected"), [
    ("0.0.0.0", "", ReceiverState.FAILED),
    ("0.0.0.0", "insecure = true\n", ReceiverState.LISTENING),
    ("0.0.0.0", 'webhook_secrets = ["wh_for_everyone"]\n', ReceiverState.LISTENING),
    ("127.0.0.1", "", ReceiverState.LISTENING),
    ("::1", "", ReceiverState.LISTENING),
])
async def test_beyond_loopback_without_authentication_it_refuses_to_listen(tmp_path: Path, host: str, extra: str,
                                                                           expected: ReceiverState) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[receiver]\nport = 0\nhost = "{host}"\n{extra}' + OPEN_PROFILE)
    with Store(tmp_path / "h.db") as store:
        receiver = Receiver(load_settings(cfg), store, key=b"k" * 32)
        try:
            assert await receiver.start() is expected, receiver.detail
        finally:
            await receiver.stop()
    if expected is ReceiverState.FAILED:
        assert receiver.detail.startswith("not listening on 0.0.0.0: webhooks for open would be stored without "
                                          "authentication") and "insecure = true" in receiver.detail


def test_config_check_says_what_the_receiver_will_refuse(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from console.cli import cli

    cfg = tmp_path / "c.toml"
    cfg.write_text('[receiver]\nhost = "0.0.0.0"\n' + OPEN_PROFILE + 'webhook_auth = "require"\n'
                   + OPEN_PROFILE.replace("[profiles.open]", "[profiles.lax]"))
    out = CliRunner().invoke(cli, ["config", "check", str(cfg)]).stdout
    assert "warning: not listening on 0.0.0.0: webhooks for lax would be stored without authentication" in out
    assert 'warning: profile open: webhook_auth = "require" with no secret or credentials' in out


async def test_a_silent_connection_or_one_whose_headers_never_end_is_closed(tmp_path: Path) -> None:
    async with receiver_with(tmp_path, "idle_timeout_s = 0.5\n") as (receiver, _):
        host, port = receiver.address.rsplit(":", 1)
        silent = await asyncio.open_connection(host, int(port))
        slow = await asyncio.open_connection(host, int(port))
        slow[1].write(b"POST /hooks/cog/status HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        await slow[1].drain()
        for reader, writer in (silent, slow):
            assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the receiver, well within 5 s
            writer.close()


async def test_a_history_locked_by_another_process_is_said_at_start_and_answered_503_in_time(tmp_path: Path) -> None:
    import sqlite3

    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG.replace("[receiver]\n", "[receiver]\nstore_timeout_s = 0.5\n"))
    settings = load_settings(cfg)
    with Store(tmp_path / "h.db") as store:
        holder = sqlite3.connect(tmp_path / "h.db", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another process writing for a long time
        refused = Receiver(settings, store, key=b"k" * 32)
        assert await refused.start() is ReceiverState.FAILED
        assert refused.detail == ("not receiving webhooks: history could not be written within 0.5 s (another "
                                  "process holds it locked?)")
        holder.execute("ROLLBACK")
        receiver = Receiver(settings, store, key=b"k" * 32)
        assert await receiver.start() is ReceiverState.LISTENING
        try:
            async with httpx.AsyncClient(base_url=f"http://{receiver.address}") as client:
                holder.execute("BEGIN EXCLUSIVE")
                body = json.dumps(COMPLETED).encode()
                started = time.monotonic()
                r = await client.post("/hooks/cog/status", content=body, headers={
                    "Content-Type": "application/json", "Jambonz-Signature": sign(body, "wh_secret_new")})
                assert r.status_code == 503 and time.monotonic() - started < 3  # within jambonz's 10 s
                assert r.text == "not stored in time: history is busy; send it again"
                assert r.headers["Server"] == "vgconsole"
                holder.execute("ROLLBACK")
                again = await client.post("/hooks/cog/status", content=body, headers={
                    "Content-Type": "application/json", "Jambonz-Signature": sign(body, "wh_secret_new")})
                assert again.status_code == 200  # the gateway's retry: stored once, whichever commit came first
        finally:
            holder.close()
            await receiver.stop()
        assert len(events(store)) == 1
