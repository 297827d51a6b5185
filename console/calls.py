"""The call an operator asks for: DialRequest, the parts every provider shares (console/request_parts.py)
and one section per provider's own options, each defined in its room (console/providers/<name>/options.py).
Which sections a provider takes, and what else it needs, its room says."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from console.phone import is_phone_like
from console.problems import FieldValueError, InvalidInput, Problem, problems_from
from console.providers import Provider
from console.providers.cognigy.options import CognigyOptions
from console.providers.ibm.options import IbmOptions
from console.providers.jambonz.options import JambonzOptions, SpeechDefaults
from console.providers.mobtexting.options import MobtextingOptions
from console.request_parts import (
    NATIONAL,
    RING_TIMEOUT_MAX_S,
    SIP_USER,
    TARGET_TYPES,
    TIME_LIMIT_MAX_S,
    AmdOptions,
    Model,
    Sid,
    SipHeaders,
    SipTarget,
    Tags,
    Target,
    UserTarget,
    check_hostname,
    check_sip_uri,
    has_control,
    phone_e164,
)

# The union tags pydantic puts into error paths; dropped when showing a field name.
UNION_TAGS = TARGET_TYPES


class DialRequest(Model):
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
            return check_sip_uri(value)
        if value.lower().startswith("tel:"):
            return phone_e164(value[4:], info)
        if NATIONAL.match(value):
            return value  # a gateway's own number as it stores it (jambonz keeps 02079460000 as typed)
        if is_phone_like(value):
            return phone_e164(value, info)
        if not SIP_USER.match(value):
            raise ValueError(f"{value!r} is neither a phone number nor a SIP user name")
        return value

    @field_validator("caller_name")
    @classmethod
    def _caller_name(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if has_control(value) or '"' in value or "\\" in value:
            raise ValueError('caller name cannot contain quotes, backslashes or control characters')
        if len(value) > 64:
            raise ValueError(f"caller name is {len(value)} characters; the limit is 64")
        return value

    @field_validator("from_host")
    @classmethod
    def _from_host(cls, value: str | None) -> str | None:
        return check_hostname(value) if value and value.strip() else None

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

