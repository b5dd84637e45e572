"""The settings schema: every key a crisiswatch YAML file may contain.

Field descriptions are user documentation (the configuration reference is generated from them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from config.durations import Duration, format_duration
from config.people import BusinessHours, PeopleList, ScheduleList, TeamList, known_zone
from config.replies import ReplySettings
from config.scoring import ScoringSettings
from config.time_intervals import TimeIntervalList
from playbooks.scripts import DEFAULT_REVIEW_STEPS

_ID = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
_LANG = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def localised_name(name: str, display_names: Mapping[str, str], lang: str | None) -> str:
    """The name to show in ``lang``: its own display name (``zh-Hant``, then ``zh``), else
    ``name``."""
    if lang:
        for tag in (lang, lang.split("-")[0]):
            if display_names.get(tag):
                return display_names[tag]
    return name


def _one_line_names(value: dict[str, str]) -> dict[str, str]:
    for lang, text in value.items():
        if not re.fullmatch(_LANG, lang):
            raise ValueError(f"{lang!r} is not a language tag (expected e.g. zh, en, zh-Hant)")
        if not text.strip() or any(not ch.isprintable() for ch in text):
            raise ValueError(f"{lang}: expected one printable line, got {text!r}")
    return value


DisplayNames = Annotated[
    dict[str, str],
    AfterValidator(_one_line_names),
    Field(
        default_factory=dict,
        description="Name per language (zh: 澜沐乳业): used in response scripts of that "
        "language, and in alerts and digests when it is organisation.locale.",
    ),
]


class _Named:
    """Mixin of models with ``name`` and ``display_names``."""

    if TYPE_CHECKING:  # declared by each model, in its own field order
        name: str
        display_names: dict[str, str]

    def display_name(self, lang: str | None) -> str:
        """The name to show in ``lang`` (a language tag such as zh or zh-Hant)."""
        return localised_name(self.name, self.display_names, lang)


class Organisation(_Named, _Model):
    """Who is being watched."""

    name: str = Field(description="Organisation name shown in alerts and digests.")
    display_names: DisplayNames
    timezone: str = Field(
        "UTC", description="IANA time zone of schedules and of every time shown (alerts, "
        "digests, reports, the CLI)."
    )
    locale: Literal["en", "zh"] = Field(
        "en", description="Language of digest labels, and of names in alerts and digests."
    )
    holidays: tuple[date, ...] = Field(
        (), description="Public holidays: no working hours, restricted on-call layers off."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)


class Storage(_Model):
    """Where mentions, incidents and alerts are stored."""

    url: str | None = Field(
        None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db. "
        "Default: a SQLite file in data_dir.",
    )
    url_env: str | None = Field(
        None, description="Name of an environment variable holding the database URL."
    )
    data_dir: Path = Field(
        Path("crisiswatch-data"),
        description="Folder for the default SQLite database and working files, "
        "relative to the current directory.",
    )


EntityKind = Literal["brand", "product", "executive", "competitor", "topic"]


class Entity(_Named, _Model):
    """A watched name: the organisation's brands, products, executives, competitors, topics."""

    id: str = Field(pattern=_ID, description="Stable identifier used in storage and the CLI.")
    name: str = Field(description="Display name (in languages without a display name).")
    display_names: DisplayNames
    kind: EntityKind = Field(description="What the entity is; weighs impact.")
    aliases: tuple[str, ...] = Field(
        (),
        description="Other spellings (Chinese, English, Traditional); added to jieba's dictionary.",
    )
    query: str | None = Field(
        None,
        description='Boolean watchlist query (AND OR NOT, parentheses, "phrases", NEAR/n, '
        "source: author: lang:). Default: any of name and aliases.",
    )


class _SourceBase(_Model):
    id: str = Field(pattern=_ID, description="Stable identifier of the source.")
    enabled: bool = Field(True, description="Disabled sources are kept but not collected.")
    tier: int = Field(
        3,
        ge=1,
        le=3,
        description="Source tier for impact: 1 national/major, 2 notable, 3 ordinary.",
    )
    interval: Duration = Field(
        timedelta(hours=1),
        description="How often the service polls this source. When omitted, its tier's "
        "service.tier_intervals applies (tier 1: 5m, 2: 15m, 3: 1h); the 1h shown is only "
        "the placeholder value.",
    )


class SourceSettings(_SourceBase):
    """A place mentions come from. ``kind`` names the collector; the kind's own options sit
    beside it (see *Source kinds* in the configuration reference) and are checked by the
    collector registry when the service is built."""

    model_config = ConfigDict(extra="allow", frozen=True)

    kind: str = Field(description="The collector kind (see *Source kinds*).")

    def options(self) -> dict[str, Any]:
        """The kind-specific options (everything except the common keys)."""
        return dict(self.model_extra or {})


class Inbox(_Model):
    """A folder watched for dropped export files."""

    path: Path = Field(
        Path("crisiswatch-data/inbox"),
        description="Folder watched for export files, relative to the current directory.",
    )
    source_id: str = Field(
        "inbox",
        pattern=_ID,
        description="Parent of inbox files' source ids: <source_id>/<platform> when the preset "
        "reads a platform's ids (inbox/weibo), else <source_id>/<file name>.",
    )
    preset: str = Field(
        "auto",
        description="Column mapping preset for inbox files; auto picks one per file from its "
        "header.",
    )
    settle: Duration = Field(
        timedelta(seconds=5), description="A file must be unchanged this long before it is read."
    )
    tier: int = Field(3, ge=1, le=3, description="Source tier of inbox files.")


class Http(_Model):
    """How feeds are fetched."""

    user_agent: str = Field(
        "crisiswatch/0.1 (+https://github.com/crisiswatch/crisiswatch)",
        description="User-Agent header of feed requests (some sites block unnamed clients).",
    )
    connect_timeout: float = Field(5.0, gt=0, description="Seconds to connect.")
    read_timeout: float = Field(15.0, gt=0, description="Seconds to wait for data.")
    max_bytes: int = Field(10 * 1024 * 1024, gt=0, description="Body size cap per fetch.")
    max_redirects: int = Field(5, ge=0, description="Redirects followed per fetch.")


Grade = Literal["none", "low", "medium", "high", "critical"]


class ChannelSettings(BaseModel):
    """A named alert destination; options depend on the kind (see the alert channels reference).

    Secrets are named by environment variable (``token_env``, ``url_env``, ``secret_env``...).
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    kind: str = Field(
        description="slack, webhook, dingtalk, wecom, feishu, email, console or file."
    )
    enabled: bool = Field(True, description="Disabled channels receive nothing.")
    mute_time_intervals: tuple[str, ...] = Field(
        (),
        description="Names of time_intervals during which this channel's alerts are held "
        "(sent when the interval ends, never dropped).",
    )
    active_time_intervals: tuple[str, ...] = Field(
        (),
        description="Names of time_intervals outside which this channel's alerts are held; "
        "empty: always active.",
    )

    def options(self) -> dict[str, Any]:
        """The kind-specific options (everything except kind and enabled)."""
        return dict(self.model_extra or {})


class PlaybookSettings(_Model):
    """Where graded playbooks and response scripts come from, and values for their placeholders."""

    paths: tuple[Path, ...] = Field(
        (), description="Playbook YAML files or folders (relative to this file); default: shipped."
    )
    scripts: tuple[Path, ...] = Field(
        (), description="Response script YAML files (relative to this file); default: shipped."
    )
    hotline: str = Field("", description="Value of the ${hotline} placeholder in scripts.")
    placeholders: dict[str, str] = Field(
        default_factory=dict,
        description="Extra fixed placeholder values, e.g. website: ... (used as ${website}).",
    )
    review_steps: tuple[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")], ...] = Field(
        DEFAULT_REVIEW_STEPS,
        min_length=1,
        description="Review steps a script's text must pass, each by a person holding the role "
        "of that name (people[].roles), before it is offered; the last is the sign-off.",
    )

    @field_validator("review_steps")
    @classmethod
    def _distinct_steps(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        repeated = sorted({step for step in value if value.count(step) > 1})
        if repeated:
            raise ValueError(f"each review step once, got {', '.join(repeated)} twice")
        return value


class SpikeSettings(_Model):
    """Volume spike detection against each entity's own rolling baseline."""

    interval: Duration = Field(timedelta(hours=1), description="Counting interval.")
    baseline: Duration = Field(timedelta(days=28), description="History used as the baseline.")
    min_count: int = Field(10, ge=1, description="Fewer mentions in an interval never spike.")
    ratio: float = Field(3.0, gt=1, description="Interval count over baseline that is a spike.")
    open_incidents: bool = Field(True, description="A spike alone may open an incident.")


class IncidentSettings(_Model):
    """How stories become incidents: one incident per story that crosses the floor."""

    floor: Grade = Field("low", description="Mentions graded below this never open or join one.")
    window: Duration = Field(
        timedelta(hours=48), description="A mention joins its story's open incident seen within "
        "this."
    )
    per_entity: bool = Field(
        False, description="One incident per story and watched entity, instead of one per "
        "story (for organisations whose teams own entities separately).",
    )
    spike_story_share: float = Field(
        0.5, gt=0, le=1, description="Share of a volume spike's mentions one story must hold to "
        "be the story driving it (the spike then belongs to that story's incident).",
    )
    recovery_after: Duration = Field(
        timedelta(hours=2), description="Back at baseline this long: recovery update."
    )
    reopen_within: Duration = Field(
        timedelta(hours=24), description="New evidence this soon after resolution reopens."
    )
    spike: SpikeSettings = Field(default_factory=SpikeSettings)  # type: ignore[arg-type]


class StorySettings(_Model):
    """How mentions are grouped into stories: one story per real-world event."""

    window: Duration = Field(
        timedelta(hours=72), description="A story idle longer than this is closed; a later "
        "mention about the same event starts a new story.",
    )
    threshold: float = Field(
        0.15, gt=0, le=1, description="Text similarity (cosine of the event's words, names, "
        "places, numbers) at which a short post joins a story; longer texts need more.",
    )
    attract_within: Duration | None = Field(
        timedelta(hours=6), description="While an incident is active (seen within this), a "
        "risky post that would start a story joins the incident's story when it names one of "
        "its entities, its category is none or one of the story's, and it shares words with "
        "the story (attract_similarity) or is in a language the story has no posts in (the "
        "names and the kind of event tie posts across languages). null turns it off.",
    )
    attract_similarity: float = Field(
        0.02, ge=0, le=1, description="Least cosine of such a post's words (entity names left "
        "out) to the story's for attract_within.",
    )
    single_kinds: tuple[EntityKind, ...] = Field(
        ("product", "executive"), description="Entity kinds that have one crisis of a kind at a "
        "time: during attract_within, a risky post with a category naming such an entity joins "
        "the active incident's story on it that holds the category, whatever its words.",
    )
    one_at_a_time: tuple[str, ...] = Field(
        ("service_outage",), description="Risk categories of which an entity has one event at "
        "a time: during attract_within, a risky post showing one of them joins the active "
        "incident's story that holds it, whatever its words (\"outage again, payment failed\" "
        "during an \"app down\" incident).",
    )


class AlertingSettings(_Model):
    """Delivery of alerts from the outbox."""

    retry_budget: Duration = Field(
        timedelta(hours=24),
        description="Retry a failing delivery this long (from its first failure) before it is "
        "dead-lettered; permanent errors (unknown channel, bad token) are dead-lettered at once.",
    )
    max_attempts: int | None = Field(
        None, ge=1, description="Attempts before a delivery is dead-lettered even within "
        "retry_budget (default: no limit).",
    )
    backoff_base: Duration = Field(
        timedelta(seconds=2), description="First retry delay (doubling; each delay is at least "
        "half of its doubled step)."
    )
    backoff_cap: Duration = Field(timedelta(minutes=5), description="Longest retry delay.")
    group_wait: Duration = Field(
        timedelta(seconds=30), description="Wait this long to group a burst of new incidents."
    )
    group_interval: Duration = Field(
        timedelta(minutes=5), description="Window in which more than max_individual are grouped."
    )
    max_individual: int = Field(
        5, ge=1, description="New incidents per channel per window sent one by one."
    )
    dashboard_url: str | None = Field(
        None, description="Link base shown in alerts (default: the web console's address)."
    )
    slack_app_token_env: str | None = Field(
        None, description="Env var with a Slack app-level token: enables Socket Mode buttons."
    )

    @field_validator("retry_budget", "backoff_base")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value.total_seconds() <= 0:
            raise ValueError("must be longer than 0s")
        return value

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> AlertingSettings:
        if self.backoff_cap < self.backoff_base:
            raise ValueError(
                f"backoff_cap ({format_duration(self.backoff_cap)}) must not be shorter than "
                f"backoff_base ({format_duration(self.backoff_base)})"
            )
        return self


def _crontab(value: str | None) -> str | None:
    """A five-field crontab with day names (APScheduler 3 numbers weekdays from Monday = 0)."""
    if value is None:
        return None
    fields = value.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month weekday), got {value!r}")
    if any(ch.isdigit() for ch in fields[4]):
        raise ValueError(f"write weekdays as names (mon..sun), not numbers, got {fields[4]!r}")
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"bad crontab {value!r}: {exc}") from None
    return value


class WebSettings(_Model):
    """The web console and /api/v1 (served by `crisiswatch run` and `crisiswatch web`)."""

    host: str = Field("127.0.0.1", description="Address of the console (0.0.0.0 exposes it).")
    port: int | None = Field(
        8765, ge=0, le=65535, description="Port of the console; null: no console, 0: any free."
    )
    public_url: str | None = Field(
        None, description="How people reach the console (e.g. https://cw.example.com/); the "
        "default for alerting.dashboard_url. Default: http://HOST:PORT/."
    )
    secure_cookies: Literal["auto", "always", "never"] = Field(
        "auto", description="Mark login cookies Secure: auto does unless the console is "
        "reached on a loopback address (127.0.0.1, localhost) over plain HTTP.",
    )
    session_lifetime: Duration = Field(
        timedelta(hours=12), description="A login lasts this long without activity."
    )
    login_attempts: int = Field(
        5, ge=1, description="Failed logins allowed per account and per address in login_window."
    )
    login_window: Duration = Field(
        timedelta(minutes=15), description="Window of login_attempts; the next try waits."
    )
    live_interval: Duration = Field(
        timedelta(seconds=2), description="How often live pages (the incident queue) look for "
        "changes."
    )

    @field_validator("session_lifetime", "login_window", "live_interval")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        # 0s would end every login at once, or make every live page poll without pause
        if value.total_seconds() <= 0:
            raise ValueError("must be longer than 0s")
        return value

    def base_url(self) -> str:
        """``public_url``, else the address the console listens on."""
        if self.public_url:
            return self.public_url.rstrip("/") + "/"
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        host = f"[{host}]" if ":" in host else host  # an IPv6 address
        return f"http://{host}:{self.port or 8765}/"


class ServiceSettings(_Model):
    """How `crisiswatch run` schedules work, reports health and shuts down."""

    health_host: str = Field(
        "127.0.0.1", description="Address of /healthz and /metrics (0.0.0.0 exposes them)."
    )
    health_port: int | None = Field(
        9764, ge=0, le=65535, description="Port of /healthz and /metrics; null: off, 0: any free."
    )
    tier_intervals: dict[int, Duration] = Field(
        default_factory=lambda: {
            1: timedelta(minutes=5),
            2: timedelta(minutes=15),
            3: timedelta(hours=1),
        },
        description="Poll interval by source tier, for sources that do not set `interval`.",
    )
    jitter: Duration = Field(
        timedelta(seconds=30),
        description="Most random delay added to each poll (never above a tenth of its interval).",
    )
    backoff_max: Duration = Field(
        timedelta(hours=6),
        description="Longest wait between polls of a failing source (doubling per failure).",
    )
    inbox_interval: Duration = Field(
        timedelta(seconds=30), description="How often the inbox folder is scanned."
    )
    escalation_interval: Duration = Field(
        timedelta(seconds=30), description="How often escalation timers are checked."
    )
    dispatch_interval: Duration = Field(
        timedelta(seconds=5), description="How often the alert outbox is sent."
    )
    digest_cron: str | None = Field(
        "0 8 * * mon",
        description="When the weekly digest is sent (crontab, organisation time zone); null: off. "
        "With a `week` report in `reports.schedule`, leave this out: the report has its `cron`.",
    )
    retention_days: int | None = Field(
        365,
        ge=1,
        description="Mentions, closed incidents and sent alerts older than this are "
        "deleted (never below the spike baseline); null keeps everything.",
    )
    retention_cron: str = Field(
        "30 3 * * *", description="When the retention clean-up runs (crontab, organisation zone)."
    )
    misfire_grace: Duration = Field(
        timedelta(minutes=5), description="A job fired this late still runs; later, it is skipped."
    )
    workers: int = Field(2, ge=1, le=64, description="Worker threads per instance.")
    work_lease: Duration = Field(
        timedelta(seconds=60),
        description="A claimed work item not renewed for this long is taken over by another.",
    )
    work_max_attempts: int = Field(
        5, ge=1, description="Claims of one work item before it is set aside as dead."
    )
    leader_retry: Duration = Field(
        timedelta(seconds=5), description="How often followers try to take the lead (PostgreSQL)."
    )
    shutdown_timeout: Duration = Field(
        timedelta(seconds=30),
        description="On SIGTERM, wait this long for running work before exiting anyway.",
    )

    @field_validator("digest_cron", "retention_cron")
    @classmethod
    def _valid_crontab(cls, value: str | None) -> str | None:
        return _crontab(value)

    @field_validator("tier_intervals")
    @classmethod
    def _tiers(cls, value: dict[int, timedelta]) -> dict[int, timedelta]:
        if set(value) != {1, 2, 3}:
            raise ValueError(f"give an interval for each tier 1, 2 and 3, got {sorted(value)}")
        return value

    @field_validator(
        "inbox_interval",
        "escalation_interval",
        "dispatch_interval",
        "work_lease",
        "leader_retry",
        "backoff_max",
    )
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value.total_seconds() <= 0:
            raise ValueError("must be longer than 0s")
        return value


ReportKind = Literal["day", "week", "month", "quarter", "year"]
ReportFormat = Literal["html", "md", "json"]
# When each kind of report is sent unless its own cron says otherwise (organisation zone).
REPORT_CRONS: Mapping[str, str] = {
    "day": "0 9 * * *",
    "week": "0 8 * * mon",
    "month": "0 9 1 * *",
    "quarter": "0 9 1 1,4,7,10 *",
    "year": "0 9 2 1 *",
}


class ReportSettings(_Model):
    """One scheduled report: a period kind, when it is sent, its files and its audience."""

    kind: ReportKind = Field(
        description="Period covered: `day` (the daily summary, a short chat message), `week` "
        "(ISO week), `month`, `quarter` or `year`; the last full one when it runs."
    )
    name: str | None = Field(
        None,
        pattern=_ID,
        description="Name of this report in logs and work items (default: its kind).",
    )
    cron: str | None = Field(
        None,
        description="When it is written and sent (crontab, organisation time zone; weekdays as "
        "names). Default by kind: day `0 9 * * *`, week `0 8 * * mon`, month `0 9 1 * *`, "
        "quarter `0 9 1 1,4,7,10 *`, year `0 9 2 1 *`.",
    )
    formats: tuple[ReportFormat, ...] = Field(
        ("html", "md", "json"),
        description="Files written under `<data_dir>/digests` (`[]`: none).",
    )
    channels: tuple[str, ...] | None = Field(
        None,
        description="Channels it is sent to (names under `channels`); null: every enabled "
        "channel; `[]`: files only.",
    )

    @field_validator("cron")
    @classmethod
    def _valid_crontab(cls, value: str | None) -> str | None:
        return _crontab(value)

    @property
    def report_name(self) -> str:
        """The name, or the kind when none was given."""
        return self.name or self.kind

    @property
    def schedule(self) -> str:
        """The crontab: its own, or its kind's default."""
        return self.cron or REPORT_CRONS[self.kind]


class ReportsSettings(_Model):
    """Reports for periods (daily summary, weekly digest, monthly, quarterly, yearly)."""

    backfill_after: Duration = Field(
        timedelta(days=2),
        description="A mention collected longer than this after it was published is counted "
        "as backfill (late) in reports; it still counts in the period it was published in.",
    )
    schedule: tuple[ReportSettings, ...] = Field(
        (),
        description="Reports the service writes and sends. Without a `week` report here, "
        "`service.digest_cron` schedules the weekly digest to every enabled channel.",
    )

    @field_validator("backfill_after")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value.total_seconds() <= 0:
            raise ValueError("must be longer than 0s")
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> ReportsSettings:
        seen: set[str] = set()
        for index, report in enumerate(self.schedule):
            if report.report_name in seen:
                raise ValueError(
                    f"schedule[{index}]: two reports named {report.report_name!r} (give each "
                    "report of the same kind its own name)"
                )
            seen.add(report.report_name)
        return self


class JiraSettings(_Model):
    """Jira issues made from review action items (``crisiswatch action push``)."""

    url: str = Field(
        pattern=r"^https?://[^\s/]+",
        description="Base address of the Jira site, e.g. https://acme.atlassian.net.",
    )
    project: str = Field(
        pattern=r"^[A-Z][A-Z0-9_]{0,31}$", description="Key of the project the issues go in."
    )
    issue_type: str = Field("Task", min_length=1, description="Type of the created issues.")
    user_env: str | None = Field(
        None,
        description="Environment variable holding the user for basic authentication (Jira "
        "Cloud: the account's email); not set: the token is sent as a bearer token (a Jira "
        "Data Center personal access token).",
    )
    token_env: str = Field(
        description="Environment variable holding the API token (or personal access token)."
    )
    due_date: bool = Field(
        True,
        description="Set the issue's due date from the item's (turn off when the project's "
        "create screen has no Due date field).",
    )
    api_version: Literal[2, 3] = Field(
        2,
        description="REST API version: 2 (Jira Cloud and Data Center; plain-text description) "
        "or 3 (Jira Cloud; description in Atlassian Document Format).",
    )


class Integrations(_Model):
    """Project tools that reviews reach."""

    jira: JiraSettings | None = Field(
        None, description="Push review action items to Jira as issues (off when absent)."
    )


class Settings(_Model):
    """A complete crisiswatch configuration file."""

    version: Literal[1] = Field(1, description="Configuration format version.")
    organisation: Organisation
    storage: Storage = Field(default_factory=Storage)  # type: ignore[arg-type]
    entities: tuple[Entity, ...] = Field(min_length=1, description="What to watch.")
    sources: tuple[SourceSettings, ...] = Field((), description="Where mentions come from.")
    inbox: Inbox | None = Field(None, description="Optional watched folder for export files.")
    http: Http = Field(default_factory=Http)  # type: ignore[arg-type]
    scoring: ScoringSettings = Field(default_factory=ScoringSettings)  # type: ignore[arg-type]
    stories: StorySettings = Field(default_factory=StorySettings)  # type: ignore[arg-type]
    incidents: IncidentSettings = Field(default_factory=IncidentSettings)  # type: ignore[arg-type]
    playbooks: PlaybookSettings = Field(default_factory=PlaybookSettings)  # type: ignore[arg-type]
    channels: dict[Annotated[str, Field(pattern=_ID)], ChannelSettings] = Field(
        default_factory=lambda: {"console": ChannelSettings.model_validate({"kind": "console"})},
        description="Named alert destinations used by playbooks.",
    )
    alerting: AlertingSettings = Field(default_factory=AlertingSettings)  # type: ignore[arg-type]
    service: ServiceSettings = Field(default_factory=ServiceSettings)  # type: ignore[arg-type]
    web: WebSettings = Field(default_factory=WebSettings)  # type: ignore[arg-type]
    people: PeopleList
    teams: TeamList
    schedules: ScheduleList
    business_hours: BusinessHours | None = Field(
        None, description="The organisation's working hours; null: no working hours are kept."
    )
    integrations: Integrations = Field(default_factory=Integrations)  # type: ignore[arg-type]
    replies: ReplySettings = Field(default_factory=ReplySettings)  # type: ignore[arg-type]
    time_intervals: TimeIntervalList
    reports: ReportsSettings = Field(default_factory=ReportsSettings)  # type: ignore[arg-type]

    def dashboard_url(self) -> str | None:
        """Where alerts link to: ``alerting.dashboard_url``, else the console's address."""
        if self.alerting.dashboard_url:
            return self.alerting.dashboard_url
        if self.web.public_url:
            return self.web.base_url()
        # no console (null), or any free port (0): no address known in advance to link to
        return self.web.base_url() if self.web.port else None

    @field_validator("reports")
    @classmethod
    def _report_audiences(cls, reports: ReportsSettings, info: ValidationInfo) -> ReportsSettings:
        # channels and service come before reports, so they are validated by now (when valid)
        if "channels" not in info.data:  # the channels' own error says what is wrong
            return reports
        channels = info.data["channels"]
        service = info.data.get("service")
        for index, report in enumerate(reports.schedule):
            for name in report.channels or ():
                if name not in channels:
                    known = ", ".join(sorted(channels)) or "none"
                    raise ValueError(
                        f"schedule[{index}].channels: unknown channel {name!r} "
                        f"(configured: {known})"
                    )
        weekly = [r for r in reports.schedule if r.kind == "week"]
        if (weekly and service is not None and "digest_cron" in service.model_fields_set
                and service.digest_cron):
            raise ValueError(
                "service.digest_cron and a week report in reports.schedule both schedule the "
                "weekly digest: set the cron on the report and remove service.digest_cron"
            )
        return reports

    def scheduled_reports(self) -> tuple[ReportSettings, ...]:
        """``reports.schedule``, plus the weekly digest on ``service.digest_cron`` when the
        schedule has no week report (how the weekly digest was configured first)."""
        reports = self.reports.schedule
        if any(r.kind == "week" for r in reports) or self.service.digest_cron is None:
            return reports
        legacy = ReportSettings.model_validate(
            {"kind": "week", "name": "digest", "cron": self.service.digest_cron}
        )
        return (legacy, *reports)

    @model_validator(mode="after")
    def _unique_ids(self) -> Settings:
        for label, ids in (
            ("entities", [e.id for e in self.entities]),
            ("sources", [s.id for s in self.sources]),
        ):
            seen: set[str] = set()
            for item_id in ids:
                if item_id in seen:
                    raise ValueError(f"duplicate {label} id {item_id!r}")
                seen.add(item_id)
        if self.inbox and self.inbox.source_id in {s.id for s in self.sources}:
            raise ValueError(f"inbox.source_id {self.inbox.source_id!r} is also a source id")
        return self

    @model_validator(mode="after")
    def _known_categories(self) -> Settings:
        if self.stories.one_at_a_time:
            known = [c.name for c in self.scoring.to_library().categories]
            for name in self.stories.one_at_a_time:
                if name not in known:
                    raise ValueError(f"stories.one_at_a_time: unknown risk category {name!r} "
                                     f"(known: {', '.join(known)})")
        return self
