"""The incident queue in a real browser (Chromium under Playwright): a new incident appears
without a reload, countdowns run, and a phone-wide screen does not scroll sideways."""

from __future__ import annotations

from typing import Any

from monitor.app import App
from monitor.web.testing import add_user, browser_log_in


def ingest(app: App, *source_ids: str) -> None:
    """Collect bundled sample sources through the app's pipeline, as `crisiswatch poll` does."""
    for source in app.settings.sources:
        if source.id in source_ids:
            stats = app.poll_source(source)
            assert stats.error is None and stats.new > 0, stats


def test_a_new_incident_appears_live_without_a_reload(app: App, page: Any) -> None:
    add_user(app, "vic", role="viewer")
    browser_log_in(page, "vic")
    page.goto("/incidents")
    assert page.locator("tr[data-incident]").count() == 0
    assert page.locator("tr.queue-empty").is_visible()
    page.evaluate("window.notReloaded = true")
    ingest(app, "x-export")  # the English posts: the formula scare, the app outage, ...
    page.wait_for_selector("tr[data-incident]", timeout=10_000)
    assert page.evaluate("window.notReloaded") is True
    first = page.locator("tr[data-incident]").first
    assert "Lumina" in first.locator("td.queue-title a").inner_text()
    assert first.locator("td.queue-title a").get_attribute("href", timeout=1000).startswith(
        "/incidents/")
    # the countdown was started on the new rows (app.js ticks after each refresh)
    page.wait_for_function(
        "document.querySelector('tr[data-incident] time[data-deadline]')"
        ".textContent.endsWith(' left')", timeout=3_000)
    assert page.locator("[data-grade-count]").count() >= 1


def test_a_phone_wide_queue_does_not_scroll_sideways(app: App, page: Any) -> None:
    ingest(app, "weibo-export", "x-export", "news-en")
    add_user(app, "ada", role="responder")
    page.set_viewport_size({"width": 375, "height": 740})
    browser_log_in(page, "ada")
    page.goto("/incidents?state=all")
    assert page.locator("tr[data-incident]").count() >= 3
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]")
    assert max(widths[:2]) <= widths[2] == 375, widths
    # each row is a card: its title link is on screen, not in a column off to the right
    box = page.locator("td.queue-title a").first.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 375
