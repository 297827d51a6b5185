"""The feature server's checks on a create-call body: express-validator's types, then the strict
`rest:dial` verb spec (@jambonz/verb-specifications 0.1.13), where an unknown property anywhere fails
the call. The API server turns any such failure into a bare 500, so the reason only reaches the log."""

from __future__ import annotations

from typing import Any

# rest:dial properties and their JS typeof kinds ("object|string" = either).
REST_DIAL: dict[str, str] = {
    "account_sid": "string", "application_sid": "string", "call_hook": "object|string",
    "call_status_hook": "object|string", "from": "string", "callerName": "string", "fromHost": "string",
    "speech_synthesis_vendor": "string", "speech_synthesis_language": "string", "speech_synthesis_voice": "string",
    "speech_recognizer_vendor": "string", "speech_recognizer_language": "string", "tag": "object",
    "to": "#target", "headers": "object", "timeout": "number", "timeLimit": "number", "amd": "#amd",
    "sipRequestWithinDialogHook": "string", "referHook": "object|string", "dual_streams": "boolean", "id": "string",
}
# Cognigy Voice Gateway accepts these too (its docs' advanced fields and notifyUrl).
COGNIGY_EXTRA: dict[str, str] = {
    "notifyUrl": "object|string", "actionHook": "object|string", "confirmHook": "object|string",
    "dtmfCapture": "array", "dtmfHook": "object|string", "listen": "object", "transcribe": "object",
}
TARGET: dict[str, str] = {
    "type": "string", "confirmHook": "object|string", "method": "string", "headers": "object", "from": "object",
    "name": "string", "number": "string", "sipUri": "string", "auth": "#auth", "vmail": "boolean",
    "tenant": "string", "trunk": "string", "overrideTo": "string", "proxy": "string",
}
AMD: dict[str, str] = {
    "actionHook": "object|string", "thresholdWordCount": "number", "digitCount": "number",
    "timers": "#amdTimers", "recognizer": "#recognizer",
}
AMD_TIMERS = {
    k: "number" for k in ("noSpeechTimeoutMs", "decisionTimeoutMs", "toneTimeoutMs", "greetingCompletionTimeoutMs")
}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "null"


def _check(name: str, obj: Any, spec: dict[str, str], required: tuple[str, ...] = ()) -> None:
    if not isinstance(obj, dict):
        raise ValueError(f"{name}: must be an object")
    for key in required:
        if key not in obj:
            raise ValueError(f"{name}: missing value for {key}")
    for key, value in obj.items():
        if key not in spec:
            raise ValueError(f"{name}: unknown property {key}")
        want = spec[key]
        if want == "#target":
            _check("target", value, TARGET, ("type",))
            if value["type"] not in ("phone", "sip", "user", "teams"):
                raise ValueError(f"target: invalid type {value['type']}")
        elif want == "#amd":
            _check("amd", value, AMD, ("actionHook",))
        elif want == "#amdTimers":
            _check("amdTimers", value, AMD_TIMERS)
        elif want == "#auth":
            _check("auth", value, {"username": "string", "password": "string"}, ("username", "password"))
        elif want == "#recognizer":
            if not isinstance(value, dict) or "vendor" not in value:
                raise ValueError("recognizer: missing value for vendor")
        elif _kind(value) not in want.split("|"):
            raise ValueError(f"{name}: property {key} must be {want}, got {_kind(value)}")


def feature_server_check(body: dict[str, Any], cognigy: bool) -> None:
    """Raise ValueError with the feature server's reason when it would refuse this body."""
    if "application_sid" in body and (
        not isinstance(body["application_sid"], str) or len(body["application_sid"]) != 36
    ):
        raise ValueError("application_sid must be a string of length 36")
    if not isinstance(body.get("from"), str) or not 1 <= len(body["from"]) <= 256:
        raise ValueError("from must be a string of 1 to 256 characters")
    for key in ("timeout", "timeLimit"):
        if key in body and (_kind(body[key]) != "number" or body[key] != int(body[key])):
            raise ValueError(f"{key} must be an integer")
    spec = {**REST_DIAL, **COGNIGY_EXTRA} if cognigy else REST_DIAL
    _check("rest:dial", body, spec, ("call_hook", "from", "to"))
