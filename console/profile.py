"""A gateway profile's common part: where the gateway is, its credential, its dial defaults and lists.
Each provider's own profile model (its locators and settings) is in its room and derives from BaseProfile."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from console.errors import ConsoleError
from console.fields import UnknownField
from console.phone import check_region
from console.problems import FieldValueError, Problem
from console.providers import EMBEDDED, check_base_url, declarations, room, rooms
from console.request_parts import AmdOptions, SipHeaders, Tags, uuid_sid

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A profile's own dial defaults that are documented fields by another name.
OWN_DEFAULTS = {"caller_name": "callerName", "from_host": "fromHost", "time_limit": "timeLimit"}


class ConfigError(ConsoleError):
    """A config that cannot be used: which file, which key, why."""

    def __init__(self, source: Path | str | None, problems: list[Problem]):
        self.source = str(source) if source else "configuration"
        self.problems = problems
        super().__init__("\n".join(f"{self.source}: {p}" for p in problems))


# ---------------------------------------------------------------- profile parts


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", loc_by_alias=False, populate_by_name=True)


class NumberEntry(_Strict):
    """A caller number the operator may dial from (for providers with no numbers API)."""

    number: str
    label: str = ""


class AppEntry(_Strict):
    """An application, IVR flow, audio or agent the operator may pick."""

    id: str
    name: str = ""
    kind: Literal["application", "ivr", "audio", "agent"] = "application"

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        value = str(value).strip()
        if not value:
            raise ValueError("is empty")
        return value


class DialDefaults(_Strict):
    """What the dial form starts with for this profile."""

    from_: str | None = Field(None, alias="from")
    application: str | None = None  # application_sid, IVR flow id / audio, or IBM agent
    target_type: Literal["phone", "sip", "user", "teams"] = "phone"
    caller_name: str | None = None
    from_host: str | None = None
    timeout: int | None = Field(None, ge=1, le=600)
    time_limit: int | None = Field(None, ge=1, le=86_400)
    amd: AmdOptions | None = None
    tags: Tags = Field(default_factory=dict)
    headers: SipHeaders = Field(default_factory=dict)
    # Any other documented request field, by the provider's own name ("speech_synthesis_vendor",
    # "tenantConfig", "to" = {trunk = ...}); checked against the profile's provider when the profile loads.
    fields: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _documented(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        own = ({name for name in cls.model_fields} | {"from"}) - {"fields", "from_"}
        value = dict(value)
        if "tag" in value and "tags" not in value:  # the wire's name for the same thing
            value["tags"] = value.pop("tag")
        extra = {key: value.pop(key) for key in list(value) if key not in own}
        if extra:
            value["fields"] = {**value.get("fields", {}), **extra}
        return value


def secret_problem(text: str) -> str | None:
    """What makes `text` unusable as a secret, in words that never quote it."""
    if not text.strip():
        return "is empty: a blank secret would let anyone through"
    for at, ch in enumerate(text, 1):
        if not ch.isprintable():  # a line break read with it from a file: it would break the HTTP header it goes in
            return f"holds a control character ({ch.encode('unicode_escape').decode()!s} at character {at}): remove it"
        if not ch.isascii():  # an HTTP header carries ASCII: the request would fail before it left
            return f"holds a character beyond ASCII (at character {at}), which an HTTP header cannot carry"
    return None


def _not_blank(value: SecretStr) -> SecretStr:
    if problem := secret_problem(value.get_secret_value()):
        raise ValueError(problem)
    return value


# A secret that is there at all: an empty webhook secret would make an HMAC anyone can compute.
Secret = Annotated[SecretStr, AfterValidator(_not_blank)]


def _env_name(value: str | None) -> str | None:
    if value is not None and not _ENV_NAME.match(value):
        raise ValueError(f"{value!r} is not an environment variable name")
    return value


class BaseProfile(_Strict):
    provider: str  # each provider's profile narrows it to its own name
    description: str = ""
    # Watch only: no dialling, no hang-up, from the console or the command line (a production profile).
    read_only: bool = False
    region: Annotated[str, AfterValidator(check_region)] | None = None  # for numbers typed without +CC
    base_url: str | None = None
    api_key: Secret | None = None
    api_key_env: Annotated[str, AfterValidator(_env_name)] | None = None  # read the key from this variable
    numbers: list[NumberEntry] = Field(default_factory=list)
    applications: list[AppEntry] = Field(default_factory=list)
    defaults: DialDefaults = Field(default_factory=DialDefaults)
    ca_file: Path | None = None  # a private CA's certificates (PEM) to trust; TLS is always verified
    # Webhooks from this gateway: "require" authentication, "flag" unauthenticated ones, or "off".
    # Unset: require whenever a secret or credentials are configured for them.
    webhook_auth: Literal["require", "flag", "off"] | None = None
    # jambonz/Cognigy: the account's webhook secret(s); MOBtexting: the portal webhook's secret.
    webhook_secrets: list[Secret] = Field(default_factory=list)
    connect_timeout_s: float = Field(5.0, gt=0, le=120)
    read_timeout_s: float = Field(15.0, gt=0, le=300)
    # A whole request to the gateway, its answer read to the end, at most this long (a gateway that
    # trickles its answer a byte at a time cannot hold a dial); and its answer at most this large.
    deadline_s: float = Field(30.0, gt=0, le=600)
    max_response_bytes: int = Field(5 * 1024 * 1024, ge=64 * 1024, le=1024 * 1024 * 1024)

    @field_validator("ca_file")
    @classmethod
    def _ca(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        value = value.expanduser()
        if not value.is_file():
            raise ValueError(f"{value} is not a file of PEM certificates")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        return check_base_url(value.strip()) if value else None

    @property
    def embedded(self) -> bool:
        return self.base_url == EMBEDDED

    def _locators(self) -> dict[str, Any]:
        return {"base_url": self.base_url}

    def _resolve(self) -> str | None:
        return self.base_url

    @model_validator(mode="after")
    def _where_and_who(self) -> BaseProfile:
        given = [name for name, value in self._locators().items() if value]
        if len(given) > 1:
            raise FieldValueError(given[1], f"set only one of {', '.join(given)}")
        if self.resolved_base_url is None:
            options = " or ".join(self._locators())
            raise FieldValueError("base_url", f"where is the gateway? set {options}")
        if self.api_key is not None and self.api_key_env:
            raise FieldValueError("api_key_env", "set api_key or api_key_env, not both")
        if not self.embedded and self.api_key is None and not self.api_key_env:
            raise FieldValueError("api_key", "a credential is needed: api_key, or api_key_env naming a variable")
        self._check_defaults()
        return self

    def _check_defaults(self) -> None:
        """Dial defaults the provider cannot use are a config error, not a surprise at dial time."""
        place = room(self.provider)
        d = self.defaults
        if d.application and "application_sid" in place.sections:  # an application is a sid there
            try:
                d.application = uuid_sid(d.application)
            except ValueError as exc:
                raise FieldValueError("defaults.application", str(exc)) from None
        self._check_fields()
        for name in ("caller_name", "from_host", "timeout", "time_limit", "amd", "headers"):
            if getattr(d, name) and name not in place.sections:
                owners = " and ".join(r.title for r in rooms() if name in r.sections)
                raise FieldValueError(f"defaults.{name}", f"not available on {place.name} ({owners} only)")
        if d.target_type not in place.targets:
            raise FieldValueError("defaults.target_type",
                                  f"{place.name} dials {' or '.join(place.targets)} targets only")

    def _check_fields(self) -> None:
        """The documented fields under [defaults], each put on a sample request of this provider."""
        if not self.defaults.fields:
            return
        fields = declarations(self.provider)
        try:
            values = fields.flatten(self.defaults.fields)
        except UnknownField as exc:
            raise FieldValueError(f"defaults.{exc.path}", f"is not a field of a {fields.provider} request (its "
                                  "fields: vgconsole dial --help)") from None
        target = str(values.get("to.type") or self.defaults.target_type)
        from console.calls import DialRequest  # the request holds the rooms' options, and the rooms hold profiles

        found = fields.check(values, lambda data: DialRequest.build(data, region=self.region), target)
        if found:
            raise FieldValueError(f"defaults.{found[0].field}", found[0].message)

    def documented_defaults(self) -> dict[str, Any]:
        """The dial defaults beyond the common ones, by documented path (checked when the profile loaded)."""
        d, fields = self.defaults, declarations(self.provider)
        known = fields.by_path()
        values = {path: getattr(d, own) for own, path in OWN_DEFAULTS.items()
                  if getattr(d, own) is not None and path in known and not known[path].common}
        return {**values, **fields.flatten(d.fields)}

    @property
    def resolved_base_url(self) -> str | None:
        return self._resolve()

    def credential(self) -> SecretStr | None:
        """The API key; from the named environment variable when api_key_env is used."""
        if self.api_key_env:
            value = os.environ.get(self.api_key_env)
            if not value or not value.strip():
                raise ConfigError(None, [Problem("api_key_env", f"{self.api_key_env} is not set in the environment")])
            if problem := secret_problem(value):
                raise ConfigError(None, [Problem("api_key_env", f"the key in {self.api_key_env} {problem}")])
            return SecretStr(value)
        return self.api_key


DEFAULT_ANSWER_VERBS: list[dict[str, Any]] = [
    {"verb": "say", "text": "Please hold."}, {"verb": "pause", "length": 3600},
]


def without_v1(value: str | None) -> str | None:
    """jambonz API paths start with /v1; accept a base URL pasted with or without it."""
    if value and value != EMBEDDED and value.endswith("/v1"):
        return value[: -len("/v1")]
    return value
