"""Real export files from ../shared/data ingest with their presets; re-ingesting adds nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli.main import cli

CONFIG = """\
version: 1
organisation: {name: Real data}
entities:
  - id: airlines
    name: US airlines
    kind: topic
    query: united OR virginamerica OR southwestair OR jetblue OR usairways OR americanair
  - {id: youtube, name: YouTube videos, kind: topic,
     query: 'song OR video OR check OR subscribe OR love OR psy OR katy OR eminem OR shakira
       OR like OR http OR channel'}
  - {id: weibo, name: Weibo talk, kind: topic, query: '的 OR 了 OR 是 OR 转发 OR 谣言 OR 不'}
"""

CASES = [
    ("sentiment/en/twitter_us_airline/Tweets.csv", "twitter", 14_000),
    ("risk/weibo_rumor_CED/ced_reposts_comments_sample20.jsonl", "ced_jsonl", 30_000),
    ("risk/youtube_spam_collection/01-9bZkp7q19f0.csv", "youtube_comments", 150),
    ("risk/youtube_spam_collection/07-KQ6zr6kCPj8.csv", "youtube_comments", 150),
]


@pytest.mark.shared_data
@pytest.mark.parametrize(("relpath", "preset", "at_least"), CASES)
def test_real_export_ingests_once(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, relpath: str, preset: str,
    at_least: int,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRISISWATCH_DATABASE_URL", raising=False)
    config = tmp_path / "cw.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    runner = CliRunner()

    def ingest(*extra: str) -> dict:  # type: ignore[type-arg]
        result = runner.invoke(cli, ["--config", str(config), "ingest", str(shared_data / relpath),
                                     "--preset", preset, "--json", *extra])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    first = ingest()
    assert first["new"] >= at_least, first
    assert first["rejected"] <= first["seen"] * 0.01, first
    parts = ("new", "duplicate", "unmatched", "rejected")
    assert first["seen"] == sum(first[p] for p in parts)
    assert ingest()["new"] == 0
    forced = ingest("--force")
    assert forced["new"] == 0 and forced["duplicate"] == first["new"] + first["duplicate"]
