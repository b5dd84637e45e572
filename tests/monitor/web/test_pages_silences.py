"""/silences: in force and recently ended, added with the CLI's scope and duration, expired;
responders only; each change audited; outside text escaped."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.app import App
from monitor.db.models import AuditEntry, Silence
from monitor.web.testing import add_user, log_in, web_client

SCRIPT = "<script>alert('x')</script>"


def post(client: TestClient, url: str, **data: str) -> int:
    return client.post(url, data={"csrf_token": client.csrf, **data}).status_code  # type: ignore[attr-defined]


def actions(app: App) -> list[tuple[str, str | None, str]]:
    with app.sessions() as s:
        return [(e.action, e.target, e.actor) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action.like("silence.%")).order_by(AuditEntry.id))]


def test_add_then_expire_through_the_forms(app: App, client: TestClient) -> None:
    assert "No silence is in force." in client.get("/silences").text
    assert post(client, "/silences", entity="lumina", category="", source="news-en",
                until="4h", reason=f"known noise {SCRIPT}") == 303
    with app.sessions() as s:
        row = s.scalars(select(Silence)).one()
    assert (row.entity_id, row.category, row.source_id) == ("lumina", None, "news-en")
    assert row.created_by == "li.na"  # the account's person, as actions record it
    assert abs(row.until - app.incidents.clock() - timedelta(hours=4)) < timedelta(minutes=1)
    page = client.get("/silences").text
    active = page[page.index('id="active-silences"'):page.index('id="recent-silences"')]
    assert f'action="/silences/{row.id}/expire"' in active
    assert "known noise &lt;script&gt;" in active and SCRIPT not in page
    assert post(client, f"/silences/{row.id}/expire") == 303
    with app.sessions() as s:
        ended = s.get(Silence, row.id)
        assert ended is not None and ended.until <= app.incidents.clock()
    page = client.get("/silences").text
    recent = page[page.index('id="recent-silences"'):]
    assert f"<td>{row.id}</td>" in recent and "No silence is in force." in page
    assert actions(app) == [("silence.add", f"silence #{row.id}", "ada"),
                            ("silence.expire", f"silence #{row.id}", "ada")]
    assert post(client, "/silences/999/expire") == 404


def test_refusals_say_why_and_store_nothing(app: App, client: TestClient) -> None:
    cases = [
        ({"entity": "no-such-brand", "until": "4h", "reason": "x"}, "unknown entity"),
        ({"source": "no-such-feed", "until": "4h", "reason": "x"}, "unknown source"),
        ({"category": "", "until": "4h", "reason": "x"}, "needs an entity, a category or a source"),
        ({"entity": "lumina", "until": "whenever", "reason": "x"}, "expected a duration"),
        ({"entity": "lumina", "until": "4h", "reason": " "}, "reason must be"),
    ]
    for data, why in cases:
        assert post(client, "/silences", **data) == 303
        assert why in client.get("/silences").text, why
    with app.sessions() as s:
        assert s.scalars(select(Silence)).first() is None
    assert actions(app) == []


def test_category_choices_are_the_configured_ones_and_chinese_is_served(
    app: App, client: TestClient
) -> None:
    page = client.get("/silences").text
    for category in app.incidents.categories:
        assert f'<option value="{category}">' in page
    client.cookies.set("cw_lang", "zh")
    assert "<h1>静默</h1>" in client.get("/silences").text


def test_viewers_see_but_cannot_change(app: App, client: TestClient) -> None:
    assert post(client, "/silences", category="spam", until="1d", reason="noise") == 303
    add_user(app, "vic", role="viewer")
    viewer = web_client(app)
    token = log_in(viewer, "vic")
    page = viewer.get("/silences")
    assert page.status_code == 200 and "Category=spam" in page.text
    assert 'id="add-silence"' not in page.text and "/expire" not in page.text
    assert viewer.post("/silences", data={"csrf_token": token, "category": "spam",
                                          "until": "1h", "reason": "x"}).status_code == 403
    assert viewer.post("/silences/1/expire", data={"csrf_token": token}).status_code == 403
    # a forged form (no CSRF token) is refused too
    assert client.post("/silences/1/expire").status_code == 403
    with app.sessions() as s:
        assert len(list(s.scalars(select(Silence)))) == 1
        assert s.scalars(select(Silence)).one().until > app.incidents.clock()
