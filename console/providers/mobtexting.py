"""MOBtexting voice (OBD): the outgoing/send parameters as MOBtexting documents them."""

from __future__ import annotations

from typing import Any

from console.fields import Common, Declared

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
    Declared("name", "mobtexting.name", "text", "campaign", "name of the campaign", "obd_api_call"),
    Declared("interval", "mobtexting.interval", "choice", "campaign", "minutes between retries on busy or no "
             "answer", 15, choices=tuple(map(str, INTERVALS)), default="0 (no retries)"),
    Declared("webhook_id", "mobtexting.webhook_id", "text", "campaign", "the portal webhook that reports the "
             "call", "7", default="the profile's"),
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
