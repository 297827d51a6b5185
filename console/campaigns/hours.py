"""Calling hours in the callee's own time zone: a daily window on some days of the week, evaluated in the
zones the number belongs to (phonenumbers' time zones for it, or the list's own column). A number that
maps to several zones is called only while the window is open in every one of them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as number_zones

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
LOOK_AHEAD_DAYS = 8  # a window that opens on some day of the week opens within this


class HoursError(ValueError):
    """Calling hours that cannot be understood; the message says what is accepted."""


@dataclass(frozen=True)
class CallingHours:
    start: time
    end: time  # the window is [start, end) in the callee's local time; end after start
    days: frozenset[int]  # 0 is Monday

    @classmethod
    def parse(cls, window: str, days: str = "mon-sun") -> CallingHours:
        m = _WINDOW.match(window)
        if not m:
            raise HoursError(f"calling hours {window!r}: write them as 09:00-20:00")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise HoursError(f"calling hours {window!r}: not times of day")
        start, end = time(h1, m1), time.max if h2 == 24 else time(h2, m2)
        if end <= start:
            raise HoursError(f"calling hours {window!r}: the window must end after it starts, on the same day")
        return cls(start, end, parse_days(days))

    def open_at(self, moment: datetime, zones: tuple[str, ...]) -> bool:
        """The window is open at `moment` in every one of `zones`. Through UTC: a moment already in one of
        the zones would be taken as it reads, even a time that zone skips when its clocks go forward."""
        instant = moment.astimezone(UTC)
        return bool(zones) and all(self._open_in(instant.astimezone(ZoneInfo(z))) for z in zones)

    def _open_in(self, local: datetime) -> bool:
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def next_open(self, after: datetime, zones: tuple[str, ...]) -> datetime | None:
        """The first moment at or after `after` when the window is open in every zone, or None when it
        does not open in all of them at once within a week (their windows never overlap)."""
        if not zones:
            return None
        if self.open_at(after, zones):
            return after
        candidates: list[datetime] = []
        for zone in zones:  # an intersection of windows opens when one of them opens
            tz = ZoneInfo(zone)
            local = after.astimezone(tz)
            for day in range(LOOK_AHEAD_DAYS):
                date = (local + timedelta(days=day)).date()
                opening = datetime.combine(date, self.start, tz).astimezone(UTC)  # a skipped time: the next
                if opening >= after:
                    candidates.append(opening)
        return next((c for c in sorted(candidates) if self.open_at(c, zones)), None)

    def describe(self) -> str:
        end = "24:00" if self.end == time.max else f"{self.end:%H:%M}"
        days = "every day" if len(self.days) == 7 else ", ".join(DAYS[d] for d in sorted(self.days))
        return f"{self.start:%H:%M}-{end} {days}, in each callee's time zone"


def parse_days(text: str) -> frozenset[int]:
    """`mon-fri`, `mon,wed,sat`, `sat-sun`, `all`."""
    words = text.strip().lower()
    if words in ("all", "every day", "daily"):
        return frozenset(range(7))
    days: set[int] = set()
    for part in words.replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        if first not in DAYS or (dash and last not in DAYS):
            raise HoursError(f"days {text!r}: write them as mon-fri, or mon,wed,sat (mon tue wed thu fri sat sun)")
        a, b = DAYS.index(first), DAYS.index(last or first)
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])  # fri-mon wraps
    return frozenset(days)


def zones_for(number: str, override: str | None = None) -> tuple[str, ...]:
    """The time zones a callee may be in: the list's own column when it has one, else the number's (empty
    when the number's zone is not known)."""
    if override:
        return (override,)
    found = number_zones.time_zones_for_number(phonenumbers.parse(number))
    return tuple(z for z in found if z != number_zones.UNKNOWN_TIMEZONE)
