"""The dial form's logic, without the widgets: which fields a provider shows, how the form's values
become a DialRequest, which field each validation problem belongs to, and what of it is kept between
runs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from console import phone
from console.calls import DialRequest
from console.config import Settings
from console.fields import Common, Declarations, Declared, lookup, parse_value, snake
from console.problems import InvalidInput, Problem
from console.providers import declarations, room
from console.redact import is_secret_key
from console.request_parts import AmdOptions, headers_from_pairs, parse_json_text, tags_from_pairs
from console.uistate import ProfileState, without_secrets

DESTINATION_LABEL = {"phone": "Number", "sip": "SIP URI", "user": "SIP user", "teams": "Teams number"}


def destination_example(target: str, region: str) -> str:
    """The destination field's placeholder: an example, in the profile's own country for a number."""
    if target in ("phone", "teams"):
        return f"e.g. {phone.example(region)}"
    return "e.g. sip:alice@example.com" if target == "sip" else "e.g. alice (a user registered on the gateway)"
# Documented fields with an editor of their own (F6, F7, F8).
_EDITED = ("amd", "tag", "headers")


@dataclass(frozen=True)
class FieldSpec:
    name: str  # the form's id for it
    label: str
    kind: str = "text"  # text, secret, select, switch
    targets: tuple[str, ...] = ()  # shown for these target types only (empty: every one)
    placeholder: str = ""
    options: tuple[str, ...] = ()
    declared: Declared | None = None  # the documented field it fills; None for the form's own


def form_fields(provider: str) -> tuple[FieldSpec, ...]:
    """The form of a provider: what every call has, then the fields its room shows in the form."""
    place = room(provider)
    specs = [FieldSpec("to_type", "Target", "select", options=place.targets),
             FieldSpec("to", "Number"),  # its placeholder follows the target and the profile's country
             FieldSpec("from", "From", placeholder="pick from Numbers, or type"),
             FieldSpec("application", place.application_label, placeholder="pick from Applications, or type")]
    if place.plays:
        specs.append(FieldSpec("mob_plays", "Plays", "select", options=place.plays))
    for d in place.declarations:
        if d.form:
            kind = {"secret": "secret", "bool": "switch", "choice": "select"}.get(d.kind, "text")
            options = ("", *d.choices) if d.choices else ()
            specs.append(FieldSpec(d.form, d.label or d.path, kind, d.targets, d.placeholder, options, d))
    if place.amd:
        specs.append(FieldSpec("amd", "AMD", "switch"))
    return tuple(specs)


def more_fields(fields: Declarations, target: str) -> list[Declared]:
    """The documented fields the form itself does not show, for the fields editor."""
    return [d for d in fields if not d.common and not d.form and d.path.split(".")[0] not in _EDITED
            and (not d.targets or target in d.targets)]


def tag_pairs(tags: dict[str, Any]) -> list[tuple[str, str]]:
    """Tags as the tags editor holds them: text as typed, anything else as its JSON."""
    return [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in tags.items()]


def visible(spec: FieldSpec, target: str) -> bool:
    return not spec.targets or target in spec.targets


def shown_text(value: Any) -> str:
    """A value as a form field holds it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    return value if isinstance(value, str) else json.dumps(value)


@dataclass
class Editors:
    """What the AMD, tags and headers editors hold for one profile, kept for its next call."""

    amd: AmdOptions = field(default_factory=AmdOptions)
    tags: list[tuple[str, str]] = field(default_factory=list)  # name, value as typed (JSON or text)
    headers: list[tuple[str, str]] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)  # other documented fields, by their documented path

    @classmethod
    def from_profile(cls, profile: Any) -> Editors:
        d = profile.defaults
        in_form = {spec.declared.path for spec in form_fields(profile.provider) if spec.declared}
        return cls(amd=d.amd or AmdOptions(),
                   tags=tag_pairs(d.tags),
                   headers=list(d.headers.items()),
                   fields={p: v for p, v in profile.documented_defaults().items() if p not in in_form})


def initial_values(settings: Settings, profile_name: str) -> dict[str, str]:
    """The form as a profile's dial defaults fill it."""
    profile = settings.profile(profile_name)
    d = profile.defaults
    place = room(profile.provider)
    caller = d.from_ or next((n.number for n in profile.numbers), "")
    target = d.target_type if d.target_type in place.targets else "phone"
    values = {"to_type": target, "to": "", "from": caller, "application": d.application or "",
              "timeout": "" if d.timeout is None else str(d.timeout), "amd": "on" if d.amd is not None else "",
              "mob_plays": plays(profile, d.application or "") if place.plays else ""}
    documented = profile.documented_defaults()
    for spec in form_fields(profile.provider):
        declared = spec.declared
        if declared is None:
            continue
        if declared.path in documented:
            values[spec.name] = shown_text(documented[declared.path])
        elif declared.profile_default:
            values[spec.name] = shown_text(getattr(profile, declared.profile_default, None))
        values.setdefault(spec.name, "")
    return values


def plays(profile: Any, chosen: str) -> str:
    """What an application plays, as the profile lists it (an IVR flow unless it says audio, or is a URL)."""
    kind = next((a.kind for a in profile.applications if a.id == chosen), None)
    return "audio" if kind == "audio" or chosen.startswith(("http://", "https://")) else "ivr"


def build_request(settings: Settings, profile_name: str, values: dict[str, str], editors: Editors) -> DialRequest:
    """The form's values as a DialRequest; InvalidInput names the form field of every problem."""
    profile = settings.profile(profile_name)
    provider = profile.provider
    place = room(provider)
    fields = place.declarations
    problems: list[Problem] = []

    def get(name: str) -> str:
        return (values.get(name) or "").strip()

    headers: dict[str, str] = {}
    try:
        headers = headers_from_pairs(editors.headers) if place.sip_headers else {}
    except ValueError as exc:
        problems.append(Problem("headers", str(exc)))
    chosen = get("application") or None
    common = Common(to=get("to"), target=get("to_type") or "phone", from_=get("from") or None, app=chosen,
                    app_kind=(get("mob_plays") or plays(profile, chosen or "")) if place.plays else None,
                    headers=headers or None,
                    amd=editors.amd.model_dump(by_alias=True, exclude_none=True) if get("amd") == "on" else None)
    documented = dict(fields.common(common))
    target = common.target_type()
    for spec in form_fields(provider):
        d = spec.declared
        if d is None or not visible(spec, target):
            continue
        raw = values.get(spec.name) or ""
        if d.kind == "bool":
            documented[d.path] = raw == "on"
        elif not raw.strip():
            continue
        elif d.kind == "int" and not raw.strip().lstrip("-").isdigit():
            unit = " of seconds" if "seconds" in d.help else ""
            problems.append(Problem(spec.name, f"{raw.strip()!r} is not a whole number{unit}"))
        elif d.kind == "json":
            try:
                documented[d.path] = parse_json_text(raw.strip(), d.name)
            except ValueError as exc:
                problems.append(Problem(spec.name, str(exc)))
        else:
            documented[d.path] = raw if d.kind == "secret" else parse_value(raw.strip(), d.kind)
    data: dict[str, Any] = {"provider": provider}
    try:
        data["tags"] = tags_from_pairs(editors.tags)
    except ValueError as exc:
        problems.append(Problem("tags", str(exc)))
    problems += fields.apply(data, documented)
    problems += [Problem("more", str(p)) for p in fields.apply(data, editors.fields)]
    try:
        request = DialRequest.build(data, region=profile.region or settings.default_region)
    except InvalidInput as exc:
        for p in exc.problems:
            public = fields.public(p.field)
            ours = any(public == path or public.startswith(path + ".") for path in editors.fields)
            problems.append(Problem("more", f"{public}: {p.message}") if ours else
                            Problem(field_for(public, provider), p.message))
        raise InvalidInput(problems) from None
    if problems:
        raise InvalidInput(problems)
    return request


# The form's own fields, by the documented paths that fill them (any provider's spelling).
_OWN = {"to.type": "to_type", "from": "from", "bridge": "from", "application_sid": "application",
        "agent": "application", "ivr_id": "application", "audio": "application", "amd": "amd", "tag": "tags",
        "tags": "tags", "headers": "headers"}


def field_for(path: str, provider: str) -> str:
    """The form field a problem belongs to, from its documented path (or the model's own name for it)."""
    path = room(provider).declarations.public(path)
    by_path = {spec.declared.path: spec.name for spec in form_fields(provider) if spec.declared}
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        head = ".".join(parts[:cut])
        if head in by_path:
            return by_path[head]
        if head in _OWN:
            return _OWN[head]
    if parts[0] in room(provider).sections - {"amd", "headers"}:  # a rule across the provider's own options
        return "application"
    return "to"


def form_from_record(settings: Settings, profile_name: str, request: dict[str, Any], *, to_number: str | None,
                     from_number: str | None, target_type: str | None,
                     tags: dict[str, Any]) -> tuple[dict[str, str], Editors]:
    """A past call's fields back in the form (redial). `request` is the stored request: its `dial` part is
    the DialRequest as the operator asked for it, secrets masked; those are left empty to be typed again."""
    values = initial_values(settings, profile_name)
    profile = settings.profile(profile_name)
    editors = Editors.from_profile(profile)
    dial = request.get("dial") if isinstance(request.get("dial"), dict) else None

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    if dial is None:  # recorded before requests kept their form: what the call row itself says
        values.update({"to_type": target_type or "phone", "to": to_number or "", "from": from_number or values["from"]})
        editors.tags = tag_pairs(tags)
        return values, editors
    to = dial.get("to") or {}
    target = to.get("type") or "phone"
    values.update({"to_type": target, "to": text(to.get({"sip": "sip_uri", "user": "name"}.get(target, "number"))),
                   "from": text(dial.get("from_", dial.get("from"))), "amd": "on" if dial.get("amd") else ""})
    for d in room(profile.provider).declarations:  # the application, whichever field of the provider holds it
        if _OWN.get(d.path) == "application" and isinstance(d.model, str):
            try:
                values["application"] = text(lookup(dial, snake(d.model)))
            except KeyError:
                continue
            if d.either:
                values["mob_plays"] = "audio" if d.path == "audio" else "ivr"
            break
    by_path = {spec.declared.path: spec.name for spec in form_fields(profile.provider) if spec.declared}
    editors.fields = {}
    for d in room(profile.provider).declarations:
        if callable(d.model) or d.common or d.path.split(".")[0] in _EDITED:
            continue
        try:
            value = lookup(dial, snake(d.model))
        except KeyError:
            continue
        if d.kind == "secret" or (isinstance(value, dict) and "password" in value):
            continue  # masked in history: typed again
        if d.path in by_path:
            values[by_path[d.path]] = shown_text(value)
        elif d.form == "" and (not d.targets or target in d.targets) and value not in (None, {}, []):
            editors.fields[d.path] = value  # one left empty (to.headers: {}) is not brought back as set
    if dial.get("amd"):
        editors.amd = AmdOptions.model_validate(dial["amd"])
    editors.tags = tag_pairs(dial.get("tags") or {})
    editors.headers = [(k, text(v)) for k, v in (dial.get("headers") or {}).items()]
    return values, editors


# ---------------------------------------------------------------- kept between runs


def kept_state(provider: str, values: dict[str, str], editors: Editors, known: list[str]) -> ProfileState:
    """A profile's form and editors as the console keeps them between runs: never a secret (secret fields,
    the AMD hook with its credentials, rows named like a secret or holding a configured one)."""
    secret_fields = {spec.name for spec in form_fields(provider) if spec.kind == "secret"}
    secret_paths = {d.path for d in declarations(provider) if d.kind == "secret"}
    form = {k: v for k, v in values.items() if k not in secret_fields and not any(s and s in v for s in known)}
    fields = {p: v for p, v in editors.fields.items()
              if p not in secret_paths and not is_secret_key(p.rsplit(".", 1)[-1])
              and not any(s and s in json.dumps(v, default=str) for s in known)}
    amd = editors.amd.model_dump(by_alias=True, exclude_none=True, exclude={"action_hook"})
    return ProfileState(form=form, amd=amd, tags=without_secrets(editors.tags, known),
                        headers=without_secrets(editors.headers, known), fields=fields)


def restored(settings: Settings, profile_name: str, kept: ProfileState) -> tuple[dict[str, str], Editors]:
    """The form and editors a profile was left with, over its defaults; what no longer fits (a field the
    profile lost, options that no longer validate) gives way to the defaults."""
    profile = settings.profile(profile_name)
    values = initial_values(settings, profile_name)
    names = {spec.name for spec in form_fields(profile.provider)}
    values.update({k: v for k, v in kept.form.items() if k in names})
    editors = Editors.from_profile(profile)
    if kept.amd is not None:
        hook = editors.amd.model_dump(by_alias=True, exclude_none=True).get("actionHook")
        try:
            editors.amd = AmdOptions.model_validate({**kept.amd, **({"actionHook": hook} if hook else {})})
        except ValidationError:
            pass  # options this version no longer takes: the profile's
    editors.tags, editors.headers = list(kept.tags), list(kept.headers)
    secret_paths = {d.path for d in declarations(profile.provider) if d.kind == "secret"}
    editors.fields = {**{p: v for p, v in editors.fields.items() if p in secret_paths}, **kept.fields}
    return values, editors

