"""jambonz's OpenAPI file, with the differences ../shared/reference/jambonz.md records patched in,
and httpx adapters for openapi-core. Tests using it skip when ../shared is absent."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.conftest import SHARED

SPEC = SHARED / "spec" / "jambonz-api.yaml"
NULL = {"type": "object", "nullable": True, "enum": [None]}
WEBHOOK = {"$ref": "#/components/schemas/Webhook"}


def load_spec() -> dict[str, Any]:
    if not SPEC.exists():
        pytest.skip(f"{SPEC} is not here (it sits beside the project only in the development workspace)")
    yaml = pytest.importorskip("yaml")
    return _string_keys(yaml.safe_load(SPEC.read_text()))


def _string_keys(value: Any) -> Any:
    """YAML reads `200:` as a number; OpenAPI keys are strings."""
    if isinstance(value, dict):
        return {str(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value


def known_differences(spec: dict[str, Any], base_url: str) -> dict[str, Any]:
    """Each patch names the place in reference/jambonz.md that records the code's behaviour."""
    spec = copy.deepcopy(spec)
    spec["servers"] = [{"url": f"{base_url}/v1"}]
    schemas, paths = spec["components"]["schemas"], spec["paths"]
    # §1 table: update is routed for PUT as well as the legacy POST.
    call = paths["/Accounts/{AccountSid}/Calls/{CallSid}"]
    call["put"] = dict(copy.deepcopy(call["post"]), operationId="updateCallPut")
    # §2.3: a 422 on update is text/plain relayed from the feature server, not JSON.
    for method in ("put", "post"):
        call[method]["responses"]["422"] = {
            "description": "state",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    # §5.2 and §6.1: hooks carry the method in capitals; username/password may be null; a hook may be null.
    webhook = schemas["Webhook"]["properties"]
    webhook["method"]["enum"] += ["GET", "POST"]
    for key in ("username", "password"):
        webhook[key] = {"type": "string", "nullable": True}
    for key in ("call_hook", "call_status_hook", "messaging_hook"):
        schemas["Application"]["properties"][key] = {"anyOf": [WEBHOOK, NULL]}
    # §3.1: create-call takes call_hook / call_status_hook as a URL string too.
    create = paths["/Accounts/{AccountSid}/Calls"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    for key in ("call_hook", "call_status_hook"):
        create["properties"][key] = {"anyOf": [WEBHOOK, {"type": "string"}]}
    # §1 table and §8.1/8.2: {total, page_size, page, data}, page and page_size echoed as strings; CDR times are ISO.
    for path in ("/Accounts/{AccountSid}/RecentCalls", "/Accounts/{AccountSid}/Alerts"):
        body = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
        body["page"] = body["page_size"] = {"type": "string"}
        items = body["data"]["items"]["properties"]
        for key in ("attempted_at", "answered_at", "terminated_at"):
            if key in items:
                items[key] = {"type": "string", "format": "date-time"}
    return spec


class OpenApiRequest:
    def __init__(self, request: httpx.Request):
        from openapi_core.datatypes import RequestParameters

        self.host_url = f"{request.url.scheme}://{request.url.netloc.decode()}"
        self.path = request.url.path
        self.method = request.method.lower()
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "")
        self.parameters = RequestParameters(query=ImmutableMultiDict(list(request.url.params.multi_items())),
                                            header=Headers(dict(request.headers)), cookie=ImmutableMultiDict())


class OpenApiResponse:
    def __init__(self, response: httpx.Response):
        self.status_code = response.status_code
        self.data = response.content
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(dict(response.headers))
