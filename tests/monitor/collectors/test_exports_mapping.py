"""Column mappings, presets and the parsing of dates and counts found in exports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from monitor.collectors.base import CollectorError, RawItem, Rejected
from monitor.collectors.export_values import parse_count, parse_datetime
from monitor.collectors.exports import read_export
from monitor.collectors.presets import PRESETS, ColumnMapping, mapping_from_dict, overlay

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def read(path: Path, **options: Any) -> tuple[list[RawItem], list[Rejected]]:
    items: list[RawItem] = []
    rejected: list[Rejected] = []
    for record in read_export(path, now=NOW, **options):
        (items if isinstance(record, RawItem) else rejected).append(record)  # type: ignore[arg-type]
    return items, rejected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.2万", 12_000),
        ("3k", 3_000),
        ("3K", 3_000),
        ("1,234", 1_234),
        ("10万+", 100_000),
        ("2.5M", 2_500_000),
        ("1亿", 100_000_000),
        ("1.5w", 15_000),
        (" 42 ", 42),
        ("1，234", 1_234),
        (12.0, 12),
        (7, 7),
        ("0", 0),
        ("abc", None),
        ("-5", None),
        (-5, None),
        (True, None),
        ("", None),
        (None, None),
        ("nan", None),
        ("inf", None),
        ("１２", 12),
        ([1], None),
    ],
)
def test_parse_count(raw: Any, expected: int | None) -> None:
    assert parse_count(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-01T12:00:00Z", datetime(2024, 3, 1, 12, tzinfo=UTC)),
        ("2024-03-01T12:00:00+08:00", datetime(2024, 3, 1, 4, tzinfo=UTC)),
        ("2024-03-01 12:00", datetime(2024, 3, 1, 12, tzinfo=UTC)),
        ("2024-03-01 12:00:30", datetime(2024, 3, 1, 12, 0, 30, tzinfo=UTC)),
        ("2024/3/1 12:00", datetime(2024, 3, 1, 12, tzinfo=UTC)),
        ("2024/03/01", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2024.3.1 8:05:09", datetime(2024, 3, 1, 8, 5, 9, tzinfo=UTC)),
        ("2020年3月1日 12:00", datetime(2020, 3, 1, 12, tzinfo=UTC)),
        ("2020年3月1日", datetime(2020, 3, 1, tzinfo=UTC)),
        ("Tue, 24 Feb 2015 11:35:52 +0000", datetime(2015, 2, 24, 11, 35, 52, tzinfo=UTC)),
        ("Tue Feb 24 11:35:52 +0000 2015", datetime(2015, 2, 24, 11, 35, 52, tzinfo=UTC)),
        ("2015-02-24 11:35:52 -0800", datetime(2015, 2, 24, 19, 35, 52, tzinfo=UTC)),
        ("1425000000", datetime(2015, 2, 27, 1, 20, tzinfo=UTC)),
        ("1425000000000", datetime(2015, 2, 27, 1, 20, tzinfo=UTC)),
        (1425000000, datetime(2015, 2, 27, 1, 20, tzinfo=UTC)),
        (45000.5, datetime(2023, 3, 15, 12, tzinfo=UTC)),  # an Excel serial number
        (datetime(2024, 1, 1, 8), datetime(2024, 1, 1, 8, tzinfo=UTC)),
        (date(2024, 1, 2), datetime(2024, 1, 2, tzinfo=UTC)),
        ("5分钟前", NOW - timedelta(minutes=5)),
        ("3 hours ago", NOW - timedelta(hours=3)),
        ("刚刚", NOW),
        ("昨天 12:00", datetime(2025, 12, 31, 12, tzinfo=UTC)),
        ("12月24日 07:07", datetime(2025, 12, 24, 7, 7, tzinfo=UTC)),  # year-less: last December
        ("next tuesday", None),
        ("2024-13-01 10:00", None),
        ("", None),
        (True, None),
        ("12", None),
        ([2024], None),
    ],
)
def test_parse_datetime(raw: Any, expected: datetime | None) -> None:
    assert parse_datetime(raw, now=NOW) == expected


def test_naive_times_follow_the_zone_and_date_format_comes_first() -> None:
    assert parse_datetime("2024-03-01 12:00", tz=SHANGHAI, now=NOW) == datetime(
        2024, 3, 1, 4, tzinfo=UTC
    )
    aware = datetime(2024, 3, 1, 12, tzinfo=timezone(timedelta(hours=-5)))
    assert parse_datetime(aware, tz=SHANGHAI, now=NOW) == datetime(2024, 3, 1, 17, tzinfo=UTC)
    assert parse_datetime("01/03/2024 12:00", date_format="%d/%m/%Y %H:%M", now=NOW) == datetime(
        2024, 3, 1, 12, tzinfo=UTC
    )
    assert parse_datetime("01/03/2024 12:00", now=NOW) is None  # ambiguous without a format


def test_presets_exist_and_name_a_text_column() -> None:
    expected = {
        "generic",
        "weibo",
        "youtube_comments",
        "twitter",
        "ced_jsonl",
        "douyin",
        "facebook",
    }
    assert expected <= set(PRESETS)
    assert all(m.text for m in PRESETS.values())
    assert PRESETS["youtube_comments"].text[0] == "CONTENT"


def test_mapping_from_dict_validates_and_names_the_bad_key() -> None:
    mapping = mapping_from_dict(
        {
            "text": ["title", "body"],
            "text_join": True,
            "id": "key",
            "date": "when",
            "date_format": "%d.%m.%Y",
            "metrics": {"likes": "hearts"},
            "tz": "Europe/Sofia",
        }
    )
    assert mapping.text == ("title", "body") and mapping.external_id == ("key",)
    assert mapping.published == ("when",) and dict(mapping.metrics) == {"likes": ("hearts",)}
    with pytest.raises(CollectorError, match="mapping: unknown key 'txet'"):
        mapping_from_dict({"txet": "body"})
    with pytest.raises(CollectorError, match=r"mapping\.author: expected a column name"):
        mapping_from_dict({"author": 5})
    with pytest.raises(CollectorError, match=r"mapping\.metrics: expected a mapping"):
        mapping_from_dict({"metrics": ["likes"]})
    with pytest.raises(CollectorError, match=r"mapping\.metrics\.likes: expected a column"):
        mapping_from_dict({"metrics": {"likes": ""}})
    with pytest.raises(CollectorError, match=r"mapping\.text_join: expected true or false"):
        mapping_from_dict({"text_join": "yes"})
    with pytest.raises(CollectorError, match=r"mapping\.tz: unknown time zone"):
        mapping_from_dict({"tz": "Nowhere/Special"})


def test_config_mapping_overrides_only_the_fields_it_sets(tmp_path: Path) -> None:
    path = tmp_path / "comments.csv"
    path.write_text(
        "评论id,用户昵称,评论内容,标题,发布时间,点赞数,赞\n"
        "c1,网友甲,这个产品真的有问题,原帖,2024-03-01 20:00,5,99\n",
        encoding="utf-8",
    )
    items, _ = read(
        path,
        preset="weibo",
        mapping=mapping_from_dict(
            {"text": ["标题", "评论内容"], "text_join": True, "metrics": {"hearts": "赞"}}
        ),
    )
    item = items[0]
    assert item.text == "原帖\n这个产品真的有问题"
    assert item.external_id == "c1" and item.author == "网友甲"  # still the preset's columns
    assert item.published == datetime(2024, 3, 1, 12, tzinfo=UTC)  # preset zone kept
    assert item.metrics == {"likes": 5, "hearts": 99}
    merged = overlay(PRESETS["weibo"], ColumnMapping(tz="UTC"))
    assert merged.tz == "UTC" and merged.text == PRESETS["weibo"].text


def test_urls_from_templates_are_quoted_and_unsafe_urls_dropped(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "tweet_id,name,text,url\n1,a b/c,hello,\n2,x,bye,javascript:alert(1)\n",
        encoding="utf-8",
    )
    items, _ = read(path, preset="twitter")
    assert items[0].url == "https://twitter.com/a%20b%2Fc/status/1"
    assert items[1].url == "https://twitter.com/x/status/2"  # the bad url is replaced...
    assert "not an http(s) address" in items[1].extra["url_error"]  # ...and noted
    no_id = tmp_path / "n.csv"
    no_id.write_text("name,text\nann,hello\n", encoding="utf-8")
    assert read(no_id, preset="twitter")[0][0].url is None  # a made-up id has no page


def test_extra_columns_are_copied_and_capped(tmp_path: Path) -> None:
    path = tmp_path / "ced.jsonl"
    path.write_text(
        '{"mid": "m1", "uid": "u1", "date": "2012-09-13 08:38:09", "parent": "p0", '
        f'"source_id": "{"s" * 5000}", "text": "转发"}}\n',
        encoding="utf-8",
    )
    item = read(path, preset="ced_jsonl")[0][0]
    assert item.extra["parent"] == "p0" and len(item.extra["thread"]) == 1000
    assert item.url == "https://weibo.com/u1/m1"
    assert item.published == datetime(2012, 9, 13, 0, 38, 9, tzinfo=UTC)
