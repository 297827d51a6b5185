"""One writer per database: jobs queue up, run in batches, and commit together.

Group commit is where write throughput comes from: while one batch syncs to disk, the next
one gathers. A job's future resolves only after its batch is committed, so whoever waits on
it (the webhook receiver, before answering 2xx) knows the data is durable. Each job runs in
its own savepoint: a failing job is rolled back alone and its error goes to its own future.

The writer runs in a thread of this process (`Writer`) or in a process of its own
(`ProcessWriter`, console.writer_process). A thread shares the interpreter lock with the event
loop, so under a webhook storm the loop and the writer take turns; a process writes on the other
core while the loop reads the next webhooks. Both take the same jobs: `fn(db, *args)`; the
process needs `fn` defined at module level and picklable arguments.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlite_utils import Database

T = TypeVar("T")


class WriterClosed(RuntimeError):
    pass


@dataclass
class WriterStats:
    batches: int = 0
    jobs: int = 0
    failed_commits: int = 0


Outcome = tuple[bool, Any]  # (True, result) or (False, the exception the job raised)


def run_batch(
    db: Database, jobs: list[tuple[Callable[..., Any], tuple[Any, ...]]]
) -> tuple[list[Outcome], BaseException | None]:
    """Run `jobs` in one transaction, each in its own savepoint. Returns each job's outcome and the
    error that kept the whole batch from committing (then nothing of it is stored)."""
    try:
        db.execute("BEGIN IMMEDIATE")
    except Exception as exc:  # noqa: BLE001 - e.g. another process held the lock past the busy timeout
        return [], exc
    outcomes: list[Outcome] = []
    for fn, args in jobs:
        try:
            with db.atomic():  # a savepoint inside the batch's transaction
                outcomes.append((True, fn(db, *args)))
        except BaseException as exc:  # noqa: BLE001 - whatever a job raises belongs to its caller
            outcomes.append((False, exc))
    try:
        db.execute("COMMIT")
    except Exception as exc:  # noqa: BLE001 - nothing in the batch is durable
        try:
            db.rollback()
        except Exception:  # noqa: BLE001 - the connection is already out of its transaction
            pass
        return outcomes, exc
    return outcomes, None


def settle(future: Future[Any], ok: bool, value: Any) -> None:
    """Resolve `future` unless its caller has already given up on it (cancelled)."""
    try:
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
    except InvalidStateError:
        pass


class _Submitting:
    """What both writers share: futures, awaiting them, and the stats."""

    stats: WriterStats

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        raise NotImplementedError

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Submit and wait without blocking the event loop."""
        return await asyncio.wrap_future(self.submit(fn, *args))

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Submit and wait (for code outside an event loop)."""
        return self.submit(fn, *args).result()


@dataclass
class _Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    future: Future[Any]


class Writer(_Submitting):
    """The writer as a thread of this process."""

    def __init__(self, open_db: Callable[[], Database], *, max_batch: int = 512, name: str = "db-writer"):
        self._open_db = open_db
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self.stats = WriterStats()
        self._ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._ready.result()  # surface a failure to open the database here, not later

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise WriterClosed("the history store is closed")
            self._queue.put(_Job(fn, args, future))
        return future

    def close(self, timeout: float = 30.0) -> None:
        """Finish every queued job, then stop."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            db = self._open_db()
        except BaseException as exc:  # noqa: BLE001 - handed to the constructor's caller
            self._ready.set_exception(exc)
            return
        self._ready.set_result(None)
        try:
            self._loop(db)
        finally:
            db.close()
            self._fail_pending()

    def _loop(self, db: Database) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                batch.append(job)
            self._run_batch(db, batch)
            if stop:
                return

    def _fail_pending(self) -> None:
        """However the thread ends, nobody is left waiting on a job that will never run."""
        with self._lock:
            self._closed = True
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None and job.future.set_running_or_notify_cancel():
                job.future.set_exception(WriterClosed("the history store stopped before this write"))

    def _run_batch(self, db: Database, batch: list[_Job]) -> None:
        batch = [job for job in batch if job.future.set_running_or_notify_cancel()]  # skip the cancelled
        if not batch:
            return
        outcomes, failed = run_batch(db, [(job.fn, job.args) for job in batch])
        if failed is not None:
            self.stats.failed_commits += bool(outcomes)  # the jobs ran; only the commit failed
            for job in batch:
                job.future.set_exception(failed)
            return
        self.stats.batches += 1
        self.stats.jobs += len(outcomes)
        for job, (ok, value) in zip(batch, outcomes):
            settle(job.future, ok, value)
