"""How often a gateway may be asked: one allowance per gateway (not per profile: its rate limit is the
server's), shared by everything that asks it (reconciliation, a campaign's create requests), so together
they stay within it. A 429 pauses the allowance (Retry-After, or doubling): the work slows, nothing fails.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

MAX_PAUSE_S = 300.0
FIRST_PAUSE_S = 10.0


class Budget:
    """One gateway's allowance: at most `per_minute` requests in any 60 s, and none while paused."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.per_minute = per_minute
        self._clock = clock
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        self._pause_s = 0.0

    def wait_s(self, keep: int = 0) -> float:
        """How long until the next request may go (0: now), leaving `keep` of the minute's requests to others."""
        now = self._clock()
        while self._sent and self._sent[0] <= now - 60.0:
            self._sent.popleft()
        if self._paused_until > now:
            return self._paused_until - now
        allowed = max(1, self.per_minute - keep)
        if len(self._sent) < allowed:
            return 0.0
        return self._sent[len(self._sent) - allowed] + 60.0 - now

    def spend(self) -> None:
        self._sent.append(self._clock())

    def limited(self, retry_after: float | None) -> float:
        """A 429: wait as long as the gateway says (at least a second), twice as long as last time if it
        refuses again, and FIRST_PAUSE_S when it does not say; returns the pause."""
        first = 1.0 if retry_after is not None else FIRST_PAUSE_S
        self._pause_s = min(MAX_PAUSE_S, max(self._pause_s * 2 or first, retry_after or 0.0))
        self._paused_until = self._clock() + self._pause_s
        return self._pause_s

    def succeeded(self) -> None:
        self._pause_s = 0.0


class Both:
    """A request that counts against two allowances (its own rate, and the gateway's shared one)."""

    def __init__(self, own: Budget, shared: Budget) -> None:
        self.own, self.shared = own, shared

    def wait_s(self) -> float:
        return max(self.own.wait_s(), self.shared.wait_s())

    def spend(self) -> None:
        self.own.spend()
        self.shared.spend()

    def limited(self, retry_after: float | None) -> float:
        self.own.limited(retry_after)
        return self.shared.limited(retry_after)  # the gateway said no to everyone asking it

    def succeeded(self) -> None:
        self.own.succeeded()
        self.shared.succeeded()


class Budgets:
    """The allowances of one process, by gateway (`gateway_key`)."""

    def __init__(self) -> None:
        self._by_key: dict[str, Budget] = {}

    def get(self, key: str, per_minute: int, clock: Callable[[], float] = time.monotonic) -> Budget:
        return self._by_key.setdefault(key, Budget(per_minute, clock))


def gateway_key(settings: Any, profile: str) -> str:
    """Profiles on one gateway share its budget (its rate limit is the server's, not the profile's)."""
    known = settings.profiles.get(profile)
    if known is None:
        return f"unconfigured:{profile}"
    if known.embedded:  # the simulator serves each provider's API as its own
        return f"embedded:{known.provider}"
    return str(known.resolved_base_url or profile)
