"""Responders correct the grouping: merge, split, move a mention, link; corrections are labels."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Alert, Incident, IncidentEvent, Label, Mention, Story, StoryLink
from monitor.incidents import LifecycleError
from monitor.incidents.corrections import (
    StoryRules,
    link_incidents,
    merge_incidents,
    move_mention,
    split_incident,
)
from monitor.incidents.story_views import related_stories
from monitor.incidents.testing import add_scored_mention, assign_stored, make_context
from monitor.stories.model import StoryParams

NOW = datetime.fromisoformat("2026-11-18T10:00:00+00:00")
RULES = StoryRules(params=StoryParams(), names={"acme": ("Acme",), "acme-kids": ("Acme Kids",)})
FORMULA = ("Acme Kids formula batch LK-2611 made babies vomit, parents in Leeds and York report "
           "rashes after feeding")
OUTAGE = "Acme app down since 9am, checkout fails with error 503, orders lost"
FIRE = "Fire at the Derby yoghurt plant injures two workers, production halted overnight"


def _incident(s: Session, text: str, at: datetime, **kw: object) -> int:
    fields: dict[str, object] = {"category": "product_safety", "severity": 5, "negative": 0.9}
    fields.update(kw)
    mid = add_scored_mention(s, text=text, at=at, **fields)  # type: ignore[arg-type]
    result = assign_stored(s, ctx=make_context(), mention_ids=[mid], now=at)
    return (result.opened or result.updated)[0]


def _rows(sessions: sessionmaker[Session], model: type) -> list:  # type: ignore[type-arg]
    with sessions() as s:
        return list(s.scalars(select(model)))


def test_merge_moves_mentions_and_timeline_and_closes_the_other(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        a = _incident(s, FORMULA, NOW)
        b = _incident(s, FIRE, NOW, tier=1, author_reach=2_000_000, negative=0.95,
                      category_score=0.9)
        assert a != b
        alerts_before = len(s.scalars(select(Alert).where(Alert.incident_id == a)).all())
    with sessions.begin() as s:
        done = merge_incidents(s, ctx=ctx, stories=RULES, into=a, other=b, by="Ana", now=NOW)
        assert done.moved == 1
    incidents = {i.id: i for i in _rows(sessions, Incident)}
    kept, gone = incidents[a], incidents[b]
    assert kept.mention_count == 2 and kept.peak_grade == gone.peak_grade == "critical"
    assert gone.state == "merged" and gone.merged_into == a and gone.next_due_at is None
    stories = {st.id: st for st in _rows(sessions, Story)}
    assert stories[gone.story_id].merged_into == kept.story_id
    assert stories[kept.story_id].mention_count == 2
    assert {m.story_id for m in _rows(sessions, Mention)} == {kept.story_id}
    with sessions() as s:
        kinds = [e.kind for e in s.scalars(select(IncidentEvent).where(
            IncidentEvent.incident_id == a).order_by(IncidentEvent.id))]
        rises = s.scalars(select(Alert).where(Alert.incident_id == a)).all()
    assert "merged" in kinds and "grade_changed" in kinds
    assert len(rises) > alerts_before  # the rise to critical, in the kept incident's thread
    (label,) = _rows(sessions, Label)
    assert (label.kind, label.incident_id, label.created_by) == ("same_story", a, "Ana")
    with sessions.begin() as s, pytest.raises(LifecycleError, match="was merged into"):
        merge_incidents(s, ctx=ctx, stories=RULES, into=a, other=b, by="Ana", now=NOW)


def test_a_merged_story_does_not_come_back_apart(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        a = _incident(s, FORMULA, NOW)
        b = _incident(s, OUTAGE, NOW)
        merge_incidents(s, ctx=ctx, stories=RULES, into=a, other=b, by="Ana", now=NOW)
    later = NOW + timedelta(minutes=5)
    with sessions.begin() as s:
        again = add_scored_mention(s, text=OUTAGE + ", still broken", at=later,
                                   category="service_outage", severity=3, negative=0.9)
        assign_stored(s, ctx=ctx, mention_ids=[again], now=later)
        (kept_story,) = s.scalars(select(Incident.story_id).where(Incident.id == a))
        assert s.get(Mention, again).story_id == kept_story  # type: ignore[union-attr]
    assert len([i for i in _rows(sessions, Incident) if i.state == "open"]) == 1


def test_split_opens_an_incident_for_the_other_story(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        a = _incident(s, FORMULA, NOW)
        story = s.get(Incident, a).story_id  # type: ignore[union-attr]
        ids = [add_scored_mention(s, text=t, at=NOW + timedelta(minutes=i), story=story,
                                  category="product_safety", severity=5, negative=0.9)
               for i, t in enumerate((FORMULA + " again", OUTAGE))]
        assign_stored(s, ctx=ctx, mention_ids=ids, now=NOW + timedelta(minutes=2))
        assert s.get(Incident, a).mention_count == 3  # type: ignore[union-attr]
    with sessions.begin() as s:
        done = split_incident(s, ctx=ctx, stories=RULES, incident_id=a, mention_ids=[ids[1]],
                              by="Bo", now=NOW + timedelta(minutes=3))
    assert done.other_id is not None and done.moved == 1
    incidents = {i.id: i for i in _rows(sessions, Incident)}
    assert incidents[a].mention_count == 2 and incidents[done.other_id].mention_count == 1
    assert incidents[a].story_id != incidents[done.other_id].story_id
    with sessions() as s:
        assert s.get(Mention, ids[1]).story_id == incidents[done.other_id].story_id  # type: ignore[union-attr]
    (label,) = _rows(sessions, Label)
    assert (label.kind, label.mention_id) == ("different_story", ids[1])
    assert label.text.startswith("Acme app down")
    with sessions.begin() as s, pytest.raises(LifecycleError, match="nothing would stay"):
        split_incident(s, ctx=ctx, stories=RULES, incident_id=done.other_id,
                       mention_ids=[ids[1]], by="Bo", now=NOW)
    with sessions.begin() as s, pytest.raises(LifecycleError, match="not evidence of"):
        split_incident(s, ctx=ctx, stories=RULES, incident_id=a, mention_ids=[ids[1]],
                       by="Bo", now=NOW)


def test_move_a_mention_and_link_two_stories(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        a = _incident(s, FORMULA, NOW)
        b = _incident(s, OUTAGE, NOW)
        stray = add_scored_mention(s, text="LK-2611 batch: my daughter got the rash too",
                                   at=NOW, category="product_safety", severity=5, negative=0.9,
                                   story=s.get(Incident, b).story_id)  # type: ignore[union-attr]
        assign_stored(s, ctx=ctx, mention_ids=[stray], now=NOW)
    with sessions.begin() as s:
        done = move_mention(s, ctx=ctx, stories=RULES, mention_id=stray, to=a, by="Cy",
                            now=NOW)
        assert done.other_id == b
        link_incidents(s, a=a, b=b, by="Cy", now=NOW)
        story_a = s.get(Incident, a).story_id  # type: ignore[union-attr]
        assert s.get(Mention, stray).story_id == story_a  # type: ignore[union-attr]
        assert len(related_stories(s, story_a)) == 1
    counts = {i.id: i.mention_count for i in _rows(sessions, Incident)}
    assert counts == {a: 2, b: 1}
    assert len(_rows(sessions, StoryLink)) == 1
    assert [lb.kind for lb in _rows(sessions, Label)] == ["different_story", "related_story"]
    with sessions.begin() as s, pytest.raises(LifecycleError, match="two different stories"):
        link_incidents(s, a=a, b=a, by="Cy", now=NOW)
