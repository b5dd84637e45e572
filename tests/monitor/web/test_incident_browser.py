"""In a real browser: a responder opens an open incident, acknowledges it, sees the state
change, and the escalation engine, with the clock past the next step, pages no one about it
(while an incident nobody acknowledged is escalated)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from config.loader import example_config_path, load_config
from monitor.app import App, open_app
from monitor.db.models import Alert
from monitor.incidents.tick import tick_escalations
from monitor.web.testing import add_user, browser_log_in

from .test_incident_page import opened


class Clock:
    """The application's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Iterator[App]:
    """The example organisation on a private SQLite file, on the test's clock."""
    monkeypatch.chdir(tmp_path)
    with open_app(load_config(example_config_path()), clock=clock) as built:
        yield built


def escalations(app: App, incident_id: int) -> int:
    with app.sessions() as session:
        return session.scalar(select(func.count()).select_from(Alert).where(
            Alert.incident_id == incident_id, Alert.event == "escalated")) or 0


def test_acknowledging_in_the_browser_stops_the_escalation(app: App, clock: Clock,
                                                           page: Any) -> None:
    add_user(app, "rita", role="responder", person="li.na")
    acked, ignored = opened(app), opened(app, text="Acme formula recall demanded by parents")
    browser_log_in(page, "rita")
    page.goto(f"/incidents/{acked}")
    assert page.locator("dd.state").inner_text() == "open"
    countdown = page.locator("time[data-deadline]").first
    assert countdown.inner_text().endswith(" left")  # app.js runs the SLA countdown
    page.fill("#ack-form input[name=note]", "I lead the response")
    page.click("#ack-form button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith(f"/incidents/{acked}")
    assert page.locator("dd.state").inner_text() == "acknowledged"
    assert "escalation stopped" in page.locator(".flash").inner_text()
    assert page.locator("#ack-form").count() == 0
    assert "acknowledged: I lead the response by li.na" in page.locator(".timeline").inner_text()

    clock.now += timedelta(hours=2)  # past every wait of the medium playbook
    with app.sessions.begin() as session:
        tick_escalations(session, ctx=app.incidents, now=clock())
    assert escalations(app, acked) == 0
    assert escalations(app, ignored) > 0  # the same tick did escalate the other one


def test_the_page_fits_a_phone(app: App, page: Any) -> None:
    add_user(app, "rita", role="responder", person="li.na")
    incident_id = opened(app)
    page.set_viewport_size({"width": 375, "height": 800})
    browser_log_in(page, "rita")
    page.goto(f"/incidents/{incident_id}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width} px wide"
    assert page.locator("#ack-form button").is_visible()
    page.screenshot(path=str(Path.cwd() / "incident-375.png"), full_page=True)
