"""The pieces a call request is made of, whatever the provider: targets, webhooks, SIP credentials,
AMD options, tags and SIP headers, and the checks their fields share.

Field names are Python's; nested objects that go on the jambonz-family wire unchanged (targets, AMD)
carry the camelCase aliases that wire expects, so `model_dump(by_alias=True)` is the wire form.
Rules and limits come from the jambonz api-server / feature-server code and the providers' own pages;
each provider's own options are in its room (console/providers/<name>/options.py).
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from console.errors import ConsoleError
from console.phone import PhoneNumberError, to_e164

TAGS_MAX_BYTES = 4096
HEADER_NAME_MAX = 64
HEADER_VALUE_MAX = 1024
HEADERS_MAX_COUNT = 32
HEADERS_MAX_BYTES = 4096
RING_TIMEOUT_MAX_S = 600
TIME_LIMIT_MAX_S = 86_400

# RFC 3261 `token`: the characters a header name may use.
_TOKEN = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~]+$")
# Headers the SIP stack owns; letting an operator set them breaks the dialog.
RESERVED_HEADERS = frozenset(
    h.lower()
    for h in (
        "Via", "From", "To", "Call-ID", "CSeq", "Contact", "Max-Forwards", "Content-Length",
        "Content-Type", "Route", "Record-Route", "Authorization", "Proxy-Authorization",
        "WWW-Authenticate", "Proxy-Authenticate", "Expires",
        "v", "f", "t", "i", "m", "l", "c",  # compact forms of the above
    )
)
_SIP_URI = re.compile(r"^sips?:(?:[^@\s<>\"]+@)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+)(?::\d{1,5})?(?:;[^\s<>\"]*)?$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?$"
)
# SIP user part (RFC 3261 `user`, unescaped), for a `from` that is not a phone number.
SIP_USER = re.compile(r"^[A-Za-z0-9\-_.!~*'()&=+$,;?/]{1,256}$")
# A national-format number (a trunk prefix 0, digits only), kept as typed rather than guessed at.
NATIONAL = re.compile(r"^0[0-9]{5,15}$")
DTMF = re.compile(r"^[0-9*#A-Da-d]{1,32}$")


def has_control(text: str, allow_tab: bool = False) -> bool:
    return any(unicodedata.category(ch) == "Cc" and not (allow_tab and ch == "\t") for ch in text)


# ---------------------------------------------------------------- shared field checks


def phone_e164(value: str, info: ValidationInfo) -> str:
    region = (info.context or {}).get("region")
    try:
        return to_e164(value, region)
    except PhoneNumberError as exc:
        raise ValueError(str(exc)) from None


def check_url(value: str) -> str:
    value = value.strip()
    if not re.match(r"^(https?|wss?)://[^\s/?#]+", value):
        raise ValueError(f"{value!r} must be an absolute http(s):// or ws(s):// URL")
    if has_control(value):
        raise ValueError("URL contains control characters")
    return value


def check_sip_uri(value: str) -> str:
    value = value.strip()
    if not _SIP_URI.match(value):
        raise ValueError(f"{value!r} is not a SIP URI (expected sip:user@host or sips:user@host:port)")
    return value


def check_hostname(value: str) -> str:
    value = value.strip()
    if not _HOSTNAME.match(value):
        raise ValueError(f"{value!r} is not a host name (letters, digits, '-' and '.')")
    return value


def uuid_sid(value: str) -> str:
    value = value.strip()
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a sid (a UUID like 0e06a1b0-d49f-4fb8-b973-b5a3c6758de1)") from None
    if str(parsed) != value.lower():
        raise ValueError(f"{value!r} is not a sid in the 8-4-4-4-12 UUID form")
    return value.lower()


def is_sid(text: str) -> bool:
    try:
        uuid_sid(text)
    except ValueError:
        return False
    return True


def plain_text(limit: int) -> AfterValidator:
    def check(value: str) -> str:
        value = value.strip()
        if has_control(value):
            raise ValueError("contains control characters (tabs, line breaks, ...)")
        if len(value) > limit:
            raise ValueError(f"is {len(value)} characters long; the limit is {limit}")
        return value

    return AfterValidator(check)


PhoneNumber = Annotated[str, AfterValidator(phone_e164)]
AbsoluteUrl = Annotated[str, AfterValidator(check_url)]
SipUri = Annotated[str, AfterValidator(check_sip_uri)]
Sid = Annotated[str, AfterValidator(uuid_sid)]
ShortText = Annotated[str, plain_text(128)]


# ---------------------------------------------------------------- tags (JSON metadata)


def parse_json_text(text: str, what: str = "value") -> Any:
    """Parse operator-typed JSON; errors say where."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise ValueError(f"{what} is nested too deeply") from None


def _tags(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = parse_json_text(value, "tags") if value.strip() else {}
    if not isinstance(value, dict):
        raise ValueError(f"tags must be a JSON object ({{\"key\": value}}), not a {type(value).__name__}")
    for key in value:
        if not isinstance(key, str) or not key.strip():
            raise ValueError("tag names must be non-empty text")
    try:
        encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"tags must hold only JSON values: {exc}") from None
    except RecursionError:
        raise ValueError("tags are nested too deeply") from None
    size = len(encoded.encode())
    if size > TAGS_MAX_BYTES:
        raise ValueError(f"tags are {size:,} bytes as JSON; the limit is {TAGS_MAX_BYTES:,}")
    return value


Tags = Annotated[dict[str, Any], BeforeValidator(_tags)]


def tags_from_pairs(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Build tags from an editor's key/value rows: a value that parses as JSON is JSON, else text."""
    result: dict[str, Any] = {}
    for key, raw in pairs:
        key = key.strip()
        if not key:
            raise ValueError("a tag row has a value but no name")
        if key in result:
            raise ValueError(f"tag {key!r} appears twice")
        try:
            result[key] = json.loads(raw)
        except (json.JSONDecodeError, RecursionError):
            result[key] = raw
    return _tags(result)


# ---------------------------------------------------------------- SIP headers


class HeaderError(ConsoleError, ValueError):
    """A SIP header that cannot be sent; `part` says whether its name or its value is at fault."""

    def __init__(self, message: str, part: Literal["name", "value"]):
        super().__init__(message)
        self.part = part


def check_header(name: str, value: Any) -> tuple[str, str]:
    """One custom SIP header: an RFC 3261 token name, a single-line value."""
    name = name.strip()
    if not name:
        raise HeaderError("a header needs a name", "name")
    if not _TOKEN.match(name):
        bad = next((c for c in name if not _TOKEN.match(c)), "")
        raise HeaderError(f"header name {name!r} has {bad!r}, which SIP header names cannot contain", "name")
    if len(name) > HEADER_NAME_MAX:
        raise HeaderError(f"header name {name[:20]!r}... is longer than {HEADER_NAME_MAX} characters", "name")
    if name.lower() in RESERVED_HEADERS:
        raise HeaderError(f"{name} is set by the SIP stack and cannot be overridden", "name")
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise HeaderError(f"header {name}: the value must be text", "value")
    text = str(value)
    if "\r" in text or "\n" in text:
        raise HeaderError(f"header {name}: the value contains a line break (CR/LF), which would inject headers",
                          "value")
    if has_control(text, allow_tab=True):
        raise HeaderError(f"header {name}: the value contains control characters", "value")
    text = text.strip()
    if not text:
        raise HeaderError(f"header {name}: the value is empty", "value")
    if len(text) > HEADER_VALUE_MAX:
        raise HeaderError(f"header {name}: the value is {len(text):,} characters; the limit is {HEADER_VALUE_MAX:,}",
                          "value")
    return name, text


def _headers(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("headers must be a table of name = value")
    if len(value) > HEADERS_MAX_COUNT:
        raise ValueError(f"{len(value)} headers; the limit is {HEADERS_MAX_COUNT}")
    result: dict[str, str] = {}
    seen: set[str] = set()
    for raw_name, raw_value in value.items():
        name, text = check_header(str(raw_name), raw_value)
        if name.lower() in seen:
            raise ValueError(f"header {name} appears twice (header names are case-insensitive)")
        seen.add(name.lower())
        result[name] = text
    size = sum(len(n) + len(v) + 4 for n, v in result.items())
    if size > HEADERS_MAX_BYTES:
        raise ValueError(f"headers add {size:,} bytes to the INVITE; the limit is {HEADERS_MAX_BYTES:,}")
    return result


SipHeaders = Annotated[dict[str, str], BeforeValidator(_headers)]


def headers_from_pairs(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Headers from an editor's name/value rows, each checked; a repeated name is an error, not an overwrite."""
    result: dict[str, str] = {}
    seen: set[str] = set()
    for raw_name, raw_value in pairs:
        name, value = check_header(raw_name, raw_value)
        if name.lower() in seen:
            raise ValueError(f"header {name} appears twice (header names are case-insensitive)")
        seen.add(name.lower())
        result[name] = value
    return _headers(result)


# ---------------------------------------------------------------- building blocks


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, loc_by_alias=False)


class WireModel(BaseModel):
    """Sent to jambonz as is: camelCase aliases, snake_case accepted too (config files)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True, loc_by_alias=False
    )


class Webhook(Model):
    """A jambonz webhook: a URL, the method, optional basic-auth credentials."""

    url: AbsoluteUrl
    method: Literal["GET", "POST"] = "POST"
    username: str | None = None
    password: SecretStr | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"url": value}
        if isinstance(value, dict) and isinstance(value.get("method"), str):
            return {**value, "method": value["method"].upper()}
        return value

    @model_validator(mode="after")
    def _both_or_neither(self) -> Webhook:
        if bool(self.username) != bool(self.password and self.password.get_secret_value()):
            raise ValueError("basic auth needs both a username and a password")
        return self


class SipAuth(Model):
    """Digest credentials for a trunk that challenges the INVITE."""

    username: Annotated[str, plain_text(128)]
    password: SecretStr

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        if not value:
            raise ValueError("is required")
        return value

    @field_validator("password")
    @classmethod
    def _password(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("is required")
        return value


# ---------------------------------------------------------------- targets (the `to` object)


class _Target(WireModel):
    proxy: SipUri | None = None  # send the INVITE via this SIP proxy (X-SIP-Proxy)
    headers: SipHeaders = Field(default_factory=dict)  # merged last into the INVITE


class PhoneTarget(_Target):
    type: Literal["phone"] = "phone"
    number: PhoneNumber
    trunk: ShortText | None = None  # carrier name; an unknown name is silently ignored by jambonz


class SipTarget(_Target):
    type: Literal["sip"] = "sip"
    sip_uri: SipUri
    auth: SipAuth | None = None


class UserTarget(_Target):
    type: Literal["user"] = "user"
    name: str  # a registered SIP user: "alice" (account realm appended) or "alice@realm"
    override_to: ShortText | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        user, _, host = value.partition("@")
        if not user or not SIP_USER.match(user):
            raise ValueError(f"{value!r} is not a SIP user name (like alice or alice@sip.example.com)")
        if host:
            check_hostname(host)
        return value


class TeamsTarget(_Target):
    type: Literal["teams"] = "teams"
    number: PhoneNumber
    tenant: str | None = None  # the Teams tenant FQDN; default: the account's
    vmail: bool = False  # straight to voicemail

    @field_validator("tenant")
    @classmethod
    def _tenant(cls, value: str | None) -> str | None:
        return check_hostname(value) if value else None


Target = Annotated[PhoneTarget | SipTarget | UserTarget | TeamsTarget, Field(discriminator="type")]
TARGET_TYPES = ("phone", "sip", "user", "teams")


# ---------------------------------------------------------------- answering-machine detection


class AmdTimers(WireModel):
    """jambonz AMD timers (milliseconds) with the documented defaults."""

    no_speech_timeout_ms: int = Field(5000, ge=500, le=60_000)
    decision_timeout_ms: int = Field(15_000, ge=1000, le=120_000)
    tone_timeout_ms: int = Field(20_000, ge=1000, le=120_000)
    greeting_completion_timeout_ms: int = Field(2000, ge=100, le=30_000)

    @model_validator(mode="after")
    def _ordered(self) -> AmdTimers:
        if self.no_speech_timeout_ms >= self.decision_timeout_ms:
            raise ValueError(
                f"noSpeechTimeoutMs ({self.no_speech_timeout_ms}) must be shorter than decisionTimeoutMs "
                f"({self.decision_timeout_ms}), or it can never fire"
            )
        return self


class AmdRecognizer(BaseModel):
    """Speech recognizer for AMD; `vendor` is required, other vendor options pass through."""

    model_config = ConfigDict(extra="allow", frozen=True, loc_by_alias=False)
    vendor: Annotated[str, plain_text(64)]
    language: Annotated[str, plain_text(32)] | None = None
    label: Annotated[str, plain_text(64)] | None = None

    @field_validator("vendor")
    @classmethod
    def _vendor(cls, value: str) -> str:
        if not value:
            raise ValueError("is required (google, microsoft, deepgram, ...)")
        return value


class AmdOptions(WireModel):
    """Answering-machine detection. `action_hook` is left empty for the console's receiver."""

    action_hook: Webhook | None = None
    threshold_word_count: int = Field(9, ge=1, le=100)
    digit_count: int = Field(0, ge=0, le=32)  # 0 = off
    timers: AmdTimers = Field(default_factory=AmdTimers)
    recognizer: AmdRecognizer | None = None


# ---------------------------------------------------------------- per-provider extras
