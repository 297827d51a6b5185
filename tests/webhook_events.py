"""A webhook body read as the receiver reads it: through its provider's room."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from console.providers import room
from console.providers.base import Incoming
from console.status import CallEvent


def webhook_event(provider: str, kind: str, payload: dict[str, Any], *, profile: str, received_at: datetime,
                  token: str | None = None, verified: bool = True, raw: bytes | None = None) -> CallEvent:
    body = raw if raw is not None else json.dumps(payload).encode()
    return room(provider).webhooks.parse(Incoming(
        kind=str(kind), method="POST", query={}, query_string="", raw=body, content_type="application/json",
        early=None, profile=profile, token=token, verified=verified, received_at=received_at))
