"""The services the console, the CLI and the tests run on, wired once.

Start order matters: the receiver first (it owns the port, or shares the one a vgconsole on the same
history owns), so the gateways can hand its URLs to every call and the embedded simulators can be told
where to report. Then history is followed, so every event shows here whoever stored it; and the process
that owns the port (or any process, when no vgconsole owns it) settles overdue calls with the gateways.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from console.budget import Budgets
from console.campaigns.runs import CampaignRuns
from console.clock import utc_now
from console.config import Settings
from console.dialer import Dialer
from console.feed import HistoryFeed, OnEvent
from console.gateways import GatewayPool
from console.providers import profile_warnings
from console.receiver import Receiver
from console.receiver_state import ReceiverState
from console.reconcile import Reconciler
from console.records import Ingested
from console.sharing import embedded_secret
from console.simulator.embedded import EmbeddedGateways, seed_for
from console.status import CallEvent
from console.store import Store


@dataclass
class Services:
    settings: Settings
    store: Store
    receiver: Receiver
    embedded: EmbeddedGateways
    gateways: GatewayPool
    dialer: Dialer
    feed: HistoryFeed
    reconciler: Reconciler
    campaigns: CampaignRuns
    # Told when the receiver's state changes (it may take the port over at any time).
    on_state: Callable[[], object] | None = None
    notes: list[str] = field(default_factory=list)  # said to the operator once the console is up
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, store: Store, *, key: bytes, speed: float | None = None,
              on_event: OnEvent | None = None, only_profile: str | None = None,
              clock: Callable[[], datetime] = utc_now) -> Services:
        speed = speed or settings.simulator.speed
        secret = embedded_secret(key)
        holder: list[Receiver] = []
        embedded = EmbeddedGateways(speed=speed, secret=secret, drop_webhooks=settings.simulator.drop_webhooks,
                                    drop_seed=settings.simulator.drop_seed,
                                    seed=lambda mode: seed_for(settings, mode, holder[0].hook_urls, secret))
        feed = HistoryFeed(store, on_event)
        receiver = Receiver(settings, store, key=key, on_event=feed.hand_on, only_profile=only_profile,
                            extra_secrets=lambda: [secret, *embedded.secrets()])
        holder.append(receiver)
        gateways = GatewayPool(settings, embedded, hooks=lambda: receiver.hook_urls)
        dialer, budgets = Dialer(store, gateways, on_event=feed.hand_on, clock=clock), Budgets()
        services = cls(settings, store, receiver, embedded, gateways, dialer, feed,
                       Reconciler(settings, store, gateways, clock=clock, speed=speed, on_event=feed.hand_on,
                                  budgets=budgets),
                       CampaignRuns(store, dialer, settings, budgets, speed=speed))
        receiver.on_state = services._receiver_changed
        said: dict[str, list[str]] = {}  # one note per warning, naming its profiles
        for name, warning in profile_warnings(settings.profiles):
            said.setdefault(warning, []).append(name)
        services.notes.extend(f"{', '.join(names)}: {warning}" for warning, names in said.items())
        return services

    @property
    def on_event(self) -> OnEvent | None:
        return self.feed.on_event

    @on_event.setter
    def on_event(self, handler: OnEvent | None) -> None:
        self.feed.on_event = handler

    def hand_on(self, event: CallEvent, ingested: Ingested) -> None:
        """Something this process stored itself (a poll, an operator's word): shown at once, and once."""
        self.feed.hand_on(event, ingested)

    async def start(self, *, receive: bool = True) -> ReceiverState:
        """Start the receiver (`receive`: own the port or share it; a port held by anything else leaves this
        process without one, and the rest works on), follow history, and settle overdue calls if this
        process is the one to."""
        await self.feed.start()
        if receive:
            await self.receiver.start()
        self._spawn("feed", self.feed.run())
        self._receiver_changed()
        return self.receiver.state

    @property
    def reconciling(self) -> bool:
        """The owner of the port settles overdue calls for the history; with no vgconsole owning it, each
        process does (budgets are per process then)."""
        return self.settings.reconcile.enabled and self.receiver.state is not ReceiverState.SHARED

    def _receiver_changed(self) -> None:
        if "feed" in self._tasks:
            running = self._tasks.get("reconcile")
            if self.reconciling and running is None:
                self._spawn("reconcile", self.reconciler.run())
            elif not self.reconciling and running is not None:  # a vgconsole took the port: it settles calls now
                running.cancel()
                del self._tasks["reconcile"]
        if self.on_state is not None:
            self.on_state()

    def _spawn(self, name: str, work: Coroutine[Any, Any, None]) -> None:
        self._tasks[name] = asyncio.get_running_loop().create_task(work, name=f"services-{name}")

    async def stop(self) -> None:
        await self.campaigns.stop()
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self.gateways.close()
        await self.embedded.stop()
        await self.receiver.stop()
