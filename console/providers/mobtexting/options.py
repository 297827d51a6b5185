"""What a MOBtexting outgoing/send request carries beyond the number and the bridge."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from console.request_parts import Model, ShortText, check_url, has_control

MOBTEXTING_INTERVALS = (5, 15, 30, 45, 60)


class MobtextingOptions(Model):
    """MOBtexting outgoing/send extras; the `from` number is the bridge (DID)."""

    flow_id: str | None = None  # IVR flow (Engage > Studio); sent as ivr_id in the form-encoded API
    audio: str | None = None  # sound id (Reach > Sounds) or a public http(s) URL
    name: ShortText | None = None  # campaign name
    interval: int | None = None  # minutes between retries on BUSY/NOANSWER
    webhook_id: ShortText | None = None
    variables: dict[str, str] = Field(default_factory=dict)  # fills {name} in Studio TTS

    @field_validator("flow_id")
    @classmethod
    def _flow(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = str(value).strip()
        if not re.match(r"^[A-Za-z0-9_\-]{1,64}$", value):
            raise ValueError(f"{value!r} is not an IVR flow id (letters, digits, '-' or '_')")
        return value

    @field_validator("audio")
    @classmethod
    def _audio(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if value.lower().startswith(("http://", "https://")):
            return check_url(value)
        if not re.match(r"^[A-Za-z0-9_\-]{1,64}$", value):
            raise ValueError(f"{value!r} is neither a sound id nor an http(s) URL")
        return value

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: int | None) -> int | None:
        if value in (None, 0):
            return None
        if value not in MOBTEXTING_INTERVALS:
            raise ValueError(f"retry interval must be one of {', '.join(map(str, MOBTEXTING_INTERVALS))} minutes")
        return value

    @field_validator("variables")
    @classmethod
    def _variables(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            if not re.match(r"^[A-Za-z0-9_]{1,64}$", key):
                raise ValueError(f"variable name {key!r} may use letters, digits and '_' only")
            if has_control(text):
                raise ValueError(f"variable {key}: the value contains control characters")
        return value

    @model_validator(mode="after")
    def _one_of(self) -> MobtextingOptions:
        if bool(self.flow_id) == bool(self.audio):
            raise ValueError("give exactly one of an IVR flow id or an audio (sound id or URL)")
        return self
