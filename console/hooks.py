"""The URLs the console hands to gateways, and how the receiver recognises them.

Every hook URL is the receiver's public base + /hooks/<profile>/<kind>[/<token>], the token being
the attempt id, so each event finds its call even before the gateway has answered the create.
A status webhook that carries Basic credentials (auth "per-call-basic") gets them per attempt: the
password is an HMAC of the attempt under the receiver's key, so the receiver can check it without
keeping a list.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote

HOOK_USER = "vgconsole"


@dataclass(frozen=True)
class AttemptHooks:
    """An attempt's hook URLs (base/<kind>/<token>) and the Basic credentials for the providers whose
    status webhook carries them (auth "per-call-basic")."""

    base: str
    token: str
    username: str
    password: str

    def url(self, kind: str) -> str:
        return f"{self.base}/{kind}/{self.token}"

    @property
    def status(self) -> str:  # call:status (the jambonz family's call_status_hook, Cognigy's notifyUrl)
        return self.url("status")

    @property
    def amd(self) -> str:  # amd.actionHook
        return self.url("amd")

    @property
    def action(self) -> str:  # an actionHook: the outcome when the call ends
        return self.url("action")

    @property
    def call(self) -> str:  # a call_hook, answered with verbs when a profile runs without an application
        return self.url("call")


class HookUrls:
    def __init__(self, public_url: str, key: bytes):
        if not key:
            raise ValueError("the hook key must not be empty")
        self.public_url = public_url.rstrip("/")
        self._key = key

    def base(self, profile: str) -> str:
        return f"{self.public_url}/hooks/{quote(profile, safe='')}"

    def for_attempt(self, profile: str, attempt_id: str) -> AttemptHooks:
        return AttemptHooks(base=self.base(profile), token=quote(attempt_id, safe=""), username=HOOK_USER,
                            password=self.password(profile, attempt_id))

    def status_for_profile(self, profile: str) -> str:
        """For an application's Call Status Webhook: events are matched by call sid instead."""
        return f"{self.base(profile)}/status"

    def for_profile(self, profile: str, kind: str) -> str:
        """A hook set once per profile at the gateway (a portal webhook): its events name their call."""
        return f"{self.base(profile)}/{kind}"

    def password(self, profile: str, attempt_id: str) -> str:
        return hmac.new(self._key, f"attempt\x00{profile}\x00{attempt_id}".encode(), hashlib.sha256).hexdigest()[:32]

    def check_credentials(self, profile: str, attempt_id: str, username: str, password: str) -> bool:
        expected = self.password(profile, attempt_id)
        return hmac.compare_digest(username.encode(), HOOK_USER.encode()) & hmac.compare_digest(
            password.encode(), expected.encode()
        )
