"""MOBtexting voice (OBD): outgoing/send in both generations, callstatus, portal webhooks.

The 2021 API takes a form-encoded body with `ivr_id` and answers {"status": 200, "message":
"N numbers accepted for delivery.", ...}; today's takes JSON with `flow_id` and answers
{"status": "OK", "message": "Calls queued successfully", ...}. Results arrive once per attempt at the
portal webhook named by `webhook_id`; BUSY and NOANSWER are retried after `interval` minutes. How many
retries MOBtexting makes is not documented: two are modelled here.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
from aiohttp import web

from console.simulator.engine import Engine, SimCall
from console.simulator.notifier import Notifier, iso_utc
from console.simulator.outcomes import outcome_for
from console.simulator.seed import Seed

IST = timezone(timedelta(hours=5, minutes=30))  # the portal's clock
INTERVALS = (5, 15, 30, 45, 60)
RETRIES = 2
RESULT = {"completed": "ANSWER", "busy": "BUSY", "no-answer": "NOANSWER", "failed": "CONGESTION"}


def error(status: int, message: str) -> web.Response:
    return web.json_response({"status": "ERROR", "code": status, "message": message}, status=status)


def portal_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, IST).strftime("%Y-%m-%d %H:%M:%S")


class MobtextingApi:
    def __init__(self, *, seed: Seed, engine: Engine, notifier: Notifier, log: Callable[[str], None]):
        self.seed, self.engine, self.notifier, self.log = seed, engine, notifier, log
        self.by_id: dict[str, SimCall] = {}  # the latest attempt of each submitted call

    def install(self, app: web.Application) -> None:
        app.router.add_post("/api/{version}/outgoing/send", self.send)
        app.router.add_get("/api/{version}/outgoing/callstatus", self.call_status)
        app.router.add_get("/api/{version}/developer/webhooks", self.list_webhooks)
        app.router.add_post("/api/{version}/developer/webhooks", self.create_webhook)

    async def _read(self, request: web.Request) -> tuple[str, dict[str, Any]] | web.Response:
        """(form or json, fields): a token may come as Bearer or access_token (query or body)."""
        version = request.match_info["version"]
        if version not in ("v1", "v2"):
            return error(404, "Not Found")
        raw = await request.read()
        if "json" in (request.content_type or ""):
            try:
                fields = json.loads(raw or b"{}")
            except (ValueError, UnicodeDecodeError):
                return error(400, "Malformed JSON body.")
            if not isinstance(fields, dict):
                return error(400, "Malformed JSON body.")
            kind = "json"
        else:
            form = await request.post() if raw else {}
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            kind = "form"
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else None
        token = token or request.query.get("access_token") or fields.pop("access_token", None)
        if token != self.seed.mobtexting_token:
            return error(401, "Unauthenticated.")
        return kind, fields

    # ------------------------------------------------------------ send

    async def send(self, request: web.Request) -> web.Response:
        read = await self._read(request)
        if isinstance(read, web.Response):
            return read
        kind, fields = read
        try:
            order = self._validate(kind, fields)
        except ValueError as exc:
            return error(422, str(exc))
        rows = []
        now = self.engine.clock()
        for number in order["to"]:
            call_id = str(uuid.uuid4()) + (":1" if kind == "form" else "")
            call = self._call(call_id, number, order, attempt=1)
            self.by_id[call_id] = call
            self.engine.start(call, self._emit)
            if kind == "form":
                rows.append({"id": call_id, "mobile": number, "charges": "0.5000", "customid": "", "customid1": "",
                             "iso_code": None, "submitted_at": portal_time(now)})
            else:
                rows.append({"id": call_id, "channel": "outgoing", "caller_id": order["bridge"], "mobile": number,
                             "flow_id": order["flow"], "credits": 1,
                             "created_at": iso_utc(now),
                             "foreign_id": None, "options": None, "status": "queued"})
        if kind == "form":
            return web.json_response(
                {"status": 200, "message": f"{len(rows)} numbers accepted for delivery.", "data": rows}
            )
        return web.json_response({"status": "OK", "message": "Calls queued successfully", "data": rows})

    def _validate(self, kind: str, f: dict[str, Any]) -> dict[str, Any]:
        """Laravel-style messages, the first failing rule only."""
        bridge = re.sub(r"\D", "", str(f.get("bridge") or ""))
        if not bridge:
            raise ValueError("The bridge field is required.")
        raw_to = f.get("to")
        if not raw_to:
            raise ValueError("The to field is required.")
        numbers = [re.sub(r"[\s+]", "", n) for n in str(raw_to).split(",") if n.strip()]
        if not numbers or not all(re.fullmatch(r"\d{8,15}", n) for n in numbers):
            raise ValueError("The to must be phone numbers with the country code.")
        flow = f.get("flow_id") if kind == "json" else f.get("ivr_id")
        flow = f.get("ivr_id") if flow is None and kind == "json" else flow
        audio = f.get("audio")
        name = "flow id" if kind == "json" else "ivr id"
        if not flow and not audio:
            raise ValueError(f"The {name} field is required when audio is not present.")
        if flow is not None and str(flow) not in self.seed.mobtexting_flows:
            raise ValueError(f"The selected {name} is invalid.")
        if audio and not (str(audio) in self.seed.mobtexting_sounds or str(audio).startswith(("http://", "https://"))):
            raise ValueError("The selected audio is invalid.")
        interval = f.get("interval")
        if interval not in (None, "", 0, "0"):
            try:
                interval = int(str(interval))
            except (TypeError, ValueError):
                raise ValueError("The interval must be an integer.") from None
            if interval not in INTERVALS:
                raise ValueError("The selected interval is invalid.")
        webhook_id = f.get("webhook_id")
        if webhook_id not in (None, "") and str(webhook_id) not in self.seed.mobtexting_webhooks:
            raise ValueError("The selected webhook id is invalid.")
        return {"bridge": bridge, "to": numbers, "flow": None if flow is None else str(flow), "audio": audio,
                "interval": int(interval or 0), "webhook_id": None if webhook_id in (None, "") else str(webhook_id),
                "name": f.get("name")}

    def _call(self, call_id: str, number: str, order: dict[str, Any], attempt: int) -> SimCall:
        return SimCall(kind="mobtexting", account_sid="mobtexting", from_=order["bridge"], to=number,
                       outcome=outcome_for(number, attempt), data={"id": call_id, "order": order, "attempt": attempt})

    async def _emit(self, call: SimCall, step: str, detail: dict[str, Any]) -> bool:
        """OBD reports once, when the attempt is over."""
        if step not in RESULT:
            return False
        order = call.data["order"]
        if order["webhook_id"] is not None:
            hook = self.seed.mobtexting_webhooks[order["webhook_id"]]
            start = call.answered_at or call.created_at
            payload = {
                "bridge": int(order["bridge"]), "from": int(order["bridge"]), "to": int(call.to), "source": "OBD",
                "mid": call.data["id"], "flow_id": int(order["flow"]) if order["flow"] else None,
                "start_at": portal_time(start), "end_at": portal_time(call.ended_at or start),
                "duration": str(call.duration or 0), "status": RESULT[step],
            }
            secret = hook.get("secret")
            await self.notifier.post_json(hook["uri"], payload, authorization=f"Bearer {secret}" if secret else None,
                                          account_sid="mobtexting", target_sid=call.data["id"])
        if step in ("busy", "no-answer") and order["interval"] and call.data["attempt"] <= RETRIES:
            retry = self._call(call.data["id"], call.to, order, call.data["attempt"] + 1)
            self.by_id[call.data["id"]] = retry
            self.engine.later(order["interval"] * 60, retry, self._emit)
        return False

    # ------------------------------------------------------------ pull and webhooks

    async def call_status(self, request: web.Request) -> web.Response:
        read = await self._read(request)
        if isinstance(read, web.Response):
            return read
        q = request.query
        calls = list(self.by_id.values())
        if "id" in q:
            calls = [c for c in calls if c.data["id"] == q["id"]]
        elif "mobile" in q:
            calls = [c for c in calls if c.to == re.sub(r"\D", "", q["mobile"])]
        elif "date" in q:
            calls = [c for c in calls if portal_time(c.created_at).startswith(q["date"])]
        else:
            return error(422, "One of id, cid, date or mobile is required.")
        rows = [{
            "id": c.data["id"], "channel": "outgoing", "from": c.from_, "to": c.to,
            "created_at": portal_time(c.created_at), "foreign_id": None,
            "status": RESULT.get(c.status, "queued") if c.final else "queued",
            "start_at": portal_time(c.answered_at) if c.answered_at else None,
            "end_at": portal_time(c.ended_at) if c.ended_at else None, "dtmf": None,
        } for c in calls]
        return web.json_response({"status": "OK", "data": rows})

    async def list_webhooks(self, request: web.Request) -> web.Response:
        read = await self._read(request)
        if isinstance(read, web.Response):
            return read
        rows = [{"id": int(i) if i.isdigit() else i, "name": h.get("name", f"webhook {i}"), "uri": h["uri"],
                 "status": 1, "created_at": "2026-01-05 09:00:00", "updated_at": "2026-01-05 09:00:00"}
                for i, h in self.seed.mobtexting_webhooks.items()]
        return web.json_response({"data": rows, "links": {"first": None, "last": None, "prev": None, "next": None},
                                  "meta": {"current_page": 1, "per_page": 15, "total": len(rows)}})

    async def create_webhook(self, request: web.Request) -> web.Response:
        """Creating a webhook verifies it: the portal posts a challenge and wants it echoed."""
        read = await self._read(request)
        if isinstance(read, web.Response):
            return read
        _, fields = read
        uri = str(fields.get("uri") or "")
        if not uri.startswith(("http://", "https://")):
            return error(422, "The uri must be a valid URL.")
        key, challenge = secrets.token_hex(8), secrets.token_hex(12)
        sep = "&" if "?" in uri else "?"
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
                async with session.post(
                    f"{uri}{sep}token={key}", json={"validation_key": key, "challenge": challenge}
                ) as r:
                    answer = await r.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            answer = None
        if not isinstance(answer, dict) or answer.get("challenge") != challenge:
            return error(422, "Webhook verification failed: the challenge was not returned.")
        new_id = str(max([int(i) for i in self.seed.mobtexting_webhooks if i.isdigit()] + [0]) + 1)
        self.seed.mobtexting_webhooks[new_id] = {"uri": uri, "secret": fields.get("secret"), "name": fields.get("name")}
        return web.json_response({"status": "OK", "data": {"id": int(new_id), "name": fields.get("name"), "uri": uri,
                                                           "status": 1}}, status=201)
