"""The stories, on-call, sources, silences, reports and users pages in a real browser: usable
on a 375 px phone (nothing scrolls the page sideways), and a silence made and ended by hand."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from monitor.app import App
from monitor.db.models import AuditEntry, Silence
from monitor.digest.run import build_and_write_digest
from monitor.web.testing import add_user, browser_log_in

PAGES = ("/stories", "/stories/1", "/oncall", "/sources", "/silences", "/reports", "/users")
WIDE = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_every_page_fits_a_375px_phone_in_both_languages(app: App, page: Any) -> None:
    for source in app.settings.sources:
        app.poll_source(source)
    build_and_write_digest(app=app, now=app.incidents.clock())
    add_user(app, "ada", role="admin", person="li.na")
    page.set_viewport_size({"width": 375, "height": 800})
    browser_log_in(page, "ada")
    for lang in ("en", "zh"):
        page.goto(f"/lang/{lang}?next=/stories")
        for url in PAGES:
            answer = page.goto(url)
            assert answer is not None and answer.status == 200, url
            assert page.locator("h1").count() == 1, url
            assert page.evaluate(WIDE) <= 0, f"{url} ({lang}) scrolls sideways"


def test_a_silence_is_made_and_expired_through_the_page(app: App, page: Any) -> None:
    add_user(app, "rex", role="responder", person="wang.wei")
    page.set_viewport_size({"width": 375, "height": 800})
    browser_log_in(page, "rex")
    page.goto("/silences")
    page.select_option("#add-silence select[name=entity]", "lumina-kids")
    page.fill("#add-silence input[name=until]", "2h")
    page.fill("#add-silence input[name=reason]", "recall statement <expected>")
    page.click("#add-silence button[type=submit]")
    page.wait_for_load_state()
    assert "Silence #1 added." in page.locator(".flash").inner_text()
    active = page.locator("#active-silences")
    assert "recall statement <expected>" in active.inner_text()
    page.once("dialog", lambda dialog: dialog.accept())  # the "End silence #1 now?" question
    active.locator("button.danger").click()
    page.wait_for_load_state()
    assert "Silence #1 ended." in page.locator(".flash").inner_text()
    assert "No silence is in force." in page.locator("#active-silences").inner_text()
    assert "recall statement" in page.locator("#recent-silences").inner_text()
    with app.sessions() as s:
        row = s.scalars(select(Silence)).one()
        assert row.until <= app.incidents.clock() and row.created_by == "wang.wei"
        done = [e.action for e in s.scalars(select(AuditEntry).where(
            AuditEntry.action.like("silence.%")).order_by(AuditEntry.id))]
    assert done == ["silence.add", "silence.expire"]
