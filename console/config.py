"""Settings: a TOML file plus VGCONSOLE_* environment variables (env wins, `__` nests).

Precedence, highest first: values passed in (command-line flags), environment, the TOML file,
built-in defaults. With no profiles configured, the demo profiles on the embedded simulator are used.
"""

from __future__ import annotations

import os
import re
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from console import paths
from console.calls import AmdOptions, DialRequest, Sid, SipHeaders, Tags, uuid_sid
from console.fields import UnknownField
from console.phone import PhoneNumberError, check_region, is_phone_like, to_e164
from console.problems import FieldValueError, Problem, problems_from
from console.providers import (
    COGNIGY_ENVIRONMENTS,
    EMBEDDED,
    IBM_ENVIRONMENTS,
    MOBTEXTING_API_VERSIONS,
    MOBTEXTING_BASE_URL,
    Provider,
    check_base_url,
    cognigy_company_url,
    cognigy_cxone_url,
    declarations,
)

ENV_PREFIX = "VGCONSOLE_"
_PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(Exception):
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


def _not_blank(value: SecretStr) -> SecretStr:
    if not value.get_secret_value().strip():
        raise ValueError("is empty: a blank secret would let anyone through")
    return value


# A secret that is there at all: an empty webhook secret would make an HMAC anyone can compute.
Secret = Annotated[SecretStr, AfterValidator(_not_blank)]


def _env_name(value: str | None) -> str | None:
    if value is not None and not _ENV_NAME.match(value):
        raise ValueError(f"{value!r} is not an environment variable name")
    return value


class _Profile(_Strict):
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
    def _where_and_who(self) -> _Profile:
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
        provider = self.provider
        d = self.defaults
        if provider in ("cognigy", "jambonz"):
            if d.application:
                try:
                    d.application = uuid_sid(d.application)
                except ValueError as exc:
                    raise FieldValueError("defaults.application", str(exc)) from None
            self._check_fields()
            return
        self._check_fields()
        for name in ("caller_name", "from_host", "timeout", "time_limit", "amd", "headers"):
            if getattr(d, name):
                raise FieldValueError(f"defaults.{name}", f"not available on {provider} (jambonz and Cognigy only)")
        allowed = ("phone", "sip") if provider == "ibm" else ("phone",)
        if d.target_type not in allowed:
            raise FieldValueError("defaults.target_type", f"{provider} dials {' or '.join(allowed)} targets only")

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
        found = fields.check(values, lambda data: DialRequest.build(data, region=self.region), target)
        if found:
            raise FieldValueError(f"defaults.{found[0].field}", found[0].message)

    @property
    def resolved_base_url(self) -> str | None:
        return self._resolve()

    def credential(self) -> SecretStr | None:
        """The API key; from the named environment variable when api_key_env is used."""
        if self.api_key_env:
            value = os.environ.get(self.api_key_env)
            if not value or not value.strip():
                raise ConfigError(None, [Problem("api_key_env", f"{self.api_key_env} is not set in the environment")])
            return SecretStr(value)
        return self.api_key


DEFAULT_ANSWER_VERBS: list[dict[str, Any]] = [
    {"verb": "say", "text": "Please hold."}, {"verb": "pause", "length": 3600},
]


def _without_v1(value: str | None) -> str | None:
    """jambonz API paths start with /v1; accept a base URL pasted with or without it."""
    if value and value != EMBEDDED and value.endswith("/v1"):
        return value[: -len("/v1")]
    return value


class CognigyProfile(_Profile):
    provider: Literal["cognigy"]
    environment: Literal[tuple(COGNIGY_ENVIRONMENTS)] | None = None  # type: ignore[valid-type]
    company: str | None = None  # a company's SaaS installation: api-<company>-vg.cognigy.cloud
    cxone: str | None = None  # a NiCE CXone region: cognigy-vg-api-<region>.nicecxone.com
    account_sid: Sid
    answer_verbs: list[dict[str, Any]] = Field(default_factory=lambda: [dict(v) for v in DEFAULT_ANSWER_VERBS])

    _strip_v1 = field_validator("base_url")(_without_v1)

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


class JambonzProfile(_Profile):
    provider: Literal["jambonz"]
    account_sid: Sid
    # What the console's call_hook answers when a call runs without an application (per_call_hooks).
    answer_verbs: list[dict[str, Any]] = Field(default_factory=lambda: [dict(v) for v in DEFAULT_ANSWER_VERBS])

    _strip_v1 = field_validator("base_url")(_without_v1)
    # Without an application: send call_hook + call_status_hook pointing at the console instead.
    per_call_hooks: bool = False


class IbmProfile(_Profile):
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


class MobtextingProfile(_Profile):
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


Profile = Annotated[
    CognigyProfile | JambonzProfile | IbmProfile | MobtextingProfile, Field(discriminator="provider")
]
_PROVIDER_TAGS = tuple(p.value for p in Provider)


# ---------------------------------------------------------------- the rest


class ReceiverSettings(_Strict):
    enabled: bool = True
    host: str = "127.0.0.1"  # loopback unless told otherwise
    port: int = Field(8765, ge=0, le=65535)
    public_url: str | None = None  # how gateways reach the receiver (a tunnel or reverse proxy)
    webhook_secrets: list[Secret] = Field(default_factory=list)  # Jambonz-Signature; several for rotation
    basic_username: str | None = None
    basic_password: Secret | None = None
    bearer_secret: Secret | None = None  # MOBtexting's "Authorization: Bearer <secret>"
    max_body_bytes: int = Field(65_536, ge=1024, le=16 * 1024 * 1024)
    signature_tolerance_s: int = Field(300, ge=1, le=3600)  # how old (or how far ahead) a signature may be
    body_timeout_s: float = Field(10.0, gt=0, le=120)  # a client slower than this sending its body is cut off
    # Webhooks from a known sender that could not be understood are kept for the operator (the first 4 KB
    # of each): the newest this many.
    max_rejected: int = Field(10_000, ge=10, le=1_000_000)
    # A connection that sends nothing (or not its request's headers) for this long is closed.
    idle_timeout_s: float = Field(15.0, gt=0, le=3600)
    # Open connections at most (and always well below the process's open-file limit); past it, the oldest
    # idle one is closed for each new one.
    max_connections: int = Field(512, ge=8, le=65_536)
    # A webhook not stored within this long is answered 503 (jambonz waits 10 s for an answer, then gives
    # up): the gateway can send it again, rather than getting 200 after it stopped listening.
    store_timeout_s: float = Field(8.0, gt=0, le=60)
    # Listen beyond loopback although some profile's webhooks would be stored unauthenticated (refused
    # unless this is set; `vgconsole config check` says which profiles).
    insecure: bool = False

    @field_validator("public_url")
    @classmethod
    def _public(cls, value: str | None) -> str | None:
        if not value:
            return None
        url = check_base_url(value.strip())
        if url == EMBEDDED:
            raise ValueError("public_url must be an http(s) URL")
        return url

    @model_validator(mode="after")
    def _basic_pair(self) -> ReceiverSettings:
        if bool(self.basic_username) != bool(self.basic_password):
            raise FieldValueError("basic_password", "basic auth needs both basic_username and basic_password")
        return self


class StorageSettings(_Strict):
    path: Path = Field(default_factory=paths.default_db_file)
    # "full" syncs every group commit to disk (survives power loss); "normal" survives a crash.
    synchronous: Literal["full", "normal"] = "full"
    # "process" writes history from a process of its own, on another core than the console and the
    # receiver (the fastest under a burst of webhooks); "thread" keeps everything in one process.
    writer: Literal["process", "thread"] = "process"

    @field_validator("path")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()


class UiSettings(_Strict):
    # Show host:port of the gateway and the receiver (off: for screen sharing and screenshots).
    show_addresses: bool = True
    # Watch only, every profile: no dial form, no hang-up (also --read-only).
    read_only: bool = False
    # Seconds between two looks at the gateway's live calls (two requests each; jambonz's rate limit is
    # shared by all its clients, 2 a second by default).
    live_poll_s: float = Field(5.0, ge=2, le=300)
    # Where the history screen writes its exports; default: exports/ in the data folder.
    export_dir: Path | None = None
    # Dialling a number that was dialled this recently (by any console on this history) asks first.
    redial_guard_s: int = Field(30, ge=0, le=3600)

    @field_validator("export_dir")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value else None


class ReconcileSettings(_Strict):
    """Settling calls whose final webhook never came, from the gateway's own records."""

    enabled: bool = True
    # Requests to one gateway, at most, in any minute (jambonz's default limit is 600 per 5 minutes for
    # the whole API server, shared by every client): one request in flight per gateway, never more.
    requests_per_minute: int = Field(12, ge=1, le=600)
    # An unanswered call is asked about once its ring timeout (the request's, else this) and the grace
    # have passed without a final word: jambonz rings for `timeout || 60` s.
    ring_timeout_s: int = Field(60, ge=1, le=600)
    grace_s: int = Field(30, ge=0, le=3600)
    # An answered call with no time limit is asked about after this long without a word, and again as
    # long as the gateway says it goes on.
    answered_check_s: int = Field(600, ge=10, le=86_400)
    # Past its deadline, a call the gateway cannot be asked about (errors, or no record anywhere) becomes
    # unknown after this long, with the reason.
    give_up_s: int = Field(3600, ge=10, le=7 * 86_400)


class SimulatorSettings(_Strict):
    """The embedded simulator (profiles whose base_url is "embedded")."""

    speed: float = Field(1.0, gt=0, le=100_000)  # 10 makes every simulated call ten times faster
    # Lose this share (0 to 1) of the status and AMD webhooks, to watch reconciliation settle the calls.
    drop_webhooks: float = Field(0.0, ge=0, le=1)
    drop_seed: int | None = None  # the same webhooks lost every run


DEMO_ACCOUNT_SID = "9b1f6c2e-3d4a-4e5b-8c6d-7e8f9a0b1c2d"
DEMO_APPLICATION_SID = "0e06a1b0-d49f-4fb8-b973-b5a3c6758de1"


def demo_profiles() -> dict[str, Any]:
    """One profile per provider, all on the embedded simulator, with no credentials to find."""
    return {
        "demo-cognigy": {
            "provider": "cognigy",
            "description": "Cognigy Voice Gateway on the built-in simulator",
            "base_url": EMBEDDED,
            "account_sid": DEMO_ACCOUNT_SID,
            "defaults": {"from": "+12125550100", "application": DEMO_APPLICATION_SID},
        },
        "demo-jambonz": {
            "provider": "jambonz",
            "description": "open-source jambonz on the built-in simulator",
            "base_url": EMBEDDED,
            "account_sid": DEMO_ACCOUNT_SID,
            "defaults": {"from": "+12125550100", "application": DEMO_APPLICATION_SID},
        },
        "demo-ibm": {
            "provider": "ibm",
            "description": "IBM Voice Gateway on the built-in simulator",
            "base_url": EMBEDDED,
            "agent_number": "+12125550150",
            "numbers": [{"number": "+12125550150", "label": "Watson agent line"}],
            "applications": [{"id": "+12125550150", "name": "Billing assistant", "kind": "agent"}],
            "defaults": {"from": "+12125550150"},
        },
        "demo-mobtexting": {
            "provider": "mobtexting",
            "description": "MOBtexting voice on the built-in simulator",
            "base_url": EMBEDDED,
            "region": "IN",
            "webhook_id": "1",
            "numbers": [{"number": "+918068280000", "label": "Bengaluru DID"}],
            "applications": [
                {"id": "351", "name": "Payment reminder IVR", "kind": "ivr"},
                {"id": "welcome-en", "name": "Welcome message", "kind": "audio"},
            ],
            "defaults": {"from": "+918068280000", "application": "351"},
        },
    }


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_ignore_empty=True,
        extra="forbid",
        loc_by_alias=False,
    )

    default_profile: str | None = None
    default_region: Annotated[str, AfterValidator(check_region)] = "US"
    # None: the demo profiles are there only when no profile is configured.
    demo_profiles: bool | None = None
    profiles: dict[str, Profile] = Field(default_factory=dict)
    theme: str = "vgconsole-dark"
    keymap: dict[str, str] = Field(default_factory=dict)  # binding id -> keys, e.g. dial = "ctrl+d"
    receiver: ReceiverSettings = Field(default_factory=ReceiverSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    simulator: SimulatorSettings = Field(default_factory=SimulatorSettings)
    ui: UiSettings = Field(default_factory=UiSettings)
    reconcile: ReconcileSettings = Field(default_factory=ReconcileSettings)

    _source: Path | None = PrivateAttr(default=None)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # No .env or secrets dir: on a shared jump host a stray .env must not steer calls.
        return (init_settings, env_settings, _FileSource(settings_cls))

    @field_validator("profiles", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for name in value:
                if not _PROFILE_NAME.match(str(name)):
                    raise ValueError(
                        f"profile name {name!r}: use lowercase letters, digits, '-' and '_' (env variables "
                        "address profiles in lowercase)"
                    )
        return value

    @field_validator("keymap")
    @classmethod
    def _keymap(cls, value: dict[str, str]) -> dict[str, str]:
        for binding, keys in value.items():
            if not keys.strip() or " " in keys.strip():
                raise ValueError(f"keymap.{binding}: {keys!r} is not a key list like 'ctrl+d' or 'f5,ctrl+r'")
        return value

    @model_validator(mode="before")
    @classmethod
    def _add_demos(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        configured = dict(data.get("profiles") or {})
        wanted = str(data.get("demo_profiles", "")).strip().lower()
        if wanted in ("true", "1", "yes", "on") or (wanted in ("", "none") and not configured):
            data = {**data, "profiles": {**demo_profiles(), **configured}}
        return data

    @model_validator(mode="after")
    def _defaults_hold(self) -> Settings:
        if not self.profiles:
            raise FieldValueError("profiles", "no profiles: configure one, or set demo_profiles = true")
        if self.default_profile is None:
            self.default_profile = "demo-cognigy" if "demo-cognigy" in self.profiles else next(iter(self.profiles))
        elif self.default_profile not in self.profiles:
            raise FieldValueError(
                "default_profile", f"{self.default_profile!r} is not a profile ({', '.join(self.profiles)})"
            )
        for name, profile in self.profiles.items():
            region = profile.region or self.default_region
            for i, entry in enumerate(profile.numbers):
                entry.number = _number(entry.number, region, f"profiles.{name}.numbers.{i}.number")
            if profile.defaults.from_:
                profile.defaults.from_ = _from_default(profile.defaults.from_, region, f"profiles.{name}.defaults.from")
        return self

    @property
    def source(self) -> Path | None:
        """The config file these settings came from (None: defaults and environment only)."""
        return self._source

    def profile(self, name: str | None = None) -> _Profile:
        key = name or self.default_profile or ""
        try:
            return self.profiles[key]
        except KeyError:
            raise ConfigError(
                self._source, [Problem("profile", f"no profile {key!r} ({', '.join(self.profiles)})")]
            ) from None

    def region_for(self, name: str) -> str:
        return self.profiles[name].region or self.default_region

    def secrets(self) -> list[str]:
        """Every secret value these settings hold, so redaction can catch them anywhere."""
        found: list[str] = []
        r = self.receiver
        for s in [*r.webhook_secrets, r.basic_password, r.bearer_secret]:
            if s is not None:
                found.append(s.get_secret_value())
        for profile in self.profiles.values():
            found += [s.get_secret_value() for s in profile.webhook_secrets]
            try:
                key = profile.credential()
            except ConfigError:
                key = None
            if key is not None:
                found.append(key.get_secret_value())
        return [s for s in found if s]


def _number(text: str, region: str, where: str) -> str:
    try:
        return to_e164(text, region)
    except PhoneNumberError as exc:
        raise FieldValueError(where, str(exc)) from None


def _from_default(text: str, region: str, where: str) -> str:
    return _number(text, region, where) if is_phone_like(text) else text


# ---------------------------------------------------------------- loading

_FILE_DATA: ContextVar[dict[str, Any] | None] = ContextVar("vgconsole_config_file_data", default=None)


class _FileSource(PydanticBaseSettingsSource):
    """The parsed TOML file (read by load_settings, which can say where a syntax error is)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return (_FILE_DATA.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_FILE_DATA.get() or {})


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(path, [Problem("", "file not found")]) from None
    except IsADirectoryError:
        raise ConfigError(path, [Problem("", "is a directory, not a TOML file")]) from None
    except PermissionError:
        raise ConfigError(path, [Problem("", "cannot be read (permission denied)")]) from None
    except UnicodeDecodeError:
        raise ConfigError(path, [Problem("", "is not UTF-8 text")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [Problem("", f"not valid TOML: {exc}")]) from None


def load_settings(config: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Settings from the file in force (see paths.config_file), the environment and `overrides`.

    A file named by --config or $VGCONSOLE_CONFIG must exist; the default one may be absent.
    """
    path = paths.config_file(config)
    explicit = bool(config) or bool(os.environ.get(paths.CONFIG_ENV))
    data: dict[str, Any] = {}
    if path.exists() or explicit:
        data = read_toml(path)
    token = _FILE_DATA.set(data)
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError(path if data else None, _with_env_names(problems_from(exc, _PROVIDER_TAGS))) from None
    finally:
        _FILE_DATA.reset(token)
    settings._source = path if data else None
    return settings


def _with_env_names(found: list[Problem]) -> list[Problem]:
    """Say so when a bad value came from an environment variable rather than the file."""
    env = {k.upper(): k for k in os.environ}
    result = []
    for p in found:
        parts = p.field.split(".")
        names = [ENV_PREFIX + "__".join(parts[:n]).upper() for n in range(len(parts), 0, -1)]
        hit = next((env[n] for n in names if n in env), None)
        result.append(Problem(p.field, f"{p.message} (from ${hit})") if hit else p)
    return result
