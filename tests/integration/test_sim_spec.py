"""The simulator's jambonz answers against jambonz's own OpenAPI file (openapi-core).

The file is stale in places; where ../shared/reference/jambonz.md records that the code differs, the
code wins and the spec is patched (tests/spec_tools.py), each patch naming the recorded difference. Everything else
must validate as the spec says.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from console.config import DEMO_ACCOUNT_SID, DEMO_APPLICATION_SID
from tests.integration.conftest import MakeSim, client
from tests.integration.sim_helpers import HookRecorder
from tests.spec_tools import OpenApiRequest, OpenApiResponse, known_differences, load_spec


@pytest.fixture(scope="module")
def raw_spec() -> dict[str, Any]:
    return load_spec()


async def test_jambonz_answers_validate_against_the_spec(raw_spec: dict[str, Any], make_sim: MakeSim,
                                                         recorder: HookRecorder) -> None:
    from openapi_core import OpenAPI

    sim = await make_sim("jambonz", speed=200)
    openapi = OpenAPI.from_dict(known_differences(raw_spec, sim.base_url))
    checked: list[str] = []

    def check(response: httpx.Response, status: int) -> httpx.Response:
        assert response.status_code == status, response.text
        openapi.validate_response(OpenApiRequest(response.request), OpenApiResponse(response))
        checked.append(f"{response.request.method} {response.request.url.path} {status}")
        return response

    calls = f"/v1/Accounts/{DEMO_ACCOUNT_SID}/Calls"
    body = {
        "from": "+12125550100",
        "to": {"type": "phone", "number": "+12125550106"},
        "application_sid": DEMO_APPLICATION_SID,
    }
    async with client(sim) as c:
        sid = check(await c.post(calls, json=body), 201).json()["sid"]
        await recorder.wait_for(lambda rs: any(r.json and r.json.get("call_status") == "in-progress" for r in rs))
        check(await c.get(calls), 200)
        check(await c.get(f"{calls}/{sid}"), 200)
        check(await c.put(f"{calls}/{sid}", json={"mute_status": "mute"}), 202)
        check(await c.post(f"{calls}/{sid}", json={"call_status": "completed"}), 202)
        await sim.engine.idle()
        check(await c.put(f"{calls}/{sid}", json={"call_status": "completed"}), 422)
        check(await c.delete(f"{calls}/{sid}"), 204)
        check(await c.get(f"{calls}/{sid}"), 404)
        check(await c.delete(f"{calls}/{sid}"), 404)
        check(await c.get("/v1/PhoneNumbers"), 200)
        check(await c.get("/v1/Applications"), 200)
        check(await c.get(f"/v1/Accounts/{DEMO_ACCOUNT_SID}/WebhookSecret"), 200)
        check(await c.get(f"/v1/Accounts/{DEMO_ACCOUNT_SID}/RecentCalls", params={"page": 1, "count": 10}), 200)
        sim.alerts.add(
            DEMO_ACCOUNT_SID, "webhook-failure", "https://x.example returned 500", detail="Unexpected HTTP Response"
        )
        check(await c.get(f"/v1/Accounts/{DEMO_ACCOUNT_SID}/Alerts", params={"page": 1, "count": 10}), 200)
    assert len(checked) == 14


async def test_the_patches_are_needed(raw_spec: dict[str, Any], make_sim: MakeSim) -> None:
    """Each recorded difference is real: without its patch, the same answer fails."""
    from openapi_core import OpenAPI
    from openapi_core.validation.response.exceptions import ResponseValidationError

    sim = await make_sim("jambonz")
    unpatched = copy.deepcopy(raw_spec)
    unpatched["servers"] = [{"url": f"{sim.base_url}/v1"}]
    openapi = OpenAPI.from_dict(unpatched)
    async with client(sim) as c:
        for response in (await c.get("/v1/Applications"),
                         await c.get(f"/v1/Accounts/{DEMO_ACCOUNT_SID}/RecentCalls", params={"page": 1, "count": 10})):
            with pytest.raises(ResponseValidationError):
                openapi.validate_response(OpenApiRequest(response.request), OpenApiResponse(response))
