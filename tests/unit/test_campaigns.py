"""Campaign callee lists, calling hours in each callee's own zones, and the dry-run schedule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from console.campaigns.callees import read_callees
from console.campaigns.hours import CallingHours, HoursError, parse_days, zones_for
from console.campaigns.plan import schedule
from console.phone import PhoneNumberError, to_e164

FRIDAY_8_UTC = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)  # 03:00 in New York, 19:00 in Sydney


def test_every_bad_row_is_reported_with_its_line_and_the_forms_own_message() -> None:
    data = (b"name,number,plan\nAl,+1 212,gold\nBo,12125550101,gold\nCy,+44 20 7946 0958,gold,extra\n"
            b"Di,not a number,x\n\nEd,+1 212 555 0102,x\n")
    found = read_callees(data, "US")
    assert [str(p) for p in found.problems] == [
        f"line 2: {form_message('+1 212')}",
        "line 4: 4 cell(s) where the header has 3",
        f"line 5: {form_message('not a number')}",
    ]
    assert not found.usable  # a list with a bad row is not used at all
    assert [c.number for c in found.callees] == ["+12125550101", "+12125550102"]  # what the rows held


def form_message(text: str) -> str:
    with pytest.raises(PhoneNumberError) as caught:
        to_e164(text, "US")
    return str(caught.value)


def test_duplicates_are_merged_however_the_number_is_written_and_columns_kept() -> None:
    data = "\ufeffNumber\tName\tTZ\n(212) 555-0101\tAda\t\n+1 212 555 0101\tAda again\t\n+12125550102\tBo\tAsia/Tokyo\n"
    found = read_callees(data.encode(), "US")
    assert found.usable and found.merged == 1
    first, second = found.callees
    assert (first.number, first.line, first.fields, first.zone) == ("+12125550101", 2, {"Name": "Ada"}, None)
    assert (second.number, second.zone) == ("+12125550102", "Asia/Tokyo")


@pytest.mark.parametrize(("data", "said"), [
    (b"name,email\nAda,a@example.com\n", "line 1: no number column: name one number, phone, to, msisdn, mobile"),
    (b"", "line 1: the file is empty"),
    # which column holds the callee cannot be guessed: the number left out could be one never to call
    (b"phone,mobile\n+12125550170,+12125550171\n", "line 1: 2 number columns (phone, mobile): keep one"),
    (b"number,Number\n+12125550170,+12125550171\n", "line 1: 2 number columns (number, Number): keep one"),
    (b"number\n", "line 2: no callees"),
    (b"number,tz\n+12125550101,Mars/Base\n", "line 2: 'Mars/Base' is not a time zone name"),
    (b"number\n+1212555\xff0101\n", "line 2: not UTF-8 text"),
    # a quote left open would otherwise take the rest of the file as one cell, and its callees with it
    (b'number,note\n+12125550211,"opted out\n+12125550212,asked\n', "line 2: cannot be read as CSV"),
    (b'number,note\n+12125550211,"two\nlines"\n+12125550212,ok\n', "line 2: a cell runs on to line 3"),
])
def test_a_list_that_cannot_be_used_says_why(data: bytes, said: str) -> None:
    found = read_callees(data, "US")
    assert not found.usable and str(found.problems[0]).startswith(said)


def test_a_number_in_several_zones_is_open_only_when_every_one_of_them_is() -> None:
    hours = CallingHours.parse("09:00-20:00", "mon-fri")
    sydney_mobile = zones_for("+61412345678")  # Perth to Lord Howe, Christmas and Cocos islands
    assert len(sydney_mobile) > 3 and "Australia/Perth" in sydney_mobile
    new_york = zones_for("+12125550101")
    assert new_york == ("America/New_York",)
    assert not hours.open_at(FRIDAY_8_UTC, new_york)  # 03:00 there
    assert hours.next_open(FRIDAY_8_UTC, new_york) == datetime(2026, 12, 4, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    opens = hours.next_open(datetime(2026, 12, 4, 12, 0, tzinfo=UTC), sydney_mobile)  # Friday night there
    assert opens is not None and opens.astimezone(ZoneInfo("Australia/Perth")).weekday() == 0  # not the weekend
    for zone in sydney_mobile:  # open in every zone at that moment, and one minute earlier in not all of them
        local = opens.astimezone(ZoneInfo(zone))
        assert local.weekday() < 5 and 9 <= local.hour < 20, (zone, local)
    assert not hours.open_at(opens - timedelta(minutes=1), sydney_mobile)
    assert zones_for("+80012345678") == ()  # no zone known for it (universal freephone): never dialled
    assert zones_for("+12125550101", "Asia/Tokyo") == ("Asia/Tokyo",)  # the list's own column wins


def test_a_window_opening_at_a_time_the_clocks_skip_opens_the_next_day_it_exists() -> None:
    hours = CallingHours.parse("02:00-03:00", "all")  # New York skips 02:00-03:00 on 2027-03-14
    opens = hours.next_open(datetime(2027, 3, 14, 0, 0, tzinfo=UTC), ("America/New_York",))
    assert opens == datetime(2027, 3, 15, 2, 0, tzinfo=ZoneInfo("America/New_York"))
    assert not hours.open_at(datetime(2027, 3, 14, 7, 0, tzinfo=UTC), ("America/New_York",))  # 03:00 EDT


def test_windows_that_never_overlap_never_open() -> None:
    hours = CallingHours.parse("09:00-10:00", "all")
    assert hours.next_open(FRIDAY_8_UTC, ("Asia/Tokyo", "America/New_York")) is None


@pytest.mark.parametrize(("window", "days", "said"), [
    ("9-17", "mon-fri", "write them as 09:00-20:00"), ("20:00-09:00", "all", "must end after it starts"),
    ("09:00-25:00", "all", "not times of day"), ("09:00-17:00", "weekdays", "write them as mon-fri"),
    ("09:00-17:00", "", "write them as mon-fri"), ("09:00-17:00", "mon-", "write them as mon-fri"),
])
def test_calling_hours_that_cannot_be_understood_say_what_is_accepted(window: str, days: str, said: str) -> None:
    with pytest.raises(HoursError, match=said):
        CallingHours.parse(window, days)


def test_days_ranges_may_wrap_the_week() -> None:
    assert parse_days("fri-mon") == {4, 5, 6, 0} and parse_days("mon,wed") == {0, 2}


def test_the_dry_run_keeps_the_pace_never_calls_outside_the_hours_and_lets_nobody_wait_for_another() -> None:
    data = (b"number,tz\n+12125550101,\n+61412345678,\n+12125550102,\n+80012345678,\n+919876543201,\n"
            b"+12125550103,Asia/Tokyo\n")
    hours = CallingHours.parse("09:00-20:00", "mon-fri")
    slots = schedule(read_callees(data, "US").callees, hours, FRIDAY_8_UTC, per_minute=2)
    planned = [s for s in slots if s.at is not None]
    assert [s.callee.number for s in slots if s.at is None] == ["+80012345678"]  # a freephone: no zone
    times = sorted(s.at for s in planned if s.at is not None)
    assert all(b - a >= timedelta(seconds=30) for a, b in zip(times, times[1:], strict=False))  # 2 a minute
    for s in planned:
        assert s.at is not None and hours.open_at(s.at, s.zones), s
    # Sydney, India and Tokyo are open at 08:00 UTC: they go first, not after New York's 09:00
    first_three = {s.callee.number for s in sorted(planned, key=lambda s: s.at or FRIDAY_8_UTC)[:3]}
    assert first_three == {"+61412345678", "+919876543201", "+12125550103"}


def test_retries_are_read_per_outcome_and_a_wrong_one_says_what_is_accepted() -> None:
    from console.campaigns.policy import DEFAULT_RETRIES, Plan, PlanError, parse_retry

    assert parse_retry("busy=2@10m") == ("busy", (2, 600))
    assert parse_retry("no-answer=1@1h") == ("no_answer", (1, 3600))
    assert parse_retry("machine=0") == ("machine", (0, 0))
    assert parse_retry("failed=3@45") == ("failed", (3, 2700))  # minutes when no unit is given
    for bad in ("answered=2", "busy", "busy=two", "busy=2@10d", "busy=999"):
        with pytest.raises(PlanError, match="write OUTCOME=TRIES@WAIT"):
            parse_retry(bad)
    with pytest.raises(PlanError, match="between 0.1 and 600"):
        Plan(per_minute=1000)
    with pytest.raises(PlanError, match="between 1 and 100"):
        Plan(max_live=0)
    with pytest.raises(HoursError):
        Plan(window="9-5")
    plan = Plan(retries={**DEFAULT_RETRIES, "busy": (1, 60)}, tags={"campaign": "winter"}, sets={"interval": 5})
    assert Plan.from_json(json.loads(json.dumps(plan.to_json()))) == plan  # as history keeps it


def test_each_attempt_counts_as_an_outcome_and_a_person_who_answered_is_never_called_again() -> None:
    from console.campaigns.policy import DEFAULT_RETRIES, Plan, decide, outcome_of
    from console.records import CallRecord
    from console.status import AmdResult, CallStatus

    now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)

    def call(status: CallStatus, **extra: object) -> CallRecord:
        return CallRecord.model_validate({"id": 1, "attempt_id": "a", "profile": "p", "provider": "jambonz",
                                          "status": status, "created_at": now, "updated_at": now,
                                          "call_sid": "sid", "ended_at": now, **extra})

    assert outcome_of(call(CallStatus.COMPLETED, answered_at=now)) == "answered"
    assert outcome_of(call(CallStatus.COMPLETED, answered_at=now, amd_result=AmdResult.MACHINE)) == "machine"
    assert outcome_of(call(CallStatus.BUSY)) == "busy"
    assert outcome_of(call(CallStatus.NO_ANSWER)) == "no_answer"
    assert outcome_of(call(CallStatus.UNKNOWN)) == "unknown"
    assert outcome_of(call(CallStatus.FAILED, call_sid=None, error="400 bad request")) == "refused"
    assert outcome_of(call(CallStatus.FAILED)) == "failed"
    plan = Plan(retries={**DEFAULT_RETRIES, "busy": (2, 600)})
    first = decide(plan, "busy", 0, call(CallStatus.BUSY), now)
    assert (first.state, first.tries, first.next_at) == ("waiting", 1, now + timedelta(minutes=10))
    assert decide(plan, "busy", 1, call(CallStatus.BUSY), now).state == "waiting"
    assert decide(plan, "busy", 2, call(CallStatus.BUSY), now).state == "done"  # three tries in all
    assert decide(plan, "answered", 0, call(CallStatus.COMPLETED, answered_at=now), now).state == "done"
    assert decide(plan, "failed", 0, call(CallStatus.FAILED), now).state == "done"  # none by default
    # MOBtexting called three times itself: as many tries as busy allows, so no more
    gateway_tried = decide(plan, "busy", 0, call(CallStatus.BUSY, attempts=3), now)
    assert (gateway_tried.state, gateway_tried.tries) == ("done", 3)
    scaled = decide(plan, "busy", 0, call(CallStatus.BUSY), now, scale=100)
    assert scaled.next_at == now + timedelta(seconds=6)  # the simulator's time
