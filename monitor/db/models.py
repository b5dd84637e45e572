"""Typed ORM models. Schema changes go through Alembic migrations (monitor/db/migrations)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, always returns aware UTC (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    """A configured source and its fetch state."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_polled_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    bozo_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class Mention(Base):
    """One collected item that matched at least one watched entity."""

    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id", name="uq_mentions_source_external"),
        Index("ix_mentions_content_hash", "content_hash"),
        Index("ix_mentions_published_at", "published_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    external_id: Mapped[str] = mapped_column(String(512))
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(512))
    author_reach: Mapped[int | None] = mapped_column(BigInteger)
    published_at: Mapped[datetime]
    date_missing: Mapped[bool] = mapped_column(Boolean, default=False)
    collected_at: Mapped[datetime]
    lang: Mapped[str | None] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("mentions.id"))
    entities: Mapped[list[Any]] = mapped_column(JSON, default=list)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id"))
    # scoring (classifiers.scorer.Score), filled in the same transaction as the insert
    sentiment: Mapped[str | None] = mapped_column(String(10))
    sentiment_probs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    categories: Mapped[list[Any] | None] = mapped_column(
        JSON
    )  # [{category, score, severity, evidence, source}]
    top_category: Mapped[str | None] = mapped_column(String(40), index=True)
    likelihood: Mapped[int | None] = mapped_column(Integer)
    impact: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(String(10), index=True)
    reasons: Mapped[list[Any] | None] = mapped_column(JSON)
    intent: Mapped[str | None] = mapped_column(String(16), index=True)  # interaction|enquiry|...
    intent_probs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    scored_at: Mapped[datetime | None]
    # the story of the same real-world event (monitor.stories), set in the same transaction
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id"), index=True)


class MentionEntity(Base):
    """Which watched entities a mention matched (indexed for ``mentions --entity``)."""

    __tablename__ = "mention_entities"

    mention_id: Mapped[int] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True
    )
    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class IngestRun(Base):
    """One collection of one source (a poll or a file), with its counts and resume point."""

    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))  # running | ok | failed | interrupted
    file_path: Mapped[str | None] = mapped_column(Text)
    file_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    last_line: Mapped[int] = mapped_column(Integer, default=0)
    seen: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    duplicate: Mapped[int] = mapped_column(Integer, default=0)
    unmatched: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # A service run is leased to its instance (renewed while it works): a run still "running"
    # after its lease ran out was cut short and is marked "interrupted". CLI runs hold no lease.
    owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(index=True)


class QuarantinedRow(Base):
    """A row or entry that could not be ingested, kept with where it came from; stored once
    per source (``fingerprint``), however often the same bad row is read again."""

    __tablename__ = "quarantined_rows"
    __table_args__ = (
        UniqueConstraint("source_id", "fingerprint", name="uq_quarantined_rows_fingerprint"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id"), index=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    location: Mapped[str] = mapped_column(Text)
    line: Mapped[int | None] = mapped_column(Integer)
    offset: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    fingerprint: Mapped[str | None] = mapped_column(String(32))  # store.quarantine_fingerprint


class Incident(Base):
    """A story that crossed the risk threshold (one per story), driven by a playbook."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_entity_category_state", "entity_id", "category", "state"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(40))  # None: opened on volume alone
    state: Mapped[str] = mapped_column(
        String(16), index=True
    )  # open|acknowledged|resolved|false_positive
    grade: Mapped[str] = mapped_column(String(10))
    peak_grade: Mapped[str] = mapped_column(String(10))
    likelihood: Mapped[int] = mapped_column(Integer)
    impact: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    title: Mapped[str] = mapped_column(Text, default="")
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    mention_count: Mapped[int] = mapped_column(Integer, default=0)
    negative_count: Mapped[int] = mapped_column(Integer, default=0)
    neutral_count: Mapped[int] = mapped_column(Integer, default=0)
    positive_count: Mapped[int] = mapped_column(Integer, default=0)
    reach_total: Mapped[int] = mapped_column(BigInteger, default=0)
    top_sources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    top_authors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    spike_ratio: Mapped[float | None] = mapped_column(Float)
    playbook: Mapped[str | None] = mapped_column(String(64))
    escalation: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # playbooks.EscalationState
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    # the configured person (people[].id) who acknowledged; None: unverified (free text, a
    # Slack user not among the people, or no people configured)
    acknowledged_person: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    # the first public response (statement, reply, post) recorded with ``crisiswatch respond``
    responded_at: Mapped[datetime | None]
    responded_by: Mapped[str | None] = mapped_column(String(128))
    recovered_at: Mapped[datetime | None]
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    # running aggregates of the evidence (matrix signals, recovery tracking); see monitor.incidents
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # the story this incident is (one incident per story); None: opened on volume alone
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id"), index=True)
    categories: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # category -> evidence count
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    # the last Alert.seq given to this incident's alerts; bumped under the row's lock
    alert_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Story(Base):
    """Mentions about one real-world event (monitor.stories): what they share, and the story
    engine's state, so that any process can carry the story on."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")  # the first mention with content
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    mention_count: Mapped[int] = mapped_column(Integer, default=0)
    negative_count: Mapped[int] = mapped_column(Integer, default=0)
    entities: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # entity -> mentions
    sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # source -> mentions
    categories: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # category -> count
    signature: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))  # to_json
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("stories.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(index=True)


class StoryLink(Base):
    """Two stories a responder marked as related (``crisiswatch incident link``)."""

    __tablename__ = "story_links"

    story_id: Mapped[int] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    other_id: Mapped[int] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class IncidentMention(Base):
    __tablename__ = "incident_mentions"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    mention_id: Mapped[int] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class IncidentEvent(Base):
    """The incident's timeline: opened, evidence, grade changes, alerts, escalations, changes of
    state."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(128))
    grade: Mapped[str | None] = mapped_column(String(10))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Silence(Base):
    """Suppresses alerts (not recording) for an entity, category or source until a time."""

    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entity_id: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(40))
    source_id: Mapped[str | None] = mapped_column(String(64))
    until: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class Label(Base):
    """A responder's correction (sentiment, category, false positive), reusable for training."""

    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    mention_id: Mapped[int | None] = mapped_column(ForeignKey("mentions.id", ondelete="SET NULL"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(24))  # sentiment | category | false_positive
    value: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(8))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class Alert(Base):
    """The outbox: one delivery of one incident event to one channel (at least once, by key)."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(64))
    dedup_key: Mapped[str] = mapped_column(String(255), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12))  # pending|sent|folded|dead|suppressed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(128))  # monitor.instance owner
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    remote_id: Mapped[str | None] = mapped_column(String(255))
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    # this incident's alerts in commit order (1, 2, ...); None for digests
    seq: Mapped[int | None] = mapped_column(Integer)
    # the first failed attempt of the current run of failures: the retry budget counts from it
    failing_since: Mapped[datetime | None]


class AlertThread(Base):
    """Where an incident's thread lives in a channel (Slack ts + channel id, email Message-ID)."""

    __tablename__ = "alert_threads"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    thread_id: Mapped[str] = mapped_column(String(255))
    conversation: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime]


class VolumeCount(Base):
    """Mentions (and negative ones) per entity x category x interval: spike baselines."""

    __tablename__ = "volume_counts"

    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)  # "": every category
    span: Mapped[int] = mapped_column(Integer, primary_key=True)  # interval length in seconds
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # interval start, epoch s
    mentions: Mapped[int] = mapped_column(Integer, default=0)
    negative: Mapped[int] = mapped_column(Integer, default=0)


class WorkItem(Base):
    """The service's work queue: due work enqueued by the leader, claimed by any instance.

    One outstanding item per ``key`` (a poll of one source, one inbox file, one tick), so
    enqueueing is idempotent. A claim is a lease (``claimed_until``) renewed while the work
    runs; an expired lease means its worker died and the item may be claimed again.
    """

    __tablename__ = "work_items"
    __table_args__ = (Index("ix_work_items_status_available", "status", "available_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    job: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12))  # queued | done (key kept) | dead
    available_at: Mapped[datetime]
    enqueued_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class DrillRun(Base):
    """One drill: a scenario replayed into its own database (see monitor.drills).

    The row lives in the drill database while the drill runs (``state`` running: commands
    opened on that database then use the drill's compressed clock) and is copied, with its
    report, into the main database when it ends, where the weekly digest reads it.
    """

    __tablename__ = "drill_runs"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    scenario: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))  # running | finished | aborted | failed
    speed: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime]  # wall clock
    scenario_start: Mapped[datetime]  # drill clock at started_at
    finished_at: Mapped[datetime | None]
    database: Mapped[str] = mapped_column(Text)  # the drill database's URL, password hidden
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class OncallOverride(Base):
    """A person on call for a schedule over its rotation from a time to a time (monitor.oncall).

    Overrides of one schedule never overlap (checked when one is added)."""

    __tablename__ = "oncall_overrides"
    __table_args__ = (Index("ix_oncall_overrides_schedule_end", "schedule_id", "ends_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    schedule_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class OncallSwap(Base):
    """One shift of a schedule given by its person to another: the shift of ``person_id``
    starting at ``shift_start`` is taken by ``with_person_id`` (monitor.oncall)."""

    __tablename__ = "oncall_swaps"
    __table_args__ = (
        UniqueConstraint("schedule_id", "person_id", "shift_start", name="uq_oncall_swaps_shift"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    schedule_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[str] = mapped_column(String(64))
    with_person_id: Mapped[str] = mapped_column(String(64))
    shift_start: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
class Review(Base):
    """The post-incident review (复盘) of one incident: what people concluded, stored.

    The timeline is not stored: it is generated from the incident's events when shown."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True
    )
    summary: Mapped[str] = mapped_column(Text, default="")
    causes: Mapped[list[Any]] = mapped_column(JSON, default=list)  # strings
    went_well: Mapped[list[Any]] = mapped_column(JSON, default=list)  # strings
    went_badly: Mapped[list[Any]] = mapped_column(JSON, default=list)  # strings
    # proposed revisions of playbooks, response scripts or the watchlist (strings)
    revisions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(128))
    # set when the review meeting's conclusions are final; the digest counts it then
    completed_at: Mapped[datetime | None] = mapped_column(index=True)
    completed_by: Mapped[str | None] = mapped_column(String(128))


class ActionItem(Base):
    """A follow-up agreed in a review: who does what by when, and what became of it."""

    __tablename__ = "review_actions"
    __table_args__ = (Index("ix_review_actions_state_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(128))
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(8))  # monitor.incidents.states.ACTION_STATES
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(128))
    state_changed_at: Mapped[datetime]
    state_changed_by: Mapped[str] = mapped_column(String(128))
    # the Jira issue made from this item (``crisiswatch action push``); None: not pushed
    jira_key: Mapped[str | None] = mapped_column(String(64))
class ReplyDeadline(Base):
    """A mention that needs a reply (an enquiry or complaint on a source that expects one),
    with its deadline, set when the mention is stored (see monitor.replies)."""

    __tablename__ = "reply_deadlines"

    mention_id: Mapped[int] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True
    )
    intent: Mapped[str] = mapped_column(String(16))  # enquiry | complaint
    basis: Mapped[str] = mapped_column(String(16))  # intent | category | question
    started_at: Mapped[datetime]  # when the message was published
    due_at: Mapped[datetime] = mapped_column(index=True)
    hours: Mapped[str | None] = mapped_column(String(64))  # team whose hours count; "*": org's
    created_at: Mapped[datetime]


class Reply(Base):
    """A reply to a mention: who, when, and how it was recorded (cli | slack | import)."""

    __tablename__ = "replies"
    __table_args__ = (
        UniqueConstraint("mention_id", "replied_at", "via", name="uq_replies_mention_at_via"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    mention_id: Mapped[int] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), index=True
    )
    replied_at: Mapped[datetime]
    replied_by: Mapped[str | None] = mapped_column(String(128))  # person id, or as given
    verified: Mapped[bool] = mapped_column(Boolean, default=False)  # a configured person
    note: Mapped[str | None] = mapped_column(Text)
    via: Mapped[str] = mapped_column(String(8))  # cli | slack | import
    recorded_at: Mapped[datetime]


class User(Base):
    """A console or API account (monitor.users): a local password hashed with argon2 and a
    role, optionally the configured person whose name its actions carry."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # monitor.users.roles.ROLES
    person: Mapped[str | None] = mapped_column(String(64))  # a people[] id
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(128))
    password_changed_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]


class ApiToken(Base):
    """A bearer token of a user: only its SHA-256 is kept; scoped, expiring, revocable."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16))  # a role: the token can do no more
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class WebSession(Base):
    """A console login: the cookie carries the secret, the row keeps its SHA-256."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    address: Mapped[str | None] = mapped_column(String(64))


class AuditEntry(Base):
    """Who did what, when and from where, through the console, the API or the CLI."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    address: Mapped[str | None] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(8))  # web | api | cli
