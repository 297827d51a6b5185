"""Open-source jambonz: POST /v1/Accounts/{sid}/Calls with only the `rest:dial` fields, Bearer auth.

jambonz answers a field outside `rest:dial` with a bare 500, so this client leaves such fields out
and says which before sending. With an application, status webhooks go to the application's Call
Status Webhook (a request's call_status_hook is overwritten); a profile with `per_call_hooks` sends
call_hook + call_status_hook pointing at the console instead of an application.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar

import httpx

from console.calls import DialRequest
from console.gateways.base import Gateway, body_text, json_msg, parse_json
from console.gateways.errors import (
    GatewayAuthError,
    GatewayBadResponse,
    GatewayError,
    GatewayNotFound,
    GatewayRejected,
)
from console.gateways.listings import AppInfo, CallLookup, LiveCall, NumberInfo, Placed, Prepared, RecentPage
from console.providers import Provider
from console.request_parts import SipTarget, TeamsTarget, Webhook
from console.status import CallStatus, map_status

COGNIGY_FIELDS = {
    "notify_url": "notifyUrl", "action_hook": "actionHook", "confirm_hook": "confirmHook",
    "dtmf_capture": "dtmfCapture", "dtmf_hook": "dtmfHook", "listen": "listen", "transcribe": "transcribe",
}


def webhook_wire(hook: Webhook) -> dict[str, Any]:
    wire: dict[str, Any] = {"url": hook.url, "method": hook.method}
    if hook.username and hook.password:
        wire["username"] = hook.username
        wire["password"] = hook.password.get_secret_value()
    return wire


def target_wire(to: Any) -> dict[str, Any]:
    wire: dict[str, Any] = to.model_dump(by_alias=True, exclude_none=True)
    if not wire.get("headers"):
        wire.pop("headers", None)
    if isinstance(to, TeamsTarget) and not to.vmail:
        wire.pop("vmail", None)
    if isinstance(to, SipTarget) and to.auth is not None:
        wire["auth"] = {"username": to.auth.username, "password": to.auth.password.get_secret_value()}
    return wire


class JambonzGateway(Gateway):
    provider: ClassVar[Provider] = Provider.JAMBONZ
    cognigy: ClassVar[bool] = False

    @property
    def account(self) -> str:
        return str(self.profile.account_sid)

    # ------------------------------------------------------------ errors

    def explain(self, response: httpx.Response) -> GatewayError | None:
        status, msg = response.status_code, json_msg(response)
        text = body_text(response)
        if status == 401:
            return GatewayAuthError("the gateway does not accept this API key (401 Unauthorized): check api_key or "
                                    "api_key_env in the profile", detail=text, status=401)
        if status == 400 and msg and msg.startswith("unauthorized createCall request"):
            return GatewayAuthError(f"{msg}: this key cannot place calls for the account. A service-provider key "
                                    "never can: use an account-level API key of this account.", detail=text, status=400)
        if status == 403:
            return GatewayAuthError(
                f"the key has no access to account {self.account} (403{': ' + msg if msg else ''}): "
                "use an API key of this account",
                detail=text,
                status=403,
            )
        if status == 422:
            return GatewayRejected(f"the gateway cannot do that now: {msg or text.strip()}", detail=text, status=422)
        if status >= 500 and msg:  # the API server's own failure (sysError), not a verdict on the request
            return GatewayRejected(f"{self.http.host} failed inside (HTTP {status}: {msg}): {internal_failure(msg)}",
                                   detail=text, status=status)
        return None

    def explain_create(self, response: httpx.Response) -> GatewayError | None:
        if response.status_code == 500 and not json_msg(response):
            return GatewayRejected(self.bare_500(response), detail=body_text(response), status=500)
        return self.explain(response)

    def bare_500(self, response: httpx.Response) -> str:
        """The API server answers a bare 500 whenever its feature server refused or failed the create, and
        keeps the reason to itself: both causes are said."""
        return ("the gateway refused the call with HTTP 500 and no reason: either the request holds a field this "
                "gateway does not accept, or its feature server could not place the call (no SBC or carrier "
                "reachable, a Teams or SIP realm missing); the gateway's alerts may say which")

    # ------------------------------------------------------------ lists

    async def list_numbers(self) -> list[NumberInfo]:
        # A service-provider (or admin) key lists every account's numbers: this account's are asked for, and
        # anything else that comes is left out (another customer's number is never offered as ours).
        response = await self.http.send("GET", "/v1/PhoneNumbers", read=True, explain=self.explain,
                                        params={"account_sid": self.account})
        rows = parse_json(response, "the phone numbers")
        if not isinstance(rows, list):
            raise GatewayBadResponse("the phone number list is not a list", detail=body_text(response))
        if any(not isinstance(row, dict) or not isinstance(row.get("number"), (str, int)) for row in rows):
            raise GatewayBadResponse("the phone number list holds a row that is not a phone number record",
                                     detail=body_text(response))
        mine = [row for row in rows if row.get("account_sid") in (None, self.account)]
        if rows and not mine:
            raise GatewayAuthError(f"the gateway listed {len(rows)} number(s), none of account {self.account}: the "
                                   "API key belongs to another account (use an API key of this account)",
                                   detail=body_text(response))
        labels = {n.number: n.label for n in self.profile.numbers}
        found = []
        for row in mine:
            number = str(row.get("number", ""))
            # jambonz stores E.164 numbers without the +; a national-format one (02079460000) is shown and sent
            # as stored, for that is what its carrier lookup matches
            shown = number if number.startswith(("+", "0")) else f"+{number}"
            found.append(NumberInfo(shown, labels.get(shown, ""), row.get("application_sid")))
        return found

    async def list_applications(self) -> list[AppInfo]:
        response = await self.http.send("GET", f"/v1/Accounts/{self.account}/Applications", read=True,
                                        explain=self.explain)
        rows = parse_json(response, "the applications")
        if isinstance(rows, dict):
            rows = rows.get("data", [])
        return [AppInfo(str(r["application_sid"]), str(r.get("name") or r["application_sid"])) for r in rows
                if isinstance(r, dict) and r.get("application_sid")]

    # ------------------------------------------------------------ create

    def prepare(self, request: DialRequest, attempt_id: str) -> Prepared:
        hooks = self.attempt_hooks(attempt_id)
        notes: list[str] = []
        body: dict[str, Any] = {"from": request.from_, "to": target_wire(request.to)}
        if request.application_sid:
            body["application_sid"] = request.application_sid
        for attr, key in (("from_host", "fromHost"), ("caller_name", "callerName"), ("timeout", "timeout"),
                          ("time_limit", "timeLimit")):
            value = getattr(request, attr)
            if value is not None:
                body[key] = value
        if request.tags:
            body["tag"] = request.tags
        if request.headers:
            body["headers"] = request.headers
        if request.speech:
            for name, value in request.speech.model_dump(exclude_none=True).items():
                body[f"speech_{name}"] = value
        if request.amd is not None:
            amd: dict[str, Any] = request.amd.model_dump(by_alias=True, exclude_none=True)
            if request.amd.action_hook is not None:
                amd["actionHook"] = webhook_wire(request.amd.action_hook)
            elif hooks:
                amd["actionHook"] = hooks.amd
            if "actionHook" in amd:
                body["amd"] = amd
            else:
                notes.append("AMD left off: its results need a hook, and no receiver is running to take them")
        extra = request.jambonz
        if extra is not None:
            for attr, key in (("call_hook", "call_hook"), ("call_status_hook", "call_status_hook"),
                              ("refer_hook", "referHook")):
                hook = getattr(extra, attr)
                if hook is not None:
                    body[key] = webhook_wire(hook)
            if extra.sip_request_within_dialog_hook:
                body["sipRequestWithinDialogHook"] = extra.sip_request_within_dialog_hook
            if extra.dual_streams is not None:
                body["dual_streams"] = extra.dual_streams
        self._provider_fields(request, body, notes, hooks)
        if body.get("application_sid") and "call_status_hook" in body:
            notes.append("call_status_hook is ignored when an application is set: status goes to the application's "
                         "Call Status Webhook")
        return Prepared("POST", f"/v1/Accounts/{self.account}/Calls", body, notes=notes)

    def _provider_fields(self, request: DialRequest, body: dict[str, Any], notes: list[str], hooks: Any) -> None:
        """jambonz: drop Cognigy's fields (they would fail the call); optionally use per-call hooks."""
        if request.cognigy is not None:
            used = [COGNIGY_FIELDS[name] for name, value in request.cognigy if value not in (None, [], {})]
            if used:
                notes.append(f"left out {', '.join(used)}: open-source jambonz refuses fields outside rest:dial "
                             "(Cognigy Voice Gateway only)")
        if self.profile.per_call_hooks and hooks:
            if body.pop("application_sid", None):
                notes.append("application_sid left out: this profile uses per-call hooks, so the console's call_hook "
                             "answers the call and its call_status_hook gets the status")
            body.setdefault("call_hook", hooks.call)
            body.setdefault("call_status_hook", hooks.status)
            missing = [k for k in ("speech_synthesis_vendor", "speech_synthesis_language", "speech_synthesis_voice",
                                   "speech_recognizer_vendor", "speech_recognizer_language") if k not in body]
            if missing:
                raise GatewayRejected("without an application jambonz needs all five speech settings; missing: "
                                      + ", ".join(missing))

    async def send(self, prepared: Prepared) -> Placed:
        response = await self.http.send(prepared.method, prepared.path, json_body=prepared.body,
                                        explain=self.explain_create, creates=True)
        data = parse_json(response, "the new call")
        if not isinstance(data, dict) or not isinstance(data.get("sid"), str):
            raise GatewayBadResponse(f"the gateway answered {response.status_code} without a call sid",
                                     detail=body_text(response), status=response.status_code)
        call_id = data.get("callId") or data.get("callid")  # the code says callId, Cognigy's docs callid
        # The 201 comes once the INVITE is out: the call is dialing.
        return Placed(data["sid"], call_id, CallStatus.DIALING, body_text(response), response.status_code)

    # ------------------------------------------------------------ live calls

    async def hangup(self, call_sid: str, *, answered: bool) -> None:
        """PUT call_status: completed ends an answered call, no-answer cancels a ringing one (never DELETE)."""
        try:
            await self.http.send(
                "PUT",
                f"/v1/Accounts/{self.account}/Calls/{call_sid}",
                json_body={"call_status": "completed" if answered else "no-answer"},
                explain=self.explain,
            )
        except GatewayNotFound as exc:
            raise GatewayNotFound(
                f"the gateway no longer knows call {call_sid}: it has ended", detail=exc.detail, status=404
            ) from None
        except GatewayRejected as exc:
            if "session is gone" not in (exc.detail or ""):
                raise
            # jambonz still remembers the call for a while after it ends, and answers 422
            raise GatewayRejected(
                f"call {call_sid} has already ended at the gateway ({exc.detail.strip()})",
                detail=exc.detail,
                status=422,
            ) from None

    async def live_calls(self) -> list[LiveCall]:
        response = await self.http.send("GET", f"/v1/Accounts/{self.account}/Calls", read=True, explain=self.explain)
        rows = parse_json(response, "the live calls")
        if not isinstance(rows, list):
            raise GatewayBadResponse("the live call list is not a list", detail=body_text(response))
        return [self._live(row) for row in rows if isinstance(row, dict) and row.get("call_sid")]

    def _live(self, row: dict[str, Any]) -> LiveCall:
        def number(value: Any) -> int | None:
            try:
                return int(value)
            except (TypeError, ValueError):
                return None

        word = str(row.get("call_status", ""))
        return LiveCall(str(row["call_sid"]), map_status(self.provider, word), word, str(row.get("from", "")),
                        str(row.get("to", "")), number(row.get("sip_status")), number(row.get("duration")), row)

    async def lookup_live(self, call_sid: str) -> CallLookup:
        """GET /Calls/{sid}: the call while it lives, and for about an hour after it ends (redis)."""
        try:
            response = await self.http.send("GET", f"/v1/Accounts/{self.account}/Calls/{call_sid}",
                                            explain=self.explain)
        except GatewayNotFound:  # 404 with an empty body: the gateway holds no such call (any more)
            return CallLookup(False, "live calls")
        row = parse_json(response, "the call")
        if not isinstance(row, dict) or not row.get("call_status"):
            raise GatewayBadResponse("the call record has no call_status", detail=body_text(response))
        live = self._live(row)
        reason = row.get("sip_reason")
        return CallLookup(True, "live calls", live.status, live.provider_status, live.sip_status,
                          str(reason) if reason is not None else None,
                          live.duration if live.status is CallStatus.COMPLETED else None, raw=body_text(response))

    async def lookup_ended(self, call_sid: str) -> CallLookup:
        """The call's CDR in RecentCalls (written by the SBC when the call ends; needs InfluxDB)."""
        response = await self.http.send("GET", f"/v1/Accounts/{self.account}/RecentCalls", explain=self.explain,
                                        params={"page": 1, "count": 5, "days": 30, "filter": call_sid})
        data = parse_json(response, "the recent calls")
        rows = data.get("data") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise GatewayBadResponse("the recent calls are not a page of rows", detail=body_text(response))
        row = next((r for r in rows if isinstance(r, dict) and r.get("call_sid") == call_sid), None)
        if row is None:
            return CallLookup(False, "recent calls")
        return cdr_lookup(row)

    async def call_count(self) -> dict[str, int]:
        response = await self.http.send(
            "GET", f"/v1/Accounts/{self.account}/CallCount", read=True, explain=self.explain
        )
        data = parse_json(response, "the call count")
        try:
            return {"inbound": int(data.get("inbound", 0)), "outbound": int(data.get("outbound", 0))}
        except (AttributeError, TypeError, ValueError):
            raise GatewayBadResponse("the call count is not two numbers", detail=body_text(response)) from None

    async def recent_calls(self, page: int = 1, count: int = 50) -> RecentPage:
        """Finished calls (CDRs), newest first; calls in progress are not in them."""
        return await self._paged("RecentCalls", "the recent calls", page, count)

    async def alerts(self, page: int = 1, count: int = 50) -> RecentPage:
        """What the gateway saw go wrong: webhook failures, no carrier, limits reached."""
        return await self._paged("Alerts", "the alerts", page, count)

    async def _paged(self, resource: str, what: str, page: int, count: int) -> RecentPage:
        response = await self.http.send("GET", f"/v1/Accounts/{self.account}/{resource}", read=True,
                                        params={"page": max(1, page), "count": max(1, min(count, 500))},
                                        explain=self.explain)
        data = parse_json(response, what)
        rows = data.get("data") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise GatewayBadResponse(f"{what} are not a page of rows", detail=body_text(response))
        try:
            total = int(data.get("total", len(rows)))
        except (TypeError, ValueError):
            total = len(rows)
        return RecentPage(total, [r for r in rows if isinstance(r, dict)])


def cdr_lookup(row: dict[str, Any]) -> CallLookup:
    """A RecentCalls row as the call's outcome: answered is completed; otherwise the SIP status decides as
    the feature server does (486 and 603 busy, 487 no-answer, anything else failed)."""
    def number(key: str) -> int | None:
        try:
            return int(row[key])
        except (KeyError, TypeError, ValueError):
            return None

    def moment(key: str) -> datetime | None:
        try:
            return datetime.fromisoformat(str(row[key]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            return None

    sip = number("sip_status")
    if row.get("answered") in (True, "true", 1):
        status = CallStatus.COMPLETED
    elif sip in (486, 603):
        status = CallStatus.BUSY
    elif sip == 487:
        status = CallStatus.NO_ANSWER
    else:
        status = CallStatus.FAILED
    reason = row.get("termination_reason")
    return CallLookup(True, "recent calls", status, str(reason) if reason else None, sip, None,
                      number("duration") if status is CallStatus.COMPLETED else None, moment("answered_at"),
                      moment("terminated_at"), raw=json.dumps(row, separators=(",", ":"), ensure_ascii=False))


def internal_failure(msg: str) -> str:
    """What a jambonz API server's own error message means for the operator."""
    lowered = msg.lower()
    if "fetch failed" in lowered:
        return "the API server could not reach its feature server; the gateway itself is unwell, not this request"
    if "econnrefused" in lowered or "connect" in lowered:
        return ("the API server could not reach one of its own services (that address is inside the gateway, not "
                "one of yours); the gateway itself is unwell, not this request")
    return "the gateway's own failure, not a verdict on this request"
