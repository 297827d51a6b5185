"""Our call model against jambonz's own OpenAPI file, where it is available beside the project."""

from __future__ import annotations

from typing import Any

import pytest

from console.providers import Provider
from console.request_parts import TARGET_TYPES, PhoneTarget, SipTarget, TeamsTarget, UserTarget
from console.status import map_status
from tests.conftest import SHARED

SPEC = SHARED / "spec" / "jambonz-api.yaml"


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    if not SPEC.exists():
        pytest.skip(f"{SPEC} is not here (it sits beside the project only in the development workspace)")
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load(SPEC.read_text())["components"]["schemas"]


def test_target_types_and_fields_are_all_reachable(schemas: dict[str, Any]) -> None:
    target = schemas["Target"]["properties"]
    assert tuple(target["type"]["enum"]) == TARGET_TYPES
    ours = set()
    for model in (PhoneTarget, SipTarget, UserTarget, TeamsTarget):
        ours |= {field.alias or name for name, field in model.model_fields.items()}
    assert set(target) - ours == set()


def test_every_call_status_in_the_spec_maps(schemas: dict[str, Any]) -> None:
    for raw in schemas["Call"]["properties"]["call_status"]["enum"]:
        assert map_status(Provider.JAMBONZ, raw) is not None, raw
