"""A DialRequest from a profile's dial defaults plus what the operator gave (CLI flags, `--request`, `--set`).

Everything passes through the provider's field declarations, layered: the profile's defaults, then the flags,
then a whole request (`--request`), then `--set PATH=VALUE`; a later layer wins, objects merge key by key.
"""

from __future__ import annotations

from typing import Any

from console.calls import DialRequest
from console.config import Settings
from console.fields import Common, Declarations
from console.problems import InvalidInput, Problem
from console.providers import declarations, room
from console.request_parts import check_header, parse_json_text


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
            tags: dict[str, Any] | None = None, headers: dict[str, str] | None = None, amd: bool = False,
            target: str | None = None, timeout: int | None = None, request: dict[str, Any] | None = None,
            sets: dict[str, Any] | None = None) -> DialRequest:
    """Validate as the gateway needs it; raises InvalidInput (each problem under the field's documented name)
    or ValueError."""
    profile = settings.profile(profile_name)
    d = profile.defaults
    fields = declarations(profile.provider)
    whole = fields.flatten(request) if request else {}
    given = {**whole, **(sets or {})}
    chosen = app or d.application
    kinds = {a.id: a.kind for a in profile.applications}
    caller = from_ or d.from_ or next((n.number for n in profile.numbers), None)
    profile_values = profile.documented_defaults()
    callers = {"from", "bridge"} & ({*profile_values, *given})  # a caller by the field's own name
    if caller is None and room(profile.provider).from_required and not callers:
        raise ValueError(f"profile {profile_name} has no caller number: give one (--from), or set defaults.from")
    kind = str(given.get("to.type") or target or profile_values.get("to.type")
               or (d.target_type if not to.strip().lower().startswith("sip") else ""))
    # AMD is on as the form has it: asked for, configured for the profile, or one of its options given
    amd = amd or d.amd is not None or any(p == "amd" or p.startswith("amd.") for p in given)
    amd_options = d.amd.model_dump(by_alias=True, exclude_none=True) if d.amd else {}
    common = Common(to=to, target=kind or None, from_=caller, app=chosen, app_kind=kinds.get(chosen or ""),
                    timeout=timeout if timeout is not None else d.timeout,
                    headers={**d.headers, **(headers or {})}, amd=amd_options if amd else None)
    flags = {p: v for p, v in fields.common(common).items() if v != ""}  # no --to: the request's destination
    values = fields.layer(profile_values, fields.without_alternatives(flags, given))
    values = fields.layer(fields.layer(values, whole), sets or {})
    data: dict[str, Any] = {"provider": profile.provider, "tags": {**d.tags, **(tags or {})}}
    return build(fields, data, values, profile.region or settings.default_region)


def build(fields: Declarations, data: dict[str, Any], values: dict[str, Any], region: str | None) -> DialRequest:
    problems = fields.apply(data, values)
    if problems:
        raise InvalidInput(problems)
    try:
        return DialRequest.build(data, region=region)
    except InvalidInput as exc:
        raise InvalidInput([Problem(fields.public(p.field), p.message) for p in exc.problems]) from None
