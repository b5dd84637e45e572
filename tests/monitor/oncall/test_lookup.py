"""Overrides and swaps stored and applied by the on-call lookup, on SQLite and PostgreSQL: the
example organisation's risk-primary schedule; refusals are one line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from config.loader import example_config_path, load_config
from config.roster import Roster
from config.schema import Settings
from monitor.db.engine import make_engine, session_factory
from monitor.db.migrate import upgrade
from monitor.db.models import OncallOverride, OncallSwap
from monitor.oncall.lookup import OnCall, on_call, oncall_lookup, organisation_rota
from monitor.oncall.store import (
    OncallError,
    add_override,
    add_swap,
    list_overrides,
    list_swaps,
    remove_override,
    remove_swap,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZONE = "Asia/Shanghai"
# Monday 2026-12-07 12:00 in Shanghai: the sixth week of risk-primary (started 2026-11-02):
# zhang.min has the weekday hours, wang.wei the off hours
NOW = datetime(2026, 12, 7, 12, tzinfo=SHANGHAI)


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = (
        f"sqlite:///{tmp_path / 'o.sqlite'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    engine = make_engine(url)
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_config(example_config_path()).settings


@pytest.fixture(scope="module")
def roster(settings: Settings) -> Roster:
    return Roster.of(settings)


def _at(
    session: Session,
    roster: Roster,
    settings: Settings,
    at: datetime,
    schedule: str = "risk-primary",
) -> OnCall:
    return on_call(session=session, roster=roster, settings=settings, schedule_id=schedule, at=at)


def _override(session: Session, roster: Roster, person: str, start: datetime, hours: float,
              schedule: str = "risk-primary") -> OncallOverride:  # fmt: skip
    return add_override(
        session, roster=roster, schedule_id=schedule, person=person, start=start,
        end=start + timedelta(hours=hours), reason="  cover\n for a doctor's visit ",
        by="tom.clarke", now=NOW, zone=ZONE,
    )  # fmt: skip


def test_the_rotation_with_an_override_on_top(
    sessions: sessionmaker[Session], roster: Roster, settings: Settings
) -> None:
    with sessions.begin() as session:
        answer = _at(session, roster, settings, NOW)
        assert [p.id for p in answer.people] == ["zhang.min"] and answer.reason is None
        assert answer.shift is not None and answer.shift.layer == "weekday hours"
        assert answer.shift.start == NOW.replace(hour=9) and answer.shift.end == NOW.replace(
            hour=18
        )
        assert answer.next is not None and answer.next.person == "wang.wei"
        row = _override(session, roster, "li.na", NOW.replace(hour=13), 2)
        assert (row.reason, row.created_by, row.created_at) == (
            "cover for a doctor's visit", "tom.clarke", NOW
        )  # fmt: skip
    with sessions.begin() as session:
        answer = _at(session, roster, settings, NOW.replace(hour=14))
        assert [p.id for p in answer.people] == ["li.na"]
        assert answer.shift is not None and (answer.shift.source, answer.shift.ref) == (
            "override", row.id
        )  # fmt: skip
        assert answer.next is not None and answer.next.person == "zhang.min"
        assert answer.next.start == NOW.replace(hour=15)
        # the other schedule is untouched
        assert [p.id for p in _at(session, roster, settings, NOW, "risk-secondary").people] == [
            "tom.clarke"
        ]
        assert [r.id for r in list_overrides(session, now=NOW)] == [row.id]
        assert list_overrides(session, now=NOW + timedelta(days=1)) == []
        assert len(list_overrides(session, now=NOW + timedelta(days=1), include_past=True)) == 1
        remove_override(session, override_id=row.id)
    with sessions.begin() as session:
        assert [p.id for p in _at(session, roster, settings, NOW.replace(hour=14)).people] == [
            "zhang.min"
        ]
        with pytest.raises(OncallError, match=r"^no override #\d+ \(see crisiswatch oncall"):
            remove_override(session, override_id=row.id)


def test_overlapping_overrides_of_one_schedule_are_refused_in_one_line(
    sessions: sessionmaker[Session], roster: Roster
) -> None:
    with sessions.begin() as session:
        first = _override(session, roster, "li.na", NOW.replace(hour=13), 2)
        _override(session, roster, "wang.wei", NOW.replace(hour=15), 1)  # touching is fine
        _override(session, roster, "wang.wei", NOW.replace(hour=14), 1, "risk-secondary")
        with pytest.raises(OncallError) as caught:
            _override(session, roster, "wang.wei", NOW.replace(hour=12), 1.5)
    message = str(caught.value)
    assert "\n" not in message
    assert message == (
        f"overlaps override #{first.id} of risk-primary (li.na, 2026-12-07 13:00 UTC+8 to "
        f"2026-12-07 15:00 UTC+8); remove it first (crisiswatch oncall remove-override "
        f"{first.id}) or pick other times"
    )


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"person": "li.nna"}, "--person: unknown person 'li.nna' (did you mean 'li.na'?)"),
        ({"by": "nobody"}, "--by: unknown person 'nobody'"),
        ({"schedule_id": "risk-primry"}, "unknown schedule 'risk-primry' (did you mean"),
        ({"end": NOW.replace(hour=12)}, "--to (2026-12-07 12:00 UTC+8) must be later than --from"),
        (
            {"start": NOW - timedelta(hours=3), "end": NOW - timedelta(hours=1)},
            "the override would already be over (2026-12-07 11:00 UTC+8)",
        ),
    ],
)
def test_bad_overrides_are_refused(
    sessions: sessionmaker[Session], roster: Roster, change: dict[str, object], problem: str
) -> None:
    values: dict[str, object] = {
        "schedule_id": "risk-primary", "person": "li.na", "start": NOW.replace(hour=13),
        "end": NOW.replace(hour=14), "reason": "", "by": "tom.clarke", **change,
    }  # fmt: skip
    with sessions.begin() as session, pytest.raises(OncallError) as caught:
        add_override(session, roster=roster, now=NOW, zone=ZONE, **values)  # type: ignore[arg-type]
    assert problem in str(caught.value)


def test_a_swap_gives_one_shift_and_is_checked(
    sessions: sessionmaker[Session], roster: Roster, settings: Settings
) -> None:
    rota = organisation_rota(settings, roster, "risk-primary")
    tuesday = NOW.replace(day=8, hour=9)

    def swap(person: str, with_: str, at: datetime) -> OncallSwap:
        return add_swap(
            session, roster=roster, rota=rota, person=person, taken_by=with_, shift_start=at,
            reason="", by="zhang.min", now=NOW, zone=ZONE,
        )  # fmt: skip

    with sessions.begin() as session:
        row = swap("zhang.min", "li.na", tuesday)
        for args, problem in [
            (("zhang.min", "li.na", tuesday), f"that shift is already swapped (swap #{row.id}"),
            (("zhang.min", "zhang.min", tuesday), "--with must name someone other than --person"),
            (("zhang.min", "ghost", tuesday), "--with: unknown person 'ghost'"),
            (
                ("zhang.min", "li.na", tuesday.replace(hour=10)),
                "zhang.min has no shift on risk-primary starting at 2026-12-08 10:00 UTC+8; "
                "zhang.min's shifts start at 2026-12-08 09:00 UTC+8, 2026-12-09 09:00 UTC+8, "
                "2026-12-10 09:00 UTC+8 (see crisiswatch oncall export)",
            ),
            (("li.na", "wang.wei", tuesday), "li.na has no shift on risk-primary starting"),
            (
                ("tom.clarke", "li.na", NOW.replace(day=4, hour=18)),
                "that shift is over (it ended 2026-12-07 09:00 UTC+8)",
            ),
        ]:
            with pytest.raises(OncallError) as caught:
                swap(*args)
            assert problem in str(caught.value), caught.value
    with sessions.begin() as session:
        answer = _at(session, roster, settings, tuesday.replace(hour=10))
        assert [p.id for p in answer.people] == ["li.na"]
        assert answer.shift is not None
        assert (answer.shift.source, answer.shift.replaces) == ("swap", "zhang.min")
        assert (answer.shift.start, answer.shift.end) == (tuesday, tuesday.replace(hour=18))
        # only that shift: the next weekday is zhang.min's again
        wednesday = _at(session, roster, settings, tuesday + timedelta(days=1))
        assert [p.id for p in wednesday.people] == ["zhang.min"]
        assert [s.id for s in list_swaps(session, now=NOW)] == [row.id]
        remove_swap(session, swap_id=row.id)
        assert [p.id for p in _at(session, roster, settings, tuesday).people] == ["zhang.min"]


def test_the_lookup_for_escalation(
    sessions: sessionmaker[Session], roster: Roster, settings: Settings, tmp_path: Path
) -> None:
    lookup = oncall_lookup(sessions, roster, settings)
    assert [p.id for p in lookup("risk-primary", NOW)] == ["zhang.min"]
    assert [p.name for p in lookup("risk-primary", NOW.replace(hour=20))] == ["王伟"]
    assert lookup("no-such-schedule", NOW) == []
    # a schedule with only working hours has nobody at night: an empty answer with the reason
    text = example_config_path().read_text(encoding="utf-8")
    text = text.replace(
        "      - name: off hours",
        "      - name: off hours\n"
        "        restrictions: [{days: [sat], from: '09:00', to: '10:00'}]",
    )
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    day_only = load_config(path).settings
    night = NOW.replace(hour=22)
    assert oncall_lookup(sessions, Roster.of(day_only), day_only)("risk-primary", night) == []
    with sessions() as session:
        answer = on_call(session=session, roster=Roster.of(day_only), settings=day_only,
                         schedule_id="risk-primary", at=night)  # fmt: skip
    assert answer.people == () and answer.shift is None
    assert answer.reason == (
        "nobody is on call for risk-primary at 2026-12-07 22:00 UTC+8: outside every layer's hours"
    )
    assert answer.next is not None and answer.next.start == NOW.replace(day=8, hour=9)
    holiday = datetime(2027, 1, 1, 12, tzinfo=SHANGHAI)
    with sessions() as session:
        answer = on_call(session=session, roster=Roster.of(day_only), settings=day_only,
                         schedule_id="risk-primary", at=holiday)  # fmt: skip
    assert answer.reason is not None and "2027-01-01 is a holiday" in answer.reason


def test_an_override_naming_someone_no_longer_configured_is_nobody_with_the_reason(
    sessions: sessionmaker[Session], roster: Roster, settings: Settings
) -> None:
    with sessions.begin() as session:
        session.add(OncallOverride(
            schedule_id="risk-primary", person_id="gone", starts_at=NOW, reason="",
            ends_at=NOW + timedelta(hours=1), created_by="tom.clarke", created_at=NOW,
        ))  # fmt: skip
    with sessions() as session:
        answer = _at(session, roster, settings, NOW + timedelta(minutes=5))
    assert answer.people == ()
    assert answer.reason is not None and "gone" in answer.reason
    assert "no longer in the configuration" in answer.reason


def test_on_postgresql_a_second_override_waits_for_the_first(pg_url: str, roster: Roster) -> None:
    """Two overlapping overrides added at once cannot both pass the overlap check: the second
    waits for the schedule's lock (here: gives up after 200 ms) instead of reading stale rows."""
    from sqlalchemy.exc import OperationalError

    engine = make_engine(pg_url)
    upgrade(engine)
    factory = session_factory(engine)
    try:
        with factory.begin() as first:
            _override(first, roster, "li.na", NOW.replace(hour=13), 2)
            with factory.begin() as second:
                second.execute(text("SET LOCAL lock_timeout = '200ms'"))
                with pytest.raises(OperationalError, match="lock timeout"):
                    _override(second, roster, "wang.wei", NOW.replace(hour=14), 2)
                second.rollback()
        # once the first is committed: refused as overlapping
        with factory.begin() as again, pytest.raises(OncallError, match="overlaps override"):
            _override(again, roster, "wang.wei", NOW.replace(hour=14), 2)
    finally:
        engine.dispose()
