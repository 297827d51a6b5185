"""The history writer in a process of its own (see console.dbwriter for why).

The parent talks to the child over one socket pair, in pickled frames:
  parent -> child: the opener first, then (job id, fn, args) per job, None to finish and stop;
  child -> parent: ("ready", None) or ("failed", error), then ("batch", outcomes, commit error) per batch.
The child gathers every job already waiting into one transaction (group commit), and stops when the
parent says so or goes away (end of file): whatever it committed stays committed, and a job whose
answer never reached the parent was never acknowledged to anyone.

If the child dies, waiting jobs fail with WriterClosed (the receiver answers 503 and the gateway
retries) and the next job starts a new child.
"""

from __future__ import annotations

import os
import pickle
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from console.dbwriter import WriterClosed, WriterStats, _Submitting, run_batch, settle

T = TypeVar("T")
_MAX_BATCH = 512
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


class ProcessWriter(_Submitting):
    """The writer as a child process; `open_db` must be picklable (a module-level function or a
    functools.partial of one), since the child calls it to open its own connection."""

    def __init__(self, open_db: Callable[[], Any], *, name: str = "db-writer"):
        self._open_db = open_db
        self._name = name
        self.stats = WriterStats()
        self._lock = threading.Lock()
        self._closed = False
        # started now, so its start-up overlaps the caller's; a writer never used is stopped at once
        self._child: _Child | None = _Child(open_db, self.stats, name)

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise WriterClosed("the history store is closed")
            child = self._child
            if child is None or not child.alive:
                if child is not None:
                    child.discard()
                child = self._child = _Child(self._open_db, self.stats, self._name)
            child.send(fn, args, future)
        return future

    def close(self, timeout: float = 30.0) -> None:
        """Finish every queued job, then stop the child."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            child, self._child = self._child, None
        if child is not None:
            child.stop(timeout)

    @property
    def pid(self) -> int | None:
        return self._child.process.pid if self._child is not None else None


class _Child:
    """One child process and the thread that reads its answers."""

    def __init__(self, open_db: Callable[[], Any], stats: WriterStats, name: str):
        self.stats = stats
        self.alive = True
        self._pending: dict[int, Future[Any]] = {}
        self._next_id = 0  # also: how many jobs were sent
        ours, theirs = socket.socketpair()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))}
        # Its own session: ctrl+c in a terminal reaches the parent, which then closes the writer in order.
        # Its output goes nowhere: the console draws on this terminal; failures come back over the socket.
        self.process = subprocess.Popen([sys.executable, "-m", "console.writer_process", str(theirs.fileno())],
                                        pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                                        start_new_session=True)
        theirs.close()
        self._conn = Connection(ours.detach())
        self._send_lock = threading.Lock()
        self._conn.send_bytes(pickle.dumps(open_db))
        self._reader = threading.Thread(target=self._read, name=f"{name}-answers", daemon=True)
        self._reader.start()

    def send(self, fn: Callable[..., Any], args: tuple[Any, ...], future: Future[Any]) -> None:
        """Called under the owner's lock, so job ids and sends stay in order."""
        job_id = self._next_id
        self._next_id += 1
        try:
            frame = pickle.dumps((job_id, fn, args), pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - a job the child could not receive
            future.set_exception(TypeError(f"this write cannot go to the writer process: {exc}"))
            return
        self._pending[job_id] = future
        try:
            with self._send_lock:
                self._conn.send_bytes(frame)
        except OSError:  # the child is gone; the reader thread fails what was already pending
            self.alive = False
            settle(self._pending.pop(job_id, future), False, WriterClosed("the history writer process stopped"))

    def stop(self, timeout: float) -> None:
        if self._next_id == 0:  # never given a job: nothing to finish
            self.process.kill()
        try:
            with self._send_lock:
                self._conn.send_bytes(pickle.dumps(None))
        except OSError:
            pass
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout)
        self._conn.close()

    def discard(self) -> None:
        """After the child died: release its socket (the reader thread has already failed its jobs)."""
        self._reader.join(5)
        self._conn.close()

    def _read(self) -> None:
        why = "the history writer process stopped"
        try:
            while True:
                message = pickle.loads(self._conn.recv_bytes())
                if message[0] == "failed":
                    why = f"the history writer could not open the database: {message[1]}"
                    break
                if message[0] == "batch":
                    self._settle(*message[1:])
        except (EOFError, OSError):
            pass
        except Exception as exc:  # noqa: BLE001 - an answer that cannot be read: which jobs it settled is unknown
            why = f"the history writer process answered something unreadable ({exc})"
        finally:
            self.alive = False
            if self.process.poll() is None and why != "the history writer process stopped":
                self.process.kill()  # never two writers: the next job starts a fresh one
            code: int | None
            try:
                code = self.process.wait(5)
            except subprocess.TimeoutExpired:
                code = None
            if code not in (None, 0):
                why += f" (exit code {code})"
            for job_id in list(self._pending):
                settle(self._pending.pop(job_id), False, WriterClosed(why + " before this write was committed"))

    def _settle(self, outcomes: list[tuple[int, bool, Any]], failed: BaseException | None, began: bool) -> None:
        if failed is None:
            self.stats.batches += 1
            self.stats.jobs += len(outcomes)
        elif began:
            self.stats.failed_commits += 1
        for job_id, ok, value in outcomes:
            future = self._pending.pop(job_id, None)
            if future is not None:
                settle(future, ok, value)


# ---------------------------------------------------------------- the child


def _frame(message: Any) -> bytes:
    try:
        return pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an outcome that cannot travel back: say what it was instead
        kind, outcomes, failed, began = message
        safe = []
        for job_id, ok, value in outcomes:
            try:
                pickle.dumps(value)
            except Exception:  # noqa: BLE001
                ok, value = False, RuntimeError(f"the writer's answer could not be sent back: {value!r}"[:500])
            safe.append((job_id, ok, value))
        return pickle.dumps((kind, safe, failed if failed is None else RuntimeError(str(failed)), began))


def child_main(fd: int) -> None:
    conn = Connection(fd)
    try:
        open_db = pickle.loads(conn.recv_bytes())
        db = open_db()
    except EOFError:
        return
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails its jobs with it
        conn.send_bytes(pickle.dumps(("failed", str(exc))))
        return
    conn.send_bytes(pickle.dumps(("ready", None)))
    stop = False
    try:
        while not stop:
            try:
                first = pickle.loads(conn.recv_bytes())
            except EOFError:
                return  # the parent is gone: nothing more to do
            if first is None:
                return
            batch = [first]
            while len(batch) < _MAX_BATCH and conn.poll(0):
                try:
                    job = pickle.loads(conn.recv_bytes())
                except EOFError:
                    stop = True
                    break
                if job is None:
                    stop = True
                    break
                batch.append(job)
            outcomes, failed = run_batch(db, [(fn, args) for _, fn, args in batch])
            answers = [(job_id, ok, value) for (job_id, _, _), (ok, value) in zip(batch, outcomes)]
            began = bool(outcomes)  # the jobs ran; only a failed commit undid them
            if failed is not None:  # nothing of the batch is stored: every job gets the reason
                answers = [(job_id, False, failed) for job_id, _, _ in batch]
            try:
                conn.send_bytes(_frame(("batch", answers, failed, began)))
            except OSError:
                return  # the parent is gone; what was committed stays committed
    finally:
        db.close()


if __name__ == "__main__":
    child_main(int(sys.argv[1]))
