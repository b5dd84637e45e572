"""/mentions search and /review: filters, Chinese substrings, escaping, labelling by form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from monitor.app import App
from monitor.db.models import AuditEntry, Label, Mention
from monitor.incidents.testing import add_scored_mention, open_test_incident
from monitor.web.testing import add_user, log_in, web_client

# 2026-11-18 01:30 in Shanghai is 2026-11-17 17:30 UTC: the day filters are the org's days
T0 = datetime(2026, 11, 17, 17, 30, tzinfo=UTC)
ZH = "網傳澜沐奶粉导致婴儿过敏，要求召回！"


@pytest.fixture()
def seeded(app: App) -> dict[str, int]:
    with app.sessions.begin() as session:
        ids = {
            "zh": add_scored_mention(session, text=ZH, at=T0, lang="zh", entities=("lumina-kids",),
                                     source_id="weibo-export", category="product_safety",
                                     grade="high", negative=0.9),
            "en": add_scored_mention(session, text="Lumina announces a voluntary recall of batch "
                                     "LK-2611", at=T0 - timedelta(days=1), entities=("lumina",),
                                     source_id="news-en", negative=0.3, sentiment="neutral",
                                     url="https://news.example/recall"),
            "praise": add_scored_mention(session, text="Lumina yoghurt is lovely", lang="en",
                                         at=T0 - timedelta(days=3), entities=("lumina",),
                                         source_id="x-export", negative=0.02,
                                         url="javascript:alert(1)"),
            "script": add_scored_mention(session, text="<script>alert('x')</script> Lumina",
                                         at=T0 - timedelta(hours=2), source_id="x-export",
                                         entities=("lumina",), negative=0.5),
        }
        session.execute(update(Mention).where(Mention.id == ids["praise"]).values(
            sentiment="positive",  # sure of it: nothing to review
            sentiment_probs={"positive": 0.95, "neutral": 0.03, "negative": 0.02}))
        ids["incident"] = open_test_incident(session, ctx=app.incidents, now=T0,
                                             text="Lumina formula contaminated, children ill",
                                             entities=("lumina-kids",))
    return ids


def _shown(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"<dd>#(\d+)</dd>", page)]


def test_a_chinese_substring_finds_the_post(client: TestClient, seeded: dict[str, int]) -> None:
    page = client.get("/mentions", params={"q": "奶粉导致"})
    assert page.status_code == 200
    assert _shown(page.text) == [seeded["zh"]]
    assert ZH in page.text and "1 mentions match." in page.text


def test_an_english_word_finds_the_post_case_insensitively(
    client: TestClient, seeded: dict[str, int],
) -> None:
    page = client.get("/mentions", params={"q": "RECALL"})
    assert _shown(page.text) == [seeded["en"]]
    assert '<a href="https://news.example/recall" rel="noopener noreferrer"' in page.text


@pytest.mark.parametrize(("params", "expected"), [
    ({"entity": "lumina-kids"}, ["incident", "zh"]),
    ({"source": "x-export"}, ["script", "praise"]),
    ({"sentiment": "neutral"}, ["en"]),
    ({"category": "product_safety"}, ["incident", "zh"]),
    ({"grade": "high"}, ["zh"]),
    # the org's 2026-11-18 starts at 16:00 UTC on the 17th ("script" is at 15:30 UTC)
    ({"from": "2026-11-18"}, ["incident", "zh"]),
    ({"to": "2026-11-17", "from": "2026-11-16"}, ["script", "en"]),
    ({"q": "Lumina", "source": "x-export", "sentiment": "positive"}, ["praise"]),
])
def test_filters_narrow_the_search(
    client: TestClient, seeded: dict[str, int], params: dict[str, str], expected: list[str],
) -> None:
    with_blanks = {"q": "", "entity": "", "from": "", "to": "", **params}  # as a form sends
    page = client.get("/mentions", params=with_blanks)
    assert page.status_code == 200, page.text
    assert _shown(page.text) == [_mention_of(client, seeded, name) for name in expected]


def _mention_of(client: TestClient, seeded: dict[str, int], name: str) -> int:
    if name != "incident":
        return seeded[name]
    app: App = client.app.state.web.app  # type: ignore[attr-defined]
    with app.sessions() as session:
        return int(session.scalars(select(Mention.id).where(
            Mention.text.startswith("Lumina formula contaminated"))).one())


def test_a_mention_of_an_incident_links_to_it(client: TestClient, seeded: dict[str, int]) -> None:
    page = client.get("/mentions", params={"q": "contaminated"})
    assert f'<a href="/incidents/{seeded["incident"]}">Incident #{seeded["incident"]}</a>' \
        in page.text


def test_mention_text_is_escaped_and_only_web_links_are_links(
    client: TestClient, seeded: dict[str, int],
) -> None:
    page = client.get("/mentions", params={"source": "x-export"})
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Lumina" in page.text
    assert "<script>alert" not in page.text
    assert "javascript:" not in page.text


def test_a_bad_date_is_a_400_saying_so(client: TestClient) -> None:
    page = client.get("/mentions", params={"from": "18/11/2026"})
    assert page.status_code == 400
    assert "not a date (YYYY-MM-DD)" in page.text


def test_pages_are_in_chinese_and_paged(client: TestClient, seeded: dict[str, int]) -> None:
    client.cookies.set("cw_lang", "zh")
    page = client.get("/mentions", params={"limit": 2})
    assert "提及搜索" in page.text and "共 5 条匹配。" in page.text
    assert len(_shown(page.text)) == 2
    assert "offset=2" in page.text  # the next page's link
    assert _shown(client.get("/mentions", params={"limit": 2, "offset": 4}).text) == [
        seeded["praise"]]


def test_the_review_queue_lists_what_the_machines_flagged(
    client: TestClient, seeded: dict[str, int],
) -> None:
    page = client.get("/review", params={"days": 0})  # T0 is fixed, the clock is not
    assert page.status_code == 200
    shown = _shown(page.text)
    assert shown[0] == seeded["zh"]  # the only high one: most severe first
    assert _mention_of(client, seeded, "incident") in shown
    assert seeded["praise"] not in shown  # sure, calm and riskless
    assert f'action="/mentions/{seeded["zh"]}/labels"' in page.text
    assert '<option value="product_safety" selected>' in page.text


def test_confirming_from_the_queue_records_labels_and_audits(
    client: TestClient, app: App, seeded: dict[str, int],
) -> None:
    answer = client.post(f"/mentions/{seeded['zh']}/labels", data={
        "csrf_token": client.csrf, "action": "confirm", "next": "/review?offset=0"})  # type: ignore[attr-defined]
    assert answer.status_code == 303
    assert answer.headers["location"] == "/review?offset=0"
    with app.sessions() as session:
        labels = session.execute(select(Label.kind, Label.value, Label.created_by)
                                 .where(Label.mention_id == seeded["zh"]).order_by(Label.id)).all()
        audit = session.scalars(select(AuditEntry)
                                .where(AuditEntry.action == "mention.label")).one()
    assert [tuple(r) for r in labels] == [("sentiment", "negative", "li.na"),
                                          ("category", "product_safety", "li.na")]
    assert audit.actor == "ada" and audit.target == f"mention #{seeded['zh']}"
    assert audit.detail == {"labels": {"sentiment": "negative", "category": "product_safety"},
                            "confirmed": True}
    page = client.get("/review?days=0")
    assert (f"Mention #{seeded['zh']} confirmed (Sentiment negative, Category product safety)."
            in page.text)
    assert seeded["zh"] not in _shown(page.text)


def test_a_correction_saves_the_chosen_values(
    client: TestClient, app: App, seeded: dict[str, int],
) -> None:
    with app.sessions.begin() as session:
        session.execute(update(Mention).where(Mention.id == seeded["zh"])
                        .values(intent="complaint", intent_probs={"complaint": 0.5}))
    answer = client.post(f"/mentions/{seeded['zh']}/labels", data={
        "csrf_token": client.csrf, "action": "save", "sentiment": "neutral",  # type: ignore[attr-defined]
        "category": "none", "intent": "enquiry", "next": "https://evil.example/"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/review"  # never another site
    with app.sessions() as session:
        labels = session.execute(select(Label.kind, Label.value)
                                 .where(Label.mention_id == seeded["zh"]).order_by(Label.id)).all()
    assert [tuple(r) for r in labels] == [("sentiment", "neutral"), ("category", "none"),
                                          ("intent", "enquiry")]


def test_a_bad_value_is_refused_and_nothing_is_stored(
    client: TestClient, app: App, seeded: dict[str, int],
) -> None:
    answer = client.post(f"/mentions/{seeded['zh']}/labels", data={
        "csrf_token": client.csrf, "action": "save", "category": "gossip"})  # type: ignore[attr-defined]
    assert answer.status_code == 400
    assert "category &#39;gossip&#39; is not one of" in answer.text
    assert client.post("/mentions/999/labels", data={
        "csrf_token": client.csrf, "action": "confirm"}).status_code == 404  # type: ignore[attr-defined]
    with app.sessions() as session:
        assert session.scalars(select(Label)).all() == []


def test_labelling_needs_a_responder_and_the_csrf_token(
    app: App, client: TestClient, seeded: dict[str, int],
) -> None:
    assert client.post(f"/mentions/{seeded['zh']}/labels",
                       data={"action": "confirm"}).status_code == 403  # no CSRF token
    add_user(app, "vic", role="viewer")
    viewer = web_client(app)
    token = log_in(viewer, "vic")
    page = viewer.get("/review?days=0")
    assert page.status_code == 200 and "/labels" not in page.text  # no form to post
    assert viewer.post(f"/mentions/{seeded['zh']}/labels",
                       data={"csrf_token": token, "action": "confirm"}).status_code == 403
    with app.sessions() as session:
        assert session.scalars(select(Label)).all() == []


def test_pages_need_a_login(app: App) -> None:
    anonymous = web_client(app)
    for path in ("/mentions", "/review"):
        answer = anonymous.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_every_word_of_these_pages_is_in_english_and_chinese(app: App) -> None:
    from pathlib import Path

    from classifiers.intent_labels import INTENT_LABELS
    from classifiers.matrix import GRADES
    from classifiers.sentiment import LABELS
    from monitor.web.i18n import catalogue

    folder = Path(__file__).resolve().parents[3] / "monitor" / "web" / "templates"
    used = {key for name in ("mentions.html", "review.html", "mention_card.html")
            for key in re.findall(r"\bt\('([a-z_]+)'", (folder / name).read_text("utf-8"))}
    used |= {f"mentions_sentiment_{v}" for v in (*LABELS, "unknown")}
    used |= {f"mentions_intent_{v}" for v in INTENT_LABELS}
    used |= {f"mentions_grade_{v}" for v in GRADES}
    used |= {f"mentions_category_{v}" for v in (*app.incidents.categories, "none")}
    used |= {"review_confirmed", "review_saved"}
    assert len(used) > 40
    words = catalogue()
    assert [k for k in sorted(used) if not (words.get(k, {}).get("en")
                                            and words.get(k, {}).get("zh"))] == []


def test_the_queue_looks_back_the_chosen_number_of_days(app: App, client: TestClient) -> None:
    now = app.incidents.clock()
    with app.sessions.begin() as session:
        recent = add_scored_mention(session, text="recall", at=now - timedelta(days=3),
                                    category="product_safety", grade="high")
        older = add_scored_mention(session, text="recall", at=now - timedelta(days=10),
                                   category="product_safety", grade="high")
    assert _shown(client.get("/review?days=7").text) == [recent]
    month = client.get("/review").text  # 30 days unless asked
    assert _shown(month) == [recent, older] and '<option value="30" selected>' in month
    assert _shown(client.get("/review?days=0").text) == [recent, older]
