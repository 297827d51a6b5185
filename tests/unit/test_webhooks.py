from __future__ import annotations

from datetime import UTC, datetime

import pytest

from console.providers import Provider
from console.providers.mobtexting import challenge
from console.status import CallStatus, EventKind
from console.webhooks import BadPayload, parse_json_object
from tests.webhook_events import webhook_event

NOW = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.mark.parametrize(("raw", "expected"), [
    (b'{"a":91806828XXXX,}', {"a": "91806828XXXX"}),
    (b'{"t":"16:27:39","n":[1, 2,],}', {"t": "16:27:39", "n": [1, 2]}),
    (b'{"q":"a,b}\\"c", "x": OBD}', {"q": 'a,b}"c', "x": "OBD"}),
    (b'{"d":"23","f":1.5e3,"b":true,"z":null}', {"d": "23", "f": 1500.0, "b": True, "z": None}),
])
def test_lenient_json_reads_mobtextings_example_style(raw: bytes, expected: dict) -> None:
    assert parse_json_object(raw, lenient=True) == expected


@pytest.mark.parametrize(("raw", "lenient", "reason"), [
    (b"", False, "the body is empty"),
    (b"{nope", False, "the body is not JSON: Expecting property name"),
    (b"{nope", True, "the body is not JSON, even read leniently"),
    (b'"text"', False, "not an object (it is a str)"),
    (b"[" * 5000, False, "nested too deeply"),
])
def test_bodies_that_cannot_be_read_say_why(raw: bytes, lenient: bool, reason: str) -> None:
    with pytest.raises(BadPayload, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_json_object(raw, lenient=lenient)


def test_jambonz_fields_are_read_leniently_only_where_types_vary() -> None:
    event = webhook_event(Provider.JAMBONZ, EventKind.STATUS, {"call_sid": "c", "call_status": "no-answer",
                                                               "sip_status": "487", "duration": 5},
                          profile="p", received_at=NOW)
    assert (event.status, event.sip_status, event.duration) == (CallStatus.NO_ANSWER, 487, 5)
    with pytest.raises(BadPayload, match="call_status is not text"):
        webhook_event(Provider.JAMBONZ, EventKind.STATUS, {"call_sid": "c", "call_status": 3}, profile="p",
                      received_at=NOW)
    # a duration below zero is no duration: the call's talk time is not made negative by it
    odd = webhook_event(Provider.JAMBONZ, EventKind.STATUS, {"call_sid": "c", "call_status": "completed",
                                                             "duration": -5}, profile="p", received_at=NOW)
    assert odd.status is CallStatus.COMPLETED and odd.duration is None


def test_ibm_names_are_looked_for_and_a_session_is_required() -> None:
    event = webhook_event(Provider.IBM, "ibm", {"vgwSessionID": "s", "callStatus": "Connected"}, profile="p",
                          token="t", received_at=NOW)
    assert event.status is CallStatus.ANSWERED
    with pytest.raises(BadPayload, match="no vgwSessionID"):
        webhook_event(Provider.IBM, "ibm", {"event": "answered"}, profile="p", token="t", received_at=NOW)


def test_a_challenge_is_not_a_call_result() -> None:
    assert challenge({"validation_key": "k", "challenge": "c"}) == "c"
    assert challenge({"validation_key": "k", "challenge": "c", "mid": "m"}) is None


def test_an_unsigned_copy_never_shares_the_genuine_events_key() -> None:
    from datetime import UTC, datetime

    from console.providers import Provider
    from console.status import CallEvent, EventKind

    def event(verified: bool) -> CallEvent:
        return CallEvent(profile="p", provider=Provider.JAMBONZ, kind=EventKind.STATUS, call_sid="s", raw="{}",
                         received_at=datetime.now(UTC), verified=verified)

    assert event(False).dedup_key != event(True).dedup_key
    assert event(False).dedup_key == event(False).dedup_key  # a retried unsigned copy is still stored once
