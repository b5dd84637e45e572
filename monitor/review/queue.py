"""The review queue: mentions the machines flagged that no reviewer has answered yet.

Flagged: a grade above none, a risk category, or an uncertain answer (the top sentiment or
intent probability below ``below``, only for a language the models read: the uniform
"unknown" of any other language is no sign of doubt). Reviewed: the mention has a label of a
``REVIEW_KINDS`` kind (a correction or a confirmation, see ``monitor.review.labels``).
Reposts (``duplicate_of``) are left out: their original carries the same text.
Most severe grade first, then newest published.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def _all_below(column: object, labels: tuple[str, ...], below: float) -> ColumnElement[bool]:
    """Every probability stored under ``labels`` in the JSON ``column`` is under ``below``."""
    return and_(*(func.coalesce(column[label].as_float(), 0.0) < below  # type: ignore[index]
                  for label in labels))


def flagged(*, below: float = UNCERTAIN_BELOW) -> ColumnElement[bool]:
    """The machines raised a risk or were unsure."""
    scored_language = Mention.lang.in_(LANGUAGES)
    return or_(
        Mention.grade.in_(GRADES[1:]),
        Mention.top_category.is_not(None),
        and_(scored_language, Mention.sentiment.in_(SENTIMENT_LABELS),
             _all_below(Mention.sentiment_probs, SENTIMENT_LABELS, below)),
        and_(scored_language, Mention.intent.in_(INTENT_LABELS),
             _all_below(Mention.intent_probs, INTENT_LABELS, below)),
    )


def reviewed() -> ColumnElement[bool]:
    """A reviewer has answered about the mention."""
    return exists().where(Label.mention_id == Mention.id, Label.kind.in_(REVIEW_KINDS))


def review_queue(session: Session, *, limit: int, offset: int = 0,
                 below: float = UNCERTAIN_BELOW) -> Queue:
    """Flagged, unreviewed, original mentions: most severe grade first, then newest."""
    query = select(Mention).where(flagged(below=below), not_(reviewed()),
                                  Mention.duplicate_of.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    severity = case({grade: rank for rank, grade in enumerate(GRADES)}, value=Mention.grade,
                    else_=-1)
    rows = session.scalars(query.order_by(severity.desc(), Mention.published_at.desc(),
                                          Mention.id.desc()).limit(limit).offset(offset))
    return Queue(mentions=list(rows), total=total)
