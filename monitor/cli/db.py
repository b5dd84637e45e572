"""``crisiswatch db``: schema migrations (automatic on SQLite, explicit on PostgreSQL)."""

from __future__ import annotations

import click

from monitor.cli.common import Context, pass_ctx


@click.group()
def db() -> None:
    """Database schema management."""


def _url(obj: Context) -> str:
    from config.loader import load_config
    from monitor.app import database_url

    return obj.database or database_url(load_config(obj.config_path).settings)


@db.command("upgrade")
@pass_ctx
def db_upgrade(obj: Context) -> None:
    """Apply pending migrations (needed on PostgreSQL; SQLite upgrades itself)."""
    from monitor.db.engine import make_engine
    from monitor.db.migrate import current_revision, head_revision, upgrade

    engine = make_engine(_url(obj))
    try:
        before = current_revision(engine)
        upgrade(engine)
        click.echo(f"schema at {head_revision()} (was {before or 'empty'})")
    finally:
        engine.dispose()


@db.command("current")
@pass_ctx
def db_current(obj: Context) -> None:
    """Show the schema revision of the database and the newest known one."""
    from monitor.db.engine import make_engine
    from monitor.db.migrate import current_revision, head_revision

    engine = make_engine(_url(obj))
    try:
        click.echo(f"database at {current_revision(engine) or 'empty'}, newest {head_revision()}")
    finally:
        engine.dispose()


def register(group: click.Group) -> None:
    group.add_command(db)
