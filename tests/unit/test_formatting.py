"""How a call's cells read in the log and History."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from console.records import CallRecord
from console.status import CallStatus
from console.ui.formatting import seconds, talk_seconds

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


def call(**fields: object) -> CallRecord:
    base = {"id": 1, "attempt_id": "a", "profile": "p", "provider": "mobtexting", "status": CallStatus.BUSY,
            "created_at": NOW, "updated_at": NOW}
    return CallRecord.model_validate({**base, **fields})


def test_a_call_nobody_answered_has_no_talk_time_even_when_the_gateway_reports_zero() -> None:
    assert seconds(talk_seconds(call(duration=0), NOW)) == ""  # MOBtexting reports 0 for a busy attempt
    assert seconds(talk_seconds(call(status=CallStatus.NO_ANSWER, duration=0), NOW)) == ""
    answered = call(status=CallStatus.COMPLETED, duration=42, answered_at=NOW - timedelta(seconds=50))
    assert seconds(talk_seconds(answered, NOW)) == "42s"
    live = call(status=CallStatus.ANSWERED, answered_at=NOW - timedelta(seconds=7))
    assert seconds(talk_seconds(live, NOW)) == "7s"
