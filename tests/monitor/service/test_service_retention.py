"""Retention: old mentions, closed incidents and settled alerts go; open evidence and labels
stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.db.engine import make_engine, session_factory
from monitor.db.migrate import ensure_schema
from monitor.db.models import (
    ActionItem,
    Alert,
    Incident,
    IncidentEvent,
    IncidentMention,
    IngestRun,
    Label,
    Mention,
    MentionEntity,
    Review,
    Source,
    VolumeCount,
)
from monitor.service.retention import purge_older_than

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=400)
CUTOFF = NOW - timedelta(days=365)


def _mention(session: Session, n: int, at: datetime, run: int, **kw: object) -> Mention:
    mention = Mention(source_id="s", external_id=str(n), published_at=at, collected_at=at,
                      text=f"Acme {n}", content_hash=f"h{n}", run_id=run, **kw)
    session.add(mention)
    session.flush()
    session.add(MentionEntity(mention_id=mention.id, entity_id="acme"))
    return mention


def _incident(session: Session, state: str, at: datetime, mentions: list[Mention]) -> Incident:
    incident = Incident(
        entity_id="acme", category="product_safety", state=state, grade="high",
        peak_grade="high", likelihood=3, impact=3, reasons=[], title="t", first_seen_at=at,
        last_seen_at=at, opened_at=at, updated_at=at, mention_count=len(mentions),
        negative_count=0, neutral_count=0, positive_count=0, reach_total=0, top_sources=[],
        top_authors=[], drill=False, resolved_at=at if state == "resolved" else None,
    )
    session.add(incident)
    session.flush()
    for mention in mentions:
        session.add(IncidentMention(incident_id=incident.id, mention_id=mention.id))
    session.add(IncidentEvent(incident_id=incident.id, at=at, kind="opened", detail={}))
    session.add(Alert(incident_id=incident.id, event="opened", channel="c",
                      dedup_key=f"i{incident.id}", payload={}, status="sent", attempts=1,
                      next_attempt_at=at, created_at=at))
    return incident


def test_purge_keeps_open_evidence_and_labels(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.sqlite'}")
    ensure_schema(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        session.add(Source(id="s", kind="rss", location="x", created_at=OLD))
        session.flush()
        old_run = IngestRun(source_id="s", started_at=OLD, finished_at=OLD, status="ok")
        new_run = IngestRun(source_id="s", started_at=NOW, finished_at=NOW, status="ok")
        empty_run = IngestRun(source_id="s", started_at=OLD, finished_at=OLD, status="ok")
        session.add_all([old_run, new_run, empty_run])
        session.flush()
        original = _mention(session, 1, OLD, old_run.id)
        _mention(session, 2, NOW, new_run.id, duplicate_of=original.id)  # repost of an old one
        evidence = _mention(session, 3, OLD, old_run.id)
        closed_evidence = _mention(session, 4, OLD, old_run.id)
        _incident(session, "open", OLD, [evidence])
        closed = _incident(session, "resolved", OLD, [closed_evidence])
        kept = _incident(session, "open", OLD, [])
        for incident in (closed, kept):  # a review and its action item go with their incident
            review = Review(incident_id=incident.id, summary="", causes=[], went_well=[],
                            went_badly=[], revisions=[], created_at=OLD, created_by="ana",
                            updated_at=OLD, updated_by="ana")
            session.add(review)
            session.flush()
            session.add(ActionItem(review_id=review.id, text="t", owner="o", due_at=OLD,
                                   state="open", created_at=OLD, created_by="ana",
                                   state_changed_at=OLD, state_changed_by="ana"))
        session.add(Label(mention_id=closed_evidence.id, kind="sentiment", value="negative",
                          text="Acme 4", created_by="ana", created_at=OLD))
        session.add(Alert(event="digest", channel="c", dedup_key="d", payload={}, status="sent",
                          attempts=1, next_attempt_at=OLD, created_at=OLD))
        session.add(VolumeCount(entity_id="acme", category="", span=3600,
                                bucket=int(OLD.timestamp()), mentions=3, negative=1))
    done = purge_older_than(sessions, cutoff=CUTOFF, volume_cutoff=CUTOFF, batch=1)
    assert (done.mentions, done.incidents, done.alerts, done.volume_counts) == (2, 1, 1, 1)
    assert done.ingest_runs == 1  # the other old run still holds the open incident's evidence
    with sessions() as session:
        texts = sorted(session.scalars(select(Mention.text)))
        assert texts == ["Acme 2", "Acme 3"]
        repost = session.scalars(select(Mention).where(Mention.text == "Acme 2")).one()
        assert repost.duplicate_of is None
        assert session.scalars(select(Incident.state)).all() == ["open", "open"]
        assert session.scalar(select(func.count()).select_from(Alert)) == 2  # the open ones'
        assert session.scalars(select(Review.incident_id)).all() == [kept.id]
        assert session.scalars(select(ActionItem.review_id)).all() == [review.id]
        label = session.scalars(select(Label)).one()
        assert label.mention_id is None and label.text == "Acme 4"
        assert session.scalar(select(func.count()).select_from(MentionEntity)) == 2
    engine.dispose()
