"""How history settles a call: the gateway's answer to the create, unknown and what replaces it, MOBtexting's
own retries, and following history from another process (events_since)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from console.providers import Provider
from console.status import CallEvent, CallStatus, EventKind, EventSource
from console.store import Store
from tests.conftest import FrozenClock


@pytest.fixture(params=["thread", "process"])
def store(request: pytest.FixtureRequest, db_path: Path, clock: FrozenClock):
    s = Store(db_path, clock=clock, writer=request.param)
    yield s
    s.close()


def said(clock: FrozenClock, call, status: CallStatus | None, *, source: EventSource = EventSource.WEBHOOK,
         provider: Provider = Provider.JAMBONZ, raw: str | None = None, **extra) -> CallEvent:
    body = raw if raw is not None else json.dumps({"status": status.value if status else None, "at": str(clock.now)})
    return CallEvent(profile=call.profile, provider=provider, kind=EventKind.STATUS, call_sid=call.call_sid,
                     token=call.attempt_id if source is not EventSource.WEBHOOK else None, status=status,
                     received_at=clock.advance(1), raw=body, source=source, **extra)


async def placed(store: Store, provider: str = "jambonz", request: dict | None = None, sid: str = "sid-1"):
    call = await store.begin_attempt(profile="p", provider=provider, from_number="+12125550100",
                                     to_number="+12125550101", request=request)
    return await store.attempt_placed(call.attempt_id, call_sid=sid, raw=f'{{"sid":"{sid}"}}')


async def test_the_create_answer_is_the_first_event_and_refusals_keep_the_gateway_body(store: Store) -> None:
    call = await placed(store)
    (first,) = store.events(call.id)
    assert (first.source, first.status, first.raw, first.call_sid) == (EventSource.CREATE, CallStatus.DIALING,
                                                                       '{"sid":"sid-1"}', "sid-1")
    other = await store.begin_attempt(profile="p", provider="jambonz", from_number=None, to_number="+1")
    refused = await store.attempt_failed(other.attempt_id, "the gateway refused", raw='{"msg":"bad from"}')
    (event,) = store.events(refused.id)
    assert (event.source, event.status, event.raw) == (EventSource.CREATE, CallStatus.FAILED, '{"msg":"bad from"}')
    assert refused.error == "the gateway refused"


async def test_a_lost_create_answer_changes_nothing_of_a_call_its_webhooks_already_placed(store: Store,
                                                                                          clock: FrozenClock) -> None:
    """The create timed out while the call's own webhooks (by its token) said it rang and was answered: it is
    live, and stays so (made unknown, it would leave the live count and refuse a hang-up)."""
    call = await store.begin_attempt(profile="p", provider="jambonz", from_number="+12125550100",
                                     to_number="+12125550101")
    for status in (CallStatus.RINGING, CallStatus.ANSWERED):
        await store.ingest(CallEvent(profile="p", provider=Provider.JAMBONZ, kind=EventKind.STATUS,
                                     call_sid="sid-9", token=call.attempt_id, status=status,
                                     received_at=clock.advance(1), raw=json.dumps({"s": status.value})))
    after = await store.attempt_failed(call.attempt_id, "no answer within 30 s; the call may have been placed",
                                       status=CallStatus.UNKNOWN)
    assert (after.status, after.ended_at, after.call_sid, after.error) == (CallStatus.ANSWERED, None, "sid-9", None)
    noted = store.events(call.id)[-1]  # the lost answer, noted in the timeline
    assert noted.source is EventSource.CREATE and "may have been placed" in noted.raw
    never = await store.begin_attempt(profile="p", provider="jambonz", from_number=None, to_number="+1")
    lost = await store.attempt_failed(never.attempt_id, "lost", status=CallStatus.UNKNOWN)
    assert lost.status is CallStatus.UNKNOWN  # nothing heard of it: unknown, with why
    from console.ui.screens.call_detail import timeline_words  # as the call's detail reads them

    assert timeline_words(store.events(call.id), "jambonz")[-1] == "answer lost: may have been placed"
    assert timeline_words(store.events(lost.id), "jambonz") == ["answer lost: may have been placed"]


async def test_unknown_says_why_and_the_gateways_own_word_replaces_it(store: Store, clock: FrozenClock) -> None:
    call = await placed(store)
    why = "no final webhook within 90 s; IBM has no API to ask"
    unknown = (await store.ingest(said(clock, call, CallStatus.UNKNOWN, source=EventSource.DEADLINE,
                                       details={"why": why}))).call
    assert (unknown.status, unknown.error, unknown.ended_at) == (CallStatus.UNKNOWN, why, clock.now)
    late_ringing = (await store.ingest(said(clock, call, CallStatus.RINGING))).call
    assert late_ringing.status is CallStatus.UNKNOWN  # a word that is not final does not bring it back
    done = (await store.ingest(said(clock, call, CallStatus.COMPLETED, sip_status=200, duration=7))).call
    assert (done.status, done.error, done.duration, done.ended_at) == (CallStatus.COMPLETED, None, 7, clock.now)
    assert done.answered_at == clock.now - timedelta(seconds=7)


async def test_a_polled_record_brings_the_gateways_own_times(store: Store, clock: FrozenClock) -> None:
    call = await placed(store)
    answered, ended = clock.now + timedelta(seconds=3), clock.now + timedelta(seconds=10)
    clock.advance(600)  # asked long after the call ended
    done = (await store.ingest(said(clock, call, CallStatus.COMPLETED, source=EventSource.POLL, duration=7,
                                    details={"answered_at": answered.isoformat(), "ended_at": ended.isoformat()}))).call
    assert (done.status, done.answered_at, done.ended_at, done.duration) == (CallStatus.COMPLETED, answered, ended, 7)


async def test_the_same_poll_answer_is_stored_once(store: Store, clock: FrozenClock) -> None:
    call = await placed(store)
    first = await store.ingest(said(clock, call, CallStatus.RINGING, source=EventSource.POLL, raw='{"s":"ringing"}'))
    again = await store.ingest(said(clock, call, CallStatus.RINGING, source=EventSource.POLL, raw='{"s":"ringing"}'))
    hook = await store.ingest(said(clock, call, CallStatus.RINGING, raw='{"s":"ringing"}'))
    assert (first.duplicate, again.duplicate, hook.duplicate) == (False, True, False)


@pytest.mark.parametrize(("retries", "results", "statuses"), [
    (2, ["BUSY", "ANSWER"], [CallStatus.RETRYING, CallStatus.COMPLETED]),
    (2, ["NOANSWER", "BUSY", "BUSY"], [CallStatus.RETRYING, CallStatus.RETRYING, CallStatus.BUSY]),
    (0, ["BUSY", "ANSWER"], [CallStatus.BUSY, CallStatus.BUSY]),
])
async def test_mobtexting_follows_its_latest_attempt_until_no_retry_is_left(
        store: Store, clock: FrozenClock, retries: int, results: list[str], statuses: list[CallStatus]) -> None:
    call = await placed(store, "mobtexting", {"retries": retries}, sid="m-1")
    seen = []
    for i, word in enumerate(results):
        status = {"BUSY": CallStatus.BUSY, "NOANSWER": CallStatus.NO_ANSWER, "ANSWER": CallStatus.COMPLETED}[word]
        event = said(clock, call, status, provider=Provider.MOBTEXTING, provider_status=word,
                     raw=json.dumps({"mid": "m-1", "status": word, "attempt": i}))
        seen.append((await store.ingest(event)).call.status)
    assert seen == statuses
    assert store.call(call.id).attempts == len(results)


async def test_events_since_follows_every_event_with_its_call_and_skips_what_was_seen(store: Store,
                                                                                     clock: FrozenClock) -> None:
    start = store.last_event_id()
    call = await placed(store)
    ringing = await store.ingest(said(clock, call, CallStatus.RINGING))
    orphan = await store.ingest(CallEvent(profile="p", provider=Provider.JAMBONZ, kind=EventKind.STATUS,
                                          call_sid="nobody", status=CallStatus.RINGING, received_at=clock.advance(1),
                                          raw="{}"))
    followed, last = store.events_since(start)
    assert [(f.event.source, f.event.status) for f in followed] == [
        (EventSource.CREATE, CallStatus.DIALING), (EventSource.WEBHOOK, CallStatus.RINGING),
        (EventSource.WEBHOOK, CallStatus.RINGING)]
    assert last == orphan.event_id == store.last_event_id()
    assert followed[1].event_id == ringing.event_id and followed[1].call.status is CallStatus.RINGING
    assert followed[2].event_id == orphan.event_id and followed[2].call is None
    skipped, last = store.events_since(start, skip={ringing.event_id, orphan.event_id}.__contains__)
    assert [f.event_id for f in skipped] == [followed[0].event_id] and last == orphan.event_id  # skipped ids count
    assert store.events_since(last) == ([], last)
    first, last = store.events_since(start, limit=1)
    assert [f.event_id for f in first] == [followed[0].event_id] == [last]


def test_every_history_has_its_own_stable_id(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as a, Store(tmp_path / "b.db") as b:
        first, other = a.history_id(), b.history_id()
    with Store(tmp_path / "a.db") as again:
        assert again.history_id() == first
    assert first != other and len(first) == 32


async def test_live_counts_every_unfinished_call_however_old(store: Store, clock: FrozenClock) -> None:
    old = await placed(store, sid="old")
    clock.advance(3 * 3600)
    await placed(store, sid="new")
    counts = store.counts_since(clock.now - timedelta(hours=1))
    assert counts["live"] == 2
    assert [c.call_sid for c in store.live()] == ["old", "new"]
    await store.ingest(said(clock, old, CallStatus.UNKNOWN, source=EventSource.OPERATOR, details={"why": "closed"}))
    assert store.counts_since(clock.now)["live"] == 1



def test_history_and_its_side_files_are_the_owners_only(tmp_path: Path) -> None:
    import os
    import stat

    path = tmp_path / "new" / "folder" / "h.db"
    with Store(path, writer="thread") as store:
        store.history_id()
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in path.parent.iterdir()}
    assert modes == {"h.db": 0o600, "h.db-wal": 0o600, "h.db-shm": 0o600}, modes
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    os.chmod(path, 0o644)  # as an earlier version left it
    with Store(path, writer="thread"):
        pass
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
