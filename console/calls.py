"""The call an operator asks for: DialRequest, its targets, AMD options, tags and SIP headers.

Field names are Python's; nested objects that go on the jambonz wire unchanged (targets, AMD)
carry the camelCase aliases jambonz expects, so `model_dump(by_alias=True)` is the wire form.
Rules and limits come from the jambonz api-server / feature-server code, Cognigy's docs, IBM's
startOutboundCall docs and MOBtexting's outgoing/send docs.
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
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from console.phone import PhoneNumberError, is_phone_like, to_e164
from console.problems import FieldValueError, InvalidInput, Problem, problems_from
from console.providers import Provider

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
_SIP_USER = re.compile(r"^[A-Za-z0-9\-_.!~*'()&=+$,;?/]{1,256}$")
# A national-format number (a trunk prefix 0, digits only), kept as typed rather than guessed at.
_NATIONAL = re.compile(r"^0[0-9]{5,15}$")
_DTMF = re.compile(r"^[0-9*#A-Da-d]{1,32}$")


def _has_control(text: str, allow_tab: bool = False) -> bool:
    return any(unicodedata.category(ch) == "Cc" and not (allow_tab and ch == "\t") for ch in text)


# ---------------------------------------------------------------- shared field checks


def _phone(value: str, info: ValidationInfo) -> str:
    region = (info.context or {}).get("region")
    try:
        return to_e164(value, region)
    except PhoneNumberError as exc:
        raise ValueError(str(exc)) from None


def _absolute_url(value: str) -> str:
    value = value.strip()
    if not re.match(r"^(https?|wss?)://[^\s/?#]+", value):
        raise ValueError(f"{value!r} must be an absolute http(s):// or ws(s):// URL")
    if _has_control(value):
        raise ValueError("URL contains control characters")
    return value


def _sip_uri(value: str) -> str:
    value = value.strip()
    if not _SIP_URI.match(value):
        raise ValueError(f"{value!r} is not a SIP URI (expected sip:user@host or sips:user@host:port)")
    return value


def _hostname(value: str) -> str:
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


def _plain_text(limit: int) -> AfterValidator:
    def check(value: str) -> str:
        value = value.strip()
        if _has_control(value):
            raise ValueError("contains control characters (tabs, line breaks, ...)")
        if len(value) > limit:
            raise ValueError(f"is {len(value)} characters long; the limit is {limit}")
        return value

    return AfterValidator(check)


PhoneNumber = Annotated[str, AfterValidator(_phone)]
AbsoluteUrl = Annotated[str, AfterValidator(_absolute_url)]
SipUri = Annotated[str, AfterValidator(_sip_uri)]
Sid = Annotated[str, AfterValidator(uuid_sid)]
ShortText = Annotated[str, _plain_text(128)]


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


def check_header(name: str, value: Any) -> tuple[str, str]:
    """One custom SIP header: an RFC 3261 token name, a single-line value."""
    name = name.strip()
    if not name:
        raise ValueError("a header needs a name")
    if not _TOKEN.match(name):
        bad = next((c for c in name if not _TOKEN.match(c)), "")
        raise ValueError(f"header name {name!r} has {bad!r}, which SIP header names cannot contain")
    if len(name) > HEADER_NAME_MAX:
        raise ValueError(f"header name {name[:20]!r}... is longer than {HEADER_NAME_MAX} characters")
    if name.lower() in RESERVED_HEADERS:
        raise ValueError(f"{name} is set by the SIP stack and cannot be overridden")
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ValueError(f"header {name}: the value must be text")
    text = str(value)
    if "\r" in text or "\n" in text:
        raise ValueError(f"header {name}: the value contains a line break (CR/LF), which would inject headers")
    if _has_control(text, allow_tab=True):
        raise ValueError(f"header {name}: the value contains control characters")
    text = text.strip()
    if not text:
        raise ValueError(f"header {name}: the value is empty")
    if len(text) > HEADER_VALUE_MAX:
        raise ValueError(f"header {name}: the value is {len(text):,} characters; the limit is {HEADER_VALUE_MAX:,}")
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


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, loc_by_alias=False)


class _WireModel(BaseModel):
    """Sent to jambonz as is: camelCase aliases, snake_case accepted too (config files)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True, loc_by_alias=False
    )


class Webhook(_Model):
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


class SipAuth(_Model):
    """Digest credentials for a trunk that challenges the INVITE."""

    username: Annotated[str, _plain_text(128)]
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


class _Target(_WireModel):
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
        if not user or not _SIP_USER.match(user):
            raise ValueError(f"{value!r} is not a SIP user name (like alice or alice@sip.example.com)")
        if host:
            _hostname(host)
        return value


class TeamsTarget(_Target):
    type: Literal["teams"] = "teams"
    number: PhoneNumber
    tenant: str | None = None  # the Teams tenant FQDN; default: the account's
    vmail: bool = False  # straight to voicemail

    @field_validator("tenant")
    @classmethod
    def _tenant(cls, value: str | None) -> str | None:
        return _hostname(value) if value else None


Target = Annotated[PhoneTarget | SipTarget | UserTarget | TeamsTarget, Field(discriminator="type")]
TARGET_TYPES = ("phone", "sip", "user", "teams")


# ---------------------------------------------------------------- answering-machine detection


class AmdTimers(_WireModel):
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
    vendor: Annotated[str, _plain_text(64)]
    language: Annotated[str, _plain_text(32)] | None = None
    label: Annotated[str, _plain_text(64)] | None = None

    @field_validator("vendor")
    @classmethod
    def _vendor(cls, value: str) -> str:
        if not value:
            raise ValueError("is required (google, microsoft, deepgram, ...)")
        return value


class AmdOptions(_WireModel):
    """Answering-machine detection. `action_hook` is left empty for the console's receiver."""

    action_hook: Webhook | None = None
    threshold_word_count: int = Field(9, ge=1, le=100)
    digit_count: int = Field(0, ge=0, le=32)  # 0 = off
    timers: AmdTimers = Field(default_factory=AmdTimers)
    recognizer: AmdRecognizer | None = None


# ---------------------------------------------------------------- per-provider extras


class SpeechDefaults(_Model):
    """TTS/STT for a call without an application (jambonz needs all five then)."""

    synthesis_vendor: ShortText | None = None
    synthesis_language: ShortText | None = None
    synthesis_voice: ShortText | None = None
    recognizer_vendor: ShortText | None = None
    recognizer_language: ShortText | None = None

    @property
    def complete(self) -> bool:
        return all(getattr(self, name) for name in type(self).model_fields)


class JambonzOptions(_Model):
    """The rest of the `rest:dial` set (accepted by open-source jambonz and by Cognigy)."""

    call_hook: Webhook | None = None  # fetched on answer; needed when there is no application_sid
    call_status_hook: Webhook | None = None  # ignored by jambonz when application_sid is set
    refer_hook: Webhook | None = None
    sip_request_within_dialog_hook: AbsoluteUrl | None = None
    dual_streams: bool | None = None


class CognigyOptions(_Model):
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
            if not _DTMF.match(seq):
                raise ValueError(f"{seq!r} is not a DTMF sequence (digits, *, #, A-D; up to 32)")
        return value

    @model_validator(mode="after")
    def _hook_for_capture(self) -> CognigyOptions:
        if self.dtmf_capture and not self.dtmf_hook:
            raise ValueError("dtmf_capture needs a dtmf_hook to report matches to")
        return self


class IbmOptions(_Model):
    """IBM Voice Gateway startOutboundCall extras."""

    agent: Annotated[str, _plain_text(64)] | None = None  # agent number / tenant id; default: the profile's
    context: dict[str, Any] = Field(default_factory=dict)  # state variables for Watson Assistant
    tenant_config: dict[str, Any] | None = None  # "Advanced JSON configuration properties"
    update_method: Literal["merge", "replace"] | None = None
    sip_auth: SipAuth | None = None  # trunk credentials, sent as tenantConfig.config.outboundCalls.sipAuth
    route: list[SipUri] = Field(default_factory=list)  # SIP Route headers, in order
    # The operator's own status webhook instead of the console's (the console then does not hear the call).
    status_webhook: AbsoluteUrl | None = None
    status_webhook_username: Annotated[str, _plain_text(128)] | None = None
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


MOBTEXTING_INTERVALS = (5, 15, 30, 45, 60)


class MobtextingOptions(_Model):
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
            return _absolute_url(value)
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
            if _has_control(text):
                raise ValueError(f"variable {key}: the value contains control characters")
        return value

    @model_validator(mode="after")
    def _one_of(self) -> MobtextingOptions:
        if bool(self.flow_id) == bool(self.audio):
            raise ValueError("give exactly one of an IVR flow id or an audio (sound id or URL)")
        return self


# ---------------------------------------------------------------- the request


# The union tags pydantic puts into error paths; dropped when showing a field name.
UNION_TAGS = TARGET_TYPES


class DialRequest(_Model):
    """One outbound call as the operator asked for it, validated for its provider.

    Phone numbers are normalised to E.164; pass `context={"region": "DE"}` to `model_validate`
    (or use `DialRequest.build`) so numbers typed without +CC are read in that region.
    """

    provider: Provider
    to: Target
    from_: str | None = Field(None, alias="from")
    caller_name: str | None = None
    from_host: str | None = None
    application_sid: Sid | None = None
    timeout: int | None = None  # seconds to ring
    time_limit: int | None = None  # seconds of talk at most
    amd: AmdOptions | None = None
    tags: Tags = Field(default_factory=dict)
    headers: SipHeaders = Field(default_factory=dict)
    speech: SpeechDefaults | None = None
    jambonz: JambonzOptions | None = None
    cognigy: CognigyOptions | None = None
    ibm: IbmOptions | None = None
    mobtexting: MobtextingOptions | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, loc_by_alias=False, populate_by_name=True)

    @field_validator("from_")
    @classmethod
    def _from(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value:
            return None  # the provider check says whether one is needed
        if value.lower().startswith(("sip:", "sips:")):
            return _sip_uri(value)
        if value.lower().startswith("tel:"):
            return _phone(value[4:], info)
        if _NATIONAL.match(value):
            return value  # a gateway's own number as it stores it (jambonz keeps 02079460000 as typed)
        if is_phone_like(value):
            return _phone(value, info)
        if not _SIP_USER.match(value):
            raise ValueError(f"{value!r} is neither a phone number nor a SIP user name")
        return value

    @field_validator("caller_name")
    @classmethod
    def _caller_name(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if _has_control(value) or '"' in value or "\\" in value:
            raise ValueError('caller name cannot contain quotes, backslashes or control characters')
        if len(value) > 64:
            raise ValueError(f"caller name is {len(value)} characters; the limit is 64")
        return value

    @field_validator("from_host")
    @classmethod
    def _from_host(cls, value: str | None) -> str | None:
        return _hostname(value) if value and value.strip() else None

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= RING_TIMEOUT_MAX_S:
            raise ValueError(f"ring timeout is in seconds, 1 to {RING_TIMEOUT_MAX_S} (got {value})")
        return value

    @field_validator("time_limit")
    @classmethod
    def _time_limit(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= TIME_LIMIT_MAX_S:
            raise ValueError(f"time limit is in seconds, 1 to {TIME_LIMIT_MAX_S} (got {value})")
        return value

    @model_validator(mode="after")
    def _fits_provider(self) -> DialRequest:
        """What this provider's requests may carry and need: its room says (console/providers/)."""
        from console.providers import room, rooms

        place = room(self.provider)
        sections = frozenset().union(*(r.sections for r in rooms()))  # the parts beyond to, from and tags
        for name in sections - place.sections:
            if getattr(self, name):
                owners = " and ".join(r.name for r in rooms() if name in r.sections)
                raise FieldValueError(name, f"not available on {place.name} ({owners} only)")
        if self.from_ is None and place.from_required:
            raise FieldValueError("from", "a caller number or SIP user is needed")
        if self.from_ and self.from_.startswith(("sip:", "sips:")) and not place.from_uri:
            raise FieldValueError("from", "is the user part of the From header (a number or a SIP user), not a URI")
        place.check(self)
        return self

    @classmethod
    def build(cls, data: dict[str, Any], region: str | None = None) -> DialRequest:
        """Validate operator input; raises InvalidInput with every problem, field by field."""
        try:
            return cls.model_validate(data, context={"region": region})
        except ValidationError as exc:
            found = problems_from(exc, UNION_TAGS)
            raise InvalidInput([_public_name(p) for p in found]) from None

    @property
    def destination(self) -> str:
        """The dialled party as one string (number, SIP URI or user)."""
        to = self.to
        if isinstance(to, SipTarget):
            return to.sip_uri
        if isinstance(to, UserTarget):
            return to.name
        return to.number


def _public_name(problem: Problem) -> Problem:
    """`from_` is spelt `from` everywhere an operator sees it."""
    if problem.field == "from_" or problem.field.startswith("from_."):
        return Problem("from" + problem.field[5:], problem.message)
    return problem
