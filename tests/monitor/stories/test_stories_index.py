"""Placing mentions: reposts, replies, facets of one event, events kept apart, time, merges."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.stories import StoryIndex, StoryParams
from monitor.stories.testing import StoryFeed, synthetic_stream
from monitor.stories.testing import mention as doc

LUMINA = {"lumina": ["Lumina", "Lumina Dairy", "澜沐", "澜沐乳业"]}
FORMULA = [
    "Lumina Kids formula batch LK-2611 recalled after babies got rashes",
    "My son broke out in hives after Lumina Kids formula, batch LK-2611. Anyone else?",
    "Parents report allergic reactions to Lumina Kids formula LK-2611, stop using it",
    "Lawyers: parents hurt by the Lumina Kids formula LK-2611 rash can claim compensation",
    "Rumour: Lumina CEO Chen Haoran stepping down over the Kids formula rash scandal?",
    "Lumina finally called back about the formula rash, they will test batch LK-2611",
]
OUTAGE = [
    "Lumina app down all morning, cannot log in or track my delivery",
    "Is the Lumina app outage fixed? Still cannot log in to track deliveries",
    "Lumina delivery app crashed again, login fails, no order tracking",
    "Third day of Lumina app login failures, deliveries untrackable",
]
FORMULA_ZH = "澜沐儿童奶粉批号LK-2611，孩子喝了起疹子，有没有同样情况的家长？"


def brand_feed() -> StoryFeed:
    feed = StoryFeed()
    feed.index = StoryIndex(params=feed.params, names=LUMINA)
    return feed


def test_reposts_and_retweets_join_the_original(feed: StoryFeed) -> None:
    original = doc("Lumina recalls Kids formula batch LK-2611 after dozens of rash reports")
    retweet = doc("RT @foodwatch: Lumina recalls Kids formula batch LK-2611 after dozens of rash "
                  "reports http://t.co/abc", 5)
    copy = doc("Lumina recalls Kids formula batch LK-2611 after dozens of rash reports - Reuters",
               9, duplicate_of=original.key)
    placed = feed.feed([original, retweet, copy])
    assert {a.story for a in placed} == {placed[0].story}
    assert [a.reason for a in placed] == ["new", "near_duplicate", "duplicate"]


def test_a_weibo_repost_quoting_the_original_joins_it_without_a_link(feed: StoryFeed) -> None:
    statement = "澜沐乳业发布声明：暂停销售LK-2611批次儿童奶粉，配合监管部门调查。"
    original = doc(statement)
    other = doc("北原牧场全部产品均通过检测，请消费者放心选购。", 1)
    repost = doc("转发微博 //@新闻速递: " + statement, 9)
    placed = feed.feed([original, other, repost])
    assert placed[2].story == placed[0].story != placed[1].story
    assert placed[2].reason == "near_duplicate"


def test_contentless_reposts_join_what_they_repost_even_in_a_later_batch(
    feed: StoryFeed,
) -> None:
    original = doc("宁波妇儿医院一妇女携婴儿跳楼，据现场网友称因负担不起医疗费")
    feed.feed([original])
    repost = doc("转发微博", 30, reply_to=original.key)
    comment = doc("[蜡烛][蜡烛]", 31, reply_to=original.key)
    placed = feed.feed([repost, comment])
    assert [a.story for a in placed] == [feed.story(original.key)] * 2
    assert {a.reason for a in placed} == {"reply"}


def test_contentless_mentions_without_a_link_pollute_nothing(feed: StoryFeed) -> None:
    first = doc("Lumina recalls Kids formula batch LK-2611 after rash reports")
    junk = [doc("lol", 1), doc("转发微博", 2), doc("真的吗？", 3), doc("🔥🔥🔥", 4)]
    placed = feed.feed([first, *junk])
    stories = [a.story for a in placed]
    assert len(set(stories)) == 5
    assert {a.reason for a in placed[1:]} == {"no_content"}
    later = feed.feed([doc("Lumina Kids formula batch LK-2611: more rash reports", 9)])[0]
    assert later.story == stories[0]


def test_facets_of_one_event_are_one_story_and_another_event_stays_apart() -> None:
    feed = brand_feed()
    docs = []
    for i in range(len(FORMULA)):
        docs.append(doc(FORMULA[i], i * 10, entities=("lumina",)))
        if i < len(OUTAGE):
            docs.append(doc(OUTAGE[i], i * 10 + 5, entities=("lumina",)))
    feed.feed(docs)
    formula = {feed.story(d.key) for d in docs if "formula" in d.text}
    outage = {feed.story(d.key) for d in docs if "app" in d.text}
    assert len(formula) == 1 and len(outage) == 1
    assert formula != outage


def test_a_chinese_post_naming_the_batch_joins_the_english_story() -> None:
    feed = brand_feed()
    english = [doc(t, i, entities=("lumina",)) for i, t in enumerate(FORMULA[:3])]
    chinese = doc(FORMULA_ZH, 10, entities=("lumina",))
    feed.feed([*english, chinese])
    assert feed.story(chinese.key) == feed.story(english[0].key)


def test_a_traditional_repost_joins_its_simplified_original(feed: StoryFeed) -> None:
    original = doc("澜沐乳业发布声明：暂停销售LK-2611批次儿童奶粉，配合监管部门调查。")
    other = doc("今天在超市买了北原牧场的纯牛奶，味道正常，价格也便宜。", 1)
    repost = doc("瀾沐乳業發布聲明：暫停銷售LK-2611批次兒童奶粉，配合監管部門調查。", 20)
    feed.feed([original, other, repost])
    assert feed.story(repost.key) == feed.story(original.key) != feed.story(other.key)


def test_a_story_idle_past_the_window_is_evicted_and_a_new_mention_starts_another() -> None:
    feed = StoryFeed(StoryParams(window=timedelta(hours=72)))
    text = "Lumina Kids formula batch LK-2611 recalled after babies got rashes"
    first = feed.feed([doc(text)])[0]
    assert feed.index.active() == [first.story]
    later = feed.feed([doc(text, 73 * 60)])[0]
    assert later.created and later.story != first.story
    assert feed.index.active() == [later.story]
    with pytest.raises(KeyError):
        feed.index.signature(first.story)


def test_a_late_backfilled_mention_is_placed_by_its_own_time(feed: StoryFeed) -> None:
    text = "Lumina Kids formula batch LK-2611 recalled after babies got rashes"
    first = feed.feed([doc(text, 0)])[0]
    feed.feed([doc("Sunvale yoghurt on offer again, stock up this weekend", 60 * 24)])
    backfill = feed.feed([doc(text + ", regulator says", -60)])[0]
    assert backfill.story == first.story
    too_old = feed.feed([doc(text + ", regulator says", -60 * 24 * 4)])[0]
    assert too_old.created


def test_a_responders_merge_keeps_the_stories_together() -> None:
    feed = brand_feed()
    a = feed.feed([doc(FORMULA[0], entities=("lumina",))])[0].story
    outage = doc(OUTAGE[0], 1, entities=("lumina",))
    b = feed.feed([outage])[0].story
    assert a != b
    feed.index.merge(a, b)
    assert feed.index.resolve(b) == a and feed.index.active() == [a]
    assert b in feed.index.signature(a).absorbed
    assert feed.feed([doc(OUTAGE[1], 2, entities=("lumina",))])[0].story == a
    # The database relabels b's mentions; a reply that still names b lands in a too.
    assert feed.index.assign([doc("转发微博", 3, reply_to=outage.key)], new_story=feed.new_story,
                             stories_of={outage.key: b})[0].story == a


def test_a_mention_close_to_two_stories_of_one_event_merges_them() -> None:
    # Two stories of one event in different words (a hashtag, plain words) overlap only in
    # "PSI"; a low merge threshold lets a mention close to both merge them here.
    feed = StoryFeed(StoryParams(merge_threshold=0.01))
    haze = ["#sghaze PSI hits 321 tonight, highest ever", "#sghaze PSI 3-hour reading 290, "
            "schools shut", "#sghaze PSI update: 3-hour reading 300 at 9pm"]
    words = ["Singapore haze from Indonesia fires chokes the city, PSI soaring",
             "Haze in Singapore: Indonesia fires blamed",
             "Singapore haze worst ever as Indonesia fires burn"]
    placed = feed.feed([doc(t, i) for i, t in enumerate(haze + words)])
    a, b = placed[0].story, placed[3].story
    assert a != b
    bridge = feed.feed([doc("#sghaze PSI hits 321: Singapore haze worst ever as Indonesia "
                            "fires burn", 9)])[0]
    assert bridge.merged == (b,) and bridge.story == a  # equal sizes: the older one stays
    assert feed.story(placed[0].key) == feed.story(placed[3].key) == a
    assert feed.index.resolve(b) == a and b in feed.index.signature(a).absorbed


def test_batches_are_taken_in_time_order_and_answered_in_input_order(feed: StoryFeed) -> None:
    original = doc(FORMULA[0], 0)
    retweet = doc("RT @x: " + FORMULA[0], 5)
    placed = feed.feed([retweet, original])
    assert [a.key for a in placed] == [retweet.key, original.key]
    assert placed[1].created and placed[0].reason == "near_duplicate"


def test_an_id_already_in_use_is_refused() -> None:
    index = StoryIndex()
    index.assign([doc(FORMULA[0])], new_story=lambda _d: 7)
    with pytest.raises(ValueError, match="already in use"):
        index.assign([doc("Sunvale yoghurt on offer again, stock up", 1)], new_story=lambda _d: 7)


def test_placement_does_not_depend_on_the_hash_seed() -> None:
    code = (
        "from monitor.stories.testing import StoryFeed, synthetic_stream\n"
        "placed = StoryFeed().feed(synthetic_stream(mentions=3000, hours=48))\n"
        "print([(a.story, repr(a.similarity), a.merged) for a in placed])\n"
    )
    root = Path(__file__).resolve().parents[3]
    outs = {
        subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                       env={"PYTHONHASHSEED": seed}, check=True).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outs) == 1 and outs.pop().startswith("[(")


def test_the_same_stream_gives_the_same_stories() -> None:
    stream = synthetic_stream(mentions=2000, hours=24)
    assert StoryFeed().feed(stream) == StoryFeed().feed(stream)


def test_the_same_words_about_rival_products_are_two_stories() -> None:
    template = "{} battery exploded and burned my hand, dangerous product, I want a refund"
    names = {"borlin": ["Borlin"], "cadmo": ["Cadmo"], "acme": ["Acme"]}
    kinds = {"borlin": "product", "cadmo": "product", "acme": "brand"}
    docs = [
        doc(template.format("Borlin"), 0, entities=("borlin", "acme")),
        doc(template.format("Cadmo"), 1, entities=("cadmo", "acme")),
        doc("Acme " + template.format("Borlin and Cadmo"), 2, entities=("borlin", "cadmo")),
        doc(template.format("Acme"), 3, entities=("acme",)),
    ]
    together = StoryFeed()
    together.index = StoryIndex(params=together.params, names=names)
    assert len({a.story for a in together.feed(docs)}) == 1  # without kinds: one story
    feed = StoryFeed()
    feed.index = StoryIndex(params=feed.params, names=names, kinds=kinds)
    placed = feed.feed(docs)
    # Borlin's and Cadmo's are two events; a post naming both may join either, and one
    # naming only the brand is no rival of either
    assert placed[0].story != placed[1].story
    assert placed[2].story in (placed[0].story, placed[1].story)
    assert placed[3].story in (placed[0].story, placed[1].story)


def test_a_product_names_words_still_count_for_posts_naming_only_the_brand() -> None:
    names = {"lumina": ["Lumina", "澜沐"], "kids": ["Lumina Kids formula", "澜沐儿童奶粉"]}
    kinds = {"lumina": "brand", "kids": "product"}
    story = [doc("澜沐儿童奶粉批号LK-2611，孩子喝了起疹子，有没有同样情况的家长？",
                 entities=("kids", "lumina")),
             doc("澜沐儿童奶粉过敏的家长越来越多了，建议先停用", 5, entities=("kids", "lumina"))]
    brand_only = doc("网传澜沐乳业将全面召回儿童奶粉，官方尚未回应", 9, entities=("lumina",))
    placed = {}
    for given in (None, kinds):
        feed = StoryFeed()
        feed.index = StoryIndex(params=feed.params, names=names, kinds=given)
        out = feed.feed([*story, brand_only])
        placed[given is not None] = out[2].story == out[0].story
    # only the brand's words are the entity's; 儿童奶粉 is what the posts are about
    assert placed == {False: False, True: True}
