"""Cognigy Voice Gateway's client: jambonz's, plus notifyUrl and Cognigy's own dial options."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import httpx

from console.calls import DialRequest
from console.providers import Provider
from console.providers.jambonz.gateway import COGNIGY_FIELDS, JambonzGateway, webhook_wire


class CognigyGateway(JambonzGateway):
    """Cognigy Voice Gateway: jambonz plus notifyUrl and the dial options; per-call status via notifyUrl."""

    provider: ClassVar[Provider] = Provider.COGNIGY
    cognigy: ClassVar[bool] = True

    def bare_500(self, response: httpx.Response) -> str:
        """Open-source jambonz answers Cognigy's own fields with exactly this: say so when they were sent."""
        said = super().bare_500(response)
        try:
            sent = json.loads(response.request.content or b"{}")
        except ValueError:
            sent = {}
        own = sorted(set(COGNIGY_FIELDS.values()) & set(sent) if isinstance(sent, dict) else set())
        if own:
            said += (f". This profile sent Cognigy Voice Gateway fields ({', '.join(own)}); if this gateway is "
                     "open-source jambonz, set provider = \"jambonz\" on the profile")
        return said

    def _provider_fields(self, request: DialRequest, body: dict[str, Any], notes: list[str], hooks: Any) -> None:
        c = request.cognigy
        for attr in ("notify_url", "action_hook", "confirm_hook", "dtmf_hook"):
            hook = getattr(c, attr) if c else None
            if hook is not None:
                body[COGNIGY_FIELDS[attr]] = webhook_wire(hook)
        if c is not None:
            if c.dtmf_capture:
                body["dtmfCapture"] = c.dtmf_capture
            for attr in ("listen", "transcribe"):
                if getattr(c, attr):
                    body[COGNIGY_FIELDS[attr]] = getattr(c, attr)
        if hooks:  # actionHook only when the operator sets it: open-source jambonz refuses it outright
            body.setdefault("notifyUrl", {"url": hooks.status, "method": "POST"})
