"""What an IBM startOutboundCall request carries beyond the common parts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from console.request_parts import AbsoluteUrl, Model, SipAuth, SipUri, plain_text


class IbmOptions(Model):
    """IBM Voice Gateway startOutboundCall extras."""

    agent: Annotated[str, plain_text(64)] | None = None  # agent number / tenant id; default: the profile's
    context: dict[str, Any] = Field(default_factory=dict)  # state variables for Watson Assistant
    tenant_config: dict[str, Any] | None = None  # "Advanced JSON configuration properties"
    update_method: Literal["merge", "replace"] | None = None
    sip_auth: SipAuth | None = None  # trunk credentials, sent as tenantConfig.config.outboundCalls.sipAuth
    route: list[SipUri] = Field(default_factory=list)  # SIP Route headers, in order
    # The operator's own status webhook instead of the console's (the console then does not hear the call).
    status_webhook: AbsoluteUrl | None = None
    status_webhook_username: Annotated[str, plain_text(128)] | None = None
    status_webhook_password: SecretStr | None = None

    @field_validator("route", mode="before")
    @classmethod
    def _split_route(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip().strip("<>") for part in value.split(",") if part.strip()]
        return value

    @field_validator("tenant_config")
    @classmethod
    def _config(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and not isinstance(value, dict):
            raise ValueError("must be an object of configuration properties")
        return value

    @model_validator(mode="after")
    def _method_needs_config(self) -> IbmOptions:
        if self.update_method and self.tenant_config is None and self.sip_auth is None:
            raise ValueError("update_method applies to a tenant_config; set one or leave update_method empty")
        return self
