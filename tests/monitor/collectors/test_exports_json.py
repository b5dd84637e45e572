"""JSON array and JSON Lines export reading: streaming, syntax errors, resume."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.collectors.base import CollectorError, RawItem, Rejected
from monitor.collectors.exports import read_export

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "exports"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def read(path: Path, **options: Any) -> tuple[list[RawItem], list[Rejected]]:
    items: list[RawItem] = []
    rejected: list[Rejected] = []
    for record in read_export(path, now=NOW, **options):
        (items if isinstance(record, RawItem) else rejected).append(record)  # type: ignore[arg-type]
    return items, rejected


def test_json_array_items_nested_fields_and_item_numbers() -> None:
    items, rejected = read(FIXTURES / "array.json")
    assert [(i.external_id, i.line) for i in items] == [("p1", 1), ("p2", 2), ("p5", 5)]
    p1, p2, p5 = items
    assert p1.author == "newsbot" and p1.author_reach == 5_000  # user.screen_name, nested
    assert p1.published == datetime(2015, 2, 24, 11, 35, 52, tzinfo=UTC)
    assert p1.metrics == {"reposts": 7} and p1.lang == "en"
    assert p2.text == "召回公告已发布" and p2.author == "微博用户"
    assert p5.text == "works with other text names"
    assert p5.published == datetime(2024, 3, 1, 12, 0, tzinfo=UTC)  # epoch milliseconds
    assert [(r.line, r.error) for r in rejected] == [
        (3, "item 3: field 'text' missing or empty"),
        (4, "item 4: expected a JSON object, got list"),
    ]


def test_json_syntax_error_names_its_line_and_keeps_the_other_items() -> None:
    items, rejected = read(FIXTURES / "broken.json")
    assert [i.text for i in items] == ["first", "second", "never reached"]
    (bad,) = rejected
    assert bad.line == 3  # the item number, as for every item of an array
    assert bad.error == (
        "item 3: JSON syntax error at line 4 column 29: Expecting ',' delimiter "
        "(skipped to the next item)"
    )
    assert '"oops"' in bad.excerpt


def test_list_under_a_common_key_of_a_top_level_object() -> None:
    items, rejected = read(FIXTURES / "wrapped.json", preset="twitter")
    assert rejected == []
    assert [(i.external_id, i.text) for i in items] == [("9", "wrapped one"), ("10", "wrapped two")]


def test_object_without_a_list_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"meta": {"n": 1}, "text": "not a list"}', encoding="utf-8")
    with pytest.raises(CollectorError, match=r"no list under any of .*keys: meta, text"):
        read(path)


def test_minified_array_larger_than_the_read_window_streams_in_order(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    rows = [
        {"id": n, "text": f"第{n}条 mention “quoted” {'字' * (n % 50)}", "likes": n}
        for n in range(6000)
    ]
    path.write_text(json.dumps(rows, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    assert path.stat().st_size > 3 * 256 * 1024  # several windows, multi-byte text across cuts
    items, rejected = read(path)
    assert rejected == []
    assert [i.external_id for i in items] == [str(n) for n in range(6000)]
    assert items[4321].text == rows[4321]["text"] and items[4321].metrics == {"likes": 4321}
    resumed, _ = read(path, start_line=5990)
    assert [i.line for i in resumed] == list(range(5991, 6001))


def test_truncated_json_array_keeps_what_came_before(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    text = json.dumps([{"id": n, "text": f"row {n}"} for n in range(5)], indent=2)
    path.write_text(text[: text.index('"row 3"') + 4], encoding="utf-8")
    items, rejected = read(path)
    assert [i.text for i in items] == ["row 0", "row 1", "row 2"]
    assert [r.line for r in rejected] == [4]
    assert rejected[0].error == (
        "item 4: JSON syntax error at line 16 column 13: Unterminated string starting at "
        "(the rest was not read)"
    )


def test_empty_json_file_and_empty_array(tmp_path: Path) -> None:
    empty = tmp_path / "e.json"
    empty.write_text("  \n")
    assert read(empty) == ([], [])
    empty.write_text("[ ]")
    assert read(empty) == ([], [])


def test_jsonl_bad_lines_are_quarantined_and_reading_goes_on() -> None:
    items, rejected = read(FIXTURES / "lines.jsonl")
    assert [(i.external_id, i.line) for i in items] == [("1", 1), ("4", 5)]
    assert items[0].metrics == {"likes": 3_000}
    assert [r.line for r in rejected] == [3, 4]
    assert rejected[0].error.startswith("line 3: JSON syntax error: Expecting ',' delimiter")
    assert rejected[0].excerpt == '{"id": 2, "text": "missing brace"'
    assert rejected[1].error == "line 4: expected a JSON object, got list"


def test_jsonl_resume_and_deep_nesting(tmp_path: Path) -> None:
    items, rejected = read(FIXTURES / "lines.jsonl", start_line=3)
    assert [i.line for i in items] == [5] and [r.line for r in rejected] == [4]
    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"text": "ok"}\n' + "[" * 200_000 + "\n" + '{"text": "after"}\n')
    items, rejected = read(deep)
    assert [i.text for i in items] == ["ok", "after"]
    assert rejected[0].line == 2


def test_jsonl_saved_as_json_is_read_as_lines(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('{"id": 1, "text": "a"}\n{"id": 2, "text": "b"}\n', encoding="utf-8")
    items, rejected = read(path)
    assert rejected == [] and [(i.text, i.line) for i in items] == [("a", 1), ("b", 2)]


def test_jsonl_line_in_another_encoding_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(
        b'{"id": 1, "text": "fine"}\n'
        + '{"id": 2, "text": "国标码"}\n'.encode("gb18030")
        + b'{"id": 3, "text": "fine too"}\n'
    )
    items, rejected = read(path, encoding="utf-8")
    assert [i.external_id for i in items] == ["1", "3"]
    assert rejected[0].line == 2 and "not valid utf-8 at byte" in rejected[0].error
    auto, none_rejected = read(path)
    assert none_rejected == [] and auto[1].text == "国标码"


def test_json_array_with_badly_encoded_items_quarantines_only_those(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    filler = b"".join(b'{"id": "f%d", "text": "ascii filler"},\n' % n for n in range(2000))
    path.write_bytes(
        b'[\n{"id": 1, "text": "fine"},\n'
        + '{"id": 2, "text": "国标码"},\n'.encode("gb18030")
        + filler
        + '{"id": 3, "text": "又一条"},\n'.encode("gb18030")
        + b'{"id": 4, "text": "fine too"}\n]\n'
    )
    items, rejected = read(path, encoding="utf-8")
    assert len(items) == 2002 and items[-1].external_id == "4"
    assert [r.line for r in rejected] == [2, 2003]
    assert all("not valid utf-8 at byte" in r.error for r in rejected)
    detected, none = read(path)  # undeclared: the GB18030 lines are decoded as such
    assert none == [] and [detected[1].text, detected[-2].text] == ["国标码", "又一条"]


def test_ids_are_stable_across_reads_without_id_field(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(
        '{"user": "a", "text": "t", "date": "2024-01-01"}\n{"user": "b", "text": "t"}\n'
    )
    first = [i.external_id for i in read(path)[0]]
    assert first == [i.external_id for i in read(path)[0]]
    assert len(set(first)) == 2


def _array(path: Path, broken: dict[int, str], *, indent: int | None = None) -> Path:
    """A 1,000-item array, one item per line (or pretty-printed), items in ``broken`` replaced
    by the given text."""
    if indent is None:
        items = [broken.get(n, json.dumps({"id": n, "text": f"item {n}"})) for n in range(1, 1001)]
        path.write_text("[\n" + ",\n".join(items) + "\n]\n", encoding="utf-8")
        return path
    parts = []
    for n in range(1, 1001):
        item = {"id": n, "text": f"item {n}", "user": {"name": f"u{n}", "tags": [{"t": 1}]}}
        text = json.dumps(item, indent=indent)
        parts.append(broken.get(n, text).replace("\n", "\n" + " " * indent))
    path.write_text("[\n  " + ",\n  ".join(parts) + "\n]\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ('{"id": 300, "text": "a" "b": 1}', "Expecting ',' delimiter"),
        ('{"id": 300, "text": "never closed}', "Invalid control character at"),
        ('{"id": 300, "text": tru, "x": [1, 2}', "Expecting value"),
        ('{"id": 300, "text": "no closing brace"', "Expecting property name"),
    ],
    ids=["missing-comma", "unterminated-string", "bad-value", "missing-brace"],
)
def test_json_syntax_error_in_an_item_quarantines_it_and_reading_resumes(
    tmp_path: Path, broken: str, message: str
) -> None:
    path = _array(tmp_path / "x.json", {300: broken})
    items, rejected = read(path)
    assert [i.external_id for i in items] == [str(n) for n in range(1, 1001) if n != 300]
    assert [i.line for i in items][298:300] == [299, 301]  # item numbers, as for every item
    (bad,) = rejected
    assert bad.line == 300
    assert bad.error.startswith("item 300: JSON syntax error at line 30")  # 301, or 302
    assert message in bad.error and bad.error.endswith("(skipped to the next item)")
    assert bad.excerpt.startswith('{"id": 300')
    resumed, again = read(path, start_line=299)
    assert [i.line for i in resumed][:1] == [301] and [r.line for r in again] == [300]


def test_pretty_printed_item_missing_its_brace_resumes_at_the_next_item(tmp_path: Path) -> None:
    broken = '{\n  "id": 7,\n  "text": "item 7",\n  "user": {"name": "u7", "tags": [{"t": 1}]}'
    path = _array(tmp_path / "x.json", {7: broken}, indent=2)
    items, rejected = read(path)
    assert [i.external_id for i in items] == [str(n) for n in range(1, 1001) if n != 7]
    assert [r.line for r in rejected] == [7] and "line 78 column 3:" in rejected[0].error


def test_minified_array_with_a_bad_item_resumes_on_the_same_line(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    items = [
        json.dumps({"id": n, "text": f"t{n}", "tags": [{"a": n}, {"b": n}]}) for n in range(50)
    ]
    items[20] = '{"id": 20, "text": "t20", "tags": [{"a": 20}, {"b": 20}] "extra": true}'
    path.write_text("[" + ",".join(items) + "]", encoding="utf-8")
    read_items, rejected = read(path)
    assert [i.external_id for i in read_items] == [str(n) for n in range(50) if n != 20]
    assert [r.line for r in rejected] == [21]


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_json_item_in_another_encoding_is_decoded_alone_and_flagged(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"mixed{suffix}"
    texts = [f"第{n}条评论：艾克美奶粉很好" for n in range(1, 1001)]
    lines = [
        (
            json.dumps({"id": n, "text": t}, ensure_ascii=False)
            + ("," if suffix == ".json" else "")
        ).encode("gb18030" if n == 10 else "utf-8")
        for n, t in enumerate(texts, start=1)
    ]
    if suffix == ".json":
        lines = [b"["] + lines[:-1] + [lines[-1].rstrip(b",")] + [b"]"]
    path.write_bytes(b"\n".join(lines) + b"\n")
    items, rejected = read(path)
    assert rejected == [] and [i.text for i in items] == texts
    assert [(i.external_id, i.warning) for i in items if i.warning] == [
        ("10", "decoded as GB18030, not UTF-8 like the rest of the file")
    ]


@pytest.mark.parametrize("indent", [None, 1], ids=["one-line", "pretty"])
def test_large_gb18030_array_decodes_across_read_windows_without_warnings(
    tmp_path: Path, indent: int | None
) -> None:
    path = tmp_path / "gb.json"
    rows = [{"id": n, "text": f"第{n}条：艾克美{'奶' * (n % 7)}"} for n in range(20_000)]
    path.write_bytes(json.dumps(rows, ensure_ascii=False, indent=indent).encode("gb18030"))
    assert path.stat().st_size > 2 * 256 * 1024  # windows cut inside characters
    items, rejected = read(path)
    assert rejected == [] and [i.text for i in items] == [r["text"] for r in rows]
    assert not any(i.warning for i in items)
