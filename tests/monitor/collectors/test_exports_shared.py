"""The presets against real export-shaped files in ../shared/data (skipped when absent)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.collectors.base import RawItem
from monitor.collectors.exports import read_export

pytestmark = pytest.mark.shared_data

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _kinds(path: Path, preset: str) -> tuple[list[RawItem], Counter[str]]:
    items: list[RawItem] = []
    errors: Counter[str] = Counter()
    for record in read_export(path, preset=preset, now=NOW):
        if isinstance(record, RawItem):
            items.append(record)
        else:
            errors[record.error] += 1
    return items, errors


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path.name} is not in this copy of the shared data")
    return path


def test_ced_reposts_and_comments_jsonl(shared_data: Path) -> None:
    path = _need(shared_data / "risk" / "weibo_rumor_CED" / "ced_reposts_comments_sample20.jsonl")
    items, errors = _kinds(path, "ced_jsonl")
    assert errors == Counter()
    assert len(items) == 67_367
    assert all(i.author and i.external_id and not i.date_missing for i in items)
    assert items[0].external_id == "yBDVSfr2s" and items[0].extra["parent"] == "yBCfp6y3J"
    assert items[0].published == datetime(2012, 9, 13, 0, 38, 9, tzinfo=UTC)
    assert [i.line for i in items[:3]] == [1, 2, 3]
    # 22 rows carry Weibo's year-less "02月24日 07:07": read in the year before NOW
    assert sum(1 for i in items if i.published and i.published.year == 2025) == 22


def test_youtube_spam_collection_csvs(shared_data: Path) -> None:
    folder = shared_data / "risk" / "youtube_spam_collection"
    files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    if not files:
        pytest.skip(f"{folder} is not in this copy of the shared data")
    counts = {}
    for path in files:
        items, errors = _kinds(path, "youtube_comments")
        assert errors == Counter(), path.name
        assert all(not i.date_missing and i.author for i in items), path.name
        assert all(not i.text.endswith("\ufeff") for i in items), path.name
        counts[path.name] = len(items)
    assert sum(counts.values()) == 1_956
    assert counts.get("01-9bZkp7q19f0.csv") == 350


def test_twitter_us_airline_tweets_csv(shared_data: Path) -> None:
    path = _need(shared_data / "sentiment" / "en" / "twitter_us_airline" / "Tweets.csv")
    items, errors = _kinds(path, "twitter")
    assert errors == Counter()
    assert len(items) == 14_640
    # the file repeats 155 tweets verbatim (same id, same text): ids stay the tweet ids
    assert len({i.external_id for i in items}) == 14_485
    assert all(not i.date_missing and "reposts" in i.metrics for i in items)
    first = items[0]
    assert (first.external_id, first.author) == ("570306133677760513", "cairdin")
    assert first.published == datetime(2015, 2, 24, 19, 35, 52, tzinfo=UTC)
