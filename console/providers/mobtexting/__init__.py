"""MOBtexting voice (OBD): the outgoing/send parameters as MOBtexting documents them."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from console.fields import Common, Declarations, Declared
from console.problems import FieldValueError
from console.providers import Provider
from console.providers.base import Incoming, Room, Webhooks, bearer
from console.providers.mobtexting.profile import MobtextingProfile
from console.status import CallEvent, CallStatus, EventKind
from console.webhooks import BadPayload, parse_json_object, seconds, storable

INTERVALS = (5, 15, 30, 45, 60)


def _number(value: Any) -> str:
    """MOBtexting writes numbers with the country code and no '+': 918867135000."""
    text = str(value).strip()
    return "+" + text if text.isdigit() and len(text) >= 11 else text


def _to(data: dict[str, Any], value: Any) -> None:
    data["to"] = {"type": "phone", "number": _number(value)}


def _bridge(data: dict[str, Any], value: Any) -> None:
    data["from"] = _number(value)


FIELDS: tuple[Declared, ...] = (
    Declared("bridge", _bridge, "text", "call", "the bridge number (a DID of the account) the call comes from",
             "+918068280000", wire="918068280000", common=True, lands="from"),
    Declared("to", _to, "text", "call", "the number to call, with its country code", "+918867135000",
             wire="918867135000", common=True, lands="to"),
    Declared("ivr_id", "mobtexting.flow_id", "text", "call", "the IVR flow to run (Engage > Studio)", "23",
             aliases=("flow_id",), either="plays", common=True),
    Declared("audio", "mobtexting.audio", "text", "call", "a sound to play (Reach > Sounds id) or a public "
             "http(s) URL of an audio file", "39888925-718e-43bb-a8b1-d4a3c0ffee00", either="plays", common=True),
    Declared("name", "mobtexting.name", "text", "campaign", "name of the campaign", "obd_api_call",
             form="mob_name", label="Campaign name"),
    Declared("interval", "mobtexting.interval", "choice", "campaign", "minutes between retries on busy or no "
             "answer", 15, choices=tuple(map(str, INTERVALS)), default="0 (no retries)", form="mob_interval",
             label="Retry every (min)"),
    Declared("webhook_id", "mobtexting.webhook_id", "text", "campaign", "the portal webhook that reports the "
             "call", "7", default="the profile's", form="mob_webhook", label="Webhook id",
             profile_default="webhook_id"),
    Declared("variables", "mobtexting.variables", "json", "campaign", "values for {name} in the flow's text",
             {"name": "Asha"}, open=True),
)

SAMPLE = Common(to="+918867135000", from_="+918068280000", app="23", app_kind="ivr")


def common(c: Common) -> dict[str, Any]:
    """The flags and the form's first fields as MOBtexting's documented paths; what the call plays is said, never
    guessed: a sound id and an IVR flow id look alike."""
    if c.target_type() != "phone":
        raise ValueError("MOBtexting dials phone numbers only")
    for given, what in ((bool(c.headers), "SIP headers"), (c.amd is not None, "answering-machine detection"),
                        (c.timeout is not None, "ring timeout")):
        if given:
            raise ValueError(f"MOBtexting's outgoing/send has no {what}")
    values: dict[str, Any] = {"to": c.to}
    if c.from_:
        values["bridge"] = c.from_
    if c.app:
        kind = c.app_kind or ("audio" if c.app.strip().lower().startswith(("http://", "https://")) else None)
        if kind not in ("ivr", "audio"):
            raise ValueError(f"is {c.app!r} an IVR flow or a sound? Say which: ivr_id={c.app} or audio={c.app} "
                             "(or list it under the profile's applications with kind \"ivr\" or \"audio\")")
        values["ivr_id" if kind == "ivr" else "audio"] = c.app
    return values


# MOBtexting (Asterisk DIALSTATUS style) and the `queued` of its submit response.
# ANSWER / COMPLETED with an end time is a finished call; without one, a call in progress.
STATUS: dict[str, CallStatus] = {
    "queued": CallStatus.QUEUED,
    "ANSWER": CallStatus.ANSWERED,
    "COMPLETED": CallStatus.ANSWERED,
    "BUSY": CallStatus.BUSY,
    "NOANSWER": CallStatus.NO_ANSWER,
    "CANCEL": CallStatus.CANCELED,
    "CONGESTION": CallStatus.FAILED,
    "CHANUNAVAIL": CallStatus.FAILED,
    "RECEIVED": CallStatus.COMPLETED,  # inbound: taken by the IVR
    "MISSED": CallStatus.NO_ANSWER,  # inbound: no agent answered
}


def status(word: str | None, ended: bool = False, failure: str | None = None) -> CallStatus | None:
    """`ended`: the portal reported an end time."""
    if word is None:
        return None
    said = STATUS.get(str(word).strip().upper()) or STATUS.get(str(word).strip())
    return CallStatus.COMPLETED if said is CallStatus.ANSWERED and ended else said


def payload(raw: bytes, content_type: str) -> dict[str, Any]:
    """JSON (leniently: the documented example is not valid JSON), or the form a "Compose Webhook" may send."""
    if "form" in content_type:
        try:
            return storable(dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True)))
        except UnicodeDecodeError:
            raise BadPayload("the form body is not UTF-8 text") from None
    return parse_json_object(raw, lenient=True)


def challenge(body: dict[str, Any]) -> str | None:
    """The portal's webhook verification, {"validation_key", "challenge"}: the challenge to echo back."""
    if isinstance(body.get("challenge"), str) and "validation_key" in body and "mid" not in body:
        return str(body["challenge"])
    return None


def webhook_event(hook: Incoming) -> CallEvent:
    body = hook.early if hook.early is not None else payload(hook.raw, hook.content_type)
    mid = body.get("mid") or body.get("id")
    if mid in (None, ""):
        raise BadPayload("no mid: this is not a MOBtexting call result")
    word = body.get("status")
    if word is not None and not isinstance(word, str):
        raise BadPayload("status is not text")
    ended = bool(body.get("end_at"))
    details = {k: body[k] for k in ("bridge", "from", "to", "source", "flow_id", "start_at", "end_at",
                                    "recording_url", "dtmf") if body.get(k) not in (None, "")}
    return CallEvent(
        profile=hook.profile, provider=Provider.MOBTEXTING, kind=EventKind.STATUS, call_sid=str(mid), token=None,
        status=status(word, ended), provider_status=word, duration=seconds(body.get("duration")) if ended else None,
        received_at=hook.received_at, verified=hook.verified, raw=hook.raw.decode("utf-8", errors="replace"),
        details=details,
    )


def retry_interval(request: dict[str, Any]) -> float:
    """Seconds between MOBtexting's own attempts at a call, from its stored request (`interval`, minutes)."""
    dial = request.get("dial")
    options = dial.get("mobtexting") if isinstance(dial, dict) else None
    return float((options or {}).get("interval") or 0) * 60


def check(request: Any) -> None:
    if request.to.type != "phone":
        raise FieldValueError("to", "MOBtexting dials phone numbers only")
    if not (request.from_ or "").startswith("+"):
        raise FieldValueError("from", "MOBtexting needs the bridge number (a DID) as the caller number")
    if request.mobtexting is None:
        raise FieldValueError("mobtexting", "MOBtexting needs an IVR flow id or an audio")


def gateway() -> type[Any]:
    from console.providers.mobtexting.gateway import MobtextingGateway

    return MobtextingGateway


ROOM = Room(
    name="mobtexting", family="mobtexting", declarations=Declarations("mobtexting", FIELDS, common, SAMPLE),
    status=status,
    webhooks=Webhooks(kinds=frozenset({"mobtexting"}), auth="bearer", parse=webhook_event, early=payload,
                      challenge=challenge),
    auth_header=bearer, targets=("phone",), application_label="IVR flow or audio", plays=("ivr", "audio"),
    sections=frozenset({"mobtexting"}), check=check, title="MOBtexting", retries=retry_interval, gateway=gateway,
    profile=MobtextingProfile,
    demo={"description": "MOBtexting voice on the built-in simulator", "region": "IN", "webhook_id": "1",
          "numbers": [{"number": "+918068280000", "label": "Bengaluru DID"}],
          "applications": [{"id": "351", "name": "Payment reminder IVR", "kind": "ivr"},
                           {"id": "welcome-en", "name": "Welcome message", "kind": "audio"}],
          "defaults": {"from": "+918068280000", "application": "351"}},
)
