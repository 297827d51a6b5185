"""MOBtexting voice (OBD): POST {base}/api/{version}/outgoing/send, Bearer token.

Two request generations, chosen by the profile: "json" (today: JSON with flow_id) and "form" (2021:
form-encoded with ivr_id). Success is `status` 200 or "OK" in either answer shape; the call's id is
data[0].id. MOBtexting has no API to list bridge numbers or IVR flows, or to stop a call."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

import httpx

from console.calls import DialRequest
from console.gateways.base import Gateway, body_text, json_msg, parse_json
from console.gateways.errors import GatewayAuthError, GatewayBadResponse, GatewayError, GatewayRejected
from console.gateways.listings import AppInfo, CallLookup, NumberInfo, Placed, Prepared
from console.providers import Provider
from console.request_parts import PhoneTarget
from console.status import CallStatus, map_status

PORTAL_TIME = timezone(timedelta(hours=5, minutes=30))  # the portal writes India Standard Time, no zone


class MobtextingGateway(Gateway):
    provider: ClassVar[Provider] = Provider.MOBTEXTING

    async def list_numbers(self) -> list[NumberInfo]:
        return self.local_numbers()

    async def list_applications(self) -> list[AppInfo]:
        return self.local_applications()

    def explain(self, response: httpx.Response) -> GatewayError | None:
        message, text = json_msg(response), body_text(response)
        if response.status_code == 401:
            return GatewayAuthError(f"MOBtexting refused the token ({message or '401'}): check the access token and "
                                    "its IP whitelist", detail=text, status=401)
        if response.status_code == 422 and message:
            return GatewayRejected(message, detail=text, status=422)
        return None

    def prepare(self, request: DialRequest, attempt_id: str) -> Prepared:
        extra = request.mobtexting
        if extra is None or not isinstance(request.to, PhoneTarget):  # the call model guarantees both
            raise GatewayRejected("MOBtexting dials phone numbers with an IVR flow or an audio")
        form = self.profile.request_format == "form"
        body: dict[str, Any] = {"bridge": (request.from_ or "").lstrip("+"), "to": request.to.number.lstrip("+")}
        if extra.flow_id:
            body["ivr_id" if form else "flow_id"] = extra.flow_id
        if extra.audio:
            body["audio"] = extra.audio
        if extra.name:
            body["name"] = extra.name
        if extra.interval:
            body["interval"] = extra.interval
        webhook_id = extra.webhook_id or self.profile.webhook_id
        if webhook_id:
            body["webhook_id"] = webhook_id
        if extra.variables:
            if form:
                body.update({f"variables[{k}]": v for k, v in extra.variables.items()})
            else:
                body["variables"] = extra.variables
        notes = [] if webhook_id else ["no webhook_id: MOBtexting will not report how the call went"]
        if request.tags:
            notes.append("tags are kept in history only: MOBtexting has no field to carry them")
        return Prepared("POST", f"/api/{self.profile.api_version}/outgoing/send", body, form=form, notes=notes,
                        retries=self.profile.retries if extra.interval else 0)

    async def send(self, prepared: Prepared) -> Placed:
        response = await self.http.send(
            prepared.method,
            prepared.path,
            json_body=None if prepared.form else prepared.body,
            form=prepared.body if prepared.form else None,
            explain=self.explain,
            creates=True,
        )
        data = parse_json(response, "outgoing/send")
        ok = isinstance(data, dict) and (data.get("status") in (200, "200") or str(data.get("status")).upper() == "OK")
        if not ok:
            message = data.get("message") if isinstance(data, dict) else None
            raise GatewayRejected(f"MOBtexting did not queue the call: {message or body_text(response)}",
                                  detail=body_text(response), status=response.status_code)
        rows = data.get("data")
        first = rows[0] if isinstance(rows, list) and rows else None
        if not isinstance(first, dict) or not isinstance(first.get("id"), (str, int)) or first.get("id") in ("", 0):
            raise GatewayBadResponse("MOBtexting queued the call but its answer holds no call id (data[0].id)",
                                     detail=body_text(response), status=response.status_code)
        return Placed(str(first["id"]), None, CallStatus.QUEUED, body_text(response), response.status_code)

    async def lookup_live(self, call_id: str) -> CallLookup:
        """outgoing/callstatus?id=: the call's latest attempt (queued while one is still to come)."""
        response = await self.http.send("GET", f"/api/{self.profile.api_version}/outgoing/callstatus",
                                        params={"id": call_id}, explain=self.explain)
        data = parse_json(response, "outgoing/callstatus")
        rows = data.get("data") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise GatewayBadResponse("outgoing/callstatus did not answer with rows", detail=body_text(response))
        row = next((r for r in rows if isinstance(r, dict) and str(r.get("id")) == call_id), None)
        if row is None:
            return CallLookup(False, "callstatus")
        word = str(row.get("status") or "")
        start, end = portal_time(row.get("start_at")), portal_time(row.get("end_at"))
        status = map_status(Provider.MOBTEXTING, word, ended=end is not None)
        duration = None
        if status is CallStatus.COMPLETED:  # the 2021 rows say it ("00:00:19"); today's give the times only
            duration = clock_seconds(row.get("duration"))
            if duration is None and start and end:
                duration = int((end - start).total_seconds())
        return CallLookup(True, "callstatus", status, word, None, None, duration,
                          start if duration is not None else None, end if status is not None and status.final else None,
                          raw=json.dumps(row, separators=(",", ":"), ensure_ascii=False))


def clock_seconds(value: Any) -> int | None:
    """"00:00:19" or "19" as seconds."""
    parts = str(value if value is not None else "").split(":")
    if len(parts) > 3 or not all(p.strip().isdigit() for p in parts):
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds


def portal_time(value: Any) -> datetime | None:
    """`2026-11-21 15:09:51` as the portal writes it (India Standard Time)."""
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=PORTAL_TIME)
    except (TypeError, ValueError):
        return None
