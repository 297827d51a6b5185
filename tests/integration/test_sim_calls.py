"""The call engine through the jambonz API: the digit table, timers, AMD, hooks and signatures."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from console.config import DEMO_ACCOUNT_SID, DEMO_APPLICATION_SID
from console.simulator.outcomes import Outcome, outcome_for
from tests.integration.conftest import MakeSim, client
from tests.integration.sim_helpers import HookRecorder, statuses, verify_signature

CALLS = f"/v1/Accounts/{DEMO_ACCOUNT_SID}/Calls"
SPEECH = {"speech_synthesis_vendor": "google", "speech_synthesis_language": "en-US", "speech_synthesis_voice": "x",
          "speech_recognizer_vendor": "google", "speech_recognizer_language": "en-US"}


async def place(sim, recorder: HookRecorder, to: str, **extra: Any) -> tuple[str, list]:
    body = {
        "from": "+12125550100",
        "to": {"type": "phone", "number": to},
        "application_sid": DEMO_APPLICATION_SID,
        **extra,
    }
    async with client(sim) as c:
        r = await c.post(CALLS, json=body)
    assert r.status_code == 201, r.text
    sid = r.json()["sid"]
    await sim.engine.idle()
    return sid, [x for x in recorder.on("/status") if x.json["call_sid"] == sid]


TABLE = [
    ("+12125550101", [("trying", 100, "Trying"), ("ringing", 180, "Trying"), ("in-progress", 200, "OK"),
                      ("completed", 200, "OK")]),
    ("+12125550102", [("trying", 100, "Trying"), ("ringing", 180, "Trying"), ("busy", 486, "Busy Here")]),
    ("+12125550103", [("trying", 100, "Trying"), ("ringing", 180, "Trying"), ("no-answer", 487, "Request Terminated")]),
    ("+12125550104", [("trying", 100, "Trying"), ("failed", 404, "Not Found")]),
    ("+12125550105", [("trying", 100, "Trying"), ("ringing", 180, "Trying"), ("in-progress", 200, "OK"),
                      ("completed", 200, "OK")]),
    ("+12125550177", [("trying", 100, "Trying"), ("ringing", 180, "Trying"), ("in-progress", 200, "OK"),
                      ("completed", 200, "OK")]),
]


@pytest.mark.parametrize(("to", "expected"), TABLE, ids=[t for t, _ in TABLE])
async def test_the_digit_table(make_sim: MakeSim, recorder: HookRecorder, to: str, expected: list) -> None:
    sim = await make_sim()
    sid, events = await place(sim, recorder, to, tag={"campaign": " spring "})
    assert statuses(events) == expected  # ringing keeps "Trying": jambonz does not update the reason on 1xx
    for event in events:
        body = event.json
        assert body["customerData"] == {"campaign": "spring"}  # the feature server trims tag strings
        assert ("duration" in body) == (body["call_status"] == "completed")
        assert body["call_sid"] == sid and body["direction"] == "outbound" and body["to"] == to
    final = events[-1].json
    if final["call_status"] == "completed":
        by = "jambonz" if to.endswith("05") else "caller"
        assert final["call_termination_by"] == by
        assert final["duration"] == (9 if to.endswith("05") else 4)


async def test_06_stays_until_time_limit(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await make_sim()
    _, events = await place(sim, recorder, "+12125550106", timeLimit=30)
    assert statuses(events)[-1] == ("completed", 200, "OK")
    assert (events[-1].json["duration"], events[-1].json["call_termination_by"]) == (30, "jambonz")


async def test_the_ring_timeout_turns_an_answer_into_no_answer(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await make_sim()
    _, events = await place(sim, recorder, "+12125550101", timeout=1)  # the person would answer after 2.3 s
    assert statuses(events)[-1] == ("no-answer", 487, "Request Terminated")


def test_outcomes_from_the_last_two_digits_of_any_target() -> None:
    assert outcome_for("+12125550102") is Outcome.BUSY
    assert outcome_for("sip:+12125550104@pbx.example:5060") is Outcome.NOT_FOUND
    assert outcome_for("alice05@sip.example") is Outcome.MACHINE
    assert outcome_for("bob") is Outcome.TALK
    assert [outcome_for("+12125550107", attempt) for attempt in (1, 2)] == [Outcome.BUSY, Outcome.TALK]


async def test_a_share_of_webhooks_is_lost_the_same_way_every_run(make_sim: MakeSim, recorder: HookRecorder) -> None:
    lost_each_run = []
    for _ in range(2):
        recorder.requests.clear()
        sim = await make_sim()
        sim.notifier = type(sim.notifier)(sim.alerts, drop_rate=0.5, drop_seed=7)
        sim.jambonz.notifier = sim.notifier
        sid, hooks = await place(sim, recorder, "+12125550101")
        lost_each_run.append(([h.json["call_status"] for h in hooks], sim.notifier.dropped))
        alerts = [a for a in sim.alerts.rows if a["target_sid"] == sid]
        assert len(alerts) == sim.notifier.dropped and all("--drop-webhooks" in a["detail"] for a in alerts)
    assert lost_each_run[0] == lost_each_run[1] and 0 < lost_each_run[0][1] < 4


async def test_every_webhook_lost_leaves_the_gateways_own_record(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await make_sim()
    sim.notifier.drop_rate = 1.0
    sid, hooks = await place(sim, recorder, "+12125550102")
    assert hooks == [] and sim.notifier.sent == 0
    async with client(sim) as c:
        listed = (await c.get(f"{CALLS}/{sid}")).json()
        recent = (await c.get(f"/v1/Accounts/{DEMO_ACCOUNT_SID}/RecentCalls", params={"page": 1, "count": 5,
                                                                                    "filter": sid})).json()
    assert (listed["call_status"], listed["sip_status"]) == ("busy", 486)
    assert [(r["call_sid"], r["answered"], r["sip_status"]) for r in recent["data"]] == [(sid, False, 486)]


def amd_types(recorder: HookRecorder, sid: str) -> list[str]:
    return [r.json["type"] for r in recorder.on("/amd") if r.json["call_sid"] == sid]


AMD_CASES = [
    ("human", "+12125550101", {}, ["amd_human_detected", "amd_stopped"]),
    ("machine", "+12125550105", {}, ["amd_machine_detected", "amd_tone_detected", "amd_machine_stopped_speaking",
                                     "amd_stopped"]),
    ("no speech", "+12125550101", {"timers": {"noSpeechTimeoutMs": 500, "decisionTimeoutMs": 15000}},
     ["amd_no_speech_detected", "amd_stopped"]),
    ("decision timeout", "+12125550105", {"timers": {"noSpeechTimeoutMs": 800, "decisionTimeoutMs": 1000}},
     ["amd_decision_timeout", "amd_stopped"]),
    ("a long threshold hears a short greeting", "+12125550105", {"thresholdWordCount": 30},
     ["amd_human_detected", "amd_stopped"]),
]


@pytest.mark.parametrize(("to", "options", "expected"), [c[1:] for c in AMD_CASES], ids=[c[0] for c in AMD_CASES])
async def test_amd_sequences(make_sim: MakeSim, recorder: HookRecorder, to: str, options: dict, expected: list) -> None:
    sim = await make_sim()
    sid, events = await place(sim, recorder, to, amd={"actionHook": recorder.url("/amd"), **options})
    assert amd_types(recorder, sid) == expected
    first = recorder.on("/amd")[0].json
    assert first["call_status"] == "in-progress" and first["call_sid"] == sid  # CallInfo plus the event
    if expected[0] == "amd_machine_detected":
        assert first["reason"] == "long greeting" and len(first["greeting"].split()) == 9
        tone = recorder.on("/amd")[1].json
        assert (tone["frequency"], tone["variance"]) == (1000, 12)
    if expected[0] == "amd_human_detected":
        assert first["reason"] == "short greeting" and first["language"] == "en-US"
    assert statuses(events)[-1][0] == "completed"


async def test_an_amd_hook_answering_hangup_ends_the_call(make_sim: MakeSim, recorder: HookRecorder) -> None:
    recorder.answers["/amd"] = (
        200,
        lambda r: [{"verb": "hangup"}] if r.json["type"] == "amd_machine_detected" else None,
    )
    sim = await make_sim()
    sid, events = await place(sim, recorder, "+12125550105", amd={"actionHook": recorder.url("/amd")})
    assert amd_types(recorder, sid) == ["amd_machine_detected"]
    final = events[-1].json
    assert (final["call_status"], final["call_termination_by"]) == ("completed", "jambonz")
    assert final["duration"] < 9  # before the machine's message would have ended


async def test_without_an_application_the_call_hook_is_fetched_on_answer(
    make_sim: MakeSim, recorder: HookRecorder
) -> None:
    recorder.answers["/answer"] = (200, [{"verb": "say", "text": "hi"}])
    sim = await make_sim()
    body = {"from": "+12125550100", "to": {"type": "phone", "number": "+12125550101"}, **SPEECH,
            "call_hook": {"url": recorder.url("/answer"), "username": "hook-user", "password": "hook-pass"},
            "call_status_hook": recorder.url("/own-status"), "amd": {"actionHook": "/amd-relative"}}
    async with client(sim) as c:
        assert (await c.post(CALLS, json=body)).status_code == 201
    await sim.engine.idle()
    answer = recorder.on("/answer")[0]
    assert answer.json["call_status"] == "in-progress" and "defaults" in answer.json
    expected = "Basic " + base64.b64encode(b"hook-user:hook-pass").decode()
    assert answer.headers["Authorization"] == expected
    assert [s for s, _, _ in statuses(recorder.on("/own-status"))][-1] == "completed"
    assert [r.json["type"] for r in recorder.on("/amd-relative")] == ["amd_human_detected", "amd_stopped"]


async def test_a_failing_call_hook_hangs_up_and_raises_an_alert(make_sim: MakeSim, recorder: HookRecorder) -> None:
    recorder.answers["/answer"] = (503, None)
    sim = await make_sim()
    body = {"from": "+12125550100", "to": {"type": "phone", "number": "+12125550106"}, **SPEECH,
            "call_hook": recorder.url("/answer"), "call_status_hook": recorder.url("/own-status")}
    async with client(sim) as c:
        await c.post(CALLS, json=body)
    await sim.engine.idle()
    final = recorder.on("/own-status")[-1].json
    assert (final["call_status"], final["call_termination_by"], final["duration"]) == ("completed", "jambonz", 0)
    assert [a["alert_type"] for a in sim.alerts.rows] == ["webhook-failure"]


async def test_every_webhook_is_signed_with_the_account_secret(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await make_sim()
    await place(sim, recorder, "+12125550105", amd={"actionHook": recorder.url("/amd")},
                notifyUrl=recorder.url("/notify"))
    secret = sim.info()["webhook_secret"]
    assert len(recorder.requests) == 4 + 4 + 4
    for r in recorder.requests:
        assert verify_signature(r.raw, r.headers.get("Jambonz-Signature"), secret), r.path
        assert not verify_signature(r.raw, r.headers.get("Jambonz-Signature"), "wh_secret_wrong")
        assert r.headers["Content-Type"] == "application/json" and r.headers["user-agent"] == "jambonz"
        assert b": " not in r.raw  # JSON.stringify's compact form


async def test_get_hooks_carry_no_body_and_basic_auth_needs_both_halves(
    make_sim: MakeSim, recorder: HookRecorder
) -> None:
    sim = await make_sim(status_hook={"url": recorder.url("/status"), "method": "GET", "username": "only-user"})
    async with client(sim) as c:
        await c.post(CALLS, json={"from": "+12125550100", "to": {"type": "phone", "number": "+12125550102"},
                                  "application_sid": DEMO_APPLICATION_SID})
    await sim.engine.idle()
    gets = recorder.on("/status")
    assert [r.method for r in gets] == ["GET", "GET", "GET"] and all(r.raw == b"" for r in gets)
    assert all("Authorization" not in r.headers for r in gets)
    assert all(verify_signature(b"", r.headers["Jambonz-Signature"], sim.info()["webhook_secret"]) for r in gets)


async def test_user_and_sip_and_teams_targets(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await make_sim()
    async with client(sim) as c:
        for to in ({"type": "user", "name": "alice01"}, {"type": "sip", "sipUri": "sip:+12125550102@pbx.example"},
                   {"type": "teams", "number": "+12125550104", "vmail": True}):
            r = await c.post(CALLS, json={"from": "+12125550100", "to": to, "application_sid": DEMO_APPLICATION_SID})
            assert r.status_code == 201, r.text
    await sim.engine.idle()
    finals = {r.json["to"]: r.json["call_status"] for r in recorder.on("/status") if r.json["call_status"] != "trying"}
    assert finals["alice01@sip.demo.vgconsole.invalid"] == "completed"
    assert finals["sip:+12125550102@pbx.example"] == "busy"
    assert finals["+12125550104"] == "failed"


async def test_stopping_the_simulator_ends_its_live_calls_with_their_webhooks(make_sim: MakeSim,
                                                                             recorder: HookRecorder) -> None:
    sim = await make_sim(speed=20)
    sids = {}
    async with client(sim) as c:
        for to in ("+12125550106", "+12125550103"):  # stays until hung up; rings for the ring timeout
            body = {
                "from": "+12125550100",
                "to": {"type": "phone", "number": to},
                "application_sid": DEMO_APPLICATION_SID,
            }
            sids[to] = (await c.post(CALLS, json=body)).json()["sid"]
    await recorder.wait_for(lambda got: {"in-progress", "ringing"} <= {x.json["call_status"] for x in got})
    await sim.stop()
    assert statuses(recorder.on("/status"), sids["+12125550106"])[-1] == ("completed", 200, "OK")
    assert statuses(recorder.on("/status"), sids["+12125550103"])[-1] == ("no-answer", 487, "Request Terminated")
