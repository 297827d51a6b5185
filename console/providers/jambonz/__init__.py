"""Open-source jambonz: the `rest:dial` fields of POST /v1/Accounts/{account_sid}/Calls, as its API
server and feature server accept them (anything else fails the create with a bare 500)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from console.fields import Common, Declarations, Declared
from console.problems import FieldValueError
from console.providers import DEMO_ACCOUNT_SID, DEMO_APPLICATION_SID, Provider
from console.providers.base import Incoming, Room, Webhooks, bearer
from console.providers.jambonz.profile import JambonzProfile
from console.status import AMD_EVENTS, CallEvent, CallStatus, EventKind
from console.webhooks import BadPayload, parse_json_object, seconds, text, whole

HOOK_EXAMPLE = "https://hooks.example.com/call"


def hook(path: str, model: str, group: str, text: str, url: str = HOOK_EXAMPLE) -> Declared:
    """A webhook field: a URL, or {url, method, username, password}."""
    return Declared(path, model, "hook", group, text, url, wire={"url": url, "method": "POST"},
                    limits="http(s):// or ws(s):// URL, or {url, method, username, password}")


# Shared by jambonz and Cognigy Voice Gateway (a jambonz fork): the body both accept.
FAMILY: tuple[Declared, ...] = (
    Declared("from", "from", "text", "call", "calling number or SIP user (user part of the From URI)",
             "+12125550100", common=True),
    Declared("to.type", "to.type", "choice", "target", "what is dialled", "phone", default="phone",
             choices=("phone", "sip", "user", "teams"), common=True),
    Declared("to.number", "to.number", "text", "target", "the number to call (E.164)", "+12125550101",
             targets=("phone", "teams"), common=True),
    Declared("to.sipUri", "to.sip_uri", "text", "target", "the SIP URI to call", "sip:alice@sip.example.com",
             targets=("sip",), common=True),
    Declared("to.name", "to.name", "text", "target", "a registered SIP user (alice or alice@realm)", "alice",
             targets=("user",), common=True),
    Declared("to.trunk", "to.trunk", "text", "target", "carrier name to send the call through", "carrier-a",
             targets=("phone",), limits="an unknown name is silently ignored by the gateway", form="trunk",
             label="Carrier trunk", placeholder="carrier name (optional)"),
    Declared("to.auth.username", "to.auth.username", "text", "target", "SIP digest user, if the far end challenges",
             "trunkuser", targets=("sip",), form="sip_user", label="SIP auth user"),
    Declared("to.auth.password", "to.auth.password", "secret", "target", "SIP digest password", "trunk-pass",
             targets=("sip",), form="sip_password", label="SIP auth pass"),
    Declared("to.overrideTo", "to.override_to", "text", "target", "X-Override-To for a registered user",
             "alice@other.example.com", targets=("user",)),
    Declared("to.tenant", "to.tenant", "text", "target", "Microsoft Teams tenant FQDN", "contoso.example.com",
             targets=("teams",), default="the account's", form="tenant", label="Teams tenant",
             placeholder="default: the account's"),
    Declared("to.vmail", "to.vmail", "bool", "target", "Teams: straight to voicemail", True, targets=("teams",),
             default="false", form="vmail", label="Voicemail"),
    Declared("to.proxy", "to.proxy", "text", "target", "send the INVITE through this SIP proxy",
             "sip:proxy.example.com"),
    Declared("to.headers", "to.headers", "json", "target", "SIP headers merged last into the INVITE",
             {"X-Route": "b"}, open=True),
    Declared("application_sid", "application_sid", "text", "call", "the application that runs the call",
             "0e06a1b0-d49f-4fb8-b973-b5a3c6758de1", limits="a UUID", common=True),
    Declared("callerName", "caller_name", "text", "call", "display name in the From header", "Vacation Agent",
             limits="64 characters, no quotes", form="caller_name", label="Caller name"),
    Declared("fromHost", "from_host", "text", "call", "host part of the From URI", "cognigy.cloud",
             form="from_host", label="From host"),
    Declared("timeout", "timeout", "int", "call", "seconds to ring before giving up", 20, default="60",
             limits="1-600", common=True, form="timeout", label="Ring timeout (s)", placeholder="60"),
    Declared("timeLimit", "time_limit", "int", "call", "longest the call may last after answer, seconds", 300,
             limits="1-86400", form="time_limit", label="Time limit (s)"),
    Declared("tag", "tags", "json", "call", "metadata for the call; returned in every webhook as customerData",
             {"crm": "A-17"}, open=True, common=True),
    Declared("headers", "headers", "json", "call", "custom SIP headers on the INVITE", {"X-Campaign": "spring"},
             open=True, common=True),
    Declared("speech_synthesis_vendor", "speech.synthesis_vendor", "text", "speech", "text-to-speech vendor",
             "google", default="the application's"),
    Declared("speech_synthesis_language", "speech.synthesis_language", "text", "speech",
             "text-to-speech language", "en-US", default="the application's"),
    Declared("speech_synthesis_voice", "speech.synthesis_voice", "text", "speech", "text-to-speech voice",
             "en-US-Standard-C", default="the application's"),
    Declared("speech_recognizer_vendor", "speech.recognizer_vendor", "text", "speech", "speech recognizer vendor",
             "google", default="the application's"),
    Declared("speech_recognizer_language", "speech.recognizer_language", "text", "speech",
             "speech recognizer language", "en-US", default="the application's"),
    hook("call_hook", "jambonz.call_hook", "hooks", "fetched on answer for the verbs to run (instead of an "
         "application)"),
    hook("call_status_hook", "jambonz.call_status_hook", "hooks", "call status webhooks (ignored with an "
         "application)", "https://hooks.example.com/status"),
    hook("referHook", "jambonz.refer_hook", "hooks", "called when the far end sends a SIP REFER",
         "https://hooks.example.com/refer"),
    Declared("sipRequestWithinDialogHook", "jambonz.sip_request_within_dialog_hook", "text", "hooks",
             "called for SIP INFO/MESSAGE within the call", "https://hooks.example.com/in-dialog"),
    Declared("dual_streams", "jambonz.dual_streams", "bool", "media", "two media streams (advanced)", True),
    Declared("amd", "amd", "json", "amd", "answering-machine detection; its results come to this console",
             {"actionHook": "https://hooks.example.com/amd", "thresholdWordCount": 7},
             wire={"actionHook": {"url": "https://hooks.example.com/amd", "method": "POST"}, "thresholdWordCount": 7},
             open=True, common=True),
    hook("amd.actionHook", "amd.actionHook", "amd", "where AMD results go (default: this console)",
         "https://hooks.example.com/amd"),
    Declared("amd.thresholdWordCount", "amd.thresholdWordCount", "int", "amd", "greeting words that mean a "
             "machine", 8, default="9", limits="1-100"),
    Declared("amd.digitCount", "amd.digitCount", "int", "amd", "consecutive digits that mean a machine", 4,
             default="0 (off)", limits="0-32"),
    Declared("amd.timers.noSpeechTimeoutMs", "amd.timers.noSpeechTimeoutMs", "int", "amd",
             "no speech for this long: amd_no_speech_detected", 4000, default="5000", limits="500-60000 ms"),
    Declared("amd.timers.decisionTimeoutMs", "amd.timers.decisionTimeoutMs", "int", "amd",
             "no decision for this long: amd_decision_timeout", 12000, default="15000", limits="1000-120000 ms"),
    Declared("amd.timers.toneTimeoutMs", "amd.timers.toneTimeoutMs", "int", "amd", "listen this long for a beep",
             18000, default="20000", limits="1000-120000 ms"),
    Declared("amd.timers.greetingCompletionTimeoutMs", "amd.timers.greetingCompletionTimeoutMs", "int", "amd",
             "silence after a machine greeting", 1500, default="2000", limits="100-30000 ms"),
    Declared("amd.recognizer", "amd.recognizer", "json", "amd", "speech recognizer for AMD: vendor, language, "
             "label and the vendor's options", {"vendor": "google", "language": "en-US"}, open=True,
             default="the application's"),
)

FIELDS = FAMILY
DESTINATION = {"phone": "to.number", "sip": "to.sipUri", "user": "to.name", "teams": "to.number"}
SAMPLE = Common(to="+12125550101", from_="+12125550100", app="0e06a1b0-d49f-4fb8-b973-b5a3c6758de1")


def common(c: Common) -> dict[str, Any]:
    """The flags and the form's first fields as the family's documented paths (tags go in by themselves)."""
    target = c.target_type()
    if target not in DESTINATION:
        raise ValueError(f"to.type: the target is one of {', '.join(DESTINATION)}, not {target!r}")
    values: dict[str, Any] = {"to.type": target, DESTINATION[target]: c.to.strip()}
    for path, value in (("from", c.from_), ("application_sid", c.app), ("timeout", c.timeout),
                        ("headers", c.headers or None), ("amd", c.amd)):
        if value is not None:
            values[path] = value
    return values


# The feature server's CallStatus values (constants.json), plus the swagger's `alerting`.
# 486/603 arrive as `busy`, 487 (ring timeout or API cancel) as `no-answer`.
STATUS: dict[str, CallStatus] = {
    "queued": CallStatus.QUEUED,
    "trying": CallStatus.DIALING,
    "ringing": CallStatus.RINGING,
    "alerting": CallStatus.RINGING,
    "early-media": CallStatus.RINGING,
    "in-progress": CallStatus.ANSWERED,
    "completed": CallStatus.COMPLETED,
    "busy": CallStatus.BUSY,
    "no-answer": CallStatus.NO_ANSWER,
    "failed": CallStatus.FAILED,
}
# The hooks a jambonz-family call reports to, by the kind in their route.
HOOK_KINDS = {"status": EventKind.STATUS, "amd": EventKind.AMD, "action": EventKind.ACTION, "call": EventKind.STATUS}


def status(word: str | None, ended: bool = False, failure: str | None = None) -> CallStatus | None:
    return STATUS.get(str(word).strip().lower()) if word is not None else None


def webhook_event(provider: Provider, hook: Incoming) -> CallEvent:
    """A call:status, AMD, action or call-hook webhook; a GET hook's event is its query."""
    payload = dict(hook.query) if hook.method == "GET" else parse_json_object(hook.raw)
    raw = hook.query_string if hook.method == "GET" else hook.raw.decode("utf-8", errors="replace")
    kind = HOOK_KINDS[hook.kind]
    call_sid = payload.get("call_sid")
    if not isinstance(call_sid, str) or not call_sid:
        raise BadPayload("no call_sid: this is not a jambonz call event")
    details: dict[str, Any] = {k: payload[k] for k in ("call_termination_by", "call_id", "direction", "from", "to")
                               if payload.get(k) is not None}
    amd = amd_reason = None
    said = provider_status = None
    if kind is EventKind.AMD:
        word = payload.get("type")
        if not isinstance(word, str) or not word:
            raise BadPayload("an AMD event needs a type (amd_human_detected, ...)")
        amd = AMD_EVENTS.get(word)
        provider_status = word
        amd_reason = text(payload.get("reason"))
        for key in ("greeting", "hint", "language", "frequency", "variance", "error"):
            if payload.get(key) is not None:
                details[key] = payload[key]
    else:
        word = payload.get("call_status")
        if word is not None and not isinstance(word, str):
            raise BadPayload("call_status is not text")
        provider_status = word
        said = status(word)
        for key in ("dial_call_status", "dial_sip_status"):
            if payload.get(key) is not None:
                details[key] = payload[key]
    customer = payload.get("customerData")
    return CallEvent(
        profile=hook.profile, provider=provider, kind=kind, call_sid=call_sid, token=hook.token, status=said,
        provider_status=provider_status, sip_status=whole(payload.get("sip_status")),
        sip_reason=text(payload.get("sip_reason")), amd=amd, amd_reason=amd_reason,
        duration=seconds(payload.get("duration")) if said is not None and said.final else None,
        customer_data=customer if isinstance(customer, dict) else None, received_at=hook.received_at,
        verified=hook.verified, raw=raw, details=details,
    )


SECTIONS = frozenset({"caller_name", "from_host", "application_sid", "timeout", "time_limit", "amd", "headers",
                      "speech", "jambonz", "cognigy"})  # cognigy's own are left out for jambonz, with a note


def check(request: Any) -> None:
    has_hook = request.jambonz is not None and request.jambonz.call_hook is not None
    if not request.application_sid and not has_hook:
        raise FieldValueError("application_sid", "either an application (application_sid) or a call_hook is needed")


def gateway() -> type[Any]:
    from console.providers.jambonz.gateway import JambonzGateway

    return JambonzGateway


def room(provider: Provider, fields: tuple[Declared, ...], title: str, client: Callable[[], type[Any]],
         profile: type[Any], demo: str) -> Room:
    """A jambonz-family provider: jambonz itself, or a fork of it (Cognigy Voice Gateway)."""
    return Room(
        name=provider.value, family="jambonz", declarations=Declarations(provider.value, fields, common, SAMPLE),
        status=status,
        webhooks=Webhooks(kinds=frozenset(HOOK_KINDS), auth="signature",
                          parse=lambda hook: webhook_event(provider, hook), get_carries_data=True, answers_call=True),
        auth_header=bearer, targets=tuple(DESTINATION), amd=True, sip_headers=True, sections=SECTIONS, check=check,
        title=title, gateway=client, profile=profile,
        demo={"description": f"{demo} on the built-in simulator", "account_sid": DEMO_ACCOUNT_SID,
              "defaults": {"from": "+12125550100", "application": DEMO_APPLICATION_SID}},
    )


ROOM = room(Provider.JAMBONZ, FIELDS, "jambonz", gateway, JambonzProfile, "open-source jambonz")
