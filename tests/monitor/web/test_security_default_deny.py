"""Default deny: every route of the application, including routes added after this test was
written, refuses a caller without a login, except /healthz and /login."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.testclient import TestClient

from monitor.app import App
from monitor.web.app import create_web_app

OPEN = {"/healthz", "/login"}


def _contexts(app: App) -> list[RouteContext]:
    # FastAPI keeps included routers as branches of app.routes; this walks them with their
    # prefixes and dependencies, as requests see them
    return list(iter_route_contexts(create_web_app(app=app).routes))


def _routes(app: App) -> list[tuple[str, str]]:
    """(method, path with every parameter set to 1) of every route."""
    found = []
    for route in _contexts(app):
        if not isinstance(route.original_route, APIRoute):
            continue  # /static (a mount) and nothing else: asserted below
        path = re.sub(r"\{[^}]+\}", "1", str(route.path))
        found += [(method, path) for method in sorted(route.methods or ())]
    return found


def _refused(response: object, method: str, path: str) -> bool:
    status = response.status_code  # type: ignore[attr-defined]
    if path.startswith("/api/") or path == "/events":
        return status == 401 and "detail" in response.json()  # type: ignore[attr-defined]
    location = response.headers.get("location", "")  # type: ignore[attr-defined]
    # a page asked for comes back after the login; a form posted without one does not
    wanted = f"/login?next={path}" if method == "GET" else "/login"
    return status == 303 and location == wanted


@pytest.mark.parametrize("credentials", [
    {},
    {"cookies": {"cw_session": "forged"}},
    {"headers": {"authorization": "Bearer cw_forged"}},
    {"headers": {"authorization": "Bearer not-even-a-token"}},
])
def test_every_route_refuses_a_caller_without_a_login(app: App, credentials: dict) -> None:
    client = TestClient(create_web_app(app=app), base_url="https://testserver",
                        follow_redirects=False, cookies=credentials.get("cookies"))
    routes = _routes(app)
    assert {path for _, path in routes} >= OPEN | {"/account", "/audit", "/events", "/logout"}
    let_through = []
    for method, path in routes:
        if path in OPEN:
            continue
        answer = client.request(method, path, headers=credentials.get("headers"))
        if not _refused(answer, method, path):
            let_through.append(f"{method} {path}: {answer.status_code}")
    assert let_through == []


def test_only_health_login_and_static_assets_answer_without_a_login(app: App) -> None:
    client = TestClient(create_web_app(app=app), base_url="https://testserver",
                        follow_redirects=False)
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/login").status_code == 200
    assert client.get("/static/app.js").status_code == 200
    mounts = [r.path for r in _contexts(app) if not isinstance(r.original_route, APIRoute)]
    assert mounts == ["/static"]
    # the API's description is behind the login too
    assert client.get("/api/v1/openapi.json").status_code == 401
    assert client.get("/docs").status_code == 404 and client.get("/openapi.json").status_code == 404
