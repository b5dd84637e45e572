"""review_queue: flagged mentions nobody has reviewed, most severe then newest first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Label, Mention
from monitor.review.labels import confirm_mention, record_label
from monitor.review.queue import review_queue

T0 = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)
CATEGORIES = ("product_safety", "data_privacy")
Add = Callable[..., int]


def _ids(session: Session, **kwargs: object) -> list[int]:
    return [m.id for m in review_queue(session, limit=50, **kwargs).mentions]  # type: ignore[arg-type]


def test_flagged_mentions_wait_most_severe_first_then_newest(
    sessions: sessionmaker[Session], add_mention: Add,
) -> None:
    with sessions.begin() as session:
        calm = add_mention(session, text="love the new flavour", negative=0.05,
                           positive=0.9, intent="interaction")
        older_high = add_mention(session, text="formula recall", category="product_safety",
                                 grade="high", at=T0 - timedelta(hours=2))
        newer_high = add_mention(session, text="another recall", category="product_safety",
                                 grade="high", at=T0 - timedelta(hours=1))
        critical = add_mention(session, text="babies in hospital", category="product_safety",
                               grade="critical", at=T0 - timedelta(hours=5))
        category_only = add_mention(session, text="is my data safe", category="data_privacy",
                                    grade="none", at=T0)
        unsure_sentiment = add_mention(session, text="hmm", negative=0.45, sentiment="negative",
                                       intent="other",
                                       at=T0 + timedelta(minutes=1))
        unsure_intent = add_mention(session, text="well", negative=0.05, positive=0.9,
                                    intent="enquiry", intent_top=0.4,
                                    at=T0 + timedelta(minutes=2))
        repost = add_mention(session, text="babies in hospital", category="product_safety",
                             grade="critical", duplicate_of=critical)
        foreign = add_mention(session, text="何か", negative=0.4, lang="ja", intent="other",
                              intent_top=0.25)
    with sessions() as session:
        waiting = review_queue(session, limit=3)
        assert [m.id for m in waiting.mentions] == [critical, newer_high, older_high]
        assert waiting.total == 6
        assert _ids(session) == [critical, newer_high, older_high, unsure_intent,
                                 unsure_sentiment, category_only]
        assert [m.id for m in review_queue(session, limit=2, offset=4).mentions] == [
            unsure_sentiment, category_only]
        # a stricter threshold: a 45% top sentiment is no longer doubtful, 40% intent still is
        assert unsure_sentiment not in _ids(session, below=0.4)
        assert unsure_intent not in _ids(session, below=0.4)
        assert unsure_intent in _ids(session, below=0.41)
        for never in (calm, repost, foreign):
            assert never not in _ids(session)
        # only what was published since a time
        assert _ids(session, since=T0) == [unsure_intent, unsure_sentiment, category_only]


def test_a_confirmed_or_corrected_mention_leaves_the_queue(
    sessions: sessionmaker[Session], add_mention: Add,
) -> None:
    with sessions.begin() as session:
        confirmed = add_mention(session, category="product_safety", grade="high")
        corrected = add_mention(session, category="product_safety", grade="medium")
        kept = add_mention(session, category="data_privacy", grade="low")
    with sessions.begin() as session:
        assert _ids(session) == [confirmed, corrected, kept]
        confirm_mention(session, mention_id=confirmed, by="li.na", now=T0,
                        categories=CATEGORIES)
        record_label(session, mention_id=corrected, kind="category", value="none", by="li.na",
                     now=T0, categories=CATEGORIES)
    with sessions() as session:
        assert _ids(session) == [kept]
        assert review_queue(session, limit=50).total == 1


def test_an_incidents_false_positive_label_is_no_review(
    sessions: sessionmaker[Session], add_mention: Add,
) -> None:
    # closing an incident as a false positive judges its category, not each mention's
    # sentiment or intent: its mentions still wait for a reviewer
    with sessions.begin() as session:
        mention = add_mention(session, category="product_safety", grade="high")
        session.add(Label(mention_id=mention, kind="false_positive", value="product_safety",
                          text="x", lang="en", created_by="li.na", created_at=T0))
    with sessions() as session:
        assert _ids(session) == [mention]


def test_an_unscored_mention_is_not_flagged(
    sessions: sessionmaker[Session], add_mention: Add,
) -> None:
    with sessions.begin() as session:
        mention = add_mention(session, negative=0.05, intent=None)
        session.execute(update(Mention).where(Mention.id == mention).values(
            sentiment=None, sentiment_probs=None, grade=None))
    with sessions() as session:
        assert _ids(session) == []
