"""CLI command ``web``: the console and /api/v1 alone, without the service's jobs."""

from __future__ import annotations

import click

from monitor.cli.common import Context, pass_ctx


def register(group: click.Group) -> None:
    group.add_command(web_cmd)


@click.command("web")
@click.option("--host", default=None, help="Address to listen on (default: web.host).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port (default: web.port).")
@pass_ctx
def web_cmd(obj: Context, host: str | None, port: int | None) -> None:
    """Serve the web console and /api/v1 only (no polling or alerting: `run` does both)."""
    from monitor.web.app import create_web_app
    from monitor.web.server import serve

    with obj.app() as app:
        web = app.settings.web
        bound_host = host or web.host
        bound_port = port if port is not None else (web.port if web.port is not None else 8765)
        click.echo(f"web console on http://{bound_host}:{bound_port}/ (Ctrl-C stops it); "
                   "log in with a user from `crisiswatch users add`")
        serve(create_web_app(app=app), host=bound_host, port=bound_port)
