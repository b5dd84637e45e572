"""The scored mentions grouping reads: from a batch's new mentions in memory (ingest), or
from stored rows (``load_scored``: tests and re-assignment), decoded only where needed."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, cast, func, select, type_coerce
from sqlalchemy.orm import Session

from monitor.collectors.base import with_title
from monitor.db.models import Mention
from monitor.incidents.aggregate import ScoredMention
from monitor.incidents.context import IncidentContext
from monitor.pipeline.store import NewMention
from playbooks import ALL_GRADES, grade_rank

TEXT_PREFIX = 1000
CHUNK = 5000
KIND_ORDER = {"executive": 0, "product": 1, "brand": 2, "competitor": 3, "topic": 4}
GRADE_RANKS = {grade: rank for rank, grade in enumerate(ALL_GRADES)}


def load_scored(
    session: Session, *, ctx: IncidentContext, mention_ids: Sequence[int], now: datetime
) -> list[ScoredMention]:
    """The scored mentions among ``mention_ids``, oldest first."""
    m = Mention
    # Score details are read as JSON text and decoded only for mentions that can join an
    # incident: most mentions are below the floor and only count towards volume. A cast, not
    # type_coerce: psycopg decodes json columns itself.
    columns = (
        m.id, m.source_id, m.author, m.author_reach, type_coerce(m.published_at, Text), m.lang,
        func.substr(m.title, 1, 200), func.substr(m.text, 1, TEXT_PREFIX), m.url,
        cast(m.metrics, Text), m.duplicate_of, m.entities, m.sentiment,
        cast(m.sentiment_probs, Text), cast(m.categories, Text), m.top_category,
        m.grade, m.likelihood, m.impact, cast(m.reasons, Text), m.story_id,
    )
    ignored = set(ctx.matrix.likelihood_ignore)
    position = {name: i for i, name in enumerate(ctx.entity_names)}
    floor = grade_rank(ctx.rules.floor)
    connection = session.connection()
    out: list[ScoredMention] = []
    ids = list(mention_ids)
    for start in range(0, len(ids), CHUNK):
        stmt = select(*columns).where(m.id.in_(ids[start : start + CHUNK]), m.grade.is_not(None))
        for row in connection.execute(stmt):
            (mid, source, author, reach, published, lang, title, text, url, metrics, dup,
             entities, sentiment, probs, cats, top, grade, lik, imp, reasons, story) = row
            if not entities or grade not in GRADE_RANKS:
                continue
            eligible = GRADE_RANKS[grade] >= floor
            categories = _json_list(cats) if eligible or top in ignored else []
            out.append(
                ScoredMention(
                    id=mid, source_id=source, author=author, author_reach=reach,
                    at=min(_utc(published), now), lang=lang,
                    text=with_title(title, text),
                    url=url, metrics=_json_dict(metrics) if eligible else {},
                    duplicate_of=dup, entities=_ordered(entities, ctx, position),
                    sentiment=sentiment,
                    negative_prob=_negative(sentiment, _json_dict(probs) if eligible else None),
                    categories=categories,
                    category=_category(top, categories, ignored), grade=grade, likelihood=lik,
                    impact=imp, reasons=_json_list(reasons) if eligible else [], story=story,
                )
            )
    out.sort(key=lambda x: (x.at, x.id))
    return out


def scored_mentions(
    mentions: Sequence[NewMention], *, ctx: IncidentContext, now: datetime
) -> list[ScoredMention]:
    """The scored ones among a batch's new mentions, oldest first (nothing is read back).

    As with stored rows, score details are built only for mentions that can join an
    incident; the others only count towards volume."""
    ignored = set(ctx.matrix.likelihood_ignore)
    position = {name: i for i, name in enumerate(ctx.entity_names)}
    floor = grade_rank(ctx.rules.floor)
    out: list[ScoredMention] = []
    for new in mentions:
        score = new.score
        if score is None or not new.candidate.entities or score.grade not in GRADE_RANKS:
            continue
        cand, item = new.candidate, new.candidate.item
        eligible = GRADE_RANKS[score.grade] >= floor
        top = score.top_category
        if top is not None and top in ignored:
            top = next((c.category for c in score.categories if c.category not in ignored), None)
        out.append(
            ScoredMention(
                id=new.id, source_id=new.source_id, author=item.author,
                author_reach=item.author_reach, at=min(new.published, now), lang=cand.lang,
                text=cand.text[: TEXT_PREFIX + 200], url=item.url, metrics=item.metrics,
                duplicate_of=new.duplicate_of,
                entities=_ordered(cand.entities, ctx, position),
                sentiment=score.sentiment.label,
                negative_prob=_negative(score.sentiment.label, score.sentiment.probs),
                categories=score.to_dict()["categories"] if eligible else [],
                category=top, grade=score.grade, likelihood=score.likelihood,
                impact=score.impact, reasons=list(score.reasons) if eligible else [],
                story=new.story,
            )
        )
    out.sort(key=lambda x: (x.at, x.id))
    return out


def _utc(value: Any) -> datetime:
    """A stored timestamp as aware UTC (SQLite text parsed directly: much faster)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _json(value: Any) -> Any:
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value  # drivers such as psycopg decode JSON themselves


def _json_dict(value: Any) -> dict[str, Any]:
    decoded = _json(value)
    return decoded if isinstance(decoded, dict) else {}


def _json_list(value: Any) -> list[Any]:
    decoded = _json(value)
    return decoded if isinstance(decoded, list) else []


def _ordered(
    entities: Sequence[Any], ctx: IncidentContext, position: dict[str, int]
) -> list[str]:
    if len(entities) == 1:
        return [str(entities[0])]
    unique = list(dict.fromkeys(str(e) for e in entities))
    return sorted(
        unique,
        key=lambda e: (KIND_ORDER.get(ctx.entity_kinds.get(e, ""), 9), position.get(e, 999)),
    )


def _negative(sentiment: str | None, probs: Any) -> float | None:
    if isinstance(probs, Mapping) and isinstance(probs.get("negative"), int | float):
        return float(probs["negative"])
    if sentiment in ("negative", "neutral", "positive"):
        return 1.0 if sentiment == "negative" else 0.0
    return None


def _category(top: str | None, categories: Any, ignored: set[str]) -> str | None:
    if top is not None and top not in ignored:
        return top
    ranked = sorted(
        (c for c in categories or [] if isinstance(c, dict) and c.get("category") not in ignored),
        key=lambda c: -float(c.get("score") or 0),
    )
    return str(ranked[0]["category"]) if ranked else None
