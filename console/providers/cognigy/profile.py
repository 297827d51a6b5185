"""A Cognigy Voice Gateway profile: where the gateway is (a Cognigy environment, a company's installation,
a CXone region or a URL) and the account it dials for."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from console.profile import DEFAULT_ANSWER_VERBS, BaseProfile, without_v1
from console.providers import COGNIGY_ENVIRONMENTS, cognigy_company_url, cognigy_cxone_url
from console.request_parts import Sid


class CognigyProfile(BaseProfile):
    provider: Literal["cognigy"]
    environment: Literal[tuple(COGNIGY_ENVIRONMENTS)] | None = None  # type: ignore[valid-type]
    company: str | None = None  # a company's SaaS installation: api-<company>-vg.cognigy.cloud
    cxone: str | None = None  # a NiCE CXone region: cognigy-vg-api-<region>.nicecxone.com
    account_sid: Sid
    answer_verbs: list[dict[str, Any]] = Field(default_factory=lambda: [dict(v) for v in DEFAULT_ANSWER_VERBS])

    _strip_v1 = field_validator("base_url")(without_v1)

    def _locators(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "environment": self.environment,
            "company": self.company,
            "cxone": self.cxone,
        }

    @field_validator("company")
    @classmethod
    def _company(cls, value: str | None) -> str | None:
        if value:
            cognigy_company_url(value)
        return value

    @field_validator("cxone")
    @classmethod
    def _cxone(cls, value: str | None) -> str | None:
        if value:
            cognigy_cxone_url(value)
        return value

    def _resolve(self) -> str | None:
        if self.environment:
            return COGNIGY_ENVIRONMENTS[self.environment]
        if self.company:
            return cognigy_company_url(self.company)
        if self.cxone:
            return cognigy_cxone_url(self.cxone)
        return self.base_url
