"""Time as history stores it (UTC, ISO 8601 with milliseconds and a Z, which sorts as text), and as the
operator sees and types it (one zone for the whole console and CLI: the machine's own unless
`[ui] timezone` or `--utc` says otherwise, always named where times are shown)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    if moment.tzinfo is UTC:  # the usual case, and on the webhook hot path: no conversion needed
        return moment.isoformat(timespec="milliseconds")[:-6] + "Z"
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def check_zone(name: str) -> str:
    """`local`, `UTC` or an IANA zone name (Europe/Paris); ValueError says what is accepted."""
    Zone.named(name)
    return name


class Zone:
    """The zone times are shown and typed in. `local` follows the machine (and its daylight saving)."""

    def __init__(self, tz: tzinfo | None, name: str):
        self.tz = tz  # None: the machine's own zone
        self.name = name

    @classmethod
    def named(cls, name: str) -> Zone:
        text = name.strip()
        if text.lower() == "local" or not text:
            return cls(None, "local")
        if text.upper() in ("UTC", "Z", "GMT"):
            return cls(UTC, "UTC")
        try:
            return cls(ZoneInfo(text), text)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not a time zone: write local (this machine's), UTC, or a zone name "
                             "such as Europe/Paris or America/New_York") from None

    def of(self, moment: datetime) -> datetime:
        """A stored (aware) moment in this zone."""
        return moment.astimezone(self.tz)

    def label(self, moment: datetime) -> str:
        """The zone's short name at that moment (CET, EDT, UTC; +0530 where the zone has none)."""
        return self.of(moment).strftime("%Z") or self.of(moment).strftime("%z")

    def typed(self, moment: datetime) -> datetime:
        """A time the operator typed: taken in this zone unless it carries its own."""
        if moment.tzinfo is not None:
            return moment
        return moment.replace(tzinfo=self.tz) if self.tz is not None else moment.astimezone()


LOCAL = Zone(None, "local")
