"""IBM Voice Gateway / Voice Agent with Watson: the startOutboundCall body as IBM documents it."""

from __future__ import annotations

from typing import Any

from console.fields import Common, Declared, assign

# Voice Agent with Watson (IBM Cloud) took no new instances from 1 March 2021 and deactivated the rest on
# 31 December 2021; IBM Voice Gateway installed on premises is not affected.
DEPRECATION = ("IBM Voice Agent with Watson was deprecated: no new instances from 1 March 2021, and instances "
               "were deactivated on 31 December 2021. On-premises IBM Voice Gateway is not affected.")



def cloud_profiles(settings: Any) -> list[str]:
    """The profiles that point at Voice Agent with Watson in IBM Cloud (not an on-premises Voice Gateway)."""
    from console.providers import IBM_ENVIRONMENTS

    return [name for name, p in settings.profiles.items() if p.provider == "ibm"
            and (getattr(p, "environment", None) or (p.resolved_base_url or "") in IBM_ENVIRONMENTS.values())]


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
             {"customer": "A-17"}, open=True),
    Declared("route", "ibm.route", "text", "call", "SIP Route headers, comma-separated, in order",
             "sip:edge1.example.com;lr, sip:edge2.example.com",
             wire="sip:edge1.example.com;lr,sip:edge2.example.com"),
    Declared("tenantConfig", _tenant, "json", "tenant", "configuration for this call: config and updateMethod",
             {"config": {"vgwTenantName": "x"}, "updateMethod": "merge"}),
    Declared("tenantConfig.config", "ibm.tenant_config", "json", "tenant", "the tenant configuration properties",
             {"vgwTenantName": "x"}, open=True),
    Declared("tenantConfig.updateMethod", "ibm.update_method", "choice", "tenant",
             "merge with the tenant's configuration or replace it", "merge", choices=("merge", "replace")),
    Declared(f"{SIP_AUTH}.username", "ibm.sip_auth.username", "text", "tenant",
             "SIP user the trunk challenges for", "trunkuser"),
    Declared(f"{SIP_AUTH}.password", "ibm.sip_auth.password", "secret", "tenant", "its SIP password",
             "trunk-pass"),
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
