"""Text preparation: cleaning, language detection, Traditional->Simplified, tokens."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jieba
import pytest
from hypothesis import given
from hypothesis import strategies as st

from classifiers.text import (
    MAX_CHARS,
    NAME_FREQ,
    add_jieba_words,
    clean,
    detect_lang,
    init_jieba,
    jieba_words,
    to_simplified,
    tokenize,
)


def test_clean_strips_html_and_entities() -> None:
    raw = "<div><script>alert(1)</script><p>Great &amp; <b>fast</b></p><!-- x --></div>"
    assert clean(raw) == "Great & fast"


def test_clean_strips_entity_encoded_tags() -> None:
    assert clean("&lt;b&gt;bold&lt;/b&gt; move") == "bold move"


def test_clean_replaces_urls_and_handles_keeps_email_and_emoji() -> None:
    out = clean("@united thanks! 😡 see https://t.co/abc and www.example.com mail a@b.com")
    assert out == "@USER thanks! 😡 see URL and URL mail a@b.com"


def test_clean_weibo_handles_with_chinese_names() -> None:
    assert clean("//@人民日报: 太好了 http://t.cn/A6x") == "// @USER : 太好了 URL"


def test_clean_removes_control_and_bidi_chars_and_collapses_space() -> None:
    raw = "a\x00b\u202ec\u200b d\t\n\r e\ufeff"
    assert clean(raw) == "abc d e"


def test_clean_keeps_zwj_emoji_sequence() -> None:
    family = "👨\u200d👩\u200d👧"
    assert clean(f"hi {family}") == f"hi {family}"


def test_clean_caps_length_and_survives_huge_input() -> None:
    assert len(clean("好" * 500_000)) == MAX_CHARS
    assert len(clean("<b>" * 100_000)) <= MAX_CHARS


@pytest.mark.parametrize("bad", ["", None, 42, b"bytes"])
def test_clean_never_raises(bad: object) -> None:
    assert isinstance(clean(bad), str)  # type: ignore[arg-type]


def test_clean_removes_lone_surrogates() -> None:
    assert clean("ok\ud800 fine") == "ok fine"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("今天天气很好", "zh"),
        ("這個產品太爛了，再也不買", "zh"),
        ("iPhone 15 电池爆炸了", "zh"),
        ("ok 好", "zh"),
        ("//@人民日报: 武汉加油 http://t.cn/x", "zh"),
        ("I love this airline", "en"),
        ("@united not good at all", "en"),
        ("lol", "en"),
        ("worst flight ever 😡", "en"),
        ("今日はいい天気ですね", "other"),
        ("東京の天気はどうですか", "other"),
        ("안녕하세요 반갑습니다", "other"),
        ("Привет, как дела?", "other"),
        ("مرحبا كيف حالك", "other"),
        ("Hola, ¿cómo estás? Muy bien", "other"),
        ("Das ist nicht gut und ich bin sauer", "other"),
        ("😀😀🎉", "other"),
        ("http://example.com https://t.co/x", "other"),
        ("", "other"),
        ("12345 !!!", "other"),
    ],
)
def test_detect_lang(text: str, lang: str) -> None:
    assert detect_lang(text) == lang


def test_detect_lang_never_raises_on_odd_input() -> None:
    assert detect_lang(None) == "other"  # type: ignore[arg-type]
    assert detect_lang("\x00\ud800") == "other"


def test_to_simplified() -> None:
    assert to_simplified("這個產品太爛了，發貨很慢") == "这个产品太烂了，发货很慢"
    assert to_simplified("already simple 简体") == "already simple 简体"
    assert to_simplified("") == ""


def test_nothing_heavy_happens_at_import() -> None:
    code = (
        "import sys, classifiers.text as t, classifiers.linear, classifiers.sentiment, "
        "classifiers.evaluation\n"
        "import classifiers.normalise as n\nassert not t._JIEBA_READY and n._tables is None\n"
        "assert 'jieba' not in sys.modules and 'zhconv' not in sys.modules\n"
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_init_jieba_is_idempotent_and_keeps_user_words() -> None:
    init_jieba(["小米SU7"])
    init_jieba(["小米SU7"])
    assert "小米su7" in tokenize("小米SU7真的很好", "zh")


def test_tokenize_zh_keeps_weibo_emoticons_and_simplifies() -> None:
    toks = tokenize("這個真的太好了[哈哈]👍🏻", "zh")
    assert "[哈哈]" in toks
    assert "👍" in toks  # skin tone modifier dropped
    assert "这个" in toks


def test_tokenize_en_negation_emoji_and_elongation() -> None:
    toks = tokenize("I don't like this flight. Sooooo bad :( 😡 #fail", "en")
    assert toks[:5] == ["i", "don't", "NEG_like", "NEG_this", "NEG_flight"]
    assert "soo" in toks and ":(" in toks and "😡" in toks and "fail" in toks
    assert "NEG_bad" not in toks  # the full stop ends the negation scope


def test_tokenize_other_language_has_no_negation_marks() -> None:
    assert all(not t.startswith("NEG_") for t in tokenize("no no bueno", "other"))


def test_tokenize_empty() -> None:
    assert tokenize("", "zh") == [] and tokenize("", "en") == []


def test_jieba_words_keeps_cjk_blocks_of_two_or_more_characters() -> None:
    words = jieba_words(["Acme", "艾克美", "简·多伊", "艾克美 手机", "acme集团", "门", "貝塔科技"])
    assert words == ["艾克美", "多伊", "手机", "acme集团", "贝塔科技"]


def test_watched_names_stay_whole(tmp_path: Path) -> None:
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(tmp_path)  # its cache file goes here, not to the shared /tmp
    text = "我昨天买了艾克美的新手机，贝塔科技公司也发布了新品"
    before = list(tokenizer.cut(text))
    assert "艾克美" not in before and "贝塔科技" not in before
    global_before = dict(jieba.dt.FREQ)  # other tests may already have added names there

    add_jieba_words(["Acme", "艾克美", "貝塔科技 OR betaco"], tokenizer=tokenizer)

    after = list(tokenizer.cut(text))
    assert "艾克美" in after and "贝塔科技" in after
    assert tokenizer.FREQ["贝塔科技"] == NAME_FREQ
    assert global_before == jieba.dt.FREQ  # the global tokenizer was left alone


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
def test_the_ascii_fast_path_decides_as_the_script_counting_path(text: str) -> None:
    from classifiers.text import _detect_ascii, _detect_scripts

    assert _detect_ascii(text.lower()) == _detect_scripts(text)
