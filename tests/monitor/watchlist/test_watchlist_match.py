"""Watchlist matching semantics, entity handling and robustness."""

from __future__ import annotations

import pytest

from monitor.watchlist import EntitySpec, MatchDoc, QuerySyntaxError, Watchlist, normalise


def matches(query: str, text: str, **meta: str) -> bool:
    watchlist = Watchlist.compile([EntitySpec("e", "E", "topic", query=query)])
    return watchlist.match(MatchDoc(text, **meta)) == ("e",)


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        # precedence: NOT > AND > OR
        ("a OR b c", "a", True),
        ("a OR b c", "b", False),
        ("a OR b c", "c b", True),
        ("NOT a b", "b", True),
        ("NOT a b", "a b", False),
        ("a NOT b OR c", "a b c", True),
        ("a NOT b OR c", "a b", False),
        # parentheses
        ("(a OR b) c", "b c", True),
        ("(a OR b) c", "b", False),
        ("a (b OR c)", "a c", True),
        ("a -(b OR c)", "a c", False),
        ("a -(b OR c)", "a d", True),
        # phrases
        ('"acme phone"', "the Acme  Phone is out", True),
        ('"acme phone"', "acme\n\tphone", True),
        ('"acme phone"', "phone acme", False),
        ('"acme phone"', "acmephone", False),
        ('"acme phone"', "acme phones", False),
        ('"艾克美 手机"', "艾克美手机", True),
        ('"艾克美 手机"', "艾克美 手机", True),
        ('"at&t"', "AT&T outage", True),
        ('"at&t"', "AT＆T outage", True),
        # NOT
        ("acme -jobs", "acme is hiring", True),
        ("acme -jobs", "acme jobs fair", False),
        ('acme -"job fair"', "acme job fair", False),
        ('acme -"job fair"', "acme fair job", True),
        ("acme NOT 招聘", "艾克美 acme 招聘中", False),
        # case-insensitivity
        ("ACME", "acme", True),
        ("acme", "ACME", True),
        ("straße", "STRASSE", True),
        # word boundaries
        ("ace", "grace", False),
        ("ace", "aces high", False),
        ("ace", "an ace!", True),
        ("acme", "Acme's phone", True),
        ("acme", "Acme’s phone", True),
        ("acme", "#acme", True),
        ("acme", "@acme_support", False),
        ("acme", "acme2", False),
        ("acme", "买acme手机", True),
        ("c++", "I love c++!", True),
        ("iphone 15", "iphone 15 pro", True),
        ("iphone 15", "iphone 150", False),
        # CJK substring semantics
        ("艾克美", "我买了艾克美的手机", True),
        ("艾克美", "艾克", False),
        ("사과", "사과를 샀다", True),
        # Traditional <-> Simplified, both directions
        ("過敏", "吃了以后过敏了", True),
        ("过敏", "吃了以後過敏了", True),
        ("門", "门店关门", True),
        ("门", "門市", True),
        ("艾克美集團", "艾克美集团发布公告", True),
        ("艾克美集团", "艾克美集團發佈公告", True),
        ("發佈", "发布", True),
        # full-width letters, digits and punctuation
        ("acme", "ＡＣＭＥ手机", True),
        ("ＡＣＭＥ", "acme", True),
        ("iphone 15", "ｉＰｈｏｎｅ　１５", True),
        ("价格!", "价格！", True),
        # invisible characters used to dodge filters
        ("艾克美", "艾\u200b克\u200d美", True),
        ("acme", "ac\u00adme", True),
    ],
)
def test_semantics(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("acme NEAR/2 phone", "acme phone", True),
        ("acme NEAR/2 phone", "phone acme", True),
        ("acme NEAR/2 phone", "acme new red phone", True),
        ("acme NEAR/2 phone", "phone, new and red: acme", False),
        ("acme NEAR/2 phone", "acme new shiny red phone", False),
        ("acme NEAR/2 phone", "phone is not acme", True),
        ("acme NEAR/0 phone", "acme phone", True),
        ("acme NEAR/0 phone", "acme x phone", False),
        ("acme NEAR/2 phone", "acme new shiny red phone, phone", False),
        ("acme NEAR/2 phone", "acme new shiny red phone and acme phone", True),
        ("acme NEAR/1 phone", "acme phone acme", True),
        ("acme NEAR/2 phone", "acmes new phone", False),
        # CJK distances count characters
        ("艾克美 NEAR/3 手机", "艾克美的新款手机", True),
        ("艾克美 NEAR/3 手机", "手机是艾克美的", True),
        ("艾克美 NEAR/3 手机", "艾克美的新款红色手机", False),
        ("艾克美 NEAR/3 手機", "艾克美的新款手机", True),
        ("艾克美 NEAR/2 手机", "艾克美的新款手机", False),
        ("艾克美 NEAR/2 手机", "艾克美的新手机", True),
        ("哈哈 NEAR/0 笑", "哈哈哈笑", True),  # overlapping occurrences count
        ("艾克美 NEAR/1 phone", "艾克美 new phone", True),
        ("艾克美 NEAR/0 phone", "艾克美phone", True),
        # OR groups and phrases as operands
        ("(acme OR 艾克美) NEAR/3 (recall OR 召回)", "艾克美宣布召回", True),
        ("(acme OR 艾克美) NEAR/3 (recall OR 召回)", "acme will recall", True),
        (
            "(acme OR 艾克美) NEAR/3 (recall OR 召回)",
            "召回 and then a long story about acme",
            False,
        ),
        ('"acme phone" NEAR/1 battery', "battery of the acme phone", False),
        ('"acme phone" NEAR/1 battery', "acme phone battery", True),
        ('"acme phone" NEAR/1 battery', "battery in acme phone", True),
        # the same occurrence is not near itself
        ("acme NEAR/3 acme", "acme", False),
        ("acme NEAR/3 acme", "acme and acme", True),
        ("哈哈 NEAR/0 哈哈", "哈哈哈", True),
        # NEAR inside NOT and AND
        ("acme -(acme NEAR/1 jobs)", "acme jobs", False),
        ("acme -(acme NEAR/1 jobs)", "acme is great; jobs elsewhere today", True),
    ],
)
def test_near(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


@pytest.mark.parametrize(
    ("query", "meta", "expected"),
    [
        ("source:weibo", {"source": "weibo"}, True),
        ("source:weibo", {"source": "Weibo"}, True),
        ("source:weibo", {"source": "weibo-hot"}, False),
        ("source:weibo*", {"source": "weibo-hot"}, True),
        ('source:"rss news"', {"source": "RSS News"}, True),
        ("source:weibo", {}, False),
        ("author:@janedoe", {"author": "JaneDoe"}, True),
        ("author:janedoe", {"author": "@janedoe"}, True),
        ('author:"張 三"', {"author": "张 三"}, True),
        ("lang:zh", {"lang": "zh"}, True),
        ("lang:zh", {"lang": "zh-TW"}, True),
        ("lang:zh", {"lang": "zh_Hant"}, True),
        ("lang:zh-tw", {"lang": "zh-cn"}, False),
        ("lang:zh", {"lang": "zhx"}, False),
        ("lang:en", {"lang": ""}, False),
        ("acme lang:en -source:spamfarm", {"lang": "en", "source": "news"}, True),
        ("acme lang:en -source:spamfarm", {"lang": "en", "source": "spamfarm"}, False),
    ],
)
def test_fields(query: str, meta: dict[str, str], expected: bool) -> None:
    text = "acme" if "acme" in query else "anything"
    assert matches(query, text, **meta) is expected


def test_field_value_is_not_matched_against_text() -> None:
    assert not matches("source:weibo", "weibo weibo", source="twitter")


def test_entities_in_config_order_and_aliases() -> None:
    watchlist = Watchlist.compile(
        [
            EntitySpec("beta", "BetaCo", "competitor", aliases=("貝塔科技",)),
            EntitySpec("acme", "Acme", "brand", aliases=("艾克美", "Acme Corp")),
            EntitySpec("ceo", "Jane Doe", "executive"),
            EntitySpec("topic", "recall", "topic", aliases=("ignored",), query="recall OR 召回"),
        ]
    )
    doc = MatchDoc("艾克美 and betaco; Jane  Doe spoke about the recall")
    assert watchlist.match(doc) == ("beta", "acme", "ceo", "topic")
    assert watchlist.match(MatchDoc("贝塔科技很好")) == ("beta",)
    assert watchlist.match(MatchDoc("jane spoke")) == ()
    assert watchlist.match(MatchDoc("ignored")) == ()  # the query alone decides
    assert watchlist.match(MatchDoc("ACME CORP")) == ("acme",)


def test_alias_with_query_characters_is_literal() -> None:
    watchlist = Watchlist.compile([EntitySpec("x", 'Acme (HK) "Ltd"', "brand", aliases=("OR",))])
    assert watchlist.match(MatchDoc('acme (hk) "ltd" news')) == ("x",)
    assert watchlist.match(MatchDoc("this OR that")) == ("x",)
    assert watchlist.match(MatchDoc("acme hk ltd")) == ()


def test_entity_without_any_text_or_bad_query_names_the_entity() -> None:
    with pytest.raises(QuerySyntaxError, match="^entity 'blank': no query, name or alias"):
        Watchlist.compile([EntitySpec("blank", " ", "brand", aliases=("", "\u200b"))])
    with pytest.raises(QuerySyntaxError) as info:
        Watchlist.compile(
            [
                EntitySpec("ok", "ok", "brand"),
                EntitySpec("acme", "Acme", "brand", query="acme AND (b)) c"),
            ]
        )
    assert str(info.value) == "entity 'acme': unexpected ')' at position 12"
    assert info.value.position == 12
    assert info.value.entity_id == "acme"


def test_duplicate_entity_ids_are_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate watchlist entity id 'a'"):
        Watchlist.compile([EntitySpec("a", "x", "brand"), EntitySpec("a", "y", "brand")])


def test_entity_without_positive_terms_runs_on_every_document() -> None:
    watchlist = Watchlist.compile(
        [
            EntitySpec("inbox", "inbox", "topic", query="source:complaints"),
            EntitySpec("notspam", "x", "topic", query="NOT spam"),
            EntitySpec("allvariants", "x", "topic", query="發發"),
        ]
    )
    assert watchlist.match(MatchDoc("hello", source="complaints")) == ("inbox", "notspam")
    assert watchlist.match(MatchDoc("spam", source="other")) == ()
    assert watchlist.match(MatchDoc("头发发型")) == ("notspam", "allvariants")


def test_shared_terms_are_consistent_across_entities() -> None:
    watchlist = Watchlist.compile(
        [
            EntitySpec("a", "a", "topic", query="acme"),
            EntitySpec("b", "b", "topic", query="acme recall"),
            EntitySpec("c", "c", "topic", query="acme -recall"),
            EntitySpec("d", "d", "topic", query="(acme OR 艾克美) NEAR/2 recall"),
        ]
    )
    assert watchlist.match(MatchDoc("Acme recall")) == ("a", "b", "d")
    assert watchlist.match(MatchDoc("acme news")) == ("a", "c")
    assert watchlist.match(MatchDoc("艾克美 recall")) == ("d",)


def test_terms_lists_positive_terms_names_and_simplified_forms() -> None:
    watchlist = Watchlist.compile(
        [
            EntitySpec("acme", "Acme", "brand", aliases=("艾克美集團",)),
            EntitySpec("t", "Topic", "topic", query='(召回 OR "Acme  Phone") -招聘 NEAR/2 x'),
        ]
    )
    terms = watchlist.terms()
    assert terms[:3] == ["Acme", "艾克美集團", "艾克美集团"]
    assert "召回" in terms and "Acme Phone" in terms and "Topic" in terms
    assert "招聘" not in terms


def test_normalise_is_exposed_and_idempotent() -> None:
    text = "ＡＣＭＥ 艾克美集團 過敏\u200b門 Straße！"
    assert Watchlist.normalise(text) == normalise(text) == "acme 艾克美集团 过敏门 strasse!"
    assert normalise(normalise(text)) == normalise(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ()),
        ("😀🔥 acme 😀", ("acme",)),
        ("\x00\x01\x1b[31macme\x7f", ()),  # "31macme" is one word
        ("\x00\x01\x1b[31m acme\x7f", ("acme",)),
        ("\ud800 lone surrogate acme", ("acme",)),
        ("艾克美" * 40_000, ("acme",)),
        ("acme phone " * 10_000, ("acme", "near")),
        ("𠀾𠀾 acme 手機", ("acme", "near")),
        ("\u202eacme\u202c", ("acme",)),
        ("\ufffd\ufeff\u3000", ()),
    ],
)
def test_odd_and_huge_texts_do_not_crash(text: str, expected: tuple[str, ...]) -> None:
    watchlist = Watchlist.compile(
        [
            EntitySpec("acme", "Acme", "brand", aliases=("艾克美",)),
            EntitySpec("near", "n", "topic", query="(acme OR 艾克美) NEAR/3 (phone OR 手机)"),
            EntitySpec("zh", "n", "topic", query="NOT 艾克美 lang:zh"),
        ]
    )
    assert watchlist.match(MatchDoc(text, source="\x00", author="😀", lang="en")) == expected


def test_near_on_100kb_text_with_many_far_apart_occurrences() -> None:
    text = ("acme " + "filler " * 20 + "phone " + "filler " * 20) * 400
    assert len(text) > 100_000
    assert not matches("acme NEAR/5 phone", text)
    assert matches("acme NEAR/20 phone", text)
