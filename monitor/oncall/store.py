"""Stored overrides and shift swaps: add (checked against the roster and the rotation), list,
remove, and load them as the rotation's values.

Every refusal is an ``OncallError`` with one line saying what is wrong and what to do.
Overlapping overrides of one schedule are refused, so which override wins is never a question.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from alerts.times import format_time
from config.roster import Roster
from config.suggest import one_of
from monitor.db.models import OncallOverride, OncallSwap
from monitor.oncall.rotation import Override, Rota, Swap, shifts

MAX_REASON = 500


class OncallError(ValueError):
    """An override or swap that cannot be stored, or one that does not exist (one line)."""


def rota_for(roster: Roster, schedule_id: str, *, zone: str, holidays: Sequence[date]) -> Rota:
    """The rotation of a configured schedule; OncallError naming the known ones otherwise."""
    schedule = roster.schedules.get(schedule_id)
    if schedule is None:
        raise OncallError(
            f"unknown schedule {schedule_id!r}{one_of(schedule_id, roster.schedules)}"
        )
    return Rota.of(schedule, zone=zone, holidays=holidays)


def known_person(roster: Roster, person_id: str, *, option: str) -> str:
    """``person_id`` when the roster has that person; OncallError naming ``option`` otherwise."""
    if roster.person(person_id) is None:
        raise OncallError(
            f"{option}: unknown person {person_id!r}{one_of(person_id, roster.people)}"
        )
    return person_id


def add_override(
    session: Session,
    *,
    roster: Roster,
    schedule_id: str,
    person: str,
    start: datetime,
    end: datetime,
    reason: str,
    by: str,
    now: datetime,
    zone: str,
) -> OncallOverride:
    """Store an override; OncallError when a name is unknown, the range is empty or over, or
    it overlaps another override of the schedule (times in messages shown in ``zone``)."""
    if schedule_id not in roster.schedules:
        raise OncallError(
            f"unknown schedule {schedule_id!r}{one_of(schedule_id, roster.schedules)}"
        )
    known_person(roster, person, option="--person")
    known_person(roster, by, option="--by")
    if end <= start:
        raise OncallError(
            f"--to ({format_time(end, zone)}) must be later than --from "
            f"({format_time(start, zone)})"
        )
    if end <= now:
        raise OncallError(f"the override would already be over ({format_time(end, zone)})")
    _lock_schedule(session, schedule_id)
    clash = session.scalars(
        select(OncallOverride)
        .where(
            OncallOverride.schedule_id == schedule_id,
            OncallOverride.starts_at < end,
            OncallOverride.ends_at > start,
        )
        .order_by(OncallOverride.starts_at)
        .limit(1)
    ).first()
    if clash is not None:
        raise OncallError(
            f"overlaps override #{clash.id} of {schedule_id} ({clash.person_id}, "
            f"{format_time(clash.starts_at, zone)} to {format_time(clash.ends_at, zone)}); "
            f"remove it first (crisiswatch oncall remove-override {clash.id}) or pick other times"
        )
    row = OncallOverride(
        schedule_id=schedule_id,
        person_id=person,
        starts_at=start,
        ends_at=end,
        reason=_reason(reason),
        created_by=by,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def add_swap(
    session: Session,
    *,
    roster: Roster,
    rota: Rota,
    person: str,
    taken_by: str,
    shift_start: datetime,
    reason: str,
    by: str,
    now: datetime,
    zone: str,
) -> OncallSwap:
    """Store a swap: ``person``'s rotation shift starting at ``shift_start`` is taken by
    ``taken_by``; OncallError when there is no such shift, it is over, or already swapped."""
    schedule_id = rota.schedule.id
    known_person(roster, person, option="--person")
    known_person(roster, taken_by, option="--with")
    known_person(roster, by, option="--by")
    if taken_by == person:
        raise OncallError("--with must name someone other than --person")
    found = shifts(rota, start=shift_start, end=shift_start + timedelta(microseconds=1))
    shift = next((s for s in found if s.start == shift_start and s.person == person), None)
    if shift is None:
        upcoming = [
            format_time(s.start, zone)
            for s in shifts(rota, start=shift_start - timedelta(days=1), end=shift_start + _AHEAD)
            if s.person == person and s.start >= shift_start - timedelta(days=1)
        ][:3]
        hint = f"; {person}'s shifts start at {', '.join(upcoming)}" if upcoming else ""
        raise OncallError(
            f"{person} has no shift on {schedule_id} starting at "
            f"{format_time(shift_start, zone)}{hint} (see crisiswatch oncall export)"
        )
    if shift.end <= now:
        raise OncallError(f"that shift is over (it ended {format_time(shift.end, zone)})")
    taken = session.scalars(
        select(OncallSwap).where(
            OncallSwap.schedule_id == schedule_id,
            OncallSwap.person_id == person,
            OncallSwap.shift_start == shift_start,
        )
    ).first()
    if taken is not None:
        raise OncallError(
            f"that shift is already swapped (swap #{taken.id}, to {taken.with_person_id}); "
            f"remove it first (crisiswatch oncall remove-swap {taken.id})"
        )
    row = OncallSwap(
        schedule_id=schedule_id,
        person_id=person,
        with_person_id=taken_by,
        shift_start=shift_start,
        reason=_reason(reason),
        created_by=by,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


_AHEAD = timedelta(days=28)
# a shift lasts at most a week: what starts or ends further from a range cannot change it
_NEAR = timedelta(days=8)


def list_overrides(
    session: Session, *, schedule_id: str | None = None, now: datetime, include_past: bool = False
) -> list[OncallOverride]:
    """Overrides not yet over at ``now`` (or all), soonest first."""
    stmt = select(OncallOverride).order_by(OncallOverride.starts_at, OncallOverride.id)
    if schedule_id is not None:
        stmt = stmt.where(OncallOverride.schedule_id == schedule_id)
    if not include_past:
        stmt = stmt.where(OncallOverride.ends_at > now)
    return list(session.scalars(stmt))


def list_swaps(
    session: Session, *, schedule_id: str | None = None, now: datetime, include_past: bool = False
) -> list[OncallSwap]:
    """Swaps of shifts that start after a week before ``now`` (or all), soonest first."""
    stmt = select(OncallSwap).order_by(OncallSwap.shift_start, OncallSwap.id)
    if schedule_id is not None:
        stmt = stmt.where(OncallSwap.schedule_id == schedule_id)
    if not include_past:
        # a shift lasts at most a week, so older swaps are of shifts that are over
        stmt = stmt.where(OncallSwap.shift_start > now - timedelta(days=7))
    return list(session.scalars(stmt))


def remove_override(session: Session, *, override_id: int) -> OncallOverride:
    """Delete an override; OncallError when there is none with that id."""
    row = session.get(OncallOverride, override_id)
    if row is None:
        raise OncallError(f"no override #{override_id} (see crisiswatch oncall overrides)")
    session.delete(row)
    session.flush()
    return row


def remove_swap(session: Session, *, swap_id: int) -> OncallSwap:
    """Delete a swap; OncallError when there is none with that id."""
    row = session.get(OncallSwap, swap_id)
    if row is None:
        raise OncallError(f"no swap #{swap_id} (see crisiswatch oncall swaps)")
    session.delete(row)
    session.flush()
    return row


def stored_changes(
    session: Session, *, schedule_id: str, start: datetime, end: datetime
) -> tuple[list[Override], list[Swap]]:
    """The overrides and swaps of a schedule that may change its shifts overlapping
    ``[start, end)``, as the rotation's values."""
    overrides = session.scalars(
        select(OncallOverride).where(
            OncallOverride.schedule_id == schedule_id,
            OncallOverride.starts_at < end + _NEAR,
            OncallOverride.ends_at > start - _NEAR,
        )
    )
    swaps = session.scalars(
        select(OncallSwap).where(
            OncallSwap.schedule_id == schedule_id,
            OncallSwap.shift_start < end + _NEAR,
            OncallSwap.shift_start > start - _NEAR,
        )
    )
    return (
        [Override(o.id, o.person_id, o.starts_at, o.ends_at) for o in overrides],
        [Swap(s.id, s.person_id, s.with_person_id, s.shift_start) for s in swaps],
    )


def override_to_dict(row: OncallOverride, *, now: datetime) -> dict[str, object]:
    """An override as the JSON views show it."""
    return {
        "id": row.id,
        "schedule": row.schedule_id,
        "person": row.person_id,
        "from": row.starts_at.isoformat(),
        "to": row.ends_at.isoformat(),
        "active": row.starts_at <= now < row.ends_at,
        "reason": row.reason,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
    }


def swap_to_dict(row: OncallSwap) -> dict[str, object]:
    """A swap as the JSON views show it."""
    return {
        "id": row.id,
        "schedule": row.schedule_id,
        "person": row.person_id,
        "with": row.with_person_id,
        "shift_start": row.shift_start.isoformat(),
        "reason": row.reason,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
    }


def _lock_schedule(session: Session, schedule_id: str) -> None:
    """On PostgreSQL, one override of a schedule is checked and added at a time (until the
    transaction ends), so two added at once cannot both pass the overlap check. SQLite
    already refuses the second writer whose snapshot is stale."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"oncall-override:{schedule_id}"},
        )


def _reason(value: str) -> str:
    return " ".join(value.split())[:MAX_REASON]
