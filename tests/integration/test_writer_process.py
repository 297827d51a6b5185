"""The history writer as a process of its own: what happens when it dies, cannot open the database, is
handed a job it cannot receive, or is closed with jobs still queued. (Everything a store does through
it is covered by test_store.py, which runs each test against both writers.)"""

from __future__ import annotations

import os
import signal
import sqlite3
from functools import partial
from pathlib import Path

import pytest
from sqlite_utils import Database

from console.dbwriter import WriterClosed
from console.schema import connect
from console.store import Store
from console.writer_process import ProcessWriter
from tests.conftest import gone_within


# Jobs live at module level: the child imports this module to run them.
def add_note(db: Database, text: str) -> int:
    return db["notes"].insert({"text": text}).last_pk


def fail(db: Database, why: str) -> None:
    db["notes"].insert({"text": "half-written"})
    raise ValueError(why)


def notes(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT text FROM notes ORDER BY rowid")]
    finally:
        conn.close()


@pytest.fixture
def writer(db_path: Path):
    Store(db_path).close()  # the schema, as a store leaves it
    w = ProcessWriter(partial(connect, db_path, "FULL"))
    yield w
    w.close()


def test_jobs_run_in_the_child_and_a_failing_job_fails_alone(writer: ProcessWriter, db_path: Path) -> None:
    assert writer.call(add_note, "first") == 1
    assert writer.pid is not None and writer.pid != os.getpid()
    with pytest.raises(ValueError, match="refused on purpose"):
        writer.call(fail, "refused on purpose")
    assert writer.call(add_note, "after") == 2
    assert notes(db_path) == ["first", "after"]  # the failed job's insert was rolled back with it


def test_a_job_the_child_cannot_receive_is_refused_with_a_reason(writer: ProcessWriter) -> None:
    with pytest.raises(TypeError, match="cannot go to the writer process"):
        writer.call(lambda db: None)
    assert writer.call(add_note, "still writing") == 1


def test_a_dead_writer_fails_its_waiting_jobs_and_the_next_job_starts_another(writer: ProcessWriter,
                                                                              db_path: Path) -> None:
    assert writer.call(add_note, "before") == 1
    lock = sqlite3.connect(db_path, timeout=10)
    lock.execute("BEGIN IMMEDIATE")  # the child's next transaction waits on this lock
    waiting = writer.submit(add_note, "never committed")
    first = writer.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    with pytest.raises(WriterClosed, match=r"stopped \(exit code -9\) before this write was committed"):
        waiting.result(timeout=10)
    lock.rollback()
    lock.close()
    assert writer.call(add_note, "after") == 2
    assert writer.pid not in (None, first)
    assert notes(db_path) == ["before", "after"]


def test_a_database_the_child_cannot_open_fails_the_job_with_the_reason(tmp_path: Path) -> None:
    w = ProcessWriter(partial(connect, tmp_path / "no such folder" / "history.db", "FULL"))
    try:
        with pytest.raises(WriterClosed, match="could not open the database: unable to open database file"):
            w.call(add_note, "x")
    finally:
        w.close()


def test_closing_finishes_every_queued_job_then_stops_the_child(writer: ProcessWriter, db_path: Path) -> None:
    futures = [writer.submit(add_note, f"n{i}") for i in range(200)]
    pid = writer.pid
    writer.close()
    assert [f.result(timeout=0) for f in futures] == list(range(1, 201))
    assert notes(db_path) == [f"n{i}" for i in range(200)]
    assert pid is not None and gone_within(pid, 5)
    with pytest.raises(WriterClosed):
        writer.submit(add_note, "too late")


def test_a_writer_never_used_stops_at_once(db_path: Path) -> None:
    Store(db_path).close()
    w = ProcessWriter(partial(connect, db_path, "FULL"))
    child = w._child
    assert child is not None
    w.close(timeout=5)
    assert child.process.returncode == -signal.SIGKILL, "closing waited for a writer that had nothing to finish"
