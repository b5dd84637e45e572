"""Risk lexicons: matching (Traditional/Simplified, word boundaries), scores, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.risk_lexicon import (
    CategorySpec,
    LexiconError,
    LexiconMatcher,
    check_spec,
    lexicon_scores,
    load_categories,
    noisy_or,
    parse_categories,
)

REQUIRED = {
    "product_safety",
    "legal_regulatory",
    "data_privacy",
    "executive_conduct",
    "service_outage",
    "customer_complaint",
    "misinformation_rumor",
    "offensive_content",
    "spam",
}


def matcher(
    zh: dict[str, float] | None = None, en: dict[str, float] | None = None
) -> LexiconMatcher:
    return LexiconMatcher([CategorySpec("c", 3, lexicon={"zh": zh or {}, "en": en or {}})])


def scores(m: LexiconMatcher, text: str) -> dict[str, tuple[float, tuple[str, ...]]]:
    return lexicon_scores(m.match(text))


def test_simplified_term_matches_traditional_text_and_shows_it_as_written() -> None:
    m = matcher(zh={"过敏": 0.6})
    assert scores(m, "用了之後皮膚過敏了") == {"c": (0.6, ("過敏",))}
    assert scores(m, "用了之后皮肤过敏了") == {"c": (0.6, ("过敏",))}


def test_traditional_term_matches_simplified_text() -> None:
    m = matcher(zh={"數據洩露": 0.8})
    assert scores(m, "公司数据泄露了")["c"][1] == ("数据泄露",)


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("the fire spread", True),
        ("FIRE!", True),
        ("firefighters arrived", False),
        ("a misfire", False),
        ("起火了fire了", True),  # a Chinese character is a word boundary for Latin terms
        ("fire2", False),
    ],
)
def test_english_terms_match_whole_words(text: str, hit: bool) -> None:
    assert bool(scores(matcher(en={"fire": 0.6}), text)) is hit


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("Product RECALLED today", "RECALLED"),
        ("two recalls", "recalls"),
        ("recall", "recall"),
    ],
)
def test_trailing_star_matches_word_endings(text: str, evidence: str) -> None:
    assert scores(matcher(en={"recall*": 0.7}), text)["c"][1] == (evidence,)


@pytest.mark.parametrize(
    ("terms", "text", "evidence"),
    [
        ({"foreign material": 0.6}, "Foreign materials found", ("Foreign materials",)),
        ({"rash": 0.5}, "rashes on both arms", ("rashes",)),
        ({"sue": 0.5}, "Acme sues its supplier", ("sues",)),
        ({"sb": 0.5}, "sbs", ()),  # under three letters: an abbreviation, not a noun
        ({"fire": 0.5}, "firest", ()),
    ],
)
def test_english_terms_match_their_s_and_es_forms(
    terms: dict[str, float], text: str, evidence: tuple[str, ...]
) -> None:
    assert scores(matcher(en=terms), text).get("c", (0.0, ()))[1] == evidence


def test_star_needs_a_word_start() -> None:
    assert scores(matcher(en={"recall*": 0.7}), "nonrecallable") == {}


@pytest.mark.parametrize("text", ["food poisoning", "Food-Poisoning", "food   poisoning"])
def test_space_in_a_term_matches_spaces_or_hyphens(text: str) -> None:
    assert scores(matcher(en={"food poisoning": 0.8}), text)["c"][0] == 0.8


def test_weights_combine_as_noisy_or_and_repeats_count_once() -> None:
    m = matcher(zh={"投诉": 0.5}, en={"refund": 0.5})
    score, evidence = scores(m, "投诉投诉 refund refund 投诉")["c"]
    assert score == pytest.approx(0.75)
    assert sorted(evidence) == ["refund", "投诉"]
    assert noisy_or([]) == 0.0
    assert noisy_or([1.0, 0.2]) == 1.0


def test_evidence_is_strongest_first() -> None:
    m = matcher(zh={"客服": 0.3, "投诉": 0.65})
    assert scores(m, "客服不理人，我要投诉")["c"][1] == ("投诉", "客服")


def test_term_in_two_categories_counts_for_both() -> None:
    m = LexiconMatcher(
        [
            CategorySpec("a", 3, lexicon={"zh": {"垃圾": 0.3}}),
            CategorySpec("b", 2, lexicon={"zh": {"垃圾": 0.4}}),
        ]
    )
    assert scores(m, "真垃圾") == {"a": (0.3, ("垃圾",)), "b": (0.4, ("垃圾",))}


def test_no_terms_no_matches() -> None:
    assert LexiconMatcher([]).match("anything") == {}
    assert matcher(zh={"x": 0.5}).match("") == {}


def test_regex_characters_in_terms_are_literal() -> None:
    m = matcher(zh={"a.b": 0.5, "(坑)": 0.6})
    assert scores(m, "axb") == {}
    assert scores(m, "真是(坑)")["c"][1] == ("(坑)",)


def test_default_lexicon_has_every_required_category_in_both_languages() -> None:
    specs = {s.name: s for s in load_categories()}
    assert set(specs) >= REQUIRED
    for spec in specs.values():
        assert 1 <= spec.severity <= 5
        assert len(spec.lexicon["zh"]) >= 15, spec.name
        assert len(spec.lexicon["en"]) >= 15, spec.name


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("吃了以後過敏住院了", "product_safety"),
        ("Our snack is being recalled over salmonella", "product_safety"),
        ("收到律师函，已被起诉", "legal_regulatory"),
        ("They filed a class action lawsuit", "legal_regulatory"),
        ("用户数据泄露，个人信息被倒卖", "data_privacy"),
        ("massive data breach exposed passwords", "data_privacy"),
        ("董事长涉嫌性骚扰被拘", "executive_conduct"),
        ("CEO arrested for bribery", "executive_conduct"),
        ("app又崩了，一直闪退", "service_outage"),
        ("the site is down again, can't log in", "service_outage"),
        ("客服态度差，我要投诉", "customer_complaint"),
        ("worst service ever, still waiting for my refund", "customer_complaint"),
        ("网传该公司破产，紧急扩散", "misinformation_rumor"),
        ("this rumor is fake news", "misinformation_rumor"),
        ("你个傻逼", "offensive_content"),
        ("you stupid asshole", "offensive_content"),
        ("日赚500，加微信", "spam"),
        ("check out my channel and subscribe", "spam"),
        ("工厂爆炸，多人伤亡", "crisis_relevance"),
        ("explosion at the plant, death toll rising", "crisis_relevance"),
    ],
)
def test_default_lexicon_reports_typical_texts(text: str, category: str) -> None:
    specs = load_categories()
    found = scores(LexiconMatcher(specs), text)
    threshold = next(s.threshold for s in specs if s.name == category)
    assert category in found and found[category][0] >= threshold, found
    assert found[category][1], "evidence must name the matched terms"


def test_default_lexicon_is_quiet_on_ordinary_text() -> None:
    m = LexiconMatcher(load_categories())
    for text in ("今天天气很好，和朋友去吃饭", "Lovely morning, coffee with friends", ""):
        assert all(score < 0.5 for score, _ in scores(m, text).values()), text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"severity": 3, "zh": {"词": 0}}, r"categories\.c\.zh\.词: weight must be in \(0, 1\]"),
        ({"severity": 3, "zh": {"词": 1.5}}, r"categories\.c\.zh\.词"),
        (
            {"severity": 3, "en": {"word": True}},
            r"categories\.c\.en\.word: weight must be a number",
        ),
        ({"severity": 3, "en": {"word!": 0.5}}, "start and end with a letter or digit"),
        ({"severity": 3, "en": {"wo*rd": 0.5}}, r"only allowed at the end"),
        ({"severity": 3, "en": {"": 0.5}}, "non-empty"),
        ({"severity": 6}, r"categories\.c\.severity: must be 1-5"),
        ({"severity": "high"}, r"categories\.c\.severity: must be an integer"),
        ({"severity": 3, "threshold": 0}, r"categories\.c\.threshold"),
        ({"severity": 3, "fr": {"x": 0.5}}, r"categories\.c\.fr: unknown key"),
        ({"zh": {"x": 0.5}}, r"categories\.c\.severity: missing"),
        ("oops", r"categories\.c: must be a mapping"),
    ],
)
def test_invalid_definitions_name_the_key_path(body: object, message: str) -> None:
    with pytest.raises(LexiconError, match=message):
        parse_categories({"c": body})


def test_invalid_category_name() -> None:
    with pytest.raises(LexiconError, match="lower_snake_case"):
        check_spec(CategorySpec("Bad Name", 3))


def test_numeric_terms_from_yaml_are_accepted() -> None:
    (spec,) = parse_categories({"c": {"severity": 2, "zh": {12315: 0.7}}})
    assert spec.lexicon["zh"] == {"12315": 0.7}


def test_load_categories_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "lex.yaml"
    path.write_text("categories:\n  c:\n    severity: 9\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"lex\.yaml: categories\.c\.severity"):
        load_categories(path)
    path.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="top-level 'categories'"):
        load_categories(path)


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("孩子喝了就过敏", True),
        ("孩子没有过敏", False),
        ("未检出异物，放心", False),
        ("从未出现过敏", False),
        ("Lumina Dairy was hacked", True),
        ("We have not been hacked", False),
        ("never got sick from it", False),
        ("I can't believe they recalled it", True),
    ],
)
def test_a_negated_term_does_not_count(text: str, hit: bool) -> None:
    m = LexiconMatcher(load_categories())
    found = m.match(text)
    assert bool(found.get("product_safety") or found.get("data_privacy")) == hit, found


def test_colloquial_and_traditional_forms_are_covered() -> None:
    m = LexiconMatcher(load_categories())
    for text, category in [
        ("奶粉里喝出了玻璃碴", "product_safety"),
        ("個資外洩，客戶資料被拿去賣", "data_privacy"),
        ("App當掉了，一直登不進去", "service_outage"),
        ("Someone is selling the customer database on a hacking forum", "data_privacy"),
        ("The app has been down all morning", "service_outage"),
        ("my son threw up all night after the formula", "product_safety"),
    ]:
        assert category in m.match(text), text


def test_cue_and_intent_settings_are_parsed() -> None:
    (spec,) = parse_categories(
        {
            "rumour": {
                "severity": 4,
                "cue_required": True,
                "cue_with": ["crisis"],
                "requires_intent": "complaint",
            }
        }
    )
    assert spec.cue_required and spec.requires_intent == "complaint"
    assert spec.cue_with == ("crisis",)
    with pytest.raises(LexiconError, match="cue_with"):
        parse_categories({"rumour": {"severity": 4, "cue_with": "crisis"}})
    shipped = {c.name: c for c in load_categories()}
    assert shipped["misinformation_rumor"].cue_with == ("crisis_relevance",)
    # The crisis model's fitted combination asks more of it without a crisis term.
    assert not shipped["crisis_relevance"].cue_required
    assert shipped["customer_complaint"].requires_intent == "complaint"
    assert shipped["product_safety"].negative_event and not shipped["spam"].negative_event


def test_terms_of_a_language_with_context_words_need_one_in_the_text() -> None:
    (spec,) = parse_categories(
        {
            "c": {
                "severity": 5,
                "context": {"zh": ["买", "产品"]},
                "zh": {"变质": 0.6},
                "en": {"spoiled": 0.6},
            }
        }
    )
    m = LexiconMatcher([spec])
    assert scores(m, "海鲜过夜后腐败变质") == {}  # a cooking tip: no product named
    assert scores(m, "昨天买的牛奶已经变质了") == {"c": (0.6, ("变质",))}  # context is no evidence
    assert scores(m, "the milk had spoiled")["c"][0] == 0.6  # English has no context list
    with pytest.raises(LexiconError, match=r"categories\.c\.context"):
        parse_categories({"c": {"severity": 3, "context": ["买"]}})
    with pytest.raises(LexiconError, match=r"categories\.c\.context\.fr"):
        parse_categories({"c": {"severity": 3, "context": {"fr": ["x"]}}})


def test_shipped_product_safety_needs_a_product_in_chinese() -> None:
    m = LexiconMatcher(load_categories())
    tip = "【生活窍门】西红柿、黄瓜放入冰箱，乃至变质腐败。"
    assert "product_safety" not in scores(m, tip)
    assert "product_safety" in scores(m, "外卖里的鸡肉变质了，吃完拉肚子")


@pytest.mark.parametrize(
    "text",
    [
        "在他们家吃饭后全家食物中毒了",  # a meal, no product named
        "澜沐酸奶里面有玻璃碴子",
        "宝宝喝澜沐以后一直腹泻呕吐，已经住院了",
        "涂了这个防晒霜全脸过敏红肿",
    ],
)
def test_shipped_chinese_context_keeps_first_hand_harm_from_eating_or_using(text: str) -> None:
    assert "product_safety" in scores(LexiconMatcher(load_categories()), text)


def test_a_watched_entity_of_a_listed_kind_supplies_the_context() -> None:
    spec = CategorySpec(
        "conduct", 4, lexicon={"zh": {}, "en": {"arrested": 0.6}},
        context={"en": ("ceo",)}, context_entities=("executive",),
    )
    m = LexiconMatcher([spec])
    assert m.match("Jane Roe arrested for fraud") == {}  # no role word, no watched executive
    assert m.match("Jane Roe arrested for fraud", "executive")["conduct"] == [("arrested", 0.6)]
    assert m.match("Acme's CEO arrested for fraud", "brand")["conduct"] == [("arrested", 0.6)]
    assert m.match("Jane Roe arrested for fraud", "brand") == {}
    with pytest.raises(LexiconError, match=r"c\.context_entities: must be a list of entity kinds"):
        parse_categories({"c": {"severity": 3, "context_entities": "executive"}})


def test_shipped_executive_conduct_needs_a_role_or_the_watched_executive() -> None:
    m = LexiconMatcher(load_categories())
    assert "executive_conduct" not in scores(m, "Saudi Arabia arrested at least 8 intellectuals")
    assert "executive_conduct" in scores(m, "Lumina Dairy's CEO arrested for bribery")
    assert "executive_conduct" in lexicon_scores(m.match("陈浩然因涉嫌行贿被警方带走", "executive"))
    assert "executive_conduct" in scores(m, "澜沐董事长陈浩然因涉嫌行贿被警方带走调查")
    # a Latin context word written against Chinese characters is still a word
    assert "executive_conduct" in scores(m, "澜沐CEO陈浩然因行贿被抓")
