"""Every DialRequest rule: a bad input, the field it is reported on, and the operator's message."""

from __future__ import annotations

import json
from typing import Any

import pytest

from console.calls import DialRequest
from console.problems import InvalidInput
from console.request_parts import (
    HEADERS_MAX_COUNT,
    TAGS_MAX_BYTES,
    AmdOptions,
    PhoneTarget,
    SipTarget,
    check_header,
    tags_from_pairs,
)

APP = "0e06a1b0-d49f-4fb8-b973-b5a3c6758de1"


def base(provider: str = "cognigy") -> dict[str, Any]:
    if provider == "mobtexting":
        return {"provider": provider, "to": {"type": "phone", "number": "+919876543210"}, "from": "+918068280000",
                "mobtexting": {"flow_id": "351"}}
    if provider == "ibm":
        return {"provider": provider, "to": {"type": "phone", "number": "+12125550101"}, "from": "+12125550150"}
    return {"provider": provider, "to": {"type": "phone", "number": "+12125550101"}, "from": "+12125550100",
            "application_sid": APP}


def build(provider: str = "cognigy", region: str | None = "US", **changes: Any) -> DialRequest:
    data = base(provider)
    for key, value in changes.items():
        data[key.rstrip("_")] = value
    return DialRequest.build(data, region=region)


def problems(provider: str = "cognigy", region: str | None = "US", **changes: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as info:
        build(provider, region, **changes)
    return [(p.field, p.message) for p in info.value.problems]


RULES: list[tuple[str, dict[str, Any], str, str]] = [
    # (what, changes, field, message fragment)
    (
        "local-only number",
        {"to": {"type": "phone", "number": "+1 555 0100"}},
        "to.number",
        "+1 555 0100: too short for US",
    ),
    ("too long", {"to": {"type": "phone", "number": "+4412345678901234567"}}, "to.number", "too long for GB"),
    ("not a number", {"to": {"type": "phone", "number": "call me"}}, "to.number", "not a phone number"),
    ("unknown country code", {"to": {"type": "phone", "number": "+999 123"}}, "to.number", "unknown country code"),
    (
        "unassigned range",
        {"to": {"type": "phone", "number": "+1 000 555 0100"}},
        "to.number",
        "not an assigned number range",
    ),
    (
        "extension",
        {"to": {"type": "phone", "number": "+1 212 555 0100 ext 5"}},
        "to.number",
        "extensions cannot be dialled",
    ),
    ("empty number", {"to": {"type": "phone", "number": " "}}, "to.number", "a phone number is needed"),
    ("unknown target type", {"to": {"type": "fax", "number": "+12125550101"}}, "to.type", "'fax' is not one of"),
    ("no target type", {"to": {"number": "+12125550101"}}, "to.type", "is required"),
    ("sip uri without scheme", {"to": {"type": "sip", "sipUri": "bob@example.com"}}, "to.sip_uri", "is not a SIP URI"),
    (
        "sip auth without password",
        {"to": {"type": "sip", "sipUri": "sip:bob@example.com", "auth": {"username": "bob"}}},
        "to.auth.password",
        "is required",
    ),
    ("user name with space", {"to": {"type": "user", "name": "bob smith"}}, "to.name", "is not a SIP user name"),
    (
        "teams tenant not a host",
        {"to": {"type": "teams", "number": "+12125550101", "tenant": "not a host!"}},
        "to.tenant",
        "is not a host name",
    ),
    (
        "proxy not a SIP URI",
        {"to": {"type": "phone", "number": "+12125550101", "proxy": "10.0.0.1"}},
        "to.proxy",
        "is not a SIP URI",
    ),
    (
        "trunk with a line break",
        {"to": {"type": "phone", "number": "+12125550101", "trunk": "a\nb"}},
        "to.trunk",
        "control characters",
    ),
    ("empty from", {"from_": "  "}, "from", "a caller number or SIP user is needed"),
    ("from neither number nor user", {"from_": "hello world"}, "from", "neither a phone number nor a SIP user name"),
    ("from local-only", {"from_": "555 0100"}, "from", "too short for US"),
    ("caller name with quote", {"caller_name": 'Acme "Support"'}, "caller_name", "cannot contain quotes"),
    ("caller name too long", {"caller_name": "x" * 65}, "caller_name", "the limit is 64"),
    ("from host not a host", {"from_host": "exa mple.com"}, "from_host", "is not a host name"),
    ("application sid not a uuid", {"application_sid": "my-app"}, "application_sid", "is not a sid"),
    ("timeout in milliseconds", {"timeout": 30000}, "timeout", "ring timeout is in seconds, 1 to 600"),
    ("time limit zero", {"time_limit": 0}, "time_limit", "time limit is in seconds"),
    ("timeout not a number", {"timeout": "soon"}, "timeout", "must be a whole number"),
    (
        "amd threshold zero",
        {"amd": {"thresholdWordCount": 0}},
        "amd.threshold_word_count",
        "greater than or equal to 1",
    ),
    ("amd digit count too high", {"amd": {"digitCount": 33}}, "amd.digit_count", "less than or equal to 32"),
    (
        "amd no-speech after decision",
        {"amd": {"timers": {"noSpeechTimeoutMs": 20000, "decisionTimeoutMs": 15000}}},
        "amd.timers",
        "must be shorter than decisionTimeoutMs",
    ),
    (
        "amd timer too small",
        {"amd": {"timers": {"greetingCompletionTimeoutMs": 5}}},
        "amd.timers.greeting_completion_timeout_ms",
        "greater than or equal to 100",
    ),
    ("amd unknown option", {"amd": {"disconnectOnAMD": True}}, "amd.disconnectOnAMD", "is not a known setting"),
    (
        "amd recognizer without vendor",
        {"amd": {"recognizer": {"language": "en-US"}}},
        "amd.recognizer.vendor",
        "is required",
    ),
    ("amd relative action hook", {"amd": {"actionHook": "/amd"}}, "amd.action_hook.url", "must be an absolute"),
    (
        "tags not JSON",
        {"tags": "{campaign: spring}"},
        "tags",
        "tags is not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2",
    ),
    ("tags a list", {"tags": "[1, 2]"}, "tags", "tags must be a JSON object"),
    ("tags too big", {"tags": {"note": "x" * TAGS_MAX_BYTES}}, "tags", f"the limit is {TAGS_MAX_BYTES:,}"),
    ("tags nested too deeply", {"tags": '{"a": ' + "[" * 5000 + "]" * 5000 + "}"}, "tags", "nested too deeply"),
    ("tags with NaN", {"tags": {"score": float("nan")}}, "tags", "only JSON values"),
    ("tags empty name", {"tags": {" ": 1}}, "tags", "tag names must be non-empty"),
    (
        "header with CRLF",
        {"headers": {"X-Note": "hi\r\nVia: SIP/2.0/UDP evil"}},
        "headers",
        "contains a line break (CR/LF), which would inject headers",
    ),
    ("header with bare LF", {"headers": {"X-Note": "hi\nthere"}}, "headers", "line break"),
    ("header name with space", {"headers": {"X Bad": "1"}}, "headers", "' ', which SIP header names cannot contain"),
    ("header name with colon", {"headers": {"X-Bad:": "1"}}, "headers", "SIP header names cannot contain"),
    ("reserved header", {"headers": {"Call-ID": "abc"}}, "headers", "Call-ID is set by the SIP stack"),
    ("reserved compact header", {"headers": {"v": "SIP/2.0/UDP x"}}, "headers", "is set by the SIP stack"),
    ("header control character", {"headers": {"X-Note": "a\x00b"}}, "headers", "control characters"),
    ("header value too long", {"headers": {"X-Note": "x" * 1025}}, "headers", "the limit is 1,024"),
    (
        "too many headers",
        {"headers": {f"X-H{i}": "1" for i in range(HEADERS_MAX_COUNT + 1)}},
        "headers",
        f"the limit is {HEADERS_MAX_COUNT}",
    ),
    ("header twice", {"headers": {"X-A": "1", "x-a": "2"}}, "headers", "appears twice"),
    ("header empty value", {"headers": {"X-A": "  "}}, "headers", "the value is empty"),
    (
        "headers too large in total",
        {"headers": {f"X-H{i}": "x" * 900 for i in range(5)}},
        "headers",
        "the limit is 4,096",
    ),
    ("no application or hook", {"application_sid": None}, "application_sid", "either an application"),
    ("ibm options on cognigy", {"ibm": {"context": {"a": 1}}}, "ibm", "not available on cognigy (ibm only)"),
    ("mobtexting options on cognigy", {"mobtexting": {"flow_id": "1"}}, "mobtexting",
     "not available on cognigy (mobtexting only)"),
    (
        "dtmf capture not DTMF",
        {"cognigy": {"dtmf_capture": ["12x"], "dtmf_hook": "https://h.example/d"}},
        "cognigy.dtmf_capture",
        "is not a DTMF sequence",
    ),
    ("dtmf capture without hook", {"cognigy": {"dtmf_capture": ["123"]}}, "cognigy", "needs a dtmf_hook"),
    (
        "webhook user without password",
        {"jambonz": {"call_hook": {"url": "https://h.example/a", "username": "u"}}},
        "jambonz.call_hook",
        "needs both a username and a password",
    ),
    ("notify url not a URL", {"cognigy": {"notify_url": "status"}}, "cognigy.notify_url.url", "must be an absolute"),
    ("unknown field", {"colour": "red"}, "colour", "is not a known setting"),
    ("unknown provider", {"provider": "twilio"}, "provider", "must be 'cognigy', 'jambonz', 'ibm' or 'mobtexting'"),
]


@pytest.mark.parametrize(("changes", "field", "fragment"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_each_rule_names_the_field_and_says_why(changes: dict[str, Any], field: str, fragment: str) -> None:
    found = problems(**changes)
    assert any(f == field and fragment in m for f, m in found), found


PROVIDER_RULES: list[tuple[str, str, dict[str, Any], str, str]] = [
    ("timeout on ibm", "ibm", {"timeout": 30}, "timeout", "not available on ibm"),
    ("headers on mobtexting", "mobtexting", {"headers": {"X-A": "1"}}, "headers", "not available on mobtexting"),
    ("amd on ibm", "ibm", {"amd": {}}, "amd", "not available on ibm"),
    (
        "user target on ibm",
        "ibm",
        {"to": {"type": "user", "name": "bob"}},
        "to",
        "IBM Voice Gateway dials tel: or sip:",
    ),
    ("ibm route not SIP", "ibm", {"ibm": {"route": "sip:a.example, http://b"}}, "ibm.route.1", "is not a SIP URI"),
    ("ibm update method alone", "ibm", {"ibm": {"update_method": "merge"}}, "ibm", "applies to a tenant_config"),
    (
        "ibm update method unknown",
        "ibm",
        {"ibm": {"update_method": "patch", "tenant_config": {}}},
        "ibm.update_method",
        "must be 'merge' or 'replace'",
    ),
    (
        "sip target on mobtexting",
        "mobtexting",
        {"to": {"type": "sip", "sipUri": "sip:a@b.example"}},
        "to",
        "MOBtexting dials phone numbers only",
    ),
    ("mobtexting from a SIP user", "mobtexting", {"from_": "alice"}, "from", "needs the bridge number"),
    (
        "mobtexting without flow or audio",
        "mobtexting",
        {"mobtexting": None},
        "mobtexting",
        "needs an IVR flow id or an audio",
    ),
    (
        "mobtexting flow and audio",
        "mobtexting",
        {"mobtexting": {"flow_id": "351", "audio": "welcome"}},
        "mobtexting",
        "exactly one of",
    ),
    (
        "mobtexting interval",
        "mobtexting",
        {"mobtexting": {"flow_id": "351", "interval": 10}},
        "mobtexting.interval",
        "must be one of 5, 15, 30, 45, 60 minutes",
    ),
    (
        "mobtexting audio neither id nor URL",
        "mobtexting",
        {"mobtexting": {"audio": "not a url!"}},
        "mobtexting.audio",
        "neither a sound id nor an http(s) URL",
    ),
    (
        "mobtexting flow id with space",
        "mobtexting",
        {"mobtexting": {"flow_id": "35 1"}},
        "mobtexting.flow_id",
        "is not an IVR flow id",
    ),
    (
        "mobtexting variable name",
        "mobtexting",
        {"mobtexting": {"flow_id": "351", "variables": {"o-t-p": "1"}}},
        "mobtexting.variables",
        "letters, digits and '_' only",
    ),
]


@pytest.mark.parametrize(("provider", "changes", "field", "fragment"), [r[1:] for r in PROVIDER_RULES],
                         ids=[r[0] for r in PROVIDER_RULES])
def test_each_provider_rule(provider: str, changes: dict[str, Any], field: str, fragment: str) -> None:
    found = problems(provider, **changes)
    assert any(f == field and fragment in m for f, m in found), found


def test_every_problem_is_reported_not_only_the_first() -> None:
    found = problems(to={"type": "phone", "number": "+1 555 0100"}, from_="hello world", timeout=0)
    assert {f for f, _ in found} == {"to.number", "from", "timeout"}


def test_numbers_are_normalised_to_e164_in_the_profile_region() -> None:
    req = build(region="DE", to={"type": "phone", "number": "030 1234567"}, from_="(030) 7654-321")
    assert isinstance(req.to, PhoneTarget)
    assert (req.to.number, req.from_) == ("+49301234567", "+49307654321")


def test_a_number_without_country_code_needs_a_region() -> None:
    found = problems(region=None, to={"type": "phone", "number": "2125550101"})
    assert found == [
        ("to.number", "2125550101: unknown country code; start with + and the country code, e.g. +1 212 555 0100")
    ]


def test_a_sip_user_is_a_valid_caller() -> None:
    assert build(from_="alice").from_ == "alice"


def test_each_target_type_builds_and_dumps_in_jambonz_form() -> None:
    sip = build(to={"type": "sip", "sip_uri": "sip:bob@pbx.example:5061;transport=tls",
                    "auth": {"username": "bob", "password": "pw"}})
    assert isinstance(sip.to, SipTarget)
    wire = sip.to.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
    assert wire["sipUri"] == "sip:bob@pbx.example:5061;transport=tls" and wire["auth"]["username"] == "bob"
    user = build(to={"type": "user", "name": "alice@sip.example.com", "overrideTo": "alice"})
    assert user.destination == "alice@sip.example.com"
    teams = build(to={"type": "teams", "number": "+12125550101", "tenant": "contoso.example", "vmail": True})
    assert teams.to.model_dump(by_alias=True)["vmail"] is True


def test_amd_defaults_are_the_documented_ones_and_dump_camel_case() -> None:
    wire = AmdOptions().model_dump(by_alias=True, exclude_none=True)
    assert wire == {
        "thresholdWordCount": 9, "digitCount": 0,
        "timers": {"noSpeechTimeoutMs": 5000, "decisionTimeoutMs": 15000, "toneTimeoutMs": 20000,
                   "greetingCompletionTimeoutMs": 2000},
    }


def test_amd_recognizer_keeps_vendor_options() -> None:
    amd = build(amd={"recognizer": {"vendor": "google", "language": "en-US", "hints": ["voicemail"]}}).amd
    assert amd is not None and amd.recognizer is not None
    assert amd.recognizer.model_dump()["hints"] == ["voicemail"]


def test_tags_from_editor_rows_parse_json_values_and_keep_text() -> None:
    tags = tags_from_pairs([("campaign", "spring"), ("priority", "2"), ("crm", '{"id": 7}'), ("vip", "true")])
    assert tags == {"campaign": "spring", "priority": 2, "crm": {"id": 7}, "vip": True}
    with pytest.raises(ValueError, match="appears twice"):
        tags_from_pairs([("a", "1"), ("a", "2")])
    with pytest.raises(ValueError, match="no name"):
        tags_from_pairs([("", "1")])


def test_tags_as_json_text_are_accepted() -> None:
    assert build(tags='{"campaign": "spring", "n": [1, 2]}').tags == {"campaign": "spring", "n": [1, 2]}
    assert build(tags="").tags == {}


def test_header_check_keeps_tabs_and_trims() -> None:
    assert check_header(" X-Note ", " a\tb ") == ("X-Note", "a\tb")


def test_ibm_route_accepts_a_comma_list_and_angle_brackets() -> None:
    req = build("ibm", ibm={"route": "<sip:edge1.example;lr>, sip:edge2.example"})
    assert req.ibm is not None and req.ibm.route == ["sip:edge1.example;lr", "sip:edge2.example"]


def test_mobtexting_accepts_an_audio_url_and_an_interval() -> None:
    req = build("mobtexting", mobtexting={"audio": "https://cdn.example.in/a.mp3", "interval": 15, "name": "q4"})
    assert req.mobtexting is not None and (req.mobtexting.audio, req.mobtexting.interval) == (
        "https://cdn.example.in/a.mp3",
        15,
    )


def test_jambonz_call_hook_replaces_the_application() -> None:
    req = build("jambonz", application_sid=None, jambonz={"call_hook": "https://app.example/answer"})
    assert req.jambonz is not None and req.jambonz.call_hook is not None
    assert req.jambonz.call_hook.method == "POST"


def test_secrets_in_a_request_dump_as_masked() -> None:
    req = build(
        to={"type": "sip", "sip_uri": "sip:bob@pbx.example", "auth": {"username": "bob", "password": "hunter2hunter2"}}
    )
    assert "hunter2" not in json.dumps(req.model_dump(mode="json"))
