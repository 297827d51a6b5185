"""What a campaign is asked to do (its plan, kept as JSON in history) and what it decides after each
attempt: the outcome a call counts as, and whether and when the callee is called again."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from console.campaigns.hours import CallingHours
from console.records import CallRecord
from console.status import AmdResult, CallStatus

# What an attempt counts as. `answered`: a person took the call, who is never called again by the campaign.
OUTCOMES = ("answered", "busy", "no_answer", "failed", "machine", "refused", "unknown")
# Why a callee was never (or no longer) called.
LEFT_OUT = ("do_not_call", "no_window", "bad_request", "stopped")
RETRIED = ("busy", "no_answer", "failed", "machine", "refused", "unknown")
# (more tries, seconds before each): a busy line is tried again soon, an unanswered one later.
DEFAULT_RETRIES: dict[str, tuple[int, int]] = {
    "busy": (2, 600), "no_answer": (2, 1800), "failed": (0, 0), "machine": (1, 3600), "refused": (0, 0),
    "unknown": (0, 0),
}
_RETRY = re.compile(r"^\s*([a-z_-]+)\s*=\s*(\d{1,2})\s*(?:@\s*(\d{1,6})\s*(s|m|h)?)?\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, None: 60}


class PlanError(ValueError):
    """A plan that cannot be followed; the message says what is accepted."""


@dataclass(frozen=True)
class Plan:
    window: str = "09:00-20:00"
    days: str = "mon-fri"
    per_minute: float = 10.0
    max_live: int = 5
    retries: dict[str, tuple[int, int]] = field(default_factory=lambda: dict(DEFAULT_RETRIES))
    # The request's fields for every callee, as `vgconsole dial` takes them.
    from_: str | None = None
    app: str | None = None
    timeout: int | None = None
    amd: bool = False
    tags: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    sets: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.hours()  # refused now, not at the first callee
        if not 0.1 <= self.per_minute <= 600:
            raise PlanError(f"{self.per_minute:g} calls a minute: between 0.1 and 600")
        if not 1 <= self.max_live <= 100:
            raise PlanError(f"{self.max_live} calls at once: between 1 and 100")
        for outcome in self.retries:
            if outcome not in RETRIED:
                raise PlanError(f"retries for {outcome!r}: name one of {', '.join(RETRIED)}")

    def hours(self) -> CallingHours:
        return CallingHours.parse(self.window, self.days)

    @property
    def gap_s(self) -> float:
        return 60.0 / self.per_minute

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["retries"] = {k: list(v) for k, v in self.retries.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        retries = {k: (int(v[0]), int(v[1])) for k, v in (data.get("retries") or {}).items()}
        return cls(**{**data, "retries": {**DEFAULT_RETRIES, **retries}})


def parse_retry(text: str) -> tuple[str, tuple[int, int]]:
    """`busy=2@10m`: two more tries, ten minutes apart; `machine=0`: never again."""
    m = _RETRY.match(text.lower())
    if not m or m.group(1).replace("-", "_") not in RETRIED:
        raise PlanError(f"retry {text!r}: write OUTCOME=TRIES@WAIT such as busy=2@10m (outcomes: "
                        f"{', '.join(RETRIED)}; wait in s, m or h)")
    outcome, tries, wait, unit = m.group(1).replace("-", "_"), int(m.group(2)), m.group(3), m.group(4)
    return outcome, (tries, int(wait or 0) * _UNIT_S[unit])


def outcome_of(call: CallRecord) -> str:
    """What a finished attempt counts as. A machine that answered is a machine, not a person."""
    status = call.status
    if call.amd_result is not None and call.amd_result is AmdResult.MACHINE:
        return "machine"
    if status in (CallStatus.ANSWERED, CallStatus.COMPLETED) or call.answered_at is not None:
        return "answered"
    if status is CallStatus.BUSY:
        return "busy"
    if status in (CallStatus.NO_ANSWER, CallStatus.CANCELED):
        return "no_answer"
    if status is CallStatus.UNKNOWN:
        return "unknown"
    if status is CallStatus.FAILED and call.call_sid is None and call.error:
        return "refused"  # the gateway refused the create request itself
    return "failed"


@dataclass(frozen=True)
class Decision:
    state: str  # "waiting" (called again at next_at) or "done"
    tries: int
    outcome: str
    next_at: datetime | None = None


def decide(plan: Plan, outcome: str, tries_before: int, call: CallRecord, now: datetime,
           scale: float = 1.0) -> Decision:
    """After an attempt: done, or waiting for another try. MOBtexting's own retries (the call's
    `attempts`) count as tries, so the campaign does not add its own on top of them. `scale` shortens the
    waits (the embedded simulator's speed)."""
    tries = tries_before + max(1, call.attempts or 1)
    allowed, wait_s = plan.retries.get(outcome, (0, 0)) if outcome in RETRIED else (0, 0)
    if outcome == "answered" or tries >= 1 + allowed:
        return Decision("done", tries, outcome)
    ended = call.ended_at or now
    return Decision("waiting", tries, outcome, max(now, ended + timedelta(seconds=wait_s / scale)))
