"""Inbox and CLI files: a preset per file from its header, and a source per platform or name,
so exports sharing row ids are all kept while the same rows dropped again add nothing."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.app import open_app
from monitor.collectors.exports import header_names
from monitor.collectors.identity import file_source_id, tier_of
from monitor.collectors.presets import detect_preset
from monitor.db.models import Mention

BASE = """\
version: 1
organisation: {name: Acme}
entities:
  - {id: acme, name: Acme, kind: brand, aliases: [Acme, 艾克美]}
inbox: {path: inbox, settle: 0s, tier: 2}
"""
WEIBO = "mid,用户昵称,粉丝数,发布时间,微博正文,转发数\n" + "".join(
    f"{i},博主{i},100,2026-11-18 09:0{i},艾克美 微博 {i},3\n" for i in range(1, 6)
)
X = "tweet_id,name,text,tweet_created,retweet_count\n" + "".join(
    f"{i},user{i},Acme tweet {i},2026-11-18 01:0{i}:00 +0000,2\n" for i in range(1, 6)
)
CRM = "id,text,author,date\n" + "".join(
    f"{i},Acme ticket {i},customer{i},2026-11-18\n" for i in range(1, 6)
)
SAMPLES = Path(__file__).resolve().parents[3] / "config" / "samples" / "exports"


@pytest.mark.parametrize(
    ("body", "name", "preset"),
    [
        (WEIBO, "w.csv", "weibo"),
        (X, "x.csv", "twitter"),
        (CRM, "crm.csv", "generic"),
        ('[{"id_str": "1", "full_text": "hi", "user": {"screen_name": "a"}}]', "t.json", "twitter"),
        ('{"id": 1, "text": "hi", "author": "a", "date": "2026-11-18"}\n', "c.jsonl", "generic"),
    ],
)
def test_the_preset_is_the_one_reading_most_of_the_header(
    tmp_path: Path, body: str, name: str, preset: str
) -> None:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    assert detect_preset(header_names(path)) == preset


def test_the_bundled_samples_are_detected_as_their_platforms() -> None:
    assert detect_preset(header_names(SAMPLES / "weibo_comments.csv")) == "weibo"
    assert detect_preset(header_names(SAMPLES / "x_mentions.csv")) == "twitter"


def test_a_file_source_is_its_platform_or_its_name() -> None:
    assert file_source_id(parent="inbox", preset="weibo", path=Path("a.csv")) == "inbox/weibo"
    assert file_source_id(parent="inbox", preset="ced_jsonl", path=Path("a")) == "inbox/weibo"
    assert file_source_id(parent="file", preset="generic", path=Path("/x/CRM Export.csv")) == (
        "file/crm-export.csv"
    )
    long = file_source_id(parent="inbox", preset="generic", path=Path("x" * 200 + ".csv"))
    assert len(long) == 64
    tiers = {"inbox": 2, "news": 1}
    assert (tier_of(tiers, "inbox/weibo"), tier_of(tiers, "news"), tier_of(tiers, "x/y")) == (
        2,
        1,
        3,
    )


def _drop(inbox: Path, name: str, body: str) -> None:
    (inbox / name).write_text(body, encoding="utf-8")


def test_each_inbox_file_gets_its_preset_and_source_and_shared_ids_are_all_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_config: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, body in (("weibo.csv", WEIBO), ("x.csv", X), ("crm.csv", CRM)):
        _drop(inbox, name, body)
    with open_app(make_config(BASE), database=f"sqlite:///{tmp_path / 'db.sqlite'}") as app:
        done = {p.name: s for p, s in app.poll_inbox()}
        # ids 1-5 in all three files: each file's rows are its own
        assert {n: (s.source_id, s.new, s.duplicate) for n, s in done.items()} == {
            "weibo.csv": ("inbox/weibo", 5, 0),
            "x.csv": ("inbox/twitter", 5, 0),
            "crm.csv": ("inbox/crm.csv", 5, 0),
        }
        with app.sessions() as s:
            rows = s.scalars(select(Mention)).all()
        assert len(rows) == 15
        assert all(m.author and not m.date_missing for m in rows)
        assert {m.author for m in rows if m.source_id == "inbox/weibo"} == {
            f"博主{i}" for i in range(1, 6)
        }
        # the same rows again add nothing: a platform's ids are its ids whatever the file
        # (a copy, a later export with one more row); a generic file is known by its name
        shutil.copy(inbox / "processed" / "weibo.csv", inbox / "weibo (1).csv")
        _drop(inbox, "weibo-later.csv", WEIBO + "6,博主6,1,2026-11-18 10:00,艾克美 新,0\n")
        _drop(inbox, "crm.csv", CRM)
        _drop(inbox, "export (1).csv", CRM)  # the CRM file again, as a browser names a copy
        again = {p.name.split(".")[0]: s for p, s in app.poll_inbox()}  # moved: crm.<time>.csv
        assert again["weibo (1)"].skipped_unchanged
        assert (again["weibo-later"].new, again["weibo-later"].duplicate) == (1, 5)
        assert again["crm"].skipped_unchanged
        assert again["export (1)"].skipped_unchanged
        assert again["export (1)"].source_id == "inbox/crm.csv"
        with app.sessions() as s:
            assert len(s.scalars(select(Mention.id)).all()) == 16


def test_a_named_inbox_preset_applies_to_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_config: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _drop(inbox, "x.csv", X)
    config = make_config(BASE.replace("tier: 2}", "tier: 2, preset: generic}"))
    with open_app(config, database=f"sqlite:///{tmp_path / 'db.sqlite'}") as app:
        [(_, stats)] = app.poll_inbox()
        assert stats.source_id == "inbox/x.csv" and stats.new == 5
