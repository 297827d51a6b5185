"""Each provider's own status words in the console's terms (providers.md §5, jambonz.md §6.3/§7.3)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from console.providers import Provider
from console.status import AMD_EVENTS, FINAL, AmdResult, CallEvent, CallStatus, EventKind, advance, map_status

S = CallStatus

JAMBONZ = [
    ("queued", S.QUEUED), ("trying", S.DIALING), ("ringing", S.RINGING), ("alerting", S.RINGING),
    ("early-media", S.RINGING), ("in-progress", S.ANSWERED), ("completed", S.COMPLETED), ("busy", S.BUSY),
    ("no-answer", S.NO_ANSWER), ("failed", S.FAILED),
]


@pytest.mark.parametrize("provider", [Provider.COGNIGY, Provider.JAMBONZ])
@pytest.mark.parametrize(("raw", "expected"), JAMBONZ)
def test_jambonz_family(provider: Provider, raw: str, expected: CallStatus) -> None:
    assert map_status(provider, raw) is expected


MOBTEXTING = [
    ("queued", False, S.QUEUED), ("ANSWER", False, S.ANSWERED), ("ANSWER", True, S.COMPLETED),
    ("COMPLETED", False, S.ANSWERED), ("COMPLETED", True, S.COMPLETED), ("BUSY", True, S.BUSY),
    ("NOANSWER", True, S.NO_ANSWER), ("CANCEL", True, S.CANCELED), ("CONGESTION", True, S.FAILED),
    ("CHANUNAVAIL", True, S.FAILED), ("RECEIVED", True, S.COMPLETED), ("MISSED", True, S.NO_ANSWER),
    ("answer", True, S.COMPLETED),  # case does not matter
]


@pytest.mark.parametrize(("raw", "ended", "expected"), MOBTEXTING)
def test_mobtexting(raw: str, ended: bool, expected: CallStatus) -> None:
    assert map_status(Provider.MOBTEXTING, raw, ended=ended) is expected


def test_ibm_failure_reason_means_failed_unless_the_word_is_more_specific() -> None:
    assert map_status(Provider.IBM, "connected", failure_reason="SIP 503") is S.FAILED
    assert map_status(Provider.IBM, None, failure_reason="no route") is S.FAILED
    assert map_status(Provider.IBM, "busy", failure_reason="486 Busy Here") is S.BUSY
    assert map_status(Provider.IBM, "no-answer", failure_reason="487 Request Terminated") is S.NO_ANSWER


@pytest.mark.parametrize(("raw", "expected"), [("ringing", S.RINGING), ("Connected", S.ANSWERED),
                                               ("disconnected", S.COMPLETED), ("BUSY", S.BUSY)])
def test_ibm_plausible_words(raw: str, expected: CallStatus) -> None:
    assert map_status(Provider.IBM, raw) is expected


@pytest.mark.parametrize("provider", list(Provider))
def test_unknown_words_map_to_nothing_rather_than_a_guess(provider: Provider) -> None:
    assert map_status(provider, "SOMETHING-NEW") is None
    assert map_status(provider, None) is None


def test_amd_event_names_cover_the_feature_server_constants() -> None:
    names = {"amd_human_detected", "amd_machine_detected", "amd_no_speech_detected", "amd_decision_timeout",
             "amd_tone_detected", "amd_machine_stopped_speaking", "amd_stopped", "amd_error"}
    assert set(AMD_EVENTS) == names
    verdicts = {name for name, result in AMD_EVENTS.items() if result.verdict}
    assert verdicts == {"amd_human_detected", "amd_machine_detected", "amd_no_speech_detected", "amd_decision_timeout"}


def test_status_moves_forward_only_and_the_first_final_status_stays() -> None:
    assert advance(None, S.RINGING) is S.RINGING
    assert advance(S.RINGING, S.DIALING) is S.RINGING  # a late `trying`
    assert advance(S.RINGING, S.ANSWERED) is S.ANSWERED
    assert advance(S.COMPLETED, S.RINGING) is S.COMPLETED  # a late `ringing`
    assert advance(S.BUSY, S.FAILED) is S.BUSY
    assert advance(S.QUEUED, S.NO_ANSWER) is S.NO_ANSWER
    assert advance(S.ANSWERED, None) is S.ANSWERED
    assert {s for s in S if s.final} == FINAL


def test_a_retried_webhook_has_the_same_dedup_key_and_another_does_not() -> None:
    def event(raw: str, at: int, token: str | None = None, verified: bool = True) -> CallEvent:
        return CallEvent(profile="p", provider=Provider.JAMBONZ, kind=EventKind.STATUS, call_sid="c1", token=token,
                         received_at=datetime(2026, 1, 1, 0, 0, at, tzinfo=UTC), raw=raw, verified=verified)

    assert event('{"a":1}', 1).dedup_key == event('{"a":1}', 9).dedup_key
    assert event('{"a":1}', 1, token="t1").dedup_key == event('{"a":1}', 1).dedup_key  # via two hooks
    assert event('{"a":1}', 1).dedup_key != event('{"a":2}', 1).dedup_key
    # the key's form is what histories already hold: changing it would store every retry again
    assert event('{"a":1}', 1).dedup_key == hashlib.sha256(b'p\x00status\x00c1\x00{"a":1}\x00').hexdigest()
    # an unsigned copy (flag mode) has a key of its own, so the genuine one is never taken for its duplicate
    assert event('{"a":1}', 1, verified=False).dedup_key == hashlib.sha256(
        b'unverified\x00p\x00status\x00c1\x00{"a":1}\x00').hexdigest()
    assert AmdResult.HUMAN.verdict and not AmdResult.TONE.verdict
