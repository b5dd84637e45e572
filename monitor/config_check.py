"""What ``crisiswatch check-config`` checks beyond the schema: the watchlist queries, the
sources and the inbox, playbook and script files, the alert channels, the integrations, and
every environment variable the configuration names.

Each finding carries its key path, so the file's line can be shown. A variable that is not set
is a warning (it may well be set where the service runs); everything else is an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from config.loader import Finding, LoadedConfig
from config.reply_checks import reply_findings
from config.roster import people_findings
from config.schema import Settings
from monitor.alerting.channels import check_channels
from monitor.alerting.mute import interval_findings
from monitor.configured import entity_specs
from monitor.pipeline.sources import check_sources
from monitor.watchlist.matcher import entity_ast
from monitor.watchlist.query import QuerySyntaxError


def check_configuration(config: LoadedConfig, *, environ: Mapping[str, str]) -> list[Finding]:
    """Every error and warning about ``config``, section by section."""
    settings = config.settings
    return [
        *_queries(settings),
        *_storage(settings, environ),
        *check_sources(config),
        *_playbook_files(config),
        *check_channels(settings, environ=environ),
        *people_findings(settings),
        *_integrations(settings, environ),
        *reply_findings(settings),
        *interval_findings(settings),
    ]


def _queries(settings: Settings) -> Iterator[Finding]:
    for index, (entity, spec) in enumerate(
        zip(settings.entities, entity_specs(settings), strict=True)
    ):
        try:
            entity_ast(spec)
        except QuerySyntaxError as exc:
            key = "query" if entity.query is not None else "name"
            yield Finding(("entities", index, key), str(exc.for_entity(entity.id)))


def _storage(settings: Settings, environ: Mapping[str, str]) -> Iterator[Finding]:
    name = settings.storage.url_env
    if name and not environ.get(name, "").strip():
        yield Finding(
            ("storage", "url_env"), f"environment variable {name} is not set", warning=True
        )


def _integrations(settings: Settings, environ: Mapping[str, str]) -> Iterator[Finding]:
    jira = settings.integrations.jira
    if jira is None:
        return
    for key, name in (("user_env", jira.user_env), ("token_env", jira.token_env)):
        if name and not environ.get(name, "").strip():
            yield Finding(
                ("integrations", "jira", key),
                f"environment variable {name} is not set",
                warning=True,
            )
def check_playbook_targets(config: LoadedConfig) -> list[str]:
    """``file:line: key: problem`` for each playbook that cannot be loaded and each escalation
    target naming an unknown schedule, person or team (the playbook files have their own
    lines, so these are not findings in the configuration file)."""
    from config.roster import Roster
    from monitor.escalation_targets import target_problems
    from playbooks import PlaybookError, default_playbook_paths, load_playbooks

    section = config.settings.playbooks
    paths = [config.resolve(p) for p in section.paths]
    if not all(p.exists() for p in paths):
        return []  # named by _playbook_files
    try:
        playbooks = load_playbooks(paths or default_playbook_paths())
    except PlaybookError as exc:
        return [str(exc)]
    return [str(p) for p in target_problems(playbooks, Roster.of(config.settings))]


def _playbook_files(config: LoadedConfig) -> Iterator[Finding]:
    section = config.settings.playbooks
    for key, paths in (("paths", section.paths), ("scripts", section.scripts)):
        for index, path in enumerate(paths):
            if not config.resolve(path).exists():
                yield Finding(("playbooks", key, index), f"file not found: {config.resolve(path)}")
