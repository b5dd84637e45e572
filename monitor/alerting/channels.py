"""Alert channels from configuration, built once at the composition root.

``build_channel_set`` never raises for one bad channel: a channel whose options or secrets are
wrong is listed in ``unavailable`` with the reason, so the others keep working and its outbox
rows are dead-lettered with that reason (visible in ``crisiswatch alerts --failed``).
``check_channels`` validates the configuration for ``check-config`` without any secret.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from alerts.backoff import RetryPolicy
from alerts.channel import Channel, Clock
from alerts.errors import ChannelConfigError
from alerts.grouping import GroupingPolicy
from alerts.registry import CHANNEL_KINDS, build_channel
from config.loader import Finding
from config.schema import Settings
from config.suggest import did_you_mean, one_of
from monitor.alerting.channel_map import ChannelMap, DispatchPolicy

log = logging.getLogger(__name__)

_OPTION_IN_PROBLEM: Final = re.compile(r"option '([A-Za-z0-9_]+)'")
# Any URL-shaped value passes every option check; it is never used to connect.
_PLACEHOLDER: Final = "https://placeholder.invalid/check-config"
# keys every channel has beside its kind's options (suggested for a misspelt option)
_COMMON_KEYS: Final = ("kind", "enabled")


class ChannelSet(ChannelMap):
    """The usable channels by name, the broken ones with why, and the disabled names."""

    def close(self) -> None:
        """Close every channel's connections (errors are logged, never raised)."""
        for name, channel in self.channels.items():
            try:
                channel.close()
            except Exception as exc:  # noqa: BLE001 - closing must not hide the real outcome
                log.warning("closing channel %s failed: %s", name, exc)


def build_channel_set(
    settings: Settings, *, environ: Mapping[str, str] | None = None, clock: Clock | None = None
) -> ChannelSet:
    """Build every enabled channel in ``settings.channels``; broken ones go to ``unavailable``."""
    env = os.environ if environ is None else environ
    built: dict[str, Channel] = {}
    unavailable: dict[str, str] = {}
    for name, config in settings.channels.items():
        if not config.enabled:
            continue
        try:
            built[name] = build_channel(
                name=name, kind=config.kind, options=config.options(), environ=env, clock=clock
            )
        except ChannelConfigError as exc:
            log.warning("alert channel %s is not usable: %s", name, exc)
            unavailable[name] = exc.problem
    disabled = frozenset(n for n, c in settings.channels.items() if not c.enabled)
    return ChannelSet(built, unavailable=unavailable, disabled=disabled)


def check_channels(settings: Settings, *, environ: Mapping[str, str]) -> list[Finding]:
    """What is wrong with the configured channels, at the key path of each problem.

    Options are checked as the service builds them, without any secret; every environment
    variable an enabled channel reads (``*_env`` options and a kind's default, such as Slack's
    SLACK_BOT_TOKEN) that ``environ`` lacks is a warning, as it may be set where the service runs.
    """
    findings: list[Finding] = []
    for name, config in settings.channels.items():
        findings.extend(_check_one(name, config.kind, config.options(), config.enabled, environ))
    findings.extend(_check_socket_mode(settings, environ))
    return findings


def _check_one(
    name: str, kind: str, options: dict[str, Any], enabled: bool, environ: Mapping[str, str]
) -> list[Finding]:
    where = ("channels", name)
    cls = CHANNEL_KINDS.get(kind)
    if cls is None:
        problem = f"unknown channel kind {kind!r}{one_of(kind, CHANNEL_KINDS)}"
        return [Finding((*where, "kind"), problem)]
    allowed = set(cls.required_options) | set(cls.optional_options)
    findings = [
        Finding((*where, key), "unknown option"
                + (did_you_mean(key, _COMMON_KEYS) or one_of(key, allowed)))
        for key in options
        if key not in allowed
    ]
    findings += [Finding((*where, key), "missing option") for key in cls.missing_options(options)]
    if findings:
        return findings
    env = _Placeholders()
    try:
        cls.from_options(name=name, options=options, environ=env, clock=_zero_clock).close()
    except ChannelConfigError as exc:
        match = _OPTION_IN_PROBLEM.search(exc.problem)
        return [Finding((*where, match.group(1) if match else "kind"), exc.problem)]
    if not enabled:
        return []
    return [_unset(where, kind, options, variable) for variable in dict.fromkeys(env.read)
            if not environ.get(variable, "").strip()]


def _unset(
    where: tuple[str, str], kind: str, options: dict[str, Any], variable: str
) -> Finding:
    option = next((key for key, value in options.items()
                   if key.endswith("_env") and value == variable), None)
    if option is None:
        return Finding(where, f"environment variable {variable} is not set (a {kind} channel "
                              "reads it when no *_env option names another)", warning=True)
    return Finding((*where, option), f"environment variable {variable} (named by option "
                                     f"{option!r}) is not set", warning=True)


def _check_socket_mode(settings: Settings, environ: Mapping[str, str]) -> list[Finding]:
    env_name = settings.alerting.slack_app_token_env
    if env_name is None:
        return []
    where = ("alerting", "slack_app_token_env")
    if socket_mode_channel(settings) is None:
        return [Finding(where, "Socket Mode needs an enabled slack channel in bot mode")]
    if not environ.get(env_name, "").strip():
        return [Finding(where, f"environment variable {env_name} is not set", warning=True)]
    return []


def socket_mode_channel(settings: Settings) -> tuple[str, dict[str, Any]] | None:
    """The first enabled Slack bot-mode channel (its token answers Socket Mode buttons)."""
    for name, config in settings.channels.items():
        options = config.options()
        if config.enabled and config.kind == "slack" and options.get("mode", "bot") == "bot":
            return name, options
    return None


def dispatch_policy(settings: Settings) -> DispatchPolicy:
    """The dispatcher's retry and grouping policy from ``settings.alerting``; alerts link to
    ``settings.dashboard_url()``."""
    alerting = settings.alerting
    return DispatchPolicy(
        retry=RetryPolicy(
            base=alerting.backoff_base.total_seconds(),
            cap=alerting.backoff_cap.total_seconds(),
            budget=alerting.retry_budget.total_seconds(),
            max_attempts=alerting.max_attempts,
        ),
        grouping=GroupingPolicy(
            group_wait=alerting.group_wait,
            group_interval=alerting.group_interval,
            max_individual=alerting.max_individual,
        ),
        dashboard_url=settings.dashboard_url(),
    )


class _Placeholders(Mapping[str, str]):
    """An environment in which every variable is set (to a harmless URL-shaped value); it
    remembers the names read, so the check knows every variable a channel needs."""

    def __init__(self) -> None:
        self.read: list[str] = []

    def __getitem__(self, key: str) -> str:
        self.read.append(key)
        return _PLACEHOLDER

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def get(self, key: str, default: Any = None) -> str:
        return self[key]


def _zero_clock() -> float:
    return 0.0
