"""record_label / record_review / confirm_mention: validated label rows with the scored text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Label
from monitor.review.labels import (
    LabelError,
    MentionNotFound,
    confirm_mention,
    record_label,
    record_review,
)

T0 = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)
CATEGORIES = ("product_safety", "data_privacy")
Add = Callable[..., int]


def _labels(session: Session) -> list[tuple[int | None, str, str, str, str | None, str]]:
    return [(lab.mention_id, lab.kind, lab.value, lab.text, lab.lang, lab.created_by)
            for lab in session.scalars(select(Label).order_by(Label.id))]


def test_a_label_is_stored_with_the_mentions_text_and_language(
    sessions: sessionmaker[Session], add_mention: Add,
) -> None:
    with sessions.begin() as session:
        mention = add_mention(session, text="澜沐奶粉导致过敏", lang="zh")
        label = record_label(session, mention_id=mention, kind="sentiment", value="negative",
                             by="li.na", now=T0, categories=CATEGORIES)
        assert label.id is not None
    with sessions() as session:
        assert _labels(session) == [(mention, "sentiment", "negative", "澜沐奶粉导致过敏", "zh",
                                     "li.na")]
        assert session.scalars(select(Label)).one().created_at == T0


@pytest.mark.parametrize(("kind", "value"), [
    ("sentiment", "positive"), ("sentiment", "neutral"), ("category", "data_privacy"),
    ("category", "none"), ("intent", "enquiry"), ("intent", "other"),
])
def test_every_value_of_the_classifiers_and_configuration_is_accepted(
    sessions: sessionmaker[Session], add_mention: Add, kind: str, value: str,
) -> None:
    with sessions.begin() as session:
        mention = add_mention(session)
        record_label(session, mention_id=mention, kind=kind, value=value, by="li.na", now=T0,
                     categories=CATEGORIES)
        assert [(k, v) for _, k, v, *_ in _labels(session)] == [(kind, value)]


@pytest.mark.parametrize(("kind", "value", "says"), [
    ("sentiment", "unknown", "sentiment 'unknown' is not one of: positive, neutral, negative"),
    ("sentiment", "Negative", "is not one of"),
    ("category", "spam", "category 'spam' is not one of: product_safety, data_privacy, none"),
    ("intent", "praise", "intent 'praise' is not one of: interaction, enquiry, complaint"),
    ("mood", "happy", "unknown label kind 'mood' (one of: sentiment, category, intent)"),
])
def test_a_value_outside_the_definitions_is_refused_and_nothing_is_written(
    sessions: sessionmaker[Session], add_mention: Add, kind: str, value: str, says: str,
) -> None:
    with sessions.begin() as session:
        mention = add_mention(session)
        with pytest.raises(LabelError, match=says.replace("(", r"\(").replace(")", r"\)")):
            record_label(session, mention_id=mention, kind=kind, value=value, by="li.na",
                         now=T0, categories=CATEGORIES)
        assert _labels(session) == []


def test_an_unknown_mention_is_not_found(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session, pytest.raises(MentionNotFound, match="mention 404"):
        record_label(session, mention_id=404, kind="sentiment", value="negative", by="li.na",
                     now=T0, categories=CATEGORIES)


def test_a_review_with_one_bad_value_writes_none_of_its_labels(
    sessions: sessionmaker[Session], add_mention: Add,
) -> None:
    with sessions.begin() as session:
        mention = add_mention(session)
        with pytest.raises(LabelError, match="intent 'rant'"):
            record_review(session, mention_id=mention, by="li.na", now=T0,
                          categories=CATEGORIES,
                          values={"sentiment": "neutral", "intent": "rant"})
        assert _labels(session) == []


def test_confirming_records_the_machines_own_values(
    sessions: sessionmaker[Session], add_mention: Add,
) -> None:
    with sessions.begin() as session:
        risky = add_mention(session, category="product_safety", negative=0.9,
                            intent="complaint")
        plain = add_mention(session, text="nice", negative=0.1, intent=None)
        confirm_mention(session, mention_id=risky, by="li.na", now=T0, categories=CATEGORIES)
        confirm_mention(session, mention_id=plain, by="li.na", now=T0, categories=CATEGORIES)
        assert [(m, k, v) for m, k, v, *_ in _labels(session)] == [
            (risky, "sentiment", "negative"), (risky, "category", "product_safety"),
            (risky, "intent", "complaint"),
            # no intent was scored: only what the machine did say is confirmed
            (plain, "sentiment", "positive"), (plain, "category", "none"),
        ]
