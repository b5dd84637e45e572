"""Mention search through the full-text index, on SQLite and PostgreSQL: what matches, what
never raises, and the index following inserts (the pipeline's store step) and retention."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text, update
from sqlalchemy.orm import Session, sessionmaker

from monitor.collectors.base import RawItem
from monitor.db.engine import make_engine
from monitor.db.migrate import upgrade
from monitor.db.models import Mention
from monitor.pipeline.store import Candidate, ensure_source, store_batch
from monitor.search import mentions as search_module
from monitor.search.index import indexed
from monitor.search.mentions import MentionFilter, search_mentions
from monitor.search.terms import index_tokens, query_terms
from monitor.service.retention import purge_older_than

T0 = datetime(2026, 11, 1, tzinfo=UTC)
POSTS = {
    "a": ("Lumina Kids formula recall", "Parents report a RASH after the new batch", "ann"),
    "b": (None, "網傳瀾沐奶粉導致嬰兒過敏，要求召回！", "微博用户"),
    "c": (None, "澜沐奶粉很好喝，支持国货", "bob"),
    "d": ("Weekly news", "Formulas and formulation: nothing to see", "carol"),
    "e": (None, "50% off_today! \"quoted\" text * NEAR OR AND", "dave_99"),
    "f": ("奶", "粉", "奶茶达人"),
}


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (f"sqlite:///{tmp_path / 's.sqlite'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    eng = make_engine(url)
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()


def _store(sessions: sessionmaker[Session], posts: dict[str, tuple[str | None, str, str]],
           *, at: datetime = T0) -> None:
    with sessions.begin() as session:
        ensure_source(session, source_id="s", kind="export", location="x.csv", now=at)
        candidates = [
            Candidate(
                item=RawItem(external_id=key, title=title, text=body, author=author,
                             published=at + timedelta(minutes=n)),
                text=f"{title or ''} {body}", lang=None, entities=("acme",),
                content_hash=hashlib.sha256(f"{key}{body}".encode()).hexdigest(),
            )
            for n, (key, (title, body, author)) in enumerate(posts.items())
        ]
        store_batch(session, source_id="s", run_id=None, candidates=candidates, scores=None,
                    rejected=[], now=at)


def _found(sessions: sessionmaker[Session], query: str, **fields: object) -> list[str]:
    with sessions() as session:
        found = search_mentions(session, where=MentionFilter(text=query, **fields), limit=50)  # type: ignore[arg-type]
        assert found.total == len(found.mentions) and not found.capped
        return sorted(m.external_id for m in found.mentions)


@pytest.fixture()
def sessions(engine: Engine) -> sessionmaker[Session]:
    made = sessionmaker(engine)
    _store(made, POSTS)
    return made


def test_english_matches_whole_words_in_any_case(sessions: sessionmaker[Session]) -> None:
    assert _found(sessions, "formula") == ["a"]  # not "Formulas" nor "formulation"
    assert _found(sessions, "RASH") == ["a"]
    assert _found(sessions, "rash batch") == ["a"]  # every word, anywhere
    assert _found(sessions, "rash nothing") == []


def test_chinese_matches_substrings_of_any_length(sessions: sessionmaker[Session]) -> None:
    assert _found(sessions, "奶粉") == ["b", "c"]
    assert _found(sessions, "奶") == ["b", "c", "f"]
    assert _found(sessions, "过") == ["b"]
    assert _found(sessions, "粉导致婴") == ["b"]
    assert _found(sessions, "奶粉很好") == ["c"]
    assert _found(sessions, "奶粉好") == []  # the characters, but not in a row
    assert _found(sessions, "召回！要求") == ["b"]  # two runs, both found
    assert _found(sessions, "过敏要求") == []  # the comma stands between them


def test_traditional_and_simplified_match_each_other(sessions: sessionmaker[Session]) -> None:
    assert _found(sessions, "瀾沐奶粉") == ["b", "c"]
    assert _found(sessions, "导致婴儿") == ["b"]
    assert _found(sessions, "導致嬰兒") == ["b"]


def test_titles_and_authors_are_searched_and_fields_do_not_run_together(
    sessions: sessionmaker[Session],
) -> None:
    assert _found(sessions, "lumina") == ["a"]
    assert _found(sessions, "ann") == ["a"]
    assert _found(sessions, "微博") == ["b"]
    assert _found(sessions, "dave_99") == ["e"]
    assert _found(sessions, "奶茶达人") == ["f"]
    assert _found(sessions, "奶粉") == ["b", "c"]  # f's title 奶 and text 粉 are apart


@pytest.mark.parametrize("query", [
    "%", "_", "50%", "'", "\"", "\"quoted", "*", "NEAR", "near(a b)", "a OR b", "OR", "AND",
    "NOT", "-", "^", "{terms}:x", "terms:x", "奶粉\"", "'; DROP TABLE mentions; --", "\\",
    "(", ")", ":*", "<->", "!", "&|", "\x00", "　", "x" * 3000,
])
def test_any_query_text_is_taken_literally(sessions: sessionmaker[Session], query: str) -> None:
    with sessions() as session:
        search_mentions(session, where=MentionFilter(text=query), limit=10)


def test_syntax_words_are_plain_words(sessions: sessionmaker[Session]) -> None:
    assert _found(sessions, "NEAR") == ["e"]
    assert _found(sessions, "or") == ["e"]
    assert _found(sessions, "\"quoted\"") == ["e"]
    assert _found(sessions, "50%") == ["e"]  # the word 50
    assert _found(sessions, "%") == []  # no word at all: nothing
    assert _found(sessions, "off_today") == ["e"]


def test_text_combines_with_filters(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.execute(update(Mention).where(Mention.external_id == "c")
                        .values(sentiment="positive"))
    assert _found(sessions, "奶粉", sentiment="positive") == ["c"]
    assert _found(sessions, "奶粉", entity="acme", since=T0 + timedelta(minutes=2)) == ["c"]
    assert _found(sessions, "奶粉", until=T0 + timedelta(minutes=2)) == ["b"]
    assert _found(sessions, "奶粉", entity="other") == []


def test_totals_are_counted_up_to_the_cap(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "COUNT_CAP", 2)
    with sessions() as session:
        page = search_mentions(session, where=MentionFilter(text="奶"), limit=1)
        assert (len(page.mentions), page.total, page.capped) == (1, 2, True)
        page = search_mentions(session, where=MentionFilter(text="奶粉"), limit=1)
        assert (len(page.mentions), page.total, page.capped) == (1, 2, False)
        page = search_mentions(session, where=MentionFilter(text="奶粉"), limit=1, offset=1)
        assert [m.external_id for m in page.mentions] == ["b"] and page.total == 2


def test_retention_removes_index_entries_with_their_mentions(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    _store(sessions, {"new": (None, "奶粉 recall again", "zed")}, at=T0 + timedelta(days=30))
    with sessions() as session:
        ids = dict(session.execute(text("SELECT external_id, id FROM mentions")).all())
    purged = purge_older_than(sessions, cutoff=T0 + timedelta(days=10),
                              volume_cutoff=T0 + timedelta(days=10))
    assert purged.mentions == len(POSTS)
    with engine.connect() as conn:
        assert indexed(conn) == {ids["new"]}
    assert _found(sessions, "奶粉") == ["new"]
    assert _found(sessions, "recall") == ["new"]


def test_terms_are_pairs_then_the_last_character() -> None:
    assert index_tokens("Acme 奶粉好", None, "ÅB") == ["acme", "奶粉", "粉好", "好", "åb"]
    assert [t.tokens for t in query_terms("Acme 嬰兒奶粉 x")] == [
        ("acme",), ("婴儿", "儿奶", "奶粉"), ("x",)]
    assert query_terms("“”、") == []


def test_dates_are_exact_within_the_second(sessions: sessionmaker[Session]) -> None:
    _store(sessions, {"late": (None, "奶粉 timing", "x")}, at=T0 + timedelta(days=1,
                                                                        microseconds=500_000))
    day = T0 + timedelta(days=1)
    assert _found(sessions, "奶粉", since=day) == ["late"]
    assert _found(sessions, "奶粉", since=day + timedelta(microseconds=500_001)) == []
    assert _found(sessions, "奶粉", until=day + timedelta(microseconds=500_000)) == ["b", "c"]
    assert _found(sessions, "奶粉", since=day, until=day + timedelta(microseconds=500_001)) == [
        "late"]


def test_text_searches_page_newest_first(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        pages = [search_mentions(session, where=MentionFilter(text="奶"), limit=2, offset=o)
                 for o in (0, 2)]
    assert [[m.external_id for m in p.mentions] for p in pages] == [["f", "c"], ["b"]]
    assert [p.total for p in pages] == [3, 3]


def test_filter_counts_are_capped_too(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "COUNT_CAP", 3)
    with sessions() as session:
        page = search_mentions(session, where=MentionFilter(entity="acme"), limit=1)
        assert (page.total, page.capped) == (3, True)
        page = search_mentions(session, where=MentionFilter(entity="acme"), limit=1, offset=5)
        assert (page.mentions[0].external_id, page.total, page.capped) == ("a", 3, True)
        # text with another filter: matches among the newest COUNT_CAP of the text's
        monkeypatch.setattr(search_module, "COUNT_CAP", 2)
        page = search_mentions(session, where=MentionFilter(text="奶", entity="acme"), limit=1)
        assert (page.total, page.capped) == (2, True)


def test_the_test_helper_indexes_what_it_inserts(engine: Engine) -> None:
    from monitor.incidents.testing import add_scored_mention

    with sessionmaker(engine).begin() as session:
        add_scored_mention(session, text="網傳奶粉召回", at=T0)
    with sessionmaker(engine)() as session:
        found = search_mentions(session, where=MentionFilter(text="奶粉召回"), limit=5)
        assert [m.text for m in found.mentions] == ["網傳奶粉召回"]
