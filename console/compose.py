"""A DialRequest from a profile's dial defaults plus what the operator typed (CLI flags, the dial form)."""

from __future__ import annotations

from typing import Any

from console.calls import DialRequest, check_header, parse_json_text
from console.config import Settings


def parse_tag(text: str) -> tuple[str, Any]:
    """`key=value`; a value that is JSON (2, true, {"a": 1}) stays JSON, anything else is text."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"tag {text!r} is not key=value")
    try:
        return key.strip(), parse_json_text(value)
    except ValueError:
        return key.strip(), value


def parse_header(text: str) -> tuple[str, str]:
    """`Name: value`, checked as a SIP header."""
    name, sep, value = text.partition(":")
    if not sep:
        raise ValueError(f"header {text!r} is not 'Name: value'")
    return check_header(name, value)


def compose(settings: Settings, profile_name: str, *, to: str, from_: str | None = None, app: str | None = None,
            tags: dict[str, Any] | None = None, headers: dict[str, str] | None = None, amd: bool = False) -> DialRequest:
    """Validate as the gateway needs it; raises InvalidInput (field by field) or ValueError."""
    profile = settings.profile(profile_name)
    d = profile.defaults
    provider = profile.provider
    data: dict[str, Any] = {"provider": provider}
    target = to.strip()
    data["to"] = {"type": "sip", "sip_uri": target} if target.startswith(("sip:", "sips:")) else {"type": "phone", "number": target}
    caller = from_ or d.from_ or next((n.number for n in profile.numbers), None)
    if caller is None:
        raise ValueError(f"profile {profile_name} has no caller number: give one (--from), or set defaults.from")
    data["from"] = caller
    chosen = app or d.application
    if provider in ("cognigy", "jambonz"):
        data["application_sid"] = chosen
        for field in ("caller_name", "from_host", "timeout", "time_limit"):
            if getattr(d, field) is not None:
                data[field] = getattr(d, field)
        data["headers"] = {**d.headers, **(headers or {})}
        if amd:
            data["amd"] = d.amd.model_dump() if d.amd else {}
    elif provider == "ibm":
        if chosen:
            data["ibm"] = {"agent": chosen}
    elif provider == "mobtexting":
        kind = next((a.kind for a in profile.applications if a.id == chosen), None)
        is_audio = kind == "audio" or (chosen or "").startswith(("http://", "https://"))
        data["mobtexting"] = {"audio" if is_audio else "flow_id": chosen}
    if provider not in ("cognigy", "jambonz") and (headers or amd):
        raise ValueError(f"{provider} has no SIP headers or AMD options")
    data["tags"] = {**d.tags, **(tags or {})}
    return DialRequest.build(data, region=profile.region or settings.default_region)
