"""Gateway clients, one per profile, each its provider's own (console/providers/<name>/gateway.py, found
through its room). Never imports the simulator: the process that runs one (the composition root) hands
the pool where its embedded endpoints are."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from console.config import ConfigError, Settings
from console.gateways.errors import GatewayError, GatewayNotConfigured, NotSupported
from console.gateways.listings import AppInfo, LiveCall, NumberInfo, Placed, Prepared, RecentPage
from console.hooks import AttemptHooks, HookUrls
from console.providers import room

if TYPE_CHECKING:  # the HTTP client loads with the first gateway opened, not with the screens that list
    import httpx

    from console.gateways.base import Gateway


def auth_headers(provider: str, key: str | None) -> dict[str, str]:
    """The API key as the provider's gateway wants it."""
    return room(provider).auth_header(key) if key else {}


class EmbeddedEndpoints(Protocol):
    """Where the simulator of this process serves a provider, and the credential it accepts there."""

    async def endpoint(self, provider: str) -> tuple[str, str]: ...


class GatewayPool:
    """Open gateways by profile name; embedded profiles get the in-process simulator and its keys."""

    def __init__(self, settings: Settings, embedded: EmbeddedEndpoints | None = None, *,
                 client: httpx.AsyncClient | None = None, hooks: Callable[[], HookUrls | None] = lambda: None):
        self.settings = settings
        self.embedded = embedded
        self._client = client  # tests may hand in a client with event hooks; normally one per profile
        self._open: dict[str, Gateway] = {}
        self.hooks = hooks  # the receiver that hears this history's calls, if any (it can change)

    @property
    def hook_urls(self) -> HookUrls | None:
        return self.hooks()

    def attempt_hooks(self, profile: str, attempt_id: str) -> AttemptHooks | None:
        urls = self.hooks()
        return urls.for_attempt(profile, attempt_id) if urls else None

    async def get(self, name: str) -> Gateway:
        gateway = self._open.get(name)
        if gateway is None:
            gateway = await self._make(name)
            self._open[name] = gateway
        return gateway

    async def _make(self, name: str) -> Gateway:
        from console.gateways.base import Http

        profile = self.settings.profile(name)
        key: str | None
        if profile.embedded:
            if self.embedded is None:
                raise GatewayError(f"profile {name} runs on the embedded simulator, which this process does not run")
            base_url, key = await self.embedded.endpoint(profile.provider)
        else:
            base_url = profile.resolved_base_url or ""
            try:
                credential = profile.credential()
            except ConfigError as exc:  # its variable unset or unusable in this process's environment
                raise GatewayNotConfigured(f"profile {name}: {'; '.join(map(str, exc.problems))}") from None
            key = credential.get_secret_value() if credential else None
        http = Http(base_url, auth_headers(profile.provider, key), client=self._client,
                    ca_file=str(profile.ca_file) if profile.ca_file else None,
                    connect_timeout=profile.connect_timeout_s, read_timeout=profile.read_timeout_s,
                    deadline=profile.deadline_s, max_response_bytes=profile.max_response_bytes)
        client: type[Gateway] = room(profile.provider).gateway()
        return client(name, profile, http, self.attempt_hooks)

    async def close(self) -> None:
        for gateway in self._open.values():
            await gateway.close()
        self._open.clear()


__all__ = [
    "AppInfo", "GatewayError", "GatewayPool", "LiveCall", "NotSupported", "NumberInfo", "Placed", "Prepared",
    "RecentPage",
]
