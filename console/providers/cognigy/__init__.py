"""Cognigy Voice Gateway: the jambonz body plus the fields Cognigy documents for its own fork."""

from __future__ import annotations

from typing import Any

from console.fields import Declared
from console.providers import Provider
from console.providers.cognigy.profile import CognigyProfile
from console.providers.jambonz import FAMILY, SAMPLE, common, hook, room

OWN: tuple[Declared, ...] = (
    hook("notifyUrl", "cognigy.notify_url", "hooks", "an extra status webhook beside the application's (default: "
         "this console)", "https://hooks.example.com/notify"),
    hook("actionHook", "cognigy.action_hook", "hooks", "called when the call attempt ends, with its outcome",
         "https://hooks.example.com/action"),
    hook("confirmHook", "cognigy.confirm_hook", "hooks", "an application run on the callee's side after answer, "
         "before connecting", "https://hooks.example.com/confirm"),
    Declared("dtmfCapture", "cognigy.dtmf_capture", "list", "dtmf", "DTMF sequences that notify the dtmfHook",
             ["*1", "#9"], limits="digits, *, #, A-D; up to 32 each; needs dtmfHook"),
    hook("dtmfHook", "cognigy.dtmf_hook", "dtmf", "notified when a dtmfCapture sequence is pressed",
         "https://hooks.example.com/dtmf"),
    Declared("listen", "cognigy.listen", "json", "media", "a nested listen verb: stream the call's audio to a "
             "websocket", {"url": "wss://media.example.com/listen", "mixType": "stereo"}, open=True),
    Declared("transcribe", "cognigy.transcribe", "json", "media", "a nested transcribe verb",
             {"transcriptionHook": "https://hooks.example.com/transcript",
              "recognizer": {"vendor": "google", "language": "en-US"}}, open=True),
)

FIELDS = FAMILY + OWN
__all__ = ["FIELDS", "ROOM", "SAMPLE", "common"]


def gateway() -> type[Any]:
    from console.providers.cognigy.gateway import CognigyGateway

    return CognigyGateway


ROOM = room(Provider.COGNIGY, FIELDS, "Cognigy", gateway, CognigyProfile, "Cognigy Voice Gateway")
