"""Who is on call for a schedule at a moment, with the stored overrides and swaps applied: the
one lookup the CLI and escalation share.

``on_call`` answers with the people and their shift, or with no people and the reason (an
empty schedule at alert time is the caller's to handle: escalation falls back to the team's
channel with a warning). ``oncall_lookup`` makes the plain ``(schedule_id, at) -> people``
callable escalation is given at the composition root; it opens its own session per call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from alerts.times import format_time
from config.people import Person
from config.roster import Roster
from config.schema import Settings
from monitor.escalation_targets import OnCallLookup
from monitor.oncall.rotation import NEXT_HORIZON, Rota, Shift, on_call_now
from monitor.oncall.store import OncallError, rota_for, stored_changes


@dataclass(frozen=True)
class OnCall:
    """The answer for one schedule at one moment.

    ``people`` is who to notify (empty when nobody is, with ``reason`` saying why); ``shift``
    and ``next`` the current and following shifts (None: none)."""

    schedule_id: str
    at: datetime
    people: tuple[Person, ...]
    shift: Shift | None
    next: Shift | None
    reason: str | None = None


def organisation_rota(settings: Settings, roster: Roster, schedule_id: str) -> Rota:
    """A configured schedule's rotation in the organisation's zone and holidays; OncallError
    for an unknown schedule."""
    org = settings.organisation
    return rota_for(roster, schedule_id, zone=org.timezone, holidays=org.holidays)


def on_call(
    *, session: Session, roster: Roster, settings: Settings, schedule_id: str, at: datetime
) -> OnCall:
    """Who is on call for ``schedule_id`` at ``at`` (overrides and swaps applied), until when,
    and who is next; OncallError for an unknown schedule."""
    rota = organisation_rota(settings, roster, schedule_id)
    overrides, swaps = stored_changes(
        session, schedule_id=schedule_id, start=at, end=at + NEXT_HORIZON
    )
    now = on_call_now(rota, at=at, overrides=overrides, swaps=swaps)
    zone = settings.organisation.timezone
    if now.current is None:
        return OnCall(schedule_id, at, (), None, now.next, _why_nobody(rota, at, zone))
    person = roster.person(now.current.person)
    if person is None:  # a stored override or swap naming someone since removed from config
        reason = f"{now.current.person} ({_what(now.current)}) is no longer in the configuration"
        return OnCall(schedule_id, at, (), now.current, now.next, reason)
    return OnCall(schedule_id, at, (person,), now.current, now.next)


def oncall_lookup(
    session_factory: Callable[[], Session], roster: Roster, settings: Settings
) -> OnCallLookup:
    """``lookup(schedule_id, at)``: the people on call (empty when nobody is, or the schedule
    is unknown: the caller falls back to the team's channel)."""

    def lookup(schedule_id: str, at: datetime) -> list[Person]:
        with session_factory() as session:
            try:
                found = on_call(
                    session=session,
                    roster=roster,
                    settings=settings,
                    schedule_id=schedule_id,
                    at=at,
                )
            except OncallError:
                return []
        return list(found.people)

    return lookup


def _what(shift: Shift) -> str:
    if shift.source == "override":
        return f"override #{shift.ref}"
    if shift.source == "swap":
        return f"swap #{shift.ref}"
    return shift.layer


def _why_nobody(rota: Rota, at: datetime, zone: str) -> str:
    schedule = rota.schedule
    local_day: date = at.astimezone(rota.zone).date()
    shown = format_time(at, zone)
    if all(layer.start > local_day for layer in schedule.layers):
        first = min(layer.start for layer in schedule.layers)
        return f"nobody is on call for {schedule.id} at {shown}: its first turn starts {first}"
    if local_day in rota.holidays:
        return (
            f"nobody is on call for {schedule.id} at {shown}: {local_day} is a holiday "
            "and its layers have working hours"
        )
    return f"nobody is on call for {schedule.id} at {shown}: outside every layer's hours"
