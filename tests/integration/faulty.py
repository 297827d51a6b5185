"""A loopback HTTP server that misbehaves on purpose: slow, cut off, silent, or answering a script."""

from __future__ import annotations

import asyncio
import json
import zlib
from typing import Any


def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes, gzip-compressed (a thousandth of the size)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    return b"".join(packer.compress(block) for _ in range(size >> 20)) + packer.flush()


class FaultyServer:
    """mode: "slow" never answers; "cut" sends half a response and closes; "close" closes without a word;
    "trickle" answers 200 and then one byte of its body every 0.2 s, for ever; "endless" answers 200 with a
    chunked body that never ends; "bomb" answers 200 with `bomb` gzip-compressed;
    "script" answers each request with the next (status, headers, body) of `script`, the last repeating."""

    def __init__(self, mode: str, script: list[tuple[int, dict[str, str], Any]] | None = None, bomb: bytes = b""):
        self.mode = mode
        self.bomb = bomb
        self.script = list(script or [])
        self.requests: list[tuple[str, bytes]] = []
        self._server: asyncio.base_events.Server | None = None
        self.base_url = ""

    async def __aenter__(self) -> FaultyServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.base_url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                length = next((int(x.split(":", 1)[1]) for x in lines if x.lower().startswith("content-length:")), 0)
                body = await reader.readexactly(length) if length else b""
                self.requests.append((lines[0], body))
                if self.mode == "slow":
                    await asyncio.sleep(3600)  # bounded by the client's read timeout and the test's cleanup
                if self.mode == "close":
                    break
                if self.mode == "trickle":
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
                    )
                    while True:  # bounded by the client's deadline and the test's cleanup
                        writer.write(b" ")
                        await writer.drain()
                        await asyncio.sleep(0.2)
                if self.mode == "endless":
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    )
                    chunk = b"%x\r\n%s\r\n" % (65536, b"[" * 65536)
                    while True:  # bounded by the client's size cap and the test's cleanup
                        writer.write(chunk)
                        await writer.drain()
                if self.mode == "bomb":
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                                 b"Content-Length: %d\r\n\r\n" % len(self.bomb) + self.bomb)
                    await writer.drain()
                    continue
                if self.mode == "cut":
                    writer.write(
                        b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"
                        b'{"sid": "2531329f'
                    )
                    await writer.drain()
                    break
                status, headers, payload = self.script.pop(0) if len(self.script) > 1 else self.script[0]
                data = payload if isinstance(payload, bytes) else (json.dumps(payload).encode() if payload is not None
                                                                   else b"")
                extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: {len(data)}\r\n{extra}\r\n".encode() + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
