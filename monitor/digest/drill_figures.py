"""The period's drills, read from the reports kept in ``drill_runs`` when each drill ended.

A drill belongs to the period in which it started (wall clock). Running drills have no report
yet and are left out. Times in a report are drill time: the clock the playbooks' SLAs ran on
during the drill. A report that cannot be read is counted, said so, and otherwise left out, so
one damaged row never stops the digest.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from monitor.db.models import DrillRun
from monitor.digest.incident_figures import stats
from monitor.digest.model import DrillRow, Drills
from monitor.digest.period import Period
from monitor.drills.report import DrillReport

ENDED = ("finished", "aborted")
MAX_ROWS = 50
# what DrillReport.from_dict and the checks below raise on a report of the wrong shape
_UNREADABLE = (KeyError, TypeError, ValueError, AttributeError)


def drills(session: Session, period: Period) -> Drills:
    """Finished and aborted drills started in the period, oldest first."""
    # The report is fetched as text and parsed here: a JSON column would fail the whole query
    # on one row whose stored text is not JSON at all.
    stmt = (
        select(DrillRun.key, DrillRun.scenario, DrillRun.title, DrillRun.state,
               DrillRun.started_at, cast(DrillRun.report, Text))
        .where(DrillRun.started_at >= period.start_at, DrillRun.started_at < period.end_at,
               DrillRun.state.in_(ENDED))
        .order_by(DrillRun.started_at, DrillRun.id)
    )
    rows: list[DrillRow] = []
    count = 0
    for key, scenario, title, state, started_at, report in session.execute(stmt):
        count += 1
        row = drill_row(key=key, scenario=scenario, title=title, state=state,
                        started_at=started_at, report=_loads(report))
        if row is not None:
            rows.append(row)
    return Drills(
        count=count,
        unreadable=count - len(rows),
        ack_within_sla=sum(1 for r in rows if r.ack_within_sla is True),
        first_ack=stats(r.first_ack_s for r in rows),
        items=tuple(rows[:MAX_ROWS]),
    )


def _loads(text: str | None) -> object:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def drill_row(
    *, key: str, scenario: str, title: str, state: str, started_at: datetime, report: object
) -> DrillRow | None:
    """The table row of one drill; None when its stored report cannot be read."""
    if not isinstance(report, Mapping):
        return None
    try:
        parsed = DrillReport.from_dict(report)
        _check_shape(parsed)
        ack_verdicts = [i.ack_met for i in parsed.incidents if i.ack_met is not None]
        applicable = any(c.ok is not None for c in parsed.checks)
        first_ack = parsed.first_ack_s
        return DrillRow(
            key=key,
            scenario=scenario,
            title=title,
            state=state,
            started_at=started_at,
            incidents=len(parsed.incidents),
            highest_grade=parsed.highest_grade,
            alerts_sent=sum(1 for a in parsed.alerts if a.status == "sent"),
            escalation_level=parsed.escalation_level,
            first_ack_s=None if first_ack is None else float(first_ack),
            ack_within_sla=all(ack_verdicts) if ack_verdicts else None,
            expectations_met=parsed.ok if applicable else None,
        )
    except _UNREADABLE:
        return None


def _check_shape(report: DrillReport) -> None:
    """Raise TypeError unless every value the row is built from has its documented type."""
    for incident in report.incidents:
        _seconds((incident.opened_s,), optional=False)
        _seconds((incident.acknowledged_s, incident.ack_target_s), optional=True)
    for alert in report.alerts:
        if not _is_int(alert.level) or not isinstance(alert.status, str) or not isinstance(
            alert.event, str
        ):
            raise TypeError("alert")
    if not all(c.ok is None or isinstance(c.ok, bool) for c in report.checks):
        raise TypeError("check")
    if not all(isinstance(g, str) for g in report.grades):
        raise TypeError("grades")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _seconds(values: Iterable[object], *, optional: bool) -> None:
    for value in values:
        if value is None and optional:
            continue
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise TypeError("seconds")
        if not math.isfinite(value):
            raise ValueError("seconds")
