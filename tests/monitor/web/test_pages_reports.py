"""/reports: the digest archive newest period first, files served only from the archive
folder (no traversal), and the admin's "write the digest now" (the CLI's library call)."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.app import App
from monitor.db.models import AuditEntry
from monitor.digest.run import default_out_dir
from monitor.web.testing import add_user, log_in, web_client


def archive(app: App) -> Path:
    folder = default_out_dir(app)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_lists_reports_newest_period_first_with_their_formats(
    app: App, client: TestClient
) -> None:
    assert "No report yet" in client.get("/reports").text
    folder = archive(app)
    for name in ("digest-2026-W46.html", "digest-2026-W46.json", "digest-2026-W47.html",
                 "digest-2026-W47.md", "digest-2026-11.html", "digest-2026-11-18.md",
                 "digest-2026-11-01_2026-11-07.json", "notes.txt"):
        (folder / name).write_text("<h1>report</h1>", encoding="utf-8")
    page = client.get("/reports").text
    order = [page.index(f"<td>{label}</td>") for label in
             ("2026-11", "2026-W47", "2026-11-18", "2026-W46", "2026-11-01..2026-11-07")]
    assert order == sorted(order)  # by the end of the period, newest first
    assert 'href="/reports/files/digest-2026-W47.md"' in page
    assert "notes.txt" not in page
    weeks = client.get("/reports?kind=week").text
    assert "<td>2026-W46</td>" in weeks and "<td>2026-11</td>" not in weeks
    client.cookies.set("cw_lang", "zh")
    assert "周报" in client.get("/reports").text


def test_files_are_served_from_the_archive_only(app: App, client: TestClient) -> None:
    folder = archive(app)
    (folder / "digest-2026-W47.html").write_text("<h1>week 47</h1>", encoding="utf-8")
    secret = folder.parent / "digest-2026-W01.html"
    secret.write_text("outside the archive", encoding="utf-8")
    os.symlink(secret, folder / "digest-2026-W02.html")
    served = client.get("/reports/files/digest-2026-W47.html")
    assert served.status_code == 200 and "week 47" in served.text
    assert served.headers["content-type"].startswith("text/html")
    assert "sandbox" in served.headers["content-security-policy"]
    for name in ("..%2Fdigest-2026-W01.html", "..%2F..%2Fcrisiswatch.sqlite",
                 "digest-2026-W02.html", "%2Fetc%2Fpasswd", "..%2F..", "digest-2026-W03.html",
                 "digest-..%2Fdigest-2026-W01.html", "digest-2026-W47.html%00.txt"):
        answer = client.get(f"/reports/files/{name}")
        assert answer.status_code == 404, name
        assert "outside the archive" not in answer.text
    assert client.get("/reports/files/../digest-2026-W01.html").status_code == 404


def test_admin_writes_the_weekly_digest_now_and_it_is_audited(
    app: App, client: TestClient
) -> None:
    answer = client.post("/reports/write", data={"csrf_token": client.csrf})  # type: ignore[attr-defined]
    assert answer.status_code == 303
    written = sorted(p.name for p in default_out_dir(app).iterdir())
    assert len(written) == 3 and all(n.startswith("digest-") for n in written)
    label = written[0].removeprefix("digest-").split(".")[0]
    page = client.get("/reports").text
    assert f"Digest {label} written." in page
    for name in written:
        assert f'href="/reports/files/{name}"' in page
    with app.sessions() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "digest.write")).one()
    assert (entry.actor, entry.target) == ("ada", label)


def test_responders_and_viewers_read_but_do_not_write(app: App) -> None:
    for name, role in (("rex", "responder"), ("vic", "viewer")):
        add_user(app, name, role=role)
        other = web_client(app)
        token = log_in(other, name)
        page = other.get("/reports")
        assert page.status_code == 200 and 'action="/reports/write"' not in page.text
        assert other.post("/reports/write", data={"csrf_token": token}).status_code == 403
    assert not default_out_dir(app).exists() or not any(default_out_dir(app).iterdir())
