from __future__ import annotations

import json
from functools import partial

from pydantic import SecretStr

from console.redact import MASK, Redactor, mask, redact, redact_url


def test_mask_shows_at_most_the_last_four_of_a_long_secret() -> None:
    assert mask("0123456789abcdefWXYZ") == MASK + "WXYZ"
    assert mask("short-secret") == MASK
    assert mask(SecretStr("0123456789abcdefWXYZ")) == MASK + "WXYZ"
    assert mask(None) == "(not set)"


def test_redact_masks_secret_fields_urls_and_known_values() -> None:
    body = {
        "to": {"type": "sip", "sipUri": "sip:bob@pbx.example", "auth": {"username": "bob", "password": "pw-1234"}},
        "statusWebhookPassword": "hook-pass",
        "tenantConfig": {"config": {"outboundCalls": {"sipAuth": {"username": "u", "password": "p"}}}},
        "call_hook": {"url": "https://user:pass1234@app.example/hook?token=abc&x=1"},
        "note": "key is LEAKY-KEY-9999 inside text",
        "Authorization": "Bearer xyz",
        "empty_password": "",
    }
    out = redact(body, known=["LEAKY-KEY-9999"])
    assert out["to"]["auth"] == {"username": "bob", "password": MASK}
    assert out["statusWebhookPassword"] == MASK
    assert out["tenantConfig"]["config"]["outboundCalls"]["sipAuth"]["password"] == MASK
    assert out["call_hook"]["url"] == f"https://user:{MASK}@app.example/hook?token={MASK}&x=1"
    assert out["note"] == f"key is {MASK} inside text"
    assert out["Authorization"] == MASK
    assert out["empty_password"] == ""
    assert body["to"]["auth"]["password"] == "pw-1234"  # the input is left alone


def test_redact_url_leaves_plain_urls_alone() -> None:
    assert redact_url("https://app.example/hook?x=1") == "https://app.example/hook?x=1"
    assert redact_url("https://apikey:k@gw.example/vgw") == f"https://apikey:{MASK}@gw.example/vgw"


def test_redactor_json_masks_what_redact_masks_and_passes_clean_text_through() -> None:
    dumps = partial(json.dumps, separators=(",", ":"))
    r = Redactor(["LEAKY-KEY-9999"])
    clean = {"call_id": "1@10.0.0.1", "from": "+12125550100", "direction": "outbound"}
    assert r.json(clean, dumps) == dumps(clean)
    for dirty in (
        {"context": {"sipAuth": {"PassWord": "p"}}},  # a secret key, nested and in another case
        {"x": [{"ApiKey": "k"}]},
        {"recording_url": "https://user:pw99@rec.example/a.wav"},
        {"greeting": "say LEAKY-KEY-9999 now"},
        {"x-api-key": "k", "bearer": "b"},
    ):
        assert r.json(dirty, dumps) == dumps(redact(dirty, known=["LEAKY-KEY-9999"]))
        assert r.json(dirty, dumps) != dumps(dirty)


def test_one_rule_for_secret_names_in_values_and_in_text_as_it_came() -> None:
    for name in ("api_token", "auth_token", "X-Auth-Token", "x-api-key", "clientSecret", "PIN", "Proxy-Authorization"):
        assert redact({name: "v-123"}) == {name: MASK}, name
    for name in ("username", "to", "call_sid", "from", "duration"):
        assert redact({name: "v"}) == {name: "v"}, name
    raw = '{"call_sid":"s","customerData":{"password":"hunter2","auth_token":"t-1","note":"ok"}}'
    assert redact(raw) == '{"call_sid":"s","customerData":{"password":"••••","auth_token":"••••","note":"ok"}}'
    assert redact("status=ANSWER&api_token=t-2&mid=9") == f"status=ANSWER&api_token={MASK}&mid=9"
