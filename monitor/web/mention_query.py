"""Mention search as the console and the API take it: the filters from query parameters
(dates in the organisation's zone) and the values each filter offers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.intent_labels import INTENT_LABELS
from classifiers.matrix import GRADES
from classifiers.sentiment import LABELS as SENTIMENT_LABELS
from classifiers.sentiment import UNKNOWN
from monitor.db.models import Source
from monitor.search.mentions import MentionFilter
from monitor.web.context import WebContext


@dataclass(frozen=True)
class Choices:
    """What each filter can be set to (entity: id and display name)."""

    entities: list[tuple[str, str]]
    sources: list[str]
    sentiments: tuple[str, ...]
    categories: tuple[str, ...]
    intents: tuple[str, ...]
    grades: tuple[str, ...]


def choices(web: WebContext, session: Session, *, lang: str) -> Choices:
    """The configured entities and categories, the sources seen, the classifiers' labels."""
    return Choices(
        entities=[(e.id, e.display_name(lang)) for e in web.settings.entities],
        # stored ids: inbox files make one source per platform or file
        sources=list(session.scalars(select(Source.id).order_by(Source.id))),
        sentiments=(*SENTIMENT_LABELS, UNKNOWN),
        categories=web.app.incidents.categories,
        intents=INTENT_LABELS,
        grades=GRADES,
    )


def day_start(day: date, zone: str) -> datetime:
    """Midnight of ``day`` in the organisation's ``zone``, in UTC."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def parse_day(text: str | None) -> date | None:
    """A ``YYYY-MM-DD`` form value (blank: None; ValueError naming it otherwise)."""
    if not text or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {text.strip()[:40]!r}") from None


def mention_filter(
    web: WebContext, *, q: str | None = None, entity: str | None = None,
    source: str | None = None, sentiment: str | None = None, category: str | None = None,
    intent: str | None = None, grade: str | None = None, first_day: date | None = None,
    last_day: date | None = None,
) -> MentionFilter:
    """The search for these parameters (blank ones ignored); days are whole days in the
    organisation's zone, both included."""
    zone = web.settings.organisation.timezone

    def given(value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None

    return MentionFilter(
        text=given(q), entity=given(entity), source=given(source), sentiment=given(sentiment),
        category=given(category), intent=given(intent), grade=given(grade),
        since=day_start(first_day, zone) if first_day else None,
        until=day_start(last_day + timedelta(days=1), zone) if last_day else None,
    )
