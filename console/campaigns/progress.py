"""Reading campaigns from history: the campaign, its counts, who is due, who is being called and how
their calls stand, and the results per callee. Functions of a read-only connection (`Store.read`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from console.campaigns.ledger import HOURS_NOTE
from console.campaigns.policy import Plan
from console.records import CallRecord


@dataclass(frozen=True)
class Campaign:
    id: int
    name: str
    profile: str
    state: str
    plan: Plan
    source: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Campaign:
        return cls(row["id"], row["name"], row["profile"], row["state"], Plan.from_json(json.loads(row["plan"])),
                   row["source"], datetime.fromisoformat(row["created_at"]))


@dataclass(frozen=True)
class Callee:
    id: int
    line: int
    number: str
    zone: str | None
    fields: dict[str, str]
    state: str
    tries: int
    next_at: datetime | None
    outcome: str | None
    note: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Callee:
        return cls(row["id"], row["line"], row["number"], row["zone"], json.loads(row["fields"]), row["state"],
                   row["tries"], datetime.fromisoformat(row["next_at"]) if row["next_at"] else None, row["outcome"],
                   row["note"])


def find(db: Database, name: str) -> Campaign | None:
    rows = list(db.query("SELECT * FROM campaigns WHERE name = ?", [name]))
    return Campaign.from_row(rows[0]) if rows else None


def every(db: Database) -> list[Campaign]:
    return [Campaign.from_row(r) for r in db.query("SELECT * FROM campaigns ORDER BY id")]


def state(db: Database, campaign_id: int) -> str:
    return str(db.execute("SELECT state FROM campaigns WHERE id = ?", [campaign_id]).fetchone()[0])


def counts(db: Database, campaign_id: int) -> dict[str, int]:
    """Callees by state (waiting, calling, done, skipped) and by outcome (answered, busy, ...), and
    `window`: those waiting for their calling hours, `attempts`: calls placed."""
    found: dict[str, int] = {}
    for key, n in db.execute("SELECT state, count(*) FROM campaign_callees WHERE campaign_id = ? GROUP BY state",
                             [campaign_id]):
        found[key] = n
    for key, n in db.execute("SELECT outcome, count(*) FROM campaign_callees WHERE campaign_id = ? AND outcome IS "
                             "NOT NULL AND state IN ('done', 'skipped') GROUP BY outcome", [campaign_id]):
        found[f"outcome:{key}"] = n
    found["window"] = db.execute("SELECT count(*) FROM campaign_callees WHERE campaign_id = ? AND state = 'waiting' "
                                 "AND substr(note, 1, ?) = ?", [campaign_id, len(HOURS_NOTE), HOURS_NOTE]).fetchone()[0]
    found["attempts"] = db.execute("SELECT count(*) FROM calls c JOIN campaign_callees cc ON c.campaign_callee = "
                                   "cc.id WHERE cc.campaign_id = ?", [campaign_id]).fetchone()[0]
    found["callees"] = sum(found.get(s, 0) for s in ("waiting", "calling", "done", "skipped"))
    return found


def due(db: Database, campaign_id: int, now: str, limit: int) -> list[Callee]:
    """Waiting callees whose time has come, those that have waited longest first."""
    rows = db.query("SELECT * FROM campaign_callees WHERE campaign_id = ? AND state = 'waiting' AND (next_at IS NULL "
                    "OR next_at <= ?) ORDER BY coalesce(next_at, ''), id LIMIT ?", [campaign_id, now, limit])
    return [Callee.from_row(r) for r in rows]


def next_due(db: Database, campaign_id: int) -> str | None:
    row = db.execute("SELECT min(next_at) FROM campaign_callees WHERE campaign_id = ? AND state = 'waiting'",
                     [campaign_id]).fetchone()
    return row[0] if row else None


def calling(db: Database, campaign_id: int) -> list[tuple[Callee, CallRecord | None]]:
    """Callees being called, each with its newest attempt (None: the claim's call row is missing, which a
    crash cannot leave: the two are written together)."""
    found = []
    for row in db.query("SELECT * FROM campaign_callees WHERE campaign_id = ? AND state = 'calling' ORDER BY id",
                        [campaign_id]):
        callee = Callee.from_row(row)
        calls = list(db.query("SELECT * FROM calls WHERE campaign_callee = ? ORDER BY campaign_try DESC LIMIT 1",
                              [callee.id]))
        found.append((callee, CallRecord.from_row(calls[0]) if calls else None))
    return found


def results(db: Database, campaign_id: int) -> list[dict[str, Any]]:
    """One row per callee: where it stands, how many tries, and its newest attempt."""
    out = []
    for row in db.query("SELECT * FROM campaign_callees WHERE campaign_id = ? ORDER BY line", [campaign_id]):
        callee = Callee.from_row(row)
        last = list(db.query("SELECT status, sip_status, amd_result, attempt_id, created_at, ended_at FROM calls WHERE "
                             "campaign_callee = ? ORDER BY campaign_try DESC LIMIT 1", [callee.id]))
        out.append({"line": callee.line, "number": callee.number, "state": callee.state, "outcome": callee.outcome,
                    "tries": callee.tries, "note": callee.note, "fields": callee.fields,
                    "last_status": last[0]["status"] if last else None,
                    "last_sip": last[0]["sip_status"] if last else None,
                    "last_amd": last[0]["amd_result"] if last else None,
                    "last_attempt": last[0]["attempt_id"] if last else None,
                    "last_at": last[0]["created_at"] if last else None})
    return out


def started_since(db: Database, campaign_id: int, since: str) -> list[str]:
    """When each of the campaign's attempts since `since` was written (ISO UTC), oldest first: the pace."""
    rows = db.execute("SELECT c.created_at FROM calls c JOIN campaign_callees cc ON c.campaign_callee = cc.id WHERE "
                      "cc.campaign_id = ? AND c.created_at >= ? ORDER BY c.created_at", [campaign_id, since])
    return [row[0] for row in rows]
