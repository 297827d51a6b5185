"""What a provider is to the rest of the console: one `Room` per provider module, found through the
registry (`console.providers.base`). Code outside the providers asks its room, never names a provider."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from console.fields import Declarations

if TYPE_CHECKING:  # the status module names the providers: imported for types only
    from console.status import CallEvent, CallStatus


def bearer(key: str) -> dict[str, str]:
    """An API key sent as a Bearer token (jambonz, Cognigy, MOBtexting)."""
    return {"Authorization": f"Bearer {key}"}


@dataclass(frozen=True)
class Incoming:
    """One webhook as the receiver took it, for the provider to read."""

    kind: str  # the hook kind in its route: status, amd, call, ibm, mobtexting ...
    method: str
    query: dict[str, str]  # a GET hook's event (empty for a POST)
    query_string: str
    raw: bytes
    content_type: str
    early: dict[str, Any] | None  # the body as read before authenticating, for providers that need it then
    profile: str
    token: str | None
    verified: bool
    received_at: datetime


@dataclass(frozen=True)
class Webhooks:
    """How a provider's webhooks are routed, authenticated and read."""

    kinds: frozenset[str]  # the hook kinds its routes take
    # "signature": jambonz's HMAC of the body (or the receiver's Basic credentials); "per-call-basic": the
    # credentials the console handed the gateway with the call; "bearer": a shared secret as Bearer token
    auth: Literal["signature", "per-call-basic", "bearer"]
    parse: Callable[[Incoming], CallEvent]
    # A body read before the sender is known: only to answer a verification challenge without storing.
    early: Callable[[bytes, str], dict[str, Any]] | None = None
    challenge: Callable[[dict[str, Any]], str | None] = lambda payload: None
    get_carries_data: bool = False  # a GET hook's query holds the event (jambonz); else GET is refused
    answers_call: bool = False  # its `call` hook wants verbs back (the profile's answer_verbs)


@dataclass(frozen=True)
class Room:
    name: str
    family: str  # providers that share an API (jambonz and Cognigy): the same simulator, the same lists
    declarations: Declarations
    status: Callable[[str | None, bool, str | None], CallStatus | None]  # word, ended, failure reason
    webhooks: Webhooks
    auth_header: Callable[[str], dict[str, str]]  # the API key as the gateway wants it
    targets: tuple[str, ...]  # what it dials: phone, sip, user, teams
    amd: bool = False  # answering-machine detection
    sip_headers: bool = False  # custom SIP headers on the INVITE
    sections: frozenset[str] = frozenset()  # the parts of a DialRequest it takes beyond to, from and tags
    check: Callable[[Any], None] = lambda request: None  # its own rules on a request (raises FieldValueError)
    from_required: bool = True
    from_uri: bool = False  # `from` may be a SIP URI
    profile: type[Any] = type(None)  # its profile model (a console.profile.BaseProfile)
    demo: dict[str, Any] = field(default_factory=dict)  # its demo profile on the built-in simulator
    # Its gateway client (console.gateways.base.Gateway), imported when first asked for.
    gateway: Callable[[], type[Any]] = lambda: type(None)
    title: str = ""  # its name in a sentence
    # The gateway calls again by itself: seconds between its attempts for a call (its stored request), each
    # attempt reported on its own. None: one attempt per call.
    retries: Callable[[dict[str, Any]], float] | None = None
    application_label: str = "Application"  # what its application is called in the form
    plays: tuple[str, ...] = ()  # what its application can be, when the operator must say (ivr, audio)
    warning: Callable[[Any], str | None] = lambda profile: None  # what an operator of this profile must know
