"""The dial form's logic, without the widgets: which fields a provider shows, how the form's values
become a DialRequest, and which field each validation problem belongs to."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from console.calls import AmdOptions, DialRequest, headers_from_pairs, parse_json_text, tags_from_pairs
from console.config import Settings
from console.fields import Declarations, Declared
from console.problems import InvalidInput, Problem
from console.providers import declarations

JAMBONZ_FAMILY = ("cognigy", "jambonz")
TARGETS = {"cognigy": ("phone", "sip", "user", "teams"), "jambonz": ("phone", "sip", "user", "teams"),
           "ibm": ("phone", "sip"), "mobtexting": ("phone",)}
DESTINATION_LABEL = {"phone": "Number", "sip": "SIP URI", "user": "SIP user", "teams": "Teams number"}
INTERVALS = ("", "5", "15", "30", "45", "60")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    kind: str = "text"  # text, secret, select, switch
    providers: tuple[str, ...] = ("cognigy", "jambonz", "ibm", "mobtexting")
    targets: tuple[str, ...] = ("phone", "sip", "user", "teams")
    placeholder: str = ""
    options: tuple[str, ...] = ()


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("to_type", "Target", "select", options=("phone", "sip", "user", "teams")),
    FieldSpec("to", "Number", placeholder="+1 212 555 0101"),
    FieldSpec("from", "From", placeholder="pick from Numbers, or type"),
    FieldSpec("application", "Application", placeholder="pick from Applications, or type"),
    FieldSpec(
        "trunk", "Carrier trunk", providers=JAMBONZ_FAMILY, targets=("phone",), placeholder="carrier name (optional)"
    ),
    FieldSpec("sip_user", "SIP auth user", providers=JAMBONZ_FAMILY, targets=("sip",)),
    FieldSpec("sip_password", "SIP auth pass", "secret", providers=JAMBONZ_FAMILY, targets=("sip",)),
    FieldSpec(
        "tenant", "Teams tenant", providers=JAMBONZ_FAMILY, targets=("teams",), placeholder="default: the account's"
    ),
    FieldSpec("vmail", "Voicemail", "switch", providers=JAMBONZ_FAMILY, targets=("teams",)),
    FieldSpec("caller_name", "Caller name", providers=JAMBONZ_FAMILY),
    FieldSpec("from_host", "From host", providers=JAMBONZ_FAMILY),
    FieldSpec("timeout", "Ring timeout (s)", providers=JAMBONZ_FAMILY, placeholder="60"),
    FieldSpec("time_limit", "Time limit (s)", providers=JAMBONZ_FAMILY),
    FieldSpec("ibm_context", "Context (JSON)", providers=("ibm",), placeholder='{"customer": "A-17"}'),
    FieldSpec("ibm_route", "Route", providers=("ibm",), placeholder="sip:edge1.example;lr, sip:edge2.example"),
    FieldSpec("ibm_sip_user", "Trunk SIP user", providers=("ibm",)),
    FieldSpec("ibm_sip_password", "Trunk SIP pass", "secret", providers=("ibm",)),
    FieldSpec("mob_plays", "Plays", "select", providers=("mobtexting",), options=("ivr", "audio")),
    FieldSpec("mob_name", "Campaign name", providers=("mobtexting",)),
    FieldSpec("mob_interval", "Retry every (min)", "select", providers=("mobtexting",), options=INTERVALS),
    FieldSpec("mob_webhook", "Webhook id", providers=("mobtexting",)),
    FieldSpec("amd", "AMD", "switch", providers=JAMBONZ_FAMILY),
)
# The form's own fields that are documented request fields: a profile's [defaults] fill them by that name.
FORM_PATHS = {"caller_name": "callerName", "from_host": "fromHost", "timeout": "timeout", "time_limit": "timeLimit",
              "trunk": "to.trunk", "tenant": "to.tenant", "vmail": "to.vmail", "sip_user": "to.auth.username",
              "sip_password": "to.auth.password", "ibm_context": "context", "ibm_route": "route",
              "ibm_sip_user": "tenantConfig.config.outboundCalls.sipAuth.username",
              "ibm_sip_password": "tenantConfig.config.outboundCalls.sipAuth.password",
              "mob_name": "name", "mob_interval": "interval", "mob_webhook": "webhook_id"}
# Documented fields with an editor of their own (F6, F7, F8).
_EDITED = ("amd", "tag", "headers")


def more_fields(fields: Declarations, target: str) -> list[Declared]:
    """The documented fields the form itself does not show, for the fields editor."""
    shown = set(FORM_PATHS.values())
    return [d for d in fields if not d.common and d.path not in shown and d.path.split(".")[0] not in _EDITED
            and (not d.targets or target in d.targets)]
APPLICATION_LABEL = {
    "cognigy": "Application",
    "jambonz": "Application",
    "ibm": "Agent",
    "mobtexting": "IVR flow or audio",
}


def tag_pairs(tags: dict[str, Any]) -> list[tuple[str, str]]:
    """Tags as the tags editor holds them: text as typed, anything else as its JSON."""
    return [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in tags.items()]


def visible(spec: FieldSpec, provider: str, target: str) -> bool:
    return provider in spec.providers and target in spec.targets


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
        documented = declarations(profile.provider).flatten(d.fields)
        shown = set(FORM_PATHS.values())
        return cls(amd=d.amd or AmdOptions(),
                   tags=tag_pairs(d.tags),
                   headers=list(d.headers.items()),
                   fields={path: value for path, value in documented.items() if path not in shown})


def initial_values(settings: Settings, profile_name: str) -> dict[str, str]:
    """The form as a profile's dial defaults fill it."""
    profile = settings.profile(profile_name)
    d = profile.defaults
    provider = profile.provider
    caller = d.from_ or next((n.number for n in profile.numbers), "")
    target = d.target_type if d.target_type in TARGETS[provider] else "phone"
    values = {"to_type": target, "to": "", "from": caller, "application": d.application or "",
              "caller_name": d.caller_name or "", "from_host": d.from_host or "",
              "timeout": "" if d.timeout is None else str(d.timeout),
              "time_limit": "" if d.time_limit is None else str(d.time_limit),
              "amd": "on" if d.amd is not None else "", "mob_interval": "",
              "mob_webhook": getattr(profile, "webhook_id", None) or "",
              "mob_plays": plays(profile, d.application or "")}
    documented = declarations(provider).flatten(d.fields)
    for name, path in FORM_PATHS.items():
        if path in documented:
            value = documented[path]
            values[name] = (("on" if value else "") if isinstance(value, bool) else
                            value if isinstance(value, str) else json.dumps(value))
    return values


def plays(profile: Any, chosen: str) -> str:
    """What a MOBtexting call plays, as the profile lists the choice (an IVR flow unless it says audio)."""
    kind = next((a.kind for a in profile.applications if a.id == chosen), None)
    return "audio" if kind == "audio" or chosen.startswith(("http://", "https://")) else "ivr"


def _number(text: str, field_name: str, problems: list[Problem]) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        problems.append(Problem(field_name, f"{text!r} is not a whole number of seconds"))
        return None


def build_request(settings: Settings, profile_name: str, values: dict[str, str], editors: Editors) -> DialRequest:
    """The form's values as a DialRequest; InvalidInput names the form field of every problem."""
    profile = settings.profile(profile_name)
    provider = profile.provider
    problems: list[Problem] = []

    def get(name: str) -> str:
        return (values.get(name) or "").strip()

    target = get("to_type") or "phone"
    to: dict[str, Any] = {"type": target}
    key = {"phone": "number", "teams": "number", "sip": "sip_uri", "user": "name"}[target]
    to[key] = get("to")
    data: dict[str, Any] = {"provider": provider, "to": to, "from": get("from")}
    if provider in JAMBONZ_FAMILY:
        if target == "phone" and get("trunk"):
            to["trunk"] = get("trunk")
        if target == "sip" and (get("sip_user") or get("sip_password")):
            to["auth"] = {"username": get("sip_user"), "password": values.get("sip_password") or ""}
        if target == "teams":
            if get("tenant"):
                to["tenant"] = get("tenant")
            to["vmail"] = get("vmail") == "on"
        data["application_sid"] = get("application") or None
        for name in ("caller_name", "from_host"):
            if get(name):
                data[name] = get(name)
        for name in ("timeout", "time_limit"):
            number = _number(get(name), name, problems)
            if number is not None:
                data[name] = number
        if get("amd") == "on":
            data["amd"] = editors.amd.model_dump(by_alias=True, exclude_none=True)
        try:
            data["headers"] = headers_from_pairs(editors.headers)
        except ValueError as exc:
            problems.append(Problem("headers", str(exc)))
    elif provider == "ibm":
        ibm: dict[str, Any] = {}
        if get("application"):
            ibm["agent"] = get("application")
        if get("ibm_context"):
            try:
                ibm["context"] = parse_json_text(get("ibm_context"), "context")
            except ValueError as exc:
                problems.append(Problem("ibm_context", str(exc)))
        if get("ibm_route"):
            ibm["route"] = get("ibm_route")
        if get("ibm_sip_user") or get("ibm_sip_password"):
            ibm["sip_auth"] = {"username": get("ibm_sip_user"), "password": values.get("ibm_sip_password") or ""}
        if ibm:
            data["ibm"] = ibm
    else:
        chosen = get("application")
        kind = get("mob_plays") or plays(profile, chosen)
        mob: dict[str, Any] = {"audio" if kind == "audio" else "flow_id": chosen or None}
        if get("mob_name"):
            mob["name"] = get("mob_name")
        if get("mob_interval"):
            mob["interval"] = int(get("mob_interval"))
        if get("mob_webhook"):
            mob["webhook_id"] = get("mob_webhook")
        data["mobtexting"] = mob
    try:
        data["tags"] = tags_from_pairs(editors.tags)
    except ValueError as exc:
        problems.append(Problem("tags", str(exc)))
    documented = declarations(provider)
    problems += [Problem("more", str(p)) for p in documented.apply(data, editors.fields)]
    try:
        request = DialRequest.build(data, region=profile.region or settings.default_region)
    except InvalidInput as exc:
        for p in exc.problems:
            public = documented.public(p.field)
            ours = any(public == path or public.startswith(path + ".") for path in editors.fields)
            problems.append(Problem("more", f"{public}: {p.message}") if ours else
                            Problem(field_for(p.field, provider), p.message))
        raise InvalidInput(problems) from None
    if problems:
        raise InvalidInput(problems)
    return request


def field_for(path: str, provider: str) -> str:
    """The form field a DialRequest problem path belongs to."""
    head, _, rest = path.partition(".")
    if head == "to":
        if rest.startswith("auth"):
            return "sip_password" if "password" in rest else "sip_user"
        return {"tenant": "tenant", "trunk": "trunk", "vmail": "vmail", "type": "to_type"}.get(rest.split(".")[0], "to")
    if head == "application_sid":
        return "application"
    if head == "ibm":
        first = rest.split(".")[0]
        return {"context": "ibm_context", "route": "ibm_route", "sip_auth": "ibm_sip_password" if "password" in rest
                else "ibm_sip_user", "agent": "application"}.get(first, "application")
    if head == "mobtexting":
        first = rest.split(".")[0]
        return {"name": "mob_name", "interval": "mob_interval", "webhook_id": "mob_webhook"}.get(first, "application")
    if head in ("amd", "tags", "headers", "from", "caller_name", "from_host", "timeout", "time_limit"):
        return head
    return "to"


def form_from_record(settings: Settings, profile_name: str, request: dict[str, Any], *, to_number: str | None,
                     from_number: str | None, target_type: str | None,
                     tags: dict[str, Any]) -> tuple[dict[str, str], Editors]:
    """A past call's fields back in the form (redial). `request` is the stored request: its `dial` part is
    the DialRequest as the operator asked for it, secrets masked; those are left empty to be typed again."""
    values = initial_values(settings, profile_name)
    editors = Editors.from_profile(settings.profile(profile_name))
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
                   "from": text(dial.get("from_", dial.get("from"))), "application": text(dial.get("application_sid")),
                   "caller_name": text(dial.get("caller_name")), "from_host": text(dial.get("from_host")),
                   "timeout": text(dial.get("timeout")), "time_limit": text(dial.get("time_limit")),
                   "trunk": text(to.get("trunk")), "tenant": text(to.get("tenant")),
                   "vmail": "on" if to.get("vmail") else "", "amd": "on" if dial.get("amd") else ""})
    if isinstance(to.get("auth"), dict):
        values["sip_user"] = text(to["auth"].get("username"))  # the password is masked: typed again
    ibm = dial.get("ibm") or {}
    if ibm:
        values["application"] = text(ibm.get("agent"))
        values["ibm_context"] = json.dumps(ibm["context"]) if ibm.get("context") else ""
        values["ibm_route"] = ", ".join(ibm.get("route") or [])
        values["ibm_sip_user"] = text((ibm.get("sip_auth") or {}).get("username"))
    mob = dial.get("mobtexting") or {}
    if mob:
        values.update({"application": text(mob.get("flow_id") or mob.get("audio")),
                       "mob_plays": "audio" if mob.get("audio") else "ivr", "mob_name": text(mob.get("name")),
                       "mob_interval": text(mob.get("interval")), "mob_webhook": text(mob.get("webhook_id"))})
    if dial.get("amd"):
        editors.amd = AmdOptions.model_validate(dial["amd"])
    editors.tags = tag_pairs(dial.get("tags") or {})
    editors.headers = [(k, text(v)) for k, v in (dial.get("headers") or {}).items()]
    return values, editors
