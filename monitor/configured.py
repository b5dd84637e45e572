"""The part of the composition root that needs neither storage nor the network.

Configuration in, the watchlist and the scorer out: enough for ``check-config`` and
``classify``, which so never import the database, the collectors or alembic. ``monitor.app``
builds everything else on top of these.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.watchlist.matcher import EntitySpec, Watchlist

if TYPE_CHECKING:
    from classifiers.scorer import Scorer
    from config.loader import LoadedConfig
    from config.roster import Roster
    from config.schema import Settings
    from playbooks.hours import WorkingHours


def entity_specs(settings: Settings) -> list[EntitySpec]:
    """The watchlist's view of the configured entities, in configuration order."""
    return [
        EntitySpec(id=e.id, name=e.name, kind=e.kind, aliases=e.aliases, query=e.query)
        for e in settings.entities
    ]


def build_watchlist(settings: Settings) -> Watchlist:
    return Watchlist.compile(entity_specs(settings))


def models_dir(config: LoadedConfig) -> Path | None:
    """The configured model folder (from `crisiswatch train`), or None for the shipped one."""
    folder = config.settings.scoring.models_dir
    return config.resolve(folder) if folder is not None else None


def load_scorer(
    config: LoadedConfig, *, user_words: Iterable[str], only: Collection[str] | None = None
) -> Scorer:
    """The configured models (or only those for the languages in ``only``), categories and
    risk matrix, loaded now (numpy and all)."""
    from classifiers.scorer import Scorer

    library = config.settings.scoring.to_library()
    return Scorer.load(
        models_dir=models_dir(config),
        categories=library.categories,
        matrix=library.matrix,
        user_words=user_words,
        only=only,
    )


def configured_roster(config: LoadedConfig) -> Roster:
    """The configured people, teams and schedules; ConfigError lists every dangling reference
    (an unknown person, team, channel, entity or category) with file and line."""
    from config.loader import ConfigError
    from config.roster import Roster, people_findings

    errors = [config.describe(f) for f in people_findings(config.settings) if not f.warning]
    if errors:
        raise ConfigError(config.path, errors)
    return Roster.of(config.settings)


def check_time_intervals(config: LoadedConfig) -> None:
    """ConfigError naming, with file and line, each channel's unknown or duplicate time
    interval (a mute window that silently does nothing is worse than a refusal to start)."""
    from config.loader import ConfigError
    from monitor.alerting.mute import interval_findings

    errors = [config.describe(f) for f in interval_findings(config.settings)]
    if errors:
        raise ConfigError(config.path, errors)


def working_hours(settings: Settings, *, team: str | None = None) -> WorkingHours | None:
    """The working hours of ``team`` (its own, else the organisation's), with the
    organisation's holidays; None when no working hours are configured."""
    from zoneinfo import ZoneInfo

    from config.people import WEEKDAYS, clock_time
    from playbooks.hours import Window, WorkingHours

    own = next((t.business_hours for t in settings.teams if t.id == team), None)
    hours = own or settings.business_hours
    if hours is None:
        return None
    return WorkingHours(
        zone=ZoneInfo(hours.timezone or settings.organisation.timezone),
        windows=tuple(
            Window(
                weekdays=frozenset(WEEKDAYS.index(day) for day in w.days),
                start=clock_time(w.start),
                end=clock_time(w.end),
            )
            for w in hours.hours
        ),
        holidays=frozenset(hours.holidays) | frozenset(settings.organisation.holidays),
    )
