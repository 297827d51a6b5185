"""The URLs the console hands to gateways, and how the receiver recognises them.

Every hook URL is the receiver's public base + /hooks/<profile>/<kind>[/<token>], the token being
the attempt id, so each event finds its call even before the gateway has answered the create.
IBM's status webhook also gets Basic credentials per attempt: the password is an HMAC of the attempt
under the receiver's key, so the receiver can check it without keeping a list.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote

IBM_USER = "vgconsole"


@dataclass(frozen=True)
class AttemptHooks:
    status: str  # call:status (Cognigy notifyUrl, jambonz call_status_hook)
    amd: str  # amd.actionHook
    action: str  # Cognigy's actionHook: the outcome when the call ends
    call: str  # jambonz call_hook, answered with verbs when a profile runs without an application
    ibm: str  # IBM statusWebhook
    ibm_username: str
    ibm_password: str


class HookUrls:
    def __init__(self, public_url: str, key: bytes):
        if not key:
            raise ValueError("the hook key must not be empty")
        self.public_url = public_url.rstrip("/")
        self._key = key

    def base(self, profile: str) -> str:
        return f"{self.public_url}/hooks/{quote(profile, safe='')}"

    def for_attempt(self, profile: str, attempt_id: str) -> AttemptHooks:
        base, token = self.base(profile), quote(attempt_id, safe="")
        return AttemptHooks(
            status=f"{base}/status/{token}", amd=f"{base}/amd/{token}", action=f"{base}/action/{token}",
            call=f"{base}/call/{token}", ibm=f"{base}/ibm/{token}", ibm_username=IBM_USER,
            ibm_password=self.ibm_password(profile, attempt_id),
        )

    def status_for_profile(self, profile: str) -> str:
        """For an application's Call Status Webhook: events are matched by call sid instead."""
        return f"{self.base(profile)}/status"

    def mobtexting(self, profile: str) -> str:
        """The portal webhook for a MOBtexting profile (events name their call by `mid`)."""
        return f"{self.base(profile)}/mobtexting"

    def ibm_password(self, profile: str, attempt_id: str) -> str:
        return hmac.new(self._key, f"ibm\x00{profile}\x00{attempt_id}".encode(), hashlib.sha256).hexdigest()[:32]

    def check_ibm(self, profile: str, attempt_id: str, username: str, password: str) -> bool:
        expected = self.ibm_password(profile, attempt_id)
        return hmac.compare_digest(username.encode(), IBM_USER.encode()) & hmac.compare_digest(
            password.encode(), expected.encode()
        )
