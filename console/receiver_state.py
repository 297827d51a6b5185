"""Where the webhook receiver stands, as the screens show it (apart from the receiver itself, so the
first screen is drawn before the web server's library has loaded)."""

from __future__ import annotations

from enum import StrEnum


class ReceiverState(StrEnum):
    STOPPED = "stopped"
    LISTENING = "listening"  # this process owns the port
    SHARED = "shared"  # another vgconsole on this history owns it: its URLs are ours, history brings its events
    PORT_BUSY = "port busy"  # something else holds it; tried again every few seconds
    FAILED = "failed"
    DISABLED = "disabled"

    @property
    def hears(self) -> bool:
        """Webhooks for this process's calls reach this history."""
        return self in (ReceiverState.LISTENING, ReceiverState.SHARED)
