"""Drill runs with realistic reports, for tests and benchmarks/digest.py.

Reports are built from the dataclasses ``monitor.drills.report`` stores, so the JSON has the
real shape. Drills cycle through three responses: a prompt acknowledgement; a late one, with a
second incident acknowledged quickly (so the first acknowledgement is in time but not every
one), stopped early (aborted) before the incident turns critical; and none at all.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select

from monitor.db.models import DrillRun, Incident
from monitor.digest.period import Period
from monitor.drills.report import AlertSent, Check, DrillReport, IncidentOutcome, clock_text

# id, title, language, entity name, category, drill time covered (s): the shipped scenarios
SCENARIOS: tuple[tuple[str, str, str, str, str, float], ...] = (
    ("product-safety-zh", "儿童奶粉过敏风波 (product-safety scare, Weibo)", "zh",
     "Lumina Kids 奶粉", "product_safety", 5400.0),
    ("data-breach-en", "Customer data for sale (data breach, X and news)", "en",
     "Lumina Dairy", "data_privacy", 5400.0),
    ("executive-rumour-zh",
     "董事长被调查传闻 (rumour about the chief executive, Weibo and WeChat)", "zh",
     "陈浩然 (CEO)", "misinformation_rumor", 5400.0),
    ("service-outage-en", "App down all morning (service outage, X)", "en", "Lumina Dairy",
     "service_outage", 4500.0),
)
# the shipped playbooks: grade -> (time_to_ack, time_to_first_response) in seconds
SLA: dict[str, tuple[float, float]] = {
    "low": (86400.0, 172800.0),
    "medium": (3600.0, 28800.0),
    "high": (900.0, 7200.0),
    "critical": (300.0, 3600.0),
}
# what the shipped scenarios expect when nobody responds
EXPECT_GRADE = "critical"
EXPECT_REACHED: dict[str, float] = {"medium": 600.0, "critical": 1800.0}
EXPECT_LEVEL = 2
RESPONSES = ("prompt", "late", "silent")


def add_drill_runs(
    engine: Engine, *, period: Period, count: int, seed: int = 7
) -> list[DrillReport]:
    """``count`` ended drills spread over the period, stored as ``drill_runs`` rows."""
    # a stream of its own, so the generated mentions and incidents do not depend on ``count``
    rng = random.Random(seed + 1)
    span = (period.end_at - period.start_at).total_seconds()
    reports = []
    for index in range(count):
        offset = span * (index + rng.uniform(0.1, 0.9)) / count
        started = (period.start_at + timedelta(seconds=offset)).astimezone(UTC)
        reports.append(drill_report(rng, index=index, started=started.replace(microsecond=0)))
    with engine.begin() as conn:
        conn.execute(insert(DrillRun), [run_row(r) for r in reports])
    return reports


def run_row(report: DrillReport) -> dict[str, Any]:
    """The ``drill_runs`` row the drill command leaves in the main database."""
    started = datetime.fromisoformat(report.started_at)
    return {
        "key": report.key,
        "scenario": report.scenario,
        "title": report.title,
        "state": report.state,
        "speed": report.speed,
        "started_at": started,
        "scenario_start": started,
        "finished_at": datetime.fromisoformat(report.finished_at),
        "database": report.database,
        "report": report.to_dict(),
    }


def drill_report(rng: random.Random, *, index: int, started: datetime) -> DrillReport:
    """One drill's report; ``index`` picks the scenario and the response."""
    scenario, title, language, entity, category, run_for = SCENARIOS[index % len(SCENARIOS)]
    response = RESPONSES[index % len(RESPONSES)]
    aborted = response == "late"
    opened = rng.uniform(120, 300)
    ack = {"prompt": opened + rng.uniform(120, 290), "late": opened + rng.uniform(1000, 1140),
           "silent": None}[response]
    # stopped after the acknowledgement, before the incident could turn critical
    length = opened + 1150.0 if aborted else run_for
    resolved = None
    if response == "prompt" and ack is not None:
        resolved = ack + rng.uniform(1800, 3000)
    incidents = [_outcome(1, entity, title, category, opened, _climb(rng, opened, length),
                          ack, resolved)]
    if response != "silent":
        # a second, smaller incident (a related entity) that someone acknowledges quickly
        second = opened + rng.uniform(300, 600)
        grades = {"low": second, "medium": second + rng.uniform(60, 200)}
        incidents.append(_outcome(2, entity, f"{title} (follow-up)", "customer_complaint",
                                  second, grades, second + rng.uniform(120, 300), None))
    alerts = _alerts(incidents, length)
    reached: dict[str, float] = {}
    for grade in SLA:
        times = [i.grades[grade] for i in incidents if grade in i.grades]
        if times:
            reached[grade] = min(times)
    speed = rng.choice((10.0, 20.0, 30.0))
    key = f"{scenario}-{started:%Y%m%dT%H%M%SZ}"
    posts = rng.randint(40, 160)
    return DrillReport(
        key=key, scenario=scenario, title=title, language=language, speed=speed,
        state="aborted" if aborted else "finished", started_at=started.isoformat(),
        finished_at=(started + timedelta(seconds=length / speed)).isoformat(),
        length_s=round(length, 1), posts=posts, mentions=posts + rng.randint(100, 400),
        incidents=tuple(incidents), alerts=alerts, grades=reached,
        checks=_checks(reached, incidents, alerts),
        database=f"sqlite:///crisiswatch-data/drills/{key}.sqlite",
    )


def _climb(rng: random.Random, opened: float, length: float) -> dict[str, float]:
    steps = {"low": 0.0, "medium": rng.uniform(60, 240), "high": rng.uniform(420, 720),
             "critical": rng.uniform(1200, 1500)}
    return {g: round(opened + d, 1) for g, d in steps.items() if opened + d <= length}


def _outcome(
    number: int, entity: str, title: str, category: str, opened: float,
    grades: dict[str, float], ack: float | None, resolved: float | None,
) -> IncidentOutcome:
    peak = list(grades)[-1]
    ack_target, response_target = SLA[peak]
    state = "resolved" if resolved is not None else "open" if ack is None else "acknowledged"
    return IncidentOutcome(
        id=number, entity=entity, title=title, category=category, peak_grade=peak, state=state,
        opened_s=round(opened, 1), grades=grades,
        acknowledged_s=None if ack is None else round(ack, 1),
        acknowledged_by=None if ack is None else "oncall-li",
        resolved_s=None if resolved is None else round(resolved, 1),
        resolved_by=None if resolved is None else "oncall-li",
        ack_target_s=ack_target, response_target_s=response_target,
    )


def _alerts(incidents: list[IncidentOutcome], length: float) -> tuple[AlertSent, ...]:
    out = []
    for i in incidents:
        out += [AlertSent(i.opened_s, i.id, "opened", 1, channel, "sent")
                for channel in ("risk-slack", "manager-email")]
        due = i.opened_s + (i.ack_target_s or 0.0)
        if due <= length and (i.acknowledged_s is None or i.acknowledged_s > due):
            out.append(AlertSent(due, i.id, "escalated", 2, "exec-slack", "sent"))
            out.append(AlertSent(due, i.id, "escalated", 2, "webhook", "dead"))  # one fails
        if i.acknowledged_s is not None:
            out.append(AlertSent(i.acknowledged_s, i.id, "acknowledged", 0, "risk-slack", "sent"))
        if i.resolved_s is not None:
            out.append(AlertSent(i.resolved_s, i.id, "resolved", 0, "risk-slack", "sent"))
    return tuple(sorted(out, key=lambda a: (a.at_s, a.incident or 0)))


def _checks(
    reached: dict[str, float], incidents: list[IncidentOutcome], alerts: tuple[AlertSent, ...]
) -> tuple[Check, ...]:
    highest = list(reached)[-1] if reached else "none"
    checks = [Check("highest grade", EXPECT_GRADE, highest, highest == EXPECT_GRADE)]
    for grade, bound in EXPECT_REACHED.items():
        at = reached.get(grade)
        checks.append(Check(f"{grade} reached", f"by {clock_text(bound)}",
                            "never" if at is None else f"at {clock_text(at)}",
                            at is not None and at <= bound))
    level = max((a.level for a in alerts if a.event in ("opened", "escalated")), default=0)
    acked = any(i.acknowledged_s is not None for i in incidents)
    checks.append(Check(
        "escalation level without a response", str(EXPECT_LEVEL),
        str(level) + (" (acknowledged first)" if acked else ""),
        None if acked and level < EXPECT_LEVEL else level == EXPECT_LEVEL,
    ))
    return tuple(checks)


def add_legacy_drill_incidents(engine: Engine, period: Period, count: int = 3) -> list[int]:
    """Critical drill incidents as older databases hold them (before drills had a database of
    their own): in the period, and open, so any real figure that counted them would show it."""
    at = period.start_at + timedelta(days=1)
    with engine.connect() as conn:
        first = int(conn.execute(select(func.max(Incident.id))).scalar_one() or 0) + 1
    rows: list[dict[str, Any]] = [
        {
            "id": first + n, "entity_id": "lumina", "category": "product_safety",
            "state": ("open", "acknowledged", "resolved")[n % 3], "grade": "critical",
            "peak_grade": "critical", "likelihood": 5, "impact": 5, "reasons": [],
            "title": f"Drill incident {n}", "first_seen_at": at, "last_seen_at": at,
            "opened_at": at + timedelta(hours=n), "updated_at": at, "mention_count": 50_000,
            "playbook": "critical", "drill": True,
            "acknowledged_at": None if n % 3 == 0 else at + timedelta(hours=n, minutes=3),
            "resolved_at": at + timedelta(hours=n, minutes=30) if n % 3 == 2 else None,
        }
        for n in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Incident), rows)
    return [first + n for n in range(count)]
