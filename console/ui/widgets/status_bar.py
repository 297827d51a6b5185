"""The line at the top: profile, gateway, receiver, and what happened in the last hour."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static


class StatusBar(Static):
    def show(self, *, profile: str, provider: str, gateway: str, receiver: str, receiver_ok: bool,
             counters: dict[str, int], read_only: bool = False, receiver_at: str = "") -> None:
        live, answered, failed = counters.get("live", 0), counters.get("answered", 0), counters.get("failed", 0)
        # Most important first, so a narrow terminal cuts addresses, never the receiver's state: without
        # a receiver, outcomes come late, and the operator must see that at any width.
        self.update(Text.assemble(
            (f" {profile} ", "reverse bold"), " ", (provider, "bold"),
            *([(" READ-ONLY", "bold reverse")] if read_only else []),
            "  receiver ", (receiver, "green" if receiver_ok else "bold red"),
            "  ", (f"{live} live", "yellow"), "  1h ", (f"{answered} answered", "green"), " ",
            (f"{failed} failed", "bold red" if failed else ""),
            *([("  receiver at ", "dim"), (receiver_at, "dim")] if receiver_at else []), "  ", (gateway, "dim"),
            no_wrap=True, overflow="ellipsis",
        ))

    def __init__(self, **kw: Any):
        super().__init__("", **kw)
