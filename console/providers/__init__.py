"""The providers: their names, where each vendor's API lives, and the registry of their rooms (one
package per provider, console/providers/<name>/, holding all the console knows of it)."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

from console.fields import Declarations

if TYPE_CHECKING:
    from console.providers.base import Room


class Provider(StrEnum):
    COGNIGY = "cognigy"
    JAMBONZ = "jambonz"
    IBM = "ibm"
    MOBTEXTING = "mobtexting"


# Cognigy Voice Gateway API hosts, from Cognigy's own environment table.
COGNIGY_ENVIRONMENTS: dict[str, str] = {
    "trial-eu": "https://api-vg-trial.cognigy.ai",
    "trial-us": "https://api-vg-trial-us.cognigy.ai",
    "eu": "https://voicegateway-app-vg.cognigy.ai",
    "us": "https://api-vg-us.cognigy.ai",
    "uk": "https://api-vg-uk.cognigy.ai",
    "au": "https://api-vg-au.cognigy.ai",
}

# IBM Voice Agent with Watson gateways (IBM Cloud regions).
IBM_ENVIRONMENTS: dict[str, str] = {
    "us-south": "https://gateway.voiceagent.cloud.ibm.com",
    "us-east": "https://gateway-wdc.voiceagent.cloud.ibm.com",
    "eu-de": "https://gateway-fra04.voiceagent.cloud.ibm.com",
    "eu-de-2": "https://gateway-fra05.voiceagent.cloud.ibm.com",
}

MOBTEXTING_BASE_URL = "https://portal.mobtexting.com"
MOBTEXTING_API_VERSIONS = ("v1", "v2")

# The word that stands for the built-in simulator instead of a URL.
EMBEDDED = "embedded"
# The account and application of the demo profiles, on the built-in simulator.
DEMO_ACCOUNT_SID = "9b1f6c2e-3d4a-4e5b-8c6d-7e8f9a0b1c2d"
DEMO_APPLICATION_SID = "0e06a1b0-d49f-4fb8-b973-b5a3c6758de1"

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def cognigy_company_url(company: str) -> str:
    """A company's dedicated Cognigy SaaS installation."""
    if not _LABEL.match(company):
        raise ValueError(f"company {company!r} must be a DNS label (lowercase letters, digits, '-')")
    return f"https://api-{company}-vg.cognigy.cloud"


def cognigy_cxone_url(region: str) -> str:
    """Cognigy Voice Gateway inside a NiCE CXone region (na1, eu1, ...)."""
    if not _LABEL.match(region):
        raise ValueError(f"cxone region {region!r} must be a DNS label such as 'na1'")
    return f"https://cognigy-vg-api-{region}.nicecxone.com"


def check_base_url(url: str) -> str:
    """A base URL the gateway clients can append API paths to."""
    if url == EMBEDDED:
        return url
    if not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", url):
        raise ValueError(f"{url!r} is not an http(s) URL (or the word 'embedded' for the built-in simulator)")
    return url.rstrip("/")


@cache
def rooms() -> tuple[Room, ...]:
    """Every provider's room (the registry: one module per provider; adding a provider is adding its module here)."""
    from console.providers import cognigy, ibm, jambonz, mobtexting

    return tuple(m.ROOM for m in (cognigy, jambonz, ibm, mobtexting))


@cache
def _by_name() -> dict[str, Room]:
    return {r.name: r for r in rooms()}


def simulated_modes() -> list[str]:
    """The providers whose API the simulator's jambonz server can speak as (`vgconsole simulator --mode`)."""
    return [r.name for r in rooms() if r.family == "jambonz"]


def profile_warnings(profiles: dict[str, Any]) -> list[tuple[str, str]]:
    """(profile, warning) for each configured profile its room has something to say about."""
    found = [(name, room(p.provider).warning(p)) for name, p in profiles.items()]
    return [(name, text) for name, text in found if text]


def room(provider: str) -> Room:
    """A provider's room (asked for on every webhook: a dict look-up)."""
    return _by_name()[provider]


def declarations(provider: str) -> Declarations:
    """The request fields a provider documents."""
    return room(provider).declarations
