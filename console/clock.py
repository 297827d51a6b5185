"""Time as history stores it: UTC, ISO 8601 with milliseconds and a Z, which sorts as text."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    if moment.tzinfo is UTC:  # the usual case, and on the webhook hot path: no conversion needed
        return moment.isoformat(timespec="milliseconds")[:-6] + "Z"
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
