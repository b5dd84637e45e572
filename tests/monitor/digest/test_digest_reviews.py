"""The digest's review section: reviews completed in the period, action items overdue at its
end, on SQLite and PostgreSQL, in the HTML, Markdown and JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from monitor.db.engine import make_engine
from monitor.db.migrate import upgrade
from monitor.db.models import Incident
from monitor.digest.figures import build_digest
from monitor.digest.labels import Labels
from monitor.digest.model import Digest
from monitor.digest.period import iso_week
from monitor.digest.render_html import render_html
from monitor.digest.render_json import render_json
from monitor.digest.render_markdown import render_markdown
from monitor.digest.review_figures import overdue_actions
from monitor.digest.testing import sample_inputs
from monitor.incidents.reviews import (
    ActionDraft,
    ReviewChange,
    edit_review,
    list_actions,
    review_view,
    set_action_state,
)
from monitor.incidents.testing import make_context, open_test_incident

PERIOD = iso_week(week="2026-W46", tz="Asia/Shanghai")  # 2026-11-08 16:00 to 11-15 16:00 UTC
START = PERIOD.start_at
HOSTILE = "<script>alert(1)</script> | **x**"


def at(days: float) -> datetime:
    return START + timedelta(days=days)


def _fill(engine: Engine) -> None:
    ctx = make_context()
    with Session(engine) as s, s.begin():
        reviewed = open_test_incident(s, ctx=ctx, now=at(0.5))
        later = open_test_incident(s, ctx=ctx, now=at(1), text="Acme CEO arrested, say posts")
        drill = open_test_incident(s, ctx=ctx, now=at(1.5), text="Acme app down for hours")
        s.execute(update(Incident).where(Incident.id == drill).values(drill=True))

    def action(text: str, due: float, created: float, incident: int = reviewed) -> None:
        with Session(engine) as s, s.begin():
            draft = ActionDraft(text=text, owner="Wen", due_at=at(due))
            edit_review(
                s,
                incident_id=incident,
                change=ReviewChange(actions=(draft,)),
                by="Ana",
                now=at(created),
            )

    action(HOSTILE, due=2, created=1)  # 1: open, overdue
    action("done late", due=2, created=1)  # 2: done after the period's end: overdue at it
    action("done in time", due=2, created=1)  # 3: done before due
    action("due after the end", due=9, created=1)  # 4
    action("made after the end", due=-1, created=8)  # 5: did not exist yet
    action("drill item", due=2, created=1.6, incident=drill)  # 6: a drill's: left out
    with Session(engine) as s, s.begin():
        set_action_state(s, action_id=2, state="done", by="Wen", now=at(7.5))
        set_action_state(s, action_id=3, state="done", by="Wen", now=at(1.5))
        for incident, when in ((reviewed, 3), (later, 7.2), (drill, 3)):
            edit_review(
                s,
                incident_id=incident,
                change=ReviewChange(causes=("slow lab", "no zh statement"), completed=True),
                by="Bo",
                now=at(when),
            )
    with Session(engine) as s, s.begin():  # completed after the period: not in it
        edit_review(
            s, incident_id=later, change=ReviewChange(completed=False), by="Bo", now=at(7.3)
        )
        edit_review(s, incident_id=later, change=ReviewChange(completed=True), by="Bo", now=at(7.4))
        assert review_view(s, incident_id=reviewed, now=at(3)).completed_by == "Bo"


def _digest(engine: Engine, now: datetime) -> Digest:
    with Session(engine) as session:
        return build_digest(session=session, inputs=sample_inputs(), period=PERIOD, now=now)


def _check(engine: Engine) -> None:
    _fill(engine)
    digest = _digest(engine, now=at(10))
    r = digest.reviews
    assert r.as_of == PERIOD.end_at
    assert r.completed_total == 1
    (row,) = r.completed
    assert (row.incident_id, row.completed_by, row.causes, row.actions, row.actions_open) == (
        1,
        "Bo",
        2,
        5,
        3,
    )
    assert PERIOD.start_at <= row.completed_at < PERIOD.end_at
    assert (r.overdue_total, [a.id for a in r.overdue]) == (2, [1, 2])
    assert (r.overdue[0].text, r.overdue[0].owner, r.overdue[0].due_at) == (HOSTILE, "Wen", at(2))
    # judged at the digest's time when the period is still running
    current = _digest(engine, now=at(1.5)).reviews
    assert current.as_of == at(1.5) and current.overdue_total == 0
    with Session(engine) as session:
        assert [a.id for a in overdue_actions(session, as_of=at(10))] == [5, 1, 4]
        assert [a.id for a in overdue_actions(session, as_of=at(10), limit=1)] == [5]
        # ``crisiswatch actions --overdue`` lists the same, with the drill's item: the command
        # shows the database it is given (a drill database holds only drill incidents)
        listed = list_actions(session, now=at(10), overdue=True)
        assert [(a.id, a.overdue) for a in listed] == [(5, True), (1, True), (6, True), (4, True)]
        assert [a.id for a in list_actions(session, now=at(10), states=("done",))] == [2, 3]


def test_reviews_and_overdue_items_on_sqlite(new_engine: Callable[[], Engine]) -> None:
    _check(new_engine())


def test_reviews_and_overdue_items_on_postgresql(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        _check(engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_the_review_section_in_every_format(new_engine: Callable[[], Engine], locale: str) -> None:
    engine = new_engine()
    _fill(engine)
    digest = _digest(engine, now=datetime(2026, 11, 23, tzinfo=UTC))
    labels = Labels(locale, "Asia/Shanghai")
    html = render_html(digest, charts=None, labels=labels, embed_font=False)
    md = render_markdown(digest, labels=labels)
    data = json.loads(render_json(digest))
    title = labels("reviews")
    overdue = labels("overdue_actions", as_of="2026-11-16 00:00 UTC+8")
    assert f"<h2>{title} (1)</h2>" in html and f"<h2>{overdue} (2)</h2>" in html
    # long runs get <wbr> break points, which are not text
    text = html.replace("<wbr>", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | **x**" in text and "<script>" not in html
    assert f"## {title} \\(1\\)" in md and "\\<script\\>alert\\(1\\)\\</script\\> \\| \\*\\*x" in md
    assert data["reviews"]["overdue_total"] == 2
    assert data["reviews"]["overdue"][0] == {
        "id": 1,
        "incident_id": 1,
        "text": HOSTILE,
        "owner": "Wen",
        "due_at": at(2).isoformat(),
    }
    assert data["reviews"]["completed"][0]["completed_by"] == "Bo"


def test_an_empty_period_says_so(new_engine: Callable[[], Engine]) -> None:
    digest = _digest(new_engine(), now=at(10))
    md = render_markdown(digest, labels=Labels("en", "Asia/Shanghai"))
    assert "No post-incident review was completed in this period." in md
    assert "No action item was overdue." in md
