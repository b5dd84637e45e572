"""Theme keywords are whole words: no placeholders, no cut stubs, no words glued across a boundary.

The junk the issue 18 digest showed (`url`, `user`, `batch lk-`, `曝已`) came from three
mechanisms; each is checked here with other words than the ones reported.
"""

from __future__ import annotations

import pytest

from monitor.digest.themes import extract_themes, word_prefix


def _terms(texts: list[tuple[str | None, str]]) -> tuple[list[str], list[str]]:
    zh, en = extract_themes(texts, stop=frozenset(), top=30)
    return [t.term for t in zh], [t.term for t in en]


def test_addresses_and_handles_leave_no_placeholder_words() -> None:
    texts = [
        ("en", f"Spoiled yoghurt again https://example.com/p/{n} thanks @shopper{n} @support")
        for n in range(6)
    ] + [("zh", f"酸奶变质 http://t.cn/{n} @用户{n} 投诉") for n in range(6)]
    zh, en = _terms(texts)
    assert "spoiled yoghurt" in en
    assert not {"url", "user", "support user", "url thanks"} & set(en), en
    assert not any(w in ("url", "user") for term in en for w in term.split()), en
    assert "变质" in zh and "投诉" in zh
    assert all(not term.isascii() for term in zh), zh


def test_a_word_cut_by_the_sample_prefix_is_dropped() -> None:
    assert word_prefix("Refund delayed for order QX-88120", 27) == "Refund delayed for order"
    assert word_prefix("Refund delayed for order QX-88120", 24) == "Refund delayed for order"
    assert word_prefix("Refund delayed", 40) == "Refund delayed"
    assert word_prefix("退款一直没到账，客服也不回复", 10) == "退款一直没到账"
    assert word_prefix("nospaceatallinthisverylongtoken", 10) == ""


def test_english_tokens_never_end_in_a_hyphen_and_keep_codes_whole() -> None:
    texts = [("en", f"Faulty charger model ZX-40{n % 2} overheats, cable QX-") for n in range(6)]
    _, en = _terms(texts)
    assert not any(w.endswith(("-", "'")) for term in en for w in term.split()), en
    assert "zx-400" in " ".join(en) or "zx-401" in " ".join(en), en
    assert "qx" not in " ".join(en).split(), en


def test_no_chinese_word_glued_onto_a_particle() -> None:
    # jieba's new-word guessing joins 爆 and 了 ("爆了") or 称 and 已 into "words"
    texts = [("zh", f"网友称已停售，仓库也爆了，门店{n}号称已下架") for n in range(5)]
    zh, _ = _terms(texts)
    assert zh, "no themes at all"
    assert "停售" in zh and "下架" in zh
    glued = [t for t in zh if any(p in t for p in "了已") and len(t) == 2]
    assert glued == [], zh


@pytest.mark.parametrize("limit", [1, 5, 17, 18, 19, 200])
def test_word_prefix_never_returns_half_a_word(limit: int) -> None:
    text = "batch LK-2041 made children sick"
    out = word_prefix(text, limit)
    assert len(out) <= limit
    assert text.startswith(out)
    words = out.split()
    assert all(w in text.split() for w in words), out
