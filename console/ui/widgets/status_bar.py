"""The line at the top: profile, gateway, receiver, and what happened in the last hour."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static


class StatusBar(Static):
    def show(self, *, profile: str, provider: str, gateway: str, receiver: str, receiver_ok: bool,
             counters: dict[str, int], read_only: bool = False) -> None:
        live, answered, failed = counters.get("live", 0), counters.get("answered", 0), counters.get("failed", 0)
        # Most important first: a narrow terminal cuts the gateway's address, not the counters.
        self.update(Text.assemble(
            (f" {profile} ", "reverse bold"), " ", (provider, "bold"),
            *([(" READ-ONLY", "bold reverse")] if read_only else []),
            "  ", (f"{live} live", "yellow"), "  1h ", (f"{answered} answered", "green"), " ",
            (f"{failed} failed", "bold red" if failed else ""),
            "  receiver ", (receiver, "green" if receiver_ok else "bold red"), "  ", (gateway, "dim"),
            no_wrap=True, overflow="ellipsis",
        ))

    def __init__(self, **kw: Any):
        super().__init__("", **kw)
