"""What a jambonz-family request carries beyond the common parts: the rest of the `rest:dial` set
(open-source jambonz and Cognigy both accept it) and the speech defaults for the call."""

from __future__ import annotations

from console.request_parts import AbsoluteUrl, Model, ShortText, Webhook


class SpeechDefaults(Model):
    """TTS/STT for a call without an application (jambonz needs all five then)."""

    synthesis_vendor: ShortText | None = None
    synthesis_language: ShortText | None = None
    synthesis_voice: ShortText | None = None
    recognizer_vendor: ShortText | None = None
    recognizer_language: ShortText | None = None

    @property
    def complete(self) -> bool:
        return all(getattr(self, name) for name in type(self).model_fields)


class JambonzOptions(Model):
    """The rest of the `rest:dial` set (accepted by open-source jambonz and by Cognigy)."""

    call_hook: Webhook | None = None  # fetched on answer; needed when there is no application_sid
    call_status_hook: Webhook | None = None  # ignored by jambonz when application_sid is set
    refer_hook: Webhook | None = None
    sip_request_within_dialog_hook: AbsoluteUrl | None = None
    dual_streams: bool | None = None
