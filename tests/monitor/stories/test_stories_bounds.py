"""Memory stays bounded by the window, whatever the length of the history."""

from __future__ import annotations

from datetime import timedelta

from monitor.stories import StoryParams
from monitor.stories.testing import StoryFeed, synthetic_stream


def test_index_size_stays_bounded_over_a_long_stream() -> None:
    params = StoryParams(window=timedelta(hours=6), max_terms=16)
    feed = StoryFeed(params)
    stream = synthetic_stream(mentions=24_000, hours=24 * 30)  # a month, ~33 mentions an hour
    peaks: list[dict[str, int]] = []
    for start in range(0, len(stream), 2000):
        feed.feed(stream[start : start + 2000])
        stats = feed.index.stats()
        peaks.append(stats)
        assert stats["postings"] <= stats["indexed"] * 2 * params.max_terms
        assert stats["heap"] <= 2 * stats["stories"] + 1024
        assert stats["anchors"] <= stats["stories"] * params.max_anchors
    # Six hours hold ~200 mentions: the index never grows with the month behind it.
    assert max(p["stories"] for p in peaks) <= 250
    late = max(p["terms"] for p in peaks[len(peaks) // 2 :])
    early = max(p["terms"] for p in peaks[: len(peaks) // 2])
    assert late <= 2 * early


def test_the_story_cap_evicts_the_least_recent_first() -> None:
    feed = StoryFeed(StoryParams(max_stories=50))
    stream = synthetic_stream(mentions=3000, hours=12)
    feed.feed(stream)
    assert len(feed.index.active()) <= 50
    last = feed.story(stream[-1].key)
    assert last in feed.index.active()
