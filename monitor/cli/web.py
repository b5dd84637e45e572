"""CLI command ``web``: the console and /api/v1 alone, without the service's jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from monitor.cli.common import Context, UserError, pass_ctx

if TYPE_CHECKING:
    from monitor.app import App


def register(group: click.Group) -> None:
    group.add_command(web_cmd)


@click.command("web")
@click.option("--host", default=None, help="Address to listen on (default: web.host).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port (default: web.port; 0: any free one).")
@pass_ctx
def web_cmd(obj: Context, host: str | None, port: int | None) -> None:
    """Serve the web console and /api/v1 only (no polling or alerting: `run` does both)."""
    with obj.app() as app:
        web = app.settings.web
        serve_console(app, host=host or web.host,
                      port=port if port is not None else (web.port if web.port is not None
                                                          else 8765))


def serve_console(app: App, *, host: str, port: int) -> None:
    """Serve ``app``'s console in the foreground, saying where once it listens and how to log
    in; one-line error when it cannot listen."""
    from monitor.users.accounts import list_users
    from monitor.web.app import create_web_app
    from monitor.web.server import ConsoleError, serve

    with app.sessions() as session:
        anyone = bool(list_users(session))
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - names, not binds

    def announce(bound: int) -> None:
        click.echo(f"web console on http://{shown}:{bound}/ (Ctrl-C stops it)")
        if not anyone:
            click.echo("no users yet: add one with `crisiswatch users add NAME --role admin`")

    try:
        serve(create_web_app(app=app), host=host, port=port, announce=announce)
    except ConsoleError as exc:
        raise UserError(f"error: {exc}") from None
