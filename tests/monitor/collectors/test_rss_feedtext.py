"""Plain-text, date, link and language helpers used by the RSS collector."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.collectors.feedtext import (
    cap_utf8,
    clean_lang,
    clean_text,
    field_text,
    html_to_text,
    one_line,
    safe_http_url,
    stable_id,
    struct_to_utc,
)


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>Hello&nbsp;<b>wor</b>ld</p>", "Hello world"),
        ("<p>one</p><p>two</p>", "one two"),
        ("a<br>b<br/>c", "a b c"),
        ("<script>var x = '<p>no</p>';</script>kept<style>p{}</style>", "kept"),
        ("<noscript><img src=x>tracking</noscript>shown", "shown"),
        ("Fish &amp; chips &lt;3 &#x4e2d;&#25991; &eacute;", "Fish & chips <3 中文 é"),
        ("  lots\n\n of \t space  ", "lots of space"),
        ("<ul><li>a</li><li>b</li></ul>", "a b"),
        ("unclosed <b>bold", "unclosed bold"),
        ("<!-- comment -->visible<![CDATA[x]]>", "visible"),
        ("", ""),
    ],
)
def test_html_to_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


def test_html_to_text_stops_early_on_huge_markup() -> None:
    markup = "<p>" + "word " * 200_000 + "</p>"

    text = html_to_text(markup, limit=1000)

    assert 1000 < len(text) < 200_000


def test_field_text_only_strips_markup_for_html_types() -> None:
    assert field_text("<b>x</b> &amp;", "text/html") == "x &"
    assert field_text("<b>x</b> &amp;", "application/xhtml+xml") == "x &"
    assert field_text("<b>x</b> &amp;", "text/plain") == "<b>x</b> &amp;"
    assert field_text("a\x00b\u200b", None) == "ab\u200b"


def test_clean_text_drops_controls_and_bom() -> None:
    assert clean_text("\ufeffa\x00b\x1b[31m c\u2028d\x85") == "ab[31m c d"


@pytest.mark.parametrize(
    ("text", "limit", "expected", "cut"),
    [
        ("short", 10, "short", False),
        ("é" * 10, 5, "éé", True),  # never splits a 2-byte character
        ("中文中文", 7, "中文", True),
        ("", 0, "", False),
    ],
)
def test_cap_utf8(text: str, limit: int, expected: str, cut: bool) -> None:
    assert cap_utf8(text, limit) == (expected, cut)


def test_one_line() -> None:
    assert one_line("a\nb\r\nc") == "a b c"
    assert one_line("x" * 50, 10) == "xxxxxxx..."
    assert one_line(ValueError("bad\nthing")) == "bad thing"


def test_struct_to_utc() -> None:
    parsed = time.strptime("2024-02-29 23:59:60", "%Y-%m-%d %H:%M:%S")

    assert struct_to_utc(parsed) == datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)
    assert struct_to_utc(None) is None
    assert struct_to_utc((2023, 2, 30, 0, 0, 0, 0, 0, 0)) is None
    assert struct_to_utc((10**9, 1, 1, 0, 0, 0, 0, 0, 0)) is None
    assert struct_to_utc((2023,)) is None


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://example.com/a?b=c", "https://example.com/a?b=c"),
        (" http://example.com/ ", "http://example.com/"),
        ("javascript:alert(1)", None),
        ("data:text/html,hi", None),
        ("/relative/path", None),
        ("http://exa mple.com/", None),
        ("http://[bad", None),
        ("https://example.com/" + "a" * 3000, None),
        ("", None),
        (None, None),
    ],
)
def test_safe_http_url(link: str | None, expected: str | None) -> None:
    assert safe_http_url(link) == expected


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("en", "en"), ("zh-CN", "zh-CN"), (" zh_cn ", "zh_cn"), ("x" * 20, None), ("<b>", None)],
)
def test_clean_lang(tag: str, expected: str | None) -> None:
    assert clean_lang(tag) == expected


def test_stable_id_keeps_short_ids_and_hashes_long_ones() -> None:
    assert stable_id("  tag:x,2024:1\x00 ") == "tag:x,2024:1"
    long_a, long_b = "a" * 600, "a" * 599 + "b"
    assert stable_id(long_a).startswith("sha256:") and len(stable_id(long_a)) == 39
    assert stable_id(long_a) == stable_id(long_a) != stable_id(long_b)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("<>/&;#ab pscriptyle!-[]\"'=\x00\n"), max_size=200))
def test_html_to_text_is_total_and_clean(markup: str) -> None:
    text = html_to_text(markup)

    assert "\x00" not in text and "\n" not in text and text == text.strip()
