"""Which calls a supervisor is looking at: the history screen, the dashboard and exports share one
filter, so what is on screen is exactly what gets exported.

Dates are typed by people: `2026-11-21`, `2026-11-21 09:30`, or a span back from now (`90m`, `24h`,
`7d`). Local time unless a zone is given; stored and compared in UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from console.clock import LOCAL, Zone, iso
from console.errors import ConsoleError
from console.status import AmdResult, CallStatus

_SPAN = re.compile(r"^(\d{1,5})\s*(m|min|h|d|w)$", re.IGNORECASE)
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


class FilterError(ConsoleError, ValueError):
    """A filter value that cannot be understood; the message names the field and says why."""


def parse_when(text: str, now: datetime, *, field: str = "date", zone: Zone = LOCAL) -> datetime:
    """`YYYY-MM-DD[ HH:MM[:SS]]` (in `zone` unless it carries its own), `today`, `yesterday` (midnight in
    `zone`), or a span ago (`24h`)."""
    value = text.strip()
    if not value:
        raise FilterError(f"{field}: empty")
    if value.lower() in ("today", "yesterday"):
        midnight = zone.of(now).replace(hour=0, minute=0, second=0, microsecond=0)
        return (midnight - timedelta(days=1 if value.lower() == "yesterday" else 0)).astimezone(UTC)
    span = _SPAN.match(value)
    try:
        if span:
            return now - timedelta(seconds=int(span.group(1)) * _UNITS[span.group(2).lower()])
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise FilterError(f"{field}: {value!r} is not a date; write 2026-11-21, 2026-11-21 09:30, "
                              "today, yesterday, or a span back from now such as 90m, 24h, 7d") from None
        return zone.typed(moment).astimezone(UTC)
    except FilterError:
        raise
    except (OverflowError, ValueError):  # year 1 or 9999 moved by a time zone, a span of 99999 weeks
        raise FilterError(f"{field}: {value!r} is too far back or ahead to be read as a time here") from None


class CallFilter(BaseModel):
    """Every field narrows; an empty filter is the whole history."""

    model_config = ConfigDict(frozen=True)

    profile: str | None = None
    status: CallStatus | None = None
    since: datetime | None = None  # created at or after
    until: datetime | None = None  # created before
    answered: bool | None = None
    amd: AmdResult | None = None
    text: str | None = None  # numbers, ids, tags

    @property
    def empty(self) -> bool:
        return self == CallFilter()

    def check(self) -> CallFilter:
        if self.since and self.until and self.since >= self.until:
            raise FilterError("until: it must come after since")
        return self

    def describe(self, zone: Zone = LOCAL) -> str:
        """One line for a title or a file header: what is being shown."""
        parts = []
        if self.profile:
            parts.append(f"profile {self.profile}")
        if self.status:
            parts.append(self.status.value.replace("_", " "))
        if self.answered is not None:
            parts.append("answered" if self.answered else "not answered")
        if self.amd:
            parts.append(f"AMD {self.amd.value}")
        if self.since:
            parts.append(f"since {zone.of(self.since):%Y-%m-%d %H:%M} {zone.label(self.since)}")
        if self.until:
            parts.append(f"until {zone.of(self.until):%Y-%m-%d %H:%M} {zone.label(self.until)}")
        if self.text:
            parts.append(repr(self.text))
        return ", ".join(parts) or "all calls"

    def where(self) -> tuple[list[str], list[Any]]:
        """SQL conditions on `calls` for every field but `text` (the store adds the search)."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.profile:
            clauses.append("profile = ?")
            params.append(self.profile)
        if self.status:
            clauses.append("status = ?")
            params.append(self.status.value)
        if self.answered is not None:
            clauses.append("answered_at IS NOT NULL" if self.answered else "answered_at IS NULL")
        if self.amd:
            clauses.append("amd_result = ?")
            params.append(self.amd.value)
        if self.since:
            clauses.append("created_at >= ?")
            params.append(iso(self.since))
        if self.until:
            clauses.append("created_at < ?")
            params.append(iso(self.until))
        return clauses, params


def build_filter(*, profile: str | None = None, status: str | None = None, since: str | None = None,
                 until: str | None = None, answered: str | bool | None = None, amd: str | None = None,
                 text: str | None = None, now: datetime | None = None, zone: Zone = LOCAL) -> CallFilter:
    """A filter from typed words (the screen's fields, the CLI's options), each checked with its name."""
    now = now or datetime.now(UTC)
    values: dict[str, Any] = {"profile": (profile or "").strip() or None, "text": (text or "").strip() or None}
    if status:
        try:
            values["status"] = CallStatus(status.strip().lower().replace("-", "_"))
        except ValueError:
            raise FilterError(f"status: {status!r} is not one of {', '.join(s.value for s in CallStatus)}") from None
    if amd:
        verdicts = [a.value for a in AmdResult if a.verdict]
        word = amd.strip().lower().replace("-", "_")
        if word not in verdicts:
            raise FilterError(f"amd: {amd!r} is not one of {', '.join(verdicts)}")
        values["amd"] = AmdResult(word)
    if isinstance(answered, str):
        word = answered.strip().lower()
        if word not in ("", "yes", "no", "true", "false"):
            raise FilterError(f"answered: {answered!r} should be yes or no")
        answered = None if not word else word in ("yes", "true")
    values["answered"] = answered
    if since:
        values["since"] = parse_when(since, now, field="since", zone=zone)
    if until:
        values["until"] = parse_when(until, now, field="until", zone=zone)
    return CallFilter(**values).check()
