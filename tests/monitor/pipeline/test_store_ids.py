"""store_batch: the ids a batch's mentions get, and rows another process stored meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from monitor.collectors.base import RawItem, content_hash
from monitor.db.engine import make_engine, session_factory
from monitor.db.migrate import upgrade
from monitor.db.models import Mention, MentionEntity, Source
from monitor.pipeline.store import BatchCounts, Candidate, store_batch
from monitor.search import index

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _cand(ext: str, text: str) -> Candidate:
    item = RawItem(external_id=ext, text=text, published=NOW)
    return Candidate(item=item, text=text, lang="en", entities=("acme", "safety"),
                     content_hash=content_hash(text))


def _store(sessions: sessionmaker[Session], cands: list[Candidate]) -> BatchCounts:
    with sessions.begin() as session:
        return store_batch(session, source_id="s", run_id=None, candidates=cands, scores=None,
                           rejected=[], now=NOW)


def test_ids_follow_the_largest_stored_one_and_a_row_stored_meanwhile_is_skipped(
    database: str,
) -> None:
    engine = make_engine(database)
    upgrade(engine)  # a no-op on PostgreSQL, migrated by the fixture
    sessions = session_factory(engine)
    try:
        with sessions.begin() as session:
            session.add(Source(id="s", kind="file", location="x", created_at=NOW))
        first = _store(sessions, [_cand("a", "Acme recall one"), _cand("b", "Acme recall two")])
        assert [m.id for m in first.mentions] == [1, 2]
        with sessions.begin() as session:  # the largest id deleted: it is given again
            session.execute(delete(MentionEntity).where(MentionEntity.mention_id == 2))
            session.execute(delete(Mention).where(Mention.id == 2))
        # "c" was stored by another process after this one's dedupe step looked
        _store(sessions, [_cand("c", "Acme recall three")])
        counts = _store(sessions, [_cand("d", "Acme four"), _cand("c", "Acme recall three"),
                                   _cand("e", "Acme recall one")])
        assert counts.new == 2 and counts.duplicate == 1
        new = {m.candidate.item.external_id: m for m in counts.mentions}
        assert set(new) == {"d", "e"} and new["e"].duplicate_of == 1
        with sessions() as session:
            stored = dict(session.execute(select(Mention.external_id, Mention.id)).all())
            links = set(session.execute(select(MentionEntity.mention_id, MentionEntity.entity_id)))
            indexed = index.indexed(session.connection())
        if database.startswith("sqlite"):  # SQLite's own choice: the largest id left, plus one
            assert stored["c"] == 2
        assert {stored["d"], stored["e"]} == {new["d"].id, new["e"].id}
        assert {m for m, _ in links} == indexed == set(stored.values())
        assert len(links) == 2 * len(stored)
    finally:
        engine.dispose()
