"""Signatures: the JSON round trip, restarts, refreshes from another process, merges kept."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from monitor.stories import StoryIndex, StorySignature
from monitor.stories.testing import T0, StoryFeed, fed_across_restart, synthetic_stream
from monitor.stories.testing import mention as doc

RECALL = "Lumina Kids formula batch LK-2611 recalled after babies got rashes"
OFFER = "Sunvale yoghurt on offer again this weekend, stock up"


def test_signature_json_round_trip_is_exact(feed: StoryFeed) -> None:
    feed.feed(synthetic_stream(mentions=300, hours=6))
    for story in feed.index.active():
        sig = feed.index.signature(story)
        again = StorySignature.from_json(json.loads(json.dumps(sig.to_json())))
        assert again == sig
        assert list(again.terms) == list(sig.terms)  # order too: truncation ties depend on it


@pytest.mark.parametrize(
    "data",
    [{}, {"v": 99}, {"v": 1, "story": 1}, {"v": 1, "story": 1, "first": "x", "last": "y",
                                           "size": 1, "terms": {}, "sq": 0.0}],
)
def test_malformed_signatures_are_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        StorySignature.from_json(data)


def test_a_restart_from_signatures_places_the_rest_exactly_as_one_index_would() -> None:
    stream = synthetic_stream(mentions=4000, hours=96)
    once = StoryFeed()
    once.feed(stream)
    _, second = fed_across_restart(stream, 2000)
    assert [second.story(d.key) for d in stream] == [once.story(d.key) for d in stream]
    assert second.index.active() == once.index.active()
    assert all(second.index.signature(s) == once.index.signature(s) for s in once.index.active())


def test_load_replaces_a_story_with_its_persisted_row() -> None:
    here, there = StoryFeed(), StoryFeed()
    first = doc(RECALL)
    story = here.feed([first])[0].story
    there.index.load([here.index.signature(story)])
    there.last_id = here.last_id
    there.feed([doc(RECALL + ", parents say", 5), doc(RECALL + " in Oslo", 6)])
    grown = there.index.signature(story)
    assert grown.size == 3
    here.index.load([grown])  # another process grew it: the row wins
    assert here.index.signature(story) == grown


def test_load_keeps_merges_and_drops_what_a_row_absorbed() -> None:
    feed = StoryFeed()
    a = feed.feed([doc(RECALL)])[0].story
    b = feed.feed([doc(OFFER, 1)])[0].story
    stale_b = feed.index.signature(b)
    feed.index.merge(a, b)
    feed.index.load([stale_b])  # a stale row of the merged-away story
    assert feed.index.active() == [a] and feed.index.resolve(b) == a
    stale_a = StorySignature.from_json({**feed.index.signature(a).to_json(), "absorbed": []})
    feed.index.load([stale_a])  # a row written before the merge
    assert feed.index.resolve(b) == a
    for rows in ([stale_b, feed.index.signature(a)], [feed.index.signature(a), stale_b]):
        other = StoryIndex()
        other.load(rows)  # a fresh process loads both rows, in either order
        assert other.active() == [a] and other.resolve(b) == a


def test_loading_moves_the_clock_and_evicts_idle_stories() -> None:
    feed = StoryFeed()
    old = feed.feed([doc(RECALL)])[0].story
    new = feed.feed([doc(OFFER, 80 * 60)])[0].story
    sigs = [feed.index.signature(s) for s in feed.index.active()]
    assert [s.story for s in sigs] == [new]
    fresh = StoryIndex()
    fresh.load([*sigs, StorySignature(story=old, first=T0, last=T0, size=1, terms={"x": 1.0},
                                      sq=1.0)])
    assert fresh.active() == [new]


def test_evict_drops_stories_idle_since_a_time(feed: StoryFeed) -> None:
    feed.feed([doc(RECALL), doc(OFFER, 60)])
    feed.index.evict(before=T0 + timedelta(minutes=30))
    assert len(feed.index.active()) == 1
