"""The live calls merge and the polling pace, without a screen."""

from __future__ import annotations

from datetime import UTC, datetime

from console.gateways.listings import LiveCall
from console.livecalls import MAX_BACKOFF_S, MIN_POLL_S, Pacer, merge
from console.records import CallRecord
from console.status import CallStatus

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def ours(n: int, status: CallStatus, sid: str | None) -> CallRecord:
    return CallRecord(
        id=n,
        attempt_id=f"a{n}",
        profile="p",
        provider="jambonz",
        call_sid=sid,
        to_number=f"+1212555010{n}",
        status=status,
        created_at=NOW,
        updated_at=NOW,
    )


def listed(sid: str, word: str, status: CallStatus) -> LiveCall:
    return LiveCall(sid, status, word, "+12125550100", "+12125550109", None, None, {})


def test_merge_keeps_what_is_live_on_either_side_and_leaves_out_what_both_say_ended() -> None:
    ringing, stale, gone = (
        ours(1, CallStatus.RINGING, "s1"),
        ours(2, CallStatus.ANSWERED, "s2"),
        ours(3, CallStatus.COMPLETED, "s3"),
    )
    never_sent = ours(4, CallStatus.QUEUED, None)
    rows, ended = merge(
        [
            listed("s1", "ringing", CallStatus.RINGING),
            listed("s2", "completed", CallStatus.COMPLETED),
            listed("s3", "completed", CallStatus.COMPLETED),
            listed("x", "in-progress", CallStatus.ANSWERED),
        ],
        {"s1": ringing, "s2": stale, "s3": gone},
        [ringing, stale, never_sent],
    )
    assert [(r.key, r.at_gateway, r.call is not None) for r in rows] == [
        ("s1", True, True), ("s2", True, True), ("x", True, False), ("a4", False, True)]
    assert ended == 1  # s3: over at the gateway and in history
    assert [r.answered for r in rows] == [False, False, True, False]  # the gateway's word first
    rows, ended = merge(None, {}, [stale])  # no list at this gateway: history's view
    assert [(r.key, r.at_gateway, r.answered) for r in rows] == [("s2", False, True)] and ended == 0


def test_the_pace_backs_off_when_refused_and_recovers() -> None:
    pacer = Pacer(0.5)
    assert pacer.every_s == MIN_POLL_S  # never faster than the floor, whatever the config says
    assert pacer.limited(None) == 4.0 and pacer.limited(None) == 8.0
    assert pacer.limited(30) == 30.0  # Retry-After, when longer
    assert pacer.limited(None) == MAX_BACKOFF_S and pacer.limited(None) == MAX_BACKOFF_S
    assert pacer.succeeded() == MIN_POLL_S
