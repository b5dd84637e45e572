"""The post-incident review: first mention, alerts, escalations, SLA verdicts, safe Markdown."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.alerting.outbox import payload_to_message
from monitor.db.models import Alert
from monitor.incidents import (
    acknowledge_incident,
    incident_report,
    record_response,
    resolve_incident,
    tick_escalations,
)
from monitor.incidents.testing import (
    add_scored_mention,
    assign_stored,
    make_context,
    open_test_incident,
    story_of,
)

T = datetime.fromisoformat("2026-11-18T10:00:00+00:00")
HOSTILE = "Acme | formula **poisoned** <script>alert(1)</script> [click](http://evil) #1"


def test_report_of_a_handled_incident(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=T, text=HOSTILE,
                                         url="https://forum.example/t/1", author="mum_of_two")
    with sessions.begin() as s:
        tick_escalations(s, ctx=ctx, now=T + timedelta(minutes=30))
        acknowledge_incident(s, ctx=ctx, incident_id=incident_id, by="Ana", note="on it",
                             now=T + timedelta(minutes=40))
        record_response(s, ctx=ctx, incident_id=incident_id, by="Wen",
                        note="holding statement on Weibo", now=T + timedelta(minutes=150))
        record_response(s, ctx=ctx, incident_id=incident_id, by="Wen",
                        note="update: batch withdrawn", now=T + timedelta(hours=5))
        resolve_incident(s, ctx=ctx, incident_id=incident_id, by="Ana",
                         note="statement | published", now=T + timedelta(hours=3))
        report = incident_report(s, incident_id=incident_id, ctx=ctx)
    assert report.startswith(f"# Incident #{incident_id}: Acme · product safety: Acme \\|")
    assert "| Time to acknowledge | 40m (by Ana, 2026-11-18 10:40 UTC) | 1h (medium playbook)" \
        " | met |" in report
    assert "| Time to resolve | 3h (by Ana) | no target | — |" in report
    # The medium playbook's first response is due within the crisis plan's 2 hours.
    assert "| First public response | 2h30m (by Wen, 2026-11-18 12:30 UTC) | 2h (medium " \
        "playbook) | missed by 30m |" in report
    first = report.split("## First mention\n")[1].split("\n\n")[0]
    assert "mum\\_of\\_two" in first and "https://forum\\.example/t/1" in first
    assert "\\*\\*poisoned\\*\\* \\<script\\>" in first and "\\[click\\]\\(http" in first
    alerts = report.split("## Alerts and escalations\n")[1].split("\n\n")[0].splitlines()[2:]
    assert [row.split(" | ")[1] for row in alerts] == (
        ["opened"] * 2 + ["escalated"] * 2 + ["acknowledged"] * 3 + ["responded"] * 6
        + ["resolved"] * 3
    )
    timeline = report.split("## Timeline\n")[1]
    assert "alert **escalated** level 2 to risk\\-slack, manager\\-email" in timeline
    assert "acknowledged: on it by Ana" in timeline
    assert "responded: holding statement on Weibo by Wen" in timeline
    assert "responded: update: batch withdrawn by Wen" in timeline
    assert "resolved by Ana at 2026-11-18 13:00 UTC: statement \\| published" in report


def test_ack_clock_restarts_at_a_grade_rise(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=T)
    rise = T + timedelta(minutes=50)
    with sessions.begin() as s:
        big = add_scored_mention(s, text="Acme formula story now on tier-1 news", at=rise,
                                 category="product_safety", severity=5, negative=0.9, tier=1,
                                 story=story_of(s, incident_id))
        assign_stored(s, ctx=ctx, mention_ids=[big], now=rise)
        acknowledge_incident(s, ctx=ctx, incident_id=incident_id, by="Bo",
                             now=rise + timedelta(minutes=22))
        report = incident_report(s, incident_id=incident_id, ctx=ctx)
    assert "| Time to acknowledge | 22m (by Bo, 2026-11-18 11:12 UTC) | 15m (high playbook) " \
        "| missed by 7m |" in report
    assert "| Grade | high |" in report and "| State | acknowledged |" in report


def test_report_of_an_unacknowledged_incident(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=T)
        report = incident_report(s, incident_id=incident_id, ctx=ctx)
        early = incident_report(s, incident_id=incident_id,
                                ctx=make_context(clock=lambda: T + timedelta(minutes=30)))
    assert "| Time to acknowledge | not acknowledged | 1h (medium playbook) | missed |" in report
    assert "| First public response | not recorded (`crisiswatch respond`) | 2h (medium " \
        "playbook) | missed |" in report
    assert "| Time to acknowledge | not acknowledged | 1h (medium playbook) | due by " \
        "2026-11-18 11:00 UTC |" in early
    assert "| First public response | not recorded (`crisiswatch respond`) | 2h (medium " \
        "playbook) | due by 2026-11-18 12:00 UTC |" in early
    assert "Not resolved yet (state: open)." in report


def test_report_and_alerts_show_times_in_the_organisation_zone_and_clean_text(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context(timezone="Asia/Shanghai")
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=T, author="mum\u202egnp.exe\u200b\x07",
                                         text="Acme formula \u2066poisoned\u2069 \x1b[31m kids")
        acknowledge_incident(s, ctx=ctx, incident_id=incident_id, by="Ana",
                             now=T + timedelta(minutes=40))
        report = incident_report(s, incident_id=incident_id, ctx=ctx)
        messages = [payload_to_message(a.payload) for a in s.scalars(select(Alert))]
    assert "| Time to acknowledge | 40m (by Ana, 2026-11-18 18:40 UTC+8) |" in report
    assert "| Opened | 2026-11-18 18:00 UTC+8 |" in report
    assert " UTC |" not in report and "10:00" not in report
    assert "mumgnp" in report and "poisoned" in report
    assert not any(ch in report for ch in "\u202e\u200b\x07\u2066\u2069\x1b")
    assert {m.timezone for m in messages} == {"Asia/Shanghai"}
    acked = next(m for m in messages if m.event == "acknowledged")
    assert "acknowledged 2026-11-18 18:40 UTC+8 by Ana" in acked.sla
