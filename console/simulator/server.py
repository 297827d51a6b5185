"""The simulated gateway as one aiohttp server speaking all four APIs."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from console.simulator.engine import Engine, SimCall
from console.simulator.ibm_api import IbmApi
from console.simulator.jambonz_api import JambonzApi
from console.simulator.mobtexting_api import MobtextingApi
from console.simulator.notifier import AlertLog, Notifier
from console.simulator.ratelimit import RateLimit
from console.simulator.seed import Seed


@dataclass
class SimulatorOptions:
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port
    speed: float = 1.0  # 10 makes a 4 s call last 0.4 s
    mode: str = "cognigy"  # or "jambonz": only the rest:dial fields, anything else a bare 500
    rate_limit: int | None = 600  # requests per window for the jambonz API (None: off)
    rate_window_s: float = 300.0
    seed: Seed = field(default_factory=Seed)
    drop_webhooks: float = 0.0  # the share of status and AMD webhooks lost on the way (0 to 1)
    drop_seed: int | None = None  # the same losses every run, for tests
    capacity: bool = True  # False: create-call answers 480, no feature server available
    portal_webhook: str | None = None  # the URL of MOBtexting portal webhook 1


@dataclass(frozen=True)
class Seen:
    """One API request as the simulator served it: what, when, and how many were in flight meanwhile."""

    method: str
    path: str
    started: float
    in_flight: int


class Simulator:
    def __init__(self, options: SimulatorOptions | None = None, log: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.time):
        self.options = options or SimulatorOptions()
        self._log = log or (lambda line: None)
        self.alerts = AlertLog(clock)
        self.notifier = Notifier(self.alerts, clock, drop_rate=self.options.drop_webhooks,
                                 drop_seed=self.options.drop_seed)
        self.requests: deque[Seen] = deque(maxlen=10_000)  # every API request, for tests of clients' manners
        self._in_flight = 0
        self._clock = clock
        self.engine = Engine(self.options.speed, clock, on_end=self._ended)
        o = self.options
        limit = RateLimit(o.rate_limit, o.rate_window_s) if o.rate_limit else None
        self.jambonz = JambonzApi(seed=o.seed, engine=self.engine, notifier=self.notifier, alerts=self.alerts,
                                  mode=o.mode, rate_limit=limit, log=self._log)
        self.ibm = IbmApi(seed=o.seed, engine=self.engine, notifier=self.notifier, log=self._log)
        self.mobtexting = MobtextingApi(seed=o.seed, engine=self.engine, notifier=self.notifier, log=self._log)
        self.jambonz.capacity = o.capacity
        if o.portal_webhook:
            o.seed.mobtexting_webhooks["1"] = {"uri": o.portal_webhook, "secret": None}
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    @web.middleware
    async def _count(self, request: web.Request,
                     handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        self._in_flight += 1
        self.requests.append(Seen(request.method, request.path, self._clock(), self._in_flight))
        try:
            return await handler(request)
        finally:
            self._in_flight -= 1

    def app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024, middlewares=[self._count])
        self.ibm.install(app)
        self.mobtexting.install(app)
        self.jambonz.install(app)  # last: it owns the catch-all 404 under /v1
        return app

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.options.host, self.options.port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        shown = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown}:{port}"
        return self.base_url

    async def stop(self) -> None:
        await self.engine.wind_down()
        await self.engine.close()
        await self.notifier.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _ended(self, call: SimCall) -> None:
        talk = f", {call.duration} s" if call.duration is not None else ""
        self._log(
            f"{call.kind} call {call.call_sid} to {call.to}: {call.status} ({call.sip_status} {call.sip_reason}{talk})"
        )

    def info(self) -> dict[str, Any]:
        """What a client needs: where the gateway is and the credentials it accepts."""
        seed = self.options.seed
        return {
            "base_url": self.base_url, "mode": self.options.mode, "speed": self.options.speed,
            "account_sid": seed.account_sid, "api_key": seed.account_api_key, "sp_api_key": seed.sp_api_key,
            "webhook_secret": seed.webhook_secret, "ibm_agent": seed.ibm_agent, "ibm_api_key": seed.ibm_api_key,
            "mobtexting_token": seed.mobtexting_token,
        }
