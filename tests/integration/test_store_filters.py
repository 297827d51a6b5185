"""History filters, the dashboard's sums and the live-call look-ups, on a real SQLite file: every
answer is checked against the same calls filtered by hand in Python."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.callfilter import CallFilter, FilterError, build_filter, parse_when
from console.clock import Zone
from console.providers import Provider
from console.records import CallRecord
from console.status import AmdResult, CallStatus, EventKind
from console.store import Store
from tests.conftest import FrozenClock
from tests.webhook_events import webhook_event

START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
PROFILES = ("demo-cognigy", "demo-jambonz", "prod-eu")
ENDINGS = [("completed", 200), ("busy", 486), ("no-answer", 487), ("failed", 404), (None, None)]


async def fill(store: Store, clock: FrozenClock, n: int = 240) -> list[CallRecord]:
    """n calls a minute apart (every fifth just ringing, some answered by a machine), varied on purpose."""
    rng = random.Random(5)
    for i in range(n):
        clock.now = START + timedelta(minutes=i)
        profile = PROFILES[i % 3]
        attempt = f"{i:016x}"
        sid = f"00000000-0000-4000-8000-{i:012d}"
        await store.begin_attempt(profile=profile, provider="jambonz", from_number="+12125550100",
                                  to_number=f"+1212555{i:04d}", tags={"campaign": f"c{i % 4}"}, attempt_id=attempt)
        await store.attempt_placed(attempt, call_sid=sid)
        word, sip = ENDINGS[rng.randrange(len(ENDINGS))]
        steps: list[tuple[EventKind, dict]] = [(EventKind.STATUS, {"call_status": "ringing", "sip_status": 180})]
        if word == "completed":
            steps.append((EventKind.STATUS, {"call_status": "in-progress", "sip_status": 200}))
            if i % 7 == 0:
                steps.append((EventKind.AMD, {"type": "amd_machine_detected", "reason": "greeting"}))
            elif i % 5 == 0:
                steps.append((EventKind.AMD, {"type": "amd_human_detected", "reason": "short"}))
            steps.append((EventKind.STATUS, {"call_status": "completed", "sip_status": 200, "duration": 10 + i % 30}))
        elif word:
            steps.append((EventKind.STATUS, {"call_status": word, "sip_status": sip}))
        for k, (kind, fields) in enumerate(steps):
            clock.advance(2 + k)
            payload = {"call_sid": sid, "direction": "outbound", "from": "+12125550100", "to": f"+1212555{i:04d}",
                       **fields}
            await store.ingest(webhook_event(Provider.JAMBONZ, kind, payload, profile=profile, token=attempt,
                                             received_at=clock()))
    return list(store.iter_calls())


def by_hand(calls: list[CallRecord], f: CallFilter) -> list[int]:
    def keep(c: CallRecord) -> bool:
        return ((f.profile is None or c.profile == f.profile) and (f.status is None or c.status is f.status)
                and (f.answered is None or (c.answered_at is not None) == f.answered)
                and (f.amd is None or c.amd_result is f.amd) and (f.since is None or c.created_at >= f.since)
                and (f.until is None or c.created_at < f.until)
                and (not f.text or f.text in c.to_number or f.text in json.dumps(c.tags)))
    return [c.id for c in calls if keep(c)]


FILTERS = {
    "profile": CallFilter(profile="prod-eu"),
    "status": CallFilter(status=CallStatus.BUSY),
    "answered": CallFilter(answered=True),
    "not answered": CallFilter(answered=False),
    "amd machine": CallFilter(amd=AmdResult.MACHINE),
    "amd human": CallFilter(amd=AmdResult.HUMAN),
    "since": CallFilter(since=START + timedelta(minutes=100)),
    "until": CallFilter(until=START + timedelta(minutes=30, seconds=30)),
    "date range": CallFilter(since=START + timedelta(minutes=50), until=START + timedelta(minutes=90)),
    "text (trigram)": CallFilter(text="c2"),  # two characters: the scan
    "text (index)": CallFilter(text="5550123"),
    "everything at once": CallFilter(profile="demo-cognigy", answered=True, since=START + timedelta(minutes=20),
                                     until=START + timedelta(minutes=200), text="c0"),
    "nothing matches": CallFilter(profile="nobody"),
    "range before history": CallFilter(until=START - timedelta(days=1)),
}


@pytest.fixture
async def filled(db_path: Path, clock: FrozenClock):
    store = Store(db_path, clock=clock, synchronous="off")  # durability is not what these tests are about
    calls = await fill(store, clock)
    yield store, calls
    store.close()


@pytest.mark.parametrize("name", FILTERS)
async def test_each_filter_pages_exactly_the_matching_calls(filled, name: str) -> None:
    store, calls = filled
    f = FILTERS[name]
    expected = by_hand(calls, f)
    seen: list[int] = []
    before = None
    for _ in range(100):  # pages of 7: most filters cross several page boundaries
        page = store.page(filter=f, before=before, limit=7)
        seen += [c.id for c in page]
        if len(page) < 7:
            break
        before = page[-1].id
    assert seen == expected
    assert [c.id for c in store.iter_calls(filter=f, batch=9)] == expected
    if name not in ("nothing matches", "range before history"):
        assert expected, "the seeded calls should exercise this filter"


async def test_the_dashboard_sums_up_exactly_the_filtered_calls(filled) -> None:
    store, calls = filled
    for f in (CallFilter(), CallFilter(profile="demo-jambonz"), FILTERS["date range"], FILTERS["text (trigram)"]):
        chosen = [c for c in calls if c.id in set(by_hand(calls, f))]
        answered = [c for c in chosen if c.answered_at]
        s = store.summary(f)
        assert (s.calls, s.answered) == (len(chosen), len(answered))
        assert s.human == sum(c.amd_result is AmdResult.HUMAN for c in chosen)
        assert s.machine == sum(c.amd_result is AmdResult.MACHINE for c in chosen)
        assert s.talk_s == pytest.approx(sum(c.duration for c in answered) / len(answered))
        ring = [int((c.answered_at - c.created_at).total_seconds()) for c in answered]
        assert s.ring_s == pytest.approx(sum(ring) / len(ring), abs=1)
        end = f.until or max(c.created_at for c in chosen)
        in_hour = [c for c in chosen if end - timedelta(minutes=60) <= c.created_at <= end]
        assert sum(s.per_minute) == len(in_hour) and len(s.per_minute) == 60 and s.window_end == end
    empty = store.summary(CallFilter(profile="nobody"))
    assert (empty.calls, empty.answer_rate, empty.ring_s) == (0, None, None)


async def test_a_summary_is_counted_again_only_after_history_changed(filled, clock: FrozenClock) -> None:
    """Reopening History or paging gives the kept summary; any write (a new call, or an existing call's
    new status: no new id) is seen at the next ask."""
    store, calls = filled
    f = CallFilter(profile="demo-jambonz")
    first = store.summary(f)
    assert store.summary(f) is first and store.summary(CallFilter(profile="demo-jambonz")) is first
    ringing = next(c for c in calls if c.profile == "demo-jambonz" and not c.status.final)
    payload = {"call_sid": ringing.call_sid, "direction": "outbound", "call_status": "in-progress",
               "sip_status": 200, "from": "+12125550100", "to": ringing.to_number}
    await store.ingest(webhook_event(Provider.JAMBONZ, EventKind.STATUS, payload, profile="demo-jambonz",
                                     token=ringing.attempt_id, received_at=clock.advance(1)))
    answered = store.summary(f)
    assert answered is not first and answered.answered == first.answered + 1 and answered.calls == first.calls
    await store.begin_attempt(profile="demo-jambonz", provider="jambonz", from_number=None, to_number="+12125550101")
    assert store.summary(f).calls == first.calls + 1
    assert store.summary(f) is store.summary(f)


async def test_created_at_never_goes_back_so_a_date_range_is_an_id_range(db_path: Path, clock: FrozenClock) -> None:
    with Store(db_path, clock=clock) as store:
        first = await store.begin_attempt(profile="p", provider="jambonz", from_number=None, to_number="+12125550101")
        clock.advance(-3600)  # the wall clock stepped back an hour
        second = await store.begin_attempt(profile="p", provider="jambonz", from_number=None, to_number="+12125550102")
        assert second.created_at == first.created_at
        page = store.page(filter=CallFilter(since=first.created_at))
        assert [c.id for c in page] == [second.id, first.id]


async def test_live_lookups_by_gateway_sid_and_unfinished(filled) -> None:
    store, calls = filled
    ringing = [c for c in calls if c.profile == "prod-eu" and not c.status.final]
    assert [c.id for c in store.unfinished("prod-eu")] == [c.id for c in ringing] and ringing
    some = [c.call_sid for c in calls[:5] if c.profile == "demo-cognigy"]
    found = store.by_sids("demo-cognigy", [*some, "not-a-sid"])
    assert sorted(found) == sorted(some) and all(found[s].call_sid == s for s in some)
    assert store.by_sids("prod-eu", some) == {}  # a sid belongs to its profile


NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("24h", NOW - timedelta(hours=24)), ("90m", NOW - timedelta(minutes=90)), ("7d", NOW - timedelta(days=7)),
    ("2026-11-21T09:30:00Z", datetime(2026, 11, 21, 9, 30, tzinfo=UTC)),
    ("2026-11-21 09:30+02:00", datetime(2026, 11, 21, 7, 30, tzinfo=UTC)),
])
def test_dates_as_people_type_them(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW) == expected


@pytest.mark.parametrize(("text", "zone"), [("0001-01-01", "local"), ("9999-12-31 23:59", "America/New_York"),
                                            ("0001-01-01 00:10", "Asia/Kolkata")])
def test_a_date_too_far_back_or_ahead_for_the_zone_is_said_not_a_crash(text: str, zone: str) -> None:
    with pytest.raises(FilterError, match="too far back or ahead to be read as a time here"):
        parse_when(text, NOW, field="since", zone=Zone.named(zone))


def test_local_dates_and_words_are_the_operators_own_day() -> None:
    local_midnight = NOW.astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    assert parse_when("today", NOW) == local_midnight.astimezone(UTC)
    assert parse_when("yesterday", NOW) == (local_midnight - timedelta(days=1)).astimezone(UTC)
    assert parse_when("2026-11-21", NOW) == datetime(2026, 11, 21).astimezone().astimezone(UTC)


def test_dates_are_read_and_described_in_the_zone_the_console_shows() -> None:
    kolkata = Zone.named("Asia/Kolkata")
    assert parse_when("2026-11-21 09:30", NOW, zone=kolkata) == datetime(2026, 11, 21, 4, 0, tzinfo=UTC)
    assert parse_when("today", NOW, zone=kolkata) == datetime(2026, 11, 21, 18, 30, tzinfo=UTC)
    assert parse_when("2026-11-21T09:30:00Z", NOW, zone=kolkata) == datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    chosen = build_filter(since="2026-11-21 09:30", until="2026-11-22", now=NOW, zone=kolkata)
    assert chosen.describe(kolkata) == "since 2026-11-21 09:30 IST, until 2026-11-22 00:00 IST"
    assert chosen.describe(Zone.named("UTC")) == "since 2026-11-21 04:00 UTC, until 2026-11-21 18:30 UTC"


@pytest.mark.parametrize("name", ["Mars/Olympus", "Europe/", "../etc/passwd", "EST5EDT,M3"])
def test_a_zone_that_does_not_exist_is_refused_saying_what_is_accepted(name: str) -> None:
    with pytest.raises(ValueError, match="is not a time zone: write local .*, UTC, or a zone name such as"):
        Zone.named(name)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"since": "last tuesday"}, "since: 'last tuesday' is not a date"),
    ({"until": "2026-13-01"}, "until: '2026-13-01' is not a date"),
    ({"since": "2026-11-22", "until": "2026-11-21"}, "until: it must come after since"),
    ({"status": "ringing-ish"}, "status: 'ringing-ish' is not one of queued, dialing"),
    ({"amd": "tone"}, "amd: 'tone' is not one of human, machine, no_speech, undecided"),
    ({"answered": "maybe"}, "answered: 'maybe' should be yes or no"),
])
def test_a_filter_that_cannot_be_understood_says_which_field_and_why(kwargs: dict, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        build_filter(now=NOW, **kwargs)
    assert str(caught.value).startswith(message)


def test_filter_words_are_forgiving_where_it_is_safe() -> None:
    f = build_filter(status="No-Answer", amd="MACHINE", answered="yes", profile="  p ", text=" 0101 ", now=NOW)
    assert (f.status, f.amd, f.answered, f.profile, f.text) == (
        CallStatus.NO_ANSWER,
        AmdResult.MACHINE,
        True,
        "p",
        "0101",
    )
    assert f.describe() == "profile p, no answer, answered, AMD machine, '0101'"
    assert build_filter(now=NOW).empty
