"""End to end: a playbook step naming a schedule pages whoever the example organisation's
rotation, with its stored overrides, has on call at that moment (the lookup the composition
root wires in)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from config.loader import example_config_path, load_config
from monitor.app import open_app
from monitor.db.models import Alert
from monitor.incidents.testing import open_test_incident
from monitor.oncall.store import add_override

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 12, 7, 10, tzinfo=SHANGHAI)
BOOK = """\
name: page-oncall
applies_to:
  grades: [low, medium, high, critical]
sla: {time_to_ack: 10m, time_to_first_response: 2h}
checklist: [Confirm.]
steps:
  - notify: [{oncall: risk-primary, via: [risk-slack]}]
  - wait_ack: 10m
"""


@pytest.fixture()
def config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "samples").symlink_to(example_config_path().parent / "samples")
    (tmp_path / "page-oncall.yaml").write_text(BOOK, encoding="utf-8")
    text = example_config_path().read_text(encoding="utf-8").replace(
        "playbooks:\n  hotline:", "playbooks:\n  paths: [page-oncall.yaml]\n  hotline:"
    )
    path = tmp_path / "crisiswatch.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _paged(config_path: Path, at: datetime, **override: object) -> list[str]:
    config = load_config(config_path)
    with open_app(config, clock=lambda: at) as app:
        if override:
            with app.sessions.begin() as s:
                add_override(s, roster=app.roster, schedule_id="risk-primary", start=at,
                             end=at + timedelta(hours=2), reason="cover", by="tom.clarke",
                             now=at, zone="Asia/Shanghai", **override)  # type: ignore[arg-type]
        with app.sessions.begin() as s:
            incident_id = open_test_incident(s, ctx=app.incidents, now=at)
            alerts = s.scalars(select(Alert).where(Alert.incident_id == incident_id)).all()
            return [r["slack"] for a in alerts for r in a.payload["recipients"]]


def test_a_schedule_step_pages_the_person_on_call_then_the_override(config_path: Path) -> None:
    # the example's weekday-hours layer has zhang.min on call on Monday 7 December
    assert _paged(config_path, MONDAY_10) == ["U024BE7LK"]  # zhang.min
    assert _paged(config_path, MONDAY_10 + timedelta(hours=1), person="li.na") == ["U024BE7LH"]
