"""Every headline figure of a generated week, cross-checked against direct SQL on the store.

The SQL here is written independently of monitor.digest: UTC bounds are spelled out by hand
(2026-W46 in Asia/Shanghai is 2026-11-08 16:00 to 2026-11-15 16:00 UTC).
"""

from __future__ import annotations

import json
import random
import statistics
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from alerts.sanitize import clean_text
from monitor.db.engine import make_engine
from monitor.db.migrate import upgrade
from monitor.db.models import DrillRun
from monitor.digest.figures import build_digest
from monitor.digest.labels import Labels
from monitor.digest.period import iso_week
from monitor.digest.render_markdown import render_markdown
from monitor.digest.summary import summary_lines
from monitor.digest.tables import drills_table
from monitor.digest.testing import sample_inputs
from monitor.digest.testing_drills import add_drill_runs, drill_report, run_row
from playbooks import ALL_GRADES as GRADES

CUR = ("2026-11-08 16:00:00", "2026-11-15 16:00:00")
PREV = ("2026-11-01 16:00:00", "2026-11-08 16:00:00")
NOW_SQL = "2026-11-23 09:00:00"
TARGET_S = "CASE peak_grade WHEN 'low' THEN 86400 WHEN 'medium' THEN 3600 " \
           "WHEN 'high' THEN 900 WHEN 'critical' THEN 300 END"
OWN = ("lumina", "lumina-kids", "chen-haoran")


def q(week: Any, sql: str, **params: Any) -> list[Any]:
    with week.engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def scalar(week: Any, sql: str, **params: Any) -> Any:
    return q(week, sql, **params)[0][0]


def mention_count(week: Any, bounds: tuple[str, str], extra: str = "1=1") -> int:
    return int(scalar(week, f"SELECT count(*) FROM mentions WHERE published_at >= :a "
                            f"AND published_at < :b AND {extra}", a=bounds[0], b=bounds[1]))


@pytest.mark.parametrize("bounds,attr", [(CUR, "current"), (PREV, "previous")])
def test_digest_mention_headlines_match_sql(week: Any, bounds: tuple[str, str], attr: str) -> None:
    h = week.digest.headline
    total = mention_count(week, bounds)
    negative = mention_count(week, bounds, "sentiment = 'negative'")
    scored = mention_count(week, bounds, "sentiment IN ('positive', 'neutral', 'negative')")
    assert total > 1000 and negative > 100
    assert getattr(h.mentions, attr) == total
    assert getattr(h.negative, attr) == negative
    assert getattr(h.scored, attr) == scored
    assert getattr(h.negative_share, attr) == pytest.approx(negative / scored)


def test_digest_changes_are_current_minus_previous(week: Any) -> None:
    h = week.digest.headline
    assert h.mentions.change == h.mentions.current - h.mentions.previous
    assert h.mentions.change_pct == pytest.approx(100 * h.mentions.change / h.mentions.previous)


def _incident_where(bounds: tuple[str, str], drill: int = 0) -> str:
    return (f"opened_at >= '{bounds[0]}' AND opened_at < '{bounds[1]}' AND drill = {drill}")


@pytest.mark.parametrize("bounds,attr", [(CUR, "current"), (PREV, "previous")])
def test_digest_incident_counts_match_sql(week: Any, bounds: tuple[str, str], attr: str) -> None:
    h = week.digest.headline
    where = _incident_where(bounds)
    count = scalar(week, f"SELECT count(*) FROM incidents WHERE {where}")
    assert getattr(h.incidents, attr) == count
    by_grade = dict(q(week, f"SELECT peak_grade, count(*) FROM incidents WHERE {where} "
                            "GROUP BY peak_grade"))
    for row in h.incidents_by_grade:
        assert getattr(row, attr) == by_grade.get(row.grade, 0), row.grade
    assert sum(getattr(r, attr) for r in h.incidents_by_grade) == getattr(h.incidents, attr)
    assert getattr(h.false_positives, attr) == scalar(
        week, f"SELECT count(*) FROM incidents WHERE {where} AND state = 'false_positive'"
    )


def _durations(week: Any, bounds: tuple[str, str], end_sql: str, cond: str) -> list[float]:
    rows = q(week, f"SELECT (julianday({end_sql}) - julianday(opened_at)) * 86400.0 "
                   f"FROM incidents WHERE {_incident_where(bounds)} AND {cond}")
    return sorted(max(float(r[0]), 0.0) for r in rows)


@pytest.mark.parametrize("bounds,suffix", [(CUR, ""), (PREV, "_previous")])
def test_digest_ack_and_resolve_times_match_sql(
    week: Any, bounds: tuple[str, str], suffix: str
) -> None:
    h = week.digest.headline
    acks = _durations(week, bounds, "coalesce(acknowledged_at, resolved_at)",
                      "coalesce(acknowledged_at, resolved_at) IS NOT NULL")
    resolves = _durations(week, bounds, "resolved_at",
                          "state = 'resolved' AND resolved_at IS NOT NULL")
    ack, resolve = getattr(h, "time_to_ack" + suffix), getattr(h, "time_to_resolve" + suffix)
    assert ack.count == len(acks) > 5
    assert ack.median_s == pytest.approx(statistics.median(acks), abs=0.01)
    assert ack.worst_s == pytest.approx(acks[-1], abs=0.01)
    assert resolve.count == len(resolves) > 3
    assert resolve.median_s == pytest.approx(statistics.median(resolves), abs=0.01)
    assert resolve.worst_s == pytest.approx(resolves[-1], abs=0.01)


@pytest.mark.parametrize("bounds,attr", [(CUR, "current"), (PREV, "previous")])
def test_digest_sla_breaches_match_sql(week: Any, bounds: tuple[str, str], attr: str) -> None:
    done = "coalesce(acknowledged_at, resolved_at)"
    breaches = scalar(
        week,
        f"SELECT count(*) FROM incidents WHERE {_incident_where(bounds)} AND ("
        f"({done} IS NOT NULL AND (julianday({done}) - julianday(opened_at)) * 86400 > "
        f"{TARGET_S}) OR ({done} IS NULL AND state NOT IN ('resolved', 'false_positive') AND "
        f"(julianday('{NOW_SQL}') - julianday(opened_at)) * 86400 > {TARGET_S}))",
    )
    assert breaches > 0
    assert getattr(week.digest.headline.sla_breaches, attr) == breaches
    if attr == "current":
        assert sum(r.ack_breaches for r in week.digest.sla) == breaches


RESPONSE_TARGET_S = "CASE peak_grade WHEN 'low' THEN 172800 WHEN 'medium' THEN 28800 " \
                    "WHEN 'high' THEN 7200 WHEN 'critical' THEN 3600 END"


def test_digest_first_responses_match_sql(week: Any) -> None:
    where = _incident_where(CUR)
    responded = _durations(week, CUR, "responded_at", "responded_at IS NOT NULL")
    late_or_missing = scalar(
        week,
        f"SELECT count(*) FROM incidents WHERE {where} AND ("
        f"(responded_at IS NOT NULL AND (julianday(responded_at) - julianday(opened_at)) * 86400"
        f" > {RESPONSE_TARGET_S}) OR (responded_at IS NULL AND state NOT IN ('resolved', "
        f"'false_positive') AND (julianday('{NOW_SQL}') - julianday(opened_at)) * 86400 > "
        f"{RESPONSE_TARGET_S}))",
    )
    rows = week.digest.sla
    assert sum(r.responded for r in rows) == len(responded) > 5
    assert sum(r.response_breaches for r in rows) == late_or_missing > 0
    h = week.digest.headline
    assert h.time_to_response.count == len(responded)
    assert h.time_to_response.median_s == pytest.approx(statistics.median(responded), abs=0.01)
    assert h.response_breaches.current == late_or_missing
    lines = summary_lines(week.digest, Labels("en"))
    assert f"Response breaches (late or missing first public response): {late_or_missing} (" \
        in "\n".join(lines)
    assert any(line.startswith("Time to first public response: median ") for line in lines)
    medians = {r.playbook: r.time_to_response.median_s for r in rows}
    high = _durations(week, CUR, "responded_at",
                      "responded_at IS NOT NULL AND peak_grade = 'high'")
    assert medians["high"] == pytest.approx(statistics.median(high), abs=0.01)


def test_digest_sla_rows_per_playbook_match_sql(week: Any) -> None:
    rows = {r.playbook: r for r in week.digest.sla}
    counts = dict(q(week, f"SELECT peak_grade, count(*) FROM incidents WHERE "
                          f"{_incident_where(CUR)} GROUP BY peak_grade"))
    # the shipped playbooks are named after their grade; every generated incident maps to one
    assert {k: r.incidents for k, r in rows.items()} == counts
    assert rows["high"].ack_target_s == 900 and rows["high"].response_target_s == 7200


def test_digest_daily_trend_matches_sql(week: Any) -> None:
    rows = q(week, "SELECT date(published_at, '+8 hours') AS d, sentiment, count(*) FROM mentions "
                   "WHERE published_at >= :a AND published_at < :b GROUP BY d, sentiment",
             a=CUR[0], b=CUR[1])
    expected: dict[str, dict[str, int]] = {}
    for day, sentiment, count in rows:
        key = sentiment if sentiment in ("positive", "neutral", "negative") else "unscored"
        expected.setdefault(day, {}).setdefault(key, 0)
        expected[day][key] += count
    assert [r.day.isoformat() for r in week.digest.daily] == sorted(expected)
    for row in week.digest.daily:
        want = expected[row.day.isoformat()]
        got = {"positive": row.positive, "neutral": row.neutral, "negative": row.negative,
               "unscored": row.unscored}
        assert got == {k: want.get(k, 0) for k in got}
    assert sum(r.total for r in week.digest.daily) == week.digest.headline.mentions.current


@pytest.mark.parametrize("bounds", [CUR, PREV])
def test_digest_entity_volume_matches_sql(week: Any, bounds: tuple[str, str]) -> None:
    rows = dict(q(week, "SELECT me.entity_id, count(*) FROM mention_entities me JOIN mentions m "
                        "ON m.id = me.mention_id WHERE m.published_at >= :a AND "
                        "m.published_at < :b GROUP BY me.entity_id", a=bounds[0], b=bounds[1]))
    field = "mentions" if bounds == CUR else "previous_mentions"
    got = {r.id: getattr(r, field) for r in week.digest.entities}
    assert got == {e.id: rows.get(e.id, 0) for e in week.inputs.entities}
    negatives = dict(q(week, "SELECT me.entity_id, count(*) FROM mention_entities me JOIN mentions "
                             "m ON m.id = me.mention_id WHERE m.published_at >= :a AND "
                             "m.published_at < :b AND m.sentiment = 'negative' GROUP BY 1",
                       a=CUR[0], b=CUR[1]))
    assert {r.id: r.negative for r in week.digest.entities} == {
        e.id: negatives.get(e.id, 0) for e in week.inputs.entities
    }


def test_digest_share_of_voice_matches_sql(week: Any) -> None:
    own_list = ", ".join(f"'{o}'" for o in OWN)

    def own(bounds: tuple[str, str], extra: str = "1=1") -> int:
        return int(scalar(
            week,
            f"SELECT count(DISTINCT m.id) FROM mentions m JOIN mention_entities me ON "
            f"me.mention_id = m.id WHERE me.entity_id IN ({own_list}) AND m.published_at >= :a "
            f"AND m.published_at < :b AND {extra}", a=bounds[0], b=bounds[1],
        ))

    voice = {r.id: r for r in week.digest.voice}
    assert list(voice)[0] == "own"
    assert voice["own"].mentions == own(CUR)
    assert voice["own"].previous_mentions == own(PREV)
    assert voice["own"].negative == own(CUR, "m.sentiment = 'negative'")
    competitors = dict(q(week, "SELECT me.entity_id, count(*) FROM mention_entities me JOIN "
                               "mentions m ON m.id = me.mention_id WHERE m.published_at >= :a AND "
                               "m.published_at < :b AND me.entity_id IN ('northfield', 'sunvale') "
                               "GROUP BY 1", a=CUR[0], b=CUR[1]))
    total = own(CUR) + sum(competitors.values())
    for cid, count in competitors.items():
        assert voice[cid].mentions == count
        assert voice[cid].share == pytest.approx(count / total)
    assert sum(r.share or 0 for r in voice.values()) == pytest.approx(1.0)
    assert "food-safety" not in voice  # topics are not competitors


def test_digest_matrix_matches_sql(week: Any) -> None:
    rows = q(week, f"SELECT likelihood, impact, count(*) FROM incidents WHERE "
                   f"{_incident_where(CUR)} GROUP BY 1, 2")
    grid = [[0] * 5 for _ in range(5)]
    for likelihood, impact, count in rows:
        grid[likelihood - 1][impact - 1] = count
    assert [list(r) for r in week.digest.matrix.counts] == grid
    assert week.digest.matrix.total == week.digest.headline.incidents.current


def test_digest_top_sources_and_authors_match_sql(week: Any) -> None:
    # reach sums the known follower counts; none known is unknown (None), ranked last
    sources = q(week, "SELECT source_id, count(*), sum(author_reach) AS r FROM "
                      "mentions WHERE published_at >= :a AND published_at < :b AND sentiment = "
                      "'negative' GROUP BY source_id ORDER BY coalesce(r, -1) DESC",
                a=CUR[0], b=CUR[1])
    assert [(s.name, s.negative_mentions, s.negative_reach) for s in week.digest.top_sources] == [
        tuple(row) for row in sources[:10]
    ]
    authors = q(week, "SELECT author, source_id, count(*), sum(author_reach) AS r "
                      "FROM mentions WHERE published_at >= :a AND published_at < :b AND "
                      "sentiment = 'negative' AND author IS NOT NULL GROUP BY author, source_id "
                      "ORDER BY coalesce(r, -1) DESC, count(*) DESC LIMIT 10", a=CUR[0], b=CUR[1])
    got = [(a.name, a.source_id, a.negative_mentions, a.negative_reach)
           for a in week.digest.top_authors]
    # names are shown cleaned (no bidi or invisible characters)
    assert got == [(clean_text(row[0]), *row[1:]) for row in authors]
    # news gives no follower counts: its reach is unknown, not 0; inbox files keep their
    # platform's source (inbox/weibo), not one "inbox"
    news = next(s for s in week.digest.top_sources if s.name == "news-en")
    assert news.negative_mentions > 0 and news.negative_reach is None
    names = {s.name for s in week.digest.top_sources}
    assert {"inbox/weibo", "inbox/twitter"} <= names and "inbox" not in names


def test_digest_top_incidents_are_ranked_by_grade_then_volume(week: Any) -> None:
    top = week.digest.top_incidents
    assert len(top) == 10
    assert top[0].id == 90_001  # the critical one with 10,000 mentions
    ranks = [(-GRADES.index(r.grade), -r.mention_count) for r in top]
    assert ranks == sorted(ranks)
    best = q(week, f"SELECT id FROM incidents WHERE {_incident_where(CUR)} ORDER BY CASE "
                   "peak_grade WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 "
                   "ELSE 3 END, mention_count DESC, opened_at, id LIMIT 10")
    assert [r.id for r in top] == [row[0] for row in best]
    first = top[0]
    assert first.entity_name == "Lumina Dairy" and first.category == "product_safety"
    assert first.state == "open" and first.time_to_ack_s is None and first.ack_breached


def test_digest_open_items_and_drills_match_sql(week: Any) -> None:
    o = week.digest.open_items
    for state, total, rows in (("open", o.unacknowledged_total, o.unacknowledged),
                               ("acknowledged", o.unresolved_total, o.unresolved)):
        want = scalar(week, f"SELECT count(*) FROM incidents WHERE state = '{state}' AND drill = 0 "
                            f"AND opened_at < '{CUR[1]}'")
        assert total == want > 0
        assert all(r.state == state for r in rows) and len(rows) == min(10, want)
    drills = week.digest.drills
    runs = q(week, f"SELECT key, scenario, title, state, report FROM drill_runs WHERE "
                   f"started_at >= '{CUR[0]}' AND started_at < '{CUR[1]}' AND state IN "
                   "('finished', 'aborted') ORDER BY started_at, id")
    assert drills.count == len(runs) == 3 and drills.unreadable == 0
    assert [r.key for r in drills.items] == [run.key for run in runs]
    for row, run in zip(drills.items, runs, strict=True):
        report = json.loads(run.report)
        incidents = report["incidents"]
        acks = [i["time_to_ack_s"] for i in incidents if i["time_to_ack_s"] is not None]
        ack_met = [i["ack_met"] for i in incidents if i["ack_met"] is not None]
        checks = [c["ok"] for c in report["checks"] if c["ok"] is not None]
        assert (row.scenario, row.title, row.state) == (run.scenario, run.title, run.state)
        assert row.started_at.isoformat() == report["started_at"]
        assert row.incidents == len(incidents)
        assert row.highest_grade == report["highest_grade"]
        assert row.escalation_level == report["escalation_level"]
        assert row.alerts_sent == sum(1 for a in report["alerts"] if a["status"] == "sent")
        assert row.first_ack_s == (pytest.approx(min(acks)) if acks else None)
        assert row.ack_within_sla == (all(ack_met) if ack_met else None)
        assert row.expectations_met == (all(checks) if checks else None)
    assert drills.ack_within_sla == sum(1 for r in drills.items if r.ack_within_sla)
    firsts = [r.first_ack_s for r in drills.items if r.first_ack_s is not None]
    assert drills.first_ack.count == len(firsts)
    assert drills.first_ack.median_s == pytest.approx(statistics.median(firsts))
    # the generated week holds each kind of drill the table must show
    assert {r.state for r in drills.items} == {"finished", "aborted"}
    assert {r.ack_within_sla for r in drills.items} == {True, False}
    assert {r.expectations_met for r in drills.items} == {True, False}
    assert any(r.first_ack_s is None for r in drills.items)
    assert any(r.alerts_sent < sum(1 for a in json.loads(run.report)["alerts"])
               for r, run in zip(drills.items, runs, strict=True))  # a failed delivery


def test_digest_leaves_out_drill_incidents_of_older_databases(week: Any) -> None:
    legacy = {r[0] for r in q(week, f"SELECT id FROM incidents WHERE {_incident_where(CUR, 1)}")}
    assert len(legacy) == 3  # critical, 50,000 mentions each: the top rows if they counted
    d = week.digest
    shown = {r.id for r in (*d.top_incidents, *d.open_items.unacknowledged,
                            *d.open_items.unresolved)}
    assert not legacy & shown
    assert d.headline.incidents.current == scalar(
        week, f"SELECT count(*) FROM incidents WHERE {_incident_where(CUR)}"
    )
    assert d.drills.count == 3  # drill runs, not drill incidents


def test_digest_drills_skip_running_and_unreadable_reports(
    new_engine: Callable[[], Engine],
) -> None:
    engine = new_engine()
    period = iso_week(week="2026-W46", tz="Asia/Shanghai")
    reports = add_drill_runs(engine, period=period, count=3)
    rng = random.Random(1)

    def row(
        key: str, at: datetime, state: str = "finished", report: Any = "valid"
    ) -> dict[str, Any]:
        made = drill_report(rng, index=0, started=at)
        values = run_row(made) | {"key": key, "state": state}
        if report != "valid":
            values["report"] = report
        return values

    valid = run_row(reports[0])["report"]
    bare = dict(valid, incidents=[], alerts=[], checks=[], grades={})
    bad_level = dict(valid, alerts=[dict(valid["alerts"][0], level="two")])
    bad_ok = dict(valid, checks=[dict(valid["checks"][0], ok=1)])
    start, end = period.start_at, period.end_at
    rows = [
        row("at-start", start),
        row("no-incidents", start + timedelta(days=1), report=bare),
        row("running", start + timedelta(days=2), state="running", report=None),
        row("before", start - timedelta(seconds=1)),
        row("at-end", end),
        row("null", start + timedelta(days=3), report=None),
        row("a-list", start + timedelta(days=3), report=["not", "a", "report"]),
        row("missing-fields", start + timedelta(days=3), report={"key": "x"}),
        row("bad-level", start + timedelta(days=3), report=bad_level),
        row("bad-ok", start + timedelta(days=3), report=bad_ok),
        row("incident-text", start + timedelta(days=3), report=dict(valid, incidents=["x"])),
        row("not-json", start + timedelta(days=3)),
    ]
    with engine.begin() as conn:
        conn.execute(insert(DrillRun), rows)
        conn.execute(text("UPDATE drill_runs SET report = '{not json' WHERE key = 'not-json'"))
    with Session(engine) as session:
        digest = build_digest(session=session, inputs=sample_inputs(), period=period,
                              now=datetime(2026, 11, 23, tzinfo=UTC))
    drills = digest.drills
    assert drills.count == 3 + 2 + 7 and drills.unreadable == 7
    keys = [r.key for r in drills.items]
    assert keys[0] == "at-start" and "no-incidents" in keys and len(keys) == 5
    assert not {"running", "before", "at-end"} & set(keys)
    bare_row = next(r for r in drills.items if r.key == "no-incidents")
    assert (bare_row.first_ack_s, bare_row.ack_within_sla, bare_row.expectations_met,
            bare_row.highest_grade, bare_row.escalation_level) == (None, None, None, "none", 0)
    en = drills_table(digest, Labels("en", "Asia/Shanghai"))
    assert "Drills run: 12." in (en.note or "")
    assert "Stored reports that could not be read (left out of the figures): 7." in (en.note or "")
    cells = dict(zip(en.headers, en.rows[keys.index("no-incidents")], strict=True))
    assert cells["Time to first acknowledgement"] == "—"
    assert cells["Every incident acknowledged within SLA"] == "—"
    assert cells["Scenario expectations met"] == "—"
    zh = drills_table(digest, Labels("zh", "Asia/Shanghai"))
    assert "演练12次" in (zh.note or "")
    assert "无法读取的演练报告（未计入以上数据）：7份" in (zh.note or "")
    assert "Drills run: 12." in render_markdown(digest, labels=Labels("en", "Asia/Shanghai"))
    # every report unreadable: the note stands in for the empty table
    only_bad = replace(digest, drills=replace(drills, count=7, items=(), ack_within_sla=0))
    table = drills_table(only_bad, Labels("en", "Asia/Shanghai"))
    assert table.rows == () and "could not be read" in (table.empty or "")


def test_digest_themes_use_a_bounded_deterministic_sample(week: Any) -> None:
    themes = week.digest.themes
    assert themes.negative_total == week.digest.headline.negative.current
    assert themes.sample_size == min(5000, themes.negative_total)
    zh = [t.term for t in themes.zh]
    en = [t.term for t in themes.en]
    assert {"退款", "客服"} & set(zh) and {"refund", "recall"} & set(" ".join(en).split())
    assert not {"澜沐", "澜沐乳业", "lumina", "dairy"} & {t.lower() for t in zh + en}
    with Session(week.engine) as session:
        again = build_digest(session=session, inputs=week.inputs, period=week.period,
                             now=week.now)
    assert again == week.digest


def test_digest_drills_on_postgresql(pg_url: str) -> None:
    """The report is fetched as text there too; a damaged one is counted, not fatal."""
    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        period = iso_week(week="2026-W46", tz="Asia/Shanghai")
        reports = add_drill_runs(engine, period=period, count=3)
        damaged = run_row(reports[0]) | {"key": "damaged", "report": ["not", "a", "report"]}
        with engine.begin() as conn:
            conn.execute(insert(DrillRun), [damaged])
        with Session(engine) as session:
            drills = build_digest(session=session, inputs=sample_inputs(), period=period,
                                  now=datetime(2026, 11, 23, tzinfo=UTC)).drills
    finally:
        engine.dispose()
    assert (drills.count, drills.unreadable) == (4, 1)
    assert [r.key for r in drills.items] == [r.key for r in reports]
    assert drills.first_ack.count == sum(1 for r in reports if r.first_ack_s is not None)


def test_top_stories_count_the_period_and_link_a_mention(week: Any, tmp_path: Any) -> None:
    from monitor.db.engine import session_factory
    from monitor.db.migrate import ensure_schema
    from monitor.digest.render_html import render_table as html_table
    from monitor.digest.render_markdown import render_table as md_table
    from monitor.digest.story_figures import story_rows
    from monitor.digest.tables import stories_table
    from monitor.incidents.testing import add_scored_mention, assign_stored, make_context

    engine = make_engine(f"sqlite:///{tmp_path / 'stories.sqlite'}")
    ensure_schema(engine)
    sessions = session_factory(engine)
    period = iso_week(week="2026-W46", tz="Asia/Shanghai")
    at = datetime(2026, 11, 10, 3, tzinfo=UTC)
    recall = "Acme Kids formula batch LK-2611 recalled after babies fell ill in Leeds"
    with sessions.begin() as s:
        ids = [add_scored_mention(s, text=f"{recall}, report {i}", at=at + timedelta(minutes=i),
                                  category="product_safety", severity=5, negative=0.9,
                                  url=f"https://news.example/{i}" if i == 2 else None,
                                  source_id=f"site{i % 2}")
               for i in range(4)]
        ids.append(add_scored_mention(s, text="Acme opened a bakery in Derby with free coffee",
                                      at=at, negative=0.05))
        ids.append(add_scored_mention(s, text=recall + ", last week", at=at - timedelta(days=9),
                                      category="product_safety", severity=5, negative=0.9))
        assign_stored(s, ctx=make_context(), mention_ids=ids, now=at + timedelta(hours=1))
    with sessions() as s:
        rows = story_rows(s, period, 10)
    assert [(r.mentions, r.sources) for r in rows] == [(4, 2), (1, 1)]
    top = rows[0]
    assert top.incident_id is not None and top.grade is not None
    assert top.url == "https://news.example/2"
    labels = Labels("en", "Asia/Shanghai")
    table = stories_table(replace(week.digest, top_stories=rows), labels)
    assert '<a href="https://news.example/2" rel="noopener noreferrer">' in html_table(table)
    markdown = "\n".join(md_table(table))
    assert "](<https://news.example/2>) |" in markdown and f"| \\#{top.id} | 4 | 2 |" in markdown
    engine.dispose()
