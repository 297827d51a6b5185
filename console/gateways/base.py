"""What every gateway client does, and the HTTP layer they share: one long-lived httpx client per
profile, TLS verified, and every transport or HTTP failure turned into a GatewayError sentence."""

from __future__ import annotations

import asyncio
import json
import math
import socket
import ssl
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from console.calls import DialRequest
from console.gateways.errors import (
    GatewayAuthError,
    GatewayBadResponse,
    GatewayDropped,
    GatewayError,
    GatewayNotFound,
    GatewayRateLimited,
    GatewayRejected,
    GatewayTimeout,
    GatewayTlsError,
    GatewayUnavailable,
    GatewayUnreachable,
    NotSupported,
)
from console.gateways.listings import AppInfo, CallLookup, LiveCall, NumberInfo, Placed, Prepared, RecentPage
from console.hooks import AttemptHooks
from console.providers import Provider
from console.redact import MASK, credential_forms

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 15.0
DEADLINE_S = 30.0  # a whole request, answer included: a gateway that trickles bytes cannot hold a dial
MAX_RESPONSE_BYTES = 5 * 1024 * 1024  # a gateway's answer, decompressed: a list of thousands of numbers fits
READ_RETRIES = 2  # 429 on a read: wait as told, at most this many times
MAX_RETRY_WAIT_S = 5.0  # a longer wait is the operator's decision, not ours

HookSource = Callable[[str, str], AttemptHooks | None]  # (profile, attempt id) -> the receiver's URLs


class Http:
    """One profile's connection to its gateway."""

    def __init__(self, base_url: str, headers: dict[str, str], *, client: httpx.AsyncClient | None = None,
                 ca_file: str | None = None, connect_timeout: float = CONNECT_TIMEOUT_S,
                 read_timeout: float = READ_TIMEOUT_S, deadline: float = DEADLINE_S,
                 max_response_bytes: int = MAX_RESPONSE_BYTES):
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc or self.base_url
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
        # JSON, as every gateway's own examples ask; uncompressed (a compressed answer is still read within
        # the same cap, but need not be).
        self._headers = {"Accept": "application/json", "Accept-Encoding": "identity", **headers}
        self._credentials = sorted(credential_forms(headers), key=len, reverse=True)  # longest first: masked whole
        self._own = client is None
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            verify=ssl.create_default_context(cafile=ca_file) if ca_file else True,
            headers={"User-Agent": "vgconsole"},
        )

    async def close(self) -> None:
        if self._own:
            await self.client.aclose()

    async def send(self, method: str, path: str, *, json_body: Any = None, form: dict[str, Any] | None = None,
                   params: dict[str, Any] | None = None, read: bool = False,
                   explain: Callable[[httpx.Response], GatewayError | None] | None = None,
                   creates: bool = False) -> httpx.Response:
        """Send, retrying a rate-limited read a bounded number of times; raise GatewayError on failure.
        `explain` turns a provider's own error answers into sentences before the generic rules."""
        try:
            return await self._send(method, path, json_body, form, params, read, explain, creates)
        except GatewayError as error:
            self.mask(error)
            raise

    def mask(self, error: GatewayError) -> GatewayError:
        """`error` with every form of our credential masked: a gateway that quotes our request back quotes our
        key. Exact text only: the rest of the sentence stays whole."""
        for found in self._credentials:
            if len(found) >= 4:
                error.message, error.detail = error.message.replace(found, MASK), error.detail.replace(found, MASK)
        error.args = (error.message,)
        return error

    async def _send(self, method: str, path: str, json_body: Any, form: dict[str, Any] | None,
                    params: dict[str, Any] | None, read: bool,
                    explain: Callable[[httpx.Response], GatewayError | None] | None,
                    creates: bool) -> httpx.Response:
        attempts = READ_RETRIES + 1 if read else 1
        for attempt in range(attempts):
            response = await self._once(method, path, json_body, form, params, creates)
            if response.is_success:
                return response
            error = (explain(response) if explain else None) or explain_status(response, self.host)
            if isinstance(error, GatewayRateLimited) and attempt + 1 < attempts and error.retry_after is not None \
                    and error.retry_after <= MAX_RETRY_WAIT_S:
                await asyncio.sleep(error.retry_after)
                continue
            raise error
        raise AssertionError("unreachable")

    async def _once(self, method: str, path: str, json_body: Any, form: dict[str, Any] | None,
                    params: dict[str, Any] | None, creates: bool) -> httpx.Response:
        url = self.base_url + path
        after = " The call may have been placed: check live calls before dialling again." if creates else ""
        try:
            async with asyncio.timeout(self.deadline):
                return await self._read(method, url, json_body, form, params)
        except TimeoutError:
            raise GatewayTimeout(f"{self.host} did not finish answering within {self.deadline:g} s (the profile's "
                                 f"deadline_s).{after}") from None
        except httpx.ConnectTimeout:
            raise GatewayUnreachable(f"cannot reach {self.host}: no answer to the connection attempt") from None
        except httpx.ConnectError as exc:
            raise _connect_error(exc, self.host) from None
        except httpx.ReadTimeout:
            raise GatewayTimeout(f"{self.host} took the request but did not answer within {self.read_timeout:g} s."
                                 f"{after}") from None
        except httpx.PoolTimeout:  # no connection came free: the request never left
            raise GatewayUnreachable(f"no connection to {self.host} came free in time") from None
        except httpx.TimeoutException as exc:
            raise GatewayTimeout(f"{self.host} timed out ({type(exc).__name__}).{after}") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:  # part of it may have left
            raise GatewayDropped(f"the connection to {self.host} dropped before the answer was complete.{after}",
                                 detail=str(exc)) from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise GatewayError(f"{url} is not a usable address: {exc}") from None
        except httpx.HTTPError as exc:
            raise GatewayError(f"talking to {self.host} failed: {exc}") from None


    async def _read(self, method: str, url: str, json_body: Any, form: dict[str, Any] | None,
                    params: dict[str, Any] | None) -> httpx.Response:
        """The answer, read in full but never past max_response_bytes (decompressed, and decompressed a
        bounded piece at a time: a small compressed body cannot unfold into gigabytes)."""
        limit = self.max_response_bytes
        async with self.client.stream(method, url, json=json_body, data=form, params=params,
                                      headers=self._headers) as response:
            encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
            if encoding not in ("identity", "gzip", "deflate", ""):
                raise GatewayBadResponse(f"{self.host} answered in an encoding the console does not read ({encoding})",
                                         status=response.status_code)
            window = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS  # gzip framing, or zlib's
            unfold = None if encoding in ("identity", "") else zlib.decompressobj(window)
            body = bytearray()
            async for chunk in response.aiter_raw():
                while chunk:
                    if unfold is None:
                        piece, chunk = chunk, b""
                    else:
                        piece = unfold.decompress(chunk, limit + 1 - len(body))
                        chunk = unfold.unconsumed_tail
                    body += piece
                    if len(body) > limit:
                        raise GatewayBadResponse(f"{self.host} answered with more than {limit:,} bytes (the profile's "
                                                 "max_response_bytes); the answer was not read further",
                                                 status=response.status_code)
                    if unfold is not None and not piece:
                        break
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(response.status_code, headers=headers, content=bytes(body), request=response.request)


def _connect_error(exc: httpx.ConnectError, host: str) -> GatewayError:
    """Tell a refused connection, a name that does not resolve and a TLS failure apart."""
    cause: BaseException | None = exc
    seen = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLCertVerificationError):
            return GatewayTlsError(f"TLS with {host} failed: {cause.verify_message or cause.reason}. If the gateway "
                                   "uses a private CA, set ca_file in the profile.", detail=str(cause))
        if isinstance(cause, ssl.SSLError):
            return GatewayTlsError(f"TLS with {host} failed: {cause.reason or cause}", detail=str(cause))
        if isinstance(cause, ConnectionRefusedError):
            return GatewayUnreachable(f"cannot reach {host}: connection refused (is it running, is the port right?)")
        if isinstance(cause, socket.gaierror):
            return GatewayUnreachable(f"cannot resolve {host}: check the base URL ({cause.strerror or cause})")
        cause = cause.__cause__ or cause.__context__
    text = str(exc)
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text \
            or "Temporary failure in name resolution" in text:
        return GatewayUnreachable(f"cannot resolve {host}: check the base URL")
    if "refused" in text.lower():
        return GatewayUnreachable(f"cannot reach {host}: connection refused (is it running, is the port right?)")
    if "SSL" in text or "TLS" in text or "certificate" in text:
        return GatewayTlsError(f"TLS with {host} failed: {text}", detail=text)
    return GatewayUnreachable(f"cannot reach {host}: {text or type(exc).__name__}")


def body_text(response: httpx.Response, limit: int = 2000) -> str:
    return response.text[:limit]


def json_msg(response: httpx.Response) -> str | None:
    """The `msg` of a jambonz-style {"msg": "..."} body, if that is what it is."""
    try:
        data = response.json()
    except ValueError:
        return None
    if isinstance(data, dict):
        for key in ("msg", "message", "failureReason"):
            if isinstance(data.get(key), str):
                return str(data[key])
    return None


MAX_RETRY_AFTER_S = 3600.0  # a wait the gateway asks for, at most: "inf" or a year is not an answer


def retry_after(response: httpx.Response) -> float | None:
    """Seconds the gateway asks to wait (Retry-After, or draft-6 RateLimit-Reset), if it says a number."""
    for header in ("Retry-After", "RateLimit-Reset"):
        value = response.headers.get(header)
        if value is not None:
            try:
                wait = float(value)
            except ValueError:
                continue
            if math.isfinite(wait):
                return min(MAX_RETRY_AFTER_S, max(0.0, wait))
    return None


def explain_status(response: httpx.Response, host: str) -> GatewayError:
    """The generic reading of an error status; providers add their own first."""
    status, text, msg = response.status_code, body_text(response), json_msg(response)
    if status == 429:
        wait = retry_after(response)
        when = f" Try again in {wait:g} s." if wait is not None else ""
        return GatewayRateLimited(f"{host} is rate limiting requests (HTTP 429).{when}", retry_after=wait, detail=text)
    if status in (401, 403):
        return GatewayAuthError(f"{host} refused the credential (HTTP {status}){': ' + msg if msg else ''}.",
                                detail=text, status=status)
    if status == 404:
        if msg is None:  # an HTML or plain-text 404: the path is not this API's
            return GatewayNotFound(f"{host} has no such route ({response.request.url.path}): check the base URL.",
                                   detail=text, status=404)
        return GatewayNotFound(f"{host} answered 404 Not Found: {msg}.", detail=text, status=404)
    if status == 480:
        return GatewayUnavailable(f"{host} has no feature server available right now (480){': ' + msg if msg else ''}; "
                                  "try again shortly.", detail=text, status=status)
    if msg:
        return GatewayRejected(msg, detail=text, status=status)
    if text.strip() and "<html" not in text.lower() and len(text) < 300:
        return GatewayRejected(f"{host} answered HTTP {status}: {text.strip()}", detail=text, status=status)
    return GatewayRejected(f"{host} answered HTTP {status} without saying why.", detail=text, status=status)


def parse_json(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise GatewayBadResponse(
            f"the gateway answered {what} with HTTP {response.status_code} but the body is not JSON",
            detail=body_text(response),
            status=response.status_code,
        ) from None


class Gateway(ABC):
    provider: ClassVar[Provider]

    def __init__(self, name: str, profile: Any, http: Http, hooks: HookSource | None = None):
        self.name = name
        self.profile = profile
        self.http = http
        self.hooks = hooks

    async def close(self) -> None:
        await self.http.close()

    def attempt_hooks(self, attempt_id: str) -> AttemptHooks | None:
        return self.hooks(self.name, attempt_id) if self.hooks else None

    @abstractmethod
    async def list_numbers(self) -> list[NumberInfo]: ...

    @abstractmethod
    async def list_applications(self) -> list[AppInfo]: ...

    @abstractmethod
    def prepare(self, request: DialRequest, attempt_id: str) -> Prepared:
        """Build the create-call request; raises GatewayRejected when it cannot be sent as asked."""

    @abstractmethod
    async def send(self, prepared: Prepared) -> Placed: ...

    async def create_call(self, request: DialRequest, attempt_id: str) -> Placed:
        return await self.send(self.prepare(request, attempt_id))

    async def hangup(self, call_sid: str, *, answered: bool) -> None:
        raise NotSupported(f"{self.provider.value} has no API to hang up or cancel a call")

    async def live_calls(self) -> list[LiveCall]:
        raise NotSupported(f"{self.provider.value} has no API listing live calls")

    async def recent_calls(self, page: int = 1, count: int = 50) -> RecentPage:
        raise NotSupported(f"{self.provider.value} has no API listing recent calls that the console uses")

    async def alerts(self, page: int = 1, count: int = 50) -> RecentPage:
        raise NotSupported(f"{self.provider.value} has no API listing the gateway's alerts")

    async def call_count(self) -> dict[str, int]:
        raise NotSupported(f"{self.provider.value} has no API counting live calls")

    # Reconciliation asks these one request at a time, within its own budget: they never retry by themselves.
    async def lookup_live(self, call_sid: str) -> CallLookup:
        """The call as the gateway holds it now (live, or just ended)."""
        raise NotSupported(f"{self.provider.value} has no API to ask about a call")

    async def lookup_ended(self, call_sid: str) -> CallLookup:
        """The gateway's record of a finished call, for when it no longer holds the call itself."""
        raise NotSupported(f"{self.provider.value} keeps no record of finished calls that the console can ask")

    def local_numbers(self) -> list[NumberInfo]:
        return [NumberInfo(n.number, n.label) for n in self.profile.numbers]

    def local_applications(self) -> list[AppInfo]:
        return [AppInfo(a.id, a.name or a.id, a.kind) for a in self.profile.applications]


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
