from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from console.simulator import Seed, Simulator, SimulatorOptions
from tests.integration.sim_helpers import HookRecorder

FAST = 1000.0  # a 4 s call lasts 4 ms


@pytest.fixture
async def recorder() -> AsyncIterator[HookRecorder]:
    rec = HookRecorder()
    await rec.start()
    yield rec
    await rec.stop()


MakeSim = Callable[..., Awaitable[Simulator]]


@pytest.fixture
async def make_sim(recorder: HookRecorder) -> AsyncIterator[MakeSim]:
    """Start simulators on free loopback ports; the seeded applications report status to the recorder."""
    started: list[Simulator] = []

    async def make(mode: str = "cognigy", speed: float = FAST, rate_limit: int | None = None, **seed: Any) -> Simulator:
        seed.setdefault("status_hook", {"url": recorder.url("/status")})
        sim = Simulator(SimulatorOptions(speed=speed, mode=mode, rate_limit=rate_limit, seed=Seed(**seed)))
        await sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        await sim.stop()


def client(sim: Simulator, key: str | None = "account", **kw: Any) -> httpx.AsyncClient:
    info = sim.info()
    token = {"account": info["api_key"], "sp": info["sp_api_key"], None: None}.get(key, key)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=sim.base_url, headers=headers, timeout=10, **kw)
