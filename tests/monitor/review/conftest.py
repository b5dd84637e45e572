"""A migrated database (SQLite, and PostgreSQL when configured) for the review library."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.engine import make_engine, session_factory
from monitor.db.migrate import upgrade
from monitor.db.models import Mention
from monitor.incidents.testing import add_scored_mention

T0 = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)  # also in the test modules


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = (f"sqlite:///{tmp_path / 'review.sqlite'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def _add_mention(session: Session, *, text: str = "Acme formula made my baby ill",
                 intent: str | None = "complaint", intent_top: float = 0.9,
                 positive: float | None = None, **fields: object) -> int:
    fields.setdefault("at", T0)
    mention_id = add_scored_mention(session, text=text, **fields)  # type: ignore[arg-type]
    if intent is not None:
        rest = (1.0 - intent_top) / 3
        probs = {label: rest for label in ("interaction", "enquiry", "complaint", "other")}
        probs[intent] = intent_top
        session.execute(update(Mention).where(Mention.id == mention_id)
                        .values(intent=intent, intent_probs=probs))
    if positive is not None:  # a sure positive: add_scored_mention splits the rest evenly
        negative = float(fields.get("negative", 0.8))  # type: ignore[arg-type]
        session.execute(update(Mention).where(Mention.id == mention_id).values(
            sentiment="positive", sentiment_probs={
                "positive": positive, "negative": negative,
                "neutral": max(0.0, 1 - positive - negative)}))
    return mention_id


@pytest.fixture()
def add_mention() -> Callable[..., int]:
    """``add_mention(session, text=, intent=, intent_top=, positive=, **add_scored_mention
    fields)``: a scored mention at T0 with an intent and its probabilities; its id."""
    return _add_mention
