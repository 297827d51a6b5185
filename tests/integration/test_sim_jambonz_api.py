"""The simulated jambonz / Cognigy REST API over real HTTP on loopback."""

from __future__ import annotations

import json
from typing import Any

import pytest

from console.config import DEMO_ACCOUNT_SID, DEMO_APPLICATION_SID
from console.simulator.seed import OTHER_ACCOUNT_API_KEY, OTHER_ACCOUNT_SID
from tests.integration.conftest import MakeSim, client
from tests.integration.sim_helpers import HookRecorder, statuses

CALLS = f"/v1/Accounts/{DEMO_ACCOUNT_SID}/Calls"


def dial(to: str = "+12125550101", **extra: Any) -> dict[str, Any]:
    return {
        "from": "+12125550100",
        "to": {"type": "phone", "number": to},
        "application_sid": DEMO_APPLICATION_SID,
        **extra,
    }


async def test_create_answers_201_with_sid_and_call_id_spelt_per_mode(make_sim: MakeSim) -> None:
    for mode, key in (("jambonz", "callId"), ("cognigy", "callid")):
        sim = await make_sim(mode)
        async with client(sim) as c:
            r = await c.post(CALLS, json=dial())
        assert r.status_code == 201, r.text
        assert set(r.json()) == {"sid", key}


# ---------------------------------------------------------------- auth


async def test_bearer_auth_as_passport_does_it(make_sim: MakeSim) -> None:
    sim = await make_sim()
    async with client(sim, key=None) as c:
        r = await c.get(CALLS)
        assert (r.status_code, r.text, r.headers["WWW-Authenticate"]) == (401, "Unauthorized", 'Bearer realm="Users"')
        r = await c.get(CALLS, headers={"Authorization": "Bearer not-a-key"})
        assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Bearer realm="Users", error="invalid_token"'
        r = await c.get(CALLS, headers={"Authorization": "Bearer two parts"})
        assert (r.status_code, r.text) == (400, "Bad Request")
        r = await c.get(CALLS, params={"access_token": sim.info()["api_key"]})
        assert r.status_code == 200


async def test_a_malformed_account_sid_is_a_bad_request(make_sim: MakeSim) -> None:
    async with client(await make_sim()) as c:
        r = await c.post("/v1/Accounts/not-a-sid/Calls", json=dial())
    assert (r.status_code, r.json()) == (400, {"msg": "Bad request"})


async def test_keys_that_may_not_place_calls_or_read_another_account(make_sim: MakeSim) -> None:
    sim = await make_sim()
    async with client(sim, key="sp") as c:
        r = await c.post(CALLS, json=dial())
        assert (r.status_code, r.json()) == (
            400,
            {"msg": f"unauthorized createCall request for account {DEMO_ACCOUNT_SID}"},
        )
        assert (await c.get(CALLS)).status_code == 200  # a service-provider key may read its accounts
    async with client(sim, key=OTHER_ACCOUNT_API_KEY) as c:
        r = await c.post(CALLS, json=dial())  # another account's key: the account route refuses it first
        assert (r.status_code, r.json()) == (403, {"msg": "insufficient permissions"})
        r = await c.get(CALLS)
        assert (r.status_code, r.json()) == (403, {"msg": "insufficient permissions"})
        r = await c.get(f"/v1/Accounts/{DEMO_ACCOUNT_SID}/RecentCalls", params={"page": 1, "count": 10})
        assert (r.status_code, r.json()) == (403, {"status": "fail", "message": "insufficient privileges"})
        r = await c.get("/v1/PhoneNumbers")
        assert [n["number"] for n in r.json()] == ["15085550123"]  # another account's key sees its own only
    assert OTHER_ACCOUNT_SID != DEMO_ACCOUNT_SID


# ---------------------------------------------------------------- validation, in the API server's order


INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("no from", {"to": {"type": "phone", "number": "+1"}}, "missing from parameter"),
    ("no to", {"from": "1"}, "missing or invalid to property: undefined"),
    ("to without number", {"from": "1", "to": {"type": "phone"}}, 'missing or invalid to property: {"type":"phone"}'),
    ("to of unknown type", {"from": "1", "to": {"type": "fax", "number": "1"}},
     'missing or invalid to property: {"type":"fax","number":"1"}'),
    ("sip without sipUri", {"from": "1", "to": {"type": "sip", "number": "1"}},
     'missing or invalid to property: {"type":"sip","number":"1"}'),
    ("unknown application", dial(application_sid="00000000-0000-4000-8000-000000000000"),
     "application_sid not found 00000000-0000-4000-8000-000000000000"),
    ("no application and no speech", {"from": "1", "to": {"type": "phone", "number": "1"}, "call_hook": "https://a.example/x"},
     "either application_sid or set of speech_synthesis_vendor, speech_synthesis_language, speech_synthesis_voice, "
     "speech_recognizer_vendor, speech_recognizer_language required"),
]
SPEECH = {"speech_synthesis_vendor": "google", "speech_synthesis_language": "en-US", "speech_synthesis_voice": "x",
          "speech_recognizer_vendor": "google", "speech_recognizer_language": "en-US"}
INVALID += [
    (
        "speech but no hook",
        {"from": "1", "to": {"type": "phone", "number": "1"}, **SPEECH},
        "either call_hook or application_sid required",
    ),
    (
        "relative call_hook",
        {"from": "1", "to": {"type": "phone", "number": "1"}, **SPEECH, "call_hook": "/answer"},
        "call_hook url be an absolute url",
    ),
    (
        "hook object without url",
        {"from": "1", "to": {"type": "phone", "number": "1"}, **SPEECH, "call_hook": {"method": "POST"}},
        "call_hook must be string or an object containing a url property",
    ),
    (
        "relative status hook",
        {
            "from": "1",
            "to": {"type": "phone", "number": "1"},
            **SPEECH,
            "call_hook": "https://a.example/x",
            "call_status_hook": "status",
        },
        "call_status_hook url be an absolute url",
    ),
]


@pytest.mark.parametrize(("body", "expected"), [i[1:] for i in INVALID], ids=[i[0] for i in INVALID])
async def test_create_validation_messages(make_sim: MakeSim, body: dict[str, Any], expected: str) -> None:
    async with client(await make_sim()) as c:
        r = await c.post(CALLS, json=body)
    assert (r.status_code, r.json()) == (400, {"msg": expected})


REFUSED_BY_JAMBONZ = [
    ("notifyUrl", dial(notifyUrl="https://a.example/n")),
    ("answerOnBridge", dial(answerOnBridge=True)),
    ("dtmfCapture", dial(dtmfCapture=["1"], dtmfHook="https://a.example/d")),
    ("unknown target property", dial() | {"to": {"type": "phone", "number": "+12125550101", "colour": "red"}}),
    ("timeout as text", dial(timeout="30")),
    ("amd without actionHook", dial(amd={"thresholdWordCount": 9})),
    ("unknown amd timer", dial(amd={"actionHook": "https://a.example/amd", "timers": {"fooMs": 1}})),
]


@pytest.mark.parametrize("body", [b for _, b in REFUSED_BY_JAMBONZ], ids=[n for n, _ in REFUSED_BY_JAMBONZ])
async def test_jambonz_mode_refuses_fields_outside_rest_dial_with_a_bare_500(make_sim: MakeSim, body: dict) -> None:
    async with client(await make_sim("jambonz")) as c:
        r = await c.post(CALLS, json=body)
    assert (r.status_code, r.text) == (500, "Internal Server Error")


async def test_cognigy_mode_accepts_its_own_fields(make_sim: MakeSim, recorder: HookRecorder) -> None:
    async with client(await make_sim("cognigy")) as c:
        r = await c.post(CALLS, json=dial(notifyUrl={"url": recorder.url("/notify"), "method": "POST"},
                                          dtmfCapture=["*9"], dtmfHook=recorder.url("/dtmf"),
                                          actionHook=recorder.url("/action"), timeLimit=30))
    assert r.status_code == 201, r.text
    await recorder.wait_for(lambda rs: any(x.path == "/action" for x in rs))
    assert [s for s, _, _ in statuses(recorder.on("/notify"))] == ["trying", "ringing", "in-progress", "completed"]
    action = recorder.on("/action")[0].json
    assert (action["dial_call_status"], action["dial_sip_status"]) == ("completed", 200)


async def test_no_capacity_is_480(make_sim: MakeSim) -> None:
    sim = await make_sim()
    sim.jambonz.capacity = False
    async with client(sim) as c:
        r = await c.post(CALLS, json={"nothing": "valid"})  # capacity is checked before validation
    assert (r.status_code, r.json()) == (480, {"msg": "no available feature servers at this time"})


async def test_rate_limit_429_with_ratelimit_headers(make_sim: MakeSim) -> None:
    async with client(await make_sim(rate_limit=3)) as c:
        answers = [await c.get("/v1/PhoneNumbers") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["RateLimit-Remaining"] == "2" and answers[0].headers["RateLimit-Policy"] == "3;w=300"
    last = answers[-1]
    assert last.text == "Too many requests, please try again later."
    assert last.headers["RateLimit-Remaining"] == "0" and 0 < int(last.headers["RateLimit-Reset"]) <= 300
    assert last.headers["Retry-After"] == last.headers["RateLimit-Reset"]


async def test_an_unknown_route_is_express_html(make_sim: MakeSim) -> None:
    async with client(await make_sim()) as c:
        r = await c.get(f"/v1/Accounts/{DEMO_ACCOUNT_SID}/PhoneNumbers")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert f"<pre>Cannot GET /v1/Accounts/{DEMO_ACCOUNT_SID}/PhoneNumbers</pre>" in r.text


async def test_invalid_json_is_a_bad_request(make_sim: MakeSim) -> None:
    async with client(await make_sim()) as c:
        r = await c.post(CALLS, content=b'{"from": ', headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["msg"].startswith("invalid JSON body")


# ---------------------------------------------------------------- lists


async def test_phone_numbers_without_plus_bare_or_paged(make_sim: MakeSim) -> None:
    async with client(await make_sim()) as c:
        bare = (await c.get("/v1/PhoneNumbers")).json()
        paged = (await c.get("/v1/PhoneNumbers", params={"page": 1, "page_size": 2})).json()
        filtered = (await c.get("/v1/PhoneNumbers", params={"filter": "4420"})).json()
    assert [n["number"] for n in bare] == ["12125550100", "12125550199", "442079460958"]
    assert (paged["total"], paged["page"], paged["page_size"], len(paged["data"])) == (3, 1, 2, 2)
    assert [n["number"] for n in filtered] == ["442079460958"]


async def test_applications_both_paths_bare_or_paged(make_sim: MakeSim) -> None:
    async with client(await make_sim()) as c:
        top = (await c.get("/v1/Applications")).json()
        under = (await c.get(f"/v1/Accounts/{DEMO_ACCOUNT_SID}/Applications")).json()
        paged = (await c.get("/v1/Applications", params={"page": 2, "page_size": 1})).json()
        named = (await c.get("/v1/Applications", params={"name": "survey"})).json()
    assert [a["name"] for a in top] == ["Demo IVR", "Survey bot"] and top == under
    assert paged["total"] == 2 and [a["name"] for a in paged["data"]] == ["Survey bot"]
    assert [a["name"] for a in named] == ["Survey bot"]


async def test_webhook_secret_and_regenerate(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await make_sim()
    url = f"/v1/Accounts/{DEMO_ACCOUNT_SID}/WebhookSecret"
    async with client(sim) as c:
        assert (await c.get(url)).json() == {"webhook_secret": sim.info()["webhook_secret"]}
        fresh = (await c.get(url, params={"regenerate": "true"})).json()["webhook_secret"]
        assert fresh.startswith("wh_secret_") and fresh != "wh_secret_vgconsoleDemo7f3k2p9q"
        assert sim.info()["webhook_secret"] == fresh


# ---------------------------------------------------------------- live calls and control


async def call_until(recorder: HookRecorder, c, body: dict[str, Any], status: str) -> str:
    r = await c.post(CALLS, json=body)
    assert r.status_code == 201, r.text
    sid = r.json()["sid"]
    await recorder.wait_for(
        lambda rs: any(x.json and x.json.get("call_sid") == sid and x.json.get("call_status") == status for x in rs)
    )
    return sid


async def test_live_calls_as_redis_gives_them(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await make_sim(speed=200)
    async with client(sim) as c:
        sid = await call_until(recorder, c, dial("+12125550106", tag={"crm": {"id": 7}}), "in-progress")
        listed = (await c.get(CALLS)).json()
        one = (await c.get(f"{CALLS}/{sid}")).json()
        filtered = (await c.get(CALLS, params={"callStatus": "busy"})).json()
        count = (await c.get(f"/v1/Accounts/{DEMO_ACCOUNT_SID}/CallCount")).json()
        unknown = await c.get(f"{CALLS}/00000000-0000-4000-8000-000000000000")
    assert [x["call_sid"] for x in listed] == [sid] and filtered == []
    assert one["call_status"] == "in-progress" and one["sip_status"] == 200 and isinstance(one["sip_status"], int)
    assert one["service_url"].startswith("http://") and "customerData" not in one  # objects are not in redis
    assert all(isinstance(v, str) for k, v in one.items() if k not in ("sip_status", "duration"))
    assert count == {"inbound": 0, "outbound": 1}
    assert (unknown.status_code, unknown.text) == (404, "Not Found")


async def test_hang_up_an_answered_call(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await make_sim(speed=200)
    async with client(sim) as c:
        sid = await call_until(recorder, c, dial("+12125550106"), "in-progress")
        r = await c.put(f"{CALLS}/{sid}", json={"call_status": "no-answer"})
        assert (r.status_code, r.text) == (
            422,
            f"current call state is incompatible with requested action for call_sid {sid}",
        )
        r = await c.put(f"{CALLS}/{sid}", json={"call_status": "completed"})
        assert r.status_code == 202 and r.text == ""
        await recorder.wait_for(lambda rs: statuses(rs, sid)[-1:] == [("completed", 200, "OK")])
        last = recorder.on("/status")[-1].json
        assert last["call_termination_by"] == "jambonz" and isinstance(last["duration"], int)
        r = await c.put(f"{CALLS}/{sid}", json={"call_status": "completed"})
        assert (r.status_code, r.text) == (422, f"call session is gone for call_sid {sid}")
        r = await c.post(f"{CALLS}/{sid}", json={"mute_status": "mute"})  # the legacy POST is routed too
        assert r.status_code == 422


async def test_cancel_a_ringing_call(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await make_sim(speed=200)
    async with client(sim) as c:
        sid = await call_until(recorder, c, dial("+12125550103", timeout=600), "ringing")
        r = await c.put(f"{CALLS}/{sid}", json={"call_status": "completed"})
        assert r.status_code == 422  # completed needs an answered call
        r = await c.put(f"{CALLS}/{sid}", json={"call_status": "no-answer"})
        assert r.status_code == 202
        await recorder.wait_for(lambda rs: statuses(rs, sid)[-1:] == [("no-answer", 487, "Request Terminated")])


async def test_update_validation_and_other_actions(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await make_sim(speed=200)
    async with client(sim) as c:
        sid = await call_until(recorder, c, dial("+12125550106", tag={"step": 1}), "in-progress")
        url = f"{CALLS}/{sid}"
        assert (await c.put(url, json={})).json() == {"msg": "no valid options supplied to updateCall"}
        r = await c.put(url, json={"mute_status": "mute", "call_status": "completed"})
        assert r.json() == {"msg": "multiple options are not allowed in updateCall"}
        assert (await c.put(url, json={"call_status": "paused"})).json() == {"msg": "invalid call_status"}
        assert (await c.put(url, json={"mute_status": "loud"})).json() == {"msg": "invalid mute_status"}
        assert (await c.put(url, json={"record": {}})).status_code == 400
        assert (await c.put(url, json={"mute_status": "mute"})).status_code == 202
        sip = await c.put(url, json={"sip_request": {"method": "INFO", "content_type": "text/plain", "content": "hi"}})
        assert (sip.status_code, sip.json()) == (200, {"status": 200, "reason": "OK"})
        assert (await c.put(url, json={"tag": {"step": 2}})).status_code == 202
        assert (
            await c.put(f"{CALLS}/00000000-0000-4000-8000-000000000000", json={"call_status": "completed"})
        ).status_code == 404
        malformed = await c.put(f"{CALLS}/not-a-call-sid", json={"call_status": "completed"})
        assert (malformed.status_code, malformed.json()) == (400, {"msg": "Bad request"})  # validateSid, as the server
        await c.put(url, json={"call_status": "completed"})
        await recorder.wait_for(lambda rs: statuses(rs, sid)[-1:] == [("completed", 200, "OK")])
    assert recorder.on("/status")[-1].json["customerData"] == {"step": 2}


async def test_delete_removes_the_record_but_not_the_call(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await make_sim(speed=200)
    async with client(sim) as c:
        sid = await call_until(recorder, c, dial("+12125550101"), "ringing")
        assert (await c.delete(f"{CALLS}/{sid}")).status_code == 204
        assert (await c.get(f"{CALLS}/{sid}")).status_code == 404
        assert (await c.delete(f"{CALLS}/{sid}")).status_code == 404
    await recorder.wait_for(lambda rs: statuses(rs, sid)[-1:] == [("completed", 200, "OK")])


async def test_recent_calls_need_paging_and_list_finished_calls(make_sim: MakeSim, recorder: HookRecorder) -> None:
    sim = await make_sim()
    url = f"/v1/Accounts/{DEMO_ACCOUNT_SID}/RecentCalls"
    async with client(sim) as c:
        assert (await c.get(url)).json() == {"msg": 'missing or invalid "page" query arg'}
        assert (await c.get(url, params={"page": 1, "count": 501})).json() == {
            "msg": 'missing or invalid "count" query arg'
        }
        for to in ("+12125550101", "+12125550102"):
            await call_until(recorder, c, dial(to), "busy" if to.endswith("02") else "completed")
        page = (await c.get(url, params={"page": "1", "count": "10"})).json()
        answered = (await c.get(url, params={"page": 1, "count": 10, "answered": "true"})).json()
        today = (await c.get(url, params={"page": 1, "count": 10, "days": 1})).json()
        future = (await c.get(url, params={"page": 1, "count": 10, "start": "2999-01-01T00:00:00.000Z"})).json()
        by_sid = (await c.get(url, params={"page": 1, "count": 10, "filter": page["data"][0]["call_sid"]})).json()
    assert (page["total"], page["page"], page["page_size"]) == (2, "1", "10")
    assert [r["to"] for r in page["data"]] == ["12125550102", "12125550101"]  # newest first, no +
    assert [r["termination_reason"] for r in page["data"]] == ["busy", "called party hungup"]
    assert [r["to"] for r in answered["data"]] == ["12125550101"] and answered["data"][0]["duration"] == 4
    assert (today["total"], future["total"], by_sid["total"]) == (2, 0, 1)


async def test_recent_calls_are_ordered_by_when_they_were_attempted_not_when_they_ended(
        make_sim: MakeSim, recorder: HookRecorder) -> None:
    """jambonz's time series stores a CDR at its attempted_at and lists `ORDER BY time DESC`: a long call
    placed first and ended last stays below a short call placed after it."""
    sim = await make_sim()
    async with client(sim) as c:
        first = (await c.post(CALLS, json=dial("+12125550101"))).json()["sid"]  # answered: talks for a while
        await recorder.wait_for(lambda rs: "ringing" in [s for s, _, _ in statuses(rs, first)])
        second = await call_until(recorder, c, dial("+12125550102"), "busy")  # busy: over at once
        await recorder.wait_for(lambda rs: statuses(rs, first)[-1:] == [("completed", 200, "OK")])
        page = (await c.get(f"/v1/Accounts/{DEMO_ACCOUNT_SID}/RecentCalls", params={"page": 1, "count": 10})).json()
    assert [r["call_sid"] for r in page["data"]] == [second, first]
    assert page["data"][0]["terminated_at"] < page["data"][1]["terminated_at"]  # the second ended first


async def test_failed_webhooks_become_alerts_and_calls_go_on(make_sim: MakeSim, recorder: HookRecorder) -> None:
    recorder.answers["/broken"] = (500, None)
    recorder.answers["/locked"] = (401, None)
    sim = await make_sim(status_hook={"url": "http://127.0.0.1:9/refused"})  # port 9: nothing listens
    async with client(sim) as c:
        sid = (await c.post(CALLS, json=dial(notifyUrl=recorder.url("/broken")))).json()["sid"]
        await c.post(CALLS, json=dial("+12125550102", notifyUrl=recorder.url("/locked")))
        await sim.engine.idle()
        alerts = (await c.get(f"/v1/Accounts/{DEMO_ACCOUNT_SID}/Alerts", params={"page": 1, "count": 100})).json()
        only = (await c.get(f"/v1/Accounts/{DEMO_ACCOUNT_SID}/Alerts",
                            params={"page": 1, "count": 100, "alert_type": "webhook-auth-failure"})).json()
    kinds = {a["alert_type"] for a in alerts["data"]}
    assert kinds == {"webhook-connection-failure", "webhook-failure", "webhook-auth-failure"}
    broken = [a for a in alerts["data"] if a["alert_type"] == "webhook-failure"]
    assert broken[0]["message"] == f"{recorder.url('/broken')} returned 500" and broken[0]["target_sid"] == sid
    assert {a["alert_type"] for a in only["data"]} == {"webhook-auth-failure"}
    assert [s for s, _, _ in statuses(recorder.on("/broken"))] == ["trying", "ringing", "in-progress", "completed"]


async def test_only_json_bodies_are_read(make_sim: MakeSim) -> None:
    async with client(await make_sim()) as c:
        r = await c.post(CALLS, content=json.dumps(dial()).encode(), headers={"Content-Type": "text/plain"})
    assert r.json() == {"msg": "missing from parameter"}  # express.json() leaves other bodies empty


async def test_carriers_list_the_names_to_trunk_takes(make_sim: MakeSim) -> None:
    async with client(await make_sim()) as c:
        top = (await c.get("/v1/VoipCarriers")).json()
        under = (await c.get(f"/v1/Accounts/{DEMO_ACCOUNT_SID}/VoipCarriers")).json()
        r = await c.post(
            CALLS, json=dial() | {"to": {"type": "phone", "number": "+12125550101", "trunk": "Demo Carrier EU"}}
        )
    assert [x["name"] for x in top] == ["Demo Carrier US", "Demo Carrier EU"] and top == under
    assert r.status_code == 201
