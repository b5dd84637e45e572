"""0019: acknowledgements recorded before people existed keep their name, unverified."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from monitor.db.engine import make_engine
from monitor.db.migrate import upgrade

INCIDENT = (
    "INSERT INTO incidents (id, reasons, title, top_sources, top_authors, entity_id, state,"
    " grade, peak_grade, likelihood, impact, first_seen_at, last_seen_at, opened_at, updated_at,"
    " mention_count, negative_count, neutral_count, positive_count, reach_total, drill,"
    " alert_seq, acknowledged_at, acknowledged_by) VALUES (:i, '[]', 't', '[]', '[]', 'acme',"
    " :state, 'high', 'high', 3, 3, '2024-01-01', '2024-01-01', '2024-01-01', '2024-01-01',"
    " 1, 1, 0, 0, 0, false, 0, :at, :by)"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.sqlite'}"
    return str(request.getfixturevalue("pg_url"))


def test_acknowledgements_before_people_stay_unverified(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine, "0016")
        with engine.begin() as conn:
            conn.execute(
                text(INCIDENT),
                {
                    "i": 1,
                    "state": "acknowledged",
                    "at": "2024-01-01 00:05:00",
                    "by": "Ana (on call)",
                },
            )
            conn.execute(text(INCIDENT), {"i": 2, "state": "open", "at": None, "by": None})
        upgrade(engine)
        with engine.begin() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, state, acknowledged_by, acknowledged_person FROM incidents "
                    "ORDER BY id"
                )
            ).all()
            conn.execute(text("UPDATE incidents SET acknowledged_person = 'li.na' WHERE id = 2"))
            bound = conn.execute(
                text("SELECT acknowledged_person FROM incidents WHERE id = 2")
            ).scalar_one()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        (1, "acknowledged", "Ana (on call)", None),
        (2, "open", None, None),
    ]
    assert bound == "li.na"
