"""kill -9 a receiver under load: every webhook it answered 2xx is in the database afterwards."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from console.store import Store
from tests.conftest import ROOT

SECRET = "wh_secret_crash"
CONFIG = f"""
[receiver]
port = 0
[storage]
synchronous = "full"
[profiles.load]
provider = "jambonz"
base_url = "https://jz.example"
account_sid = "fef61e75-cec3-496c-a7bc-8368e4d02a04"
api_key = "k"
webhook_secrets = ["{SECRET}"]
"""


def signed(n: int) -> tuple[bytes, str]:
    body = json.dumps({"call_sid": f"call-{n}", "call_status": "ringing", "sip_status": 180, "n": n},
                      separators=(",", ":")).encode()
    t = int(time.time())
    return body, f"t={t},v1=" + hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


async def test_acknowledged_webhooks_survive_sigkill(tmp_path: Path) -> None:
    cfg, db = tmp_path / "c.toml", tmp_path / "h.db"
    cfg.write_text(CONFIG)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "console", "--config", str(cfg), "--db", str(db),
                                                "receive", "--json", stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    address = json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))["address"]
    acked: set[int] = set()
    killed = asyncio.Event()

    async def sender(client: httpx.AsyncClient, start: int) -> None:
        n = start
        while not killed.is_set() and n < start + 5000:  # bounded either way
            body, signature = signed(n)
            try:
                r = await client.post(f"http://{address}/hooks/load/status", content=body,
                                      headers={"Content-Type": "application/json", "Jambonz-Signature": signature})
            except httpx.HTTPError:
                return  # the process is gone
            if r.status_code == 200:
                acked.add(n)
            n += 1

    async def killer() -> None:
        while len(acked) < 400:
            await asyncio.sleep(0.005)
        # Stall the receiver's commits by holding the database's write lock, keep the load on, then kill
        # it: a receiver that acknowledged before committing would lose everything it acked meanwhile.
        lock = sqlite3.connect(db, timeout=10)
        lock.execute("BEGIN IMMEDIATE")
        await asyncio.sleep(0.4)
        proc.send_signal(signal.SIGKILL)  # mid-stream: requests are in flight
        killed.set()
        lock.rollback()
        lock.close()

    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=16)) as client:
        await asyncio.wait_for(asyncio.gather(killer(), *(sender(client, i * 100_000) for i in range(16))), 120)
    await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with Store(db) as reopened:
        stored = {json.loads(raw)["n"] for (raw,) in reopened._reader().execute("SELECT raw FROM events").fetchall()}
    assert len(acked) >= 400
    assert acked <= stored, f"{len(acked - stored)} acknowledged webhooks were lost"
