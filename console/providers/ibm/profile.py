"""An IBM profile: a Voice Agent with Watson region or an on-premises Voice Gateway, and the agent or
tenant the calls start from."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import field_validator, model_validator

from console.problems import FieldValueError
from console.profile import BaseProfile
from console.providers import IBM_ENVIRONMENTS


class IbmProfile(BaseProfile):
    provider: Literal["ibm"]
    environment: Literal[tuple(IBM_ENVIRONMENTS)] | None = None  # type: ignore[valid-type]
    host: str | None = None  # an on-premises Voice Gateway, "vgw.example.com:9443"
    agent_number: str | None = None  # Voice Agent with Watson: the agent's number
    tenant_id: str | None = None  # on-premises: the tenant id in the path

    def _locators(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "environment": self.environment, "host": self.host}

    @field_validator("host")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        if value and not re.match(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$", value.strip()):
            raise ValueError(f"{value!r} is not host[:port]")
        return value.strip() if value else None

    def _resolve(self) -> str | None:
        if self.environment:
            return IBM_ENVIRONMENTS[self.environment]
        if self.host:
            return f"https://{self.host}"
        return self.base_url

    @model_validator(mode="after")
    def _path_id(self) -> IbmProfile:
        if bool(self.agent_number) == bool(self.tenant_id):
            raise FieldValueError(
                "agent_number", "set agent_number (Voice Agent) or tenant_id (on-premises), one of them"
            )
        return self

    @property
    def path_id(self) -> str:
        return self.agent_number or self.tenant_id or ""
