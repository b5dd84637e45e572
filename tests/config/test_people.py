"""People, teams and schedules: every bad value and dangling reference is one line with its
file, line and key; the roster's lookups."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.loader import ConfigError, LoadedConfig, load_config
from config.roster import Roster, people_findings

BASE = """\
version: 1
organisation: {name: X, timezone: Asia/Shanghai, holidays: [2026-12-08]}
entities:
  - {id: a, name: A, kind: brand}
channels:
  risk: {kind: console}
"""

PEOPLE = """\
people:
  - id: li.na
    name: 李娜
    roles: [compliance, final]
    contacts: {slack: U024BE7LH, dingtalk: "13800000000"}
  - {id: tom, name: Tom, timezone: Europe/London, roles: [brand, accuracy]}
"""


def _load(tmp_path: Path, text: str) -> LoadedConfig:
    path = tmp_path / "c.yaml"
    path.write_text(BASE + text, encoding="utf-8")
    return load_config(path)


def _problems(tmp_path: Path, text: str) -> list[str]:
    config = _load(tmp_path, text)
    return [config.describe(f) for f in people_findings(config.settings)]


def test_a_complete_roster_has_no_findings_and_answers_lookups(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        PEOPLE
        + "teams:\n  - {id: risk, name: Risk, members: [li.na, tom], lead: li.na, channel: risk}\n"
        "schedules:\n  - id: primary\n    team: risk\n    layers:\n"
        "      - {start: 2026-11-02, members: [li.na, tom],"
        " restrictions: [{days: [mon, tue], from: '09:00', to: '18:00'}]}\n",
    )
    assert list(people_findings(config.settings)) == []
    roster = Roster.of(config.settings)
    assert roster.configured
    assert roster.by_slack("U024BE7LH") == roster.person("li.na")
    assert [p.id for p in roster.with_role("compliance")] == ["li.na"]
    assert [p.id for p in roster.members("risk")] == ["li.na", "tom"]
    assert roster.person("nobody") is None and roster.by_slack("U999") is None
    window = config.settings.schedules[0].layers[0].restrictions[0]
    assert (window.start, window.end, window.days) == ("09:00", "18:00", ("mon", "tue"))


def test_no_people_is_a_roster_that_is_not_configured(tmp_path: Path) -> None:
    assert not Roster.of(_load(tmp_path, "").settings).configured


def test_dangling_references_are_named_with_their_line(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        PEOPLE + "teams:\n  - {id: risk, name: Risk, members: [li.na, tomm], channel: slak}\n"
        "schedules:\n  - id: primary\n    team: risks\n    layers:\n"
        "      - {start: 2026-11-02, members: [nobody]}\n",
    )
    assert problems == [
        f"{tmp_path / 'c.yaml'}:14: teams[0].members[1]: unknown person 'tomm' "
        "(did you mean 'tom'?)",
        f"{tmp_path / 'c.yaml'}:14: teams[0].channel: unknown channel 'slak' "
        "(expected one of: risk)",
        f"{tmp_path / 'c.yaml'}:17: schedules[0].team: unknown team 'risks' (did you mean 'risk'?)",
        f"{tmp_path / 'c.yaml'}:19: schedules[0].layers[0].members[0]: unknown person "
        "'nobody' (expected one of: li.na, tom)",
    ]


def test_the_composition_root_refuses_a_dangling_reference(tmp_path: Path) -> None:
    from monitor.configured import configured_roster

    config = _load(tmp_path, "teams:\n  - {id: risk, name: Risk, members: [ghost]}\n")
    with pytest.raises(ConfigError) as caught:
        configured_roster(config)
    assert caught.value.problems == [
        f"{tmp_path / 'c.yaml'}:8: teams[0].members[0]: unknown person 'ghost' "
        "(expected one of: none)"
    ]


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        (
            "people:\n  - {id: a, name: A, timezone: Mars/Base}\n",
            "people[0].timezone",
            "unknown time zone 'Mars/Base'",
        ),
        (
            "schedules:\n  - {id: s, layers: [{start: 2026-01-01, members: []}]}\n",
            "schedules[0].layers[0].members",
            "at least 1 item",
        ),
        (
            "business_hours: {hours: [{from: '18:00', to: '09:00'}]}\n",
            "business_hours.hours[0]",
            "'to' (09:00) must be later than 'from' (18:00)",
        ),
        (
            "business_hours: {hours: [{from: '9am'}]}\n",
            "business_hours.hours[0].from",
            "expected a time of day HH:MM",
        ),
        (
            "people:\n  - {id: a, name: A, contacts: {slack: '<@U1>'}}\n",
            "people[0].contacts.slack",
            "should match pattern",
        ),
    ],
)
def test_bad_values_are_one_line_errors_with_the_line(
    tmp_path: Path, text: str, where: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    line = caught.value.problems[0]
    assert f"c.yaml:7: {where}" in line or f"c.yaml:8: {where}" in line, line
    assert problem in line, line


def test_working_hours_come_from_the_team_else_the_organisation(tmp_path: Path) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from monitor.configured import working_hours

    assert working_hours(_load(tmp_path, "").settings) is None
    settings = _load(
        tmp_path,
        "business_hours: {hours: [{days: [mon, tue, wed, thu, fri], from: '09:00', to: '18:00'}]}\n"
        + PEOPLE
        + "teams:\n  - id: night\n    name: Night\n    members: [tom]\n"
        "    business_hours: {timezone: Europe/London, hours: [{days: [sat, sun], to: '24:00'}]}\n",
    ).settings
    shanghai, london = ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/London")
    org, night = working_hours(settings), working_hours(settings, team="night")
    assert org is not None and night is not None
    monday = datetime(2026, 12, 7, 10, tzinfo=shanghai)
    assert org.is_open(monday) and not night.is_open(monday)
    assert night.is_open(datetime(2026, 12, 5, 23, 30, tzinfo=london))
    assert org.zone == shanghai and night.zone == london
    assert not org.is_open(datetime(2026, 12, 8, 10, tzinfo=shanghai))  # the holiday


def test_a_review_step_nobody_holds_is_a_warning_once_people_exist(tmp_path: Path) -> None:
    assert _problems(tmp_path, "") == []  # no people: reviews are recorded unverified
    config = _load(tmp_path, PEOPLE + "playbooks: {review_steps: [compliance, legal]}\n")
    findings = list(people_findings(config.settings))
    assert [(config.describe(f), f.warning) for f in findings] == [
        (f"{tmp_path / 'c.yaml'}:13: playbooks.review_steps[1]: no person holds the role "
         "'legal' of the script review step 'legal', so no script can pass it (give it in "
         "people[].roles)", True)
    ]
    from monitor.configured import configured_roster

    assert configured_roster(config).configured  # the service still starts
    lone = _load(tmp_path, "people:\n  - {id: a, name: A}\n").settings
    assert [f.loc for f in people_findings(lone)] == [("people",)] * 4


def test_review_steps_are_distinct_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, "playbooks: {review_steps: [brand, final, brand]}\n")
    assert "playbooks.review_steps: each review step once, got brand twice" in (
        caught.value.problems[0]
    )


def test_the_roster_names_reviewers_holding_the_role(tmp_path: Path) -> None:
    roster = Roster.of(_load(tmp_path, PEOPLE).settings)
    reviewer = roster.reviewer("li.na", role="compliance")
    assert reviewer is not None and reviewer.name == "李娜"
    with pytest.raises(ValueError, match=r"tom does not hold the role 'final' \(people who do: "
                       r"li.na\)"):
        roster.reviewer("tom", role="final")
    with pytest.raises(ValueError, match=r"unknown person 'lina' \(did you mean 'li.na'\?\)"):
        roster.reviewer("lina", role="final")
    assert Roster.of(_load(tmp_path, "").settings).reviewer("anyone", role="final") is None


def test_a_misspelt_window_key_suggests_the_key_files_use(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, "business_hours: {hours: [{frm: '09:00'}]}\n")
    assert "business_hours.hours[0].frm" in caught.value.problems[0]
    assert "(did you mean 'from'?)" in caught.value.problems[0]
