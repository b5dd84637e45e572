"""The README's picture of the incident queue: the quickstart's story (the bundled samples with
their times moved to just before now, every service job run once) in a real browser at
1280x800. With CRISISWATCH_SCREENSHOTS=1 it is written to docs/images/console-incidents.png
(the committed picture); otherwise to a temporary folder, so a test run leaves the checkout
clean."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from config.loader import LoadedConfig, load_config
from monitor.app import App, open_app
from monitor.db.models import Incident
from monitor.incidents import acknowledge_incident
from monitor.quickstart import prepare_workspace
from monitor.service.runner import run_once
from monitor.web.testing import add_user, browser_log_in

SCREENSHOT = Path(__file__).parents[3] / "docs" / "images" / "console-incidents.png"


@pytest.fixture()
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    """The quickstart's workspace and database after `crisiswatch run --once` (as the
    quickstart runs it, reading the feeds from their files rather than over HTTP)."""
    monkeypatch.chdir(tmp_path)
    ws = prepare_workspace(tmp_path / "qs", now=datetime.now(UTC))
    loaded = load_config(ws.config)
    settings = loaded.settings
    assert settings.inbox is not None
    # the samples were moved into the inbox whole: nothing to wait for (as the quickstart)
    settings = settings.model_copy(update={
        "inbox": settings.inbox.model_copy(update={"settle": timedelta(0)}),
        "alerting": settings.alerting.model_copy(update={"group_wait": timedelta(0)}),
    })
    with open_app(LoadedConfig(settings, loaded.path)) as built:
        failed = [r for r in run_once(built) if not r.ok]
        assert not failed, failed
        yield built


def lend_cjk_font(page: Any) -> None:
    """Give the test browser the digest's bundled Chinese font: this machine has none, and
    a reader's browser would use their own (style.css names the usual ones)."""
    font = Path(__file__).parents[3] / "monitor" / "digest" / "fonts" / \
        "CrisiswatchSansCJK-Regular.otf"
    page.route("**/test-only/cjk.otf",
               lambda route: route.fulfill(path=str(font), content_type="font/otf"))
    page.add_init_script("""document.addEventListener("DOMContentLoaded", () => {
      const style = document.createElement("style");
      style.textContent = "@font-face { font-family: CJK; src: url(/test-only/cjk.otf); }" +
        " body { font-family: system-ui, sans-serif, CJK; }";
      document.head.append(style);
    });""")


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_the_readme_screenshot_of_the_queue(app: App, page: Any, tmp_path: Path) -> None:
    shot = SCREENSHOT if os.environ.get("CRISISWATCH_SCREENSHOTS") else tmp_path / SCREENSHOT.name
    with app.sessions.begin() as session:
        incidents = list(session.scalars(select(Incident).order_by(Incident.id)))
        assert len(incidents) >= 5  # the quickstart's five stories
        # someone owns the formula scare (the first story), so the picture shows that too
        acknowledge_incident(session, ctx=app.incidents, incident_id=incidents[0].id,
                             by="li.na", now=app.incidents.clock())
    add_user(app, "ada", role="responder", person="li.na")
    browser_log_in(page, "ada")
    lend_cjk_font(page)
    page.goto("/incidents")
    assert page.locator("tr[data-incident]").count() == len(incidents)
    page.wait_for_function("[...document.querySelectorAll('time[data-deadline]')]"
                           ".every((t) => / left$|^overdue /.test(t.textContent))")
    page.evaluate("document.fonts.ready")
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot))
    assert png_size(shot) == (1280, 800)
    assert shot.stat().st_size < 300_000
