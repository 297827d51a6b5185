"""Simulated gateways started inside the console for profiles whose base_url is "embedded".

One per API mode (a Cognigy deployment and an open-source jambonz one are different servers);
IBM and MOBtexting are served by whichever is running. Each listens on a free loopback port.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from console.config import Settings
from console.hooks import HookUrls
from console.request_parts import is_sid
from console.simulator import Seed, Simulator, SimulatorOptions


def mode_for(provider: str) -> str:
    return "jambonz" if provider == "jambonz" else "cognigy"


def seed_for(settings: Settings, mode: str, hooks: HookUrls | None = None, secret: str | None = None) -> Seed:
    """The simulator's data extended by the embedded profiles' own: account, numbers, applications,
    IBM agents, MOBtexting IVR flows and sounds, so a sandbox looks like the configuration in it.
    With a receiver's `hooks`, the applications report status to it, and so does MOBtexting webhook 1;
    `secret` signs its webhooks (every console's simulators share the host's, see console.sharing)."""
    seed = Seed(webhook_secret=secret) if secret else Seed()
    embedded = {name: p for name, p in settings.profiles.items() if p.embedded}
    family = {
        n: p for n, p in embedded.items() if p.provider in ("cognigy", "jambonz") and mode_for(p.provider) == mode
    }
    if family:
        first = next(iter(family))
        seed.account_sid = getattr(family[first], "account_sid", seed.account_sid)
        if hooks:
            seed.status_hook = {"url": hooks.status_for_profile(first)}
    mobtexting = [n for n, p in embedded.items() if p.provider == "mobtexting"]
    if hooks and mobtexting:
        portal = hooks.for_profile(mobtexting[0], "mobtexting")
        seed.mobtexting_webhooks["1"] = {"uri": portal, "secret": seed.webhook_secret}
    numbers, apps = list(seed.extra_numbers), dict(seed.extra_applications)
    for profile in family.values():  # the jambonz family's profiles: their numbers and applications
        numbers += [entry.number for entry in profile.numbers]
        apps.update({a.id: a.name or a.id for a in profile.applications if is_sid(a.id)})
        if profile.defaults.application and is_sid(profile.defaults.application):
            apps.setdefault(profile.defaults.application, "Default application")
    seed.extra_numbers, seed.extra_applications = tuple(numbers), apps
    for other in embedded.values():
        if other.provider == "ibm":
            seed.ibm_agents.setdefault(getattr(other, "path_id", ""), True)
        elif other.provider == "mobtexting":
            kinds: dict[str, list[str]] = {a.kind: [] for a in other.applications}
            for a in other.applications:
                kinds[a.kind].append(a.id)
            seed.mobtexting_flows = tuple(dict.fromkeys([*seed.mobtexting_flows, *kinds.get("ivr", [])]))
            sounds = [a for a in kinds.get("audio", []) if not a.startswith(("http://", "https://"))]
            seed.mobtexting_sounds = tuple(dict.fromkeys([*seed.mobtexting_sounds, *sounds]))
    return seed



class EmbeddedGateways:
    def __init__(self, speed: float = 1.0, seed: Callable[[str], Seed] | None = None,
                 log: Callable[[str], None] | None = None, secret: str | None = None, drop_webhooks: float = 0.0,
                 drop_seed: int | None = None):
        self._speed = speed
        self._seed = seed or (lambda mode: Seed(webhook_secret=secret) if secret else Seed())
        self._log = log
        self._drop, self._drop_seed = drop_webhooks, drop_seed
        self._running: dict[str, Simulator] = {}
        self._lock = asyncio.Lock()

    async def for_provider(self, provider: str) -> Simulator:
        """The simulator serving this provider, started on first use."""
        mode = mode_for(provider)
        async with self._lock:
            sim = self._running.get(mode)
            if sim is None:
                sim = Simulator(SimulatorOptions(port=0, speed=self._speed, mode=mode, seed=self._seed(mode),
                                                 drop_webhooks=self._drop, drop_seed=self._drop_seed), log=self._log)
                await sim.start()
                self._running[mode] = sim
            return sim

    async def endpoint(self, provider: str) -> tuple[str, str]:
        """The base URL of the simulator serving `provider` (started on first use) and the key it accepts."""
        info = (await self.for_provider(provider)).info()
        key = {"ibm": info["ibm_api_key"], "mobtexting": info["mobtexting_token"]}.get(provider, info["api_key"])
        return info["base_url"], key

    def running(self) -> dict[str, dict[str, Any]]:
        return {mode: sim.info() for mode, sim in self._running.items()}

    def live_calls(self) -> int:
        """Calls still going on in the simulators of this process (they end when it stops)."""
        return sum(1 for sim in self._running.values() for call in sim.engine.calls.values() if not call.final)

    def secrets(self) -> list[str]:
        """The running simulators' webhook secrets, which the receiver trusts for embedded profiles."""
        return [sim.options.seed.webhook_secret for sim in self._running.values()]

    async def stop(self) -> None:
        async with self._lock:
            for sim in self._running.values():
                await sim.stop()
            self._running.clear()
