"""A campaign's schedule before anyone is dialled (a dry run): who is called when, in which zone, at a
given pace, never outside the calling hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from console.campaigns.callees import Callee
from console.campaigns.hours import CallingHours, zones_for


@dataclass(frozen=True)
class Slot:
    callee: Callee
    zones: tuple[str, ...]
    at: datetime | None  # None: never (`why` says why)
    why: str = ""


def schedule(callees: list[Callee], hours: CallingHours, start: datetime, per_minute: float) -> list[Slot]:
    """One call every 60/per_minute seconds at most, each when its window is open in all its zones. Those
    whose window opens first go first; one waiting for its window never holds up the others."""
    gap = timedelta(minutes=1) / per_minute
    waiting: list[tuple[datetime, int, Callee, tuple[str, ...]]] = []
    never: list[Slot] = []
    for n, callee in enumerate(callees):
        zones = zones_for(callee.number, callee.zone)
        opens = hours.next_open(start, zones) if zones else None
        if not zones:
            never.append(Slot(callee, zones, None, "no time zone is known for this number: give the list a "
                                                   "timezone column"))
        elif opens is None:
            never.append(Slot(callee, zones, None, f"the calling hours are never open in all its {len(zones)} "
                                                   "time zones at once"))
        else:
            waiting.append((opens, n, callee, zones))
    slots: list[Slot] = []
    free = start  # the pace: the next moment a call may start
    for opens, _, callee, zones in sorted(waiting, key=lambda w: (w[0], w[1])):
        at = hours.next_open(max(free, opens), zones)
        if at is None:  # pushed past its window by the pace, and no other opening within a week
            never.append(Slot(callee, zones, None, "no time within a week when its calling hours are open in all "
                                                   "its time zones"))
            continue
        slots.append(Slot(callee, zones, at))
        free = at + gap
    return slots + never
