"""Cognigy Voice Gateway's own create-call fields (beyond the jambonz set it shares)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from console.request_parts import DTMF, Model, Webhook


class CognigyOptions(Model):
    """Cognigy Voice Gateway's own create-call fields (open-source jambonz rejects them)."""

    notify_url: Webhook | None = None  # filled with the receiver's URL when left empty
    action_hook: Webhook | None = None
    confirm_hook: Webhook | None = None
    dtmf_capture: list[str] = Field(default_factory=list)
    dtmf_hook: Webhook | None = None
    listen: dict[str, Any] | None = None  # a nested `listen` verb
    transcribe: dict[str, Any] | None = None  # a nested `transcribe` verb

    @field_validator("dtmf_capture")
    @classmethod
    def _dtmf(cls, value: list[str]) -> list[str]:
        for seq in value:
            if not DTMF.match(seq):
                raise ValueError(f"{seq!r} is not a DTMF sequence (digits, *, #, A-D; up to 32)")
        return value

    @model_validator(mode="after")
    def _hook_for_capture(self) -> CognigyOptions:
        if self.dtmf_capture and not self.dtmf_hook:
            raise ValueError("dtmf_capture needs a dtmf_hook to report matches to")
        return self
