"""How a call's cells read in the log and History."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.console import Console

from console.records import CallRecord
from console.status import CallStatus
from console.ui.formatting import Parts, seconds, tags_summary, talk_seconds

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


def test_durations_fit_the_tables_six_columns_and_sort_by_how_long_they_are() -> None:
    from console.ui.widgets.tables import sort_value

    shown = [seconds(s) for s in (5, 65, 5999, 6000, 7094, 36300)]
    assert shown == ["5s", "1m05s", "99m59s", "1h40m", "1h58m", "10h05m"]  # a 118-minute call was cut to 118m14
    assert max(len(s) for s in shown) <= 6
    assert sorted(reversed(shown), key=sort_value) == shown


def test_parts_break_between_phrases_never_inside_one() -> None:
    parts = Parts(["AMD off (words ≥ 9, decide in 15000 ms)", "0 header(s)", "tags: none"])

    def lines(width: int) -> list[str]:
        console = Console(width=width, color_system=None, legacy_windows=False)
        with console.capture() as out:
            console.print(parts)
        return [line.rstrip() for line in out.get().splitlines()]

    assert lines(100) == ["AMD off (words ≥ 9, decide in 15000 ms)  ·  0 header(s)  ·  tags: none"]
    assert lines(60) == ["AMD off (words ≥ 9, decide in 15000 ms)  ·  0 header(s)", "tags: none"]
    assert lines(42) == ["AMD off (words ≥ 9, decide in 15000 ms)", "0 header(s)  ·  tags: none"]
    assert lines(20)[:2] == ["AMD off (words ≥ 9,", "decide in 15000 ms)"]  # wider than the line: it wraps


def test_a_secret_looking_tag_is_summarised_masked() -> None:
    said = tags_summary({"customer": "Ada", "password": "TUISECRET_99", "meta": {"api_key": "k-123456"}}, 200)
    assert "TUISECRET_99" not in said and "k-123456" not in said and said.startswith("customer=Ada, password=••••")


def test_historys_strip_counts_one_call_in_the_singular() -> None:
    from console.records import Summary
    from console.ui.screens.history import summary_text

    one = Summary(calls=1, answered=1, human=0, machine=0, ring_s=1.0, talk_s=None, per_minute=[0] * 60,
                  window_end=NOW)
    assert str(summary_text(one)).startswith("1 call  100.0% answered")
    assert str(summary_text(Summary(**{**one.__dict__, "calls": 2}))).startswith("2 calls  50.0% answered")
