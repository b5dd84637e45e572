"""The drill a database is running, read from its ``drill_runs`` table.

While a drill runs, its database holds a ``drill_runs`` row in state running. Any command
opened on that database (``crisiswatch --database URL ack 3``) finds it and uses the same
clock, so a responder's acknowledgement is stamped in drill time, like everything else there.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from monitor.clock import DrillClock
from monitor.db.models import DrillRun


@dataclass(frozen=True)
class RunningDrill:
    """The drill a database is running, and its clock."""

    key: str
    clock: DrillClock


def running_drill(engine: Engine) -> RunningDrill | None:
    """The drill running on this database, if it is a drill database."""
    if not inspect(engine).has_table(DrillRun.__tablename__):
        return None
    with Session(engine) as session:
        row = session.scalars(
            select(DrillRun).where(DrillRun.state == "running").order_by(DrillRun.id.desc())
        ).first()
        if row is None or "://" not in row.database or not _same(engine, row.database):
            return None
        return RunningDrill(row.key, DrillClock(row.scenario_start, row.started_at, row.speed))


def _same(engine: Engine, url: str) -> bool:
    # The main database keeps a copy of the row while the drill runs; only the drill's own
    # database is a drill database.
    return engine.url.render_as_string(hide_password=True) == url
