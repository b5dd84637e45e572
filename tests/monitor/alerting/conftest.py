"""Fixtures for the dispatcher tests: a migrated database, an outbox writer, a fake clock.

(The suite runs with --import-mode=importlib, so helpers are fixtures, not imports.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.channel import Channel
from alerts.message import AlertMessage, MentionRef, ScriptRef
from alerts.registry import build_channel
from alerts.testing import FakeSlackServer
from monitor.alerting.outbox import enqueue_alert
from monitor.db.engine import make_engine, session_factory
from monitor.db.migrate import ensure_schema, upgrade
from monitor.db.models import Alert, Incident

T0 = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
SLACK_TOKEN = "xoxb-test-token"
SLACK_ENV = {"SLACK_BOT_TOKEN": SLACK_TOKEN}


@dataclass
class FakeClock:
    """A settable clock; ``advance`` moves it on."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def make_message(incident_id: int, event: str = "opened", **overrides: Any) -> AlertMessage:
    """A realistic alert for incident ``incident_id``."""
    base = AlertMessage(
        incident_id=str(incident_id),
        event=event,
        title=f"Battery overheating reports #{incident_id}",
        grade="high",
        entity="Acme Phone X",
        category="product_safety",
        likelihood=4,
        impact=4,
        status="open",
        created_at=T0,
        reasons=("likelihood 4: 87% negative", "impact 4: tier-1 news"),
        top_mentions=(MentionRef(excerpt="It burned my hand", source="weibo",
                                 url="https://weibo.example/1"),),
        sla=("acknowledge within 15m",),
        checklist=("Confirm the facts",),
        scripts=(ScriptRef(id="holding", lang="en", text="We are aware of reports."),),
    )
    return replace(base, **overrides)


@dataclass
class Outbox:
    """Writes incidents and outbox rows the way the incidents engine does."""

    sessions: sessionmaker[Session]
    clock: FakeClock
    keys: list[str] = field(default_factory=list)

    def incident(self, **overrides: Any) -> int:
        now = self.clock()
        values: dict[str, Any] = dict(
            entity_id="acme", category="product_safety", state="open", grade="high",
            peak_grade="high", likelihood=4, impact=4, first_seen_at=now, last_seen_at=now,
            opened_at=now, updated_at=now,
        )
        values.update(overrides)
        with self.sessions.begin() as session:
            incident = Incident(**values)
            session.add(incident)
            session.flush()
            return incident.id

    def enqueue(
        self, incident_id: int | None, event: str = "opened", *,
        channels: tuple[str, ...] = ("slack",), at: datetime | None = None, **overrides: Any,
    ) -> list[int]:
        """Queue one event for ``channels`` (committed); return the row ids."""
        now = at or self.clock()
        message = make_message(incident_id or 0, event, created_at=now, **overrides)
        key = f"{incident_id}:{event}:{now.isoformat()}:{len(self.keys)}"
        self.keys.append(key)
        with self.sessions.begin() as session:
            rows = enqueue_alert(session, incident_id=incident_id, message=message,
                                 channels=channels, key=key, now=now)
            return [r.id for r in rows]

    def rows(self, **where: Any) -> list[Alert]:
        with self.sessions() as session:
            query = select(Alert).order_by(Alert.id)
            for name, value in where.items():
                query = query.where(getattr(Alert, name) == value)
            return list(session.scalars(query))

    def get(self, alert_id: int) -> Alert:
        with self.sessions() as session:
            row = session.get(Alert, alert_id)
            assert row is not None
            return row

    def statuses(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.rows():
            counts[row.status] = counts.get(row.status, 0) + 1
        return counts


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture()
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'alerts.sqlite'}"


@pytest.fixture()
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    ensure_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture()
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture()
def outbox(sessions: sessionmaker[Session], clock: FakeClock) -> Outbox:
    return Outbox(sessions, clock)


@pytest.fixture()
def pg_sessions(pg_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a private, migrated PostgreSQL schema."""
    engine = make_engine(pg_url)
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture()
def slack() -> Iterator[FakeSlackServer]:
    with FakeSlackServer(token=SLACK_TOKEN) as server:
        yield server


@pytest.fixture()
def slack_channel() -> Callable[..., Channel]:
    """Build a bot-mode Slack channel named "slack" talking to a FakeSlackServer."""

    def build(server: FakeSlackServer, name: str = "slack", **options: Any) -> Channel:
        opts: dict[str, Any] = {"channel": "#risk-alerts", "base_url": server.base_url}
        opts.update(options)
        return build_channel(name=name, kind="slack", options=opts, environ=SLACK_ENV)

    return build


@pytest.fixture()
def message_factory() -> Callable[..., AlertMessage]:
    return make_message


@pytest.fixture()
def pg_outbox(pg_sessions: sessionmaker[Session], clock: FakeClock) -> Outbox:
    """The outbox writer on PostgreSQL (skips without CRISISWATCH_TEST_PG_URL)."""
    return Outbox(pg_sessions, clock)
