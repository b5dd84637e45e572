"""Acknowledge / Escalate / Resolve / Record response from Slack: Socket Mode wired to the
lifecycle.

``make_on_action`` turns the lifecycle functions (the same ones the CLI calls) into the
``on_action(action, incident_id, slack_user_id[, note])`` callback of ``alerts.socket_mode``: each
press runs in a fresh database session of its own and records who pressed, as named by an
injected ``actor_for`` (default ``slack:<user id>``; ``slack_user_namer`` adds the display name).
``start_socket_mode`` connects when ``alerting.slack_app_token_env`` is configured.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from alerts.errors import ChannelConfigError
from alerts.sanitize import clean_text
from alerts.socket_mode import OnAction, SocketModeHandle, run_socket_mode
from config.schema import Settings
from monitor.alerting.channels import socket_mode_channel

log = logging.getLogger(__name__)


class LifecycleFn(Protocol):
    """A lifecycle transition: ``fn(session, incident_id=..., actor=..., now=...)``."""

    def __call__(
        self, session: Session, *, incident_id: int, actor: str, now: datetime
    ) -> object: ...


class RespondFn(Protocol):
    """Record a public response: ``fn(session, incident_id=..., actor=..., note=..., now=...)``."""

    def __call__(
        self, session: Session, *, incident_id: int, actor: str, note: str, now: datetime
    ) -> object: ...


class ReplyFn(Protocol):
    """Record a reply to a mention by a Slack user; return the confirmation text."""

    def __call__(
        self, session: Session, *, mention_id: int, slack_user: str, now: datetime
    ) -> str: ...


@dataclass(frozen=True)
class LifecycleActions:
    """The transitions the buttons call (``respond``: the response form's submission)."""

    acknowledge: LifecycleFn
    escalate: LifecycleFn
    resolve: LifecycleFn
    respond: RespondFn | None = None
    replied: ReplyFn | None = None  # the "Replied" button of a mention awaiting a reply

    def get(self, action: str) -> LifecycleFn | None:
        """The function for a button's action name, if it is one of ours."""
        return {"acknowledge": self.acknowledge, "escalate": self.escalate,
                "resolve": self.resolve}.get(action)


PAST_TENSE = {"acknowledge": "acknowledged", "escalate": "escalated", "resolve": "resolved"}


class ActionError(Exception):
    """A button press that cannot be carried out (bad incident id, unknown action)."""


def slack_actor(user_id: str) -> str:
    """The actor recorded for a Slack user: ``slack:U123``."""
    return f"slack:{clean_text(user_id, single_line=True)[:64] or 'unknown'}"


def slack_user_namer(web_client: Any) -> Callable[[str], str]:
    """``slack:U123 (Display Name)`` via users.info (scope users:read), cached; falls back to
    ``slack:U123`` when the lookup fails."""
    cache: dict[str, str] = {}
    lock = threading.Lock()

    def actor_for(user_id: str) -> str:
        with lock:
            if user_id in cache:
                return cache[user_id]
        actor = slack_actor(user_id)
        try:
            user = web_client.users_info(user=user_id)["user"]
            profile = user.get("profile") or {}
            name = profile.get("display_name") or profile.get("real_name") or user.get("name")
            if name:
                actor = f"{actor} ({clean_text(str(name), single_line=True)[:60]})"
        except Exception as exc:  # noqa: BLE001 - a name is nice to have, never required
            log.info("slack: could not look up user %s: %s", user_id, exc)
        with lock:
            cache[user_id] = actor
        return actor

    return actor_for


@dataclass(frozen=True)
class ActionTarget:
    """Where a button press acts: a database, its lifecycle functions and its clock."""

    sessions: sessionmaker[Session]
    actions: LifecycleActions
    clock: Callable[[], datetime]


def make_on_action(
    *,
    sessions: sessionmaker[Session],
    actions: LifecycleActions,
    clock: Callable[[], datetime],
    actor_for: Callable[[str], str] = slack_actor,
    drills: Callable[[str], ActionTarget | None] | None = None,
) -> OnAction:
    """The Socket Mode callback: run one lifecycle transition in its own transaction.

    Drill incidents are named ``ID@DRILL-KEY`` in their alerts; ``drills(key)`` gives the
    running drill's database, so a drill button never touches a real incident.
    """
    default = ActionTarget(sessions, actions, clock)

    def on_action(action: str, incident_id: str, slack_user_id: str, /,
                  note: str | None = None) -> str:
        number, _, drill_key = incident_id.partition("@")
        target = default
        if drill_key:
            found = drills(drill_key) if drills is not None else None
            if found is None:
                raise ActionError(f"drill {drill_key!r} is not running any more")
            target = found
        if action == "replied":
            return _replied(target, number, slack_user_id)
        fn = _transition(target.actions, action, note)
        if not number.isascii() or not number.isdigit():
            raise ActionError(f"{incident_id!r} is not an incident id")
        actor = actor_for(slack_user_id)
        with target.sessions.begin() as session:
            fn(session, incident_id=int(number), actor=actor, now=target.clock())
        if action == "respond":
            log.info("slack: public response to incident %s recorded by %s", incident_id, actor)
            return f"Public response to incident {incident_id} recorded by {actor}."
        log.info("slack: incident %s %s by %s", incident_id, PAST_TENSE[action], actor)
        return f"Incident {incident_id} {PAST_TENSE[action]} by {actor}."

    return on_action


def _replied(target: ActionTarget, number: str, slack_user_id: str) -> str:
    """Record the reply to mention ``number`` that a "Replied" button press reports."""
    if target.actions.replied is None:
        raise ActionError("replies are not recorded here")
    if not number.isascii() or not number.isdigit():
        raise ActionError(f"{number!r} is not a mention id")
    with target.sessions.begin() as session:
        text = target.actions.replied(
            session, mention_id=int(number), slack_user=slack_user_id, now=target.clock()
        )
    log.info("slack: %s", text)
    return text


def _transition(actions: LifecycleActions, action: str, note: str | None) -> LifecycleFn:
    """The lifecycle call for ``action``; a response carries the form's note."""
    respond = actions.respond if action == "respond" else None
    if respond is None:
        fn = actions.get(action)
        if fn is None:
            raise ActionError(f"unknown action {action!r}")
        return fn

    def record(session: Session, *, incident_id: int, actor: str, now: datetime) -> object:
        return respond(session, incident_id=incident_id, actor=actor, note=note or "", now=now)

    return record


def start_socket_mode(
    settings: Settings,
    on_action: OnAction,
    *,
    environ: Mapping[str, str] | None = None,
    runner: Callable[..., SocketModeHandle] = run_socket_mode,
) -> SocketModeHandle | None:
    """Connect Socket Mode when ``alerting.slack_app_token_env`` is set (else None).

    The bot token and ``base_url`` are those of the first enabled Slack channel in bot mode;
    ChannelConfigError names what is missing.
    """
    app_token_env = settings.alerting.slack_app_token_env
    if app_token_env is None:
        return None
    found = socket_mode_channel(settings)
    if found is None:
        raise ChannelConfigError(
            "socket_mode", "slack", "alerting.slack_app_token_env is set but no enabled slack "
            "channel is in bot mode"
        )
    _, options = found
    kwargs: dict[str, Any] = {}
    if options.get("base_url"):
        kwargs["base_url"] = str(options["base_url"])
    return runner(
        app_token_env=app_token_env,
        bot_token_env=str(options.get("token_env") or "SLACK_BOT_TOKEN"),
        on_action=on_action,
        environ=os.environ if environ is None else environ,
        **kwargs,
    )
