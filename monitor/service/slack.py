"""Slack buttons for the service: Socket Mode wired to the incident lifecycle functions."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.socket_mode import SocketModeHandle, run_socket_mode
from config.roster import Roster
from monitor.alerting.channels import socket_mode_channel
from monitor.alerting.slack_actions import (
    ActionError,
    ActionTarget,
    LifecycleActions,
    ReplyFn,
    make_on_action,
    slack_actor,
    slack_user_namer,
    start_socket_mode,
)
from monitor.app import App, build_app
from monitor.db.models import DrillRun
from monitor.incidents import lifecycle
from monitor.incidents.context import IncidentContext

SLACK_RESOLVE_NOTE = "resolved with the Slack button"


def incident_lifecycle_actions(ctx: IncidentContext) -> LifecycleActions:
    """The buttons bound to monitor.incidents.lifecycle, the functions the CLI calls."""

    def acknowledge(session: Session, *, incident_id: int, actor: str, now: datetime) -> object:
        return lifecycle.acknowledge_incident(
            session, ctx=ctx, incident_id=incident_id, by=actor, now=now
        )

    def escalate(session: Session, *, incident_id: int, actor: str, now: datetime) -> object:
        return lifecycle.escalate_now(session, ctx=ctx, incident_id=incident_id, by=actor, now=now)

    def resolve(session: Session, *, incident_id: int, actor: str, now: datetime) -> object:
        return lifecycle.resolve_incident(
            session, ctx=ctx, incident_id=incident_id, by=actor, note=SLACK_RESOLVE_NOTE, now=now
        )

    def respond(session: Session, *, incident_id: int, actor: str, note: str,
                now: datetime) -> object:
        return lifecycle.record_response(
            session, ctx=ctx, incident_id=incident_id, by=actor, note=note, now=now
        )

    return LifecycleActions(acknowledge=acknowledge, escalate=escalate, resolve=resolve,
                            respond=respond)


def reply_action(roster: Roster) -> ReplyFn:
    """The "Replied" button: the reply is recorded by the person whose Slack member id
    pressed it (``contacts.slack``); an unknown member as ``slack:U123``, unverified."""

    def replied(session: Session, *, mention_id: int, slack_user: str, now: datetime) -> str:
        from monitor.replies.record import Replier, ReplyError, record_reply

        person = roster.by_slack(slack_user)
        by = Replier(person.id, True) if person else Replier(slack_actor(slack_user), False)
        try:
            record_reply(
                session, mention_id=mention_id, by=by, replied_at=now, note=None, via="slack",
                now=now,
            )
        except ReplyError as exc:
            raise ActionError(str(exc)) from None
        return f"Reply to mention {mention_id} recorded by {by.name}."

    return replied


def start_buttons(app: App, *, environ: Mapping[str, str] | None = None,
                  runner: Callable[..., SocketModeHandle] = run_socket_mode
                  ) -> SocketModeHandle | None:
    """Connect Socket Mode (when configured) so the incident buttons work, on real
    incidents and on the incidents of drills that are running."""
    env = os.environ if environ is None else environ
    on_action = make_on_action(
        sessions=app.sessions,
        actions=replace(
            incident_lifecycle_actions(app.incidents), replied=reply_action(app.roster)
        ),
        clock=app.pipeline.clock,
        actor_for=people_first(app.incidents.roster, _actor_names(app, env)),
        drills=drill_targets(app),
    )
    return start_socket_mode(app.settings, on_action, environ=env, runner=runner)


def people_first(roster: Roster, fallback: Callable[[str], str]) -> Callable[[str], str]:
    """A Slack user as the configured person with that member id (their id: a verified
    actor), else ``fallback`` (``slack:U123 ...``: recorded as an unverified Slack user)."""

    def actor_for(user_id: str) -> str:
        person = roster.by_slack(user_id)
        return person.id if person is not None else fallback(user_id)

    return actor_for


def _actor_names(app: App, environ: Mapping[str, str]) -> Callable[[str], str]:
    """``slack:U123 (Display Name)`` through the buttons' bot token, else ``slack:U123``."""
    found = socket_mode_channel(app.settings)
    token = environ.get(str(found[1].get("token_env") or "SLACK_BOT_TOKEN"), "") if found else ""
    if found is None or not token.strip():
        return slack_actor
    base_url = str(found[1].get("base_url") or WebClient.BASE_URL)
    client = WebClient(token=token.strip(), base_url=base_url)
    return slack_user_namer(client)


def drill_targets(app: App) -> Callable[[str], ActionTarget | None]:
    """Drill key -> its database while it runs (looked up in the main database's drill_runs).

    Each drill database is opened once; a drill that has ended is closed and refused.
    """
    opened: dict[str, App] = {}
    lock = threading.Lock()

    def find(key: str) -> ActionTarget | None:
        with app.sessions() as session:
            database = session.scalar(select(DrillRun.database).where(
                DrillRun.key == key, DrillRun.state == "running"))
        with lock:
            if database is None:
                ended = opened.pop(key, None)
                if ended is not None:
                    ended.close()
                return None
            drill = opened.get(key)
            if drill is None:
                # the drill's own row gives this app the drill clock and key
                drill = opened[key] = build_app(app.config, database=database)
        actions = replace(
            incident_lifecycle_actions(drill.incidents), replied=reply_action(drill.roster)
        )
        return ActionTarget(drill.sessions, actions, drill.incidents.clock)

    return find
