"""Reading history: pages, search, filters and their summary, a call with its events, counters, what
reconciliation and followers ask for. Any thread may read; every read goes through its own connection."""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

from sqlite_utils import Database

from console.callfilter import CallFilter
from console.clock import iso, parse_iso
from console.ingest import CHUNK
from console.records import (
    CallDetail,
    CallRecord,
    Cancelled,
    DoNotCall,
    EventRecord,
    Followed,
    StoreError,
    Summary,
)
from console.schema import connect
from console.status import live_sql

Clock = Callable[[], datetime]
SUMMARIES_KEPT = 16

T = TypeVar("T")


def _reads(method: Callable[..., T]) -> Callable[..., T]:
    """A read of history: counted while it runs, refused once the store is closed."""
    @functools.wraps(method)
    def read(self: HistoryReads, *args: Any, **kwargs: Any) -> T:
        with self._reading():
            return method(self, *args, **kwargs)

    return read


class HistoryReads:
    """Every read of history, from any thread: a read-only connection per thread, so a UI worker and the
    writer never wait on each other (WAL). A read in flight is counted, and closing waits for it:
    closing a connection another thread is reading from can crash the process."""

    def __init__(self, path: Path, synchronous: str, clock: Clock) -> None:
        self.path = path
        self._synchronous = synchronous
        self._clock = clock
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._gate = threading.Condition()  # reads in flight, so that closing never pulls a connection from one
        self._active = 0
        self._closed = False
        # Summaries by filter, kept while nothing is written: reopening History or paging does not recount
        # a million calls. `_generation` moves when SQLite's data_version says another connection (the
        # writer) has committed since it was last asked, on a connection kept for asking.
        self._summaries: dict[CallFilter, tuple[int, Summary]] = {}
        self._versions_lock = threading.Lock()
        self._versions: Database | None = None
        self._version_seen = -1
        self._generation = 0

    def _close_readers(self, wait_s: float) -> None:
        """Close the readers once the reads in flight (a thread the event loop left behind, say) have finished."""
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

    def _reader(self) -> Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = connect(self.path, self._synchronous, readonly=True)
            self._local.db = db
            with self._readers_lock:
                self._readers.append(db.conn)
        return db

    def _written_generation(self) -> int:
        """A number that changes whenever anything has been committed to history since it was last asked."""
        with self._versions_lock:
            if self._versions is None:
                self._versions = connect(self.path, self._synchronous, readonly=True)
                with self._readers_lock:
                    self._readers.append(self._versions.conn)
            version = self._versions.execute("PRAGMA data_version").fetchone()[0]
            if version != self._version_seen:
                self._version_seen = version
                self._generation += 1
            return self._generation

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
        generation = self._written_generation()  # asked before counting: a write during it is not missed
        with self._versions_lock:
            kept = self._summaries.get(f)
        if kept is not None and kept[0] == generation:
            return kept[1]
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
            summary = self._summary(db, f, source, where, args)
        except sqlite3.OperationalError as exc:
            if cancelled is not None and cancelled():
                raise Cancelled("the summary was no longer wanted") from None
            raise StoreError(f"cannot sum up the calls: {exc}") from None
        finally:
            if cancelled is not None:
                db.conn.set_progress_handler(None, 0)
        with self._versions_lock:
            if len(self._summaries) >= SUMMARIES_KEPT:
                self._summaries.pop(next(iter(self._summaries)), None)  # the oldest filter asked
            self._summaries[f] = (generation, summary)
        return summary

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
    def do_not_call(self, numbers: list[str] | None = None) -> list[DoNotCall]:
        """The do-not-call list (or those of `numbers` on it), in the order numbers were added."""
        db = self._reader()
        if numbers is None:
            rows = db.execute("SELECT number, reason, source, added_at FROM do_not_call ORDER BY added_at, number")
            return [DoNotCall(*row) for row in rows]
        listed: list[DoNotCall] = []
        for first in range(0, len(numbers), 500):  # SQLite's limit on parameters
            chunk = numbers[first:first + 500]
            rows = db.execute("SELECT number, reason, source, added_at FROM do_not_call WHERE number IN "
                              f"({','.join('?' * len(chunk))})", chunk)
            listed += [DoNotCall(*row) for row in rows]
        return listed

    @_reads
    def read(self, query: Callable[..., T], *args: Any) -> T:
        """Run a read of another module's (the campaigns', say) on this thread's read-only connection."""
        return query(self._reader(), *args)

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
        for start in range(0, len(wanted), CHUNK):
            part = wanted[start:start + CHUNK]
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


_SEARCHED = ("attempt_id", "call_sid", "from_number", "to_number", "tags")
_PHONEISH = re.compile(r"^\+?[\d\s().\-]+$")


def _search_term(term: str) -> tuple[Literal["fts", "like"], str]:
    """Numbers match however they are typed; three characters or more use the trigram index."""
    if _PHONEISH.match(term):
        term = re.sub(r"\D", "", term)
    if len(term) >= 3:
        return "fts", '"' + term.replace('"', '""') + '"'
    return "like", term
