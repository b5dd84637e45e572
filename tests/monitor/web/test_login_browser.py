from __future__ import annotations

from typing import Any

from monitor.app import App
from monitor.web.testing import PASSWORD, add_user, browser_log_in


def test_logging_in_in_a_real_browser_reaches_the_account_page(app: App, page: Any) -> None:
    add_user(app, "ada", role="admin", person="li.na")
    page.goto("/account")
    assert "/login" in page.url  # closed without a login
    browser_log_in(page, "ada", PASSWORD)
    page.goto("/account")
    assert page.locator("h1").inner_text() == "Your account"
    cookie = next(c for c in page.context.cookies() if c["name"] == "cw_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
