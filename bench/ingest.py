"""Webhook ingest: N signed jambonz webhooks over M keep-alive connections on loopback, first to a bare
aiohttp endpoint that only reads the body, then to the real receiver (`vgconsole receive`, a real
SQLite file, synchronous=full, 2xx only after commit, the store's writer chosen by --writer). Both
servers run as their own processes, and the load comes from separate client processes sending
pre-signed requests over plain non-blocking sockets (a selector, no asyncio: about 20 µs of CPU per
request), so the generator is not the limit. Lost and duplicated events are counted in the database
afterwards.

Each phase runs `--rounds` times, alternating, and the medians are compared: a single run of the bare
endpoint varies by up to half from one run to the next on this machine.

Besides rates, each round reads the CPU time every process spent (/proc): the bare server, the receiver
(event loop and threads), its history writer process, and the load generator. On stderr, before the
last line, their medians per event are set against what the machine's cores allow per event at 0.6 of
the bare rate: where the demand is above that budget, no split of the work between processes reaches it.
The receiver's own CPU per event also caps it, since its Python runs on one core, like the bare server's.

A third phase each round is the receiver an operator would write instead (aiohttp, the signature checked,
one INSERT and COMMIT per request into SQLite, WAL, synchronous=FULL): peer_ratio is vgconsole's durable
rate over it. Lost and duplicated count vgconsole's receiver only (the simple one's are said on stderr).

Last line: ingest events=N concurrency=M bare_per_s=x durable_per_s=y ratio=y/x peer_per_s=p peer_ratio=y/p
lost=n duplicates=n
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import multiprocessing as mp
import os
import re
import selectors
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "wh_secret_bench"
PATH = "/hooks/load/status"
_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def requests(first: int, count: int) -> list[bytes]:
    """Distinct call:status webhooks, signed now (the receiver allows 300 s)."""
    t = int(time.time())
    out = []
    for n in range(first, first + count):
        body = json.dumps({"call_sid": f"bench-{n:08d}", "direction": "outbound", "from": "12125550100",
                           "to": "+12125550101", "call_id": f"{n}@10.0.0.1", "sip_status": 180, "sip_reason": "Trying",
                           "call_status": "ringing", "account_sid": "fef61e75-cec3-496c-a7bc-8368e4d02a04",
                           "trace_id": "0" * 32, "fs_sip_address": "10.0.1.20:5070"}, separators=(",", ":")).encode()
        sig = hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        head = (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Jambonz-Signature: t={t},v1={sig}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        out.append(head + body)
    return out


def client_process(host: str, port: int, first: int, count: int, connections: int, start_at: float,
                   out: mp.Queue) -> None:
    """Keep `connections` keep-alive connections busy, one request in flight on each, until every request
    was answered; report the ones answered 200. Plain non-blocking sockets and a selector: the cheapest
    loop Python has, so the client's own CPU leaves the most for the server under test."""
    queue = list(zip(range(first, first + count), requests(first, count)))
    acked: list[int] = []
    selector = selectors.DefaultSelector()
    time.sleep(max(0.0, start_at - time.time()))  # every process starts together
    cpu_start = time.process_time()  # the load alone, not the signing above
    state: dict[socket.socket, list] = {}  # socket -> [event number in flight, bytes received so far]
    for _ in range(min(connections, len(queue))):
        sock = socket.create_connection((host, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        n, request = queue.pop()
        sock.sendall(request)
        state[sock] = [n, b""]
        selector.register(sock, selectors.EVENT_READ)
    while state:
        for key, _ in selector.select():
            sock = key.fileobj
            entry = state[sock]
            chunk = sock.recv(65536)
            if not chunk:
                raise RuntimeError("the server closed a connection")
            buf = entry[1] + chunk
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                entry[1] = buf
                continue
            match = _LENGTH.search(buf, 0, end + 2)
            length = int(match.group(1)) if match else 0
            if len(buf) < end + 4 + length:
                entry[1] = buf
                continue
            if buf[9:12] == b"200":
                acked.append(entry[0])
            if queue:
                entry[0], request = queue.pop()
                entry[1] = buf[end + 4 + length:]
                sock.sendall(request)
            else:
                selector.unregister(sock)
                sock.close()
                del state[sock]
    out.put((acked, time.time(), time.process_time() - cpu_start))


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process, all its threads, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    return [int(c) for task in Path(f"/proc/{pid}/task").iterdir()
            for c in (task / "children").read_text().split()]


def drive(port: int, events: int, concurrency: int, procs: int,
          watch: Sequence[int] = ()) -> tuple[float, set[int], float, dict[int, float]]:
    """Send every event once: (events per second, the ones answered 200, CPU µs per event of the load
    generator, and of each process in `watch` by pid)."""
    out: mp.Queue = mp.Queue()
    start_at = time.time() + 1.0
    per = events // procs
    workers = [
        mp.Process(
            target=client_process,
            args=(
                "127.0.0.1",
                port,
                i * per,
                per if i < procs - 1 else events - per * i,
                concurrency // procs,
                start_at,
                out,
            ),
        )
        for i in range(procs)
    ]
    before = {pid: cpu_seconds(pid) for pid in watch}
    for w in workers:
        w.start()
    acked: set[int] = set()
    finished, generator = start_at, 0.0
    for _ in workers:
        got, ended, used = out.get(timeout=600)
        acked |= set(got)
        finished = max(finished, ended)
        generator += used
    cpu = {pid: (cpu_seconds(pid) - before[pid]) * 1e6 / events for pid in watch}
    for w in workers:
        w.join(30)
    return events / (finished - start_at), acked, generator * 1e6 / events, cpu


BARE = """
import sys
from aiohttp import web
async def handle(request):
    await request.read()
    return web.json_response({"stored": True})
app = web.Application()
app.router.add_post("/hooks/{profile}/{kind}", handle)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


# The receiver an operator would write instead: aiohttp, the signature checked, one INSERT and COMMIT per
# request into SQLite (WAL, synchronous=FULL), 2xx after the commit. The yardstick vgconsole must beat.
PEER = """
import hashlib, hmac, json, sqlite3, sys, time
from aiohttp import web
SECRET = sys.argv[3].encode()
db = sqlite3.connect(sys.argv[2], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, call_sid TEXT, status TEXT, "
           "received_at REAL, raw TEXT)")
async def handle(request):
    body = await request.read()
    parts = dict(p.split("=", 1) for p in request.headers.get("Jambonz-Signature", "").split(",") if "=" in p)
    expected = hmac.new(SECRET, parts.get("t", "").encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, parts.get("v1", "")) or abs(time.time() - int(parts["t"])) > 300:
        return web.json_response({"error": "bad signature"}, status=403)
    event = json.loads(body)
    db.execute("BEGIN")
    db.execute("INSERT INTO events (call_sid, status, received_at, raw) VALUES (?, ?, ?, ?)",
               (event["call_sid"], event["call_status"], time.time(), body.decode()))
    db.execute("COMMIT")
    return web.json_response({"stored": True})
app = web.Application()
app.router.add_post("/hooks/{profile}/{kind}", handle)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listened on {port}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--procs", type=int, default=2, help="client processes")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of each phase (medians compared)")
    parser.add_argument(
        "--writer", choices=["process", "thread"], default="process", help="the store's [storage] writer"
    )
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    bare_rates, durable_rates, peer_rates, lost, duplicates = [], [], [], 0, 0
    cpu: dict[str, list[float]] = {}  # CPU µs per event, per process and round
    for round_no in range(1, args.rounds + 1):
        port = free_port()
        bare = subprocess.Popen([sys.executable, "-c", BARE, str(port)], env=env)
        try:
            wait_listening(port)
            log(f"round {round_no}: bare endpoint, {args.events} events, {args.concurrency} connections, "
                f"{args.procs} client processes")
            rate, _, generator, used = drive(port, args.events, args.concurrency, args.procs, [bare.pid])
            bare_rates.append(rate)
            cpu.setdefault("bare server", []).append(used[bare.pid])
            log(
                f"           {rate:.0f}/s; CPU per event: server {used[bare.pid]:.0f} µs, "
                f"load generator {generator:.0f} µs"
            )
        finally:
            bare.terminate()
            bare.wait(10)
        rate, peer_lost, peer_dup, peer_cpu = peer(args, env)
        peer_rates.append(rate)
        log(f"           {rate:.0f}/s; CPU per event: {peer_cpu:.0f} µs; lost {peer_lost}, duplicated {peer_dup}")
        cpu.setdefault("peer", []).append(peer_cpu)
        rate, round_lost, round_dup, used = durable(args, env)
        log(f"           {rate:.0f}/s; CPU per event: receiver {used['receiver']:.0f} µs, writer process "
            f"{used['writer']:.0f} µs, load generator {used['generator']:.0f} µs")
        for name, value in used.items():
            cpu.setdefault(name, []).append(value)
        durable_rates.append(rate)
        lost += round_lost
        duplicates += round_dup
    bare_rate, durable_rate = statistics.median(bare_rates), statistics.median(durable_rates)
    peer_rate = statistics.median(peer_rates)
    med = {name: statistics.median(values) for name, values in cpu.items()}
    cores = len(os.sched_getaffinity(0))
    budget = cores * 1e6 / (0.6 * bare_rate)
    demand = med["receiver"] + med["writer"] + med["generator"]
    log(f"CPU per event (medians): bare server {med['bare server']:.0f} µs; receiver {med['receiver']:.0f} µs, "
        f"writer process {med['writer']:.0f} µs, load generator {med['generator']:.0f} µs: {demand:.0f} µs in all. "
        f"At 0.6 of bare ({0.6 * bare_rate:.0f}/s) {cores} cores allow {budget:.0f} µs per event.")
    # The receiver's Python runs on one core (one event loop, one interpreter lock), as the bare server's does.
    log(f"Ceilings: the receiver's process alone at about {1e6 / med['receiver']:.0f}/s "
        f"(ratio {1e6 / med['receiver'] / bare_rate:.2f}); the machine's cores at {cores * 1e6 / demand:.0f}/s "
        f"(ratio {cores * 1e6 / demand / bare_rate:.2f}).")
    print(f"ingest events={args.events} concurrency={args.concurrency} bare_per_s={bare_rate:.0f} "
          f"durable_per_s={durable_rate:.0f} ratio={durable_rate / bare_rate:.2f} peer_per_s={peer_rate:.0f} "
          f"peer_ratio={durable_rate / peer_rate:.2f} lost={lost} duplicates={duplicates}")


def peer(args: argparse.Namespace, env: dict[str, str]) -> tuple[float, int, int, float]:
    """One round against the simple receiver: (events per second, lost, duplicated, its CPU µs per event)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "peer.db"
        port = free_port()
        server = subprocess.Popen([sys.executable, "-c", PEER, str(port), str(db), SECRET], env=env)
        try:
            wait_listening(port)
            log("           the simple receiver (aiohttp, signature, INSERT and COMMIT per request), the same load")
            rate, acked, _, used = drive(port, args.events, args.concurrency, args.procs, [server.pid])
        finally:
            server.terminate()
            server.wait(30)
        lost, duplicated = counted(db, acked)
    return rate, lost, duplicated, used[server.pid]


def counted(db: Path, acked: set[int]) -> tuple[int, int]:
    """Events acknowledged but not stored, and events stored more than once, read in the database."""
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT call_sid, count(*) FROM events GROUP BY call_sid").fetchall()
    conn.close()
    stored = {int(sid.split("-")[1]) for sid, _ in rows}
    return len(acked - stored), sum(n - 1 for _, n in rows)


def durable(args: argparse.Namespace, env: dict[str, str]) -> tuple[float, int, int, dict[str, float]]:
    """One round against the receiver: (events per second, lost, duplicated, CPU µs per event of the
    receiver, its writer process and the load generator), counted in its database."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "ingest.db"
        cfg = Path(tmp) / "c.toml"
        port = free_port()
        cfg.write_text(
            f'[receiver]\nport = {port}\n[storage]\nsynchronous = "full"\nwriter = "{args.writer}"\n[profiles.load]\n'
            'provider = "jambonz"\nbase_url = "https://jz.example"\n'
            f'account_sid = "fef61e75-cec3-496c-a7bc-8368e4d02a04"\napi_key = "k"\nwebhook_secrets = ["{SECRET}"]\n'
        )
        receiver = subprocess.Popen([sys.executable, "-m", "console", "--config", str(cfg), "--db", str(db), "receive"],
                                    env={**env, "XDG_DATA_HOME": tmp}, stdout=subprocess.DEVNULL)
        try:
            wait_listening(port)
            log("           receiver (vgconsole receive), the same load")
            watch = [receiver.pid, *children(receiver.pid)]  # with writer = "process", its history writer
            rate, acked, generator, used = drive(port, args.events, args.concurrency, args.procs, watch)
        finally:
            receiver.terminate()
            receiver.wait(30)
        lost, duplicated = counted(db, acked)
    cpu = {"receiver": used.pop(receiver.pid), "writer": sum(used.values()), "generator": generator}
    return rate, lost, duplicated, cpu


if __name__ == "__main__":
    main()
