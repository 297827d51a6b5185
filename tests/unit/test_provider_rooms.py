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


def test_every_provider_has_a_room_with_what_the_console_asks_of_it() -> None:
    assert [r.name for r in rooms()] == [p.value for p in Provider]
    for provider in Provider:
        place = room(provider)
        assert place.declarations.provider == provider.value and place.declarations.fields
        assert place.profile.model_fields["provider"].annotation is not str  # its own Literal
        assert place.gateway().provider is provider  # its client, found through the room
        assert place.targets and place.title and place.webhooks.kinds and place.demo
        assert place.auth_header("k")["Authorization"] in ("Bearer k", "Basic YXBpa2V5Oms=")  # apikey:k
