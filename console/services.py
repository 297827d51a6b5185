"""The services the console, the CLI and the tests run on, wired once.

Start order matters: the receiver first, so the gateways can hand its URLs to every call and the
embedded simulators can be told where to report; the receiver trusts those simulators' secrets.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.config import Settings
from console.dialer import Dialer
from console.embedded import EmbeddedGateways, seed_for
from console.gateways import GatewayPool
from console.receiver import OnEvent, Receiver, ReceiverState
from console.store import Store


@dataclass
class Services:
    settings: Settings
    store: Store
    receiver: Receiver
    embedded: EmbeddedGateways
    gateways: GatewayPool
    dialer: Dialer

    @classmethod
    def build(cls, settings: Settings, store: Store, *, key: bytes, speed: float | None = None,
              on_event: OnEvent | None = None) -> Services:
        holder: list[Receiver] = []
        embedded = EmbeddedGateways(speed=speed or settings.simulator.speed, seed=lambda mode: seed_for(settings, mode, holder[0].hook_urls))
        receiver = Receiver(settings, store, key=key, on_event=on_event, extra_secrets=embedded.secrets)
        holder.append(receiver)
        gateways = GatewayPool(settings, embedded)
        return cls(settings, store, receiver, embedded, gateways, Dialer(store, gateways))

    async def start(self) -> ReceiverState:
        """Start the receiver (a busy port leaves it down, the rest works on) and point the gateways at it."""
        state = await self.receiver.start()
        self.gateways.hook_urls = self.receiver.hook_urls
        return state

    async def stop(self) -> None:
        await self.gateways.close()
        await self.embedded.stop()
        await self.receiver.stop()
