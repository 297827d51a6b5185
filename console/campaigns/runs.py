"""The campaigns this process is running: each in its own task, each holding a lock on its campaign so that
no other process (a console, a `campaign run`) dials it at the same time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from console.budget import Budgets
from console.campaigns.locks import take_lock
from console.campaigns.progress import Campaign
from console.campaigns.runner import CampaignRunner
from console.config import Settings
from console.dialer import Dialer
from console.store import Store


@dataclass
class _Run:
    runner: CampaignRunner
    task: asyncio.Task[str]
    lock: IO[str]


@dataclass
class CampaignRuns:
    store: Store
    dialer: Dialer
    settings: Settings
    budgets: Budgets
    speed: float = 1.0
    say: Callable[[str], None] | None = None
    warn: Callable[[str], None] | None = None  # a turn that failed, a run that ended on an error
    _runs: dict[int, _Run] = field(default_factory=dict)

    def running(self, campaign_id: int) -> CampaignRunner | None:
        run = self._runs.get(campaign_id)
        return run.runner if run is not None and not run.task.done() else None

    def here(self) -> list[Campaign]:
        """The campaigns this process is dialling now."""
        return [run.runner.campaign for run in self._runs.values() if not run.task.done()]

    def start(self, campaign: Campaign) -> CampaignRunner:
        """Dial `campaign` in this process until it is done or stopped; AlreadyRunning if another process is."""
        current = self.running(campaign.id)
        if current is not None:
            return current
        lock = take_lock(self.store.path, campaign)
        runner = CampaignRunner(self.store, self.dialer, self.settings, campaign, budgets=self.budgets,
                                speed=self.speed, say=self.say, warn=lambda text: self.warn and self.warn(text))
        task = asyncio.get_running_loop().create_task(runner.run(), name=f"campaign-{campaign.id}")

        def ended(done: asyncio.Task[str]) -> None:
            lock.close()
            if not done.cancelled() and done.exception() is not None and self.warn is not None:
                self.warn(f"campaign {campaign.name} stopped dialling here: {done.exception()}")

        task.add_done_callback(ended)
        self._runs[campaign.id] = _Run(runner, task, lock)
        return runner

    async def finished(self, campaign_id: int) -> str:
        """Wait for a campaign started here to be done or stopped; which."""
        return await self._runs[campaign_id].task

    async def stop(self) -> None:
        """Leave every campaign as it is (it goes on where it was when run again)."""
        for run in self._runs.values():
            run.task.cancel()
        for run in self._runs.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await run.task
            run.lock.close()
        self._runs.clear()
