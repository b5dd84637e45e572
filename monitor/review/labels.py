"""A reviewer's answer about one mention, stored as ``labels`` rows that ``crisiswatch train``
reads.

- ``record_label``: one kind (sentiment, category or intent) set to one value, validated
  against the classifiers' own label sets and the configured risk categories ("none": no
  category applies).
- ``record_review``: several kinds at once (the review form); ``confirm_mention``: the machine
  was right, so its own values are recorded.

A confirmation is stored as ordinary label rows carrying the machine's values rather than as a
flag: a checked answer is as good a training example as a corrected one (better for the
uncertain mentions the queue shows), and the queue then needs one rule, "has a review label",
whatever the reviewer answered. Only the caller's transaction is used; nothing is committed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from classifiers.intent_labels import INTENT_LABELS
from classifiers.sentiment import LABELS as SENTIMENT_LABELS
from monitor.collectors.base import with_title
from monitor.db.models import Label, Mention
from monitor.incidents.corrections import LABEL_TEXT_CHARS

REVIEW_KINDS: tuple[str, ...] = ("sentiment", "category", "intent")
NO_CATEGORY = "none"


@dataclass(frozen=True)
class StoredLabel:
    """A label as recorded (readable after its session is gone)."""

    id: int
    mention_id: int
    kind: str
    value: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, label: Label) -> StoredLabel:
        return cls(id=label.id, mention_id=label.mention_id or 0, kind=label.kind,
                   value=label.value, created_by=label.created_by, created_at=label.created_at)


class MentionNotFound(LookupError):
    """No mention has this id (404)."""


class LabelError(ValueError):
    """A kind or value the review does not accept (400); says which are accepted."""


def allowed_values(*, kind: str, categories: Collection[str]) -> tuple[str, ...]:
    """The values a label of ``kind`` may take (LabelError for an unknown kind)."""
    if kind == "sentiment":
        return SENTIMENT_LABELS
    if kind == "intent":
        return INTENT_LABELS
    if kind == "category":
        return (*categories, NO_CATEGORY)
    raise LabelError(f"unknown label kind {kind!r} (one of: {', '.join(REVIEW_KINDS)})")


def machine_values(mention: Mention, *, categories: Collection[str]) -> dict[str, str]:
    """What the machines said of ``mention``, per kind, where it is a value a label may take
    (an ``unknown`` sentiment of an unsupported language is left out)."""
    said = {"sentiment": mention.sentiment or "", "category": mention.top_category or NO_CATEGORY,
            "intent": mention.intent or ""}
    return {kind: value for kind, value in said.items()
            if value in allowed_values(kind=kind, categories=categories)}


def get_mention(session: Session, *, mention_id: int) -> Mention:
    """The mention, or MentionNotFound."""
    mention = session.get(Mention, mention_id)
    if mention is None:
        raise MentionNotFound(f"mention {mention_id} not found")
    return mention


def _check(*, kind: str, value: str, categories: Collection[str]) -> None:
    allowed = allowed_values(kind=kind, categories=categories)
    if value not in allowed:
        raise LabelError(f"{kind} {value!r} is not one of: {', '.join(allowed)}")


def _add(session: Session, *, mention: Mention, kind: str, value: str,
         categories: Collection[str], by: str, now: datetime) -> Label:
    _check(kind=kind, value=value, categories=categories)
    label = Label(mention_id=mention.id, kind=kind, value=value,
                  # the text the models scored, so training sees what the machine saw
                  text=with_title(mention.title, mention.text)[:LABEL_TEXT_CHARS],
                  lang=mention.lang, created_by=by[:128], created_at=now)
    session.add(label)
    return label


def record_label(session: Session, *, mention_id: int, kind: str, value: str, by: str,
                 now: datetime, categories: Collection[str]) -> Label:
    """Store that ``by`` says mention ``mention_id``'s ``kind`` is ``value``."""
    mention = get_mention(session, mention_id=mention_id)
    label = _add(session, mention=mention, kind=kind, value=value, categories=categories,
                 by=by, now=now)
    session.flush()
    return label


def record_review(session: Session, *, mention_id: int, values: Mapping[str, str], by: str,
                  now: datetime, categories: Collection[str]) -> list[Label]:
    """Store one label per kind in ``values`` (all validated before any is added)."""
    mention = get_mention(session, mention_id=mention_id)
    if not values:
        raise LabelError("nothing to record: give a sentiment, category or intent")
    for kind, value in values.items():
        _check(kind=kind, value=value, categories=categories)
    labels = [_add(session, mention=mention, kind=kind, value=value, categories=categories,
                   by=by, now=now) for kind, value in values.items()]
    session.flush()
    return labels


def confirm_mention(session: Session, *, mention_id: int, by: str, now: datetime,
                    categories: Collection[str]) -> list[Label]:
    """Store the machines' own values as ``by``'s labels: they were right."""
    mention = get_mention(session, mention_id=mention_id)
    return record_review(session, mention_id=mention_id, by=by, now=now, categories=categories,
                         values=machine_values(mention, categories=categories))
