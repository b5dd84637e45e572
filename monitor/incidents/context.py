"""What incident work needs from configuration: plain values built once at the composition root."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from classifiers.matrix import MatrixConfig
from config.loader import ConfigError
from config.roster import Roster
from config.schema import IncidentSettings, Settings, localised_name
from monitor.alerting.mute import ChannelWindows, channel_windows
from monitor.clock import utcnow
from monitor.collectors.identity import tier_of
from monitor.escalation_targets import OnCallLookup, target_problems
from monitor.incidents.off_hours import HoursBook, hours_book
from playbooks import (
    DEFAULT_PLACEHOLDERS,
    DEFAULT_REVIEW_STEPS,
    Playbook,
    ResponseScript,
    default_playbook_paths,
    default_scripts_path,
    load_playbooks,
    load_scripts,
)


@dataclass(frozen=True)
class SpikeRules:
    """Volume spike detection against each entity's own baseline (see monitor.incidents.spikes)."""

    interval: timedelta = timedelta(hours=1)
    baseline: timedelta = timedelta(days=28)
    min_count: int = 10
    ratio: float = 3.0
    open_incidents: bool = True
    # Before this much history exists there is no baseline: a new or quiet brand never alarms.
    min_history: timedelta = timedelta(days=1)
    calm_ratio: float = 1.5  # at or below this over baseline counts as "back at baseline"

    @property
    def span(self) -> int:
        """Interval length in whole seconds (at least one minute)."""
        return max(60, int(self.interval.total_seconds()))


@dataclass(frozen=True)
class IncidentRules:
    """How mentions are grouped into incidents (mirrors config.schema.IncidentSettings)."""

    floor: str = "low"
    window: timedelta = timedelta(hours=48)
    per_entity: bool = False
    spike_story_share: float = 0.5
    recovery_after: timedelta = timedelta(hours=2)
    reopen_within: timedelta = timedelta(hours=24)
    spike: SpikeRules = field(default_factory=SpikeRules)

    @classmethod
    def from_settings(cls, settings: IncidentSettings) -> IncidentRules:
        """The plain rules for a validated ``incidents`` section."""
        spike = settings.spike
        return cls(
            floor=settings.floor,
            window=settings.window,
            per_entity=settings.per_entity,
            spike_story_share=settings.spike_story_share,
            recovery_after=settings.recovery_after,
            reopen_within=settings.reopen_within,
            spike=SpikeRules(
                interval=spike.interval,
                baseline=spike.baseline,
                min_count=spike.min_count,
                ratio=spike.ratio,
                open_incidents=spike.open_incidents,
            ),
        )


class IncidentCache:
    """Per-process memo of volume history and baselines; safe to drop at any time."""

    MAX_ENTRIES = 50_000

    def __init__(self) -> None:
        # span -> entity -> spikes._EntityVolume; typed loosely to keep this module import-light
        self.volumes: dict[int, dict[str, Any]] = {}
        self.baselines: dict[tuple[int, str, str], tuple[int, Any]] = {}  # -> (bucket, Baseline)

    def trim(self) -> None:
        """Forget everything once the memo grows past its bound."""
        size = sum(len(v) for v in self.volumes.values())
        if size > self.MAX_ENTRIES or len(self.baselines) > self.MAX_ENTRIES:
            self.volumes.clear()
            self.baselines.clear()


@dataclass(frozen=True)
class IncidentContext:
    """Everything grouping, escalation, messages and reports read; no connections inside."""

    playbooks: tuple[Playbook, ...]
    scripts: tuple[ResponseScript, ...]
    matrix: MatrixConfig
    rules: IncidentRules = field(default_factory=IncidentRules)
    organisation: str = ""
    organisation_names: Mapping[str, str] = field(default_factory=dict)  # lang -> name
    locale: str = "en"  # organisation.locale: names in alerts and incident titles
    entity_names: Mapping[str, str] = field(default_factory=dict)
    entity_display_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    entity_kinds: Mapping[str, str] = field(default_factory=dict)
    source_tiers: Mapping[str, int] = field(default_factory=dict)
    hotline: str = ""
    placeholders: Mapping[str, str] = field(default_factory=dict)
    channels: frozenset[str] = frozenset({"console"})  # configured and enabled
    known_channels: frozenset[str] = frozenset({"console"})  # configured, enabled or not
    categories: tuple[str, ...] = ()
    dashboard_url: str | None = None
    timezone: str = "UTC"
    script_paths: tuple[Path, ...] = ()
    playbook_paths: tuple[Path, ...] = ()
    scripts_are_defaults: bool = True
    review_steps: tuple[str, ...] = DEFAULT_REVIEW_STEPS
    drill: bool = False
    drill_key: str | None = None  # drill incidents are named ID@KEY in alerts
    clock: Callable[[], datetime] = utcnow
    roster: Roster = field(default_factory=lambda: Roster({}, {}, {}))
    # None: nobody is ever on call, so schedule targets fall back to their team's channel
    oncall: OnCallLookup | None = None
    hours: HoursBook = field(default_factory=HoursBook)  # working hours per owning team
    channel_windows: Mapping[str, ChannelWindows] = field(default_factory=dict)
    cache: IncidentCache = field(default_factory=IncidentCache, compare=False, repr=False)

    def playbook_named(self, name: str | None) -> Playbook | None:
        """The loaded playbook with this name, if it still exists."""
        return next((p for p in self.playbooks if p.name == name), None)

    def entity_name(self, entity_id: str, lang: str | None = None) -> str:
        """The entity's name in ``lang`` (default: the organisation's locale)."""
        return localised_name(
            self.entity_names.get(entity_id, entity_id),
            self.entity_display_names.get(entity_id, {}),
            lang or self.locale,
        )

    def organisation_name(self, lang: str | None = None) -> str:
        """The organisation's name in ``lang`` (default: its locale)."""
        return localised_name(self.organisation, self.organisation_names, lang or self.locale)

    def tier_of(self, source_id: str) -> int:
        return tier_of(self.source_tiers, source_id)


def build_incident_context(
    settings: Settings,
    base_dir: Path,
    *,
    clock: Callable[[], datetime] = utcnow,
    drill: bool = False,
    drill_key: str | None = None,
    oncall: OnCallLookup | None = None,
) -> IncidentContext:
    """Load playbooks and scripts (configured, else shipped) and collect the settings they need.

    Raises playbooks.PlaybookError / ScriptError naming the file and key of a bad definition,
    and ConfigError listing every escalation target naming an unknown schedule, person or team
    (file and line of the playbook).
    """
    section = settings.playbooks
    playbook_paths = tuple(_resolve(base_dir, p) for p in section.paths) or default_playbook_paths()
    script_paths = tuple(_resolve(base_dir, p) for p in section.scripts) or (
        default_scripts_path(),
    )
    tiers = {source.id: source.tier for source in settings.sources}
    if settings.inbox is not None:
        tiers[settings.inbox.source_id] = settings.inbox.tier
    library = settings.scoring.to_library()
    placeholders = dict(section.placeholders)
    known = frozenset(DEFAULT_PLACEHOLDERS) | frozenset(placeholders)
    playbooks = load_playbooks(playbook_paths)
    roster = Roster.of(settings)
    problems = target_problems(playbooks, roster)
    if problems:
        raise ConfigError(problems[0].file, [str(p) for p in problems])
    return IncidentContext(
        playbooks=playbooks,
        scripts=load_scripts(
            script_paths, placeholders=known, review_steps=section.review_steps
        ),
        matrix=library.matrix,
        rules=IncidentRules.from_settings(settings.incidents),
        organisation=settings.organisation.name,
        organisation_names=MappingProxyType(dict(settings.organisation.display_names)),
        locale=settings.organisation.locale,
        entity_names=MappingProxyType({e.id: e.name for e in settings.entities}),
        entity_display_names=MappingProxyType(
            {e.id: MappingProxyType(dict(e.display_names)) for e in settings.entities}
        ),
        entity_kinds=MappingProxyType({e.id: e.kind for e in settings.entities}),
        source_tiers=MappingProxyType(tiers),
        hotline=section.hotline,
        placeholders=MappingProxyType(placeholders),
        channels=frozenset(name for name, ch in settings.channels.items() if ch.enabled),
        known_channels=frozenset(settings.channels),
        categories=tuple(spec.name for spec in library.categories),
        dashboard_url=settings.dashboard_url(),
        timezone=settings.organisation.timezone,
        script_paths=script_paths,
        playbook_paths=playbook_paths,
        scripts_are_defaults=not section.scripts,
        review_steps=section.review_steps,
        drill=drill or drill_key is not None,
        drill_key=drill_key,
        clock=clock,
        roster=roster,
        oncall=oncall,
        hours=hours_book(settings),
        channel_windows=MappingProxyType(channel_windows(settings)),
    )


def known_placeholders(ctx: IncidentContext) -> frozenset[str]:
    """Placeholder names a script may use: the shipped ones plus configured fixed values."""
    return frozenset(DEFAULT_PLACEHOLDERS) | frozenset(ctx.placeholders)


def _resolve(base_dir: Path, path: Path) -> Path:
    return path if path.is_absolute() else base_dir / path
