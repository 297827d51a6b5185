"""A provider lives in its room: nothing outside console/providers/ (and the simulator) names one."""

from __future__ import annotations

import re
from pathlib import Path

from console.providers import Provider, room, rooms

ROOT = Path(__file__).resolve().parents[2] / "console"
# A provider's name as code would spell it: a string literal, or a member of the Provider enum.
NAMED = re.compile(r"""["'](cognigy|jambonz|ibm|mobtexting)["']|Provider\.(COGNIGY|JAMBONZ|IBM|MOBTEXTING)""")


def test_no_module_outside_the_providers_and_the_simulator_names_a_provider() -> None:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        part = path.relative_to(ROOT).parts[0]
        if part in ("providers", "simulator"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if NAMED.search(line):
                found.append(f"{path.relative_to(ROOT.parent)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


# Code, not prose: a provider's name in an identifier (comments, docstrings and messages may cite one).
IDENTIFIER = re.compile(r"(?i)\b\w*(cognigy|jambonz|ibm|mobtexting)\w*\b")
# The request holds one section per room, each typed by the room's own options model.
SECTIONS_OF_THE_REQUEST = "calls.py"


def _code(source: str) -> list[str]:
    """Each line with its docstrings, comments and string literals blanked out."""
    source = re.sub(r'"""[\s\S]*?"""', lambda m: "\n" * m.group(0).count("\n"), source)
    return [re.sub(r"\"[^\"]*\"|'[^']*'", '""', line.split("#")[0]) for line in source.split("\n")]


def test_no_code_outside_the_providers_and_the_simulator_is_named_for_a_provider() -> None:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if path.relative_to(ROOT).parts[0] in ("providers", "simulator") or path.name == SECTIONS_OF_THE_REQUEST:
            continue
        for number, line in enumerate(_code(path.read_text()), 1):
            if IDENTIFIER.search(line):
                found.append(f"{path.relative_to(ROOT.parent)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_the_request_has_one_section_per_room_typed_by_the_room() -> None:
    from console.calls import DialRequest

    for place in rooms():
        annotation = str(DialRequest.model_fields[place.name].annotation)
        assert f"console.providers.{place.name}.options." in annotation, annotation


def test_every_provider_has_a_room_with_what_the_console_asks_of_it() -> None:
    assert [r.name for r in rooms()] == [p.value for p in Provider]
    for provider in Provider:
        place = room(provider)
        assert place.declarations.provider == provider.value and place.declarations.fields
        assert place.profile.model_fields["provider"].annotation is not str  # its own Literal
        assert place.gateway().provider is provider  # its client, found through the room
        assert place.targets and place.title and place.webhooks.kinds and place.demo
        assert place.auth_header("k")["Authorization"] in ("Bearer k", "Basic YXBpa2V5Oms=")  # apikey:k
