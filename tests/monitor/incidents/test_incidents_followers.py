"""An author whose mentions give no follower count has unknown followers, not 0 (issue 18)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Incident
from monitor.incidents import incident_report
from monitor.incidents.testing import (
    add_scored_mention,
    assign_stored,
    make_context,
    open_test_incident,
    story_of,
)

T = datetime.fromisoformat("2026-11-18T10:00:00+00:00")


def test_unknown_followers_stay_unknown_from_storage_to_the_report(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        incident_id = open_test_incident(
            s, ctx=ctx, now=T, author="Staff reporter", author_reach=None, source_id="news-en"
        )
    with sessions.begin() as s:
        later = T + timedelta(minutes=5)
        ids = [
            add_scored_mention(
                s,
                text="Acme formula contaminated, children ill, say parents",
                at=later,
                category="product_safety",
                severity=5,
                author="mum_of_two",
                author_reach=0,
                source_id="forum",
                story=story_of(s, incident_id),
            ),
            add_scored_mention(
                s,
                text="Acme formula contaminated: the recall is spreading",
                at=later,
                category="product_safety",
                severity=5,
                author="big_account",
                author_reach=250_000,
                source_id="weibo",
                story=story_of(s, incident_id),
            ),
        ]
        assign_stored(s, ctx=ctx, mention_ids=ids, now=later)
    with sessions.begin() as s:
        incident = s.get(Incident, incident_id)
        assert incident is not None
        stored = {a["author"]: a["reach"] for a in incident.top_authors}
        report = incident_report(s, incident_id=incident_id, ctx=ctx)
    # a known zero is a zero, an unknown count is None, and a known count ranks first
    assert stored == {"big_account": 250_000, "mum_of_two": 0, "Staff reporter": None}
    assert [a for a in stored] == ["big_account", "mum_of_two", "Staff reporter"]
    authors = report.split("## Sources and authors\n")[1].split("\n\n")[0]
    assert "Staff reporter on news\\-en: followers unknown" in authors
    assert "mum\\_of\\_two on forum: 0 followers" in authors
    assert "big\\_account on weibo: 250,000 followers" in authors
