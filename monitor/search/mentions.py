"""``search_mentions``: mentions matching a ``MentionFilter``, newest first, with a total.

Words are found through the full-text index (``monitor.search.index``; the terms of documents
and queries are made in ``monitor.search.terms``, the one place deciding what matches;
``text_condition`` is the same as a condition on ``Mention``, for other queries):
English and other spaced scripts by whole word, case-insensitive; Chinese (and other scripts
written without spaces) by substring of any length; Traditional and Simplified alike; in the
title, text or author; every word and run of the query must be found. A query without any
word character (only punctuation) matches nothing. Nothing typed is ever read as FTS5 or
tsquery syntax.

Order: newest published first, then newest id. A search with text walks the index newest
first (``monitor.search.index``); on SQLite its key orders by publication time to the
second, then id.

The total is counted up to ``COUNT_CAP``: a common word can match most of a million rows,
and counting them all costs more than the page itself. ``Found.capped`` says more may match
than ``total`` (show it as "5,000+"). Text with other filters counts the filtered matches
among the newest ``COUNT_CAP`` matches of the text (when the text alone matches more, the
total is a lower bound and ``capped`` is set).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    TableClause,
    bindparam,
    cast,
    column,
    exists,
    false,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session

from monitor.db.models import Mention, MentionEntity
from monitor.search.index import KEY_MASK, KEY_SHIFT, TABLE
from monitor.search.terms import Term, fts5_query, query_terms, tsquery

# A count checks about COUNT_CAP / (the share of mentions matching) rows; at 10,000 an
# entity with a sentiment (3% of a million) took 300 ms at p95 (benchmarks/web.py).
COUNT_CAP = 5_000
_FTS = table(TABLE, column("rowid"))
_PG = table(TABLE, column("mention_id"), column("published_at", Mention.published_at.type),
            column("terms"))


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
    capped: bool = False  # more may match than ``total`` (counting stopped at COUNT_CAP)


def text_condition(query: str, dialect: str) -> ColumnElement[bool]:
    """Mentions whose title, text or author hold every word of ``query`` (see module
    docstring); ``dialect`` is the database's (``sqlite`` or ``postgresql``)."""
    terms = query_terms(query)
    if not terms:
        return false()
    if dialect == "postgresql":
        ids = text(f"SELECT mention_id FROM {TABLE} WHERE terms @@ CAST(:tsq AS tsquery)")
        return Mention.id.in_(ids.bindparams(tsq=tsquery(terms)).columns(column("mention_id")))
    keys = select(_FTS.c.rowid.op("&")(KEY_MASK)).where(_match(terms))
    return Mention.id.in_(keys)


def conditions(where: MentionFilter) -> list[ColumnElement[bool]]:
    """``where`` without its text, as conditions on ``Mention``."""
    out: list[ColumnElement[bool]] = []
    if where.entity:
        out.append(exists().where(MentionEntity.mention_id == Mention.id,
                                  MentionEntity.entity_id == where.entity))
    for field, value in ((Mention.source_id, where.source), (Mention.sentiment, where.sentiment),
                         (Mention.top_category, where.category), (Mention.intent, where.intent),
                         (Mention.grade, where.grade)):
        if value:
            out.append(field == value)
    if where.since is not None:
        out.append(Mention.published_at >= where.since)
    if where.until is not None:
        out.append(Mention.published_at < where.until)
    return out


def search_mentions(session: Session, *, where: MentionFilter, limit: int,
                    offset: int = 0) -> Found:
    """Matching mentions, newest published first (then newest id); see module docstring."""
    dialect = session.get_bind().dialect.name
    wanted = where.text.strip() if where.text else ""
    if wanted:
        terms = query_terms(wanted)
        if not terms:
            return Found(mentions=[], total=0)
        return _text_search(session, dialect, terms, where, limit=limit, offset=offset)
    conds = conditions(where)
    query = select(Mention).where(*conds)
    rows = list(session.scalars(
        query.order_by(Mention.published_at.desc(), Mention.id.desc()).limit(limit).offset(offset)
    ))
    if offset == 0 and len(rows) < limit:
        return Found(mentions=rows, total=len(rows))  # the page holds them all
    total = session.scalar(_capped_count(where, conds)) or 0
    return Found(mentions=rows, total=min(total, COUNT_CAP), capped=total > COUNT_CAP)


def _capped_count(where: MentionFilter, conds: list[ColumnElement[bool]]) -> Select[int]:
    """Matches counted up to COUNT_CAP + 1; with an entity, from its links: the page walks
    the newest mentions and tests each (``conditions``), but a count reads every candidate,
    and an entity's links are fewer than all mentions."""
    matching = select(Mention.id)
    if where.entity:
        matching = select(MentionEntity.mention_id).join(
            Mention, Mention.id == MentionEntity.mention_id
        ).where(MentionEntity.entity_id == where.entity)
        conds = conditions(replace(where, entity=None))
    return select(func.count()).select_from(matching.where(*conds).limit(COUNT_CAP + 1).subquery())


def _match(terms: list[Term]) -> ColumnElement[bool]:
    return literal_column(TABLE).op("MATCH")(bindparam("fts_query", fts5_query(terms)))


def _key_range(where: MentionFilter) -> list[ColumnElement[bool]]:
    """The index keys of ``where``'s dates, a second wider each side (SQLite's whole seconds
    round towards zero before 1970; the exact times are checked on the mentions)."""
    out: list[ColumnElement[bool]] = []
    if where.since is not None:
        out.append(_FTS.c.rowid >= (_seconds(where.since) - 1) * KEY_SHIFT)
    if where.until is not None:
        out.append(_FTS.c.rowid < (_seconds(where.until) + 2) * KEY_SHIFT)
    return out


def _seconds(when: datetime) -> int:
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return int(aware.timestamp() // 1)


def _text_search(session: Session, dialect: str, terms: list[Term], where: MentionFilter, *,
                 limit: int, offset: int) -> Found:
    """Walk the index newest first (its own key and time), visiting ``mentions`` only for
    the rows it yields: the page, then the count (see module docstring)."""
    found: list[ColumnElement[bool]]
    ident: ColumnElement[Any]
    source: TableClause
    if dialect == "postgresql":
        found = [_PG.c.terms.op("@@")(cast(bindparam("tsq", tsquery(terms)), TSQUERY))]
        if where.since is not None:
            found.append(_PG.c.published_at >= where.since)
        if where.until is not None:
            found.append(_PG.c.published_at < where.until)
        source, ident = _PG, _PG.c.mention_id
        order = [_PG.c.published_at.desc(), _PG.c.mention_id.desc()]
    else:
        found = [_match(terms), *_key_range(where)]
        source, ident, order = _FTS, _FTS.c.rowid.op("&")(KEY_MASK), [_FTS.c.rowid.desc()]
    conds = conditions(where)
    page = (
        select(Mention).select_from(source).join(Mention, Mention.id == ident)
        .where(*found, *conds).order_by(*order).limit(limit).offset(offset)
    )
    rows = list(session.scalars(page))
    if offset == 0 and len(rows) < limit:
        return Found(mentions=rows, total=len(rows))
    newest: Any = select(ident.label("k")).where(*found).order_by(*order)
    texts = session.scalar(select(func.count()).select_from(
        newest.limit(COUNT_CAP + 1).subquery())) or 0
    if not conds:
        return Found(mentions=rows, total=min(texts, COUNT_CAP), capped=texts > COUNT_CAP)
    scanned = newest.limit(COUNT_CAP).subquery()
    total = session.scalar(
        select(func.count()).select_from(scanned)
        .join(Mention, Mention.id == scanned.c.k).where(*conds)
    ) or 0
    return Found(mentions=rows, total=total, capped=texts > COUNT_CAP)
