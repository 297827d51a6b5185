"""An open-source jambonz profile: its API server and the account it dials for."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from console.profile import DEFAULT_ANSWER_VERBS, BaseProfile, without_v1
from console.request_parts import Sid


class JambonzProfile(BaseProfile):
    provider: Literal["jambonz"]
    account_sid: Sid
    # What the console's call_hook answers when a call runs without an application (per_call_hooks).
    answer_verbs: list[dict[str, Any]] = Field(default_factory=lambda: [dict(v) for v in DEFAULT_ANSWER_VERBS])

    _strip_v1 = field_validator("base_url")(without_v1)
    # Without an application: send call_hook + call_status_hook pointing at the console instead.
    per_call_hooks: bool = False
