"""The incident page shows what ``incident show`` shows: matrix and reasons, SLA clocks,
timeline, checklist, the playbook's scripts with their approval state, and the mentions,
every outside text escaped."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import yaml
from fastapi.testclient import TestClient

from monitor.app import App
from monitor.db.models import IncidentMention
from monitor.incidents.states import STATES
from monitor.incidents.testing import add_scored_mention, open_test_incident
from monitor.web.i18n import catalogue
from monitor.web.testing import add_user, log_in, web_client
from playbooks import ALL_GRADES


def opened(app: App, **fields: Any) -> int:
    """An open incident of the example organisation, opened now."""
    with app.sessions.begin() as session:
        return open_test_incident(session, ctx=app.incidents, now=app.incidents.clock(),
                                  **fields)


def test_page_shows_matrix_reasons_sla_timeline_and_checklist(app: App,
                                                              client: TestClient) -> None:
    incident_id = opened(app)
    page = client.get(f"/incidents/{incident_id}")
    assert page.status_code == 200
    html = page.text
    assert "Acme formula contaminated" in html and 'class="grade grade-medium"' in html
    assert "likelihood 3: 90% negative, product_safety 0.70" in html
    assert "impact 3: tier-3 source, 100 followers" in html
    assert html.count('class="cell grade-') == 25 and html.count(" here\"") == 1
    assert "Likelihood 3 × impact 3" in html
    assert len(re.findall(r'<time data-deadline="[^"]+\+00:00"', html)) == 3  # ack, response, next
    assert "acknowledge within 1h" in html
    assert "opened: 1 mentions (1 negative)" in html  # the timeline, as incident show says it
    assert "alert opened (level 1) -&gt; console, risk-slack" in html
    assert "Confirm the facts and their spread" in html and html.count('name="key"') == 6
    assert 'data-live="/incidents/1/timeline"' in html
    assert 'href="/stories/' in html


def test_scripts_show_their_approval_state_and_only_usable_ones_can_be_picked(
        app: App, client: TestClient) -> None:
    held = next(s for s in app.incidents.scripts if s.id == "general.holding.en")
    unreviewed = dataclasses.replace(held, reviews=tuple(r for r in held.reviews
                                                         if r.step != "brand"))
    app.incidents = dataclasses.replace(app.incidents, scripts=tuple(
        unreviewed if s.id == held.id else s for s in app.incidents.scripts))
    incident_id = opened(app)
    html = client.get(f"/incidents/{incident_id}").text
    blocks = dict(re.findall(r'<code>([\w.]+)</code>.*?<span class="reason">([^<]*)</span>',
                             html))
    assert blocks["general.holding.en"] == "not approved: needs the brand review"
    assert blocks["general.update.en"].startswith("approved by crisiswatch-defaults")
    assert "customer_complaint.reply.en" not in blocks  # another scenario's script
    options = re.findall(r'<option value="([\w.]+)">', html)
    assert "general.update.en" in options and "general.holding.en" not in options
    assert "general.holding.zh" in options
    # the usable script's placeholders are filled for this incident
    assert "Update from Lumina Dairy" in html


def test_mention_text_is_shown_as_text_and_only_web_links_are_links(
        app: App, client: TestClient) -> None:
    incident_id = opened(app, text="<script>alert(1)</script> formula contaminated, kids ill",
                         url="https://example.com/post?a=1&b=<2>")
    with app.sessions.begin() as session:
        bad = add_scored_mention(session, text="see javascript link", at=app.incidents.clock(),
                                 url="javascript:alert(2)")
        session.add(IncidentMention(incident_id=incident_id, mention_id=bad))
    html = client.get(f"/incidents/{incident_id}").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; formula contaminated" in html
    assert ('<a href="https://example.com/post?a=1&amp;b=&lt;2&gt;" '
            'rel="noopener noreferrer"') in html
    assert "javascript:alert(2)" not in html and "see javascript link" in html


def test_mentions_are_paged(app: App, client: TestClient) -> None:
    incident_id = opened(app)
    with app.sessions.begin() as session:
        for n in range(4):
            m = add_scored_mention(session, text=f"extra post {n}", at=app.incidents.clock())
            session.add(IncidentMention(incident_id=incident_id, mention_id=m))
    first = client.get(f"/incidents/{incident_id}?limit=2").text
    assert "1–2 of 5" in first and first.count("extra post") == 2
    assert "offset=2" in first
    last = client.get(f"/incidents/{incident_id}?limit=2&offset=4").text
    assert "5–5 of 5" in last and "Acme formula contaminated, several children" in last


def test_page_in_chinese_and_for_a_viewer_without_buttons(app: App) -> None:
    incident_id = opened(app)
    add_user(app, "vic", role="viewer")
    viewer = web_client(app)
    log_in(viewer, "vic")
    viewer.cookies.set("cw_lang", "zh")
    html = viewer.get(f"/incidents/{incident_id}").text
    assert "风险矩阵" in html and "处置清单" in html and "待处理" in html
    assert 'action="/incidents/1/ack"' not in html and 'name="key"' not in html
    assert "likelihood 3:" in html  # the library's reasons are shown as they are


def test_unknown_incident_is_a_404_page(client: TestClient) -> None:
    answer = client.get("/incidents/42")
    assert answer.status_code == 404 and "no incident #42" in answer.text


def test_every_incident_key_has_english_and_chinese() -> None:
    from importlib import resources

    folder = resources.files("monitor.web")
    own = yaml.safe_load((folder / "locale" / "incident.yaml").read_text(encoding="utf-8"))
    assert all(key.startswith("incident_") and set(v) == {"en", "zh"} for key, v in own.items())
    used: set[str] = set()
    for name in ("incident.html", "incident_timeline.html"):
        used |= set(re.findall(r"t\('(\w+)'[,)]", (folder / "templates" / name).read_text("utf-8")))
    used |= set(re.findall(r'"(incident_[a-z_]+)"',
                           (folder / "pages" / "incident.py").read_text("utf-8")))
    assert used <= set(catalogue()), used - set(catalogue())
    assert {f"incident_state_{s}" for s in STATES} <= set(own)
    assert {f"incident_grade_{g}" for g in ALL_GRADES} <= set(own)
