"""Every declared request field reaches the wire from the CLI (`--set`), from a profile's [defaults] and from
the form, against a recording gateway on loopback; every bad value is refused with its field named."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

import pytest

from console.compose import compose
from console.config import load_settings
from console.dialform import Editors, build_request, initial_values
from console.fields import Declared, lookup
from console.gateways import GatewayPool
from console.problems import InvalidInput
from console.providers import declarations
from tests.integration.test_sharing import free_port

ACCOUNT = "9d0b8d30-0c2d-4d8c-8a3e-5b8f1f7f0a11"
# profile: (provider, extra config lines)
PROFILES = {
    "cg": ("cognigy", f'account_sid = "{ACCOUNT}"'),
    "jz": ("jambonz", f'account_sid = "{ACCOUNT}"'),
    "ibm": ("ibm", 'agent_number = "+12125550150"'),
    "mobjson": ("mobtexting", 'request_format = "json"'),
    "mobform": ("mobtexting", 'request_format = "form"\napi_version = "v1"'),
}
DESTINATION = {"phone": "+12125550101", "teams": "+12125550101", "sip": "sip:alice@sip.example.com", "user": "alice"}


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Recorder(BaseHTTPRequestHandler):
    """A gateway that keeps every request and answers each API's create the way the API does."""

    seen: list[Recorded] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append(Recorded("POST", self.path, dict(self.headers), body))
        if "/Calls" in self.path:
            status, answer = 201, {"sid": str(uuid.uuid4()), "callId": "c1"}
        elif "startOutboundCall" in self.path:
            status, answer = 200, {"msg": "Outbound call started", "vgwSessionID": "s-1"}
        else:
            status, answer = 200, {"status": 200, "message": "1 numbers accepted for delivery.", "data": [{"id": "77"}]}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.seen.append(Recorded("GET", self.path, dict(self.headers), b""))
        rows = [{"number": "02079460000", "account_sid": ACCOUNT}, {"number": "15085550100", "account_sid": ACCOUNT}]
        data = json.dumps(rows if self.path.startswith("/v1/PhoneNumbers") else []).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def gateway() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def config_text(base: str, defaults: dict[str, dict[str, Any]] | None = None) -> str:
    lines = ["[receiver]", f"port = {free_port()}", ""]
    for name, (provider, extra) in PROFILES.items():
        lines += [f"[profiles.{name}]", f'provider = "{provider}"', f'base_url = "{base}"', 'api_key = "k-1"', extra]
        if defaults and name in defaults:
            lines.append(f"[profiles.{name}.defaults]")
            lines += [f"{json.dumps(path)} = {toml(value)}" for path, value in defaults[name].items()]
        lines.append("")
    return "\n".join(lines)


def toml(value: Any) -> str:
    """A value as a TOML inline value (JSON's strings and numbers are TOML's too)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return json.dumps(value)


def for_target(d: Declared, target: str) -> Declared:
    """The target type's own field says the batch's target."""
    return replace(d, example=target, wire=target) if d.path == "to.type" else d


def batches(profile: str) -> list[tuple[str, list[Declared]]]:
    """Sets of fields one request can carry together, covering every field: one per target type and per
    alternative, and an object whose inner fields are declared too goes alone (its parts would overwrite it)."""
    fields = declarations(PROFILES[profile][0])
    targets = sorted({t for d in fields for t in d.targets}) or ["phone"]
    alternatives = sorted({d.path for d in fields if d.either}) or [""]  # one group of alternatives at most
    wholes = [d for d in fields if any(o.path.startswith(d.path + ".") for o in fields)]
    found = []
    for target in targets:
        for alt in alternatives:
            chosen = [
                for_target(d, target)
                for d in fields
                if d not in wholes and (not d.targets or target in d.targets) and (not d.either or d.path == alt)
            ]
            found.append((target, chosen))
    for whole in wholes:
        found.append(("phone", [whole]))
    return found


def destination(profile: str, target: str) -> str:
    return "+918867135000" if profile.startswith("mob") else DESTINATION[target]


def set_arg(d: Declared) -> str:
    return f"{d.path}={d.example if isinstance(d.example, str) else json.dumps(d.example)}"


def wire_body(seen: Recorded) -> dict[str, Any]:
    if seen.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        body: dict[str, Any] = {}
        for key, value in parse_qsl(seen.body.decode()):
            if key.startswith("variables["):
                body.setdefault("variables", {})[key[10:-1]] = value
            else:
                body[key] = value
        return body
    return json.loads(seen.body)


def holds(actual: Any, expected: Any, form: bool) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and holds(actual[k], v, form) for k, v in expected.items())
    return str(actual) == str(expected) if form else actual == expected


def assert_on_wire(profile: str, fields: list[Declared], seen: Recorded, route: str) -> None:
    body, form = wire_body(seen), PROFILES[profile][1].startswith('request_format = "form"')
    for d in fields:
        if d.where == "path":
            assert quote(str(d.example), safe="+") in seen.path, (route, d.path, seen.path)
            continue
        value = None
        for spelled in (d.path, *d.aliases):
            try:
                value = lookup(body, spelled)
                break
            except KeyError:
                continue
        assert holds(value, d.on_wire, form), (route, profile, d.path, value, d.on_wire)


def dial(tmp_path: Path, config: str, *args: str) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "config.toml"
    cfg.write_text(config)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "VGCONSOLE_CONFIG": str(cfg)}
    return subprocess.run([sys.executable, "-m", "console", "dial", *args], capture_output=True, text=True, env=env,
                          timeout=60)


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_declared_field_reaches_the_wire_from_the_cli_the_config_and_the_form(
        tmp_path: Path, gateway: str, profile: str) -> None:
    sample = declarations(PROFILES[profile][0]).sample  # its caller, for the fields that need one beside them
    for target, fields in batches(profile):
        to = destination(profile, target)
        # the CLI: --set PATH=VALUE with the documented name
        Recorder.seen.clear()
        caller = (["--from", sample.from_] if sample.from_ else []) + (
            ["--app", sample.app] if sample.app and not sample.app_kind else [])
        result = dial(tmp_path, config_text(gateway), "--profile", profile, "--to", to, "--target", target, *caller,
                      *[arg for d in fields for arg in ("--set", set_arg(d))])
        assert result.returncode == 0, (profile, target, result.stderr)
        assert_on_wire(profile, fields, Recorder.seen[-1], "cli")
        # the config: the same fields under the profile's [defaults]
        Recorder.seen.clear()
        defaults = {d.path: d.example for d in fields}
        if "to.type" in defaults or target != "phone":
            defaults.pop("to.type", None)
            defaults["target_type"] = target
        result = dial(tmp_path, config_text(gateway, {profile: defaults}), "--profile", profile, "--to", to, *caller)
        assert result.returncode == 0, (profile, target, result.stderr)
        assert_on_wire(profile, fields, Recorder.seen[-1], "config")


@pytest.mark.parametrize("profile", list(PROFILES))
async def test_every_declared_field_reaches_the_wire_from_the_form(tmp_path: Path, gateway: str,
                                                                  profile: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(config_text(gateway))
    settings = load_settings(cfg)
    pool = GatewayPool(settings)
    gw = await pool.get(profile)
    sample = declarations(PROFILES[profile][0]).sample  # its caller and application, beside the fields
    try:
        for target, fields in batches(profile):
            values = {**initial_values(settings, profile), "to": destination(profile, target), "to_type": target,
                      "from": sample.from_ or "", "application": sample.app if not sample.app_kind else ""}
            request = build_request(settings, profile, values, Editors(fields={d.path: d.example for d in fields}))
            prepared = gw.prepare(request, "a-1")
            body = json.dumps(prepared.body).encode() if not prepared.form else "&".join(
                f"{k}={v}" for k, v in prepared.body.items()).encode()
            kind = "application/x-www-form-urlencoded" if prepared.form else "application/json"
            assert_on_wire(profile, fields, Recorded("POST", unquote(prepared.path), {"Content-Type": kind}, body),
                           "form")
    finally:
        await pool.close()


# A value each field refuses; every declared field must have one here.
BAD: dict[str, Any] = {
    "from": "call me", "to.type": "fax", "to.number": "12", "to.sipUri": "not a uri", "to.name": "bad user",
    "to.trunk": "x" * 200, "to.auth.username": "", "to.auth.password": "", "to.overrideTo": "a\nb",
    "to.tenant": "bad host!", "to.vmail": "maybe", "to.proxy": "not-a-uri", "to.headers": {"Call-ID": "x"},
    "application_sid": "nope", "callerName": 'a "quoted" name', "fromHost": "bad host!", "timeout": 0,
    "timeLimit": 0, "tag": [1], "headers": {"Via": "x"}, "speech_synthesis_vendor": "v" * 200,
    "speech_synthesis_language": "l\nx", "speech_synthesis_voice": "v" * 200, "speech_recognizer_vendor": "v" * 200,
    "speech_recognizer_language": "l\nx", "call_hook": "ftp://x", "call_status_hook": "ftp://x",
    "referHook": "ftp://x", "sipRequestWithinDialogHook": "ftp://x", "dual_streams": "maybe", "amd": [1],
    "amd.actionHook": "ftp://x", "amd.thresholdWordCount": 0, "amd.digitCount": 99,
    "amd.timers.noSpeechTimeoutMs": -1, "amd.timers.decisionTimeoutMs": -1, "amd.timers.toneTimeoutMs": -1,
    "amd.timers.greetingCompletionTimeoutMs": -1, "amd.recognizer": {"language": "en-US"},
    "notifyUrl": "ftp://x", "actionHook": "ftp://x", "confirmHook": "ftp://x", "dtmfCapture": ["x!"],
    "dtmfHook": "ftp://x", "listen": [1], "transcribe": [1],
    "agent": "a" * 100, "context": [1], "route": "not a uri", "tenantConfig": {"bogus": 1},
    "tenantConfig.config": [1], "tenantConfig.updateMethod": "patch",
    "tenantConfig.config.outboundCalls.sipAuth.username": "", "tenantConfig.config.outboundCalls.sipAuth.password": "",
    "statusWebhook": "ftp://x", "statusWebhookUsername": "a\nb", "statusWebhookPassword": None,
    "bridge": "12", "to": "12", "ivr_id": "no spaces!", "audio": "no spaces!", "name": "n" * 200, "interval": 7,
    "webhook_id": "w" * 200, "variables": {"bad key": "x"},
}
# Where a refusal belongs to the field that the bad value needs beside it (a password without its user).
COMPANION = {"to.auth.password": {"to.auth.username": "u"}, "to.auth.username": {"to.auth.password": "p"},
             "tenantConfig.config.outboundCalls.sipAuth.password": {
                 "tenantConfig.config.outboundCalls.sipAuth.username": "u"},
             "tenantConfig.config.outboundCalls.sipAuth.username": {
                 "tenantConfig.config.outboundCalls.sipAuth.password": "p"},
             "dtmfCapture": {"dtmfHook": "https://hooks.example.com/d"}}


@pytest.mark.parametrize("profile", ["cg", "ibm", "mobjson"])
def test_every_declared_field_refuses_a_bad_value_naming_the_field(tmp_path: Path, profile: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(config_text("http://127.0.0.1:9"))
    settings = load_settings(cfg)
    fields = declarations(PROFILES[profile][0])
    missing = [d.path for d in fields if d.path not in BAD]
    assert not missing, f"no bad value for {missing}"
    for d in fields:
        if BAD[d.path] is None:  # any text is a password
            continue
        target = (d.targets or ("phone",))[0]
        sets = {**COMPANION.get(d.path, {}), d.path: BAD[d.path]}
        with pytest.raises((InvalidInput, ValueError)) as caught:
            compose(settings, profile, to=destination(profile, target), target=target, sets=sets,
                    from_=fields.sample.from_)
        said = caught.value.problems if isinstance(caught.value, InvalidInput) else [str(caught.value)]
        named = [str(p) for p in said if str(p).startswith(d.path) or f"{d.path}=" in str(p)
                 or (d.path == "to" and str(p).startswith("to"))]
        assert named, (d.path, [str(p) for p in said])


def test_requests_ask_for_json_and_ibm_needs_no_caller(tmp_path: Path, gateway: str) -> None:
    Recorder.seen.clear()
    result = dial(tmp_path, config_text(gateway), "--profile", "ibm", "--to", "+12125550101")
    assert result.returncode == 0, result.stderr
    sent = Recorder.seen[-1]
    assert sent.headers["Accept"] == "application/json"  # as every gateway's own examples send
    assert json.loads(sent.body) == {"to": "tel:+12125550101"}  # no from: IBM's is optional, and none was given
    result = dial(tmp_path, config_text(gateway), "--profile", "ibm", "--to", "sip:+12125550101@trunk.example.com",
                  "--from", "sip:+12125550150@trunk.example.com")
    assert result.returncode == 0, result.stderr
    assert json.loads(Recorder.seen[-1].body) == {"to": "sip:+12125550101@trunk.example.com",
                                                  "from": "sip:+12125550150@trunk.example.com"}


def test_a_mobtexting_id_is_never_guessed_to_be_an_ivr_flow(tmp_path: Path, gateway: str) -> None:
    result = dial(tmp_path, config_text(gateway), "--profile", "mobjson", "--to", "+918867135000", "--from",
                  "+918068280000", "--app", "39888925-718e-43bb-a8b1-d4a3c0ffee00")
    assert result.returncode == 2 and "an IVR flow or a sound? Say which" in result.stderr
    Recorder.seen.clear()
    result = dial(tmp_path, config_text(gateway), "--profile", "mobjson", "--to", "+918867135000", "--from",
                  "+918068280000", "--set", "audio=39888925-718e-43bb-a8b1-d4a3c0ffee00")
    assert result.returncode == 0, result.stderr
    body = json.loads(Recorder.seen[-1].body)
    assert body["audio"] == "39888925-718e-43bb-a8b1-d4a3c0ffee00" and "flow_id" not in body


def test_config_check_says_ibm_voice_agent_is_deprecated_and_leaves_on_premises_alone(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[profiles.cloud]\nprovider = "ibm"\nenvironment = "eu-de"\nagent_number = "+4969123456789"\n'
                   'api_key = "k"\n\n[profiles.onprem]\nprovider = "ibm"\nhost = "vgw.example.com:9443"\n'
                   'tenant_id = "t1"\napi_key = "k"\n')
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "d"),
           "XDG_CONFIG_HOME": str(tmp_path / "c")}
    result = subprocess.run([sys.executable, "-m", "console", "config", "check", str(cfg)], capture_output=True,
                            text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stdout.splitlines() if "deprecated" in line]
    assert len(warnings) == 1 and "profile cloud:" in warnings[0] and "31 December 2021" in warnings[0]


def test_a_default_that_is_not_a_field_of_the_provider_is_refused_with_its_name(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    for line, said in (('speech_synthesis_vendr = "google"', "defaults.speech_synthesis_vendr: is not a field"),
                       ('listen = "wss://x.example.com"', "defaults.listen"),
                       ('timeLimit = "long"', "defaults.timeLimit")):
        cfg.write_text(f'[profiles.cg]\nprovider = "cognigy"\nbase_url = "embedded"\naccount_sid = "{ACCOUNT}"\n'
                       f'[profiles.cg.defaults]\n{line}\n')
        with pytest.raises(Exception) as caught:
            load_settings(cfg)
        assert said in str(caught.value), str(caught.value)


def test_a_national_format_number_is_shown_and_sent_as_the_gateway_stores_it(tmp_path: Path, gateway: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(config_text(gateway))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "VGCONSOLE_CONFIG": str(cfg)}
    listed = subprocess.run([sys.executable, "-m", "console", "numbers", "--profile", "jz", "--json"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert [row["number"] for row in json.loads(listed.stdout)] == ["02079460000", "+15085550100"]
    Recorder.seen.clear()
    result = dial(tmp_path, config_text(gateway), "--profile", "jz", "--to", "+12125550101", "--from", "02079460000",
                  "--app", "0e06a1b0-d49f-4fb8-b973-b5a3c6758de1")
    assert result.returncode == 0, result.stderr
    assert json.loads(Recorder.seen[-1].body)["from"] == "02079460000"
