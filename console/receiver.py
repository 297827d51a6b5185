"""The webhook receiver: gateways post call status and AMD events here.

Routes are /hooks/<profile>/<kind>[/<token>] (console.hooks). Each request is size- and
time-limited, authenticated (Jambonz-Signature, HTTP Basic or Bearer, per provider), parsed into a
CallEvent, and committed to the store before it is answered 2xx: nothing acknowledged is lost. A body
that cannot be understood gets 400 with the reason and is kept as a rejected event; an
unauthenticated request gets 401 and is only counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import os
import resource
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from console.config import Settings
from console.hooks import HookUrls
from console.providers import room
from console.providers.base import Incoming, Room
from console.receiver_state import ReceiverState
from console.records import Ingested
from console.sharing import Holder, bind, health, loopback, probe
from console.signatures import basic_credentials, bearer_matches, check_signature, same
from console.status import CallEvent
from console.store import Store
from console.webhooks import BadPayload

OnEvent = Callable[[CallEvent, Ingested], object]
_STORED, _DUPLICATE = b'{"stored":true}', b'{"stored":false}'


TAKEOVER_S = 1.0  # how often a process without the port tries to take it over


@dataclass
class ReceiverStats:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    unauthorized: int = 0
    rejected: int = 0
    too_large: int = 0
    timed_out: int = 0
    challenges: int = 0


async def _plain_server_header(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Server"] = "vgconsole"  # not which Python and aiohttp versions answer


def connection_cap(wanted: int) -> int:
    """At most `wanted` connections, and always well below the open-file limit: past it, accept() fails and
    asyncio logs the failure on every turn of the loop."""
    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return wanted
    return max(8, min(wanted, soft - 128)) if soft != resource.RLIM_INFINITY else wanted


def cap_connections(server: web.Server, cap: int) -> None:
    """Past `cap` open connections, each new one closes the oldest that is not serving a request: a crowd of
    silent sockets cannot keep a gateway out, and a webhook being handled is never cut."""
    made = server.connection_made

    def connection_made(handler: Any, transport: asyncio.Transport) -> None:
        made(handler, transport)
        if len(server.connections) <= cap:
            return
        for old in server.connections:  # oldest first; a closed one stays listed until its task ends
            if old is not handler and not old._force_close and not old._request_in_progress and not old._messages:
                old.force_close()
                return
        handler.force_close()  # every other connection is busy: this one waits for none of them

    server.connection_made = connection_made  # type: ignore[method-assign]


def auth_mode(settings: Settings, profile: Any) -> str:
    """How a profile's webhooks are checked: as configured, else "require" whenever there is something to
    check them against, else "off" (anyone's webhook is stored, marked unverified)."""
    if profile.webhook_auth:
        return str(profile.webhook_auth)
    r = settings.receiver
    scheme = room(profile.provider).webhooks.auth
    if scheme == "per-call-basic" or profile.embedded:
        known = True  # credentials made per call; an embedded simulator signs with the host's secret
    elif scheme == "bearer":
        known = bool(profile.webhook_secrets) or r.bearer_secret is not None
    else:
        known = bool(profile.webhook_secrets) or bool(r.webhook_secrets) or r.basic_username is not None
    return "require" if known else "off"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may well resolve beyond this machine


def exposed(host: str, profiles: list[str]) -> str:
    """Why a receiver beyond loopback with no authentication is not started, and the ways out."""
    return (f"not listening on {host}: webhooks for {', '.join(profiles)} would be stored without authentication "
            "from anyone who can reach this address. Give those profiles webhook_secrets (or set "
            "[receiver] basic_username/basic_password), listen on 127.0.0.1, or, if that is what you want, set "
            "[receiver] insecure = true (vgconsole receive --insecure)")


def load_key(path: Path, warn: Callable[[str], None] = lambda text: None) -> bytes:
    """The host's receiver key (IBM hook credentials, the embedded simulators' webhook secret), kept across
    restarts and shared by every vgconsole process: created 0600 on first use, complete or not at all, and
    by one process only when several start at once. `warn` hears when a broken one was replaced."""
    key = _read_key(path)
    if key is not None:
        return key
    fresh = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staged = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(fresh.hex())
                fh.flush()
                os.fsync(fh.fileno())
            os.link(staged, path)  # fails if another process got there first: its key is the host's
        except FileExistsError:
            if _read_key(path) is None:  # there, but not a key (a first write cut short): replaced
                os.replace(staged, path)
                warn(f"{path} held no usable key (a first write cut short, a full disk?); a new one replaces it. "
                     "IBM calls placed before now will not pass the receiver's check of their status webhooks.")
        finally:
            staged.unlink(missing_ok=True)
    except OSError:
        return fresh  # an unwritable data folder: the key lasts for this run only
    return _read_key(path) or fresh


def _read_key(path: Path) -> bytes | None:
    try:
        key = bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return key if len(key) >= 16 else None


class Receiver:
    """Owns the receiver port, or shares the one a vgconsole on the same history owns (and takes it over
    when that one stops); `on_state` hears of every change."""

    def __init__(self, settings: Settings, store: Store, *, key: bytes, on_event: OnEvent | None = None,
                 extra_secrets: Callable[[], list[str]] | None = None, only_profile: str | None = None,
                 clock: Callable[[], float] = time.time, on_state: Callable[[], None] | None = None,
                 takeover_s: float = TAKEOVER_S):
        self.settings = settings
        self.store = store
        self._key = key
        self.on_event = on_event
        self.on_state = on_state
        self._extra_secrets = extra_secrets or (lambda: [])
        self._clock = clock
        self._takeover_s = takeover_s
        self.stats = ReceiverStats()
        self.state = ReceiverState.STOPPED
        self.detail = ""
        self.address = ""
        self.owner_pid: int | None = None  # SHARED: the process that owns the port
        self.hook_urls: HookUrls | None = None
        self.history_id = ""
        self._runner: web.AppRunner | None = None
        self._serving = False
        self._watcher: asyncio.Task[None] | None = None
        self._own_secrets: dict[int, list[str]] = {}
        self._signing: dict[int, list[bytes]] = {}
        self._receiver_secrets = [s.get_secret_value() for s in settings.receiver.webhook_secrets]
        # profile name -> (profile, its provider's room, the hook kinds it serves); settings do not change
        self._routes: dict[str, tuple[Any, Room, frozenset[str]]] = {
            name: (p, room(p.provider), room(p.provider).webhooks.kinds)
            for name, p in settings.profiles.items()
            if not only_profile or name == only_profile
        }

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> ReceiverState:
        """Own the port, or share it with the vgconsole on this history that does (trying to take it over
        every few seconds); a port held by anything else, or a bad address, is said in `detail`."""
        r = self.settings.receiver
        if not r.enabled:
            self._set(ReceiverState.DISABLED, "disabled in the configuration")
            return self.state
        open_to = self.unguarded()
        if open_to and not is_loopback(r.host) and not r.insecure:
            self._set(ReceiverState.FAILED, exposed(r.host, open_to))
            return self.state
        try:  # a receiver that cannot store would answer 503 to everything: it leaves the port to others
            async with asyncio.timeout(r.store_timeout_s):
                await self.store.check_writable()
        except TimeoutError:
            self._set(ReceiverState.FAILED, f"not receiving webhooks: history could not be written within "
                                            f"{r.store_timeout_s:g} s (another process holds it locked?)")
            return self.state
        except Exception as exc:  # noqa: BLE001 - said in words, whatever it was
            self._set(ReceiverState.FAILED, f"not receiving webhooks: history cannot be written ({exc})")
            return self.state
        self.history_id = await asyncio.to_thread(self.store.history_id)
        # An idle connection, or one whose request headers do not arrive, is closed after idle_timeout_s
        # (aiohttp's own default is an hour: a thousand silent sockets would hold every descriptor).
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False,
                                     keepalive_timeout=r.idle_timeout_s)
        await self._runner.setup()
        assert self._runner.server is not None  # set up just above
        cap_connections(self._runner.server, connection_cap(r.max_connections))
        if not await self._claim() and self.state is not ReceiverState.FAILED:
            self._watcher = asyncio.get_running_loop().create_task(self._watch_port(), name="receiver-takeover")
        return self.state

    async def locate(self) -> ReceiverState:
        """Find the vgconsole receiver that serves this history, without taking the port: for a command that
        places a call and exits. SHARED when one listens; otherwise the reason is in `detail`."""
        r = self.settings.receiver
        if not r.enabled:
            self._set(ReceiverState.DISABLED, "disabled in the configuration")
            return self.state
        self.history_id = await asyncio.to_thread(self.store.history_id)
        found = await probe(r.host, r.port, self.history_id, self._key)
        if found.holder is Holder.OURS:
            self.owner_pid = found.pid
            self._set(ReceiverState.SHARED, f"the vgconsole receiver of pid {found.pid} on {loopback(r.host)}:{r.port} "
                                            "serves this history")
        elif found.holder is Holder.NOBODY:
            self._set(ReceiverState.STOPPED, f"no vgconsole receiver listens on {loopback(r.host)}:{r.port}")
        else:
            self._set(ReceiverState.PORT_BUSY, found.explain(r.host, r.port))
        return self.state

    async def _claim(self) -> bool:
        """Bind the port and serve; else find out who holds it. True once this process owns it."""
        r = self.settings.receiver
        assert self._runner is not None
        try:
            sock = bind(r.host, r.port)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                self._set(ReceiverState.FAILED, f"cannot listen on {r.host}:{r.port}: {exc.strerror or exc}")
                return False
            found = await probe(r.host, r.port, self.history_id, self._key)
            if found.holder is Holder.OURS:
                self.owner_pid = found.pid
                self._set(ReceiverState.SHARED, f"shared: the vgconsole receiver of pid {found.pid} on "
                                                f"{loopback(r.host)}:{r.port} serves this history")
            elif found.holder is not Holder.NOBODY or self.state is ReceiverState.STOPPED:
                self._set(ReceiverState.PORT_BUSY, found.explain(r.host, r.port))
            return False
        await web.SockSite(self._runner, sock).start()
        self._serving = True
        host, port = sock.getsockname()[:2]
        self.address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.owner_pid = os.getpid()
        self._set(ReceiverState.LISTENING, f"listening on {self.address}")
        return True

    async def _watch_port(self) -> None:
        """Until this process owns the port: when its owner stops, take it over."""
        while not await self._claim():
            await asyncio.sleep(self._takeover_s)

    def _set(self, state: ReceiverState, detail: str) -> None:
        r = self.settings.receiver
        changed = (state, detail) != (self.state, self.detail)
        self.state, self.detail = state, detail
        if state is ReceiverState.LISTENING:
            host, port = self.address.rsplit(":", 1)
            self.hook_urls = HookUrls(r.public_url or f"http://{loopback(host.strip('[]'))}:{port}", self._key)
        elif state is ReceiverState.SHARED:
            self.hook_urls = HookUrls(r.public_url or f"http://{loopback(r.host)}:{r.port}", self._key)
        else:  # nobody of ours hears this port: only a public URL the operator set still reaches a receiver
            self.hook_urls = HookUrls(r.public_url, self._key) if r.public_url else None
        if changed and self.on_state is not None:
            self.on_state()

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._serving = False
        if self.state in (ReceiverState.LISTENING, ReceiverState.SHARED, ReceiverState.PORT_BUSY):
            self.state, self.detail = ReceiverState.STOPPED, "stopped"

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.settings.receiver.max_body_bytes)
        app.on_response_prepare.append(_plain_server_header)
        app.router.add_get("/healthz", self._health)
        for route in ("/hooks/{profile}/{kind}", "/hooks/{profile}/{kind}/{token}"):
            app.router.add_post(route, self._handle)
            app.router.add_get(route, self._handle)
        return app

    async def _health(self, request: web.Request) -> web.Response:
        """Who serves here: enough for another vgconsole to know it is its own history, nothing more."""
        return web.json_response(health(self.history_id, self._key, os.getpid()))

    # ------------------------------------------------------------ one webhook

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.stats.received += 1
        match = request.match_info
        name, kind = match["profile"], match["kind"]
        token = match.get("token")
        route = self._routes.get(name)
        if route is None or kind not in route[2]:  # as any refused request: which profiles exist is not said
            self.stats.unauthorized += 1
            return web.Response(status=401, text="Unauthorized")
        profile, place, _ = route
        hooks = place.webhooks
        raw = await self._body(request)
        if isinstance(raw, web.Response):
            return raw
        if request.method == "GET":
            raw = b""  # a GET hook's data is its query; jambonz signs the empty body
        early: dict[str, Any] | BadPayload | None = None
        if hooks.early is not None and request.method == "POST":
            try:
                early = hooks.early(raw, request.content_type or "")
            except BadPayload as exc:
                early = exc  # said once the sender is known: nothing is written for a stranger
            else:
                challenge = hooks.challenge(early)
                if challenge is not None:
                    self.stats.challenges += 1  # the gateway verifying the hook: only echoed, nothing stored
                    return web.json_response({"challenge": challenge})
        verified = self._authenticate(request, name, profile, place, token, raw)
        if verified is None:
            self.stats.unauthorized += 1
            return web.Response(status=401, text="Unauthorized")
        if request.method == "GET" and (not hooks.get_carries_data or not request.query.get("call_sid")):
            return await self._reject(request, name, "a GET webhook carries no call data: configure the hook as POST")
        try:
            if isinstance(early, BadPayload):
                raise early
            event = hooks.parse(Incoming(
                kind=kind, method=request.method, query=dict(request.query) if request.method == "GET" else {},
                query_string=request.query_string if request.method == "GET" else "",
                raw=raw, content_type=request.content_type or "", early=early, profile=name, token=token,
                verified=verified, received_at=datetime.fromtimestamp(self._clock(), UTC)))
        except BadPayload as exc:
            return await self._reject(request, name, str(exc), raw)
        try:
            # answered before the gateway gives up waiting (jambonz: 10 s), so that it can send it again
            async with asyncio.timeout(self.settings.receiver.store_timeout_s):
                ingested = await self.store.ingest(event)
        except TimeoutError:
            return web.Response(status=503, text="not stored in time: history is busy; send it again")
        except (ValueError, OverflowError, TypeError, RecursionError) as exc:
            # this event can never be stored: refused once with the reason and kept, so a retrying gateway
            # does not loop and a non-retrying one leaves a trace
            return await self._reject(request, name, f"history cannot hold this event ({type(exc).__name__})", raw)
        except Exception:  # noqa: BLE001 - the gateway must not get 2xx for what was not stored; it may retry
            return web.Response(status=503, text="not stored: history is unavailable for now; send it again")
        if ingested.duplicate:
            self.stats.duplicates += 1
        else:
            self.stats.stored += 1
        if self.on_event is not None:
            self.on_event(event, ingested)
        if kind == "call" and hooks.answers_call:  # the call hook wants verbs back
            return web.json_response(getattr(profile, "answer_verbs", []))
        return web.Response(body=_DUPLICATE if ingested.duplicate else _STORED, content_type="application/json")

    async def _body(self, request: web.Request) -> bytes | web.Response:
        limit = self.settings.receiver.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            self.stats.too_large += 1
            return web.Response(status=413, text=f"the body is larger than {limit} bytes")
        if request.content.is_eof():  # the usual case: the body came with the headers
            return await request.read()
        try:
            async with asyncio.timeout(self.settings.receiver.body_timeout_s):
                return await request.read()
        except web.HTTPRequestEntityTooLarge:
            self.stats.too_large += 1
            return web.Response(status=413, text=f"the body is larger than {limit} bytes")
        except TimeoutError:
            self.stats.timed_out += 1
            return web.Response(status=408, text="the body took too long to arrive")

    def _authenticate(self, request: web.Request, name: str, profile: Any, place: Room, token: str | None,
                      raw: bytes) -> bool | None:
        """True: authenticated. False: not, and this profile accepts that (flag/off). None: refuse."""
        r = self.settings.receiver
        header = request.headers.get("Authorization")
        scheme = place.webhooks.auth
        if scheme == "per-call-basic":
            creds = basic_credentials(header)
            urls = self.hook_urls
            ok = creds is not None and (
                (token is not None and urls is not None and urls.check_credentials(name, token, *creds))
                or self._receiver_basic(creds))
        elif scheme == "bearer":
            ok = bearer_matches(header, self._bearer_secrets(profile))
        else:
            signing = self._signing_secrets(profile)
            ok = bool(signing) and check_signature(raw, request.headers.get("Jambonz-Signature"), signing,
                                                           self._clock(), r.signature_tolerance_s) is None
            if not ok and header is not None:
                ok = self._receiver_basic(basic_credentials(header))
        if ok:
            return True
        return None if auth_mode(self.settings, profile) == "require" else False

    def unguarded(self) -> list[str]:
        """The profiles whose webhooks this receiver would store without authenticating them."""
        return [name for name, (profile, _, _) in self._routes.items()
                if auth_mode(self.settings, profile) != "require"]

    def _bearer_secrets(self, profile: Any) -> list[str]:
        r = self.settings.receiver
        return self._secrets(profile) + ([r.bearer_secret.get_secret_value()] if r.bearer_secret else [])

    def _receiver_basic(self, creds: tuple[str, str] | None) -> bool:
        r = self.settings.receiver
        return (creds is not None and r.basic_username is not None and r.basic_password is not None
                and same(creds[0], r.basic_username) and same(creds[1], r.basic_password.get_secret_value()))

    def _secrets(self, profile: Any) -> list[str]:
        own = self._own_secrets.get(id(profile))
        if own is None:  # settings do not change while running; the embedded simulators' secrets may
            own = self._own_secrets[id(profile)] = [s.get_secret_value() for s in profile.webhook_secrets]
        return own + self._extra_secrets() if profile.embedded else own

    def _signing_secrets(self, profile: Any) -> list[bytes]:
        """The profile's and the receiver's webhook secrets, encoded once (an embedded profile's
        simulator secrets can change while running, so those are read each time)."""
        if profile.embedded:
            return [s.encode() for s in self._secrets(profile) + self._receiver_secrets]
        signing = self._signing.get(id(profile))
        if signing is None:
            signing = self._signing[id(profile)] = [s.encode() for s in self._secrets(profile) + self._receiver_secrets]
        return signing

    async def _reject(self, request: web.Request, profile: str, reason: str, raw: bytes = b"") -> web.Response:
        """Keep what a known sender sent that could not be understood (its first 4 KB, the newest
        `max_rejected` of them), and say why."""
        self.stats.rejected += 1
        try:
            await self.store.reject(profile=profile, route=request.path[:256], reason=reason, remote=request.remote,
                                    content_type=(request.content_type or "")[:100],
                                    body=raw[:4096].decode("utf-8", "replace"),
                                    keep=self.settings.receiver.max_rejected)
        except Exception:  # noqa: BLE001 - the 400 says why either way
            pass
        return web.Response(status=400, text=reason)
