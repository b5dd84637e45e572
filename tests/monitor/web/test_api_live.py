"""The API over real HTTP (uvicorn on a free port, httpx): list, acknowledge, read back."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from monitor.app import App


@pytest.fixture()
def app(filled_app: App) -> App:
    return filled_app


def test_list_then_ack_then_get_over_http(live_url: str,
                                          bearer: Callable[..., dict[str, str]]) -> None:
    headers = bearer("rae", person="li.na")
    with httpx.Client(base_url=f"{live_url}/api/v1", headers=headers, timeout=10) as http:
        assert httpx.get(f"{live_url}/api/v1/incidents").status_code == 401
        listed = http.get("/incidents", params={"state": "open", "limit": 2})
        assert listed.status_code == 200
        page = listed.json()
        assert page["total"] == 7 and len(page["items"]) == 2
        assert page["next"].startswith(live_url)
        first = page["items"][0]["id"]
        acked = http.post(f"/incidents/{first}/ack", json={"note": "taking it"})
        assert acked.status_code == 200 and acked.json()["state"] == "acknowledged"
        shown = http.get(f"/incidents/{first}").json()
        assert shown["acknowledged_by"] == "li.na"
        assert shown["timeline"][-1]["kind"] == "acknowledged"
        assert http.get("/incidents", params={"state": "open"}).json()["total"] == 6
        assert http.post(f"/incidents/{first}/ack").status_code == 409
