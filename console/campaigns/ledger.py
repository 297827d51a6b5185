"""A campaign's writes to history. These are the history writer's jobs: each runs in one savepoint
where the writer runs (a thread or its own process), so each is whole or absent after a crash.

The claim is what makes a campaign safe to kill at any moment: in one transaction it checks that the
campaign still dials and the callee is still waiting, checks the do-not-call list, and writes the
attempt (the call row, before its request leaves) linked to the callee by a unique attempt number.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sqlite_utils import Database

from console import ingest
from console.records import StoreError

STATES = ("active", "paused", "stopped", "done")
HOURS_NOTE = "calling hours: opens"  # how a callee waiting for its window is noted (and counted: progress.counts)


def create(db: Database, campaign: dict[str, Any], callees: list[tuple[int, str, str | None, str]], now: str) -> int:
    """The campaign and its callees (line, number, zone, fields JSON), all or nothing."""
    try:
        campaign_id = int(db.table("campaigns").insert({**campaign, "created_at": now, "updated_at": now}).last_pk or 0)
    except sqlite3.IntegrityError:
        raise StoreError(f"a campaign named {campaign['name']!r} already exists: choose another name") from None
    db.conn.executemany(
        "INSERT INTO campaign_callees (campaign_id, line, number, zone, fields, state, updated_at) "
        "VALUES (?, ?, ?, ?, ?, 'waiting', ?)",
        [(campaign_id, line, number, zone, fields, now) for line, number, zone, fields in callees])
    return campaign_id


def set_state(db: Database, campaign_id: int, state: str, now: str) -> str:
    """Pause, resume (active) or stop; a campaign stopped or done stays so. Returns the state it is in."""
    if state not in STATES:
        raise StoreError(f"no campaign state {state!r}")
    current = db.execute("SELECT state FROM campaigns WHERE id = ?", [campaign_id]).fetchone()
    if current is None:
        raise StoreError(f"no campaign {campaign_id} in history")
    if current[0] in ("stopped", "done"):
        return str(current[0])
    db.execute("UPDATE campaigns SET state = ?, updated_at = ? WHERE id = ?", [state, now, campaign_id])
    if state == "stopped":  # nobody waiting is called any more
        db.execute("UPDATE campaign_callees SET state = 'done', outcome = coalesce(outcome, 'stopped'), "
                   "note = 'the campaign was stopped', updated_at = ? WHERE campaign_id = ? AND state = 'waiting'",
                   [now, campaign_id])
    return state


def claim(db: Database, callee_id: int, row: dict[str, Any], now: str) -> dict[str, Any]:
    """The next attempt at a callee, written before its request leaves: {"call": the call row} or, when it
    must not be dialled now, {"not": why} (the campaign paused or stopped, the callee no longer waiting, or
    its number on the do-not-call list: then it is skipped for good)."""
    found = db.execute("SELECT c.state, cc.state, cc.number FROM campaign_callees cc JOIN campaigns c ON "
                       "c.id = cc.campaign_id WHERE cc.id = ?", [callee_id]).fetchone()
    if found is None:
        return {"not": "no such callee"}
    campaign_state, callee_state, number = found
    if campaign_state != "active":
        return {"not": f"the campaign is {campaign_state}"}
    if callee_state != "waiting":
        return {"not": f"the callee is {callee_state}"}
    if db.execute("SELECT 1 FROM do_not_call WHERE number = ?", [number]).fetchone():
        db.execute("UPDATE campaign_callees SET state = 'skipped', outcome = 'do_not_call', note = 'on the do-not-call "
                   "list', updated_at = ? WHERE id = ?", [now, callee_id])
        return {"not": "on the do-not-call list"}
    last = db.execute("SELECT max(campaign_try) FROM calls WHERE campaign_callee = ?", [callee_id]).fetchone()[0]
    call = ingest.begin_attempt(db, {**row, "campaign_callee": callee_id, "campaign_try": (last or 0) + 1})
    db.execute("UPDATE campaign_callees SET state = 'calling', note = NULL, updated_at = ? WHERE id = ?",
               [now, callee_id])
    return {"call": call}


def settle(db: Database, callee_id: int, state: str, tries: int, outcome: str | None, next_at: str | None,
           note: str | None, now: str) -> bool:
    """A callee's attempt has ended: waiting again (at next_at) or done. Only a callee still calling is
    settled (another run may have settled it already); returns whether this one did."""
    cursor = db.execute("UPDATE campaign_callees SET state = ?, tries = ?, outcome = ?, next_at = ?, note = ?, "
                        "updated_at = ? WHERE id = ? AND state = 'calling'",
                        [state, tries, outcome, next_at, note, now, callee_id])
    return bool(cursor.rowcount)


def defer(db: Database, rows: list[tuple[int, str, str]], now: str) -> None:
    """Waiting callees whose calling hours are closed: (callee, when they open, why), looked at again then."""
    db.conn.executemany("UPDATE campaign_callees SET next_at = ?, note = ?, updated_at = ? WHERE id = ? AND "
                        "state = 'waiting'", [(at, why, now, callee_id) for callee_id, at, why in rows])


def skip(db: Database, callee_id: int, outcome: str, note: str, now: str) -> None:
    """A waiting callee who can never be called by this campaign (no time zone known, hours never open in
    all its zones, a request the gateway could not take): left out, with why."""
    db.execute("UPDATE campaign_callees SET state = 'skipped', outcome = ?, note = ?, updated_at = ? WHERE id = ? AND "
               "state = 'waiting'", [outcome, note, now, callee_id])


def finish(db: Database, campaign_id: int, now: str) -> bool:
    """Done once nobody is waiting or being called; returns whether it is."""
    left = db.execute("SELECT count(*) FROM campaign_callees WHERE campaign_id = ? AND state IN ('waiting', "
                      "'calling')", [campaign_id]).fetchone()[0]
    if left:
        return False
    db.execute("UPDATE campaigns SET state = 'done', updated_at = ? WHERE id = ? AND state IN ('active', 'paused')",
               [now, campaign_id])
    return True


def fields_json(fields: dict[str, str]) -> str:
    return json.dumps(fields, ensure_ascii=False)
