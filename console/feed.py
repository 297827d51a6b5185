"""Following history: every event stored in it, whoever stored it (this process's receiver, the vgconsole
that owns the receiver port, a reconciler, an operator elsewhere), handed on exactly once, a few times a
second. The local receiver hands its own events on at once, through the same door, so none is handed on
twice whichever path sees it first (both run on the event loop)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from console.records import Ingested
from console.status import CallEvent
from console.store import Store

OnEvent = Callable[[CallEvent, Ingested], object]
FOLLOW_S = 0.25  # a status shows on every console within a fraction of a second; one indexed read each time
BATCH = 500


class HistoryFeed:
    def __init__(self, store: Store, on_event: OnEvent | None = None, every_s: float = FOLLOW_S):
        self.store = store
        self.on_event = on_event
        self.every_s = every_s
        self.cursor: int | None = None  # every event up to this id has been handed on
        self._handed: set[int] = set()  # ids above the cursor handed on already (by the local receiver)

    def hand_on(self, event: CallEvent, ingested: Ingested) -> bool:
        """The one door to `on_event`: a stored event is handed on once (False: it was already); a gateway's
        retry, stored as a duplicate, is handed on as it comes (the receiver's log shows it)."""
        event_id = ingested.event_id
        if event_id is not None:
            if event_id in self._handed or (self.cursor is not None and event_id <= self.cursor):
                return False
            self._handed.add(event_id)
        if self.on_event is not None:
            self.on_event(event, ingested)
        return True

    async def start(self) -> None:
        """Follow from now on (what history already holds, whoever needs it reads)."""
        self.cursor = await asyncio.to_thread(self.store.last_event_id)

    async def run(self) -> None:
        if self.cursor is None:
            await self.start()
        while True:
            await self.step()
            await asyncio.sleep(self.every_s)

    async def step(self) -> int:
        """Hand on what was stored since the last look; returns how many events were handed on."""
        if self.cursor is None:
            await self.start()
        handed = 0
        while True:
            assert self.cursor is not None
            found, last = await asyncio.to_thread(self.store.events_since, self.cursor, BATCH,
                                                  self._handed.__contains__)
            for followed in found:
                handed += self.hand_on(followed.event, Ingested(False, followed.call, followed.event_id))
            if last == self.cursor:
                return handed
            self.cursor = last
            self._handed = {i for i in self._handed if i > last}
