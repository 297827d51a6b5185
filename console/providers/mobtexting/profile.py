"""A MOBtexting profile: the API version and request generation, the portal webhook, its retries."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from console.profile import BaseProfile
from console.providers import MOBTEXTING_API_VERSIONS, MOBTEXTING_BASE_URL


class MobtextingProfile(BaseProfile):
    provider: Literal["mobtexting"]
    api_version: Literal[MOBTEXTING_API_VERSIONS] = "v2"  # type: ignore[valid-type]
    # "json" with flow_id is today's API; "form" with ivr_id is the 2021 form-encoded one.
    request_format: Literal["json", "form"] = "json"
    webhook_id: str | None = None
    # With a retry `interval`, how many times MOBtexting calls again after a busy or unanswered attempt.
    # MOBtexting does not document the number; 2 is what the embedded simulator does: set your account's.
    retries: int = Field(2, ge=0, le=10)

    def _resolve(self) -> str | None:
        return self.base_url or MOBTEXTING_BASE_URL
