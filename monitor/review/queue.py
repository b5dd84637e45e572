"""The review queue: mentions the machines flagged that no reviewer has answered yet.

Flagged: a grade above none, a risk category, or an uncertain answer (the probability of the
sentiment or intent the machine chose, its top one, below ``below``; only for a language the
models read: the uniform "unknown" of any other language is no sign of doubt).
Reviewed: the mention has a label of a ``REVIEW_KINDS`` kind (a correction or a confirmation,
see ``monitor.review.labels``). Reposts (``duplicate_of``) are left out: their original
carries the same text. Most severe grade first, then newest published.

``since`` bounds the queue to recent mentions: the query reads every row in reach (7 µs a row
on SQLite, 0.6 s for 86,000), so the console asks for the last weeks, not the whole archive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from classifiers.intent_labels import INTENT_LABELS
from classifiers.languages import LANGUAGES
from classifiers.matrix import GRADES
from classifiers.sentiment import LABELS as SENTIMENT_LABELS
from monitor.db.models import Label, Mention
from monitor.review.labels import REVIEW_KINDS

UNCERTAIN_BELOW = 0.6


@dataclass(frozen=True)
class Queue:
    """A page of the queue and how many wait in all."""

    mentions: list[Mention]
    total: int


def _doubtful(label: Any, probs: Any, labels: tuple[str, ...], below: float) -> ColumnElement[bool]:
    """The probability the JSON ``probs`` gives the machine's own ``label`` is under ``below``.

    One JSON lookup per row (a CASE on the label), not one per class: the queue reads every
    row once, and parsing each mention's JSON several times was most of its cost.
    """
    chosen = case({name: probs[name].as_float() for name in labels}, value=label)
    return and_(label.in_(labels), func.coalesce(chosen, 0.0) < below)


def flagged(*, below: float = UNCERTAIN_BELOW) -> ColumnElement[bool]:
    """The machines raised a risk or were unsure."""
    return or_(
        Mention.grade.in_(GRADES[1:]),
        Mention.top_category.is_not(None),
        and_(Mention.lang.in_(LANGUAGES),
             or_(_doubtful(Mention.sentiment, Mention.sentiment_probs, SENTIMENT_LABELS, below),
                 _doubtful(Mention.intent, Mention.intent_probs, INTENT_LABELS, below))),
    )


def reviewed() -> ColumnElement[bool]:
    """A reviewer has answered about the mention."""
    return exists().where(Label.mention_id == Mention.id, Label.kind.in_(REVIEW_KINDS))


def review_queue(session: Session, *, limit: int, offset: int = 0,
                 below: float = UNCERTAIN_BELOW, since: datetime | None = None) -> Queue:
    """Flagged, unreviewed, original mentions (published at or after ``since``, if given):
    most severe grade first, then newest."""
    query = select(Mention).where(flagged(below=below), not_(reviewed()),
                                  Mention.duplicate_of.is_(None))
    if since is not None:
        query = query.where(Mention.published_at >= since)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    severity = case({grade: rank for rank, grade in enumerate(GRADES)}, value=Mention.grade,
                    else_=-1)
    rows = session.scalars(query.order_by(severity.desc(), Mention.published_at.desc(),
                                          Mention.id.desc()).limit(limit).offset(offset))
    return Queue(mentions=list(rows), total=total)
