"""CSV/TSV export reading: delimiters, encodings, broken rows, resume, stable ids."""

from __future__ import annotations

import codecs
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.collectors import export_text
from monitor.collectors.base import CollectorError, RawItem, Rejected
from monitor.collectors.exports import read_export
from monitor.collectors.formats_csv import sniff_delimiter

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "exports"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def read(path: Path, **options: Any) -> tuple[list[RawItem], list[Rejected]]:
    items: list[RawItem] = []
    rejected: list[Rejected] = []
    for record in read_export(path, now=NOW, **options):
        (items if isinstance(record, RawItem) else rejected).append(record)  # type: ignore[arg-type]
    return items, rejected


def test_semicolon_csv_with_quoted_newline_keeps_physical_line_numbers() -> None:
    items, rejected = read(FIXTURES / "semicolon.csv")
    assert rejected == []
    assert [i.external_id for i in items] == ["1", "2", "3"]
    assert [i.line for i in items] == [2, 3, 5]  # record 2 spans lines 3-4
    first, second, third = items
    assert first.text == "Acme battery caught fire" and first.author == "alice"
    assert first.metrics == {"likes": 12_000, "reposts": 3_000}
    assert first.author_reach == 1_234
    assert first.published == datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    assert second.text == "Line one\nline two; still the same field"
    assert second.metrics == {"likes": 12}  # "n/a" reposts: the metric is left out
    assert second.published == datetime(2024, 3, 2, 8, 30, 15, tzinfo=UTC)
    assert third.published == datetime(2024, 3, 3, 1, 0, tzinfo=UTC)  # +08:00 converted
    assert all(i.location == str(FIXTURES / "semicolon.csv") for i in items)


def test_tab_delimited_txt_is_sniffed_and_read_with_twitter_preset() -> None:
    items, rejected = read(FIXTURES / "tabs.txt", preset="twitter")
    assert rejected == []
    assert [(i.external_id, i.author) for i in items] == [("100", "dan"), ("101", "erin")]
    assert items[0].published == datetime(2015, 2, 24, 19, 35, 52, tzinfo=UTC)
    assert items[1].published == datetime(2015, 2, 24, 11, 35, 52, tzinfo=UTC)
    assert items[0].metrics == {"reposts": 2}
    assert items[0].url == "https://twitter.com/dan/status/100"


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("a,b,c\n1,2,3\n4,5,6\n", ","),
        ("a;b;c\n1;2,5;3\n4;5;6\n", ";"),
        ("a\tb\tc\n1\t2, 3\t3\n", "\t"),
        ("a|b|c\n1|x;y|3\n", "|"),
        ('id,text\n1,"semi; colons; inside"\n2,"more; of; them"\n', ","),
        ("just one column\nno delimiters here\n", ","),
    ],
)
def test_delimiter_sniffing(sample: str, expected: str) -> None:
    assert sniff_delimiter(sample) == expected


def test_tsv_extension_means_tab_and_explicit_delimiter_wins(tmp_path: Path) -> None:
    tsv = tmp_path / "x.tsv"
    tsv.write_text("id\ttext\n1\tcommas, everywhere, here\n", encoding="utf-8")
    items, _ = read(tsv)
    assert items[0].text == "commas, everywhere, here"
    piped = tmp_path / "x.csv"
    piped.write_text("id|text|note\n1|a, b|c\n", encoding="utf-8")
    items, _ = read(piped, delimiter="|")
    assert items[0].text == "a, b"
    with pytest.raises(CollectorError, match="delimiter"):
        read_export(piped, now=NOW, delimiter="ab")
    items, _ = read(tsv, delimiter="\\t")  # as written in a YAML file
    assert items[0].external_id == "1"


def test_utf8_bom_is_not_part_of_the_first_header() -> None:
    items, rejected = read(FIXTURES / "bom.csv")
    assert rejected == []
    assert [i.external_id for i in items] == ["a1", "a2"]
    assert items[0].text == "产品质量很差"
    assert items[1].published == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)  # epoch seconds


def test_gbk_weibo_export_with_chinese_headers_is_detected_and_mapped() -> None:
    items, rejected = read(FIXTURES / "weibo_gbk.csv", preset="weibo")
    assert rejected == []
    first, second = items
    assert first.external_id == "4890123456789012" and first.author == "小王"
    assert first.text == "某品牌奶粉出现质量问题，大家注意！"
    assert first.metrics == {"reposts": 12_000, "comments": 356, "likes": 2_301}
    assert first.author_reach == 120_000
    assert first.published == datetime(2024, 3, 1, 4, 0, tzinfo=UTC)  # Beijing time
    assert first.url == "https://weibo.com/123/NaBcDeF"
    assert second.url == "https://weibo.com/456/XyZ"  # scheme added to a bare address
    declared, _ = read(FIXTURES / "weibo_gbk.csv", preset="weibo", encoding="GBK")
    assert declared == items


def test_wrong_declared_encoding_quarantines_bad_rows_and_keeps_the_rest() -> None:
    path = FIXTURES / "mixed_gbk_rows.csv"
    items, rejected = read(path, encoding="utf-8")
    assert [i.external_id for i in items] == ["1", "3", "5"]
    assert [i.line for i in items] == [2, 4, 6]
    assert [r.line for r in rejected] == [3, 5]
    data = path.read_bytes()
    first_bad = next(i for i, b in enumerate(data) if b >= 0x80)
    assert rejected[0].error == (
        f"line 3: not valid utf-8 at byte {first_bad} (declared encoding wrong?)"
    )
    assert rejected[0].offset == data.index(b"2,wang")
    assert rejected[0].location == str(path)


def test_wrongly_declared_chinese_header_fails_naming_the_encoding() -> None:
    with pytest.raises(CollectorError, match=r"no text column.*declared encoding wrong\?"):
        read(FIXTURES / "weibo_gbk.csv", preset="weibo", encoding="utf-8")


def test_undeclared_mixed_file_falls_back_to_gb18030_line_by_line() -> None:
    items, rejected = read(FIXTURES / "mixed_gbk_rows.csv")
    assert rejected == []
    assert [i.text for i in items][1::2] == ["这是GBK编码的一行", "还有一行中文"]


def test_utf8_file_whose_first_64k_are_ascii_still_decodes_later_gbk_lines(
    tmp_path: Path,
) -> None:
    path = tmp_path / "late.csv"
    filler = "".join(f"{i},plain row {i}\n" for i in range(6000)).encode()
    path.write_bytes(b"id,text\n" + filler + "9999,迟到的中文\n".encode("gbk"))
    items, rejected = read(path)
    assert rejected == [] and items[-1].text == "迟到的中文"


def test_truncated_csv_quarantines_short_row_and_unclosed_quote() -> None:
    items, rejected = read(FIXTURES / "truncated.csv")
    assert [i.external_id for i in items] == ["1", "2", "4"]
    assert [(r.line, r.error) for r in rejected] == [
        (4, "line 4: row has 2 fields, the header has 4 (truncated row?)"),
        (6, "line 6: unterminated quoted field at end of file (truncated file?)"),
    ]
    assert rejected[1].excerpt.startswith("5,eve,this quote never closes")


def test_extra_fields_blank_lines_and_empty_rows(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        "\nid,text,date\n1,ok,2024-01-01,,\n2,split,text,2024-01-02\n,,\n\n3,fine,2024-01-03\n",
        encoding="utf-8",
    )
    items, rejected = read(path)
    assert [(i.external_id, i.line) for i in items] == [("1", 3), ("3", 7)]
    assert [r.line for r in rejected] == [4]
    assert "the header has 3 (unquoted delimiter" in rejected[0].error


def test_row_without_text_is_rejected_and_file_without_text_column_fails(
    tmp_path: Path,
) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,text,likes\n1,  ,3\n2,real,4\n", encoding="utf-8")
    items, rejected = read(path)
    assert [i.external_id for i in items] == ["2"]
    assert rejected[0].line == 2 and "field 'text' missing or empty" in rejected[0].error
    no_text = tmp_path / "y.csv"
    no_text.write_text("id,score\n1,3\n", encoding="utf-8")
    with pytest.raises(CollectorError, match=r"no text column.*header has id, score"):
        read(no_text)


def test_start_line_resumes_after_the_last_committed_line() -> None:
    path = FIXTURES / "semicolon.csv"
    items, _ = read(path, start_line=2)
    assert [i.line for i in items] == [3, 5]
    items, _ = read(path, start_line=3)  # inside record 2's span: record 2 is done
    assert [i.line for i in items] == [5]
    items, rejected = read(FIXTURES / "mixed_gbk_rows.csv", encoding="utf-8", start_line=3)
    assert [r.line for r in rejected] == [5]  # line 3's failure was reported before
    assert [i.line for i in items] == [4, 6]
    items, rejected = read(FIXTURES / "truncated.csv", start_line=6)
    assert items == [] and rejected == []


def test_ids_without_an_id_column_are_stable_hashes(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        "author,text,date\nann,same text,2024-01-01\nbob,same text,2024-01-01\n"
        "ann,same text,2024-01-02\nann,other,\n",
        encoding="utf-8",
    )
    first = [i.external_id for i in read(path)[0]]
    second = [i.external_id for i in read(path)[0]]
    assert first == second
    assert len(set(first)) == 4 and all(i.startswith("h:") for i in first)


def test_long_text_is_cut_at_100k_and_flagged(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(f'id,text\n1,"{"x" * 150_000}"\n2,short\n', encoding="utf-8")
    items, rejected = read(path)
    assert rejected == []
    assert len(items[0].text) == 100_000 and items[0].extra["text_truncated"] is True
    assert items[1].text == "short"


def test_unparseable_date_keeps_the_row_at_collection_time(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,text,date\n1,a,next tuesday\n2,b,\n3,c,2024-02-30 10:00\n")
    items, rejected = read(path)
    assert rejected == []
    assert all(i.published == NOW and i.date_missing for i in items)
    assert items[0].extra["date_error"] == "unparseable date 'next tuesday'"
    assert "date_error" not in items[1].extra  # no date at all is not an error
    assert "2024-02-30" in items[2].extra["date_error"]


def test_old_mac_cr_line_ends_and_utf16_unicode_text(tmp_path: Path) -> None:
    mac = tmp_path / "mac.csv"
    mac.write_bytes(b"id,text\r1,first\r2,second\r")
    assert [i.text for i in read(mac)[0]] == ["first", "second"]
    utf16 = tmp_path / "excel.txt"
    utf16.write_bytes(codecs.BOM_UTF16_LE + "id\ttext\r\n1\t负面评论\r\n".encode("utf-16-le"))
    items, rejected = read(utf16)
    assert rejected == [] and items[0].text == "负面评论" and items[0].line == 2


def test_case_and_spacing_of_headers_do_not_matter(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(" ID ,TEXT,Created-At,LIKE_COUNT\n7,hi,2024-01-01 00:00,5\n")
    item = read(path)[0][0]
    assert (item.external_id, item.text, item.metrics) == ("7", "hi", {"likes": 5})
    assert item.published == datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fmt": "parquet"}, "unknown format 'parquet'"),
        ({"preset": "myspace"}, "unknown preset 'myspace'"),
        ({"encoding": "klingon-8"}, "unknown encoding"),
        ({"tz": "Mars/Olympus"}, "unknown time zone"),
        ({"start_line": -1}, "start_line"),
    ],
)
def test_bad_options_fail_at_the_call_with_one_line(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(CollectorError, match=message) as info:
        read_export(FIXTURES / "semicolon.csv", now=NOW, **kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)


def test_missing_file_and_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(CollectorError, match="no such file"):
        read_export(tmp_path / "gone.csv", now=NOW)
    odd = tmp_path / "data.dat"
    odd.write_text("id,text\n1,a\n")
    with pytest.raises(CollectorError, match="cannot tell the format"):
        read_export(odd, now=NOW)
    assert read(odd, fmt="csv")[0][0].text == "a"


def test_reading_is_lazy_and_naive_now_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,text\n" + "".join(f"{i},row {i}\n" for i in range(1000)))
    stream = read_export(path, now=NOW)
    first = next(stream)
    assert first.line == 2
    with pytest.raises(ValueError, match="timezone-aware"):
        read_export(path, now=datetime(2026, 1, 1))


def _rows_with_unclosed_quote(path: Path, *, closed_at: int | None) -> Path:
    """1,000 rows; row 200 opens a quote it never closes; row ``closed_at`` holds a quote."""
    lines = ["id,author,text,date"]
    for n in range(1, 1001):
        text = f"comment number {n}"
        if n == 200:
            text = '"this quote is never closed'
        elif n == closed_at:
            text = 'she said "hi" there'
        lines.append(f"{n},user{n},{text},2024-01-01")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("closed_at", "why"),
    [
        (250, "runs over 51 lines, 49 of them shaped like rows"),
        (500, "is not closed within 200 lines"),
        (None, "is not closed within 200 lines"),
    ],
    ids=["closed-soon", "closed-later", "never-closed"],
)
def test_unclosed_quote_quarantines_its_row_and_reading_resumes_at_the_next_line(
    tmp_path: Path, closed_at: int | None, why: str
) -> None:
    path = _rows_with_unclosed_quote(tmp_path / "quote.csv", closed_at=closed_at)
    items, rejected = read(path)
    assert [(r.line, r.error) for r in rejected] == [
        (
            201,
            f"line 201: quoted field opened on this line {why} (unclosed quote?); "
            "read again from line 202",
        )
    ]  # row 200, after the header line
    assert rejected[0].excerpt == '200,user200,"this quote is never closed,2024-01-01\n'
    assert [i.external_id for i in items] == [str(n) for n in range(1, 1001) if n != 200]
    assert [i.line for i in items[198:200]] == [200, 202]
    assert all(len(i.text) < 40 for i in items)
    resumed, again = read(path, start_line=300)
    assert again == [] and [i.line for i in resumed] == list(range(301, 1002))


def test_quoted_field_over_too_many_lines_is_a_runaway_even_without_row_shapes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "two.csv"
    body = "".join(f"{n},plain text {n}\n" for n in range(3, 400))
    path.write_text(f'id,text\n1,"opens\n{body}', encoding="utf-8")
    items, rejected = read(path)
    assert [(r.line, r.error) for r in rejected] == [
        (
            2,
            "line 2: quoted field opened on this line is not closed within 200 lines "
            "(unclosed quote?); read again from line 3",
        )
    ]
    assert [i.external_id for i in items] == [str(n) for n in range(3, 400)]


def test_header_with_an_unclosed_quote_fails_the_file_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text('id,"text,date\n' + "".join(f"{n},t,2024\n" for n in range(300)))
    with pytest.raises(CollectorError, match=r"header\.csv: line 1: the header opens a quoted "):
        read(path)


def test_long_quoted_field_without_rows_in_it_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    paragraphs = "\n".join(f"paragraph {n}, still the same comment" for n in range(150))
    path.write_text(
        f'id,author,text,date\n1,ann,"{paragraphs}",2024-01-01\n2,ben,next,2024-01-02\n'
    )
    items, rejected = read(path)
    assert rejected == [] and [i.line for i in items] == [2, 152]
    assert items[0].text == paragraphs


def _mixed(path: Path, *, main: str, odd: str, odd_rows: set[int]) -> list[str]:
    """1,000 rows of Chinese text in ``main``, the rows in ``odd_rows`` in ``odd``."""
    texts = [f"第{n}条评论：艾克美奶粉很好" for n in range(1, 1001)]
    with path.open("wb") as fh:
        fh.write("id,text\n".encode(main))
        for n, text in enumerate(texts, start=1):
            fh.write(f"{n},{text}\n".encode(odd if n in odd_rows else main))
    return texts


@pytest.mark.parametrize(
    ("main", "odd", "warning"),
    [
        ("utf-8", "gb18030", "decoded as GB18030, not UTF-8 like the rest of the file"),
        ("gb18030", "utf-8", "decoded as UTF-8, not GB18030 like the rest of the file"),
    ],
)
def test_line_in_another_encoding_is_decoded_alone_and_flagged(
    tmp_path: Path, main: str, odd: str, warning: str
) -> None:
    path = tmp_path / "mixed.csv"
    texts = _mixed(path, main=main, odd=odd, odd_rows={10, 700})
    items, rejected = read(path)
    assert rejected == [] and [i.text for i in items] == texts  # nothing garbled
    assert [(i.line, i.warning) for i in items if i.warning] == [(11, warning), (701, warning)]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_overlong_line_is_quarantined_without_being_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    monkeypatch.setattr(export_text, "MAX_LINE_BYTES", 1024 * 1024)
    path = tmp_path / f"long{suffix}"
    rows = [
        f"{n},row {n}" if suffix == ".csv" else f'{{"id": {n}, "text": "row {n}"}}' for n in (1, 3)
    ]
    huge = "2," + "x" * (12 * 1024 * 1024) if suffix == ".csv" else '{"text": "' + "x" * 12_000_000
    head = "id,text\n" if suffix == ".csv" else ""
    path.write_text(head + rows[0] + "\n" + huge + "\n" + rows[1] + "\n", encoding="utf-8")
    tracemalloc.start()
    try:
        items, rejected = read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    first = 2 if suffix == ".csv" else 1
    assert [i.line for i in items] == [first, first + 2]
    assert [(r.line, r.error) for r in rejected] == [
        (first + 1, f"line {first + 1}: line of over 1 MB (not a text export?)")
    ]
    assert peak < 6 * 1024 * 1024  # the 12 MB line was never held whole
