"""Arbitrary bodies and headers at every receiver route: only 2xx/4xx answers, and a store that opens."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.config import load_settings
from console.receiver import Receiver
from console.receiver_state import ReceiverState
from console.store import Store

CONFIG = """
[receiver]
port = 0
max_body_bytes = 4096
body_timeout_s = 2
[profiles.cog]
provider = "cognigy"
environment = "eu"
account_sid = "fef61e75-cec3-496c-a7bc-8368e4d02a04"
api_key = "k"
webhook_secrets = ["wh_secret_x"]
[profiles.flag]
provider = "jambonz"
base_url = "https://jz.example"
account_sid = "fef61e75-cec3-496c-a7bc-8368e4d02a04"
api_key = "k"
webhook_auth = "off"
[profiles.watson]
provider = "ibm"
environment = "us-south"
agent_number = "1"
api_key = "k"
[profiles.obd]
provider = "mobtexting"
api_key = "k"
webhook_auth = "flag"
"""
PATHS = [f"/hooks/{p}/{k}{t}" for p, kinds in (("cog", ("status", "amd", "action", "call")),
                                                ("flag", ("status", "amd", "action", "call")),
                                                ("watson", ("ibm",)), ("obd", ("mobtexting",)))
         for k in kinds for t in ("", "/tok")] + ["/hooks/x/status", "/hooks/cog/nope", "/healthz", "/"]


class ThreadedReceiver:
    """The receiver on its own event loop in a thread, so synchronous hypothesis examples can call it."""

    def __init__(self, tmp: Path):
        cfg = tmp / "c.toml"
        cfg.write_text(CONFIG)
        self.db = tmp / "fuzz.db"
        self.store = Store(self.db)
        self.receiver = Receiver(load_settings(cfg), self.store, key=b"fuzz")
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        state = asyncio.run_coroutine_threadsafe(self.receiver.start(), self.loop).result(10)
        assert state is ReceiverState.LISTENING

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.receiver.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.store.close()


# One worker runs the whole file: the last test reads what the fuzzing left in the module's receiver.
pytestmark = pytest.mark.xdist_group("receiver-fuzz")


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ThreadedReceiver, httpx.Client]]:
    rig = ThreadedReceiver(tmp_path_factory.mktemp("fuzz"))
    with httpx.Client(base_url=f"http://{rig.receiver.address}", timeout=10) as client:
        yield rig, client
    rig.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
near_events = st.fixed_dictionaries(
    {},
    optional={
        "call_sid": st.text(max_size=40) | st.integers(),
        "call_status": st.text(max_size=12) | st.integers(),
        "sip_status": st.integers() | st.text(max_size=5),
        "duration": json_values,
        "type": st.text(max_size=25),
        "vgwSessionID": st.text(max_size=10),
        "failureReason": json_values,
        "mid": json_values,
        "status": json_values,
        "end_at": st.text(max_size=20),
        "challenge": st.text(max_size=5),
        "validation_key": st.text(max_size=5),
        "customerData": json_values,
    },
)
# what history cannot hold: deep nesting, integers past 64 bits, lone surrogates, numbers too long to read
hostile = st.sampled_from([
    b'{"call_sid":"s","customerData":' + b'{"n":' * 600 + b"1" + b"}" * 600 + b"}",
    b'{"call_sid":"s","x":' + b"[" * 1500 + b"]" * 1500 + b"}",
    b'{"call_sid":"s","sip_status":9223372036854775808}',
    b'{"vgwSessionID":"s","sipStatusCode":18446744073709551615}',
    b'{"call_sid":"s","call_status":"ringing","duration":' + b"9" * 3000 + b"}",
    b'{"call_sid":"s","call_status":"\\ud800"}',
    b'{"mid":"1","status":"ANSWER","x":"\\udfff"}',
])
bodies = (st.binary(max_size=600) | json_values.map(lambda v: json.dumps(v).encode())
          | near_events.map(lambda v: json.dumps(v).encode()) | st.binary(min_size=4097, max_size=5000) | hostile)
header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60).map(
    str.strip
)  # h11 sends no edge spaces
# sent as bytes: superscript digits, digits past what int() reads, non-ASCII credentials
odd_headers = st.sampled_from(["t=\u00b2\u00b3,v1=00", "t=" + "9" * 400 + ",v1=00", "t=" + "1" * 5000 + ",v1=00",
                               "Basic \u00e9", "Bearer \u00e9\u00e8", "Basic \u00b2\u00b2\u00b2\u00b2"]).map(str.encode)
headers = st.fixed_dictionaries({}, optional={
    "Jambonz-Signature": header_text | st.sampled_from(["t=1,v1=00", "t=,v1=", ","]) | odd_headers,
    "Authorization": header_text | st.sampled_from(["Basic", "Basic !!!", "Bearer", "Basic dXNlcg=="]) | odd_headers,
    "Content-Type": st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain",
                                     "multipart/form-data; boundary=x"]) | header_text,
})


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), method=st.sampled_from(["POST", "POST", "GET"]), body=bodies, extra=headers,
       query=st.dictionaries(st.sampled_from(["call_sid", "token", "x"]), st.text(max_size=8), max_size=2))
def test_arbitrary_requests_get_2xx_or_4xx(
    target, path: str, method: str, body: bytes, extra: dict, query: dict
) -> None:
    _, client = target
    response = client.request(method, path, content=body if method == "POST" else None, headers=extra, params=query)
    assert 200 <= response.status_code < 500, (path, method, body[:80], extra, response.status_code, response.text)


def test_the_store_still_opens_after_the_fuzzing(target) -> None:
    rig, _ = target
    stats = rig.receiver.stats
    # The examples reached every stage: refused, rejected, stored.
    assert stats.unauthorized > 0 and stats.rejected > 0 and stats.stored > 0 and stats.too_large > 0
    with Store(rig.db) as reopened:
        reopened.count()
        assert reopened.orphan_count() >= 0
        assert len(reopened.rejected(100_000)) == stats.rejected  # every refused body of a known sender is kept
