"""``search_mentions``: mentions matching a ``MentionFilter``, newest first, with a total.

The text condition is ``text_condition``: the one place that decides how words are found. It
reads the full-text index (``monitor.search.index``, terms in ``monitor.search.terms``):
English and other spaced scripts by whole word, case-insensitive; Chinese (and other scripts
written without spaces) by substring of any length; Traditional and Simplified alike; in the
title, text or author; every word and run of the query must be found. A query without any
word character (only punctuation) matches nothing. Nothing typed is ever read as FTS5 or
tsquery syntax.

The total is counted up to ``COUNT_CAP``: a common word can match most of a million rows,
and counting them all costs more than the page itself. ``Found.capped`` says the total
stopped there (show it as "10,000+").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, column, false, func, select, text
from sqlalchemy.orm import Session

from monitor.db.models import Mention, MentionEntity
from monitor.search.index import TABLE
from monitor.search.terms import fts5_query, query_terms, tsquery

COUNT_CAP = 10_000
Row = TypeVar("Row")


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
    capped: bool = False  # more than ``total`` match (counting stopped at COUNT_CAP)


def text_condition(query: str, dialect: str) -> ColumnElement[bool]:
    """Mentions whose title, text or author hold every word of ``query`` (see module
    docstring); ``dialect`` is the database's (``sqlite`` or ``postgresql``)."""
    terms = query_terms(query)
    if not terms:
        return false()
    if dialect == "postgresql":
        ids = text(f"SELECT mention_id FROM {TABLE} WHERE terms @@ CAST(:tsq AS tsquery)")
        return Mention.id.in_(ids.bindparams(tsq=tsquery(terms)).columns(column("mention_id")))
    ids = text(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH :fts")
    return Mention.id.in_(ids.bindparams(fts=fts5_query(terms)).columns(column("rowid")))


def filtered(query: Select[Row], where: MentionFilter, dialect: str) -> Select[Row]:
    """``query`` narrowed to ``where``."""
    if where.text and where.text.strip():
        query = query.where(text_condition(where.text, dialect))
    if where.entity:
        query = query.where(Mention.id.in_(
            select(MentionEntity.mention_id).where(MentionEntity.entity_id == where.entity)))
    for field, value in ((Mention.source_id, where.source), (Mention.sentiment, where.sentiment),
                          (Mention.top_category, where.category), (Mention.intent, where.intent),
                          (Mention.grade, where.grade)):
        if value:
            query = query.where(field == value)
    if where.since is not None:
        query = query.where(Mention.published_at >= where.since)
    if where.until is not None:
        query = query.where(Mention.published_at < where.until)
    return query


def search_mentions(session: Session, *, where: MentionFilter, limit: int,
                    offset: int = 0) -> Found:
    """Matching mentions, newest published first (then newest id)."""
    dialect = session.get_bind().dialect.name
    query = filtered(select(Mention), where, dialect)
    rows = list(session.scalars(
        query.order_by(Mention.published_at.desc(), Mention.id.desc()).limit(limit).offset(offset)
    ))
    if offset == 0 and len(rows) < limit:
        return Found(mentions=rows, total=len(rows))  # the page holds them all
    matching = filtered(select(Mention.id), where, dialect).limit(COUNT_CAP + 1).subquery()
    total = session.scalar(select(func.count()).select_from(matching)) or 0
    return Found(mentions=rows, total=min(total, COUNT_CAP), capped=total > COUNT_CAP)
