"""``search_mentions``: mentions matching a ``MentionFilter``, newest first, with a total.

The text condition is ``text_condition``: the one place that decides how words are found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from monitor.db.models import Mention, MentionEntity


@dataclass(frozen=True)
class MentionFilter:
    """What to look for; every field is optional (None: any)."""

    text: str | None = None  # words or a Chinese substring, in text, title or author
    entity: str | None = None
    source: str | None = None
    sentiment: str | None = None
    category: str | None = None  # the top category
    intent: str | None = None
    grade: str | None = None
    since: datetime | None = None  # published at or after
    until: datetime | None = None  # published before


@dataclass(frozen=True)
class Found:
    """A page of mentions and how many match in all."""

    mentions: list[Mention]
    total: int


def text_condition(text: str) -> ColumnElement[bool]:
    """Mentions whose text, title or author contains ``text`` (case-insensitive)."""
    pattern = f"%{_escape_like(text.strip())}%"
    return or_(Mention.text.ilike(pattern, escape="\\"), Mention.title.ilike(pattern, escape="\\"),
               Mention.author.ilike(pattern, escape="\\"))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered(query: Select[Mention], where: MentionFilter) -> Select[Mention]:
    """``query`` narrowed to ``where``."""
    if where.text and where.text.strip():
        query = query.where(text_condition(where.text))
    if where.entity:
        query = query.where(Mention.id.in_(
            select(MentionEntity.mention_id).where(MentionEntity.entity_id == where.entity)))
    for column, value in ((Mention.source_id, where.source), (Mention.sentiment, where.sentiment),
                          (Mention.top_category, where.category), (Mention.intent, where.intent),
                          (Mention.grade, where.grade)):
        if value:
            query = query.where(column == value)
    if where.since is not None:
        query = query.where(Mention.published_at >= where.since)
    if where.until is not None:
        query = query.where(Mention.published_at < where.until)
    return query


def search_mentions(session: Session, *, where: MentionFilter, limit: int,
                    offset: int = 0) -> Found:
    """Matching mentions, newest published first (then newest id)."""
    query = filtered(select(Mention), where)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Mention.published_at.desc(), Mention.id.desc()).limit(limit).offset(offset)
    )
    return Found(mentions=list(rows), total=total)
