"""The incident queue page (GET /incidents) and its live fragment, through the real app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from config.loader import LoadedConfig, example_config_path, load_config
from config.people import Team
from monitor.app import App, open_app
from monitor.db.models import Incident, Story
from monitor.incidents.messages import playbook_for, sla_due
from monitor.web.testing import add_user, log_in, web_client

NOW = datetime.now(UTC).replace(microsecond=0)
_ROW = re.compile(r'<tr data-incident="(\d+)"')


def add_incident(app: App, *, title: str = "an incident", grade: str = "high",
                 state: str = "open", entity: str = "lumina",
                 category: str | None = "product_safety", age: timedelta = timedelta(0),
                 story_entities: dict[str, int] | None = None, **fields: Any) -> int:
    """An incident row as grouping leaves it (only what the queue reads), last seen ``age``
    before NOW."""
    with app.sessions.begin() as session:
        story_id = None
        if story_entities is not None:
            story = Story(title=title, first_seen_at=NOW, last_seen_at=NOW, mention_count=1,
                          entities=story_entities, sources={}, categories={}, created_at=NOW,
                          updated_at=NOW)
            session.add(story)
            session.flush()
            story_id = story.id
        incident = Incident(
            entity_id=entity, category=category, state=state, grade=grade,
            peak_grade=fields.pop("peak_grade", grade), likelihood=4, impact=4, title=title,
            first_seen_at=NOW - age, last_seen_at=NOW - age, opened_at=NOW - age,
            updated_at=NOW - age, mention_count=fields.pop("mention_count", 3),
            story_id=story_id, **fields,
        )
        session.add(incident)
        session.flush()
        return incident.id


def shown_ids(html: str) -> list[int]:
    return [int(i) for i in _ROW.findall(html)]


def test_active_incidents_most_severe_first_then_latest_activity(
        app: App, client: TestClient) -> None:
    low = add_incident(app, grade="low")
    old_high = add_incident(app, grade="high", age=timedelta(hours=3))
    critical = add_incident(app, grade="critical", age=timedelta(days=2))
    new_high = add_incident(app, grade="high", state="acknowledged", age=timedelta(minutes=5))
    medium = add_incident(app, grade="medium")
    add_incident(app, grade="critical", state="resolved")
    add_incident(app, grade="critical", state="false_positive")
    page = client.get("/incidents")
    assert page.status_code == 200
    assert shown_ids(page.text) == [critical, new_high, old_high, medium, low]
    counts = dict(re.findall(r'data-grade-count="(\w+)">(\d+)<', page.text))
    assert counts == {"critical": "1", "high": "2", "medium": "1", "low": "1"}


@pytest.mark.parametrize(("state", "expected"), [
    ("active", {"open", "acknowledged"}), ("open", {"open"}),
    ("acknowledged", {"acknowledged"}), ("resolved", {"resolved"}),
    ("false_positive", {"false_positive"}),
    ("all", {"open", "acknowledged", "resolved", "false_positive"}),
])
def test_the_state_filter(app: App, client: TestClient, state: str, expected: set[str]) -> None:
    ids = {add_incident(app, state=s): s
           for s in ("open", "acknowledged", "resolved", "false_positive")}
    page = client.get("/incidents", params={"state": state})
    assert {ids[i] for i in shown_ids(page.text)} == expected


def test_grade_entity_and_category_filters_combine_and_counts_ignore_the_grade(
        app: App, client: TestClient) -> None:
    wanted = add_incident(app, grade="high", entity="lumina-kids", category="product_safety")
    add_incident(app, grade="medium", entity="lumina-kids", category="product_safety")
    add_incident(app, grade="high", entity="lumina", category="product_safety")
    add_incident(app, grade="high", entity="lumina-kids", category="data_privacy")
    assert len(shown_ids(client.get("/incidents?grade=high").text)) == 3
    assert len(shown_ids(client.get("/incidents?entity=lumina-kids").text)) == 3
    assert len(shown_ids(client.get("/incidents?category=product_safety").text)) == 3
    page = client.get("/incidents?grade=high&entity=lumina-kids&category=product_safety")
    assert shown_ids(page.text) == [wanted]
    # the header still counts every grade under the other filters: a link to each
    assert 'data-grade-count="medium">1<' in page.text
    assert 'data-grade-count="high">1<' in page.text
    # empty form fields are no filter; an unknown value is a one-line 400
    assert len(shown_ids(client.get("/incidents?grade=&entity=&category=&team=").text)) == 4
    for bad in ("grade=severe", "entity=nobody", "category=weather", "state=closed",
                "team=nobody"):
        answer = client.get(f"/incidents?{bad}")
        assert answer.status_code == 400 and bad.split("=")[1] in answer.text


@pytest.fixture()
def teams_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    """The example with two more teams: the product desk owns the formula's safety, the
    privacy desk every data-privacy incident."""
    monkeypatch.chdir(tmp_path)
    loaded = load_config(example_config_path())
    teams = (*loaded.settings.teams,
             Team(id="product", name="Product desk", members=("li.na",),
                  entities=("lumina-kids",), categories=("product_safety",)),
             Team(id="privacy", name="Privacy desk", members=("zhang.min",),
                  categories=("data_privacy",)))
    settings = loaded.settings.model_copy(update={"teams": teams})
    with open_app(LoadedConfig(settings, loaded.path)) as built:
        yield built


def test_the_team_filter_keeps_the_incidents_of_its_entities_in_its_categories(
        teams_app: App) -> None:
    formula_safety = add_incident(teams_app, entity="lumina-kids", category="product_safety")
    formula_privacy = add_incident(teams_app, entity="lumina-kids", category="data_privacy")
    brand_privacy = add_incident(teams_app, entity="lumina", category="data_privacy")
    brand_safety = add_incident(teams_app, entity="lumina", category="product_safety")
    volume = add_incident(teams_app, entity="lumina", category=None)
    add_user(teams_app, "vic", role="viewer")
    client = web_client(teams_app)
    log_in(client, "vic")
    page = client.get("/incidents").text
    assert '<option value="product">Product desk</option>' in page
    assert set(shown_ids(client.get("/incidents?team=product").text)) == {formula_safety}
    assert set(shown_ids(client.get("/incidents?team=privacy").text)) == {
        formula_privacy, brand_privacy}
    # a team with no entities and no categories owns everything
    assert set(shown_ids(client.get("/incidents?team=risk").text)) == {
        formula_safety, formula_privacy, brand_privacy, brand_safety, volume}
    both = client.get("/incidents?team=privacy&entity=lumina").text
    assert shown_ids(both) == [brand_privacy]


def test_pagination_keeps_the_filters(app: App, client: TestClient) -> None:
    ids = [add_incident(app, state="resolved", category="data_privacy",
                        age=timedelta(minutes=n)) for n in range(5)]
    add_incident(app, state="resolved", category="product_safety")
    first = client.get("/incidents?state=resolved&category=data_privacy&limit=2")
    assert shown_ids(first.text) == ids[:2] and "1–2 of 5" in first.text
    links = re.findall(r'<nav class="pager".*?</nav>', first.text, re.S)[0]
    next_link = re.findall(r'href="([^"]+)">Next<', links)[0].replace("&amp;", "&")
    assert "state=resolved" in next_link and "category=data_privacy" in next_link
    assert "offset=2" in next_link and "limit=2" in next_link
    second = client.get(next_link)
    assert shown_ids(second.text) == ids[2:4] and "3–4 of 5" in second.text
    # the fragment's links open the page, not the fragment
    rows = client.get("/incidents/rows?state=resolved&category=data_privacy&limit=2&offset=2")
    assert '/incidents/rows' not in rows.text
    assert re.search(r'href="[^"]*/incidents\?[^"]*offset=4', rows.text)


def test_the_fragment_is_the_live_part_of_the_page(app: App, client: TestClient) -> None:
    first = add_incident(app, title="formula scare")
    page = client.get("/incidents").text
    assert 'data-live="/incidents/rows" data-topic="incidents"' in page
    second = add_incident(app, title="app outage", grade="critical")
    rows = client.get("/incidents/rows")
    assert rows.status_code == 200 and "<html" not in rows.text and "<form" not in rows.text
    assert shown_ids(rows.text) == [second, first]


def test_each_row_links_to_its_incident_and_shows_its_sla(app: App, client: TestClient) -> None:
    opened = add_incident(app, title="formula scare", grade="high", mention_count=11,
                          story_entities={"lumina-kids": 9, "lumina": 11})
    acked = add_incident(app, title="app outage", grade="medium", state="acknowledged",
                         acknowledged_at=NOW, acknowledged_by="li.na",
                         acknowledged_person="li.na", age=timedelta(minutes=1))
    page = client.get("/incidents").text
    row = re.search(rf'<tr data-incident="{opened}">.*?</tr>', page, re.S)
    assert row is not None
    cells = row.group(0)
    link = f'<a href="/incidents/{opened}" title="formula scare">#{opened} formula scare</a>'
    assert link in cells
    assert "Lumina Dairy, Lumina Kids formula" in cells  # its entity first, then the story's
    assert 'class="num">11<' in cells and "Product safety" in cells and ">Open<" in cells
    with app.sessions() as session:
        incident = session.get(Incident, opened)
        assert incident is not None
        due = sla_due(incident, playbook=playbook_for(incident, app.incidents))
    assert due is not None and due[0] is not None and due[1] is not None
    assert f'data-deadline="{due[0].isoformat()}"' in cells
    assert f'data-deadline="{due[1].isoformat()}"' in cells
    other = re.search(rf'<tr data-incident="{acked}">.*?</tr>', page, re.S)
    assert other is not None
    # acknowledged: who did it, as people are shown everywhere, and only the response is due
    assert "李娜 (li.na)" in other.group(0)
    assert other.group(0).count("data-deadline") == 1


def test_closed_incidents_have_no_countdown(app: App, client: TestClient) -> None:
    add_incident(app, state="resolved")
    page = client.get("/incidents?state=resolved").text
    assert len(shown_ids(page)) == 1 and "data-deadline" not in page


def test_a_title_with_markup_shows_as_text(app: App, client: TestClient) -> None:
    add_incident(app, title='<script>alert("x")</script><img src=x onerror=alert(1)>')
    page = client.get("/incidents").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x" in page


def test_a_viewer_can_read_the_queue(app: App) -> None:
    add_incident(app)
    add_user(app, "vic", role="viewer")
    client = web_client(app)
    log_in(client, "vic")
    assert len(shown_ids(client.get("/incidents").text)) == 1
    assert len(shown_ids(client.get("/incidents/rows").text)) == 1


def test_without_a_login_both_routes_redirect_to_the_login(app: App) -> None:
    anonymous = web_client(app)
    for path in ("/incidents?state=all", "/incidents/rows"):
        answer = anonymous.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=")


def test_the_page_in_chinese(app: App, client: TestClient) -> None:
    add_incident(app, entity="lumina-kids", category="data_privacy", state="acknowledged",
                 acknowledged_at=NOW, acknowledged_by="li.na", acknowledged_person="li.na")
    client.cookies.set("cw_lang", "zh")
    page = client.get("/incidents").text
    assert "事件队列" in page and "澜沐儿童奶粉" in page and "数据隐私" in page
    assert "已确认" in page and '<option value="lumina">澜沐乳业</option>' in page


def test_a_page_costs_the_same_few_queries_however_many_rows(
        app: App, client: TestClient) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    def queries() -> int:
        statements.clear()
        event.listen(app.engine, "before_cursor_execute", count)
        try:
            assert client.get("/incidents/rows?state=all").status_code == 200
        finally:
            event.remove(app.engine, "before_cursor_execute", count)
        return sum("incidents" in s or "stories" in s for s in statements)

    add_incident(app, story_entities={"lumina": 1})
    one = queries()
    for n in range(30):
        add_incident(app, grade=("low", "high")[n % 2], story_entities={"lumina": n})
    assert queries() == one == 3  # rows, counts per grade, the rows' stories


def test_every_queue_string_has_english_and_chinese(app: App) -> None:
    from monitor.incidents.states import STATES
    from monitor.web.i18n import catalogue
    from monitor.web.pages.incidents_queue import STATE_CHOICES, category_key
    from playbooks import ALL_GRADES

    folder = Path(__file__).parents[3] / "monitor" / "web" / "templates"
    used: set[str] = set()
    for name in ("incidents_queue.html", "incidents_queue_rows.html"):
        used |= set(re.findall(r"t\('([a-z_]+)'[,)]", (folder / name).read_text("utf-8")))
    used |= {f"queue_state_{s}" for s in (*STATE_CHOICES, *STATES)}
    used |= {f"queue_grade_{g}" for g in ALL_GRADES}
    # every category of the example (and an incident opened on volume alone) has a name
    used |= {str(category_key(c)) for c in (*app.incidents.categories, None)}
    assert used - {"any", "filter", "clear"} <= {k for k in catalogue() if k.startswith("queue_")}
    for key in used:
        assert set(catalogue()[key]) >= {"en", "zh"}, key
