"""In Chromium: log in, search mentions, relabel one in the review queue, on a phone's width."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from monitor.app import App
from monitor.db.models import Label
from monitor.incidents.testing import add_scored_mention
from monitor.review.queue import review_queue
from monitor.web.testing import add_user, browser_log_in

T0 = datetime(2026, 11, 18, 1, 30, tzinfo=UTC)
ZH = "網傳澜沐奶粉导致婴儿过敏，要求召回！<script>document.title='owned'</script>"


def test_search_then_relabel_from_the_review_queue(app: App, page: Any) -> None:
    add_user(app, "ada", role="admin", person="li.na")
    with app.sessions.begin() as session:
        risky = add_scored_mention(session, text=ZH, at=T0, lang="zh", entities=("lumina-kids",),
                                   source_id="weibo-export", category="product_safety",
                                   grade="high", negative=0.9)
        add_scored_mention(session, text="Lumina recalls batch LK-2611", at=T0 - timedelta(hours=3),
                           entities=("lumina",), source_id="news-en", category="product_safety",
                           grade="medium", negative=0.7)
    browser_log_in(page, "ada")
    page.set_viewport_size({"width": 375, "height": 800})

    page.goto("/mentions")
    page.fill("input[name=q]", "奶粉导致")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert "q=" in page.url
    cards = page.locator("li.mention")
    assert cards.count() == 1
    assert "<script>document.title='owned'</script>" in cards.first.inner_text()
    assert page.title() != "owned"
    assert _fits(page)

    page.goto("/review?days=0")  # the samples' time is fixed, the clock is not
    card = page.locator(f"#mention-{risky}")
    assert card.locator("select[name=category]").input_value() == "product_safety"
    card.locator("select[name=category]").select_option("none")
    card.locator("select[name=intent]").select_option("enquiry")
    card.locator("button[value=save]").click()
    page.wait_for_load_state()
    assert page.url.endswith("/review?days=0")
    assert f"Mention #{risky} labelled" in page.locator(".flash").inner_text()
    assert page.locator(f"#mention-{risky}").count() == 0  # it left the queue
    assert page.locator("li.mention").count() == 1
    assert _fits(page)

    with app.sessions() as session:
        labels = session.execute(select(Label.kind, Label.value, Label.created_by)
                                 .where(Label.mention_id == risky).order_by(Label.id)).all()
        waiting = [m.id for m in review_queue(session, limit=50).mentions]
    assert [tuple(r) for r in labels] == [("sentiment", "negative", "li.na"),
                                          ("category", "none", "li.na"),
                                          ("intent", "enquiry", "li.na")]
    assert risky not in waiting


def _fits(page: Any) -> bool:
    """Nothing is wider than the 375 px screen (no sideways scrolling)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))
