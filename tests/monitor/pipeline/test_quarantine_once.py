"""Quarantined rows are kept once per source, however often the same bad row is read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from monitor.app import App, open_app
from monitor.db.models import QuarantinedRow
from monitor.pipeline.collect import FileSpec, ingest_file

BASE = """\
version: 1
organisation: {name: Acme}
entities:
  - {id: acme, name: Acme, kind: brand, aliases: [Acme]}
sources:
  - {id: feed, kind: rss, url: feed.xml}
"""


def _feed(*entries: str) -> str:
    items = "".join(entries)
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    )


GOOD = "<item><guid>g{n}</guid><title>Acme news {n}</title></item>"
EMPTY = "<item><guid>empty-{n}</guid></item>"  # no title, no text: quarantined


def _quarantined(app: App) -> int:
    with app.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(QuarantinedRow)) or 0)


def test_a_feed_polled_again_quarantines_its_bad_entries_once(
    tmp_path: Path, make_config: Any, database: str
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(_feed(GOOD.format(n=1), EMPTY.format(n=1), EMPTY.format(n=2)), "utf-8")
    with open_app(make_config(BASE), database=database) as app:
        [source] = app.settings.sources
        first = app.poll_source(source)
        assert (first.new, first.rejected) == (1, 2)
        app.poll_source(source)
        assert _quarantined(app) == 2
        # new entries on top move the bad ones down the feed: still the same entries
        feed.write_text(
            _feed(
                GOOD.format(n=3),
                GOOD.format(n=2),
                GOOD.format(n=1),
                EMPTY.format(n=1),
                EMPTY.format(n=2),
                EMPTY.format(n=4),
            ),
            "utf-8",
        )
        app.poll_source(source)
        assert _quarantined(app) == 3


def test_a_file_read_again_quarantines_its_bad_rows_once(
    tmp_path: Path, make_config: Any, database: str
) -> None:
    data = tmp_path / "x.csv"
    data.write_text("id,text\n1,Acme\n2,\n3,\n", encoding="utf-8")
    with open_app(make_config(BASE), database=database) as app:
        for force in (False, True, True):
            stats = ingest_file(app.pipeline, source_id="f", spec=FileSpec(path=data), force=force)
            assert stats.rejected == 2
        assert _quarantined(app) == 2
