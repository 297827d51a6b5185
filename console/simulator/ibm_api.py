"""IBM Voice Gateway's startOutboundCall and its status webhooks.

Documented: the path, HTTP Basic with user `apikey`, the body fields (to, from, context,
tenantConfig, route, statusWebhook + username/password), the answer {msg, vgwSessionID}, 400/403/404,
and that failures carry `failureReason`. IBM never published the notification payload: the fields
beyond vgwSessionID and failureReason below (event, timestamps, SIP details) are a plausible model.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from console.simulator.engine import Engine, SimCall
from console.simulator.notifier import Notifier, iso_utc
from console.simulator.outcomes import outcome_for
from console.simulator.seed import Seed

_URI = re.compile(r"^(sips?:[^\s<>]+|tel:\+?[\d\-.()]+)$")
EVENTS = {"trying": "initiated", "ringing": "ringing", "in-progress": "answered", "completed": "completed",
          "busy": "busy", "no-answer": "no-answer", "failed": "failed"}


def failure(status: int, text: str) -> web.Response:
    return web.json_response({"failureReason": text}, status=status)


class IbmApi:
    def __init__(self, *, seed: Seed, engine: Engine, notifier: Notifier, log: Callable[[str], None]):
        self.seed, self.engine, self.notifier, self.log = seed, engine, notifier, log

    def install(self, app: web.Application) -> None:
        app.router.add_post("/vgw/outboundCalls/{agent}/startOutboundCall", self.start_outbound_call)

    def _authorized(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            return web.Response(status=401, text="Unauthorized", headers={"WWW-Authenticate": 'Basic realm="vgw"'})
        try:
            user, _, key = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return web.Response(status=401, text="Unauthorized", headers={"WWW-Authenticate": 'Basic realm="vgw"'})
        if user != "apikey" or key != self.seed.ibm_api_key:
            return failure(403, "Forbidden: the API key is not valid for this instance")
        return None

    async def start_outbound_call(self, request: web.Request) -> web.Response:
        if denied := self._authorized(request):
            return denied
        agent = request.match_info["agent"]
        if agent not in self.seed.ibm_agents:
            return failure(404, f"Not Found: no agent or tenant {agent}")
        try:
            body = json.loads(await request.read() or b"null")
        except (ValueError, UnicodeDecodeError):
            return failure(400, "Bad Request: the body is not valid JSON")
        try:
            checked = _check(body)
        except ValueError as exc:
            return failure(400, f"Bad Request: {exc}")
        if not self.seed.ibm_agents[agent]:
            return web.json_response({"msg": "Outbound call not started.",
                                      "failureReason": "Outbound calling is not enabled for this instance"})
        destination = checked["to"].split(":", 1)[1]
        call = SimCall(kind="ibm", account_sid=agent, from_=checked.get("from") or f"tel:{agent}", to=checked["to"],
                       outcome=outcome_for(destination), data={"agent": agent, **checked})
        self.engine.start(call, self._emit)
        return web.json_response(
            {"msg": "Outbound calling session created successfully.", "vgwSessionID": call.call_sid}
        )

    async def _emit(self, call: SimCall, step: str, detail: dict[str, Any]) -> bool:
        hook = call.data.get("statusWebhook")
        if not hook or step not in EVENTS:
            return False
        event: dict[str, Any] = {
            "vgwSessionID": call.call_sid, "event": EVENTS[step],
            "timestamp": iso_utc(self.engine.clock()),
            "vgwTenantID": call.data["agent"], "vgwSIPCallID": call.call_id, "vgwSIPFromURI": call.from_,
            "vgwSIPToURI": call.to, "sipStatusCode": call.sip_status, "sipReason": call.sip_reason,
        }
        if step == "completed":
            event["duration"] = call.duration
        if step in ("busy", "no-answer", "failed"):
            event["failureReason"] = f"{call.sip_status} {call.sip_reason}"
        if call.data.get("context"):
            event["context"] = call.data["context"]
        user, password = call.data.get("statusWebhookUsername"), call.data.get("statusWebhookPassword")
        auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode() if user and password else None
        await self.notifier.post_json(hook, event, authorization=auth, account_sid=call.data["agent"],
                                      target_sid=call.call_sid)
        return False


def _check(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    to = body.get("to")
    if not isinstance(to, str) or not to:
        raise ValueError("'to' is required")
    for key in ("to", "from"):
        if key in body and (not isinstance(body[key], str) or not _URI.match(body[key])):
            raise ValueError(f"'{key}' must be a sip: or tel: URI")
    if "context" in body and not isinstance(body["context"], dict):
        raise ValueError("'context' must be an object of name/value pairs")
    tenant = body.get("tenantConfig")
    if tenant is not None:
        if not isinstance(tenant, dict):
            raise ValueError("'tenantConfig' must be an object")
        if tenant.get("updateMethod") not in (None, "merge", "replace"):
            raise ValueError("'tenantConfig.updateMethod' must be merge or replace")
        sip_auth = ((tenant.get("config") or {}).get("outboundCalls") or {}).get("sipAuth")
        if sip_auth is not None and not (isinstance(sip_auth, dict) and isinstance(sip_auth.get("username"), str)
                                         and isinstance(sip_auth.get("password"), str)):
            raise ValueError("'sipAuth' needs a username and a password")
    route = body.get("route")
    if route is not None:
        if not isinstance(route, str) or not all(_URI.match(r.strip().strip("<>").split(";")[0])
                                                  for r in route.split(",")):
            raise ValueError("'route' must be a comma-separated list of SIP URIs")
    hook = body.get("statusWebhook")
    if hook is not None and (not isinstance(hook, str) or not hook.startswith(("http://", "https://"))):
        raise ValueError("'statusWebhook' must be an absolute http(s) URL")
    for key in ("statusWebhookUsername", "statusWebhookPassword"):
        if key in body and not isinstance(body[key], str):
            raise ValueError(f"'{key}' must be text")
    return body
