"""Storing: the jobs the history writer runs (module level, since the writer may be a process of its
own), folding each webhook event into its call, and the row an event becomes (built on the event loop,
so the writer only writes)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlite_utils import Database

from console.clock import iso, parse_iso, utc_now
from console.providers import Provider, room
from console.records import CallRecord, Ingested, StoreError
from console.redact import Redactor
from console.status import AmdResult, CallEvent, CallStatus, EventKind, EventSource, advance


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


def begin_attempt(db: Database, row: dict[str, Any]) -> CallRecord:
    # created_at never decreases with id (another process, a clock stepped back): a date range
    # is then a range of ids, which is what keeps date filters fast over millions of calls.
    last = db.execute("SELECT max(created_at) FROM calls").fetchone()[0]
    if last and last > row["created_at"]:
        row["created_at"] = row["updated_at"] = last
    call_id = int(db.table("calls").insert(row).last_pk or 0)
    db.execute("UPDATE events SET call_id = ? WHERE call_id IS NULL AND token = ?", [call_id, row["attempt_id"]])
    return _refold(db, call_id)


def attempt_placed(db: Database, attempt_id: str, call_sid: str, sip_call_id: str | None, status: CallStatus,
                    provider_status: str | None, now: str, raw: str, http_status: int | None = None) -> CallRecord:
    call = _by_attempt(db, attempt_id)
    db.table("calls").update(call["id"], {"call_sid": call_sid, "sip_call_id": sip_call_id, "updated_at": now})
    db.execute("UPDATE events SET call_id = ? WHERE call_id IS NULL AND profile = ? AND call_sid = ?",
               [call["id"], call["profile"], call_sid])
    _create_event(db, call, call_sid, status, provider_status, None, raw, now, http_status)
    return _refold(db, call["id"])


def attempt_failed(db: Database, attempt_id: str, error: str, sip_status: int | None, now: str,
                    raw: str, http_status: int | None = None, status: CallStatus = CallStatus.FAILED) -> CallRecord:
    call = _by_attempt(db, attempt_id)
    if status is CallStatus.UNKNOWN and call["status"] != CallStatus.QUEUED.value:
        # The answer to the create was lost, but the call's own webhooks (by its token) already said where it
        # is: they are the truth, and the lost answer is only noted in its timeline.
        db.table("calls").update(call["id"], {"updated_at": now})  # no error on a call going its way
        _create_event(db, call, call["call_sid"], None, None, sip_status, raw or error, now, http_status)
        return CallRecord.from_row(db.table("calls").get(call["id"]))
    db.table("calls").update(call["id"], {"status": status.value, "error": error, "sip_status": sip_status,
                                    "ended_at": call["ended_at"] or now, "updated_at": now})
    _create_event(db, call, call["call_sid"], status, None, sip_status, raw or error, now, http_status)
    return CallRecord.from_row(db.table("calls").get(call["id"]))


def _create_event(db: Database, call: dict[str, Any], call_sid: str | None, status: CallStatus | None,
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


def touch(db: Database) -> None:
    db.execute("UPDATE meta SET value = value WHERE key = 'history_id'")  # a write that changes nothing


def reject(db: Database, row: dict[str, Any], keep: int) -> int:
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
CHUNK = 500  # rows per INSERT: 18 columns each stays well under SQLite's 32,766 variables


def ingest_batch(db: Database, rows: list[tuple[Any, ...]], now: str) -> list[Ingested | BaseException]:
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
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
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
    for start in range(0, len(keys), CHUNK):
        part = keys[start:start + CHUNK]
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
