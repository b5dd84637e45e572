"""Every number of a digest as one frozen tree; renderers only read it.

Durations are seconds (float), times are aware UTC datetimes, shares are 0..1 fractions; None
means "not defined" (e.g. a negative share when nothing was scored), never zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

SENTIMENTS = ("positive", "neutral", "negative")
OWN_KINDS = ("brand", "product", "executive")
# 2: drills are drill runs, not drill incidents; 3: reviews, executive summary, next steps,
# indicators (engagement, comment rate, enquiries, reply rate, competitors), story links
SCHEMA_VERSION = 3


@dataclass(frozen=True, slots=True)
class Compare:
    """A figure now and in the previous period; ``change`` is current - previous."""

    current: float | None
    previous: float | None
    change: float | None
    change_pct: float | None  # relative change in percent; None when previous is 0 or None

    @classmethod
    def of(cls, current: float | None, previous: float | None) -> Compare:
        """Build with the change fields derived."""
        change = None if current is None or previous is None else current - previous
        pct = None if change is None or not previous else 100.0 * change / previous
        return cls(current=current, previous=previous, change=change, change_pct=pct)


@dataclass(frozen=True, slots=True)
class DurationStats:
    """Median and worst of a set of durations in seconds (None when the set is empty)."""

    count: int
    median_s: float | None
    worst_s: float | None


@dataclass(frozen=True, slots=True)
class PeriodInfo:
    label: str
    first_day: date
    last_day: date
    days: int
    start_at: datetime
    end_at: datetime


@dataclass(frozen=True, slots=True)
class Basis:
    """How rows were placed in the period, and what of it arrived late (backfill).

    Mentions count by publication time, incidents by their first mention's; a mention collected
    more than ``late_after_s`` after it was published is late (an export of old rows, a backfill).
    """

    late_after_s: float = 2 * 86400.0
    late_mentions: int = 0
    late_collected_first: datetime | None = None
    late_collected_last: datetime | None = None
    undated_mentions: int = 0  # no publication time known: counted by collection time
    incidents_opened_later: int = 0  # incidents of the period opened after it ended
    incidents_from_earlier: int = 0  # opened during the period, first mention before it


@dataclass(frozen=True, slots=True)
class Meta:
    organisation: str
    locale: str
    timezone: str
    period: PeriodInfo
    previous: PeriodInfo
    generated_at: datetime
    empty: bool  # no mentions and no incidents in the period
    kind: str = "range"  # day, week, month, quarter, year, or range (monitor.digest.period)
    basis: Basis = Basis()
    schema_version: int = SCHEMA_VERSION


@dataclass(frozen=True, slots=True)
class GradeCount:
    grade: str
    current: int
    previous: int


@dataclass(frozen=True, slots=True)
class Headline:
    mentions: Compare
    scored: Compare  # mentions with a known sentiment (positive, neutral or negative)
    negative: Compare
    negative_share: Compare  # negative / scored
    incidents: Compare  # real (non-drill) incidents whose first mention is in the period
    incidents_by_grade: tuple[GradeCount, ...]  # by peak grade, low..critical
    false_positives: Compare
    time_to_ack: DurationStats
    time_to_ack_previous: DurationStats
    time_to_resolve: DurationStats
    time_to_resolve_previous: DurationStats
    sla_breaches: Compare
    time_to_response: DurationStats  # to the first public response (crisiswatch respond)
    time_to_response_previous: DurationStats
    response_breaches: Compare  # first response late, or missing past the target while open


@dataclass(frozen=True, slots=True)
class SlaRow:
    """Acknowledgement and resolution of one playbook's incidents against its SLA."""

    playbook: str | None  # None: incidents that have no known playbook
    ack_target_s: float | None
    response_target_s: float | None
    incidents: int
    acknowledged: int
    time_to_ack: DurationStats
    ack_breaches: int  # acknowledged late, or still unacknowledged past the target
    resolved: int
    time_to_resolve: DurationStats
    responded: int  # first public response recorded (crisiswatch respond)
    time_to_response: DurationStats
    response_breaches: int  # responded late, or not yet and past the target while still open


@dataclass(frozen=True, slots=True)
class DayRow:
    day: date
    positive: int
    neutral: int
    negative: int
    unscored: int  # no sentiment, or "unknown"

    @property
    def total(self) -> int:
        return self.positive + self.neutral + self.negative + self.unscored


@dataclass(frozen=True, slots=True)
class EntityRow:
    id: str
    name: str
    kind: str
    own: bool
    mentions: int
    positive: int
    neutral: int
    negative: int
    previous_mentions: int


@dataclass(frozen=True, slots=True)
class VoiceRow:
    """The organisation (id "own": any of its brand/product/executive entities) or a competitor."""

    id: str
    name: str
    own: bool
    mentions: int
    share: float | None
    previous_mentions: int
    previous_share: float | None
    positive: int
    neutral: int
    negative: int
    negative_share: float | None
    net_sentiment: float | None  # (positive - negative) / scored, -1..1


@dataclass(frozen=True, slots=True)
class MatrixFigure:
    """Incidents of the period by likelihood (rows 1-5) x impact (columns 1-5)."""

    counts: tuple[tuple[int, ...], ...]
    table: tuple[tuple[str, ...], ...] | None  # the configured grade of each cell
    total: int


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: int
    grade: str  # peak grade
    current_grade: str
    entity_id: str
    entity_name: str
    category: str | None
    title: str
    first_seen_at: datetime
    opened_at: datetime
    state: str
    mention_count: int
    playbook: str | None
    time_to_ack_s: float | None
    time_to_resolve_s: float | None
    ack_breached: bool | None  # None: no SLA known


@dataclass(frozen=True, slots=True)
class MentionLink:
    """One mention a report points to: where it was published, and its engagement."""

    id: int
    source_id: str
    author: str | None
    url: str | None  # http(s) only
    published_at: datetime
    engagement: int | None  # likes + comments + shares; None: the source gives no counts


@dataclass(frozen=True, slots=True)
class StoryRow:
    """One story of the period (mentions counted in the period), with a link to read it."""

    id: int
    title: str
    mentions: int
    sources: int
    first_seen_at: datetime
    last_seen_at: datetime
    incident_id: int | None
    grade: str | None  # its incident's peak grade
    url: str | None  # the first of its mentions with a web address
    first_mention: MentionLink | None = None  # its earliest mention published in the period
    top_mention: MentionLink | None = None  # its most engaged one (None: no engagement counts)


@dataclass(frozen=True, slots=True)
class Theme:
    term: str
    weight: float
    lang: str


@dataclass(frozen=True, slots=True)
class Themes:
    negative_total: int
    sample_size: int
    zh: tuple[Theme, ...]
    en: tuple[Theme, ...]


@dataclass(frozen=True, slots=True)
class ReachRow:
    """A source or an author ranked by the summed author reach of its negative mentions."""

    name: str
    source_id: str
    negative_mentions: int
    negative_reach: int | None  # None: no mention gave a follower count (news, most feeds)


@dataclass(frozen=True, slots=True)
class ScriptItem:
    id: str
    title: str
    lang: str
    scenario: str
    approved: bool
    reason: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class OpenItems:
    unacknowledged_total: int
    unacknowledged: tuple[IncidentRow, ...]
    unresolved_total: int  # acknowledged, not yet resolved
    unresolved: tuple[IncidentRow, ...]
    scripts: tuple[ScriptItem, ...]  # not approved, or approval expiring soon
    script_window_days: int
    open_by_grade: tuple[tuple[str, int], ...] = ()  # unresolved now, by peak grade, worst first


@dataclass(frozen=True, slots=True)
class DrillRow:
    """One drill, from the report stored when it ended; times are drill time."""

    key: str
    scenario: str
    title: str
    state: str  # finished | aborted
    started_at: datetime  # wall clock
    incidents: int
    highest_grade: str  # "none" when no incident was graded
    alerts_sent: int  # deliveries that went out (status sent)
    escalation_level: int  # highest level alerted; 0 when nothing was
    first_ack_s: float | None  # quickest acknowledgement from its incident's opening
    ack_within_sla: bool | None  # every incident acknowledged in time; None: no SLA to meet
    expectations_met: bool | None  # None: the scenario has no applicable expectation


@dataclass(frozen=True, slots=True)
class Drills:
    """Finished and aborted drills started in the period (running ones are left out)."""

    count: int  # including those whose report cannot be read
    unreadable: int  # stored reports that could not be read; not in the figures below
    ack_within_sla: int  # drills whose ack_within_sla is True
    first_ack: DurationStats  # over the drills' first acknowledgements
    items: tuple[DrillRow, ...]  # oldest first


@dataclass(frozen=True, slots=True)
class ReviewRow:
    """A post-incident review completed in the period."""

    incident_id: int
    title: str
    grade: str  # the incident's peak grade
    completed_at: datetime
    completed_by: str
    causes: int
    actions: int
    actions_open: int  # open now


@dataclass(frozen=True, slots=True)
class ActionRow:
    """A review action item that was overdue: open after its due time."""

    id: int
    incident_id: int
    text: str
    owner: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Reviews:
    """Reviews completed in the period, and action items overdue at ``as_of``."""

    completed_total: int
    completed: tuple[ReviewRow, ...]  # newest first
    overdue_total: int
    overdue: tuple[ActionRow, ...]  # longest overdue first
    as_of: datetime  # the period's end, or the digest's time when that is sooner


@dataclass(frozen=True, slots=True)
class Indicator:
    """One of the source plans' indicators against the previous period.

    ``reason`` (a code, e.g. ``no_comment_counts``) says why the current figure is not
    available, ``previous_reason`` the same for the previous period; a figure that is not
    available is None in ``value``.
    """

    key: str
    unit: str  # count | share (0..1) | average (per mention)
    value: Compare
    reason: str | None = None
    previous_reason: str | None = None


@dataclass(frozen=True, slots=True)
class CompetitorRow:
    """Mentions, engagement and their growth of the organisation (id "own") or a competitor."""

    id: str
    name: str
    own: bool
    mentions: Compare
    engagement: Compare  # likes + comments + shares of its mentions carrying such counts
    engaged_mentions: int  # its mentions carrying engagement counts, this period
    previous_engaged_mentions: int


@dataclass(frozen=True, slots=True)
class Indicators:
    rows: tuple[Indicator, ...]
    competitors: tuple[CompetitorRow, ...]


@dataclass(frozen=True, slots=True)
class NextStep:
    """One recommended action: what to do, about what, by when, and why it is pressing."""

    kind: str  # incident | action_item | ... (one per provider; overdue replies to come)
    ref: str  # what it is about, as people quote it: "#12"
    title: str
    action: str  # the next thing to do, in the organisation's locale
    grade: str | None = None
    state: str | None = None
    sla: str | None = None  # ack_ or response_ overdue or due, action_overdue
    due_at: datetime | None = None
    overdue: bool = False
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class NextSteps:
    items: tuple[NextStep, ...]  # overdue first, then by grade and due time
    total: int  # before the list was cut to the digest's size
    overdue: int  # of the total


@dataclass(frozen=True, slots=True)
class Digest:
    meta: Meta
    headline: Headline
    sla: tuple[SlaRow, ...]
    daily: tuple[DayRow, ...]
    entities: tuple[EntityRow, ...]
    voice: tuple[VoiceRow, ...]
    matrix: MatrixFigure
    top_incidents: tuple[IncidentRow, ...]
    top_stories: tuple[StoryRow, ...]
    themes: Themes
    top_sources: tuple[ReachRow, ...]
    top_authors: tuple[ReachRow, ...]
    open_items: OpenItems
    drills: Drills
    reviews: Reviews
    replies: ReplyFigures | None = None  # monitor.digest.reply_figures
    summary: tuple[str, ...] = ()  # executive summary sentences, in the organisation's locale
    next_steps: NextSteps | None = None
    indicators: Indicators | None = None


@dataclass(frozen=True, slots=True)
class ReplyIntentRow:
    """Reply figures for the messages of one intent (enquiry or complaint)."""

    intent: str
    needing: int
    replied: int
    in_time: int
    pending: int  # no reply yet, deadline not passed


@dataclass(frozen=True, slots=True)
class OverdueReply:
    """A message whose reply is overdue now (a next step)."""

    mention_id: int
    intent: str
    source: str
    author: str | None
    excerpt: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class ReplyFigures:
    """Replies to the period's enquiries and complaints, against the goal."""

    needing: int
    replied: int
    in_time: int
    pending: int
    reply_rate: float | None  # replied / needing
    in_time_rate: float | None  # in time / (needing - pending)
    goal: float
    goal_met: bool | None  # in_time_rate >= goal; None: nothing to judge
    time_to_reply: DurationStats  # publication to first reply
    by_intent: tuple[ReplyIntentRow, ...]
    overdue_total: int  # overdue now, whenever published
    overdue: tuple[OverdueReply, ...]  # the most overdue first
