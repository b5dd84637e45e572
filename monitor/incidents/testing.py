"""Public helpers for tests and benchmarks: scored mention rows and a ready IncidentContext.

They write rows the way ingestion plus scoring does (a mention, its entity links and its
score columns), without running collectors or models.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from classifiers.matrix import MatrixConfig, RiskSignals, assess
from classifiers.risk_lexicon import CategoryScore
from classifiers.scorer import Score
from classifiers.sentiment import SentimentResult
from monitor.clock import utcnow
from monitor.collectors.base import RawItem, with_title
from monitor.db.models import Incident, Mention, MentionEntity, Source, Story
from monitor.incidents.context import IncidentContext, IncidentRules
from monitor.incidents.finish import AssignResult
from monitor.incidents.grouping import assign_incidents
from monitor.incidents.loading import load_scored
from monitor.incidents.story_step import StoryAssignment
from monitor.pipeline.store import Candidate, NewMention
from monitor.search.index import index_mentions
from monitor.stories.model import StoryParams
from playbooks import (
    default_playbook_paths,
    default_scripts_path,
    load_playbooks,
    load_scripts,
)

_counter = itertools.count(1)
TEST_CHANNELS = frozenset({"console", "risk-slack", "manager-email", "exec-slack", "webhook"})


def make_context(
    *,
    clock: Callable[[], datetime] = utcnow,
    rules: IncidentRules | None = None,
    entities: Mapping[str, tuple[str, str]] | None = None,
    channels: frozenset[str] = TEST_CHANNELS,
    **overrides: Any,
) -> IncidentContext:
    """Shipped playbooks and scripts, the default matrix, ``entities`` id -> (name, kind)."""
    entities = entities or {
        "acme": ("Acme", "brand"),
        "acme-kids": ("Acme Kids formula", "product"),
        "ceo": ("Jo Chen (CEO)", "executive"),
    }
    fields: dict[str, Any] = {
        "playbooks": load_playbooks(default_playbook_paths()),
        "scripts": load_scripts(default_scripts_path()),
        "matrix": MatrixConfig(),
        "rules": rules or IncidentRules(),
        "organisation": "Acme Group",
        "entity_names": {k: v[0] for k, v in entities.items()},
        "entity_kinds": {k: v[1] for k, v in entities.items()},
        "hotline": "400-800-1234",
        "channels": channels,
        "known_channels": channels,
        "clock": clock,
    }
    fields.update(overrides)
    return IncidentContext(**fields)


def ensure_source(session: Session, source_id: str, *, now: datetime) -> None:
    """The sources row a mention needs (created once)."""
    if session.get(Source, source_id) is None:
        session.add(
            Source(id=source_id, kind="export", location="test", consecutive_failures=0,
                   created_at=now)
        )
        session.flush()


def add_scored_mention(
    session: Session,
    *,
    text: str,
    at: datetime,
    entities: Sequence[str] = ("acme",),
    source_id: str = "test-source",
    category: str | None = None,
    category_score: float = 0.7,
    severity: int = 3,
    negative: float = 0.8,
    sentiment: str | None = None,
    author: str | None = "someone",
    author_reach: int | None = 100,
    metrics: Mapping[str, int] | None = None,
    url: str | None = None,
    lang: str = "en",
    tier: int = 3,
    entity_kind: str | None = "brand",
    grade: str | None = None,
    duplicate_of: int | None = None,
    matrix: MatrixConfig | None = None,
    external_id: str | None = None,
    collected_at: datetime | None = None,
    story: int | None = None,
) -> int:
    """Insert one scored mention; its grade comes from the matrix unless ``grade`` is given."""
    ensure_source(session, source_id, now=collected_at or at)
    cats = (
        [CategoryScore(category=category, score=category_score, severity=severity,
                       evidence=("test",), source="lexicon")]
        if category
        else []
    )
    signals = RiskSignals(
        negative_prob=negative, categories=tuple(cats), source_tier=tier,
        author_reach=author_reach, metrics=dict(metrics or {}), entity_kind=entity_kind,
    )
    result = assess(signals=signals, config=matrix or MatrixConfig())
    label = sentiment or ("negative" if negative >= 0.5 else "neutral" if negative >= 0.2
                          else "positive")
    rest = max(0.0, 1.0 - negative)
    values = {
        "source_id": source_id,
        "external_id": external_id or f"m{next(_counter)}",
        "url": url,
        "title": None,
        "author": author,
        "author_reach": author_reach,
        "published_at": at,
        "date_missing": False,
        "collected_at": collected_at or at,
        "lang": lang,
        "text": text,
        "metrics": dict(metrics or {}),
        "content_hash": f"h{next(_counter)}",
        "duplicate_of": duplicate_of,
        "entities": list(entities),
        "sentiment": label,
        "sentiment_probs": {"negative": negative, "neutral": rest / 2, "positive": rest / 2},
        "categories": [
            {"category": c.category, "score": c.score, "severity": c.severity,
             "evidence": list(c.evidence), "source": c.source}
            for c in cats
        ],
        "top_category": category,
        "likelihood": result.likelihood,
        "impact": result.impact,
        "grade": grade or result.grade,
        "reasons": list(result.reasons),
        "scored_at": collected_at or at,
        "story_id": story,
    }
    mention_id = int(
        session.execute(insert(Mention).values(**values).returning(Mention.id)).scalar_one()
    )
    session.execute(
        insert(MentionEntity), [{"mention_id": mention_id, "entity_id": e} for e in entities]
    )
    index_mentions(session.connection(), [(mention_id, at, None, text, author)])
    return mention_id


def open_test_incident(
    session: Session,
    *,
    ctx: IncidentContext,
    now: datetime,
    text: str = "Acme formula contaminated, several children ill after drinking it",
    category: str = "product_safety",
    severity: int = 5,
    **fields: Any,
) -> int:
    """Store one risky mention at ``now``, in a story of its own, and group it; the id of the
    incident it opened."""
    fields.setdefault("negative", 0.9)
    mention_id = add_scored_mention(
        session, text=text, at=now, category=category, severity=severity, **fields
    )
    # a story of its own: each call opens its own incident, whatever the text
    story = Story(title=text[:300], first_seen_at=now, last_seen_at=now, mention_count=1,
                  negative_count=1, entities={}, sources={}, categories={}, created_at=now,
                  updated_at=now)
    session.add(story)
    session.flush()
    session.execute(update(Mention).where(Mention.id == mention_id).values(story_id=story.id))
    mentions = load_scored(session, ctx=ctx, mention_ids=[mention_id], now=now)
    result = assign_incidents(session, ctx=ctx, mentions=mentions, now=now)
    if not result.opened:
        raise ValueError(f"mention #{mention_id} opened no incident: {result}")
    return result.opened[0]


def assign_stored(
    session: Session, *, ctx: IncidentContext, mention_ids: Sequence[int], now: datetime,
    stories: StoryAssignment | None = None,
) -> AssignResult:
    """Put stored mentions (written by ``add_scored_mention``) in stories, then group them
    into incidents, as ingestion does with new ones. ``stories`` defaults to a fresh step,
    which rebuilds its memory from the stories table (as after a restart); mentions given a
    ``story`` when written keep it."""
    rows = session.scalars(select(Mention).where(
        Mention.id.in_(list(mention_ids)), Mention.story_id.is_(None)
    )).all()
    new = [
        NewMention(
            id=row.id, source_id=row.source_id,
            candidate=Candidate(
                item=RawItem(external_id=row.external_id, text=row.text, title=row.title,
                             author=row.author, author_reach=row.author_reach,
                             published=row.published_at),
                text=with_title(row.title, row.text), lang=row.lang,
                entities=tuple(row.entities or ()), content_hash=row.content_hash,
            ),
            published=row.published_at, duplicate_of=row.duplicate_of, score=_stored_score(row),
        )
        for row in sorted(rows, key=lambda r: r.id)
    ]
    names = {entity: (name,) for entity, name in ctx.entity_names.items()}
    step = stories or StoryAssignment(params=StoryParams(), names=names, kinds=ctx.entity_kinds)
    step(session, mentions=new, now=now)
    mentions = load_scored(session, ctx=ctx, mention_ids=mention_ids, now=now)
    return assign_incidents(session, ctx=ctx, mentions=mentions, now=now)


def _stored_score(row: Mention) -> Score | None:
    """What the later steps read of a mention's score, from its row (None when unscored)."""
    if row.grade is None:
        return None
    lang = row.lang or "en"
    return Score(
        lang=lang, sentiment=SentimentResult(row.sentiment or "neutral",
                                             row.sentiment_probs or {}, lang),
        categories=tuple(
            CategoryScore(category=c["category"], score=c["score"], severity=c["severity"],
                          evidence=tuple(c.get("evidence", ())), source=c.get("source", ""))
            for c in row.categories or ()
        ),
        top_category=row.top_category, likelihood=row.likelihood or 1,
        impact=row.impact or 1, grade=row.grade, reasons=tuple(row.reasons or ()),
    )


def story_of(session: Session, incident_id: int) -> int | None:
    """The story an incident is (to add more of its evidence with ``add_scored_mention``)."""
    incident = session.get(Incident, incident_id)
    return incident.story_id if incident is not None else None
