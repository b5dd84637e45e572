"""Public helpers for tests and benchmarks: scored mention rows and a ready IncidentContext.

They write rows the way ingestion plus scoring does (a mention, its entity links and its
score columns), without running collectors or models.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from classifiers.matrix import MatrixConfig, RiskSignals, assess
from classifiers.risk_lexicon import CategoryScore
from monitor.clock import utcnow
from monitor.db.models import Mention, MentionEntity, Source
from monitor.incidents.context import IncidentContext, IncidentRules
from monitor.incidents.finish import AssignResult
from monitor.incidents.grouping import assign_incidents
from monitor.incidents.loading import load_scored
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
    }
    mention_id = int(
        session.execute(insert(Mention).values(**values).returning(Mention.id)).scalar_one()
    )
    session.execute(
        insert(MentionEntity), [{"mention_id": mention_id, "entity_id": e} for e in entities]
    )
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
    """Store one risky mention at ``now`` and group it; the id of the incident it opened."""
    fields.setdefault("negative", 0.9)
    mention_id = add_scored_mention(
        session, text=text, at=now, category=category, severity=severity, **fields
    )
    result = assign_stored(session, ctx=ctx, mention_ids=[mention_id], now=now)
    if not result.opened:
        raise ValueError(f"mention #{mention_id} opened no incident: {result}")
    return result.opened[0]


def assign_stored(
    session: Session, *, ctx: IncidentContext, mention_ids: Sequence[int], now: datetime
) -> AssignResult:
    """Group stored mentions (written by ``add_scored_mention``) as ingestion groups new ones."""
    mentions = load_scored(session, ctx=ctx, mention_ids=mention_ids, now=now)
    return assign_incidents(session, ctx=ctx, mentions=mentions, now=now)
