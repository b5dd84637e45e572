"""/api/v1/digests: the archive lists what ``crisiswatch digest`` wrote, and serves those files
and nothing else (no way out of the folder)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from monitor.app import App
from monitor.digest.period import iso_week
from monitor.digest.run import build_and_write_digest, default_out_dir
from monitor.web.testing import web_client


@pytest.fixture()
def api(app: App, bearer: Callable[..., dict[str, str]]) -> TestClient:
    client = web_client(app)
    client.headers.update(bearer("vic", role="viewer"))
    return client


def test_the_archive_lists_and_serves_what_the_digest_command_wrote(
    filled_app: App, bearer: Callable[..., dict[str, str]]
) -> None:
    app = filled_app
    week = iso_week(week="2026-W47", tz=app.settings.organisation.timezone)
    written = build_and_write_digest(app=app, now=app.incidents.clock(), period=week)
    client = web_client(app)
    client.headers.update(bearer("vic", role="viewer"))
    body = client.get("/api/v1/digests").json()
    assert body["total"] == 1
    item = body["items"][0]
    assert (item["name"], item["period"], item["kind"]) == ("digest-2026-W47", "2026-W47", "week")
    assert (item["first"], item["last"]) == ("2026-11-16", "2026-11-22")
    assert item["formats"] == ["html", "md", "json"]
    for fmt, url in item["urls"].items():
        answer = client.get(url)
        assert answer.status_code == 200
        assert answer.content == written.files[fmt].read_bytes()
    assert client.get(item["urls"]["json"]).headers["content-type"] == "application/json"
    page = client.get(item["urls"]["html"])
    assert page.headers["content-type"].startswith("text/html")
    assert "sandbox" in page.headers["content-security-policy"]


def write(folder: Path, name: str, text: str = "x", when: float | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    if when is not None:
        os.utime(path, (when, when))
    return path


def test_every_period_kind_latest_first_in_pages(app: App, api: TestClient) -> None:
    folder = default_out_dir(app)
    for name in ("digest-2026-W47.md", "digest-2026-11-16.json", "digest-2026-11.html",
                 "digest-2026-Q3.md", "digest-2025.md", "digest-2026-11-01_2026-11-07.md",
                 "digest-custom.md", "notes.md", "digest-2026-W48.pdf", ".digest-2026.md.tmp"):
        write(folder, name)
    body = api.get("/api/v1/digests?limit=100").json()
    got = [(d["name"], d["kind"]) for d in body["items"]]
    assert got == [("digest-2026-11", "month"), ("digest-2026-W47", "week"),
                   ("digest-2026-11-16", "day"), ("digest-2026-11-01_2026-11-07", "range"),
                   ("digest-2026-Q3", "quarter"), ("digest-2025", "year"),
                   ("digest-custom", None)]
    assert body["items"][3]["period"] == "2026-11-01..2026-11-07"
    first = api.get("/api/v1/digests?limit=4").json()
    rest = api.get(first["next"]).json()
    assert [d["name"] for d in first["items"] + rest["items"]] == [n for n, _ in got]


def test_nothing_outside_the_folder_can_be_reached(app: App, api: TestClient,
                                                   tmp_path: Path) -> None:
    folder = default_out_dir(app)
    write(folder, "digest-2026-W47.json", '{"ok": true}')
    write(folder.parent, "secret.json", "the database password")
    write(tmp_path, "outside.json", "outside")
    (folder / "digest-link.json").symlink_to(tmp_path / "outside.json")
    assert api.get("/api/v1/digests/digest-2026-W47.json").json() == {"ok": True}
    for path in ("..%2Fsecret.json", "%2e%2e%2Fsecret.json", "digest-..%2F..%2Fsecret.json",
                 "..%5Csecret.json", "digest-link.json", "digest-2026-W47.txt",
                 "digest-2026-W47", "secret.json", "digest-2026-W47.json%00.html",
                 "digest-nope.json"):
        answer = api.get(f"/api/v1/digests/{path}")
        assert answer.status_code == 404, path
        assert "password" not in answer.text and "outside" not in answer.text
    raw = api.get("/api/v1/digests/../secret.json")
    assert raw.status_code in (401, 404) and "password" not in raw.text


def test_an_empty_archive(api: TestClient) -> None:
    assert api.get("/api/v1/digests").json() == {"items": [], "total": 0, "limit": 50,
                                                  "offset": 0, "next": None, "capped": False}


def test_the_archive_needs_a_login(app: App) -> None:
    assert web_client(app).get("/api/v1/digests/digest-2026-W47.json").status_code == 401
