"""jambonz's API rate limit: express-rate-limit with one bucket for the whole server
(RATE_LIMIT_BY=system), a fixed window, and the draft-6 RateLimit-* headers."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

MESSAGE = "Too many requests, please try again later."  # express-rate-limit's default


class RateLimit:
    def __init__(self, limit: int = 600, window_s: float = 300.0, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._start = clock()
        self._used = 0

    def hit(self) -> tuple[bool, dict[str, str]]:
        """Count one request; (allowed, headers to send with the answer)."""
        now = self._clock()
        if now - self._start >= self.window_s:
            self._start, self._used = now, 0
        self._used += 1
        reset = max(0, math.ceil(self._start + self.window_s - now))
        headers = {
            "RateLimit-Policy": f"{self.limit};w={int(self.window_s)}",
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(max(0, self.limit - self._used)),
            "RateLimit-Reset": str(reset),
        }
        allowed = self._used <= self.limit
        if not allowed:
            headers["Retry-After"] = str(reset)
        return allowed, headers
