"""Making a campaign: its callees read and checked, its plan checked, its request tried on the first callee;
one place for the command line and the console's form. Nothing is written until all of it is right."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from console.campaigns import ledger
from console.campaigns.callees import Callee, read_callees
from console.campaigns.hours import HoursError
from console.campaigns.policy import DEFAULT_RETRIES, Plan, PlanError, parse_retry
from console.compose import compose
from console.config import ConfigError, Settings
from console.problems import InvalidInput
from console.records import CallRecord

NAME_LIMIT = 100


class SetupProblems(ValueError):
    """What keeps the campaign from being made, each said on its own (a list's rows with their lines)."""

    def __init__(self, problems: list[str], field: str = "") -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.field = field  # the form's field the first problem belongs to


@dataclass(frozen=True)
class Made:
    campaign: dict[str, Any]  # the campaigns row
    rows: list[tuple[int, str, str | None, str]]  # the callees, as ledger.create takes them
    merged: int
    plan: Plan


def retries_from(text: str) -> dict[str, tuple[int, int]]:
    """`busy=2@10m no_answer=1@1h` (spaces or commas between) over the defaults."""
    try:
        return {**DEFAULT_RETRIES, **dict(parse_retry(part) for part in text.replace(",", " ").split())}
    except PlanError as exc:
        raise SetupProblems([str(exc)], "retries") from None


def plan_from(**fields: Any) -> Plan:
    try:
        return Plan(**fields)
    except HoursError as exc:
        raise SetupProblems([str(exc)], "hours") from None
    except PlanError as exc:
        raise SetupProblems([str(exc)], "plan") from None


def checked_name(name: str) -> str:
    """The name as it is kept (NFC: two spellings of `café` are one name), or SetupProblems."""
    name = unicodedata.normalize("NFC", name)
    if not name or len(name) > NAME_LIMIT or not name.isprintable() or name != name.strip() or name[0] == "-":
        raise SetupProblems([f"a name of 1 to {NAME_LIMIT} printable characters, not starting with a space or '-' "
                             "(commands take it as an argument)"], "name")
    return name


def secrets_in(plan: Plan, callees: list[Callee], redact: Callable[[Any], Any]) -> list[str]:
    """What of the plan or the list history's redaction would mask. A campaign keeps its fields in history to
    call every callee with them, after any restart; history never holds a secret, so none may be there."""
    found = []
    for where, values in (("tag", plan.tags), ("header", plan.headers), ("field", plan.sets)):
        found += [f"{where} {key}" for key, value in values.items() if redact({key: value}) != {key: value}]
    columns = sorted({key for callee in callees for key, value in callee.fields.items()
                      if redact({key: value}) != {key: value}})
    found += [f"column {column}" for column in columns]
    return found


def make(settings: Settings, name: str, profile: str, callees: list[Callee], plan: Plan, *, source: str,
         merged: int = 0, redact: Callable[[Any], Any] = lambda value: value) -> Made:
    """`redact`: history's rule; what it would mask is refused (see secrets_in)."""
    name = checked_name(name)
    if secret := secrets_in(plan, callees, redact):
        raise SetupProblems([f"{', '.join(secret)}: looks like a secret, and a campaign keeps its fields in history, "
                             "where secrets never go: put it in the profile's defaults in the config (kept there, "
                             "masked wherever shown), or leave it out"], "request")
    try:
        chosen = settings.profile(profile)
    except ConfigError as exc:
        raise SetupProblems([str(exc)], "profile") from None
    if chosen.read_only or settings.ui.read_only:
        raise SetupProblems([f"profile {profile} is read-only: dialling is off"], "profile")
    if not callees:
        raise SetupProblems(["no callees"], "file")
    first = callees[0]
    try:  # the request every callee gets, checked once now rather than refused at each call
        compose(settings, profile, to=first.number, from_=plan.from_, app=plan.app, tags={**plan.tags, **first.fields},
                headers=plan.headers, amd=plan.amd, timeout=plan.timeout, sets=plan.sets)
    except InvalidInput as exc:
        raise SetupProblems([str(p) for p in exc.problems], "request") from None
    except ValueError as exc:
        raise SetupProblems([str(exc)], "request") from None
    rows = [(x.line, x.number, x.zone, ledger.fields_json(x.fields)) for x in callees]
    campaign = {"name": name, "profile": profile, "state": "active", "plan": json.dumps(plan.to_json()),
                "source": source}
    return Made(campaign, rows, merged, plan)


def from_file(settings: Settings, name: str, profile: str, data: bytes, plan: Plan, *, source: str,
              region: str | None = None, redact: Callable[[Any], Any] = lambda value: value) -> Made:
    """A campaign from a CSV or TSV list: every bad row reported with its line, none taken if one is bad."""
    chosen = settings.profiles.get(profile)
    found = read_callees(data, region or (chosen.region if chosen else None) or settings.default_region)
    if found.problems:
        raise SetupProblems([str(p) for p in found.problems], "file")
    return make(settings, name, profile, found.callees, plan, source=source, merged=found.merged, redact=redact)


def from_calls(settings: Settings, name: str, profile: str, calls: list[CallRecord], plan: Plan, *,
               source: str, redact: Callable[[Any], Any] = lambda value: value) -> Made:
    """A campaign of the numbers of some calls from history (each once, in the order given); what is not a
    phone number (a SIP address, a Teams user) is left out."""
    seen: dict[str, Callee] = {}
    for n, call in enumerate(calls, start=1):
        number = call.to_number or ""
        if call.target_type in (None, "phone") and number.startswith("+") and number not in seen:
            seen[number] = Callee(number, n, {})
    if not seen:
        raise SetupProblems(["none of these calls was to a phone number"], "file")
    return make(settings, name, profile, list(seen.values()), plan, source=source,
                merged=len(calls) - len(seen), redact=redact)
