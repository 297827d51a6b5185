"""One receiver per host and history: the first vgconsole process to bind the receiver port owns it;
the others find it through its health route and use it.

The health route tells only what identifies the history the owner writes to (its id, and which key
signs the IBM hook credentials), never call data. A port held by anything else is reported with the
fix, and the process works on without a receiver of its own.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import socket
from dataclasses import dataclass
from enum import StrEnum

import aiohttp

SERVICE = "vgconsole-receiver"
PORT_FIX = "set another [receiver] port in the config, or VGCONSOLE_RECEIVER__PORT"


def key_id(key: bytes) -> str:
    """Names the receiver key without revealing it: processes sharing a receiver must share its key."""
    return hmac.new(key, b"vgconsole key id", hashlib.sha256).hexdigest()[:16]


def embedded_secret(key: bytes) -> str:
    """The webhook secret of the embedded simulators: derived from the host's receiver key, so whichever
    vgconsole owns the port verifies the webhooks of every console's simulator."""
    return "wh_" + hmac.new(key, b"vgconsole embedded simulator", hashlib.sha256).hexdigest()[:32]


def health(history_id: str, key: bytes, pid: int) -> dict[str, object]:
    return {"service": SERVICE, "history": history_id, "key": key_id(key), "pid": pid}


class Holder(StrEnum):
    OURS = "ours"  # a vgconsole receiver for this history: share it
    OTHER_HISTORY = "other history"
    OTHER_KEY = "other key"
    STRANGER = "stranger"  # something that is not a vgconsole receiver
    NOBODY = "nobody"  # nothing answers (it was freed meanwhile)


@dataclass(frozen=True)
class Probe:
    holder: Holder
    pid: int | None = None

    def explain(self, host: str, port: int) -> str:
        """Why this process cannot share the port, and the fix."""
        where = f"port {port} on {host}"
        if self.holder is Holder.OTHER_HISTORY:
            return f"{where} is held by a vgconsole receiver for another history (pid {self.pid}); {PORT_FIX}"
        if self.holder is Holder.OTHER_KEY:
            return (f"{where} is held by a vgconsole receiver for this history with another receiver key (pid "
                    f"{self.pid}, another data folder?); {PORT_FIX}")
        if self.holder is Holder.NOBODY:
            return f"{where} was busy and then answered nothing; trying again"
        return f"{where} is held by something that is not a vgconsole receiver; {PORT_FIX}"


def loopback(host: str) -> str:
    """Where to knock for a receiver bound to `host` (any address: the loopback one)."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


async def probe(host: str, port: int, history_id: str, key: bytes, timeout: float = 1.0) -> Probe:
    """Who holds the receiver port: a vgconsole for this history (to share), or something else."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            async with session.get(f"http://{loopback(host)}:{port}/healthz") as response:
                data = await response.json(content_type=None)
    except (aiohttp.ClientConnectorError, ConnectionRefusedError):
        return Probe(Holder.NOBODY)
    except (aiohttp.ClientError, TimeoutError, ValueError, UnicodeDecodeError):
        return Probe(Holder.STRANGER)
    if not isinstance(data, dict) or data.get("service") != SERVICE:
        return Probe(Holder.STRANGER)
    pid = data.get("pid") if isinstance(data.get("pid"), int) else None
    if data.get("history") != history_id:
        return Probe(Holder.OTHER_HISTORY, pid)
    if data.get("key") != key_id(key):
        return Probe(Holder.OTHER_KEY, pid)
    return Probe(Holder.OURS, pid)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or OSError (EADDRINUSE when another process has it). Binding
    first, serving second, lets a process try the port every few seconds without setting up a server."""
    last: OSError | None = None
    for family, kind, proto, _, address in socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                                              flags=socket.AI_PASSIVE):
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio does: TIME_WAIT is no owner
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(512)
            sock.setblocking(False)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
            if exc.errno == errno.EADDRINUSE:
                raise
    raise last or OSError(errno.EADDRNOTAVAIL, f"no address for {host}")
