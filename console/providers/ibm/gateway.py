"""IBM Voice Gateway / Voice Agent with Watson: POST {base}/vgw/outboundCalls/{agent}/startOutboundCall,
HTTP Basic apikey:<key>. A call is started only when the answer has `vgwSessionID` and no
`failureReason` (IBM's own tester checks exactly this). IBM has no API to list numbers or agents, or
to hang up: the profile's lists stand in for the first two."""

from __future__ import annotations

import copy
from typing import Any, ClassVar
from urllib.parse import quote, unquote

import httpx

from console.calls import DialRequest
from console.gateways.base import Gateway, body_text, json_msg, parse_json
from console.gateways.errors import GatewayAuthError, GatewayBadResponse, GatewayError, GatewayNotFound, GatewayRejected
from console.gateways.listings import AppInfo, NumberInfo, Placed, Prepared
from console.providers import Provider
from console.request_parts import PhoneTarget, SipTarget
from console.status import CallStatus


class IbmGateway(Gateway):
    provider: ClassVar[Provider] = Provider.IBM

    async def list_numbers(self) -> list[NumberInfo]:
        numbers = self.local_numbers()
        agent = self.profile.agent_number
        if agent and all(n.number != agent for n in numbers):
            numbers.insert(0, NumberInfo(agent, "agent line"))
        return numbers

    async def list_applications(self) -> list[AppInfo]:
        apps = self.local_applications()
        if all(a.id != self.profile.path_id for a in apps):
            apps.insert(0, AppInfo(self.profile.path_id, "this profile's agent", "agent"))
        return apps

    def explain(self, response: httpx.Response) -> GatewayError | None:
        status, reason, text = response.status_code, json_msg(response), body_text(response)
        if status == 401:
            return GatewayAuthError("the gateway wants credentials (401): the profile's API key was not accepted as "
                                    "HTTP Basic apikey:<key>", detail=text, status=401)
        if status == 403:
            return GatewayAuthError(f"the gateway refused the API key (403){': ' + reason if reason else ''}; check "
                                    "the IAM API key and that outbound calling is enabled", detail=text, status=403)
        if status == 404:
            parts = response.request.url.path.split("/")  # /vgw/outboundCalls/<agent>/startOutboundCall
            agent = unquote(parts[3]) if len(parts) > 3 else self.profile.path_id
            return GatewayNotFound(f"no agent or tenant {agent!r} at this gateway (404): check the agent number or "
                                   "tenant id and the base URL", detail=text, status=404)
        return None

    def prepare(self, request: DialRequest, attempt_id: str) -> Prepared:
        hooks = self.attempt_hooks(attempt_id)
        notes: list[str] = []
        to = request.to
        if isinstance(to, PhoneTarget):
            to_uri = f"tel:{to.number}"
        elif isinstance(to, SipTarget):
            to_uri = to.sip_uri
        else:  # the call model refuses other targets for IBM
            raise GatewayRejected("IBM Voice Gateway dials tel: or sip: URIs only")
        body: dict[str, Any] = {"to": to_uri}
        if request.from_:  # optional: a SIP URI as given, a number as a tel: URI
            body["from"] = request.from_ if request.from_.startswith(("sip:", "sips:")) else f"tel:{request.from_}"
        extra = request.ibm
        agent = (extra.agent if extra and extra.agent else None) or self.profile.path_id
        if extra is not None:
            if extra.context:
                body["context"] = extra.context
            if extra.tenant_config is not None or extra.sip_auth is not None:
                config = copy.deepcopy(extra.tenant_config or {})
                if extra.sip_auth is not None:
                    outbound = config.setdefault("outboundCalls", {})
                    outbound["sipAuth"] = {"username": extra.sip_auth.username,
                                           "password": extra.sip_auth.password.get_secret_value()}
                tenant: dict[str, Any] = {"config": config}
                if extra.update_method:
                    tenant["updateMethod"] = extra.update_method
                body["tenantConfig"] = tenant
            if extra.route:
                body["route"] = ",".join(extra.route)
        if extra is not None and extra.status_webhook:
            body["statusWebhook"] = extra.status_webhook
            if extra.status_webhook_username:
                body["statusWebhookUsername"] = extra.status_webhook_username
            if extra.status_webhook_password:
                body["statusWebhookPassword"] = extra.status_webhook_password.get_secret_value()
            notes.append("statusWebhook is the operator's: this console will not hear how the call goes, and "
                         "settles it as unknown when no word comes")
        elif hooks:
            body.update(statusWebhook=hooks.url("ibm"), statusWebhookUsername=hooks.username,
                        statusWebhookPassword=hooks.password)
        else:
            notes.append("no statusWebhook: no receiver is running, so the call's progress will not be reported")
        if request.tags:
            notes.append("tags are kept in history only: IBM has no field to carry them (use context for the agent)")
        return Prepared("POST", f"/vgw/outboundCalls/{quote(agent, safe='+')}/startOutboundCall", body, notes=notes)

    async def send(self, prepared: Prepared) -> Placed:
        response = await self.http.send(prepared.method, prepared.path, json_body=prepared.body, explain=self.explain,
                                        creates=True)
        data = parse_json(response, "startOutboundCall")
        if not isinstance(data, dict):
            raise GatewayBadResponse("startOutboundCall answered with something other than a JSON object",
                                     detail=body_text(response), status=response.status_code)
        if data.get("failureReason"):
            raise GatewayRejected(f"the gateway did not start the call: {data['failureReason']}",
                                  detail=body_text(response), status=response.status_code)
        session = data.get("vgwSessionID")
        if not isinstance(session, str) or not session.strip() or "msg" not in data:
            raise GatewayBadResponse("startOutboundCall answered without msg and a vgwSessionID text",
                                     detail=body_text(response), status=response.status_code)
        return Placed(str(data["vgwSessionID"]), None, CallStatus.QUEUED, body_text(response), response.status_code)
