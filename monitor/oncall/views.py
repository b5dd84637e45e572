"""What the on-call commands and the quickstart show: every schedule's answer now, as JSON-ready
dicts and as one line a person reads; a schedule's coming shifts as an iCalendar file."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from alerts.sanitize import one_line
from alerts.times import format_time
from config.roster import Roster
from config.schema import Settings
from monitor.oncall.ical import calendar
from monitor.oncall.lookup import OnCall, on_call, organisation_rota
from monitor.oncall.rotation import Shift, shifts
from monitor.oncall.store import stored_changes


def oncall_views(
    *,
    session: Session,
    roster: Roster,
    settings: Settings,
    at: datetime,
    schedule_id: str | None = None,
) -> list[dict[str, object]]:
    """The answer of every schedule (or one) at ``at``, in configuration order;
    OncallError for an unknown schedule."""
    ids = [schedule_id] if schedule_id is not None else list(roster.schedules)
    return [
        oncall_to_dict(
            on_call(session=session, roster=roster, settings=settings, schedule_id=s, at=at),
            roster,
        )
        for s in ids
    ]


def shift_to_dict(shift: Shift, roster: Roster) -> dict[str, object]:
    """A shift with its person's name, ISO times and where it comes from."""
    person = roster.person(shift.person)
    return {
        "person": shift.person,
        "name": person.name if person is not None else shift.person,
        "timezone": person.timezone if person is not None else None,
        "from": shift.start.isoformat(),
        "until": shift.end.isoformat(),
        "layer": shift.layer,
        "source": shift.source,
        "replaces": shift.replaces,
        "ref": shift.ref,
    }


def oncall_to_dict(answer: OnCall, roster: Roster) -> dict[str, object]:
    """One schedule's answer as the JSON view shows it."""
    schedule = roster.schedules[answer.schedule_id]
    return {
        "schedule": answer.schedule_id,
        "name": schedule.name or schedule.id,
        "at": answer.at.isoformat(),
        "on_call": [{"id": p.id, "name": p.name} for p in answer.people],
        "shift": None if answer.shift is None else shift_to_dict(answer.shift, roster),
        "next": None if answer.next is None else shift_to_dict(answer.next, roster),
        "reason": answer.reason,
    }


def who(shift: dict[str, object]) -> str:
    """``李娜 (li.na)``, with ``[override #3]`` or ``[swap #2, instead of tom]`` when so."""
    text = f"{one_line(str(shift['name']), 40)} ({shift['person']})"
    if shift["source"] == "override":
        return f"{text} [override #{shift['ref']}]"
    if shift["source"] == "swap":
        return f"{text} [swap #{shift['ref']}, instead of {shift['replaces']}]"
    return text


def oncall_line(view: dict[str, object], zone: str) -> str:
    """``risk-primary: 李娜 (li.na) until 2026-12-07 18:00 UTC+8 (weekday hours); next: ...``."""
    shift, upcoming = view["shift"], view["next"]
    if view["on_call"] and isinstance(shift, dict):
        notes = [] if shift["source"] == "override" else [str(shift["layer"])]
        until = str(shift["until"])
        notes += _theirs(until, shift, zone)
        paren = f" ({'; '.join(notes)})" if notes else ""
        now = f"{who(shift)} until {format_time(until, zone)}{paren}"
    else:
        now = str(view["reason"]).split(": ", 1)[-1] if view["reason"] else "nobody"
        now = f"nobody ({now})"
    if isinstance(upcoming, dict):
        later = f"next: {who(upcoming)} from {format_time(str(upcoming['from']), zone)}"
    else:
        later = "next: nobody in the next 4 weeks"
    return f"{view['schedule']}: {now}; {later}"


def _theirs(moment: str, shift: dict[str, object], zone: str) -> list[str]:
    """``2026-12-14 01:00 UTC in Europe/London`` when the person lives where the clock reads
    otherwise than in ``zone``."""
    theirs = shift.get("timezone")
    if not isinstance(theirs, str):
        return []
    local = format_time(moment, theirs)
    return [] if local == format_time(moment, zone) else [f"{local} in {theirs}"]


def export_calendar(
    *,
    session: Session,
    roster: Roster,
    settings: Settings,
    schedule_id: str,
    now: datetime,
    weeks: int,
) -> tuple[str, int]:
    """The iCalendar text of a schedule's shifts from ``now`` for ``weeks`` weeks (overrides
    and swaps applied) and the number of shifts; OncallError for an unknown schedule."""
    rota = organisation_rota(settings, roster, schedule_id)
    end = now + timedelta(weeks=weeks)
    overrides, swaps = stored_changes(session, schedule_id=schedule_id, start=now, end=end)
    found = shifts(rota, start=now, end=end, overrides=overrides, swaps=swaps)
    text = calendar(
        schedule_id=schedule_id,
        schedule_name=rota.schedule.name or schedule_id,
        shifts=found,
        names={p.id: p.name for p in roster.people.values()},
        now=now,
    )
    return text, len(found)
