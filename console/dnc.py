"""The do-not-call list kept in history: numbers a campaign never dials. These are the history writer's
jobs (run where it runs, one transaction each); reads are in `reads.py`."""

from __future__ import annotations

from sqlite_utils import Database


def add(db: Database, rows: list[tuple[str, str | None, str]], now: str) -> int:
    """(number, reason, source) rows; a number already listed keeps its first entry. How many were new."""
    before = db.execute("SELECT count(*) FROM do_not_call").fetchone()[0]
    db.conn.executemany("INSERT OR IGNORE INTO do_not_call (number, reason, source, added_at) VALUES (?, ?, ?, ?)",
                        [(number, reason, source, now) for number, reason, source in rows])
    return int(db.execute("SELECT count(*) FROM do_not_call").fetchone()[0] - before)


def remove(db: Database, numbers: list[str]) -> int:
    cursor = db.conn.executemany("DELETE FROM do_not_call WHERE number = ?", [(n,) for n in numbers])
    return int(cursor.rowcount)
