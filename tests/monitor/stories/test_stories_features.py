"""Story features: cleaning, scripts, Traditional/Simplified, hashtags, entities, bad input."""

from __future__ import annotations

import pytest

from monitor.stories.features import MAX_CHARS, extract, split_compound


def test_retweet_markers_links_and_handles_carry_no_terms() -> None:
    original = extract("Lumina recalls Kids formula batch LK-2611 after rash reports")
    retweet = extract("RT @foodwatch: Lumina recalls Kids formula batch LK-2611 after rash reports "
                      "http://t.co/x1")
    assert retweet.terms == original.terms
    assert retweet.anchor == original.anchor is not None
    assert "lk2611" in original.terms  # a batch code survives as one term


def test_traditional_and_simplified_give_the_same_terms() -> None:
    simplified = extract("澜沐儿童奶粉批号LK-2611，孩子喝了起疹子")
    traditional = extract("瀾沐兒童奶粉批號LK-2611，孩子喝了起疹子")
    assert simplified.terms == traditional.terms
    assert simplified.anchor == traditional.anchor
    assert "奶粉" in simplified.terms and "lk2611" in simplified.terms


def test_weibo_repost_markers_and_emoticons_are_not_content() -> None:
    assert extract("转发微博").content == 0
    assert extract("[蜡烛][蜡烛]").content == 0
    assert extract("回复@王剑云68:转发微博").content == 0
    assert extract("真的吗？").content < 2  # one Chinese word is not enough to join by content


def test_names_codes_and_hashtags_weigh_more_than_words_and_numbers() -> None:
    terms = extract("Police say the gunman at Martin Place held 13 hostages #SydneySiege "
                    "(flight 4U9525)").terms
    assert terms["martin"] > terms["gunman"]
    assert terms["4u9525"] > terms["13"] == terms["gunman"]
    assert {"sydneysiege", "sydney", "siege"} <= terms.keys()  # camel-case hashtag split
    assert "the" not in terms and "at" not in terms


def test_plurals_fold_and_entities_become_pseudo_terms() -> None:
    feats = extract("Floods hit the city; more flood warnings", ("brand-1",))
    assert "flood" in feats.terms and "floods" not in feats.terms
    assert "entity:brand-1" in feats.terms
    assert feats.content == len(feats.terms) - 1


def test_compound_hashtags_split_on_the_stream_vocabulary() -> None:
    assert extract("#laxshooting suspect").tags == ("laxshooting",)
    known = {"lax", "shooting"}.__contains__
    assert split_compound("laxshooting", known) == ("lax", "shooting")
    assert split_compound("laxshooting", {"lax"}.__contains__) is None


@pytest.mark.parametrize(
    "text",
    ["", " ", "\x00\ud800", "<script>alert(1)</script>", "&lt;b&gt;", "🔥" * 50, "#", "@", "..",
     "RT", "a" * 100_000, "澜沐" * 50_000, "word " * 20_000, None],
)
def test_junk_empty_and_huge_texts_never_raise(text: str) -> None:
    feats = extract(text)
    assert len(feats.terms) <= MAX_CHARS
    assert all(isinstance(w, float) and w > 0 for w in feats.terms.values())
