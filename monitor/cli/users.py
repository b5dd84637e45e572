"""CLI command group ``users``: console and API accounts, tokens and the audit log."""

from __future__ import annotations

import getpass
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from monitor.cli.common import Context, UserError, emit, parse_when, pass_ctx, table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from monitor.app import App

ROLES_SHOWN = "viewer|responder|admin"


def _role(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The role named, checked by the library so a wrong one is one line, not a usage
    error (and before any password prompt)."""
    from monitor.users.roles import UnknownRole, role

    if value is None:
        return None
    try:
        return role(value.strip().lower())
    except UnknownRole as exc:
        raise UserError(f"error: {exc}") from None


def register(group: click.Group) -> None:
    group.add_command(users_group)


@contextmanager
def _users(obj: Context) -> Iterator[tuple[App, Session]]:
    """The app and a transaction; the library's refusals become one-line errors."""
    from config.roster import UnknownPerson
    from monitor.users.accounts import UsersError
    from monitor.users.roles import UnknownRole

    with obj.app() as app:
        try:
            with app.sessions.begin() as session:
                yield app, session
        except (UsersError, UnknownRole, UnknownPerson) as exc:
            raise UserError(f"error: {exc}") from None


def _audit(app: App, session: Session, action: str, target: str, **detail: Any) -> None:
    from monitor.users.audit import record

    record(session, actor=f"cli:{getpass.getuser()}", action=action, target=target,
           now=app.pipeline.clock(), via="cli", detail=detail)


@click.group("users")
def users_group() -> None:
    """Console and API accounts: add, list, disable, tokens, audit log."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", "role_name", default="viewer", show_default=True, metavar=ROLES_SHOWN,
              callback=_role, help="What the user may do (see docs/web.md).")
@click.option("--person", default=None,
              help="The configured person (people[].id) whose name the user's actions carry "
              "(default: NAME when it is a person's id).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--generate", is_flag=True, help="Make a random password and print it once.")
@pass_ctx
def add_cmd(obj: Context, name: str, role_name: str, person: str | None, password_stdin: bool,
            generate: bool) -> None:
    """Add a user (asks for the password unless --password-stdin or --generate)."""
    from monitor.users.accounts import add_user

    password = _password(password_stdin=password_stdin, generate=generate)
    with _users(obj) as (app, session):
        linked = _person(app, name, person)
        add_user(session, name=name, password=password, role_name=role_name, person=linked,
                 by=f"cli:{getpass.getuser()}", now=app.pipeline.clock())
        _audit(app, session, "user.add", name, role=role_name, person=linked)
    click.echo(f"user {name} added ({role_name}" + (f", acts as {linked})" if linked else ")"))
    if generate:
        click.echo(f"password: {password}")


def _person(app: App, name: str, person: str | None) -> str | None:
    roster = app.roster
    if person is not None:
        return roster.named(person).id
    return name if roster.person(name) is not None else None


def _password(*, password_stdin: bool, generate: bool) -> str:
    if generate:
        return secrets.token_urlsafe(12)
    if password_stdin:
        import sys

        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("password", hide_input=True, confirmation_prompt=True))


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def list_cmd(obj: Context, as_json: bool) -> None:
    """Users, by name: role, person, created, disabled."""
    from alerts.times import format_time
    from monitor.users.accounts import list_users

    with _users(obj) as (app, session):
        users = list_users(session)
        zone = app.settings.organisation.timezone

    def render() -> None:
        if not users:
            click.echo("no users (add one: crisiswatch users add NAME --role admin)")
            return
        rows = [[u.name, u.role, u.person or "-", format_time(u.created_at, zone),
                 "disabled" if u.disabled else "active"] for u in users]
        for line in table(["user", "role", "person", "created", "state"], rows):
            click.echo(line)

    emit([{"name": u.name, "role": u.role, "person": u.person,
           "created_at": u.created_at.isoformat(), "disabled": u.disabled} for u in users],
         as_json=as_json, render=render)


def _set_disabled(obj: Context, name: str, disabled: bool) -> None:
    from monitor.users.accounts import set_disabled

    with _users(obj) as (app, session):
        set_disabled(session, name=name, disabled=disabled, now=app.pipeline.clock())
        _audit(app, session, "user.disable" if disabled else "user.enable", name)
    click.echo(f"user {name} {'disabled: its logins and tokens stop' if disabled else 'enabled'}")


@users_group.command("disable")
@click.argument("name")
@pass_ctx
def disable_cmd(obj: Context, name: str) -> None:
    """Disable a user: its logins and API tokens stop working at once."""
    _set_disabled(obj, name, True)


@users_group.command("enable")
@click.argument("name")
@pass_ctx
def enable_cmd(obj: Context, name: str) -> None:
    """Enable a disabled user again."""
    _set_disabled(obj, name, False)


@users_group.command("role")
@click.argument("name")
@click.argument("role_name", metavar="ROLE", callback=_role)
@pass_ctx
def role_cmd(obj: Context, name: str, role_name: str) -> None:
    """Change a user's ROLE (viewer, responder or admin); its tokens never do more."""
    from monitor.users.accounts import set_role

    with _users(obj) as (app, session):
        set_role(session, name=name, role_name=role_name)
        _audit(app, session, "user.role", name, role=role_name)
    click.echo(f"user {name} is now {role_name}")


@users_group.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--generate", is_flag=True, help="Make a random password and print it once.")
@pass_ctx
def password_cmd(obj: Context, name: str, password_stdin: bool, generate: bool) -> None:
    """Set a user's password (its console logins end)."""
    from monitor.users.accounts import set_password

    password = _password(password_stdin=password_stdin, generate=generate)
    with _users(obj) as (app, session):
        set_password(session, name=name, password=password, now=app.pipeline.clock())
        _audit(app, session, "user.password", name)
    click.echo(f"password of {name} changed")
    if generate:
        click.echo(f"password: {password}")


@users_group.command("token")
@click.argument("name")
@click.option("--scope", default=None, metavar=ROLES_SHOWN, callback=_role,
              help="What the token may do (default: the user's role; never more).")
@click.option("--label", "label", default="api", show_default=True, help="What it is for.")
@click.option("--expires", default=None, help="When it stops: a duration (90d) or a date.")
@pass_ctx
def token_cmd(obj: Context, name: str, scope: str | None, label: str, expires: str | None) -> None:
    """Make an API token for NAME and print it once (only its hash is kept)."""
    from monitor.users.accounts import get_user
    from monitor.users.tokens import create_token

    with _users(obj) as (app, session):
        now = app.pipeline.clock()
        until = (parse_when(expires, now=now, zone=app.settings.organisation.timezone,
                            option="expires", ahead=True) if expires else None)
        scope = scope or get_user(session, name).role
        token, secret = create_token(session, user_name=name, name=label, scope=scope, now=now,
                                     expires_at=until)
        session.flush()
        _audit(app, session, "token.create", name, token=token.id, scope=scope)
    click.echo(f"token #{token.id} of {name} ({scope}): {secret}")
    click.echo("keep it now: it is not shown again. Use it as 'Authorization: Bearer <token>'.")


@users_group.command("tokens")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def tokens_cmd(obj: Context, name: str | None, as_json: bool) -> None:
    """API tokens (of NAME, or everyone's), newest first."""
    from alerts.times import format_time
    from monitor.users.tokens import list_tokens

    with _users(obj) as (app, session):
        tokens = list_tokens(session, user_name=name)
        zone = app.settings.organisation.timezone

    def when(value: Any) -> str:
        return format_time(value, zone) if value else "-"

    def render() -> None:
        if not tokens:
            click.echo("no tokens")
            return
        rows = [[f"#{t.id}", t.user, t.name, t.scope, when(t.created_at), when(t.expires_at),
                 when(t.last_used_at), "revoked" if t.revoked else "active"] for t in tokens]
        for line in table(["token", "user", "label", "scope", "created", "expires",
                           "last used", "state"], rows):
            click.echo(line)

    emit([{"id": t.id, "user": t.user, "label": t.name, "scope": t.scope,
           "created_at": t.created_at.isoformat(),
           "expires_at": t.expires_at.isoformat() if t.expires_at else None,
           "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
           "revoked": t.revoked} for t in tokens], as_json=as_json, render=render)


@users_group.command("revoke")
@click.argument("token_id", type=int)
@pass_ctx
def revoke_cmd(obj: Context, token_id: int) -> None:
    """Revoke an API token by its number (see `users tokens`)."""
    from monitor.users.tokens import revoke_token

    with _users(obj) as (app, session):
        revoke_token(session, token_id=token_id, now=app.pipeline.clock())
        _audit(app, session, "token.revoke", f"token #{token_id}")
    click.echo(f"token #{token_id} revoked")


@users_group.command("audit")
@click.option("--actor", default=None, help="Only this actor's actions.")
@click.option("--action", default=None, help="Only this action (e.g. incident.ack, login.failed).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def audit_cmd(obj: Context, actor: str | None, action: str | None, limit: int,
              as_json: bool) -> None:
    """The audit log, newest first: who did what, when, from where, through what."""
    from alerts.sanitize import one_line
    from alerts.times import format_time
    from monitor.users.audit import audit_page

    with _users(obj) as (app, session):
        page = audit_page(session, limit=limit, actor=actor, action=action)
        entries = [(e.at, e.actor, e.action, e.target, e.detail, e.address, e.via)
                   for e in page.entries]
        zone = app.settings.organisation.timezone

    def render() -> None:
        if not entries:
            click.echo("no entries")
            return
        rows = [[format_time(at, zone), one_line(who, 30), what, one_line(target or "-", 30),
                 address or "-", via] for at, who, what, target, _, address, via in entries]
        for line in table(["when", "who", "action", "target", "from", "via"], rows):
            click.echo(line)

    emit([{"at": at.isoformat(), "actor": who, "action": what, "target": target,
           "detail": detail, "address": address, "via": via}
          for at, who, what, target, detail, address, via in entries],
         as_json=as_json, render=render)
