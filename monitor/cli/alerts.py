"""CLI commands for the alert outbox and channels: alerts [retry|send|test], channels."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from monitor.cli.common import Context, UserError, emit, pass_ctx, plural

if TYPE_CHECKING:
    from alerts.message import AlertMessage
    from monitor.alerting.channel_map import ChannelMap
    from monitor.alerting.dispatch import DispatchStats
    from monitor.app import App
    from monitor.db.models import Alert


def _when(value: datetime | None, zone: str) -> str:
    from alerts.times import format_time

    return format_time(value, zone, seconds=True) if value is not None else "-"


def alert_to_dict(alert: Alert) -> dict[str, Any]:
    """One outbox row for ``alerts --json``."""
    payload = alert.payload if isinstance(alert.payload, dict) else {}
    return {
        "id": alert.id,
        "incident_id": alert.incident_id,
        "event": alert.event,
        "channel": alert.channel,
        "status": alert.status,
        "attempts": alert.attempts,
        "title": payload.get("title"),
        "created_at": alert.created_at.isoformat(),
        "next_attempt_at": alert.next_attempt_at.isoformat(),
        "sent_at": alert.sent_at.isoformat() if alert.sent_at else None,
        "last_error": alert.last_error,
        "remote_id": alert.remote_id,
        "drill": alert.drill,
        "dedup_key": alert.dedup_key,
    }


def format_alert(alert: Alert, zone: str = "UTC") -> str:
    """Two lines at most: the row, then why it failed or where it went (times in ``zone``)."""
    from alerts.sanitize import one_line

    incident = "-" if alert.incident_id is None else str(alert.incident_id)
    drill = " [drill]" if alert.drill else ""
    if alert.status == "sent":
        when = f"sent {_when(alert.sent_at, zone)}"
    elif alert.status == "pending":
        when = f"next try {_when(alert.next_attempt_at, zone)}"
    else:
        when = f"queued {_when(alert.created_at, zone)}"
    line = (
        f"#{alert.id:<6} {alert.status:<10} {alert.channel:<14} {alert.event:<14} "
        f"incident {incident:<6} attempts {alert.attempts}  {when}{drill}"
    )
    if alert.status == "folded" and alert.remote_id:
        return f"{line}\n        folded into {alert.remote_id}"
    if alert.last_error and alert.status != "sent":
        return f"{line}\n        reason: {one_line(alert.last_error, 500)}"
    return line


def format_stats(stats: DispatchStats) -> str:
    """One line of dispatch outcomes; each alert has one, so they add up to the total."""
    outcomes = [
        (stats.sent, f"sent {stats.sent}"),
        (stats.retried, f"retrying {stats.retried}"),
        (stats.dead, f"dead {stats.dead}"),
        (stats.suppressed, f"suppressed {stats.suppressed} (channel disabled)"),
        (stats.held, f"held for grouping {stats.held}"),
        (stats.deferred, f"behind an earlier alert of their incident {stats.deferred}"),
        (stats.released, f"left for the next round {stats.released}"),
        (stats.folded, f"folded {stats.folded} into {stats.digests} digest(s)"),
    ]
    total = sum(count for count, _ in outcomes)
    if not total:
        return "no alerts due"
    shown = ", ".join(text for count, text in outcomes if count)
    return f"{plural(total, 'alert')}: {shown}"


@contextmanager
def _channels(app: App) -> Iterator[ChannelMap]:
    """The app's channels if the composition root built them, else built here and closed."""
    from monitor.alerting.channel_map import ChannelMap
    from monitor.alerting.channels import build_channel_set

    existing = getattr(app, "channels", None)
    if isinstance(existing, ChannelMap):
        yield existing
        return
    built = build_channel_set(app.settings)
    try:
        yield built
    finally:
        built.close()


@click.group(invoke_without_command=True)
@click.option("--failed", is_flag=True, help="Dead-lettered alerts, with the reason.")
@click.option("--pending", is_flag=True, help="Alerts waiting to be sent or retried.")
@click.option("--incident", "incident_id", type=int, default=None, help="One incident's alerts.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def alerts(
    ctx: click.Context,
    failed: bool,
    pending: bool,
    incident_id: int | None,
    limit: int,
    as_json: bool,
) -> None:
    """List the alert outbox, newest first (subcommands: retry, send, test)."""
    from sqlalchemy import or_, select

    from monitor.db.models import Alert

    if ctx.invoked_subcommand is not None:
        return
    obj = ctx.find_object(Context)
    assert obj is not None
    statuses = [s for s, wanted in (("dead", failed), ("pending", pending)) if wanted]
    with obj.app() as app, app.sessions() as session:
        query = select(Alert).order_by(Alert.id.desc()).limit(limit)
        if statuses:
            query = query.where(or_(*(Alert.status == s for s in statuses)))
        if incident_id is not None:
            query = query.where(Alert.incident_id == incident_id)
        rows = list(session.scalars(query))

    def render() -> None:
        if not rows:
            what = " and ".join({"dead": "failed", "pending": "pending"}[s] for s in statuses)
            click.echo(f"no {what + ' ' if what else ''}alerts")
        for row in rows:
            click.echo(format_alert(row, app.settings.organisation.timezone))

    emit([alert_to_dict(r) for r in rows], as_json=as_json, render=render)


@alerts.command("retry")
@click.argument("alert_id", type=int, required=False)
@click.option("--all-failed", is_flag=True, help="Re-queue every dead-lettered alert.")
@pass_ctx
def alerts_retry(obj: Context, alert_id: int | None, all_failed: bool) -> None:
    """Re-queue a dead-lettered alert (by id) or all of them."""
    from monitor.alerting.dispatch import AlertStateError, retry_alert, retry_dead_alerts
    from monitor.clock import utcnow

    if (alert_id is None) == (not all_failed):
        raise UserError("error: give an alert id or --all-failed (not both)")
    with obj.app() as app, app.sessions.begin() as session:
        now = utcnow()
        try:
            if alert_id is not None:
                retry_alert(session, alert_id=alert_id, now=now)
                ids = [alert_id]
            else:
                ids = retry_dead_alerts(session, now=now)
        except AlertStateError as exc:
            raise UserError(f"error: {exc}") from None
    if not ids:
        click.echo("no failed alerts")
        return
    shown = ", ".join(f"#{i}" for i in ids[:20]) + (" ..." if len(ids) > 20 else "")
    click.echo(f"re-queued {len(ids)} alert(s): {shown}; `crisiswatch alerts send` delivers now")


@alerts.command("send")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Alerts claimed per round.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_ctx
def alerts_send(obj: Context, limit: int, as_json: bool) -> None:
    """Deliver every alert that is due now (one dispatcher pass), then exit."""
    from monitor.alerting.channels import dispatch_policy
    from monitor.alerting.dispatch import dispatch_due
    from monitor.clock import utcnow
    from monitor.instance import instance_name

    with obj.app() as app, _channels(app) as channels:
        total = dispatch_due(
            sessions=app.sessions,
            channels=channels,
            policy=dispatch_policy(app.settings),
            clock=utcnow,
            worker_id=instance_name(),
            limit=limit,
        )
    emit(total.to_dict(), as_json=as_json, render=lambda: click.echo(format_stats(total)))
    if total.failure:
        raise UserError(f"error: {total.failure}")


def test_message(organisation: str, now: datetime, timezone: str = "UTC") -> AlertMessage:
    """A harmless message: marked as a drill, closed (no buttons), saying no action is needed."""
    from alerts.message import AlertMessage

    return AlertMessage(
        incident_id=f"test-{now.strftime('%Y%m%d%H%M%S')}",
        event="opened",
        title="crisiswatch test message: delivery works, no action needed",
        grade="low",
        entity=organisation,
        likelihood=1,
        impact=1,
        status="resolved",
        created_at=now,
        reasons=("sent by `crisiswatch alerts test`",),
        drill=True,
        note="This is a test of the alert channel. Nothing has happened.",
        timezone=timezone,
    )


@alerts.command("test")
@click.argument("channel_name")
@click.option(
    "--mention",
    "mentions",
    multiple=True,
    metavar="PERSON",
    help="Mention this person (people[].id) by their handle on the channel; repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def alerts_test(obj: Context, channel_name: str, mentions: tuple[str, ...], as_json: bool) -> None:
    """Send a harmless test message through a configured channel and show the result."""
    from dataclasses import replace

    from alerts.errors import ChannelConfigError, DeliveryError
    from alerts.registry import build_channel
    from config.roster import Roster
    from config.suggest import one_of
    from monitor.clock import utcnow
    from monitor.escalation_targets import recipient

    settings = obj.config().settings
    config = settings.channels.get(channel_name)
    if config is None:
        known = ", ".join(sorted(settings.channels)) or "none"
        raise UserError(f"error: no channel {channel_name!r} (configured: {known})")
    roster = Roster.of(settings)
    for person_id in mentions:
        if roster.person(person_id) is None:
            hint = one_of(person_id, roster.people)
            raise UserError(f"error: --mention: unknown person {person_id!r}{hint}")
    people = tuple(recipient(p) for p in map(roster.person, mentions) if p is not None)
    try:
        channel = build_channel(
            name=channel_name, kind=config.kind, options=config.options(), environ=os.environ
        )
    except ChannelConfigError as exc:
        raise UserError(f"error: {exc}") from None
    try:
        message = test_message(settings.organisation.name, utcnow(), settings.organisation.timezone)
        result = channel.send(message=replace(message, recipients=people), thread=None)
    except DeliveryError as exc:
        raise UserError(f"error: test message not delivered: {exc}") from None
    finally:
        channel.close()
    data = {
        "channel": channel_name,
        "kind": config.kind,
        "delivered": True,
        "remote_id": result.remote_id,
        "conversation": result.conversation,
        "warnings": list(result.warnings),
    }

    def render() -> None:
        where = f" (message {result.remote_id})" if result.remote_id else ""
        click.echo(f"{channel_name} ({config.kind}): test message delivered{where}")
        for warning in result.warnings:
            click.echo(f"  warning: {warning}")
        if not config.enabled:
            click.echo("  note: this channel is disabled, so alerts do not go to it")

    emit(data, as_json=as_json, render=render)


@click.command("channels")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def channels_command(obj: Context, as_json: bool) -> None:
    """List the configured alert channels, their kind and any problem (secrets included)."""
    from monitor.alerting.channels import check_channels

    settings = obj.config().settings
    findings = check_channels(settings, environ=os.environ)
    rows: list[dict[str, Any]] = []
    for name, config in settings.channels.items():
        mine = [str(f) for f in findings if f.loc[:2] == ("channels", name)]
        rows.append(
            {"name": name, "kind": config.kind, "enabled": config.enabled, "problems": mine}
        )
    other = [str(f) for f in findings if f.loc[0] != "channels"]

    def render() -> None:
        for row in rows:
            state = "enabled" if row["enabled"] else "disabled"
            verdict = "ok" if not row["problems"] else f"{len(row['problems'])} problem(s)"
            click.echo(f"{row['name']:<16} {row['kind']:<9} {state:<9} {verdict}")
            for problem in row["problems"]:
                click.echo(f"  {problem}")
        for problem in other:
            click.echo(problem)

    emit({"channels": rows, "problems": other}, as_json=as_json, render=render)
    if any(row["problems"] and row["enabled"] for row in rows) or other:
        sys.exit(1)


def register(group: click.Group) -> None:
    """Add ``alerts`` and ``channels`` to the top-level command group."""
    group.add_command(alerts)
    group.add_command(channels_command)
