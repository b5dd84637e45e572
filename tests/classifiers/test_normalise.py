"""Text normalisation used for matching."""

from __future__ import annotations

import pytest

from classifiers.normalise import fold, is_unspaced, normalise, simplify, variant_map
from monitor.watchlist.literal import Literal, key_options, prefilter_keys


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ACME Straße", "acme strasse"),
        ("艾克美集團 過敏 門", "艾克美集团 过敏 门"),
        ("ＡＣＭＥ　１２３！", "acme 123!"),
        ("艾\u200b克\u200c美\u200d\ufeff\u2060 ac\u00adme", "艾克美 acme"),
        ("矽谷", "硅谷"),  # zh-cn regional form, as zhconv.convert(text, "zh-cn")
        ("😀 emoji stays", "😀 emoji stays"),
        ("", ""),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_simplify_only_maps_traditional_characters() -> None:
    assert simplify("ACME集團 Ａ") == "ACME集团 Ａ"


def test_fold_translates_only_when_full_width_letters_or_invisibles_occur() -> None:
    assert fold("Acme 門，") == "acme 門，"  # Traditional is matched via character classes
    assert fold("ＡＣＭＥ 門") == "acme 门"
    assert fold("a\u200bb 門") == "ab 门"


def test_variant_classes_cover_traditional_and_full_width_punctuation() -> None:
    variants = variant_map()
    assert set(variants["门"]) == {"门", "門"}
    assert set(variants["发"]) >= {"发", "發", "髮"}
    assert set(variants["!"]) == {"!", "！"}
    assert "a" not in variants  # full-width letters are translated instead


def test_prefilter_keys_spell_out_variants_and_prefer_known_keys() -> None:
    assert prefilter_keys("acme") == ("acme",)
    assert set(prefilter_keys("门店")) == {"门店", "門店"}
    assert prefilter_keys("acme phone") == ("phone",)
    assert prefilter_keys("acme phone", frozenset({"acme"})) == ("acme",)
    assert prefilter_keys("发" * 6) == ()  # 3**6 spellings: no key, entity always runs
    assert key_options("发发发发发发x") == [("x",)]


def test_literal_rejects_unnormalised_text() -> None:
    with pytest.raises(ValueError, match="stripped"):
        Literal(" acme")


def test_unspaced_scripts() -> None:
    assert all(is_unspaced(c) for c in "艾あアㄅ사ไ𠀾")
    assert not any(is_unspaced(c) for c in "aé1_Ж ")
