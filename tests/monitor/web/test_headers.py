from __future__ import annotations

from fastapi.testclient import TestClient


def test_pages_forbid_inline_scripts_framing_and_sniffing(client: TestClient) -> None:
    for path in ("/account", "/login", "/healthz", "/static/app.js"):
        answer = client.get(path)
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"


def test_the_pages_carry_no_inline_script(client: TestClient) -> None:
    # the policy would block one: every script is a file under /static
    page = client.get("/account").text
    assert "<script src=\"/static/app.js\" defer></script>" in page
    assert page.count("<script") == 1
