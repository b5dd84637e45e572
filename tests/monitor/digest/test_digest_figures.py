"""Every headline figure of a generated week, cross-checked against direct SQL on the store.

The SQL here is written independently of monitor.digest: UTC bounds are spelled out by hand
(2026-W46 in Asia/Shanghai is 2026-11-08 16:00 to 2026-11-15 16:00 UTC).
"""

from __future__ import annotations

import statistics
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from monitor.digest.figures import build_digest
from monitor.digest.model import GRADES

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
    sources = q(week, "SELECT source_id, count(*), sum(coalesce(author_reach, 0)) AS r FROM "
                      "mentions WHERE published_at >= :a AND published_at < :b AND sentiment = "
                      "'negative' GROUP BY source_id ORDER BY r DESC", a=CUR[0], b=CUR[1])
    assert [(s.name, s.negative_mentions, s.negative_reach) for s in week.digest.top_sources] == [
        tuple(row) for row in sources[:10]
    ]
    authors = q(week, "SELECT author, source_id, count(*), sum(coalesce(author_reach, 0)) AS r "
                      "FROM mentions WHERE published_at >= :a AND published_at < :b AND "
                      "sentiment = 'negative' AND author IS NOT NULL GROUP BY author, source_id "
                      "ORDER BY r DESC, count(*) DESC LIMIT 10", a=CUR[0], b=CUR[1])
    got = [(a.name, a.source_id, a.negative_mentions, a.negative_reach)
           for a in week.digest.top_authors]
    assert got == [tuple(row) for row in authors]


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
    assert drills.count == scalar(week, f"SELECT count(*) FROM incidents WHERE "
                                        f"{_incident_where(CUR, drill=1)}") == 3
    assert drills.acknowledged == scalar(
        week, f"SELECT count(*) FROM incidents WHERE {_incident_where(CUR, drill=1)} AND "
              "coalesce(acknowledged_at, resolved_at) IS NOT NULL")
    assert {r.id for r in drills.items}.isdisjoint({r.id for r in week.digest.top_incidents})


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
