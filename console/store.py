"""Call history in SQLite: every attempt, every event, kept across restarts.

Writes go through one writer, a thread or a process of its own (console.dbwriter), and are awaited
by the caller; the jobs it runs are in console.ingest. Reads are console.reads (a connection per
thread, WAL); what they return is console.records.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar

from sqlite_utils import Database

from console import dnc, ingest, schema
from console.clock import iso, utc_now
from console.dbwriter import Writer, WriterStats
from console.ingest import event_row
from console.reads import Clock, HistoryReads
from console.records import CallRecord, Ingested, StoreError, new_attempt_id
from console.redact import Redactor
from console.schema import connect, prepare_schema, private_file
from console.status import CallEvent, CallStatus
from console.writer_process import ProcessWriter

T = TypeVar("T")


class Store(HistoryReads):
    """The history database at `path`; close it when done (or use it as a context manager)."""

    def __init__(self, path: Path, *, clock: Clock = utc_now, secrets: Iterable[str] = (), synchronous: str = "full",
                 writer: Literal["thread", "process"] = "thread"):
        super().__init__(Path(path), synchronous.upper(), clock)
        self._redact = Redactor(secrets)
        self._pending: dict[asyncio.AbstractEventLoop, list[tuple[tuple[Any, ...], asyncio.Future[Ingested]]]] = {}
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
            prepare_schema(db)
        except schema.SchemaTooNew as exc:
            raise StoreError(f"{self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a usable vgconsole history database: {exc}") from None
        finally:
            db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def redact(self) -> Redactor:
        """The one rule that keeps secrets out of history, applied again to whatever leaves it (exports)."""
        return self._redact

    @property
    def writer_stats(self) -> WriterStats:
        return self._writer.stats

    def close(self, wait_s: float = 10.0) -> None:
        """Stop writing, then close the readers once the reads in flight have finished."""
        self._writer.close()
        self._close_readers(wait_s)

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
        row = self.attempt_row(profile=profile, provider=provider, from_number=from_number, to_number=to_number,
                               target_type=target_type, tags=tags, request=request, attempt_id=attempt_id)
        return await self.begin_row(row)

    async def begin_row(self, row: dict[str, Any]) -> CallRecord:
        """Record an attempt from its row (`attempt_row`)."""
        return await self._writer.run(ingest.begin_attempt, row)

    def attempt_row(self, *, profile: str, provider: str, from_number: str | None, to_number: str | None,
                    target_type: str | None = None, tags: dict[str, Any] | None = None,
                    request: dict[str, Any] | None = None, attempt_id: str | None = None) -> dict[str, Any]:
        """An attempt's call row as history keeps it (secrets redacted), queued."""
        now = iso(self._clock())
        return {
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
        return await self._writer.run(ingest.attempt_placed, attempt_id, call_sid, sip_call_id, status, provider_status,
                                      iso(self._clock()), self._redact(raw), http_status)

    async def attempt_failed(self, attempt_id: str, error: str, *, sip_status: int | None = None,
                             raw: str = "", http_status: int | None = None,
                             status: CallStatus = CallStatus.FAILED) -> CallRecord:
        """The gateway refused the call (or could not be reached); `error` is what the operator reads,
        `raw` what the gateway answered and `http_status` its status (kept in the timeline). `status`
        UNKNOWN: the request may have reached the gateway, whose answer was lost."""
        return await self._writer.run(ingest.attempt_failed, attempt_id, self._redact(error), sip_status,
                                      iso(self._clock()), self._redact(raw), http_status, status)

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
            job = self._writer.submit(ingest.ingest_batch, rows, now)
        except Exception as exc:  # noqa: BLE001 - e.g. the store is closed
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        def handed_back(done: Future[list[Ingested | BaseException]]) -> None:
            try:
                loop.call_soon_threadsafe(resolve, done)
            except RuntimeError:  # the loop has closed (ctrl+c): nobody is waiting for these any more
                pass

        job.add_done_callback(handed_back)

    async def add_do_not_call(self, numbers: list[str], *, reason: str | None, source: str) -> int:
        """Put E.164 numbers on the do-not-call list (one transaction); how many were not on it before."""
        rows = [(n, self._redact(reason) if reason else None, source) for n in numbers]
        return await self._writer.run(dnc.add, rows, iso(self._clock()))

    async def remove_do_not_call(self, numbers: list[str]) -> int:
        return await self._writer.run(dnc.remove, numbers)

    async def write(self, job: Callable[..., T], *args: Any) -> T:
        """Run a job of another module's (the campaigns' ledger, say) on the history writer: one savepoint,
        committed when this returns. `job(db, *args, now)`: it is handed the time of the write last."""
        return await self._writer.run(job, *args, iso(self._clock()))

    async def check_writable(self) -> None:
        """Raise if history cannot be written now (a read-only file or folder, a database locked for long)."""
        await self._writer.run(ingest.touch)

    async def reject(self, *, profile: str | None, route: str, reason: str, remote: str | None,
                     content_type: str | None, body: str, received_at: datetime | None = None,
                     keep: int = 10_000) -> int:
        """Keep a webhook the receiver could not understand, for the operator to look at: the newest `keep`
        of them, so a sender that keeps sending nonsense cannot fill the disk."""
        row = {"received_at": iso(received_at or self._clock()), "profile": profile, "route": route, "reason": reason,
               "remote": remote, "content_type": content_type, "body": self._redact(body)}
        return await self._writer.run(ingest.reject, row, keep)
