"""The simulator's fixed data: accounts, keys, numbers, applications, carriers, IBM agents,
MOBtexting webhooks and flows. Deterministic, so tests and demos see the same world every time.
The hook URLs the console needs (status hook, MOBtexting webhook) are filled in by whoever starts it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from console.config import DEMO_ACCOUNT_SID, DEMO_APPLICATION_SID

SERVICE_PROVIDER_SID = "2708b1b3-2736-40ea-b502-c53d8396247f"
OTHER_ACCOUNT_SID = "5b2a7a3e-0c6d-4a1e-9d3f-8e7c6b5a4d3c"
ACCOUNT_API_KEY = "3f2c9a1e-7b4d-4c8e-9a6f-1d2e3c4b5a69"
SP_API_KEY = "8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586"
OTHER_ACCOUNT_API_KEY = "c0ffee00-1234-4abc-8def-0123456789ab"
WEBHOOK_SECRET = "wh_secret_vgconsoleDemo7f3k2p9q"
SECOND_APPLICATION_SID = "7a1c3e5f-9b2d-4f6a-8c0e-2d4f6a8c0e1b"
CARRIER_US_SID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
CARRIER_EU_SID = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"
IBM_AGENT = "+12125550150"
IBM_AGENT_NO_OUTBOUND = "+12125550151"  # an instance with outbound calling switched off
IBM_API_KEY = "ibm-demo-apikey-Q2x7Lm4Rt9Vw"
MOBTEXTING_TOKEN = "mobtexting-demo-token-Zk81Hq5Nc3Wp"
MOBTEXTING_WEBHOOK_ID = "1"
MOBTEXTING_FLOWS = ("351", "352")
MOBTEXTING_SOUNDS = ("welcome-en",)


@dataclass
class Seed:
    account_sid: str = DEMO_ACCOUNT_SID
    service_provider_sid: str = SERVICE_PROVIDER_SID
    other_account_sid: str = OTHER_ACCOUNT_SID
    account_api_key: str = ACCOUNT_API_KEY
    sp_api_key: str = SP_API_KEY
    other_account_api_key: str = OTHER_ACCOUNT_API_KEY
    webhook_secret: str = WEBHOOK_SECRET
    sip_realm: str = "sip.demo.vgconsole.invalid"
    teams_tenant: str = "contoso.onmicrosoft.example"
    # Where the seeded applications send call status (None: nowhere, as an application without one).
    status_hook: dict[str, Any] | None = None
    ibm_api_key: str = IBM_API_KEY
    ibm_agents: dict[str, bool] = field(default_factory=lambda: {IBM_AGENT: True, IBM_AGENT_NO_OUTBOUND: False})
    mobtexting_token: str = MOBTEXTING_TOKEN
    # MOBtexting portal webhooks: id -> {"uri", "secret"}; the console fills in its receiver.
    mobtexting_webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    mobtexting_flows: tuple[str, ...] = MOBTEXTING_FLOWS
    mobtexting_sounds: tuple[str, ...] = MOBTEXTING_SOUNDS
    # More numbers (E.164) and applications ({sid: name}) for the account, from a profile's own lists.
    extra_numbers: tuple[str, ...] = ()
    extra_applications: dict[str, str] = field(default_factory=dict)

    @property
    def ibm_agent(self) -> str:
        return next(agent for agent, enabled in self.ibm_agents.items() if enabled)

    def carriers(self) -> list[dict[str, Any]]:
        return [
            {"voip_carrier_sid": CARRIER_US_SID, "name": "Demo Carrier US", "account_sid": None,
             "service_provider_sid": self.service_provider_sid, "is_active": 1, "e164_leading_plus": 1},
            {"voip_carrier_sid": CARRIER_EU_SID, "name": "Demo Carrier EU", "account_sid": None,
             "service_provider_sid": self.service_provider_sid, "is_active": 1, "e164_leading_plus": 1},
        ]

    def phone_numbers(self) -> list[dict[str, Any]]:
        rows = [
            ("12125550100", CARRIER_US_SID, DEMO_APPLICATION_SID),
            ("12125550199", CARRIER_US_SID, SECOND_APPLICATION_SID),
            ("442079460958", CARRIER_EU_SID, DEMO_APPLICATION_SID),
        ]
        known = {number for number, _, _ in rows}
        rows += [(n.lstrip("+"), CARRIER_US_SID, DEMO_APPLICATION_SID) for n in self.extra_numbers
                 if n.lstrip("+") not in known]
        ours = [
            {"phone_number_sid": f"00000000-0000-4000-8000-{i:012d}", "number": number, "voip_carrier_sid": carrier,
             "account_sid": self.account_sid, "application_sid": app, "service_provider_sid": None}
            for i, (number, carrier, app) in enumerate(rows, start=1)
        ]
        # Another customer's number under the same service provider: its key, and the provider's, see it.
        theirs = {"phone_number_sid": "00000000-0000-4000-8000-0000000000ff", "number": "15085550123",
                  "voip_carrier_sid": CARRIER_US_SID, "account_sid": self.other_account_sid, "application_sid": None,
                  "service_provider_sid": None}
        return [*ours, theirs]

    def applications(self) -> list[dict[str, Any]]:
        """jambonz application rows. The verbs run from app_json, so answering needs no web server."""
        status_hook = None
        if self.status_hook:
            status_hook = {"webhook_sid": "11111111-2222-4333-8444-555555555555", "method": "POST",
                           "username": None, "password": None, **self.status_hook}
        # jambonz requires a call_hook on every application; with app_json set it is never fetched.
        call_hook = {"webhook_sid": "11111111-2222-4333-8444-666666666666", "url": "https://apps.demo.vgconsole.invalid/answer",
                     "method": "POST", "username": None, "password": None}
        common = {
            "account_sid": self.account_sid, "service_provider_sid": None, "call_hook": call_hook,
            "call_status_hook": status_hook, "messaging_hook": None,
            "speech_synthesis_vendor": "google", "speech_synthesis_language": "en-US",
            "speech_synthesis_voice": "en-US-Standard-C", "speech_synthesis_label": None,
            "speech_recognizer_vendor": "google", "speech_recognizer_language": "en-US",
            "speech_recognizer_label": None, "use_for_fallback_speech": 0, "env_vars": None,
            "record_all_calls": 0, "created_at": "2026-01-05T09:00:00.000Z",
        }
        say = '[{"verb":"say","text":"Hello from the vgconsole simulator."},{"verb":"pause","length":3600}]'
        apps = [
            {**common, "application_sid": DEMO_APPLICATION_SID, "name": "Demo IVR", "app_json": say},
            {**common, "application_sid": SECOND_APPLICATION_SID, "name": "Survey bot",
             "app_json": '[{"verb":"gather","input":["speech","digits"],"say":{"text":"Press 1 for yes."}}]'},
        ]
        known = {a["application_sid"] for a in apps}
        apps += [{**common, "application_sid": sid, "name": name, "app_json": say}
                 for sid, name in self.extra_applications.items() if sid not in known]
        return apps
