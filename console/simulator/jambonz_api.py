"""The jambonz REST API (and Cognigy Voice Gateway's flavour of it) as the code behaves:
paths, bearer auth, the rate limit, validation order and messages, error shapes, live call control,
and the webhooks each call sends. Sources: jambonz-api-server lib/routes/api/accounts.js,
jambonz-feature-server create-call.js / call-info.js / http-requestor.js."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urljoin

from aiohttp import web

from console.request_parts import is_sid
from console.simulator.engine import CallStateError, Engine, SimCall
from console.simulator.notifier import AlertLog, Hook, Notifier, iso_utc
from console.simulator.outcomes import outcome_for
from console.simulator.ratelimit import MESSAGE as RATE_LIMIT_MESSAGE
from console.simulator.ratelimit import RateLimit
from console.simulator.restdial import feature_server_check
from console.simulator.seed import Seed

SPEECH_FIELDS = ("speech_synthesis_vendor", "speech_synthesis_language", "speech_synthesis_voice",
                 "speech_recognizer_vendor", "speech_recognizer_language")
UPDATE_OPTIONS = ("call_hook", "child_call_hook", "call_status", "listen_status", "transcribe_status",
                  "conf_hold_status", "conf_mute_status", "mute_status", "sip_request", "record", "tag", "dtmf",
                  "conferenceParticipantAction", "dub", "boostAudioSignal", "media_path")
FS_SIP_ADDRESS = "10.0.1.20:5070"
SERVICE_URL = "http://10.0.1.20:3000"


def msg(status: int, text: str) -> web.Response:
    return web.json_response({"msg": text}, status=status)


def bare(status: int, text: str) -> web.Response:
    """What express's res.sendStatus / res.send(text) writes: a plain-text body."""
    return web.Response(status=status, text=text, content_type="text/plain")


class User:
    def __init__(self, scope: str, account_sid: str | None = None, service_provider_sid: str | None = None):
        self.scope, self.account_sid, self.service_provider_sid = scope, account_sid, service_provider_sid


class JambonzApi:
    def __init__(self, *, seed: Seed, engine: Engine, notifier: Notifier, alerts: AlertLog, mode: str,
                 rate_limit: RateLimit | None, log: Callable[[str], None]):
        if mode not in ("cognigy", "jambonz"):
            raise ValueError("mode is cognigy or jambonz")
        self.seed, self.engine, self.notifier, self.alerts = seed, engine, notifier, alerts
        self.mode = mode
        self.rate_limit = rate_limit
        self.capacity = True  # False: no feature server available (480)
        self.log = log
        self.users = {
            seed.account_api_key: User("account", account_sid=seed.account_sid),
            seed.other_account_api_key: User("account", account_sid=seed.other_account_sid),
            seed.sp_api_key: User("service_provider", service_provider_sid=seed.service_provider_sid),
        }
        self.accounts = {seed.account_sid: seed.service_provider_sid, seed.other_account_sid: seed.service_provider_sid}

    # ------------------------------------------------------------ wiring

    def install(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/v1/Accounts/{sid}/Calls", self._guard(self.create_call))
        r.add_get("/v1/Accounts/{sid}/Calls", self._guard(self.list_calls))
        r.add_get("/v1/Accounts/{sid}/Calls/{call_sid}", self._guard(self.get_call))
        r.add_put("/v1/Accounts/{sid}/Calls/{call_sid}", self._guard(self.update_call))
        r.add_post("/v1/Accounts/{sid}/Calls/{call_sid}", self._guard(self.update_call))  # legacy, still routed
        r.add_delete("/v1/Accounts/{sid}/Calls/{call_sid}", self._guard(self.delete_call))
        r.add_get("/v1/Accounts/{sid}/CallCount", self._guard(self.call_count))
        r.add_get("/v1/Accounts/{sid}/WebhookSecret", self._guard(self.webhook_secret))
        r.add_get("/v1/Accounts/{sid}/Applications", self._guard(self.account_applications))
        r.add_get("/v1/Accounts/{sid}/VoipCarriers", self._guard(self.account_carriers))
        r.add_get("/v1/Accounts/{sid}/RecentCalls", self._guard(self.recent_calls))
        r.add_get("/v1/Accounts/{sid}/Alerts", self._guard(self.list_alerts))
        r.add_get("/v1/PhoneNumbers", self._guard(self.phone_numbers))
        r.add_get("/v1/Applications", self._guard(self.applications))
        r.add_get("/v1/VoipCarriers", self._guard(self.carriers))
        r.add_route("*", "/v1/{tail:.*}", self._guard(self.not_found))

    def _guard(self, handler: Callable[[web.Request, User], Awaitable[web.StreamResponse]]
               ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """Rate limit, then bearer auth, then the account sid's format: the order the API server has."""

        async def run(request: web.Request) -> web.StreamResponse:
            headers: dict[str, str] = {}
            if self.rate_limit is not None:
                allowed, headers = self.rate_limit.hit()
                if not allowed:
                    return web.Response(status=429, text=RATE_LIMIT_MESSAGE, content_type="text/html", headers=headers)
            user_or_error = self._authenticate(request)
            response: web.StreamResponse
            if isinstance(user_or_error, web.Response):
                response = user_or_error
            else:
                # validateSid on every sid in the path: the account's, and a call's
                sids = [request.match_info.get(key) for key in ("sid", "call_sid")]
                if any(sid is not None and not is_sid(sid) for sid in sids):
                    response = msg(400, "Bad request")
                else:
                    response = await handler(request, user_or_error)
            response.headers.update(headers)
            return response

        return run

    def _authenticate(self, request: web.Request) -> User | web.Response:
        """passport-http-bearer: a malformed header is 400; no or unknown token is 401 text."""
        token = None
        header = request.headers.get("Authorization")
        if header:
            parts = header.split(" ")
            if len(parts) != 2:
                return bare(400, "Bad Request")
            if parts[0].lower() == "bearer":
                token = parts[1]
        if "access_token" in request.query:
            if token:
                return bare(400, "Bad Request")
            token = request.query["access_token"]
        if not token:
            return web.Response(status=401, text="Unauthorized", headers={"WWW-Authenticate": 'Bearer realm="Users"'})
        user = self.users.get(token)
        if user is None:
            return web.Response(status=401, text="Unauthorized",
                                headers={"WWW-Authenticate": 'Bearer realm="Users", error="invalid_token"'})
        return user

    def _may_read(self, user: User, sid: str) -> bool:
        if user.scope == "account":
            return user.account_sid == sid
        return self.accounts.get(sid) == user.service_provider_sid

    async def not_found(self, request: web.Request, user: User) -> web.Response:
        html = (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n'
                f"<body>\n<pre>Cannot {request.method} {request.path}</pre>\n</body>\n</html>\n")
        return web.Response(status=404, text=html, content_type="text/html")

    # ------------------------------------------------------------ create

    async def create_call(self, request: web.Request, user: User) -> web.Response:
        sid = request.match_info["sid"]
        if not self.capacity:
            return msg(480, "no available feature servers at this time")
        if user.scope == "account" and user.account_sid != sid:  # the account route's own check comes first
            return msg(403, "insufficient permissions")
        body = await _json_body(request)
        if isinstance(body, web.Response):
            return body
        try:
            prepared = self._validate_create(sid, user, body)
        except ValueError as exc:
            return msg(400, str(exc))
        app_json = prepared.pop("_app_json", None)
        prepared = {k: v for k, v in prepared.items() if v is not None}  # removeNulls
        try:
            feature_server_check(prepared, cognigy=self.mode == "cognigy")
            call = self._start_call(sid, prepared, app_json)
        except ValueError as exc:
            self.log(f"createCall refused by the feature server: {exc}")
            return bare(500, "Internal Server Error")
        # Cognigy documents `callid`; the jambonz feature server sends `callId`.
        return web.json_response(
            {"sid": call.call_sid, ("callid" if self.mode == "cognigy" else "callId"): call.call_id}, status=201
        )

    def _validate_create(self, sid: str, user: User, obj: dict[str, Any]) -> dict[str, Any]:
        """accounts.js validateCreateCall, in its order, with its messages."""
        if user.scope == "service_provider":
            raise ValueError(f"unauthorized createCall request for account {sid}")
        obj = dict(obj, account_sid=sid)
        if not obj.get("from"):
            raise ValueError("missing from parameter")
        _validate_to(obj.get("to"))
        if obj.get("application_sid"):
            app = next((a for a in self.seed.applications() if a["application_sid"] == obj["application_sid"]
                        and a["account_sid"] == sid), None)
            if app is None:
                raise ValueError(f"application_sid not found {obj['application_sid']}")
            obj.update({k: app[k] for k in ("call_hook", "call_status_hook", *SPEECH_FIELDS)})
            obj["_app_json"] = app.get("app_json")
        else:
            obj.pop("application_sid", None)
            if not all(obj.get(k) for k in SPEECH_FIELDS):
                raise ValueError(
                    "either application_sid or set of speech_synthesis_vendor, speech_synthesis_language, "
                    "speech_synthesis_voice, speech_recognizer_vendor, speech_recognizer_language required"
                )
        if not obj.get("call_hook") and not obj.get("application_sid"):
            raise ValueError("either call_hook or application_sid required")
        for key in ("call_hook", "call_status_hook"):
            if isinstance(obj.get(key), str):
                obj[key] = {"url": obj[key], "method": "POST"}
        for key in ("call_hook", "call_status_hook"):
            hook = obj.get(key)
            if isinstance(hook, dict) and not isinstance(hook.get("url"), str):
                raise ValueError(f"{key} must be string or an object containing a url property")
        for key in ("call_hook", "call_status_hook"):
            hook = obj.get(key)
            if hook and not str(hook.get("url", "")).startswith(("http:", "https:", "ws:", "wss:")):
                raise ValueError(f"{key} url be an absolute url")
        return obj

    def _start_call(self, sid: str, body: dict[str, Any], app_json: str | None) -> SimCall:
        if app_json is not None:
            body.pop("call_hook", None)  # app_json runs instead of fetching call_hook
        to = body["to"]
        destination = {"phone": to.get("number"), "teams": to.get("number"), "sip": to.get("sipUri"),
                       "user": to.get("name")}[to["type"]]
        if to["type"] == "user" and "@" not in destination:
            destination = f"{destination}@{self.seed.sip_realm}"
        if to["type"] == "teams" and not (to.get("tenant") or self.seed.teams_tenant):
            raise ValueError("no Microsoft Teams tenant configured for account")
        tag = _trim_strings(body.get("tag")) if isinstance(body.get("tag"), dict) else None
        status_hooks = [h for h in (Hook.parse(body.get("call_status_hook")),) if h]
        if self.mode == "cognigy" and (notify := Hook.parse(body.get("notifyUrl"))):
            status_hooks.append(notify)
        call_hook = Hook.parse(body.get("call_hook"))
        amd = body.get("amd")
        amd_hook = None
        if amd:
            raw = amd.get("actionHook")
            amd_hook = Hook.parse(raw)
            if amd_hook and not amd_hook.url.startswith(("http:", "https:")):
                base = (call_hook or (status_hooks[0] if status_hooks else None))
                amd_hook = Hook(urljoin(base.url, amd_hook.url), amd_hook.method, amd_hook.username,
                                amd_hook.password) if base else None
        call = SimCall(
            kind="jambonz", account_sid=sid, from_=body["from"], to=destination, outcome=outcome_for(destination),
            timeout=body.get("timeout") or 60, time_limit=body.get("timeLimit"), amd=amd,
            data={
                "application_sid": body.get("application_sid"), "tag": tag, "status_hooks": status_hooks,
                "call_hook": call_hook, "amd_hook": amd_hook,
                "action_hook": Hook.parse(body.get("actionHook")) if self.mode == "cognigy" else None,
                "trace_id": uuid.uuid4().hex, "sbc_callid": f"{uuid.uuid4().hex[:8]}-sbc",
            },
        )
        return self.engine.start(call, self._emit)

    # ------------------------------------------------------------ webhooks

    def call_info(self, call: SimCall) -> dict[str, Any]:
        """CallInfo.toJSON(), snake-cased, customerData as given."""
        info: dict[str, Any] = {
            "call_sid": call.call_sid, "direction": "outbound", "from": call.from_, "to": call.to,
            "call_id": call.call_id, "sip_status": call.sip_status, "sip_reason": call.sip_reason,
            "call_status": call.status, "account_sid": call.account_sid, "trace_id": call.data["trace_id"],
            "fs_sip_address": FS_SIP_ADDRESS,
        }
        if call.status != "trying":
            info["sbc_callid"] = call.data["sbc_callid"]
        if call.data.get("application_sid"):
            info["application_sid"] = call.data["application_sid"]
        if call.termination_by:
            info["call_termination_by"] = call.termination_by
        if call.status == "completed":
            info["duration"] = call.duration
        if call.data.get("tag") is not None:
            info["customerData"] = call.data["tag"]
        return info

    async def _post(self, hook: Hook, payload: dict[str, Any], call: SimCall, droppable: bool = True) -> Any:
        return await self.notifier.jambonz(hook, payload, secret=self.seed.webhook_secret, account_sid=call.account_sid,
                                           target_sid=call.call_sid, droppable=droppable)

    async def _emit(self, call: SimCall, step: str, detail: dict[str, Any]) -> bool:
        if step == "amd":
            hook = call.data["amd_hook"]
            if hook is None:
                return False
            delivery = await self._post(hook, {**self.call_info(call), **detail}, call)
            # An array of verbs replaces the application: [{"verb": "hangup"}] ends the call.
            verbs = delivery.body if isinstance(delivery.body, list) else []
            return any(isinstance(v, dict) and v.get("verb") == "hangup" for v in verbs)
        info = self.call_info(call)
        for hook in call.data["status_hooks"]:
            await self._post(hook, info, call)
        if step == "in-progress" and call.data["call_hook"] is not None:
            defaults = {"synthesizer": {"vendor": "google", "language": "en-US", "voice": "en-US-Standard-C"},
                        "recognizer": {"vendor": "google", "language": "en-US"}}
            delivery = await self._post(call.data["call_hook"], {**info, "defaults": defaults}, call, droppable=False)
            if not delivery.ok or not isinstance(delivery.body, list):
                return True  # no application to run: jambonz hangs up
        if call.final and call.data["action_hook"] is not None:
            await self._post(call.data["action_hook"], {**info, "dial_call_sid": call.call_sid,
                                                        "dial_call_status": call.status,
                                                        "dial_sip_status": call.sip_status}, call)
        return False

    # ------------------------------------------------------------ live calls

    def redis_view(self, call: SimCall) -> dict[str, Any]:
        """A call as GET /Calls returns it: objects and nulls dropped, strings but for two numbers."""
        info = self.call_info(call)
        view = {k: (v if k in ("sip_status", "duration") else str(v)) for k, v in info.items()
                if v is not None and not isinstance(v, (dict, list))}
        view["service_url"] = SERVICE_URL
        return view

    async def list_calls(self, request: web.Request, user: User) -> web.Response:
        sid = request.match_info["sid"]
        if not self._may_read(user, sid):
            return msg(403, "insufficient permissions")
        q = request.query
        rows = [self.redis_view(c) for c in self.engine.listed(sid)]
        for key, field in (("direction", "direction"), ("from", "from"), ("to", "to"), ("callStatus", "call_status")):
            if key in q:
                rows = [r for r in rows if r.get(field) == q[key]]
        return web.json_response(rows)

    def _call(self, request: web.Request, user: User) -> SimCall | web.Response:
        sid = request.match_info["sid"]
        if not self._may_read(user, sid):
            return msg(403, "insufficient permissions")
        call = self.engine.find(request.match_info["call_sid"])
        if call is None or call.account_sid != sid or call.kind != "jambonz":
            return bare(404, "Not Found")
        return call

    async def get_call(self, request: web.Request, user: User) -> web.Response:
        call = self._call(request, user)
        return call if isinstance(call, web.Response) else web.json_response(self.redis_view(call))

    async def delete_call(self, request: web.Request, user: User) -> web.Response:
        call = self._call(request, user)
        if isinstance(call, web.Response):
            return call
        call.deleted = True  # removes the record only; the call itself goes on
        return web.Response(status=204)

    async def update_call(self, request: web.Request, user: User) -> web.Response:
        body = await _json_body(request)
        if isinstance(body, web.Response):
            return body
        try:
            _validate_update(body)
        except ValueError as exc:
            return msg(400, str(exc))
        call = self._call(request, user)
        if isinstance(call, web.Response):
            return call
        try:
            if "call_status" in body:
                self.engine.request_hangup(call, body["call_status"])
            elif call.final:
                raise CallStateError(f"call session is gone for call_sid {call.call_sid}")
            elif "tag" in body:
                if not isinstance(body["tag"], dict):
                    return msg(400, "tag must be an object")
                call.data["tag"] = body["tag"]
            elif "sip_request" in body:
                if call.status != "in-progress":
                    raise CallStateError(
                        f"current call state is incompatible with requested action for call_sid {call.call_sid}"
                    )
                return web.json_response({"status": 200, "reason": "OK"})
        except CallStateError as exc:
            return bare(422, str(exc))
        return web.Response(status=202)

    async def call_count(self, request: web.Request, user: User) -> web.Response:
        sid = request.match_info["sid"]
        if not self._may_read(user, sid):
            return msg(403, "insufficient permissions")
        active = sum(1 for c in self.engine.listed(sid) if not c.final)
        return web.json_response({"inbound": 0, "outbound": active})

    async def webhook_secret(self, request: web.Request, user: User) -> web.Response:
        sid = request.match_info["sid"]
        if not self._may_read(user, sid):
            return msg(403, "insufficient permissions")
        if sid != self.seed.account_sid:
            return web.Response(status=404)
        if request.query.get("regenerate"):
            self.seed.webhook_secret = f"wh_secret_{uuid.uuid4().hex[:22]}"
        return web.json_response({"webhook_secret": self.seed.webhook_secret})

    # ------------------------------------------------------------ lists

    def _owned(self, user: User, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if user.scope == "account":
            return [r for r in rows if r.get("account_sid") == user.account_sid]
        return [r for r in rows if self.accounts.get(r.get("account_sid") or "") == user.service_provider_sid
                or r.get("service_provider_sid") == user.service_provider_sid]

    async def phone_numbers(self, request: web.Request, user: User) -> web.Response:
        rows = self._owned(user, self.seed.phone_numbers())
        if text := request.query.get("filter"):
            rows = [r for r in rows if text in r["number"]]
        return _maybe_paged(request, sorted(rows, key=lambda r: r["number"]))

    async def applications(self, request: web.Request, user: User) -> web.Response:
        return self._apps(request, self._owned(user, self.seed.applications()))

    async def account_applications(self, request: web.Request, user: User) -> web.Response:
        sid = request.match_info["sid"]
        if not self._may_read(user, sid):
            return msg(403, "insufficient permissions")
        return self._apps(request, [a for a in self.seed.applications() if a["account_sid"] == sid])

    def _apps(self, request: web.Request, rows: list[dict[str, Any]]) -> web.Response:
        if name := request.query.get("name"):
            rows = [r for r in rows if name.lower() in r["name"].lower()]
        return _maybe_paged(request, rows)

    async def carriers(self, request: web.Request, user: User) -> web.Response:
        return _maybe_paged(request, self.seed.carriers())

    async def account_carriers(self, request: web.Request, user: User) -> web.Response:
        if not self._may_read(user, request.match_info["sid"]):
            return msg(403, "insufficient permissions")
        return web.json_response(self.seed.carriers())

    # ------------------------------------------------------------ history

    def _account_permission(self, request: web.Request, user: User) -> web.Response | None:
        """hasAccountPermissions middleware: its own error shape."""
        if not self._may_read(user, request.match_info["sid"]):
            return web.json_response({"status": "fail", "message": "insufficient privileges"}, status=403)
        return None

    def cdr(self, call: SimCall) -> dict[str, Any]:
        answered = call.answered_at is not None
        row: dict[str, Any] = {
            "attempted_at": iso_utc(call.created_at),
            "terminated_at": iso_utc(call.ended_at or call.created_at),
            "answered": answered,
            "account_sid": call.account_sid,
            "service_provider_sid": self.seed.service_provider_sid,
            "call_sid": call.call_sid,
            "application_sid": call.data.get("application_sid"),
            "from": call.from_.lstrip("+"),
            "to": call.to.lstrip("+"),
            "sip_callid": call.data["sbc_callid"],
            "sip_status": call.sip_status,
            "duration": call.duration or 0,
            "termination_reason": _termination_reason(call),
            "host": "10.0.1.10",
            "remote_host": "203.0.113.10",
            "trunk": "Demo Carrier US",
            "direction": "outbound",
            "trace_id": call.data["trace_id"],
        }
        if call.answered_at is not None:
            row["answered_at"] = iso_utc(call.answered_at)
        return row

    async def recent_calls(self, request: web.Request, user: User) -> web.Response:
        if denied := self._account_permission(request, user):
            return denied
        paging = _paging(request)
        if isinstance(paging, web.Response):
            return paging
        sid, q = request.match_info["sid"], request.query
        # the time series stores a CDR at its attempted_at and lists `ORDER BY time DESC`
        calls = sorted((c for c in self.engine.finished if c.account_sid == sid and c.kind == "jambonz"),
                       key=lambda c: c.created_at, reverse=True)
        rows = [self.cdr(c) for c in calls]
        if "answered" in q:
            rows = [r for r in rows if r["answered"] == (q["answered"] == "true")]
        if "direction" in q:
            rows = [r for r in rows if r["direction"] == q["direction"]]
        if "trunk" in q:
            rows = [r for r in rows if r["trunk"] == q["trunk"]]
        if text := q.get("filter"):
            rows = [r for r in rows if text in r["from"] or text in r["to"] or r["call_sid"] == text]
        rows = _in_window(request, rows, "attempted_at", self.engine.clock())
        return _page_of(request, rows, paging)

    async def list_alerts(self, request: web.Request, user: User) -> web.Response:
        if denied := self._account_permission(request, user):
            return denied
        paging = _paging(request)
        if isinstance(paging, web.Response):
            return paging
        sid = request.match_info["sid"]
        rows = [a for a in reversed(self.alerts.rows) if a["account_sid"] == sid]
        if kind := request.query.get("alert_type"):
            rows = [a for a in rows if a["alert_type"] == kind]
        rows = _in_window(request, rows, "time", self.engine.clock())
        return _page_of(request, [{k: v for k, v in a.items() if v is not None} for a in rows], paging)


# ---------------------------------------------------------------- helpers


async def _json_body(request: web.Request) -> dict[str, Any] | web.Response:
    """express.json(): only a JSON content type is parsed; anything else is an empty body."""
    raw = await request.read()
    if not raw or "json" not in (request.content_type or ""):
        return {}
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return msg(400, f"invalid JSON body: {exc}")
    return parsed if isinstance(parsed, dict) else {}


def _validate_to(to: Any) -> None:
    if isinstance(to, dict):
        kind = to.get("type")
        if kind in ("phone", "teams") and isinstance(to.get("number"), str):
            return
        if kind == "user" and isinstance(to.get("name"), str):
            return
        if kind == "sip" and isinstance(to.get("sipUri"), str):
            return
    shown = "undefined" if to is None else json.dumps(to, separators=(",", ":"), ensure_ascii=False)
    raise ValueError(f"missing or invalid to property: {shown}")


def _validate_update(opts: dict[str, Any]) -> None:
    """accounts.js validateUpdateCall."""
    count = sum(1 for key in UPDATE_OPTIONS if opts.get(key))
    if count == 0 and not opts.get("whisper"):
        raise ValueError("no valid options supplied to updateCall")
    if count == 2 and not (opts.get("call_hook") and opts.get("child_call_hook")) and not (
        opts.get("conf_hold_status") and opts.get("waitHook")
    ):
        raise ValueError("multiple options are not allowed in updateCall")
    if count > 2:
        raise ValueError("multiple options are not allowed in updateCall")
    allowed = {"call_status": ("completed", "no-answer"), "listen_status": ("pause", "silence", "resume"),
               "mute_status": ("mute", "unmute"), "conf_hold_status": ("hold", "unhold"),
               "conf_mute_status": ("mute", "unmute")}
    for key, values in allowed.items():
        if opts.get(key) and opts[key] not in values:
            raise ValueError(f"invalid {key}")
    sip = opts.get("sip_request")
    if sip and (not isinstance(sip, dict) or not sip.get("content_type")):
        raise ValueError("sip_request requires content_type and content properties")
    record = opts.get("record")
    if record and (not isinstance(record, dict) or not record.get("action")):
        raise ValueError("record requires action property")
    if isinstance(record, dict) and record.get("action") == "startCallRecording" and not record.get("siprecServerURL") \
            and record.get("type") != "cloud":
        raise ValueError("record requires siprecServerURL property when starting recording")


def _trim_strings(value: Any) -> Any:
    """The feature server trims every string in `tag` (customSanitizeFunction)."""
    if isinstance(value, dict):
        return {k: _trim_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_trim_strings(v) for v in value]
    return value.strip() if isinstance(value, str) else value


def _termination_reason(call: SimCall) -> str:
    if call.status == "completed":
        return "called party hungup" if call.termination_by == "caller" else "caller hungup"
    return {"busy": "busy", "no-answer": "caller abandoned"}.get(call.status, "failed")


def _maybe_paged(request: web.Request, rows: list[dict[str, Any]]) -> web.Response:
    """Without `page` a bare array; with it {total, page, page_size, data} (default page_size 50)."""
    if "page" not in request.query:
        return web.json_response(rows)
    try:
        page = max(1, int(request.query["page"]))
        size = max(1, int(request.query.get("page_size", 50)))
    except ValueError:
        return msg(400, "invalid page or page_size")
    start = (page - 1) * size
    return web.json_response({"total": len(rows), "page": page, "page_size": size, "data": rows[start:start + size]})


def _paging(request: web.Request) -> tuple[int, int] | web.Response:
    q = request.query
    try:
        page = int(q["page"])
        assert page >= 1
    except (KeyError, ValueError, AssertionError):
        return msg(400, 'missing or invalid "page" query arg')
    try:
        count = int(q["count"])
        assert 1 <= count <= 500
    except (KeyError, ValueError, AssertionError):
        return msg(400, 'missing or invalid "count" query arg')
    return page, count


def _page_of(request: web.Request, rows: list[dict[str, Any]], paging: tuple[int, int]) -> web.Response:
    page, count = paging
    start = (page - 1) * count
    # page and page_size come back as the strings that were sent (time-series queryCdrs).
    return web.json_response({"total": len(rows), "page_size": request.query["count"], "page": request.query["page"],
                              "data": rows[start:start + count]})


def _in_window(request: web.Request, rows: list[dict[str, Any]], field: str, now: float) -> list[dict[str, Any]]:
    q = request.query
    start = end = None
    if "days" in q:
        try:
            days = max(1, min(30, int(q["days"])))
        except ValueError:
            days = 30
        start = iso_utc(now - days * 86400)
    else:
        start, end = q.get("start"), q.get("end")
    if start:
        rows = [r for r in rows if r[field] >= start]
    if end:
        rows = [r for r in rows if r[field] <= end]
    return rows
