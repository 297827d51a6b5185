"""The history store on a real SQLite file: schema, ingest, joins, paging, search, secrets, durability."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlite_utils import Database

from console import schema
from console.providers import Provider
from console.records import StoreError
from console.status import AmdResult, CallEvent, CallStatus, EventKind, EventSource
from console.store import Store
from tests.conftest import ROOT, FrozenClock, gone_within

SECRET = "s3cret-api-key-0123456789"  # the store fixture is told about this one


@pytest.fixture(params=["thread", "process"])
def store(request: pytest.FixtureRequest, db_path: Path, clock: FrozenClock):
    """Every store test runs against both writers: they must be indistinguishable."""
    s = Store(db_path, clock=clock, secrets=[SECRET], writer=request.param)
    yield s
    s.close()


@pytest.fixture
def thread_store(db_path: Path, clock: FrozenClock):
    s = Store(db_path, clock=clock, secrets=[SECRET], writer="thread")
    yield s
    s.close()


def event(clock: FrozenClock, status: str | None, *, sid: str | None = "sid-1", token: str | None = None,
          kind: EventKind = EventKind.STATUS, raw: str | None = None, **extra) -> CallEvent:
    mapped = CallStatus(status) if status else None
    body = (
        raw
        if raw is not None
        else json.dumps({"call_sid": sid, "call_status": status, **{k: str(v) for k, v in extra.items()}})
    )
    return CallEvent(profile="prod", provider=Provider.JAMBONZ, kind=kind, call_sid=sid, token=token, status=mapped,
                     received_at=clock.advance(1), raw=body, **extra)


async def attempt(store: Store, to: str = "+12125550101", **kw):
    return await store.begin_attempt(profile="prod", provider="jambonz", from_number="+12125550100", to_number=to,
                                     target_type="phone", **kw)


# ---------------------------------------------------------------- schema


def test_a_new_file_gets_the_whole_schema(db_path: Path, store: Store) -> None:
    db = Database(db_path)
    assert schema.version(db) == schema.VERSION
    assert {"calls", "events", "calls_fts"} <= set(db.table_names())
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_empty_file_is_migrated_and_reopening_changes_nothing(db_path: Path, clock: FrozenClock) -> None:
    db_path.write_bytes(b"")
    Store(db_path, clock=clock).close()
    before = Database(db_path).execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    Store(db_path, clock=clock).close()
    assert Database(db_path).execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == before


def test_migrations_run_step_by_step_from_version_zero(db_path: Path) -> None:
    db = Database(sqlite3.connect(db_path, isolation_level=None))
    assert schema.migrate(db, target=0) == 0 and "calls" not in db.table_names()
    assert schema.migrate(db) == schema.VERSION and "calls" in db.table_names()


def test_a_newer_schema_is_refused_with_a_reason(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {schema.VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="upgrade vgconsole"):
        Store(db_path)


def test_a_file_that_is_not_a_database_is_refused_with_a_reason(db_path: Path) -> None:
    db_path.write_bytes(b"this is a text file, not SQLite" * 100)
    with pytest.raises(StoreError, match="is not a usable vgconsole history database"):
        Store(db_path)


def test_an_unwritable_place_is_refused_with_a_reason(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot open the history database"):
        Store(blocker / "history.db")


# ---------------------------------------------------------------- attempts and events


async def test_an_attempt_moves_through_its_events(store: Store, clock: FrozenClock) -> None:
    call = await attempt(store, tags={"campaign": "spring"})
    assert call.status is CallStatus.QUEUED and call.tags == {"campaign": "spring"}
    call = await store.attempt_placed(call.attempt_id, call_sid="sid-1", sip_call_id="abc@10.0.0.1")
    assert (call.status, call.call_sid, call.sip_call_id) == (CallStatus.DIALING, "sid-1", "abc@10.0.0.1")
    await store.ingest(event(clock, "ringing", sip_status=180, provider_status="ringing"))
    result = await store.ingest(event(clock, "answered", sip_status=200, sip_reason="OK"))
    assert result.call is not None and result.call.status is CallStatus.ANSWERED
    answered_at = clock.now
    result = await store.ingest(event(clock, "completed", sip_status=200, duration=42))
    final = result.call
    assert final is not None
    assert (final.status, final.duration, final.sip_status) == (CallStatus.COMPLETED, 42, 200)
    assert final.answered_at == answered_at and final.ended_at == clock.now


async def test_the_same_event_twice_is_stored_once(store: Store, clock: FrozenClock) -> None:
    call = await attempt(store)
    await store.attempt_placed(call.attempt_id, call_sid="sid-1")
    first = await store.ingest(event(clock, "ringing", raw='{"call_status":"ringing"}'))
    again = await store.ingest(event(clock, "ringing", raw='{"call_status":"ringing"}'))
    assert (first.duplicate, again.duplicate) == (False, True)
    # the gateway's answer to the create, then the webhook once
    assert [e.source for e in store.events(call.id)] == [EventSource.CREATE, EventSource.WEBHOOK]


async def test_events_before_their_attempt_join_it_by_call_sid(store: Store, clock: FrozenClock) -> None:
    # jambonz sends `trying` at once, and a fast call can finish before the 201 is processed.
    assert (await store.ingest(event(clock, "dialing", sip_status=100))).call is None
    assert (await store.ingest(event(clock, "completed", sip_status=200, duration=3))).call is None
    assert store.orphan_count() == 2
    call = await attempt(store)
    call = await store.attempt_placed(call.attempt_id, call_sid="sid-1")
    assert store.orphan_count() == 0
    assert call.status is CallStatus.COMPLETED and call.duration == 3  # not pulled back to `dialing`
    assert [(e.status, e.source) for e in store.events(call.id)] == [
        (CallStatus.DIALING, EventSource.WEBHOOK), (CallStatus.COMPLETED, EventSource.WEBHOOK),
        (CallStatus.DIALING, EventSource.CREATE)]


async def test_events_before_their_attempt_join_it_by_token(store: Store, clock: FrozenClock) -> None:
    await store.ingest(event(clock, "ringing", sid=None, token="tok-123"))
    call = await attempt(store, attempt_id="tok-123")
    assert call.status is CallStatus.RINGING and store.orphan_count() == 0


async def test_the_token_finds_the_call_and_teaches_it_the_sid(store: Store, clock: FrozenClock) -> None:
    call = await attempt(store)
    result = await store.ingest(event(clock, "ringing", sid="sid-9", token=call.attempt_id))
    assert result.call is not None and result.call.call_sid == "sid-9"


async def test_a_late_ringing_does_not_move_a_finished_call_back(store: Store, clock: FrozenClock) -> None:
    call = await attempt(store)
    await store.attempt_placed(call.attempt_id, call_sid="sid-1")
    await store.ingest(event(clock, "busy", sip_status=486, sip_reason="Busy Here"))
    late = await store.ingest(event(clock, "ringing", sip_status=180))
    assert late.call is not None
    assert (late.call.status, late.call.sip_status, late.call.sip_reason) == (CallStatus.BUSY, 486, "Busy Here")
    assert len(store.events(call.id)) == 3  # create, busy, and the late event is kept in the timeline


async def test_the_first_amd_verdict_stays(store: Store, clock: FrozenClock) -> None:
    call = await attempt(store)
    await store.attempt_placed(call.attempt_id, call_sid="sid-1")
    await store.ingest(
        event(clock, None, kind=EventKind.AMD, amd=AmdResult.MACHINE, amd_reason="long greeting", raw="m")
    )
    await store.ingest(event(clock, None, kind=EventKind.AMD, amd=AmdResult.TONE, raw="t"))
    result = await store.ingest(event(clock, None, kind=EventKind.AMD, amd=AmdResult.HUMAN, raw="h"))
    assert result.call is not None
    assert (result.call.amd_result, result.call.amd_reason) == (AmdResult.MACHINE, "long greeting")


async def test_a_refused_attempt_keeps_its_error(store: Store) -> None:
    call = await attempt(store)
    failed = await store.attempt_failed(call.attempt_id, f"401 Unauthorized for key {SECRET}", sip_status=None)
    assert failed.status is CallStatus.FAILED and failed.ended_at is not None
    assert SECRET not in (failed.error or "") and "401 Unauthorized" in (failed.error or "")


async def test_a_failing_write_is_rolled_back_alone(store: Store, clock: FrozenClock) -> None:
    call = await attempt(store)
    results = await asyncio.gather(
        store.ingest(event(clock, "ringing", token=call.attempt_id, raw="a")),
        store.attempt_placed("no-such-attempt", call_sid="x"),
        store.ingest(event(clock, "answered", token=call.attempt_id, raw="b")),
        return_exceptions=True,
    )
    assert isinstance(results[1], StoreError)
    assert store.call(call.id).status is CallStatus.ANSWERED
    assert len(store.events(call.id)) == 2


async def test_concurrent_writes_share_commits(store: Store, clock: FrozenClock) -> None:
    call = await attempt(store)
    before = store.writer_stats.batches
    await asyncio.gather(
        *(store.ingest(event(clock, "ringing", token=call.attempt_id, raw=f"r{i}")) for i in range(400))
    )
    assert len(store.events(call.id)) == 400
    batches = store.writer_stats.batches - before
    assert batches < 400, "every write committed on its own: group commit is not happening"


# ---------------------------------------------------------------- reads


async def test_paging_newest_first_across_page_boundaries(store: Store) -> None:
    ids = [(await attempt(store, to=f"+1212555{1000 + i}")).id for i in range(120)]
    seen: list[int] = []
    before = None
    while True:
        page = store.page(before=before, limit=50)
        seen += [c.id for c in page]
        if len(page) < 50:
            break
        before = page[-1].id
    assert seen == sorted(ids, reverse=True)
    assert store.count() == 120
    assert [c.id for c in store.iter_calls(batch=7)] == seen


async def test_search_finds_numbers_however_typed_ids_and_tags(store: Store) -> None:
    a = await attempt(store, to="+12125550123", tags={"campaign": "Spring-Renewals"})
    b = await attempt(store, to="+442079460958", tags={"campaign": "autumn"})
    await store.attempt_placed(b.attempt_id, call_sid="2531329f-fb09-4ef7-887e-84e648214436")

    def found(term: str) -> list[int]:
        return [c.id for c in store.page(search=term)]

    assert found("+1 (212) 555-0123") == [a.id]
    assert found("2125550123") == [a.id]
    assert found("0123") == [a.id]
    assert found("spring") == [a.id]  # case-insensitive
    assert found("renewals") == [a.id]
    assert found("fb09-4ef7") == [b.id]
    assert found(a.attempt_id) == [a.id]
    assert found("Sp") == [a.id]  # too short for trigrams: scanned; hex ids hold no s or p
    assert found("zzz") == []
    for odd in ['"', 'a"b', "*", "AND", "(", "x OR y", "%", "_", "\\"]:
        store.page(search=odd)  # FTS syntax in a search term is text, never an error


async def test_search_pages_across_the_boundary(store: Store) -> None:
    for i in range(30):
        await attempt(store, to=f"+1212555{2000 + i}", tags={"lot": "lot-seven" if i % 2 else "lot-eight"})
    first = store.page(search="seven", limit=10)
    rest = store.page(search="seven", limit=10, before=first[-1].id)
    assert len(first) == 10 and len(rest) == 5
    assert all(c.tags["lot"] == "lot-seven" for c in first + rest)
    assert len({c.id for c in first + rest}) == 15


async def test_detail_is_the_call_with_its_timeline(store: Store, clock: FrozenClock) -> None:
    call = await attempt(store)
    await store.attempt_placed(call.attempt_id, call_sid="sid-1")
    for status in ("ringing", "answered", "completed"):
        await store.ingest(event(clock, status))
    detail = store.detail("sid-1")
    assert detail is not None and detail.call.id == call.id
    assert [e.status for e in detail.events] == [CallStatus.DIALING, CallStatus.RINGING, CallStatus.ANSWERED,
                                                 CallStatus.COMPLETED]
    assert detail.events[0].source is EventSource.CREATE
    assert json.loads(detail.events[1].raw)["call_status"] == "ringing"
    assert store.detail(call.attempt_id) is not None and store.detail("unknown") is None


# ---------------------------------------------------------------- secrets and durability


async def test_secrets_never_reach_the_database_file(db_path: Path, store: Store, clock: FrozenClock) -> None:
    request = {
        "to": {
            "type": "sip",
            "sipUri": "sip:bob@pbx.example",
            "auth": {"username": "bob", "password": "sip-pass-7777"},
        },
        "statusWebhookPassword": "hook-pass-8888",
        "call_hook": {"url": f"https://user:url-pass-9999@app.example/hook?access_token={SECRET}"},
        "note": f"bearer {SECRET}",
    }
    call = await attempt(store, request=request)
    await store.attempt_failed(call.attempt_id, f"gateway said: bad key {SECRET}")
    await store.ingest(event(clock, "failed", token=call.attempt_id, raw=f'{{"echo": "{SECRET}"}}'))
    leaked = ["sip-pass-7777", "hook-pass-8888", "url-pass-9999", SECRET]

    def file_bytes() -> bytes:
        return b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))

    data = file_bytes()  # main file plus WAL, before the checkpoint
    assert data and not [s for s in leaked if s.encode() in data]
    store.close()
    data = file_bytes()
    assert not [s for s in leaked if s.encode() in data]
    assert b"sip:bob@pbx.example" in data  # the rest of the request is there


KILL_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys, json
    from datetime import datetime, UTC
    from console.store import Store
    from console.status import CallEvent, EventKind, CallStatus
    from console.providers import Provider

    async def main():
        store = Store(sys.argv[1], writer=sys.argv[2])
        print(f"writer {getattr(store._writer, 'pid', None)}", flush=True)
        i = 0
        while True:  # bounded by the parent, which kills this process
            ev = CallEvent(profile="p", provider=Provider.JAMBONZ, kind=EventKind.STATUS, call_sid=f"c{i}",
                           status=CallStatus.RINGING, received_at=datetime.now(UTC), raw=json.dumps({"n": i}))
            await store.ingest(ev)
            print(f"acked {i}", flush=True)
            i += 1

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("writer", ["thread", "process"])
def test_acknowledged_events_survive_kill_9(db_path: Path, writer: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(db_path), writer], stdout=subprocess.PIPE, text=True, env=env
    )
    acked, child = -1, None
    try:
        assert proc.stdout is not None
        child = proc.stdout.readline().split()[1]
        for line in proc.stdout:
            acked = int(line.split()[1])
            if acked >= 150:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert acked >= 150
    if writer == "process":
        assert child != "None" and gone_within(int(child), 10), "the writer process outlived the process it served"
    with Store(db_path) as reopened:
        rows = reopened._reader().execute("SELECT raw FROM events").fetchall()
    stored = {json.loads(r[0])["n"] for r in rows}
    assert set(range(acked + 1)) <= stored


# ---------------------------------------------------------------- the writer itself


def test_a_cancelled_write_never_runs_and_the_writer_carries_on(db_path: Path) -> None:
    import threading

    from console.dbwriter import Writer, WriterClosed

    Store(db_path).close()
    writer = Writer(lambda: Database(sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)))
    gate = threading.Event()
    ran: list[str] = []
    first = writer.submit(lambda db: gate.wait(10))
    second = writer.submit(lambda db: ran.append("cancelled one ran"))
    assert second.cancel()
    gate.set()
    assert first.result(timeout=10) is True
    boom = writer.submit(lambda db: (_ for _ in ()).throw(SystemExit("a job's own exit")))
    with pytest.raises(SystemExit):
        boom.result(timeout=10)
    assert writer.call(lambda db: db.execute("SELECT 41 + 1").fetchone()[0]) == 42
    writer.close()
    assert ran == []
    with pytest.raises(WriterClosed):
        writer.submit(lambda db: None)


async def test_a_write_resolves_only_once_it_is_committed(db_path: Path, store: Store, clock: FrozenClock) -> None:
    lock = sqlite3.connect(db_path, timeout=10)
    lock.execute("BEGIN IMMEDIATE")  # another writer holds the database
    task = asyncio.ensure_future(store.ingest(event(clock, "ringing", raw="held")))
    done, _ = await asyncio.wait({task}, timeout=0.3)
    assert not done, "the write was acknowledged while it could not be committed"
    lock.rollback()
    lock.close()
    assert (await asyncio.wait_for(task, 10)).duplicate is False
    assert store._reader().execute("SELECT count(*) FROM events WHERE raw = 'held'").fetchone()[0] == 1


async def test_a_burst_that_teaches_a_call_its_sid_links_the_rest_of_the_burst(
    store: Store, clock: FrozenClock
) -> None:
    call = await attempt(store)  # no call sid yet: the create has not answered
    by_token = event(clock, "ringing", sid="sid-42", token=call.attempt_id, raw="via notifyUrl")
    by_sid = event(clock, "answered", sid="sid-42", raw="via the application's hook")
    first, second = await asyncio.gather(store.ingest(by_token), store.ingest(by_sid))  # one burst
    assert first.call is not None and second.call is not None, "the second event was left an orphan"
    assert second.call.status is CallStatus.ANSWERED and store.orphan_count() == 0


async def test_one_bad_event_in_a_burst_fails_alone_and_leaves_nothing_half_written(
        thread_store: Store, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    import console.ingest as store_module

    store = thread_store  # the fault is injected into this process, which a writer process would not see

    call = await attempt(store)
    original = store_module._fold

    def fold(call_row, event_row):  # a fault injected for one event of the burst
        if event_row["raw"] == "bad":
            raise RuntimeError("injected")
        return original(call_row, event_row)

    monkeypatch.setattr(store_module, "_fold", fold)
    results = await asyncio.gather(*(store.ingest(event(clock, "ringing", token=call.attempt_id, raw=raw))
                                     for raw in ("good-1", "bad", "good-2")), return_exceptions=True)
    assert isinstance(results[1], RuntimeError)
    assert [r.call is not None for r in (results[0], results[2])] == [True, True]
    stored = [e.raw for e in store.events(call.id)]
    assert stored == ["good-1", "good-2"]
    assert store._reader().execute("SELECT count(*) FROM events WHERE raw = 'bad'").fetchone()[0] == 0


async def test_a_burst_across_profiles_sharing_a_call_sid_folds_each_into_its_own_call(
        store: Store, clock: FrozenClock) -> None:
    mine = await attempt(store)
    theirs = await store.begin_attempt(profile="other", provider="jambonz", from_number="+12125550100",
                                       to_number="+12125550102", target_type="phone")
    for call in (mine, theirs):
        await store.attempt_placed(call.attempt_id, call_sid="same-sid")
    other = CallEvent(profile="other", provider=Provider.JAMBONZ, kind=EventKind.STATUS, call_sid="same-sid",
                      status=CallStatus.BUSY, received_at=clock.advance(1), raw="theirs")
    first, second = await asyncio.gather(store.ingest(event(clock, "answered", sid="same-sid")), store.ingest(other))
    assert (first.call.id, first.call.status) == (mine.id, CallStatus.ANSWERED)
    assert (second.call.id, second.call.status) == (theirs.id, CallStatus.BUSY)


@pytest.mark.parametrize("statistics", [False, True], ids=["fresh file", "with statistics"])
def test_the_writer_finds_calls_through_an_index_never_a_scan(db_path: Path, store: Store, statistics: bool) -> None:
    """Every ingest batch looks its calls up; a scan would read the whole history each time. With
    statistics like a big history's (a few profiles, a million calls) the planner would otherwise
    pick the profile index, which reads a profile's every call."""
    from console.ingest import CALLS_BY_SID, CALLS_BY_TOKEN

    conn = sqlite3.connect(db_path)
    if statistics:
        conn.execute("ANALYZE")
        conn.executemany("INSERT INTO sqlite_stat1 VALUES ('calls', ?, ?)",
                         [("idx_calls_profile", "1000000 250000"), ("idx_calls_profile_call_sid", "1000000 250000 1"),
                          ("idx_calls_attempt_id", "1000000 1")])
        conn.commit()
        conn.close()
        conn = sqlite3.connect(db_path)
    expected = {CALLS_BY_TOKEN: ([], "idx_calls_attempt_id (attempt_id=?)"),
                CALLS_BY_SID: (["prod"], "idx_calls_profile_call_sid (profile=? AND call_sid=?)")}
    for sql, (fixed, index) in expected.items():
        plan = " / ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql.format("?, ?, ?"),
                                                         [*fixed, "a", "b", "c"]))
        assert f"USING INDEX {index}" in plan, plan
    conn.close()


async def test_closing_waits_for_a_read_in_flight_on_another_thread_and_refuses_reads_after(db_path: Path,
                                                                                            clock: FrozenClock) -> None:
    """The reconciler's read runs on a thread that a cancelled task leaves behind; closing the store under it
    used to pull the connection from a running query (a segfault at exit)."""
    import threading
    import time

    store = Store(db_path, clock=clock, writer="thread")
    for n in range(30):
        await attempt(store, to=f"+1212555{n:04d}")
    started, outcome = threading.Event(), {}

    def slow_read() -> None:
        store._reader().conn.set_progress_handler(lambda: time.sleep(0.002) or 0, 50)  # this thread's reads crawl
        started.set()
        try:
            outcome["rows"] = len(store.live_activity())
        except Exception as exc:  # noqa: BLE001 - what the read met is the finding
            outcome["error"] = repr(exc)

    reader = threading.Thread(target=slow_read)
    reader.start()
    started.wait(5)
    time.sleep(0.05)
    store.close()
    reader.join(10)
    assert outcome == {"rows": 30}, outcome
    with pytest.raises(StoreError, match="is closed"):
        store.live_activity()
