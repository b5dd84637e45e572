"""Slack buttons for the service: Socket Mode wired to the incident lifecycle functions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from alerts.socket_mode import SocketModeHandle, run_socket_mode
from monitor.app import App
from monitor.incidents.lifecycle import acknowledge_incident, escalate_now, resolve_incident
from monitor.slack_actions import LifecycleActions, make_on_action, start_socket_mode

RESOLVE_NOTE = "resolved from Slack"


def start_buttons(app: App, *, environ: Mapping[str, str] | None = None,
                  runner: Callable[..., SocketModeHandle] = run_socket_mode
                  ) -> SocketModeHandle | None:
    """Connect Socket Mode (when configured) so Acknowledge / Escalate / Resolve work."""
    ctx = app.incidents

    def acknowledge(session: Session, *, incident_id: int, actor: str, now: datetime) -> object:
        return acknowledge_incident(session, ctx=ctx, incident_id=incident_id, by=actor, now=now)

    def escalate(session: Session, *, incident_id: int, actor: str, now: datetime) -> object:
        return escalate_now(session, ctx=ctx, incident_id=incident_id, by=actor, now=now)

    def resolve(session: Session, *, incident_id: int, actor: str, now: datetime) -> object:
        return resolve_incident(session, ctx=ctx, incident_id=incident_id, by=actor,
                                note=RESOLVE_NOTE, now=now)

    on_action = make_on_action(
        sessions=app.sessions,
        actions=LifecycleActions(acknowledge=acknowledge, escalate=escalate, resolve=resolve),
        clock=app.pipeline.clock,
    )
    return start_socket_mode(app.settings, on_action, environ=environ, runner=runner)
