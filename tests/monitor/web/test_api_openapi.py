"""/api/v1/openapi.json: behind the login, and it describes every /api/v1 route with the
schema of its answer and its errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute

from monitor.app import App
from monitor.web.app import API, API_PREFIX
from monitor.web.testing import web_client


def test_the_description_needs_a_login(app: App) -> None:
    answer = web_client(app).get("/api/v1/openapi.json")
    assert answer.status_code == 401 and "detail" in answer.json()


def test_every_api_route_is_described_with_its_answer_and_errors(
    app: App, bearer: Callable[..., dict[str, str]]
) -> None:
    client = web_client(app)
    client.headers.update(bearer("vic", role="viewer"))
    schema: dict[str, Any] = client.get("/api/v1/openapi.json").json()
    routes = [r for router in API for r in router.routes if isinstance(r, APIRoute)]
    wanted = {(API_PREFIX + r.path, m.lower()) for r in routes for m in r.methods}
    assert len(wanted) >= 17
    described = {(path, method) for path, ops in schema["paths"].items() for method in ops}
    assert wanted == described
    for resource in ("incidents", "stories", "silences", "sources", "digests"):
        assert f"{API_PREFIX}/{resource}" in schema["paths"]
    for path in ("/incidents/{incident_id}/ack", "/incidents/{incident_id}/merge",
                 "/silences/{silence_id}/expire", "/digests/{file}"):
        assert f"{API_PREFIX}{path}" in schema["paths"]
    components = schema["components"]["schemas"]
    for path, method in wanted:
        operation = schema["paths"][path][method]
        ok = operation["responses"].get("200") or operation["responses"]["201"]
        assert ok["content"], (path, method)
        if not path.endswith("{file}"):
            body = ok["content"]["application/json"]["schema"]
            name = body["$ref"].rsplit("/", 1)[-1]
            assert components[name]["properties"], name
        for status in ("401", "403", "422"):
            error = operation["responses"][status]["content"]["application/json"]["schema"]
            assert error["$ref"].endswith("/ErrorOut")
    detail = components["IncidentDetailOut"]["properties"]
    assert detail["reasons"]["description"] and detail["timeline"]["items"]["$ref"]
    assert "enum" in next(p for p in schema["paths"][f"{API_PREFIX}/incidents"]["get"][
        "parameters"] if p["name"] == "state")["schema"]


def test_the_endpoint_table_of_docs_api_md_matches_the_routes() -> None:
    doc = (Path(__file__).parents[3] / "docs" / "api.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(GET|POST|DELETE) (/[^`]*)` \|", doc, flags=re.MULTILINE)
    documented = {(m, re.sub(r"\{[^}]*\}", "{}", p)) for m, p in rows}
    routes = [r for router in API for r in router.routes if isinstance(r, APIRoute)]
    served = {(m, re.sub(r"\{[^}]*\}", "{}", r.path.replace("{file}", "{name}.{fmt}")))
              for r in routes for m in r.methods} | {("GET", "/openapi.json")}
    assert documented == served
