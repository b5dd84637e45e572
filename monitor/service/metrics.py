"""Prometheus metrics on a private registry: counters for what this instance did, gauges read
from the database at scrape time for what the whole deployment holds.

Counters (per instance; sum them across instances): mentions by source and outcome, source
errors, scoring time per batch, alert deliveries by outcome, escalations queued, job runs.
Gauges (same on every instance; take max): incidents by grade and state, outbox rows by status,
escalations overdue, each source's last-success age and consecutive failures, the work queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Alert, Incident, Source, WorkItem
from monitor.incidents.states import ACTIVE
from monitor.pipeline.ingest import IngestStats
from monitor.replies.listing import overdue_count

log = logging.getLogger(__name__)

OUTCOMES = ("new", "duplicate", "unmatched", "rejected")
DISPATCH_OUTCOMES = ("sent", "retried", "dead", "folded", "suppressed")
# every outbox status, each always exported (0 when none) so "dead > 0" rules see a series
ALERT_STATUSES = ("pending", "sent", "dead", "folded", "suppressed")
SCORING_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
OVERDUE_AFTER = timedelta(minutes=2)


class DispatchCounts(Protocol):
    """What a dispatcher round reports (monitor.alerting.dispatch.DispatchStats)."""

    @property
    def sent(self) -> int:
        """Rows sent."""
    @property
    def retried(self) -> int:
        """Rows to be retried."""
    @property
    def dead(self) -> int:
        """Rows dead-lettered."""
    @property
    def folded(self) -> int:
        """Rows folded into a digest."""
    @property
    def suppressed(self) -> int:
        """Rows suppressed by a silence."""


class ServiceMetrics:
    """The registry /metrics serves, and the hooks that feed it."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.mentions = Counter("crisiswatch_mentions", "Collected items by source and outcome "
                                "(new, duplicate, unmatched, rejected).", ["source", "outcome"],
                                registry=r)
        self.source_errors = Counter("crisiswatch_source_errors",
                                     "Polls or files of a source that failed.", ["source"],
                                     registry=r)
        self.scoring = Histogram("crisiswatch_scoring_seconds",
                                 "Time to score one batch of new mentions (with their incident "
                                 "grouping, when the two run as one step).",
                                 buckets=SCORING_BUCKETS, registry=r)
        self.scored = Counter("crisiswatch_scored_mentions", "Mentions scored.", registry=r)
        self.deliveries = Counter("crisiswatch_alert_deliveries",
                                  "Outbox rows this instance's dispatcher settled, by outcome "
                                  "(sent, retried, dead, folded, suppressed).", ["outcome"],
                                  registry=r)
        self.escalations = Counter("crisiswatch_escalations",
                                   "Escalation notifications queued by the escalation tick.",
                                   registry=r)
        self.job_runs = Counter("crisiswatch_job_runs", "Work items run, by job and outcome "
                                "(ok, error, dead).", ["job", "outcome"], registry=r)
        self.job_seconds = Histogram("crisiswatch_job_duration_seconds",
                                     "Time to run one work item, by job.", ["job"], registry=r)
        self.leader = Gauge("crisiswatch_leader",
                            "1 while this instance runs the scheduler, else 0.", registry=r)
        for outcome in DISPATCH_OUTCOMES:
            self.deliveries.labels(outcome)

    def watch_database(
        self, sessions: sessionmaker[Session], clock: Callable[[], datetime]
    ) -> None:
        """Add the gauges computed from the database at each scrape."""
        self.registry.register(DatabaseCollector(sessions, clock))

    def record_ingest(self, stats: IngestStats) -> None:
        """Count one poll or file."""
        for outcome in OUTCOMES:
            value = int(getattr(stats, outcome))
            if value:
                self.mentions.labels(stats.source_id, outcome).inc(value)
        if stats.error:
            self.source_errors.labels(stats.source_id).inc()

    def record_dispatch(self, stats: DispatchCounts) -> None:
        """Count one dispatcher round."""
        for outcome in DISPATCH_OUTCOMES:
            value = int(getattr(stats, outcome, 0) or 0)
            if value:
                self.deliveries.labels(outcome).inc(value)

    def job_finished(self, *, kind: str, outcome: str, seconds: float) -> None:
        """One work item run (the work queue's observer hook)."""
        self.job_runs.labels(kind, outcome).inc()
        if outcome != "dead":
            self.job_seconds.labels(kind).observe(seconds)

    def observe_scoring(self, seconds: float, count: int) -> None:
        """One scored batch (the scoring step's ``observe_seconds`` hook)."""
        self.scoring.observe(seconds)
        self.scored.inc(count)

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)


class DatabaseCollector(Collector):
    """Gauges read from the database at scrape time (a failing database gives database_up 0)."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    def describe(self) -> list[Metric]:
        # nothing up front: the registry must not query the database when this is registered
        return []

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("crisiswatch_database_up",
                               "1 when the last scrape could read the database.")
        try:
            families = self._read()
        except SQLAlchemyError as exc:
            log.warning("metrics: cannot read the database: %s", " ".join(str(exc).split())[:200])
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self) -> list[Metric]:
        now = self.clock()
        with self.sessions() as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SET LOCAL statement_timeout = 5000"))
            incidents = session.execute(
                select(Incident.grade, Incident.state, func.count()).group_by(
                    Incident.grade, Incident.state)
            ).all()
            alerts = session.execute(
                select(Alert.status, func.count()).group_by(Alert.status)
            ).all()
            retrying = session.scalar(
                select(func.count()).where(Alert.status == "pending", Alert.attempts > 0)
            )
            overdue = session.scalar(
                select(func.count()).where(Incident.state.in_(ACTIVE),
                                           Incident.next_due_at < now - OVERDUE_AFTER)
            )
            sources = session.execute(
                select(Source.id, Source.last_success_at, Source.consecutive_failures)
            ).all()
            work = session.execute(
                select(WorkItem.status, func.count(), func.min(WorkItem.available_at))
                .group_by(WorkItem.status)
            ).all()
            replies = overdue_count(session, now=now)
        late_replies = GaugeMetricFamily(
            "crisiswatch_replies_overdue",
            "Enquiries and complaints whose reply deadline passed with no reply recorded.",
            value=replies,
        )
        families = _families(now, incidents, alerts, retrying or 0, overdue or 0, sources, work)
        return [*families, late_replies]


def _families(now: datetime, incidents: Any, alerts: Any, retrying: int, overdue: int,
              sources: Any, work: Any) -> list[Metric]:
    inc = GaugeMetricFamily("crisiswatch_incidents", "Incidents by grade and state.",
                            labels=["grade", "state"])
    for grade, state, count in incidents:
        inc.add_metric([grade, state], count)
    out = GaugeMetricFamily("crisiswatch_alerts", "Outbox rows by status (pending, sent, "
                            "dead, folded, suppressed).", labels=["status"])
    counts = dict.fromkeys(ALERT_STATUSES, 0) | {status: count for status, count in alerts}
    for status, count in counts.items():
        out.add_metric([status], count)
    retry = GaugeMetricFamily("crisiswatch_alerts_retrying",
                              "Pending outbox rows that already failed at least once.",
                              value=retrying)
    late = GaugeMetricFamily("crisiswatch_escalations_overdue",
                             "Open incidents whose escalation step is over 2 minutes late.",
                             value=overdue)
    age = GaugeMetricFamily("crisiswatch_source_last_success_age_seconds",
                            "Seconds since each source was last collected successfully "
                            "(absent: never).", labels=["source"])
    fails = GaugeMetricFamily("crisiswatch_source_consecutive_failures",
                              "Failed polls in a row, by source.", labels=["source"])
    for source_id, last_success, failures in sources:
        if last_success is not None:
            age.add_metric([source_id], max(0.0, (now - last_success).total_seconds()))
        fails.add_metric([source_id], failures or 0)
    queue = GaugeMetricFamily("crisiswatch_work_items", "Work queue rows by status.",
                              labels=["status"])
    oldest = 0.0
    for status, count, first in work:
        queue.add_metric([status], count)
        if status == "queued" and first is not None:
            oldest = max(0.0, (now - first).total_seconds())
    wait = GaugeMetricFamily("crisiswatch_work_oldest_seconds",
                             "Age of the oldest queued work item (claimed or not).", value=oldest)
    return [inc, out, retry, late, age, fails, queue, wait]
