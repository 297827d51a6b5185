"""Settings: a TOML file plus VGCONSOLE_* environment variables (env wins, `__` nests).

Precedence, highest first: values passed in (command-line flags), environment, the TOML file,
built-in defaults. With no profiles configured, the demo profiles on the embedded simulator are used.
"""

from __future__ import annotations

import json
import operator
import os
import re
import tomllib
from contextvars import ContextVar
from functools import reduce
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from console import paths
from console.clock import Zone, check_zone
from console.phone import PhoneNumberError, check_region, is_phone_like, to_e164
from console.problems import FieldValueError, Problem, problems_from
from console.profile import BaseProfile, ConfigError, Secret, _Strict
from console.providers import DEMO_ACCOUNT_SID, DEMO_APPLICATION_SID, EMBEDDED, check_base_url, room, rooms
from console.redact import credential_forms

ENV_PREFIX = "VGCONSOLE_"
_PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Said here for those who load settings: the profiles raise ConfigError too, and the demo ids are the providers'.
__all__ = ["DEMO_ACCOUNT_SID", "DEMO_APPLICATION_SID", "ConfigError", "Settings", "load_settings"]


# The profile models: the common part here, each provider's own in its room (console/providers/<name>/).
if TYPE_CHECKING:
    Profile = BaseProfile
else:
    Profile = Annotated[reduce(operator.or_, (r.profile for r in rooms())), Field(discriminator="provider")]
_PROVIDER_TAGS = tuple(r.name for r in rooms())


# ---------------------------------------------------------------- the rest


def _not_a_flag(value: Any) -> Any:
    """TOML's `true` is not port 1: pydantic would take a bool for a number."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    return value


class ReceiverSettings(_Strict):
    enabled: bool = True
    host: str = "127.0.0.1"  # loopback unless told otherwise
    port: Annotated[int, BeforeValidator(_not_a_flag)] = Field(8765, ge=0, le=65535)
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
    # Remember the last profile and theme, each profile's form and editors, and the `:` and `/` histories
    # between runs (never a secret), in the XDG state folder.
    remember: bool = True
    # The zone times are shown and typed in, by the console and the CLI: local (this machine's), UTC, or a
    # zone name such as Europe/Paris (also --utc). History and exports keep UTC whatever this says.
    timezone: Annotated[str, AfterValidator(check_zone)] = "local"

    def zone(self) -> Zone:
        return Zone.named(self.timezone)

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


class CampaignSettings(_Strict):
    """What every campaign shares."""

    # Every request to one gateway in any minute, campaigns and reconciliation together (jambonz allows
    # 600 per 5 minutes for the whole API server by default). Campaigns leave reconciliation its own
    # requests_per_minute of it, so a lost webhook is still settled while a campaign dials.
    gateway_requests_per_minute: int = Field(120, ge=2, le=6000)


class SimulatorSettings(_Strict):
    """The embedded simulator (profiles whose base_url is "embedded")."""

    speed: float = Field(1.0, gt=0, le=100_000)  # 10 makes every simulated call ten times faster
    # Lose this share (0 to 1) of the status and AMD webhooks, to watch reconciliation settle the calls.
    drop_webhooks: float = Field(0.0, ge=0, le=1)
    drop_seed: int | None = None  # the same webhooks lost every run


def demo_profiles() -> dict[str, Any]:
    """One profile per provider, all on the embedded simulator, with no credentials to find."""
    return {f"demo-{r.name}": {"provider": r.name, "base_url": EMBEDDED, **r.demo} for r in rooms()}


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
    campaigns: CampaignSettings = Field(default_factory=CampaignSettings)

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
    def _dashed_names(cls, data: Any) -> Any:
        """A variable cannot spell `prod-eu`: VGCONSOLE_PROFILES__PROD_EU__... sets the file's prod-eu, unless
        the file has a prod_eu of its own (then it is that one, by its exact name)."""
        if not isinstance(data, dict) or not isinstance(data.get("profiles"), dict):
            return data
        profiles = dict(data["profiles"])
        in_file = (_FILE_DATA.get() or {}).get("profiles")
        in_file = in_file if isinstance(in_file, dict) else {}
        for name in [n for n in profiles if isinstance(n, str) and "_" in n and n not in in_file]:
            dashed = [n for n in in_file if isinstance(n, str) and n != name and n.replace("-", "_") == name]
            if len(dashed) == 1 and isinstance(profiles[name], dict):  # not a table: the model says so, by name
                profiles[dashed[0]] = _merged(profiles[dashed[0]], profiles.pop(name))
        return {**data, "profiles": profiles}

    @model_validator(mode="before")
    @classmethod
    def _add_demos(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        configured = data.get("profiles") or {}
        if not isinstance(configured, dict):
            return data  # not a table: the model says so, by name
        wanted = str(data.get("demo_profiles", "")).strip().lower()
        if wanted in ("true", "1", "yes", "on") or (wanted in ("", "none") and not configured):
            data = {**data, "profiles": {**demo_profiles(), **configured}}
        return data

    @model_validator(mode="after")
    def _defaults_hold(self) -> Settings:
        if not self.profiles:
            raise FieldValueError("profiles", "no profiles: configure one, or set demo_profiles = true")
        if self.default_profile is None:
            self.default_profile = next(iter(self.profiles))  # the demo profiles come first, in the rooms' order
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

    def profile(self, name: str | None = None) -> BaseProfile:
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
            if key is not None:  # and the forms it takes in a request's headers (IBM's Basic pair, base64)
                found += [key.get_secret_value(), *credential_forms(room(profile.provider).auth_header(
                    key.get_secret_value()))]
        return list(dict.fromkeys(s for s in found if s))


def _number(text: str, region: str, where: str) -> str:
    try:
        return to_e164(text, region)
    except PhoneNumberError as exc:
        raise FieldValueError(where, str(exc)) from None


def _from_default(text: str, region: str, where: str) -> str:
    return _number(text, region, where) if is_phone_like(text) else text


# ---------------------------------------------------------------- loading

_FILE_DATA: ContextVar[dict[str, Any] | None] = ContextVar("vgconsole_config_file_data", default=None)


def _merged(base: Any, over: Any) -> Any:
    """`over` laid on `base`, table by table (the environment's keys win, the file's others stay)."""
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: _merged(base.get(k), v) for k, v in over.items()}}
    return over


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
    except SettingsError as exc:  # a variable whose value had to be JSON (a list, a table) and is not
        raise ConfigError(None, _unreadable_env(exc)) from None
    finally:
        _FILE_DATA.reset(token)
    settings._source = path if data else None
    return settings


def _unreadable_env(exc: SettingsError) -> list[Problem]:
    """Which variable could not be read, and how it is written: pydantic-settings names only the section."""
    section = re.search(r'field "([^"]+)"', str(exc))
    prefix = ENV_PREFIX + (section.group(1).upper() if section else "")
    why = f" ({exc.__cause__})" if exc.__cause__ else ""
    found = []
    for name, value in sorted(os.environ.items()):
        if not name.upper().startswith(prefix) or not _wants_json(name[len(ENV_PREFIX):].lower().split("__"), value):
            continue
        try:
            json.loads(value)
        except ValueError:
            found.append(Problem(f"${name}", f"cannot be read: a list or a table is written as JSON here, e.g. "
                                             f'["one", "two"]{why}'))
    return found or [Problem("environment", f"a VGCONSOLE_ variable cannot be read: {exc}{why}")]


def _wants_json(path: list[str], value: str) -> bool:
    """Whether the setting a variable names holds a list or a table (read as JSON); where the path cannot be
    followed (inside a profile), whether the value was meant as JSON."""
    model: Any = Settings
    for part in path:
        fields = getattr(model, "model_fields", None)
        if not isinstance(fields, dict) or part not in fields:
            return value.lstrip()[:1] in ("[", "{")
        model = fields[part].annotation
    origin = getattr(model, "__origin__", None) or model
    return origin in (list, dict, set, tuple) or isinstance(origin, type) and hasattr(origin, "model_fields")


def _with_env_names(found: list[Problem]) -> list[Problem]:
    """Say so when a bad value came from an environment variable rather than the file."""
    env = {k.upper(): k for k in os.environ}
    result = []
    for p in found:
        parts = p.field.split(".")
        # a variable writes a profile's - as _ (prod-eu is PROD_EU)
        names = [ENV_PREFIX + "__".join(parts[:n]).upper().replace("-", "_") for n in range(len(parts), 0, -1)]
        hit = next((env[n] for n in names if n in env), None)
        if hit is None and len(parts) > 2 and parts[0] == "profiles":  # a profile only variables speak of
            under = f"{ENV_PREFIX}PROFILES__{parts[1].upper()}__"
            named = sorted(v for k, v in env.items() if k.startswith(under))
            in_file = (_FILE_DATA.get() or {}).get("profiles")
            if named and parts[1] not in (in_file if isinstance(in_file, dict) else {}):
                result.append(Problem(p.field, f"{p.message} (profile {parts[1]} comes only from "
                                               f"${', $'.join(named)}: the file has no such profile)"))
                continue
        result.append(Problem(p.field, f"{p.message} (from ${hit})") if hit else p)
    return result
