"""Calls to the demo profiles, as the tests place them through the dialer."""

from __future__ import annotations

from typing import Any

from console.calls import DialRequest
from console.config import DEMO_APPLICATION_SID

BASE: dict[str, dict[str, Any]] = {
    "demo-cognigy": {"provider": "cognigy", "from": "+12125550100", "application_sid": DEMO_APPLICATION_SID},
    "demo-jambonz": {"provider": "jambonz", "from": "+12125550100", "application_sid": DEMO_APPLICATION_SID},
    "demo-ibm": {"provider": "ibm", "from": "+12125550150"},
    "demo-mobtexting": {"provider": "mobtexting", "from": "+918068280000", "mobtexting": {"flow_id": "351"}},
}


def request(profile: str, number: str, **extra: Any) -> DialRequest:
    """A call from `profile`'s demo number and application to `number` (its last digits pick the outcome)."""
    return DialRequest.build({**BASE[profile], "to": {"type": "phone", "number": number}, **extra}, region="US")
