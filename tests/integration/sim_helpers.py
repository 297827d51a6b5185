"""A webhook recorder on loopback and an independent Jambonz-Signature verifier, for simulator tests."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from console.signatures import check_signature


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDict[str]  # header names are case-insensitive
    raw: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def json(self) -> Any:
        return json.loads(self.raw) if self.raw else None


class HookRecorder:
    """Answers every request with the configured status/body for its path (200 by default; a key ending
    in * matches a path prefix) and records it."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.answers: dict[str, tuple[int, Any]] = {}
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return self.base_url + path

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append(Recorded(request.method, request.path, dict(request.query), CIMultiDict(request.headers),
                                      await request.read()))
        self._changed.set()
        prefixes = [k for k in self.answers if k.endswith("*") and request.path.startswith(k[:-1])]
        key = request.path if request.path in self.answers else max(prefixes, key=len, default=None)
        status, body = self.answers.get(key, (200, None)) if key else (200, None)
        if callable(body):
            body = body(self.requests[-1])
        return web.json_response(body, status=status) if body is not None else web.Response(status=status)

    def on(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    async def wait_for(self, predicate: Callable[[list[Recorded]], bool], timeout: float = 10.0) -> list[Recorded]:
        """Wait (bounded) until `predicate(self.requests)` holds."""
        deadline = time.monotonic() + timeout
        while not predicate(self.requests):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out; got {[(r.path, (r.json or {}).get('call_status')) for r in self.requests]}"
                )
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass
        return self.requests


def statuses(records: list[Recorded], call_sid: str | None = None) -> list[tuple[str, int, str]]:
    return [(r.json["call_status"], r.json["sip_status"], r.json["sip_reason"]) for r in records
            if r.json and "call_status" in r.json and "type" not in r.json
            and (call_sid is None or r.json["call_sid"] == call_sid)]


def verify_signature(raw: bytes, header: str | None, secret: str) -> bool:
    """The simulator's Jambonz-Signature, checked by the receiver's own code (console.signatures)."""
    return check_signature(raw, header, [secret], time.time()) is None
