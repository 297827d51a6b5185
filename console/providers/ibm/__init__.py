"""IBM Voice Gateway / Voice Agent with Watson: the startOutboundCall body as IBM documents it."""

from __future__ import annotations

import base64
from typing import Any

from console.fields import Common, Declarations, Declared, assign
from console.problems import FieldValueError
from console.providers import Provider
from console.providers.base import Incoming, Room, Webhooks
from console.providers.ibm.profile import IbmProfile
from console.status import CallEvent, CallStatus, EventKind
from console.webhooks import BadPayload, parse_json_object, seconds, text, whole

# Voice Agent with Watson (IBM Cloud) took no new instances from 1 March 2021 and deactivated the rest on
# 31 December 2021; IBM Voice Gateway installed on premises is not affected.
DEPRECATION = ("IBM Voice Agent with Watson was deprecated: no new instances from 1 March 2021, and instances "
               "were deactivated on 31 December 2021. On-premises IBM Voice Gateway is not affected.")



def warning(profile: Any) -> str | None:
    """Voice Agent with Watson in IBM Cloud is gone; an on-premises Voice Gateway is not affected."""
    from console.providers import IBM_ENVIRONMENTS

    cloud = getattr(profile, "environment", None) or (profile.resolved_base_url or "") in IBM_ENVIRONMENTS.values()
    return DEPRECATION if cloud else None


def _to(data: dict[str, Any], value: Any) -> None:
    """`to` is a tel: or sip: URI on IBM's wire; a bare number is a tel: URI."""
    if not isinstance(value, str):
        raise ValueError("must be a tel: or sip: URI, or a phone number")
    text = value.strip()
    if text.lower().startswith(("sip:", "sips:")):
        data["to"] = {"type": "sip", "sip_uri": text}
    else:
        data["to"] = {"type": "phone", "number": text[4:] if text.lower().startswith("tel:") else text}


def _tenant(data: dict[str, Any], value: Any) -> None:
    """The whole tenantConfig: its `config` and `updateMethod` go where the parts go."""
    if not isinstance(value, dict):
        raise ValueError("must be an object like {\"config\": {...}, \"updateMethod\": \"merge\"}")
    unknown = sorted(set(value) - {"config", "updateMethod"})
    if unknown:
        raise ValueError(f"has {', '.join(unknown)}; IBM's tenantConfig holds config and updateMethod")
    if "config" in value:
        assign(data, "ibm.tenant_config", value["config"])
    if "updateMethod" in value:
        assign(data, "ibm.update_method", value["updateMethod"])


SIP_AUTH = "tenantConfig.config.outboundCalls.sipAuth"

FIELDS: tuple[Declared, ...] = (
    Declared("agent", "ibm.agent", "text", "call", "the agent number or tenant id the call starts from (in the "
             "URL path)", "+12125550150", where="path", common=True, default="the profile's"),
    Declared("to", _to, "text", "call", "a tel: or SIP URI to call (a number is sent as tel:)", "+12125550101",
             wire="tel:+12125550101", common=True, lands="to"),
    Declared("from", "from", "text", "call", "optional calling party: a tel: or SIP URI, or a number",
             "sip:+12125550150@trunk.example.com", common=True, default="the gateway's"),
    Declared("context", "ibm.context", "json", "call", "state variables handed to Watson Assistant",
             {"customer": "A-17"}, open=True, form="ibm_context", label="Context (JSON)",
             placeholder='{"customer": "A-17"}'),
    Declared("route", "ibm.route", "text", "call", "SIP Route headers, comma-separated, in order",
             "sip:edge1.example.com;lr, sip:edge2.example.com",
             wire="sip:edge1.example.com;lr,sip:edge2.example.com", form="ibm_route", label="Route",
             placeholder="sip:edge1.example;lr, sip:edge2.example"),
    Declared("tenantConfig", _tenant, "json", "tenant", "configuration for this call: config and updateMethod",
             {"config": {"vgwTenantName": "x"}, "updateMethod": "merge"}),
    Declared("tenantConfig.config", "ibm.tenant_config", "json", "tenant", "the tenant configuration properties",
             {"vgwTenantName": "x"}, open=True),
    Declared("tenantConfig.updateMethod", "ibm.update_method", "choice", "tenant",
             "merge with the tenant's configuration or replace it", "merge", choices=("merge", "replace")),
    Declared(f"{SIP_AUTH}.username", "ibm.sip_auth.username", "text", "tenant",
             "SIP user the trunk challenges for", "trunkuser", form="ibm_sip_user", label="Trunk SIP user"),
    Declared(f"{SIP_AUTH}.password", "ibm.sip_auth.password", "secret", "tenant", "its SIP password",
             "trunk-pass", form="ibm_sip_password", label="Trunk SIP pass"),
    Declared("statusWebhook", "ibm.status_webhook", "text", "status", "where the call's progress is sent "
             "(default: this console; another URL means this console does not hear the call)",
             "https://hooks.example.com/ibm"),
    Declared("statusWebhookUsername", "ibm.status_webhook_username", "text", "status",
             "user for the status webhook's Basic auth", "hookuser"),
    Declared("statusWebhookPassword", "ibm.status_webhook_password", "secret", "status",
             "password for the status webhook's Basic auth", "hook-pass"),
)

SAMPLE = Common(to="+12125550101")


def common(c: Common) -> dict[str, Any]:
    """The flags and the form's first fields as IBM's documented paths."""
    if c.target_type() not in ("phone", "sip"):
        raise ValueError("to: IBM Voice Gateway dials tel: or sip: URIs (phone or sip targets) only")
    for given, what in ((bool(c.headers), "SIP headers (route adds Route headers)"),
                        (c.amd is not None, "answering-machine detection"), (c.timeout is not None, "a ring timeout")):
        if given:
            raise ValueError(f"IBM's startOutboundCall has no {what}")
    values: dict[str, Any] = {"to": c.to}
    if c.from_:
        values["from"] = c.from_
    if c.app:
        values["agent"] = c.app
    return values


# IBM Voice Gateway does not publish its notification event names; only `vgwSessionID` and
# `failureReason` are known. These words are a plausible reading, matched case-insensitively;
# anything else leaves the status as it was (the raw event is still kept).
STATUS: dict[str, CallStatus] = {
    "initiated": CallStatus.QUEUED,
    "queued": CallStatus.QUEUED,
    "trying": CallStatus.DIALING,
    "calling": CallStatus.DIALING,
    "ringing": CallStatus.RINGING,
    "alerting": CallStatus.RINGING,
    "answered": CallStatus.ANSWERED,
    "connected": CallStatus.ANSWERED,
    "in-progress": CallStatus.ANSWERED,
    "completed": CallStatus.COMPLETED,
    "disconnected": CallStatus.COMPLETED,
    "ended": CallStatus.COMPLETED,
    "busy": CallStatus.BUSY,
    "no-answer": CallStatus.NO_ANSWER,
    "noanswer": CallStatus.NO_ANSWER,
    "canceled": CallStatus.CANCELED,
    "cancelled": CallStatus.CANCELED,
    "failed": CallStatus.FAILED,
    "rejected": CallStatus.FAILED,
}
STATUS_KEYS = ("event", "status", "callStatus", "eventType", "state")


def status(word: str | None, ended: bool = False, failure: str | None = None) -> CallStatus | None:
    """`failure`: IBM's failure marker, which keeps a more specific unsuccessful word (busy, no-answer) and
    otherwise means failed."""
    said = STATUS.get(str(word).strip().lower()) if word is not None else None
    if failure:
        return said if said in (CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.CANCELED) else CallStatus.FAILED
    return said


def basic(key: str) -> dict[str, str]:
    """HTTP Basic apikey:<key>, as IBM's own examples authenticate."""
    return {"Authorization": "Basic " + base64.b64encode(f"apikey:{key}".encode()).decode()}


def webhook_event(hook: Incoming) -> CallEvent:
    payload = parse_json_object(hook.raw, lenient=True)
    session = payload.get("vgwSessionID")
    if not isinstance(session, str) or not session:
        raise BadPayload("no vgwSessionID: this is not an IBM Voice Gateway notification")
    word = next((payload[k] for k in STATUS_KEYS if isinstance(payload.get(k), str)), None)
    failure = text(payload.get("failureReason"))
    said = status(word, failure=failure)
    details = {k: payload[k] for k in ("failureReason", "vgwSIPCallID", "vgwSIPFromURI", "vgwSIPToURI", "context")
               if payload.get(k) is not None}
    return CallEvent(
        profile=hook.profile, provider=Provider.IBM, kind=EventKind.STATUS, call_sid=session, token=hook.token,
        status=said, provider_status=word or ("failed" if failure else None),
        sip_status=whole(payload.get("sipStatusCode")), sip_reason=text(payload.get("sipReason")) or failure,
        duration=seconds(payload.get("duration")) if said is not None and said.final else None,
        received_at=hook.received_at, verified=hook.verified, raw=hook.raw.decode("utf-8", errors="replace"),
        details=details,
    )


def check(request: Any) -> None:
    if request.to.type not in ("phone", "sip"):
        raise FieldValueError("to", f"IBM Voice Gateway dials tel: or sip: URIs; a {request.to.type} target is "
                                    "jambonz-only")
    if request.from_ and not request.from_.startswith(("+", "sip:", "sips:")):
        raise FieldValueError("from", "IBM Voice Gateway calls from a tel: or sip: URI: give a phone number or a "
                                      "SIP URI")


def gateway() -> type[Any]:
    from console.providers.ibm.gateway import IbmGateway

    return IbmGateway


ROOM = Room(
    name="ibm", family="ibm", declarations=Declarations("ibm", FIELDS, common, SAMPLE), status=status,
    webhooks=Webhooks(kinds=frozenset({"ibm"}), auth="per-call-basic", parse=webhook_event),
    auth_header=basic, targets=("phone", "sip"), application_label="Agent", sections=frozenset({"ibm"}),
    check=check, from_required=False, from_uri=True, title="IBM", gateway=gateway, profile=IbmProfile, warning=warning,
    demo={"description": "IBM Voice Gateway on the built-in simulator", "agent_number": "+12125550150",
          "numbers": [{"number": "+12125550150", "label": "Watson agent line"}],
          "applications": [{"id": "+12125550150", "name": "Billing assistant", "kind": "agent"}],
          "defaults": {"from": "+12125550150"}},
)
