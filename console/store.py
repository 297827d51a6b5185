"""Call history in SQLite: every attempt, every event, kept across restarts.

Writes go through one writer, a thread or a process of its own (console.dbwriter), and are awaited
by the caller; reads use a connection per thread, so a UI thread worker and the writer never wait on
each other (WAL). Write jobs are module-level functions, so either writer can run them.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar

import orjson
from pydantic import BaseModel
from sqlite_utils import Database

from console import schema
from console.callfilter import CallFilter
from console.clock import iso, parse_iso, utc_now
from console.dbwriter import Writer, WriterStats
from console.errors import ConsoleError
from console.providers import Provider, room
from console.redact import Redactor
from console.status import AmdResult, CallEvent, CallStatus, EventKind, EventSource, advance, live_sql
from console.writer_process import ProcessWriter

Clock = Callable[[], datetime]


def new_attempt_id() -> str:
    """Short, unguessable, URL-safe: it is also the token in the hook URLs of the attempt."""
    return secrets.token_hex(8)


class StoreError(ConsoleError, RuntimeError):
    """The history database cannot be used; the message says why."""


class Cancelled(Exception):
    """A read stopped because its caller no longer wanted the answer."""


class CallRecord(BaseModel):
    id: int
    attempt_id: str
    profile: str
    provider: str
    call_sid: str | None = None
    sip_call_id: str | None = None
    from_number: str | None = None
    to_number: str | None = None
    target_type: str | None = None
    status: CallStatus
    provider_status: str | None = None
    sip_status: int | None = None
    sip_reason: str | None = None
    amd_result: AmdResult | None = None
    amd_reason: str | None = None
    tags: dict[str, Any] = {}
    request: dict[str, Any] = {}
    error: str | None = None
    created_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    updated_at: datetime
    duration: int | None = None
    attempts: int | None = None  # MOBtexting: the attempts the gateway has reported on

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CallRecord:
        return cls.model_validate({**row, "tags": json.loads(row["tags"]), "request": json.loads(row["request"])})


class EventRecord(BaseModel):
    id: int
    call_id: int | None
    profile: str
    provider: str
    call_sid: str | None = None
    token: str | None = None
    kind: str
    status: CallStatus | None = None
    provider_status: str | None = None
    sip_status: int | None = None
    sip_reason: str | None = None
    amd_result: AmdResult | None = None
    amd_reason: str | None = None
    duration: int | None = None
    customer_data: dict[str, Any] | None = None
    details: dict[str, Any] = {}
    received_at: datetime
    verified: bool
    raw: str
    source: EventSource = EventSource.WEBHOOK

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> EventRecord:
        data = dict(row)
        data.pop("dedup_key", None)
        data["customer_data"] = json.loads(row["customer_data"]) if row["customer_data"] else None
        data["details"] = json.loads(row["details"]) if row["details"] else {}
        data["source"] = row.get("source") or EventSource.WEBHOOK.value
        return cls.model_validate(data)

    def as_event(self) -> CallEvent:
        """The event as the receiver handed it on (for processes that follow history instead)."""
        return CallEvent(
            profile=self.profile, provider=Provider(self.provider), kind=EventKind(self.kind), call_sid=self.call_sid,
            token=self.token, status=self.status, provider_status=self.provider_status, sip_status=self.sip_status,
            sip_reason=self.sip_reason, amd=self.amd_result, amd_reason=self.amd_reason, duration=self.duration,
            customer_data=self.customer_data, received_at=self.received_at, verified=self.verified, raw=self.raw,
            details=self.details, source=self.source)


@dataclass(frozen=True)
class Summary:
    """What the dashboard strip shows for a filter."""

    calls: int
    answered: int
    human: int
    machine: int
    ring_s: float | None  # average, answered calls: from the attempt to the answer
    talk_s: float | None  # average, answered calls
    per_minute: list[int]  # 60 buckets, oldest first, ending at window_end
    window_end: datetime

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.calls if self.calls else None


class CallDetail(BaseModel):
    call: CallRecord
    events: list[EventRecord]


@dataclass(frozen=True)
class Ingested:
    """The outcome of storing one webhook event."""

    duplicate: bool  # already stored (a gateway retry): nothing changed
    call: CallRecord | None  # the call it belongs to, updated; None while its attempt is unknown
    event_id: int | None = None  # its row; None for a duplicate


@dataclass(frozen=True)
class Followed:
    """An event read back from history, whichever process stored it, with its call as it stands now."""

    event_id: int
    event: CallEvent
    call: CallRecord | None


T = TypeVar("T")


def _reads(method: Callable[..., T]) -> Callable[..., T]:
    """A read of history: counted while it runs, refused once the store is closed."""
    @functools.wraps(method)
    def read(self: Store, *args: Any, **kwargs: Any) -> T:
        with self._reading():
            return method(self, *args, **kwargs)

    return read


class Store:
    """The history database at `path`; close it when done (or use it as a context manager)."""

    def __init__(self, path: Path, *, clock: Clock = utc_now, secrets: Iterable[str] = (), synchronous: str = "full",
                 writer: Literal["thread", "process"] = "thread"):
        self.path = Path(path)
        self._clock = clock
        self._redact = Redactor(secrets)
        self._synchronous = synchronous.upper()
        self._local = threading.local()
        self._pending: dict[asyncio.AbstractEventLoop, list[tuple[tuple[Any, ...], asyncio.Future[Ingested]]]] = {}
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._gate = threading.Condition()  # reads in flight, so that closing never pulls a connection from one
        self._active = 0
        self._closed = False
        self._prepare()
        opener = partial(connect, self.path, self._synchronous)
        self._writer: Writer | ProcessWriter = (
            ProcessWriter(opener, name="vgconsole-store-writer")
            if writer == "process"
            else Writer(opener, name="vgconsole-store-writer")
        )

    # ------------------------------------------------------------ lifecycle

    def _connect(self, readonly: bool = False) -> Database:
        return connect(self.path, self._synchronous, readonly)

    def _prepare(self) -> None:
        try:
            private_file(self.path)
            db = self._connect()
        except (OSError, sqlite3.OperationalError) as exc:
            raise StoreError(f"cannot open the history database {self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a usable vgconsole history database: {exc}") from None
        try:
            _prepare_schema(db)
        except schema.SchemaTooNew as exc:
            raise StoreError(f"{self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a usable vgconsole history database: {exc}") from None
        finally:
            db.close()

    def close(self, wait_s: float = 10.0) -> None:
        """Stop writing, then close the readers once the reads in flight (a thread the event loop left behind,
        say) have finished: closing a connection another thread is reading from can crash the process."""
        self._writer.close()
        with self._gate:
            self._closed = True
            self._gate.wait_for(lambda: self._active == 0, timeout=wait_s)
            busy = self._active > 0
        with self._readers_lock:
            if not busy:  # else they are left to close with their threads, which is safe
                for conn in self._readers:
                    conn.close()
            self._readers.clear()

    @contextmanager
    def _reading(self) -> Iterator[None]:
        with self._gate:
            if self._closed:
                raise StoreError(f"the history database {self.path} is closed")
            self._active += 1
        try:
            yield
        finally:
            with self._gate:
                self._active -= 1
                self._gate.notify_all()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _reader(self) -> Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._connect(readonly=True)
            self._local.db = db
            with self._readers_lock:
                self._readers.append(db.conn)
        return db

    @property
    def redact(self) -> Redactor:
        """The one rule that keeps secrets out of history, applied again to whatever leaves it (exports)."""
        return self._redact

    @property
    def writer_stats(self) -> WriterStats:
        return self._writer.stats

    # ------------------------------------------------------------ writes (awaitable)

    async def begin_attempt(
        self,
        *,
        profile: str,
        provider: str,
        from_number: str | None,
        to_number: str | None,
        target_type: str | None = None,
        tags: dict[str, Any] | None = None,
        request: dict[str, Any] | None = None,
        attempt_id: str | None = None,
    ) -> CallRecord:
        """Record an attempt before it is sent, so a crash mid-request still leaves a trace."""
        now = iso(self._clock())
        row = {
            "attempt_id": attempt_id or new_attempt_id(),
            "profile": profile,
            "provider": provider,
            "from_number": from_number,
            "to_number": to_number,
            "target_type": target_type,
            "status": CallStatus.QUEUED.value,
            "tags": json.dumps(self._redact(tags or {}), ensure_ascii=False),
            "request": json.dumps(self._redact(request or {}), ensure_ascii=False),
            "created_at": now,
            "updated_at": now,
        }

        return await self._writer.run(_begin_attempt, row)

    async def attempt_placed(
        self,
        attempt_id: str,
        *,
        call_sid: str,
        sip_call_id: str | None = None,
        status: CallStatus = CallStatus.DIALING,
        provider_status: str | None = None,
        raw: str = "",
        http_status: int | None = None,
    ) -> CallRecord:
        """The gateway accepted the call and gave its id; events that came first join it now. `raw` is
        the gateway's answer, kept in the timeline as the call's first event with its HTTP status."""
        return await self._writer.run(_attempt_placed, attempt_id, call_sid, sip_call_id, status, provider_status,
                                      iso(self._clock()), self._redact(raw), http_status)

    async def attempt_failed(self, attempt_id: str, error: str, *, sip_status: int | None = None,
                             raw: str = "", http_status: int | None = None) -> CallRecord:
        """The gateway refused the call (or could not be reached); `error` is what the operator reads,
        `raw` what the gateway answered and `http_status` its status (kept in the timeline)."""
        return await self._writer.run(_attempt_failed, attempt_id, self._redact(error), sip_status, iso(self._clock()),
                                      self._redact(raw), http_status)

    async def ingest(self, event: CallEvent) -> Ingested:
        """Store a webhook event once and fold it into its call; returns after the commit.

        Events ingested during the same turn of the event loop go to the writer as one job: one
        hand-over between threads for a burst instead of one per webhook."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Ingested] = loop.create_future()
        pending = self._pending.setdefault(loop, [])
        pending.append((event_row(event, self._redact), future))
        if len(pending) == 1:
            loop.call_soon(self._flush, loop)
        return await future

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._pending.pop(loop, [])
        if not batch:
            return
        now = iso(self._clock())
        rows = [row for row, _ in batch]

        def resolve(done: Future[list[Ingested | BaseException]]) -> None:
            try:
                outcomes: list[Any] = done.result()
            except BaseException as exc:  # noqa: BLE001 - the whole job failed: nothing of it is stored
                outcomes = [exc] * len(batch)
            for (_, future), outcome in zip(batch, outcomes):
                if future.done():
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

        try:
            job = self._writer.submit(_ingest_batch, rows, now)
        except Exception as exc:  # noqa: BLE001 - e.g. the store is closed
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        job.add_done_callback(lambda done: loop.call_soon_threadsafe(resolve, done))

    async def check_writable(self) -> None:
        """Raise if history cannot be written now (a read-only file or folder, a database locked for long)."""
        await self._writer.run(_touch)

    async def reject(self, *, profile: str | None, route: str, reason: str, remote: str | None,
                     content_type: str | None, body: str, received_at: datetime | None = None,
                     keep: int = 10_000) -> int:
        """Keep a webhook the receiver could not understand, for the operator to look at: the newest `keep`
        of them, so a sender that keeps sending nonsense cannot fill the disk."""
        row = {"received_at": iso(received_at or self._clock()), "profile": profile, "route": route, "reason": reason,
               "remote": remote, "content_type": content_type, "body": self._redact(body)}
        return await self._writer.run(_reject, row, keep)

    # ------------------------------------------------------------ reads (call from a worker thread)

    @_reads
    def count(self) -> int:
        return int(self._reader().execute("SELECT count(*) FROM calls").fetchone()[0])

    @_reads
    def page(self, *, before: int | None = None, limit: int = 50, search: str | None = None,
             filter: CallFilter | None = None) -> list[CallRecord]:
        """Newest first, keyset-paged: pass the last row's id as `before` for the next page."""
        f = filter or CallFilter()
        if search:
            f = f.model_copy(update={"text": search})
        selection = self._select(f, before)
        if selection is None:
            return []
        source, where, args, order = selection
        rows = self._reader().query(f"SELECT calls.* FROM {source} WHERE {where} ORDER BY {order} DESC LIMIT ?",
                                    [*args, max(1, min(limit, 1000))])
        return [CallRecord.from_row(r) for r in rows]

    def _select(self, f: CallFilter, before: int | None = None) -> tuple[str, str, list[Any], str] | None:
        """FROM, WHERE, their parameters and the id column to order by, for the calls `f` matches
        (below `before`); None when its date range holds no call."""
        bounds = self._id_bounds(f)
        if bounds is None:
            return None
        low, high = bounds
        source, order = "calls", "calls.id"
        term = (f.text or "").strip()
        kind, text = _search_term(term) if term else ("", "")
        if kind == "fts":
            # FTS5 hands back rowids newest first and stops at the limit: no sort, however broad the term.
            source, order = "calls_fts JOIN calls ON calls.id = calls_fts.rowid", "calls_fts.rowid"
        clauses, args = f.where()
        where = [f"{order} < ?", f"{order} >= ?"] + [f"calls.{c}" for c in clauses]
        args = [min(before if before is not None else 2**62, high + 1), low, *args]
        if kind == "fts":
            where.insert(0, "calls_fts MATCH ?")
            args.insert(0, text)
        elif kind == "like":  # too short for trigrams: a scan, newest first, stopping at the limit
            like = "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
            where.append("(" + " OR ".join(f"calls.{col} LIKE ? ESCAPE '\\'" for col in _SEARCHED) + ")")
            args.extend([like] * len(_SEARCHED))
        return source, " AND ".join(where), args, order

    def _id_bounds(self, f: CallFilter) -> tuple[int, int] | None:
        """The ids a date range covers (created_at grows with id), or None when it covers none."""
        db = self._reader()
        low, high = 0, 2**62 - 1
        if f.since:
            row = db.execute("SELECT id FROM calls WHERE created_at >= ? ORDER BY created_at, id LIMIT 1",
                             [iso(f.since)]).fetchone()
            if row is None:
                return None
            low = row[0]
        if f.until:
            row = db.execute("SELECT id FROM calls WHERE created_at < ? ORDER BY created_at DESC, id DESC LIMIT 1",
                             [iso(f.until)]).fetchone()
            if row is None:
                return None
            high = row[0]
        return (low, high) if low <= high else None

    def iter_calls(self, *, search: str | None = None, filter: CallFilter | None = None,
                   batch: int = 500) -> Iterator[CallRecord]:
        """Every matching call, newest first, a page at a time (exports never hold it all in memory)."""
        before = None
        while True:
            rows = self.page(before=before, limit=batch, search=search, filter=filter)
            yield from rows
            if len(rows) < batch:
                return
            before = rows[-1].id

    @_reads
    def summary(self, filter: CallFilter | None = None, *, cancelled: Callable[[], bool] | None = None) -> Summary:
        """The dashboard for a filter: answer rate, AMD split, average ring and talk time, and calls per
        minute over the hour up to the filter's end (its `until`, else its newest call).

        Over a million calls this reads them all (about a second); `cancelled` is asked as it goes, and a
        yes stops the query (Cancelled), so a summary nobody waits for does not hold a thread and a core."""
        f = filter or CallFilter()
        selection = self._select(f)
        if selection is None:
            return Summary(0, 0, 0, 0, None, None, [0] * 60, f.until or self._clock())
        source, where, args, _ = selection
        db = self._reader()
        if cancelled is not None:
            # Asked every million SQLite steps (about 10 ms): often enough to stop soon, seldom enough that
            # taking the GIL for it does not slow the UI thread.
            db.conn.set_progress_handler(lambda: 1 if cancelled() else 0, 1_000_000)
        try:
            return self._summary(db, f, source, where, args)
        except sqlite3.OperationalError as exc:
            if cancelled is not None and cancelled():
                raise Cancelled("the summary was no longer wanted") from None
            raise StoreError(f"cannot sum up the calls: {exc}") from None
        finally:
            if cancelled is not None:
                db.conn.set_progress_handler(None, 0)

    def _summary(self, db: Database, f: CallFilter, source: str, where: str, args: list[Any]) -> Summary:
        # strftime('%s') keeps whole seconds; averaged over many calls the truncation cancels out.
        total, answered, human, machine, ring, talk, newest = db.execute(
            "SELECT count(*), sum(calls.answered_at IS NOT NULL), sum(calls.amd_result = 'human'), "
            "sum(calls.amd_result = 'machine'), avg(CASE WHEN calls.answered_at IS NOT NULL THEN "
            "strftime('%s', calls.answered_at) - strftime('%s', calls.created_at) END), "
            "avg(CASE WHEN calls.answered_at IS NOT NULL THEN calls.duration END), max(calls.created_at) "
            f"FROM {source} WHERE {where}", args).fetchone()
        end = f.until or parse_iso(newest) or self._clock()
        start = end - timedelta(minutes=60)
        per_minute = [0] * 60
        for (created,) in db.execute(f"SELECT calls.created_at FROM {source} WHERE {where} AND calls.created_at >= ? "
                                     "AND calls.created_at <= ?", [*args, iso(start), iso(end)]):
            slot = int((datetime.fromisoformat(created) - start).total_seconds() // 60)
            per_minute[min(max(slot, 0), 59)] += 1
        return Summary(total, answered or 0, human or 0, machine or 0, ring, talk, per_minute, end)

    @_reads
    def call(self, key: int | str) -> CallRecord | None:
        """One call by row id, attempt id or provider call sid."""
        db = self._reader()
        if isinstance(key, int):
            rows = list(db.query("SELECT * FROM calls WHERE id = ?", [key]))
        else:
            rows = list(
                db.query(
                    "SELECT * FROM calls WHERE attempt_id = ? OR call_sid = ? ORDER BY id DESC LIMIT 1", [key, key]
                )
            )
        return CallRecord.from_row(rows[0]) if rows else None

    @_reads
    def events(self, call_id: int) -> list[EventRecord]:
        rows = self._reader().query("SELECT * FROM events WHERE call_id = ? ORDER BY id", [call_id])
        return [EventRecord.from_row(r) for r in rows]

    def detail(self, key: int | str) -> CallDetail | None:
        """One call with its event timeline."""
        call = self.call(key)
        return CallDetail(call=call, events=self.events(call.id)) if call else None

    @_reads
    def counts_since(self, since: datetime) -> dict[str, int]:
        """The console's counters: every call still going, however old, then the calls made since
        `since` that were answered and that failed."""
        db = self._reader()
        live = db.execute(f"SELECT count(*) FROM calls WHERE {live_sql()}").fetchone()[0]
        row = db.execute("SELECT sum(answered_at IS NOT NULL), sum(status = 'failed') FROM calls WHERE created_at >= ?",
                         [iso(since)]).fetchone()
        return {"live": live, "answered": row[0] or 0, "failed": row[1] or 0}

    @_reads
    def live(self, limit: int = 10_000) -> list[CallRecord]:
        """Every call history still holds as going on, of every profile, oldest first."""
        rows = self._reader().query(f"SELECT * FROM calls WHERE {live_sql()} ORDER BY id LIMIT ?", [limit])
        return [CallRecord.from_row(r) for r in rows]

    @_reads
    def live_activity(self, limit: int = 10_000) -> list[tuple[CallRecord, datetime]]:
        """Every call still going on, oldest first, with when history last heard of it (its newest event,
        or its creation): one query, each newest event found through the (call_id, id) index."""
        rows = self._reader().query(
            "SELECT calls.*, (SELECT received_at FROM events WHERE events.call_id = calls.id ORDER BY events.id DESC "
            f"LIMIT 1) AS last_heard FROM calls WHERE {live_sql('calls.status')} ORDER BY calls.id LIMIT ?", [limit])
        found = []
        for row in rows:
            heard = row.pop("last_heard")
            call = CallRecord.from_row(row)
            found.append((call, max(call.created_at, parse_iso(heard) or call.created_at)))
        return found

    @_reads
    def last_call_to(self, number: str, since: datetime) -> CallRecord | None:
        """The newest call to `number` placed since `since` (the date index narrows it to those calls)."""
        rows = list(self._reader().query("SELECT * FROM calls WHERE created_at >= ? AND to_number = ? ORDER BY id DESC "
                                         "LIMIT 1", [iso(since), number]))
        return CallRecord.from_row(rows[0]) if rows else None

    # ------------------------------------------------------------ following (every process on one history)

    @_reads
    def history_id(self) -> str:
        """What identifies this history to the other vgconsole processes on the host."""
        return str(self._reader().execute("SELECT value FROM meta WHERE key = 'history_id'").fetchone()[0])

    @_reads
    def last_event_id(self) -> int:
        return int(self._reader().execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])

    @_reads
    def events_since(self, after: int, limit: int = 500,
                     skip: Callable[[int], bool] | None = None) -> tuple[list[Followed], int]:
        """Events stored after event `after`, oldest first, with their calls as they stand now, and the last
        id looked at (the next `after`): how a process follows what others (a receiver, a reconciler, an
        operator) write. `skip` names ids it has already seen, whose rows are then not even read. Kept
        behind this method so that a server database can replace polling with its own notifications."""
        db = self._reader()
        ids = [row[0] for row in db.execute("SELECT id FROM events WHERE id > ? ORDER BY id LIMIT ?", [after, limit])]
        last = ids[-1] if ids else after
        wanted = [i for i in ids if skip is None or not skip(i)]
        if not wanted:
            return [], last
        found: list[Followed] = []
        calls: dict[int, CallRecord] = {}
        for start in range(0, len(wanted), _CHUNK):
            part = wanted[start:start + _CHUNK]
            rows = list(db.query(f"SELECT * FROM events WHERE id IN ({', '.join('?' * len(part))}) ORDER BY id", part))
            call_ids = sorted({r["call_id"] for r in rows if r["call_id"] is not None} - set(calls))
            if call_ids:
                calls.update((r["id"], CallRecord.from_row(r)) for r in
                             db.query(f"SELECT * FROM calls WHERE id IN ({', '.join('?' * len(call_ids))})", call_ids))
            for r in rows:
                found.append(Followed(r["id"], EventRecord.from_row(r).as_event(),
                                      calls.get(r["call_id"]) if r["call_id"] is not None else None))
        return found, last

    @_reads
    def by_sids(self, profile: str, sids: list[str]) -> dict[str, CallRecord]:
        """Our record of each of these gateway calls (the newest attempt per sid), where we have one."""
        found: dict[str, CallRecord] = {}
        for start in range(0, len(sids), 500):
            part = sids[start:start + 500]
            rows = self._reader().query(
                f"SELECT * FROM calls WHERE profile = ? AND call_sid IN ({', '.join('?' * len(part))}) ORDER BY id",
                [profile, *part],
            )
            found.update((r["call_sid"], CallRecord.from_row(r)) for r in rows)
        return found

    @_reads
    def unfinished(self, profile: str, limit: int = 200) -> list[CallRecord]:
        """Calls of a profile that history still believes are going on, newest first."""
        rows = self._reader().query(f"SELECT * FROM calls WHERE profile = ? AND {live_sql()} ORDER BY id DESC LIMIT ?",
                                    [profile, limit])
        return [CallRecord.from_row(r) for r in rows]

    @_reads
    def rejected(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest webhooks that could not be understood."""
        return list(self._reader().query("SELECT * FROM rejected_events ORDER BY id DESC LIMIT ?", [limit]))

    @_reads
    def orphan_count(self) -> int:
        """Events whose attempt is not (yet) known."""
        return int(self._reader().execute("SELECT count(*) FROM events WHERE call_id IS NULL").fetchone()[0])


def event_row(event: CallEvent, redact: Redactor) -> tuple[Any, ...]:
    """An event as the events table holds it (values in _EVENT_COLUMNS order), secrets redacted; built on
    the event loop, so the writer only writes."""
    return (
        event.dedup_key,
        event.profile,
        event.provider.value,
        event.call_sid,
        event.token,
        event.kind.value,
        event.status.value if event.status else None,
        event.provider_status,
        event.sip_status,
        event.sip_reason,
        event.amd.value if event.amd else None,
        event.amd_reason,
        event.duration,
        redact.json(event.customer_data, _json) if event.customer_data is not None else None,
        redact.json(event.details, _json) if event.details else None,
        iso(event.received_at),
        int(event.verified),
        redact(event.raw),
        None if event.source is EventSource.WEBHOOK else event.source.value,
    )


_EVENT_COLUMNS = ("dedup_key", "profile", "provider", "call_sid", "token", "kind", "status", "provider_status",
                  "sip_status", "sip_reason", "amd_result", "amd_reason", "duration", "customer_data", "details",
                  "received_at", "verified", "raw", "source")
_KEY, _PROFILE, _SID, _TOKEN = (_EVENT_COLUMNS.index(c) for c in ("dedup_key", "profile", "call_sid", "token"))


def _json(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # what orjson will not write (an integer past 64 bits): json will
        return json.dumps(value, ensure_ascii=False)


# ------------------------------------------------------- writer jobs (module level: the writer may be a process)


def private_file(path: Path) -> None:
    """History holds numbers, tags and call outcomes: its folder (when made here) is the owner's only, and so
    are the file and the -wal and -shm files beside it, which SQLite creates with the file's own mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for side in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if side.stat().st_mode & 0o077:
                side.chmod(0o600)  # made readable to others by an earlier version: tightened
        except FileNotFoundError:
            pass
        except PermissionError:
            pass  # not ours to change (a shared history set up on purpose): left as it is


def _prepare_schema(db: Database, patience_s: float = 10.0) -> None:
    """WAL and the newest schema. Two processes opening a new history at once (a console and a receiver
    started together) can be told "database is locked" while the other switches it to WAL and migrates
    it, busy timeout or not (seen in about one start in ten): the loser tries again, a bounded while."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.enable_wal()
            schema.migrate(db)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def connect(path: Path, synchronous: str, readonly: bool = False) -> Database:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    if readonly:
        conn.execute("PRAGMA query_only = ON")
    return Database(conn)


def _begin_attempt(db: Database, row: dict[str, Any]) -> CallRecord:
    # created_at never decreases with id (another process, a clock stepped back): a date range
    # is then a range of ids, which is what keeps date filters fast over millions of calls.
    last = db.execute("SELECT max(created_at) FROM calls").fetchone()[0]
    if last and last > row["created_at"]:
        row["created_at"] = row["updated_at"] = last
    call_id = int(db.table("calls").insert(row).last_pk or 0)
    db.execute("UPDATE events SET call_id = ? WHERE call_id IS NULL AND token = ?", [call_id, row["attempt_id"]])
    return _refold(db, call_id)


def _attempt_placed(db: Database, attempt_id: str, call_sid: str, sip_call_id: str | None, status: CallStatus,
                    provider_status: str | None, now: str, raw: str, http_status: int | None = None) -> CallRecord:
    call = _by_attempt(db, attempt_id)
    db.table("calls").update(call["id"], {"call_sid": call_sid, "sip_call_id": sip_call_id, "updated_at": now})
    db.execute("UPDATE events SET call_id = ? WHERE call_id IS NULL AND profile = ? AND call_sid = ?",
               [call["id"], call["profile"], call_sid])
    _create_event(db, call, call_sid, status, provider_status, None, raw, now, http_status)
    return _refold(db, call["id"])


def _attempt_failed(db: Database, attempt_id: str, error: str, sip_status: int | None, now: str,
                    raw: str, http_status: int | None = None) -> CallRecord:
    call = _by_attempt(db, attempt_id)
    db.table("calls").update(call["id"], {"status": CallStatus.FAILED.value, "error": error, "sip_status": sip_status,
                                    "ended_at": call["ended_at"] or now, "updated_at": now})
    _create_event(db, call, call["call_sid"], CallStatus.FAILED, None, sip_status, raw or error, now, http_status)
    return CallRecord.from_row(db.table("calls").get(call["id"]))


def _create_event(db: Database, call: dict[str, Any], call_sid: str | None, status: CallStatus,
                  provider_status: str | None, sip_status: int | None, raw: str, now: str,
                  http_status: int | None = None) -> None:
    """The gateway's answer to the create, as the call's own event: the timeline starts with it, and
    every process following history learns of the call from it."""
    event = CallEvent(profile=call["profile"], provider=Provider(call["provider"]), kind=EventKind.STATUS,
                      call_sid=call_sid, token=call["attempt_id"], status=status, provider_status=provider_status,
                      sip_status=sip_status, received_at=parse_iso(now) or utc_now(), verified=True, raw=raw,
                      source=EventSource.CREATE, details={"http_status": http_status} if http_status else {})
    row = dict(zip(_EVENT_COLUMNS, event_row(event, Redactor(()))))  # raw was redacted by the caller
    row["call_id"] = call["id"]
    db.table("events").insert(row)


def _touch(db: Database) -> None:
    db.execute("UPDATE meta SET value = value WHERE key = 'history_id'")  # a write that changes nothing


def _reject(db: Database, row: dict[str, Any], keep: int) -> int:
    kept = int(db.table("rejected_events").insert(row).last_pk or 0)
    db.execute("DELETE FROM rejected_events WHERE id <= ?", [kept - keep])  # ids grow: the oldest go first
    return kept



def _one(db: Database, sql: str, params: list[Any]) -> dict[str, Any] | None:
    return next(iter(db.query(sql, params)), None)


def _by_attempt(db: Database, attempt_id: str) -> dict[str, Any]:
    call = _one(db, "SELECT * FROM calls WHERE attempt_id = ?", [attempt_id])
    if call is None:
        raise StoreError(f"no attempt {attempt_id} in history")
    return call


# Columns an event can change on its call (call_sid apart: changing it re-indexes the call for search).
_FOLDED = ("status", "provider_status", "sip_status", "sip_reason", "amd_result", "amd_reason", "answered_at",
           "ended_at", "duration", "error", "attempts", "updated_at")
_CHUNK = 500  # rows per INSERT: 18 columns each stays well under SQLite's 32,766 variables


def _ingest_batch(db: Database, rows: list[tuple[Any, ...]], now: str) -> list[Ingested | BaseException]:
    """A burst of events in a handful of statements, whatever its size: every SQLite call hands the GIL
    back and forth with the event loop, so statements per batch, not per event, is what keeps ingest fast.
    Should the batch fail, it is rolled back and redone one event at a time, so one bad row fails alone."""
    conn = db.conn
    conn.execute("SAVEPOINT burst")
    try:
        results = _fold_batch(conn, rows, now)
    except Exception:  # noqa: BLE001 - find the culprit below
        conn.execute("ROLLBACK TO burst")
        conn.execute("RELEASE burst")
        return [_ingest_isolated(db, row, now) for row in rows]
    conn.execute("RELEASE burst")
    return results


def _fold_batch(conn: sqlite3.Connection, rows: list[tuple[Any, ...]], now: str) -> list[Ingested | BaseException]:
    inserted: dict[str, int] = {}
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start:start + _CHUNK]
        values = ", ".join(["(" + ", ".join("?" * len(_EVENT_COLUMNS)) + ")"] * len(chunk))
        sql = f"INSERT OR IGNORE INTO events ({', '.join(_EVENT_COLUMNS)}) VALUES {values} RETURNING id, dedup_key"
        inserted.update((key, event_id) for event_id, key in
                        conn.execute(sql, [value for row in chunk for value in row]).fetchall())
    fresh = []  # (row, event id) for the rows this batch inserted; a repeated key is a duplicate
    seen: set[str] = set()
    for row in rows:
        key = row[_KEY]
        fresh.append((row, inserted[key]) if key in inserted and key not in seen else (row, None))
        seen.add(key)
    tokens = sorted({r[_TOKEN] for r, i in fresh if i is not None and r[_TOKEN]})
    sids: dict[str, set[str]] = {}  # profile -> call sids: calls are indexed by (profile, call_sid)
    for r, i in fresh:
        if i is not None and r[_SID]:
            sids.setdefault(r[_PROFILE], set()).add(r[_SID])
    by_token: dict[str, dict[str, Any]] = {}
    by_sid: dict[tuple[str, str], dict[str, Any]] = {}
    for found in _calls_where(conn, CALLS_BY_TOKEN, [], tokens):
        by_token[found["attempt_id"]] = found
    for profile, keys in sorted(sids.items()):
        for found in _calls_where(conn, CALLS_BY_SID, [profile], sorted(keys)):
            by_sid[(found["profile"], found["call_sid"])] = found  # ordered by id: the newest wins
    calls: dict[int, dict[str, Any]] = {}  # the state each call reaches, as the batch folds into it
    links: list[tuple[int, int]] = []
    learned: list[tuple[str, int]] = []
    results: list[Ingested | BaseException] = []
    for row, event_id in fresh:
        if event_id is None:
            results.append(Ingested(duplicate=True, call=None))
            continue
        call = by_token.get(row[_TOKEN]) if row[_TOKEN] else None
        if call is None and row[_SID]:
            call = by_sid.get((row[_PROFILE], row[_SID]))
        if call is None:
            results.append(Ingested(duplicate=False, call=None, event_id=event_id))
            continue
        call = calls.setdefault(call["id"], call)
        links.append((call["id"], event_id))
        changes = _fold(call, dict(zip(_EVENT_COLUMNS, row)))
        if "call_sid" in changes:  # learned through the token: later events may name only the sid
            call["call_sid"] = changes.pop("call_sid")
            learned.append((call["call_sid"], call["id"]))
            by_sid[(call["profile"], call["call_sid"])] = call
        if changes:
            call.update(changes, updated_at=now)
        results.append(Ingested(duplicate=False, call=CallRecord.from_row(call), event_id=event_id))
    if links:
        conn.executemany("UPDATE events SET call_id = ? WHERE id = ?", links)
    if calls:
        conn.executemany(f"UPDATE calls SET {', '.join(f'{c} = ?' for c in _FOLDED)} WHERE id = ?",
                         [[c[k] for k in _FOLDED] + [c["id"]] for c in calls.values()])
    if learned:
        conn.executemany("UPDATE calls SET call_sid = ? WHERE id = ?", learned)
    return results


# Every ingest batch runs these, so neither may read the whole history (a million calls: 300 ms a
# batch). Left to itself the planner scans for a bare `call_sid IN`, and once statistics exist it may
# prefer the low-selectivity profile index: the sid look-up names its index. Tests check both plans.
CALLS_BY_TOKEN = "SELECT * FROM calls WHERE attempt_id IN ({}) ORDER BY id"
CALLS_BY_SID = (
    "SELECT * FROM calls INDEXED BY idx_calls_profile_call_sid WHERE profile = ? AND call_sid IN ({}) ORDER BY id"
)


def _calls_where(conn: sqlite3.Connection, sql: str, fixed: list[Any], keys: list[str]) -> list[dict[str, Any]]:
    """The calls rows `sql` selects for `keys`, asked for a chunk at a time, as dicts."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), _CHUNK):
        part = keys[start:start + _CHUNK]
        cursor = conn.execute(sql.format(", ".join("?" * len(part))), [*fixed, *part])
        names = [d[0] for d in cursor.description]
        found.extend(dict(zip(names, row)) for row in cursor.fetchall())
    return found


def _ingest_isolated(db: Database, row: tuple[Any, ...], now: str) -> Ingested | BaseException:
    """One event in its own savepoint: a failure is rolled back alone and reported alone."""
    conn = db.conn
    conn.execute("SAVEPOINT event")
    try:
        result: Ingested | BaseException = _fold_batch(conn, [row], now)[0]
    except Exception as exc:  # noqa: BLE001 - handed to this event's caller
        conn.execute("ROLLBACK TO event")
        result = exc
    conn.execute("RELEASE event")
    return result




def _refold(db: Database, call_id: int) -> CallRecord:
    """Recompute a call from its events (after late ones joined)."""
    call = db.table("calls").get(call_id)
    state = dict(call, attempts=None)  # counted again as the events are replayed
    for event in db.query("SELECT * FROM events WHERE call_id = ? ORDER BY id", [call_id]):
        state.update(_fold(state, event))
    changes = {k: v for k, v in state.items() if call[k] != v}
    if changes:
        db.table("calls").update(call_id, changes)
    return CallRecord.from_row(state)


_RETRIED = (CallStatus.BUSY.value, CallStatus.NO_ANSWER.value)  # what MOBtexting's `interval` retries


def _fold(call: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """What one event changes on its call. Status only moves forward; the first AMD verdict stays; a
    real final status replaces unknown; a MOBtexting attempt that ends busy or unanswered leaves the call
    retrying while the gateway has retries left."""
    changes: dict[str, Any] = {}
    received = event["received_at"]
    source = event.get("source")
    # Only events that are not webhooks carry these (reconciliation, an operator): rare, so parsed here.
    said = _said(event["details"]) if source and event.get("details") else {}
    if not call.get("call_sid") and event.get("call_sid"):
        changes["call_sid"] = event["call_sid"]
    word = event.get("status")
    if word and source is None and event["kind"] == "status" and room(event["provider"]).retries is not None:
        attempts = changes["attempts"] = (call.get("attempts") or 0) + 1
        if word in _RETRIED and attempts <= _planned_retries(call):
            word = CallStatus.RETRYING.value
    new = CallStatus(word) if word else None
    current = CallStatus(call["status"])
    after = advance(current, new)
    replaces_unknown = current is CallStatus.UNKNOWN and after is not CallStatus.UNKNOWN
    if new is not None and after == new and (not current.final or replaces_unknown):
        if after != current:
            changes["status"] = after.value
        for key in ("provider_status", "sip_status", "sip_reason"):
            if event.get(key) is not None:
                changes[key] = event[key]
        if said.get("answered_at") and not call.get("answered_at"):
            changes["answered_at"] = said["answered_at"]
        if after == CallStatus.ANSWERED and not call.get("answered_at"):
            changes["answered_at"] = received
        if after is CallStatus.UNKNOWN:
            changes["error"] = said.get("why") or "how the call ended is not known"
        elif replaces_unknown:
            changes["error"] = None
        if after.final:
            ended = said.get("ended_at") or received
            changes["ended_at"] = ended if replaces_unknown else (call.get("ended_at") or ended)
            if event.get("duration") is not None:
                changes["duration"] = event["duration"]
                if after == CallStatus.COMPLETED and not (call.get("answered_at") or changes.get("answered_at")):
                    answered = datetime.fromisoformat(ended) - timedelta(seconds=event["duration"])
                    changes["answered_at"] = iso(answered)
    amd = AmdResult(event["amd_result"]) if event.get("amd_result") else None
    if amd is not None and amd.verdict and not call.get("amd_result"):
        changes["amd_result"] = amd.value
        changes["amd_reason"] = event.get("amd_reason")
    return changes


def _said(details: str) -> dict[str, Any]:
    """What an event that is not a webhook says beyond its columns: why, and the gateway's own times
    (written as history writes times, so they sort as text)."""
    said: dict[str, Any] = json.loads(details)
    for key in ("answered_at", "ended_at"):
        try:
            said[key] = iso(datetime.fromisoformat(said[key])) if said.get(key) else None
        except (TypeError, ValueError):
            said[key] = None
    return said


def _planned_retries(call: dict[str, Any]) -> int:
    """How many times the gateway itself will call again (MOBtexting's `interval`), as the dialer recorded it."""
    try:
        return int(json.loads(call.get("request") or "{}").get("retries") or 0)
    except (ValueError, TypeError, AttributeError):
        return 0


_SEARCHED = ("attempt_id", "call_sid", "from_number", "to_number", "tags")
_PHONEISH = re.compile(r"^\+?[\d\s().\-]+$")


def _search_term(term: str) -> tuple[Literal["fts", "like"], str]:
    """Numbers match however they are typed; three characters or more use the trigram index."""
    if _PHONEISH.match(term):
        term = re.sub(r"\D", "", term)
    if len(term) >= 3:
        return "fts", '"' + term.replace('"', '""') + '"'
    return "like", term
