"""The drill report: when each grade was reached, what was sent, how fast people responded.

Times are drill-time seconds from the drill's start. Acknowledgement is measured against the
``time_to_ack`` of the playbook for the grade the incident had when it was acknowledged; the
first public response (``crisiswatch respond``) against the ``time_to_first_response`` of the
grade it had then. As the playbooks define them, both clocks run from the opening, or from the
last rise in grade before that moment. An incident never acknowledged (or responded to) is
judged on its grade at the end of the drill, and only once its deadline has passed. Resolution
is timed but has no target.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.message import as_utc
from monitor.db.models import Alert, Incident, IncidentEvent
from monitor.drills.scenario import Expect
from monitor.incidents.context import IncidentContext
from monitor.incidents.messages import playbook_for
from playbooks import ALL_GRADES, select_playbook


@dataclass(frozen=True, slots=True)
class IncidentOutcome:
    """One incident of the drill."""

    id: int
    entity: str
    title: str
    category: str | None
    peak_grade: str
    state: str
    opened_s: float
    grades: dict[str, float]  # grade -> first reached
    acknowledged_s: float | None
    acknowledged_by: str | None
    resolved_s: float | None
    resolved_by: str | None
    ack_target_s: float | None
    response_target_s: float | None
    # when each SLA clock started (None: at opening), the grade it ran for, and the drill's end
    ack_clock_s: float | None = None
    ack_grade: str | None = None
    response_clock_s: float | None = None
    response_grade: str | None = None
    ended_s: float | None = None
    responded_s: float | None = None  # the first public response
    responded_by: str | None = None

    @property
    def time_to_ack_s(self) -> float | None:
        return None if self.acknowledged_s is None else self.acknowledged_s - self.opened_s

    @property
    def time_to_resolve_s(self) -> float | None:
        return None if self.resolved_s is None else self.resolved_s - self.opened_s

    @property
    def ack_met(self) -> bool | None:
        return self._met(self.acknowledged_s, self.ack_clock_s, self.ack_target_s)

    @property
    def response_met(self) -> bool | None:
        return self._met(self.responded_s, self.response_clock_s, self.response_target_s)

    def _met(self, done: float | None, clock: float | None,
             target: float | None) -> bool | None:
        if target is None:
            return None
        start = self.opened_s if clock is None else clock
        if done is not None:
            return done - start <= target
        if self.ended_s is not None and self.ended_s - start <= target:
            return None  # not due before the drill ended
        return False


@dataclass(frozen=True, slots=True)
class AlertSent:
    """One alert delivery (or attempt) of the drill."""

    at_s: float
    incident: int | None
    event: str
    level: int
    channel: str
    status: str


@dataclass(frozen=True, slots=True)
class Check:
    """One expectation of the scenario against what happened."""

    what: str
    expected: str
    actual: str
    ok: bool | None  # None: not applicable (e.g. someone acknowledged before it could happen)


@dataclass(frozen=True)
class DrillReport:
    """Everything a drill showed; stored as JSON in both databases."""

    key: str
    scenario: str
    title: str
    language: str
    speed: float
    state: str  # finished | aborted
    started_at: str  # wall clock, ISO
    finished_at: str
    length_s: float  # drill time covered
    posts: int
    mentions: int
    incidents: tuple[IncidentOutcome, ...]
    alerts: tuple[AlertSent, ...]
    grades: dict[str, float]  # grade -> first reached by any incident
    checks: tuple[Check, ...] = ()
    database: str = ""

    @property
    def highest_grade(self) -> str:
        return highest_grade(self.grades)

    @property
    def escalation_level(self) -> int:
        """The highest escalation level any alert went out at."""
        return highest_level(self.alerts)

    @property
    def first_ack_s(self) -> float | None:
        """The quickest acknowledgement, from its incident's opening."""
        times = [i.time_to_ack_s for i in self.incidents if i.time_to_ack_s is not None]
        return min(times) if times else None

    @property
    def ok(self) -> bool:
        return all(c.ok is not False for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["incidents"] = [
            {**asdict(i), "time_to_ack_s": i.time_to_ack_s,
             "time_to_resolve_s": i.time_to_resolve_s, "ack_met": i.ack_met,
             "response_met": i.response_met}
            for i in self.incidents
        ]
        data |= {"highest_grade": self.highest_grade, "escalation_level": self.escalation_level,
                 "ok": self.ok}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DrillReport:
        """Read a stored report (derived fields are recomputed, not trusted)."""
        fields = {f for f in IncidentOutcome.__dataclass_fields__}
        return cls(
            **{k: data[k] for k in ("key", "scenario", "title", "language", "speed", "state",
                                    "started_at", "finished_at", "length_s", "posts",
                                    "mentions")},
            incidents=tuple(IncidentOutcome(**{k: v for k, v in i.items() if k in fields})
                            for i in data.get("incidents", ())),
            alerts=tuple(AlertSent(**a) for a in data.get("alerts", ())),
            grades=dict(data.get("grades", {})),
            checks=tuple(Check(**c) for c in data.get("checks", ())),
            database=str(data.get("database", "")),
        )


def highest_grade(grades: Mapping[str, float]) -> str:
    """The highest grade reached ("none" when none was)."""
    reached = [g for g in ALL_GRADES if g in grades]
    return reached[-1] if reached else "none"


def highest_level(alerts: Iterable[AlertSent]) -> int:
    """The highest escalation level an opening or escalation alert went out at."""
    return max((a.level for a in alerts if a.event in ("opened", "escalated")), default=0)


@dataclass
class Measured:
    """What ``measure`` reads back from the drill database."""

    incidents: list[IncidentOutcome] = field(default_factory=list)
    alerts: list[AlertSent] = field(default_factory=list)
    grades: dict[str, float] = field(default_factory=dict)


def measure(session: Session, *, ctx: IncidentContext, start: datetime,
            end: datetime) -> Measured:
    """Read every drill incident's timeline and the outbox, relative to ``start``."""
    start = as_utc(start)
    ended = (as_utc(end) - start).total_seconds()

    def rel(moment: datetime | None) -> float | None:
        return None if moment is None else (as_utc(moment) - start).total_seconds()

    out = Measured()
    incidents = session.scalars(select(Incident).order_by(Incident.id)).all()
    events = session.scalars(select(IncidentEvent).order_by(IncidentEvent.at, IncidentEvent.id))
    by_incident: dict[int, list[IncidentEvent]] = {}
    for event in events:
        by_incident.setdefault(event.incident_id, []).append(event)
    for incident in incidents:
        grades: dict[str, float] = {}
        steps: list[tuple[float, str]] = []  # (when, grade) from opening on
        # the first acknowledgement and resolution count, even if later posts reopened it
        firsts: dict[str, IncidentEvent] = {}
        for event in by_incident.get(incident.id, []):
            firsts.setdefault(event.kind, event)
            if event.kind in ("opened", "grade_changed") and event.grade in ALL_GRADES:
                at = rel(event.at) or 0.0
                steps.append((at, event.grade))
                for grade in ALL_GRADES[1:ALL_GRADES.index(event.grade) + 1]:
                    grades.setdefault(grade, at)
        acked = firsts.get("acknowledged")
        responded = firsts.get("responded")
        closed = firsts.get("resolved") or firsts.get("false_positive")
        for grade, at in grades.items():
            out.grades[grade] = min(at, out.grades.get(grade, at))
        acked_s = rel(acked.at) if acked else None
        responded_s = rel(responded.at) if responded else None
        closed_s = rel(closed.at) if closed else None
        ack_clock, ack_grade = _clock(steps, ended if acked_s is None else acked_s)
        response_clock, response_grade = _clock(
            steps, ended if responded_s is None else responded_s)
        out.incidents.append(IncidentOutcome(
            id=incident.id, entity=ctx.entity_name(incident.entity_id), title=incident.title,
            category=incident.category, peak_grade=incident.peak_grade, state=incident.state,
            opened_s=rel(incident.opened_at) or 0.0, grades=grades,
            acknowledged_s=acked_s, acknowledged_by=acked.actor if acked else None,
            resolved_s=closed_s, resolved_by=closed.actor if closed else None,
            ack_target_s=_target(incident, ctx, ack_grade, "ack"),
            response_target_s=_target(incident, ctx, response_grade, "response"),
            ack_clock_s=ack_clock, ack_grade=ack_grade, response_clock_s=response_clock,
            response_grade=response_grade, ended_s=ended, responded_s=responded_s,
            responded_by=responded.actor if responded else None,
        ))
    for alert in session.scalars(select(Alert).order_by(Alert.created_at, Alert.id)):
        payload = alert.payload or {}
        level = int(payload.get("escalation_level") or 0)
        out.alerts.append(AlertSent(
            at_s=rel(alert.created_at) or 0.0, incident=alert.incident_id, event=alert.event,
            level=level, channel=alert.channel, status=alert.status,
        ))
    return out


def _clock(steps: list[tuple[float, str]], moment: float) -> tuple[float | None, str | None]:
    """The incident's grade at ``moment`` and when its SLA clock started: the opening, or the
    last rise in grade up to then."""
    started: float | None = None
    grade: str | None = None
    for at, new in steps:
        if at > moment:
            break
        if grade is None or ALL_GRADES.index(new) > ALL_GRADES.index(grade):
            started = at
        grade = new
    return started, grade


def _target(incident: Incident, ctx: IncidentContext, grade: str | None,
            which: str) -> float | None:
    playbook = (select_playbook(playbooks=ctx.playbooks, grade=grade, category=incident.category)
                if grade else playbook_for(incident, ctx))
    if playbook is None:
        return None
    sla = playbook.sla
    return (sla.time_to_ack if which == "ack" else sla.time_to_first_response).total_seconds()


def check(expect: Expect | None, measured: Measured) -> tuple[Check, ...]:
    """The scenario's expectations against what the drill showed."""
    if expect is None:
        return ()
    highest = highest_grade(measured.grades)
    checks = [Check("highest grade", expect.highest_grade, highest,
                    highest == expect.highest_grade)]
    for grade, bound in expect.reached.items():
        at = measured.grades.get(grade)
        checks.append(Check(
            f"{grade} reached", f"by {clock_text(bound.total_seconds())}",
            "never" if at is None else f"at {clock_text(at)}",
            at is not None and at <= bound.total_seconds(),
        ))
    if expect.escalation_level is not None:
        level = highest_level(measured.alerts)
        acked = any(i.acknowledged_s is not None for i in measured.incidents)
        checks.append(Check(
            "escalation level without a response", str(expect.escalation_level),
            str(level) + (" (acknowledged first)" if acked else ""),
            None if acked and level < expect.escalation_level
            else level == expect.escalation_level,
        ))
    if expect.incidents is not None:
        opened = len(measured.incidents)
        checks.append(Check("incidents opened", str(expect.incidents), str(opened),
                            opened == expect.incidents))
    return tuple(checks)


def _sla_line(what: str, done: float | None, by: str | None, grade: str | None,
              clock: float | None, target: float | None, verdict: str, *, opened: float,
              target_name: str = "") -> str:
    """``acknowledged at +10:39 by li.na (LOW since +0:03: target 1 day, 0:00:00: ok)``."""
    start = opened if clock is None else clock
    head = f"{what} at {clock_text(done)}" + (f" by {by}" if by else "") if done is not None \
        else f"not {what}"
    label = f"{target_name} target" if target_name else "target"
    since = f"{grade.upper()} since {clock_text(start)}: " if grade else ""
    return f"{head} ({since}{label} {duration_text(target)}: {verdict})"


def clock_text(seconds: float) -> str:
    """Drill time as ``+1:05:00`` / ``+12:30``."""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"+{hours}:{minutes:02d}:{secs:02d}" if hours else f"+{minutes}:{secs:02d}"


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return str(timedelta(seconds=int(round(seconds))))


def render_text(report: DrillReport) -> str:
    """The report as printed at the end of a drill."""
    verdict = {True: "ok", False: "MISSED", None: "n/a"}
    lines = [
        f"DRILL REPORT · {report.title} ({report.scenario}) · {report.state}",
        f"key {report.key} · speed {report.speed:g}× · {clock_text(report.length_s)} of drill "
        f"time · {report.posts} posts, {report.mentions} mentions stored",
        "",
        "Grades reached: " + (", ".join(
            f"{g} at {clock_text(s)}" for g, s in sorted(report.grades.items(),
                                                          key=lambda kv: ALL_GRADES.index(kv[0])))
            or "none"),
        f"Alerts: {len(report.alerts)} "
        f"({sum(1 for a in report.alerts if a.status == 'sent')} sent), "
        f"highest escalation level {report.escalation_level}",
    ]
    for alert in report.alerts:
        lines.append(f"  {clock_text(alert.at_s):>9}  incident {alert.incident}  "
                     f"{alert.event:<13} level {alert.level}  {alert.channel:<14} {alert.status}")
    lines += ["", "Incidents:"]
    for i in report.incidents:
        lines.append(f"  #{i.id} {i.peak_grade.upper()} {i.title}")
        lines.append(f"     opened {clock_text(i.opened_s)}, now {i.state}")
        lines.append("     " + _sla_line("acknowledged", i.acknowledged_s, i.acknowledged_by,
                                         i.ack_grade, i.ack_clock_s, i.ack_target_s,
                                         verdict[i.ack_met], opened=i.opened_s))
        lines.append("     " + _sla_line("responded", i.responded_s, i.responded_by,
                                         i.response_grade, i.response_clock_s,
                                         i.response_target_s, verdict[i.response_met],
                                         opened=i.opened_s, target_name="first-response"))
        if i.resolved_s is not None:
            lines.append(f"     closed at {clock_text(i.resolved_s)}"
                         + (f" by {i.resolved_by}" if i.resolved_by else ""))
    if report.checks:
        lines += ["", "Scenario expectations:"]
        lines += [f"  [{verdict[c.ok]:>6}] {c.what}: expected {c.expected}, got {c.actual}"
                  for c in report.checks]
    return "\n".join(lines) + "\n"

