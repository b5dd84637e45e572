"""Entries sharing an id: within one read, content tells them apart (none is lost, each is
counted); in a later read, an id already stored is the same entry again (re-published)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from sqlalchemy import select

from monitor.app import App, open_app
from monitor.cli.ingest import format_stats
from monitor.db.models import Mention
from monitor.pipeline.collect import FileSpec, ingest_file

BASE = """\
version: 1
organisation: {name: Acme}
entities:
  - {id: acme, name: Acme, kind: brand, aliases: [Acme]}
sources:
  - {id: feed, kind: rss, url: feed.xml}
"""


def _feed(*entries: tuple[str, str]) -> str:
    items = "".join(f"<item><guid>{g}</guid><title>{t}</title></item>" for g, t in entries)
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    )


def _texts(app: App) -> dict[str, str]:
    with app.sessions() as s:
        return {m.external_id: m.text for m in s.scalars(select(Mention).order_by(Mention.id))}


def test_feed_entries_sharing_an_id_are_kept_when_their_content_differs(
    tmp_path: Path, make_config: Any, database: str
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(
        _feed(("a", "Acme recall"), ("a", "Acme strike"), ("a", "Acme recall"), ("b", "Acme ok")),
        "utf-8",
    )
    with open_app(make_config(BASE), database=database) as app:
        [source] = app.settings.sources
        first = app.poll_source(source)
        assert (first.seen, first.new, first.duplicate, first.shared_ids) == (4, 3, 1, 1)
        assert "1 kept apart from a different entry with the same id" in format_stats("feed", first)
        texts = _texts(app)
        assert sorted(texts.values()) == ["Acme ok", "Acme recall", "Acme strike"]
        ids = {k.rpartition("/")[2]: t for k, t in texts.items()}  # guids resolve to the feed
        assert ids["a"] == "Acme recall" and any(k.startswith("a#~") for k in ids)
        # the same feed again, and an entry re-published with its text edited: nothing new
        again = app.poll_source(source)
        assert (again.new, again.duplicate, again.shared_ids) == (0, 4, 0)
        feed.write_text(_feed(("b", "Acme ok, updated")), "utf-8")
        edited = app.poll_source(source)
        assert (edited.new, edited.duplicate) == (0, 1)
        assert len(_texts(app)) == 3


def test_file_rows_sharing_an_id_across_batches_are_kept(
    tmp_path: Path, make_config: Any, database: str
) -> None:
    data = tmp_path / "x.csv"
    data.write_text("id,text\n1,Acme one\n2,Acme two\n1,Acme other\n1,Acme one\n", "utf-8")
    with open_app(make_config(BASE), database=database) as app:
        small = dataclasses.replace(app.pipeline, batch_size=2)
        stats = ingest_file(small, source_id="f", spec=FileSpec(path=data))
        assert (stats.new, stats.duplicate, stats.shared_ids) == (3, 1, 1)
        forced = ingest_file(small, source_id="f", spec=FileSpec(path=data), force=True)
        assert (forced.new, forced.duplicate) == (0, 4)
        assert sorted(_texts(app).values()) == ["Acme one", "Acme other", "Acme two"]
