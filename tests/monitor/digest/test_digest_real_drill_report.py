"""A report stored by a real drill (not a generated one) reads into the digest's Drills section."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.message import as_utc
from config.loader import example_config_path, load_config
from monitor.app import App
from monitor.db.engine import make_engine, sqlite_url
from monitor.db.models import Incident
from monitor.digest.figures import build_digest
from monitor.digest.labels import Labels
from monitor.digest.period import iso_week
from monitor.digest.tables import drills_table
from monitor.digest.testing import sample_inputs
from monitor.drills.replay import DrillSetup, run_drill
from monitor.drills.scenario import load_scenario, shipped_scenarios
from monitor.drills.testing import FakeWall
from monitor.incidents import lifecycle
from monitor.service.jobs import drill_rounds


def test_digest_reads_the_report_a_real_drill_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the example keeps its main database under the working dir
    config = load_config(example_config_path())
    scenario = load_scenario(shipped_scenarios()["service-outage-en"])

    def responder(app: App) -> None:
        """Acknowledges the (one) incident 40 minutes after it opens: after the high grade's
        15-minute target, which runs from the rise to high at +18:30."""
        now = app.incidents.clock()
        with app.sessions.begin() as session:
            first = session.scalars(select(Incident).order_by(Incident.id)).first()
            if (first is not None and first.state == "open"
                    and now - as_utc(first.opened_at) >= timedelta(minutes=40)):
                lifecycle.acknowledge_incident(session, ctx=app.incidents,
                                               incident_id=first.id, by="li.na", now=now)

    wall = FakeWall(datetime(2026, 11, 10, 2, 0, tzinfo=UTC))  # inside 2026-W46
    report = run_drill(config=config, scenario=scenario, rounds=drill_rounds,
                       setup=DrillSetup(speed=60, database=sqlite_url(tmp_path / "drill.sqlite"),
                                        channels=("risk-slack",)),
                       wall=wall, sleep=wall.sleep, on_step=responder)
    main = make_engine(sqlite_url(tmp_path / "crisiswatch-data" / "crisiswatch.sqlite"))
    try:
        with Session(main) as session:
            digest = build_digest(session=session, inputs=sample_inputs(),
                                  period=iso_week(week="2026-W46", tz="Asia/Shanghai"),
                                  now=datetime(2026, 11, 23, tzinfo=UTC))
    finally:
        main.dispose()
    drills = digest.drills
    assert (drills.count, drills.unreadable) == (1, 0)
    (row,) = drills.items
    assert (row.key, row.title, row.state) == (report.key, report.title, report.state)
    assert row.highest_grade == report.highest_grade
    assert row.escalation_level == report.escalation_level
    assert row.alerts_sent == sum(1 for a in report.alerts if a.status == "sent") > 0
    assert report.first_ack_s is not None and row.first_ack_s == pytest.approx(report.first_ack_s)
    assert len(report.incidents) == 1 and row.ack_within_sla is False  # acknowledged late
    assert row.expectations_met is report.ok
    assert drills.first_ack.median_s == pytest.approx(report.first_ack_s)
    table = drills_table(digest, Labels("en", "Asia/Shanghai"))
    assert table.rows[0][0] == "2026-11-10 10:00 UTC+8" and "Drills run: 1." in (table.note or "")
