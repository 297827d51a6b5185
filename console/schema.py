"""The history database's schema, one migration per version (PRAGMA user_version)."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database


class SchemaTooNew(RuntimeError):
    pass


def _v1(db: Database) -> None:
    db.table("calls").create(
        {
            "id": int,  # rowid: creation order, so newest first is ORDER BY id DESC
            "attempt_id": str,  # ours; also the per-attempt token in hook URLs
            "profile": str,
            "provider": str,
            "call_sid": str,  # the provider's id: jambonz call sid, vgwSessionID, MOBtexting id
            "sip_call_id": str,
            "from_number": str,
            "to_number": str,
            "target_type": str,
            "status": str,
            "provider_status": str,
            "sip_status": int,
            "sip_reason": str,
            "amd_result": str,
            "amd_reason": str,
            "tags": str,  # JSON object
            "request": str,  # JSON, as sent, secrets redacted
            "error": str,
            "created_at": str,  # ISO 8601 UTC
            "answered_at": str,
            "ended_at": str,
            "updated_at": str,
            "duration": int,
        },
        pk="id",
        not_null={"attempt_id", "profile", "provider", "status", "tags", "request", "created_at", "updated_at"},
    )
    db.table("calls").create_index(["attempt_id"], unique=True)
    db.table("calls").create_index(["profile", "call_sid"])
    db.table("events").create(
        {
            "id": int,
            "dedup_key": str,
            "call_id": int,  # NULL until the event's attempt is known
            "profile": str,
            "provider": str,
            "call_sid": str,
            "token": str,
            "kind": str,
            "status": str,
            "provider_status": str,
            "sip_status": int,
            "sip_reason": str,
            "amd_result": str,
            "amd_reason": str,
            "duration": int,
            "customer_data": str,
            "details": str,
            "received_at": str,
            "verified": int,
            "raw": str,
        },
        pk="id",
        not_null={"dedup_key", "profile", "provider", "kind", "received_at", "verified", "raw"},
        foreign_keys=[("call_id", "calls", "id")],
    )
    db.table("events").create_index(["dedup_key"], unique=True)
    db.table("events").create_index(["call_id", "id"])
    # Events that arrived before their attempt, found again when it lands.
    db.execute("CREATE INDEX events_orphan_token ON events(token) WHERE call_id IS NULL")
    db.execute("CREATE INDEX events_orphan_sid ON events(profile, call_sid) WHERE call_id IS NULL")
    # Substring search over ids, numbers and tags. Trigram keeps "0100" finding "+12125550100";
    # the update trigger fires only for the searched columns, not on every status change.
    db.execute(
        "CREATE VIRTUAL TABLE calls_fts USING fts5("
        "attempt_id, call_sid, from_number, to_number, tags, content='calls', content_rowid='id', tokenize='trigram')"
    )
    cols = "attempt_id, call_sid, from_number, to_number, tags"
    new = ", ".join(f"new.{c.strip()}" for c in cols.split(","))
    old = ", ".join(f"old.{c.strip()}" for c in cols.split(","))
    db.execute(f"CREATE TRIGGER calls_fts_ai AFTER INSERT ON calls BEGIN "
               f"INSERT INTO calls_fts(rowid, {cols}) VALUES (new.id, {new}); END")
    db.execute(f"CREATE TRIGGER calls_fts_ad AFTER DELETE ON calls BEGIN "
               f"INSERT INTO calls_fts(calls_fts, rowid, {cols}) VALUES ('delete', old.id, {old}); END")
    db.execute(f"CREATE TRIGGER calls_fts_au AFTER UPDATE OF {cols} ON calls BEGIN "
               f"INSERT INTO calls_fts(calls_fts, rowid, {cols}) VALUES ('delete', old.id, {old}); "
               f"INSERT INTO calls_fts(rowid, {cols}) VALUES (new.id, {new}); END")


def _v2(db: Database) -> None:
    # Webhooks the receiver could not understand, kept for the operator to inspect.
    db.table("rejected_events").create(
        {"id": int, "received_at": str, "profile": str, "route": str, "reason": str, "remote": str,
         "content_type": str, "body": str},
        pk="id",
        not_null={"received_at", "route", "reason", "body"},
    )


def _v3(db: Database) -> None:
    # The last hour's counters and date filters read a range of created_at, not the whole table.
    db.table("calls").create_index(["created_at"])


def _v4(db: Database) -> None:
    # History filters page newest first by id; each index carries the rowid, so a rare status, profile
    # or AMD result is found by a seek instead of a scan of every call.
    for column in ("status", "profile", "amd_result"):
        db.table("calls").create_index([column])


def _v5(db: Database) -> None:
    # Where each event's word came from (NULL: a webhook, as every event before this version was).
    db.execute("ALTER TABLE events ADD COLUMN source TEXT")
    # MOBtexting retries: the attempts the gateway has reported on so far (NULL: none yet).
    db.execute("ALTER TABLE calls ADD COLUMN attempts INTEGER")
    # What identifies this history to other vgconsole processes on the host (the shared receiver's
    # health route answers with it); never call data.
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta (key, value) VALUES ('history_id', lower(hex(randomblob(16))))")


def _v6(db: Database) -> None:
    # The do-not-call list: numbers (E.164) campaigns skip, checked before every attempt.
    db.execute("CREATE TABLE do_not_call (number TEXT PRIMARY KEY, reason TEXT, source TEXT NOT NULL, "
               "added_at TEXT NOT NULL)")


def _v7(db: Database) -> None:
    # Campaigns: a list of callees dialled by `vgconsole campaign run`. A campaign's plan (hours, pace,
    # retries, the request's fields) is JSON; each callee's state moves waiting -> calling -> waiting (a
    # retry) or done/skipped, and each of its attempts is a call linked by (callee, attempt number): unique,
    # so one attempt is never placed twice, whatever crashes in between.
    db.execute("CREATE TABLE campaigns (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, profile TEXT NOT NULL, "
               "state TEXT NOT NULL, plan TEXT NOT NULL, source TEXT, created_at TEXT NOT NULL, "
               "updated_at TEXT NOT NULL)")
    db.execute("CREATE TABLE campaign_callees (id INTEGER PRIMARY KEY, campaign_id INTEGER NOT NULL "
               "REFERENCES campaigns(id), line INTEGER NOT NULL, number TEXT NOT NULL, zone TEXT, "
               "fields TEXT NOT NULL, state TEXT NOT NULL, tries INTEGER NOT NULL DEFAULT 0, next_at TEXT, "
               "outcome TEXT, note TEXT, updated_at TEXT NOT NULL, UNIQUE (campaign_id, number))")
    db.execute("CREATE INDEX campaign_callees_state ON campaign_callees (campaign_id, state, next_at)")
    db.execute("ALTER TABLE calls ADD COLUMN campaign_callee INTEGER")
    db.execute("ALTER TABLE calls ADD COLUMN campaign_try INTEGER")
    db.execute("CREATE UNIQUE INDEX calls_campaign_try ON calls (campaign_callee, campaign_try) "
               "WHERE campaign_callee IS NOT NULL")


MIGRATIONS: list[Callable[[Database], None]] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7]
VERSION = len(MIGRATIONS)


def version(db: Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: Database, target: int = VERSION) -> int:
    """Bring the database to `target`; each step commits on its own. Returns the version reached."""
    current = version(db)
    if current > VERSION:
        raise SchemaTooNew(f"schema version {current}, and this vgconsole knows up to {VERSION}: upgrade vgconsole")
    while current < target:
        db.execute("BEGIN IMMEDIATE")
        try:
            current = version(db)  # another process may have migrated meanwhile
            if current < target:
                MIGRATIONS[current](db)
                current += 1
                db.execute(f"PRAGMA user_version = {current}")
            db.execute("COMMIT")
        except BaseException:
            db.rollback()
            raise
    return current


# ------------------------------------------------------- opening a history file


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


def prepare_schema(db: Database, patience_s: float = 10.0) -> None:
    """WAL and the newest schema. Two processes opening a new history at once (a console and a receiver
    started together) can be told "database is locked" while the other switches it to WAL and migrates
    it, busy timeout or not (seen in about one start in ten): the loser tries again, a bounded while."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.enable_wal()
            migrate(db)
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
