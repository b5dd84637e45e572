"""People, teams, schedules and working hours: the schema of the ``people``, ``teams``,
``schedules`` and ``business_hours`` sections (``config.roster`` ties them together).

Times of day are ``HH:MM`` in the zone of the section that holds them; dates are ISO dates.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

_ID = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def known_zone(value: str) -> str:
    """``value`` when it is an IANA time zone; ValueError naming it otherwise."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (expected e.g. Asia/Shanghai)") from exc
    return value


def _clock_time(value: str) -> str:
    match = re.fullmatch(r"([01]\d|2[0-4]):([0-5]\d)", value)
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise ValueError(f"expected a time of day HH:MM (00:00 to 24:00), got {value!r}")
    return value


Zone = Annotated[str, AfterValidator(known_zone)]
ClockTime = Annotated[str, AfterValidator(_clock_time)]


def clock_time(value: str) -> time:
    """``HH:MM`` as a time; ``24:00`` (only meaningful as an end) becomes ``time.max``."""
    hours, minutes = (int(part) for part in value.split(":"))
    return time.max if hours == 24 else time(hours, minutes)


class Contacts(_Model):
    """How to reach a person on each kind of channel (all optional)."""

    slack: str | None = Field(
        None, pattern=r"^[UW][A-Z0-9]{2,}$", description="Slack member id (U024BE7LH)."
    )
    email: str | None = Field(
        None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="Email address."
    )
    dingtalk: str | None = Field(None, description="DingTalk mobile number or user id.")
    wecom: str | None = Field(None, description="WeCom (企业微信) mobile number or user id.")
    feishu: str | None = Field(None, description="Feishu/Lark open id (ou_...) or user id.")
    phone: str | None = Field(None, description="Phone number, shown to responders.")


class Person(_Model):
    """Someone who can be told, be on call, acknowledge, reply and approve."""

    id: str = Field(pattern=_ID, description="Stable identifier, used by --by and schedules.")
    name: str = Field(description="Name shown in alerts, reports and the CLI.")
    locale: Literal["en", "zh"] | None = Field(
        None, description="Language of messages to this person; null: the organisation's."
    )
    timezone: Zone | None = Field(
        None, description="IANA time zone the person lives in; null: the organisation's."
    )
    roles: tuple[str, ...] = Field(
        (),
        description="What the person may do beyond responding (compliance, brand, "
        "accuracy, final for script reviews; lead ...).",
    )
    contacts: Contacts = Field(
        default_factory=Contacts,  # type: ignore[arg-type]
        description="Handle per channel kind, used to mention the person in alerts.",
    )


class Window(_Model):
    """Some days of the week, from a time to a later one (``to`` 24:00: to midnight)."""

    days: tuple[Weekday, ...] = Field(
        ("mon", "tue", "wed", "thu", "fri"), min_length=1, description="Weekdays (mon..sun)."
    )
    start: ClockTime = Field("09:00", alias="from", description="Start time of day (HH:MM).")
    end: ClockTime = Field("18:00", alias="to", description="End time of day (HH:MM).")

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if clock_time(self.end) <= clock_time(self.start):
            raise ValueError(f"'to' ({self.end}) must be later than 'from' ({self.start})")
        return self


class BusinessHours(_Model):
    """Working hours: when low-grade work is handled and reply deadlines are counted."""

    timezone: Zone | None = Field(None, description="Zone of the hours; null: the organisation's.")
    hours: tuple[Window, ...] = Field(
        (Window.model_validate({}),),
        min_length=1,
        description="Working windows (default: weekdays 09:00-18:00).",
    )
    holidays: tuple[date, ...] = Field(
        (), description="Dates with no working hours (on top of the organisation's holidays)."
    )


class Team(_Model):
    """People who own some entities and categories, with a lead and a channel of their own."""

    id: str = Field(pattern=_ID, description="Stable identifier.")
    name: str = Field(description="Name shown in alerts and reports.")
    members: tuple[str, ...] = Field(min_length=1, description="Person ids.")
    lead: str | None = Field(None, description="Person id of the team lead.")
    channel: str | None = Field(
        None, description="Channel name used when no person of the team can be reached."
    )
    entities: tuple[str, ...] = Field((), description="Entity ids the team owns; empty: all.")
    categories: tuple[str, ...] = Field(
        (), description="Risk categories the team owns; empty: all."
    )
    business_hours: BusinessHours | None = Field(
        None, description="The team's working hours; null: the organisation's."
    )


class Layer(_Model):
    """One rotation: members take turns, handing off at a time of day in the schedule's zone."""

    name: str = Field("", description="Label of the layer.")
    rotation: Literal["daily", "weekly"] = Field("weekly", description="Length of one turn.")
    handoff: ClockTime = Field("09:00", description="Time of day turns change (HH:MM).")
    handoff_day: Weekday = Field("mon", description="Weekday weekly turns change.")
    start: date = Field(description="A date the first member's turn starts on (at handoff).")
    members: tuple[str, ...] = Field(min_length=1, description="Person ids, in turn order.")
    restrictions: tuple[Window, ...] = Field(
        (), description="When the layer is on call; empty: always."
    )

    @model_validator(mode="after")
    def _handoff_in_the_day(self) -> Layer:
        if self.handoff == "24:00":
            raise ValueError("handoff must be a time within the day (00:00 to 23:59), not 24:00")
        return self


class Schedule(_Model):
    """Who is on call: layers, the last one listed on top (it wins where it is on call)."""

    id: str = Field(pattern=_ID, description="Stable identifier, used by escalation steps.")
    name: str = Field("", description="Name shown to people; default: the id.")
    team: str | None = Field(None, description="Team id whose channel is the fallback.")
    timezone: Zone | None = Field(
        None, description="Zone of handoffs and restrictions; null: the organisation's."
    )
    layers: tuple[Layer, ...] = Field(min_length=1, description="Rotations, lowest first.")
    holidays: tuple[date, ...] = Field(
        (), description="Dates restricted layers are off (on top of the organisation's)."
    )


PeopleList = Annotated[tuple[Person, ...], Field((), description="People, by id.")]
TeamList = Annotated[tuple[Team, ...], Field((), description="Teams of people.")]
ScheduleList = Annotated[tuple[Schedule, ...], Field((), description="On-call schedules.")]
