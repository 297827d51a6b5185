"""The commands on a shared history: `vgconsole dial` without --wait relies on the receiver that serves the
history, and `vgconsole receive` shares the port with whoever owns it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from console.config import DEMO_APPLICATION_SID
from console.status import AmdResult, CallStatus
from console.store import Store
from tests.conftest import ROOT
from tests.integration.test_sharing import free_port


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "console", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env())


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    return out


@pytest.fixture
def gateway() -> Iterator[dict]:
    """A simulated Cognigy gateway in a process of its own (it outlives any one vgconsole command)."""
    proc = start("simulator", "--port", "0", "--speed", "20", "--json")
    try:
        assert proc.stdout is not None
        yield json.loads(proc.stdout.readline())
    finally:
        stop(proc)


def config(tmp_path: Path, gateway: dict, port: int) -> Path:
    cfg = tmp_path / "c.toml"
    cfg.write_text(textwrap.dedent(f"""
        default_profile = "gw"
        [storage]
        path = "{tmp_path / 'h.db'}"
        [receiver]
        port = {port}
        [profiles.gw]
        provider = "cognigy"
        base_url = "{gateway['base_url']}"
        api_key = "{gateway['api_key']}"
        account_sid = "{gateway['account_sid']}"
        webhook_secrets = ["{gateway['webhook_secret']}"]
        defaults = {{ from = "+12125550100", application = "{DEMO_APPLICATION_SID}" }}
    """))
    return cfg


@contextmanager
def receiving(cfg: Path) -> Iterator[tuple[dict, subprocess.Popen[str]]]:
    """`vgconsole receive` on `cfg`'s port, its first line read; stopped after, its log in proc.log."""
    proc = start("--config", str(cfg), "receive", "--json")
    try:
        assert proc.stdout is not None
        yield json.loads(proc.stdout.readline()), proc
    finally:
        proc.log = stop(proc)  # type: ignore[attr-defined]


def settled(db: Path, attempt: str, timeout: float = 30) -> object:
    deadline = time.monotonic() + timeout
    with Store(db) as store:
        while time.monotonic() < deadline:
            call = store.call(attempt)
            if call is not None and call.status.final and call.amd_result:
                return call
            time.sleep(0.05)
    raise AssertionError(f"call {attempt} did not settle within {timeout} s")


def test_dial_without_wait_hands_the_gateway_the_running_receivers_hooks_amd_kept(tmp_path: Path,
                                                                                  gateway: dict) -> None:
    cfg = config(tmp_path, gateway, free_port())
    with receiving(cfg) as (owner, receiver):
        assert owner["state"] == "listening"
        dial = subprocess.run([sys.executable, "-m", "console", "--config", str(cfg), "dial", "--to", "+12125550105",
                               "--amd", "--json"], capture_output=True, text=True, env=env(), timeout=60)
        assert dial.returncode == 0, dial.stderr
        assert f"webhooks go to the vgconsole receiver of pid {owner['owner_pid']}" in dial.stderr
        placed = json.loads(dial.stdout.splitlines()[0])
        call = settled(tmp_path / "h.db", placed["attempt"])
        assert (call.status, call.amd_result, call.duration) == (CallStatus.COMPLETED, AmdResult.MACHINE, 9)
        with Store(tmp_path / "h.db") as store:
            sent = store.call(placed["attempt"]).request["body"]
        assert sent["amd"]["actionHook"].startswith(owner["public_url"]) and sent["notifyUrl"]["url"].startswith(
            owner["public_url"])
    assert placed["call_sid"] in receiver.log  # the owner logged the call's webhooks


def test_dial_wait_follows_the_call_through_history_while_another_process_owns_the_port(tmp_path: Path,
                                                                                         gateway: dict) -> None:
    cfg = config(tmp_path, gateway, free_port())
    with receiving(cfg) as (owner, _):
        dial = subprocess.run([sys.executable, "-m", "console", "--config", str(cfg), "dial", "--to", "+12125550102",
                               "--wait"], capture_output=True, text=True, env=env(), timeout=60)
        assert dial.returncode == 1, dial.stderr  # busy: it ended without an answer
        assert f"receiver of pid {owner['owner_pid']}" in dial.stderr
        assert dial.stdout.splitlines()[1:] == ["dialing (100)", "ringing (180)", "busy (486 Busy Here)"]


def test_dial_with_no_receiver_says_so_and_the_call_goes_out_without_hooks(tmp_path: Path, gateway: dict) -> None:
    cfg = config(tmp_path, gateway, free_port())
    dial = subprocess.run([sys.executable, "-m", "console", "--config", str(cfg), "dial", "--to", "+12125550101",
                           "--amd", "--json"], capture_output=True, text=True, env=env(), timeout=60)
    assert dial.returncode == 0, dial.stderr
    assert "warning: no receiver will hear this call (no vgconsole receiver listens on 127.0.0.1:" in dial.stderr
    assert "settled from the gateway's own records" in dial.stderr
    assert "AMD left off" in dial.stderr


def test_receive_follows_when_another_process_owns_the_port_and_takes_it_over(tmp_path: Path, gateway: dict) -> None:
    cfg = config(tmp_path, gateway, free_port())
    first = start("--config", str(cfg), "receive", "--json")
    assert first.stdout is not None
    owner = json.loads(first.stdout.readline())
    second = start("--config", str(cfg), "receive", "--json")
    try:
        assert second.stdout is not None
        follower = json.loads(second.stdout.readline())
        assert (owner["state"], follower["state"]) == ("listening", "shared")
        assert follower["owner_pid"] == first.pid == owner["owner_pid"]
        stop(first)
        line = second.stdout.readline()  # bounded by the takeover: about a second
        assert "took the receiver port over: listening on" in line
        dial = subprocess.run([sys.executable, "-m", "console", "--config", str(cfg), "dial", "--to", "+12125550105",
                               "--amd", "--json"], capture_output=True, text=True, env=env(), timeout=60)
        assert f"receiver of pid {second.pid}" in dial.stderr
        call = settled(tmp_path / "h.db", json.loads(dial.stdout.splitlines()[0])["attempt"])
        assert call.amd_result is AmdResult.MACHINE
    finally:
        for proc in (first, second):
            if proc.poll() is None:
                stop(proc)


def test_two_receivers_started_at_once_on_a_new_host_end_as_one_owner_and_one_follower(tmp_path: Path,
                                                                                      gateway: dict) -> None:
    cfg = config(tmp_path, gateway, free_port())
    both = [start("--config", str(cfg), "receive", "--json") for _ in range(2)]
    try:
        states = sorted(json.loads(p.stdout.readline())["state"] for p in both if p.stdout is not None)
        assert states == ["listening", "shared"]  # one key for the host, however they raced to make it
    finally:
        for proc in both:
            stop(proc)


def test_an_empty_key_file_is_replaced_with_a_warning_and_the_command_goes_on(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = data / "vgconsole" / "receiver.key"
    key.parent.mkdir(parents=True)
    key.write_text("")  # a first write cut short
    result = subprocess.run([sys.executable, "-m", "console", "--db", str(tmp_path / "h.db"), "dial", "--to",
                             "+12125550101", "--wait"], capture_output=True, text=True, timeout=120,
                            env={**env(), "XDG_DATA_HOME": str(data), "VGCONSOLE_SIMULATOR__SPEED": "50"})
    assert result.returncode == 0, result.stderr
    assert f"vgconsole: warning: {key} held no usable key" in result.stderr and "Traceback" not in result.stderr
    assert len(bytes.fromhex(key.read_text())) == 32


def test_receive_beyond_loopback_without_authentication_refuses_loudly_unless_insecure(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[profiles.open]\nprovider = "jambonz"\nbase_url = "https://jz.example"\n'
                   'account_sid = "fef61e75-cec3-496c-a7bc-8368e4d02a04"\napi_key = "k"\n')
    args = [sys.executable, "-m", "console", "--config", str(cfg), "--db", str(tmp_path / "h.db"), "receive",
            "--host", "0.0.0.0", "--port", "0", "--json"]
    refused = subprocess.run(args, capture_output=True, text=True, env=env(), timeout=60)
    assert refused.returncode == 1 and "not listening on 0.0.0.0: webhooks for open" in refused.stderr
    allowed = start(*args[3:], "--insecure")
    try:
        assert allowed.stdout is not None and json.loads(allowed.stdout.readline())["state"] == "listening"
    finally:
        stop(allowed)


def test_receive_answers_on_when_nobody_reads_its_log_and_says_nothing_when_the_reader_is_gone(tmp_path: Path) -> None:
    import hashlib
    import hmac

    import httpx

    secret = "wh_secret_for_a_stalled_log"
    cfg = tmp_path / "c.toml"
    cfg.write_text('[receiver]\nport = 0\n[profiles.prod]\nprovider = "jambonz"\nbase_url = "https://jz.example"\n'
                   'account_sid = "fef61e75-cec3-496c-a7bc-8368e4d02a04"\napi_key = "k"\n'
                   f'webhook_secrets = ["{secret}"]\n')
    proc = start("--config", str(cfg), "--db", str(tmp_path / "h.db"), "receive", "--json")
    try:
        assert proc.stdout is not None
        address = json.loads(proc.stdout.readline())["address"]  # then nobody reads: the pipe fills

        def send(client: httpx.Client, n: int) -> int:
            raw = json.dumps({"call_sid": f"sid-{n}", "call_status": "ringing", "sip_status": 180}).encode()
            t = int(time.time())
            signature = hmac.new(secret.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
            return client.post(f"http://{address}/hooks/prod/status", content=raw, headers={
                "Content-Type": "application/json", "Jambonz-Signature": f"t={t},v1={signature}"}).status_code

        with httpx.Client(timeout=5) as client:
            assert {send(client, n) for n in range(3000)} == {200}  # 3000 log lines: far past a pipe's 64 KB
            assert client.get(f"http://{address}/healthz").status_code == 200
            proc.stdout.close()  # the reader dies
            assert {send(client, n) for n in range(3000, 3100)} == {200}
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err and "BrokenPipe" not in err, err


def test_a_crowd_of_idle_sockets_at_the_open_file_limit_keeps_nobody_out(tmp_path: Path) -> None:
    import hashlib
    import hmac
    import resource
    import socket

    import httpx

    wanted = 1400
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"this test opens {wanted} sockets; the open-file limit here is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    secret = "wh_secret_for_a_crowd"
    cfg = tmp_path / "c.toml"
    cfg.write_text('[receiver]\nport = 0\nidle_timeout_s = 30\n[profiles.prod]\nprovider = "jambonz"\n'
                   'base_url = "https://jz.example"\naccount_sid = "fef61e75-cec3-496c-a7bc-8368e4d02a04"\n'
                   f'api_key = "k"\nwebhook_secrets = ["{secret}"]\n')
    proc = subprocess.Popen([sys.executable, "-m", "console", "--config", str(cfg), "--db", str(tmp_path / "h.db"),
                             "receive", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(),
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024)))
    crowd: list[socket.socket] = []
    try:
        assert proc.stdout is not None
        host, port = json.loads(proc.stdout.readline())["address"].rsplit(":", 1)
        for n in range(1200):  # connect and say nothing; every tenth starts a request and never ends it
            s = socket.create_connection((host, int(port)), timeout=5)
            if n % 10 == 0:
                s.sendall(b"POST /hooks/prod/status HTTP/1.1\r\nHost: x\r\n")
            crowd.append(s)
        raw = json.dumps({"call_sid": "sid-1", "call_status": "ringing"}).encode()
        with httpx.Client(timeout=10) as client:
            for _ in range(5):
                t = int(time.time())
                sig = hmac.new(secret.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
                answer = client.post(f"http://{host}:{port}/hooks/prod/status", content=raw, headers={
                    "Content-Type": "application/json", "Jambonz-Signature": f"t={t},v1={sig}"})
                assert answer.status_code == 200
                raw = raw.replace(b"ringing", b"ringing ")  # not a duplicate
    finally:
        for s in crowd:
            s.close()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert len(err.encode()) < 100_000, err[-2000:]
