"""Webhooks as the gateways send them: JSON POSTs, signed or with credentials, and what went wrong
recorded as alerts (jambonz's alert types and messages) instead of ever stopping a call."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp

WEBHOOK_TIMEOUT_S = 10.0  # JAMBONES_HTTP_TIMEOUT
SUCCESS = (200, 202, 204)  # jambonz counts anything else as a failure
USER_AGENT = "jambonz"


def iso_utc(ts: float) -> str:
    """A unix time as jambonz writes times: ISO 8601, milliseconds, Z."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Hook:
    url: str
    method: str = "POST"
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, value: Any) -> Hook | None:
        """A hook as a request gives it: a URL string or {url, method, username, password}."""
        if isinstance(value, str) and value:
            return cls(value)
        if isinstance(value, dict) and isinstance(value.get("url"), str):
            return cls(
                value["url"], str(value.get("method") or "POST").upper(), value.get("username"), value.get("password")
            )
        return None

    def basic(self) -> str | None:
        # jambonz sends Basic auth only when both halves are set (http-requestor.js basicAuth).
        if not self.username or not self.password:
            return None
        return "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()


def to_json(payload: Any) -> bytes:
    """JSON the way JSON.stringify writes it: no spaces, non-ASCII as is."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def jambonz_signature(body: bytes, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class Delivery:
    status: int | None  # None: no HTTP answer (refused, timed out)
    body: Any = None  # the parsed JSON answer, if any

    @property
    def ok(self) -> bool:
        return self.status in SUCCESS


class AlertLog:
    """jambonz-style alerts (GET /Accounts/{sid}/Alerts), newest last, bounded."""

    def __init__(self, clock: Callable[[], float], limit: int = 10_000):
        self._clock = clock
        self.rows: deque[dict[str, Any]] = deque(maxlen=limit)

    def add(self, account_sid: str, alert_type: str, message: str, detail: str | None = None,
            target_sid: str | None = None, service_provider_sid: str | None = None) -> None:
        self.rows.append({
            "time": iso_utc(self._clock()),
            "account_sid": account_sid, "service_provider_sid": service_provider_sid, "alert_type": alert_type,
            "message": message, "detail": detail, "target_sid": target_sid,
        })


class Notifier:
    """Sends webhooks. `drop_rate` (0 to 1) loses that share of status and AMD notifications on the way, as a
    network or a receiver that is down would (jambonz does not retry; it writes an alert), chosen by
    `drop_seed` so a test sees the same losses every run."""

    def __init__(self, alerts: AlertLog, clock: Callable[[], float] = time.time, timeout: float = WEBHOOK_TIMEOUT_S,
                 drop_rate: float = 0.0, drop_seed: int | None = None):
        if not 0.0 <= drop_rate <= 1.0:
            raise ValueError("drop_rate is a share between 0 and 1")
        self.alerts = alerts
        self._clock = clock
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self.drop_rate = drop_rate
        self._dice = random.Random(drop_seed)
        self.sent = 0
        self.failed = 0
        self.dropped = 0

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=512),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            )
        return self._session

    async def jambonz(self, hook: Hook, payload: dict[str, Any], *, secret: str, account_sid: str,
                      target_sid: str | None, droppable: bool = True) -> Delivery:
        """A jambonz webhook: signed with the account's secret, Basic auth from the hook object.
        GET hooks carry no body (feature-server 0.9.8 sends only the URL's own query string).
        `droppable`: a notification (status, AMD, action) that `drop_rate` may lose; the call_hook that
        fetches the application is not one."""
        if droppable and self._lost(hook.url, account_sid, target_sid):
            return Delivery(None)
        body = to_json(payload) if hook.method == "POST" else b""
        headers = {"Jambonz-Signature": jambonz_signature(body, secret, int(self._clock())), "user-agent": USER_AGENT}
        if hook.method == "POST":
            headers["Content-Type"] = "application/json"
        if basic := hook.basic():
            headers["Authorization"] = basic
        return await self._send(hook.method, hook.url, body, headers, account_sid, target_sid)

    async def post_json(self, url: str, payload: dict[str, Any], *, authorization: str | None, account_sid: str,
                        target_sid: str | None) -> Delivery:
        """A plain JSON POST (IBM with Basic auth, MOBtexting with a Bearer secret)."""
        if self._lost(url, account_sid, target_sid):
            return Delivery(None)
        headers = {"Content-Type": "application/json"}
        if authorization:
            headers["Authorization"] = authorization
        return await self._send("POST", url, to_json(payload), headers, account_sid, target_sid)

    def _lost(self, url: str, account_sid: str, target_sid: str | None) -> bool:
        if not self.drop_rate or self._dice.random() >= self.drop_rate:
            return False
        self.dropped += 1
        self.alerts.add(account_sid, "webhook-connection-failure", f"failed to connect to {url}",
                        detail="dropped by the simulator (--drop-webhooks)", target_sid=target_sid)
        return True

    async def _send(self, method: str, url: str, body: bytes, headers: dict[str, str], account_sid: str,
                    target_sid: str | None) -> Delivery:
        self.sent += 1
        try:
            async with self._client().request(method, url, data=body or None, headers=headers) as response:
                text = await response.text(errors="replace")
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            self.failed += 1
            self.alerts.add(account_sid, "webhook-connection-failure", f"failed to connect to {url}",
                            detail=type(exc).__name__, target_sid=target_sid)
            return Delivery(None)
        if status not in SUCCESS:
            self.failed += 1
            if status in (401, 403):
                self.alerts.add(account_sid, "webhook-auth-failure", f"authentication failure: {url}",
                                detail=f"HTTP {status}", target_sid=target_sid)
            elif status == 404:
                self.alerts.add(account_sid, "webhook-url-notfound", f"webhook url not found: {url}",
                                target_sid=target_sid)
            else:
                self.alerts.add(account_sid, "webhook-failure", f"{url} returned {status}",
                                detail="Unexpected HTTP Response", target_sid=target_sid)
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return Delivery(status, parsed)
