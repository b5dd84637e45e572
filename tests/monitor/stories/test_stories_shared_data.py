"""The engine on real streams from ../shared/data (skipped when the folder is absent)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from sklearn.metrics import homogeneity_completeness_v_measure

from monitor.stories.testing import StoryFeed, fed_across_restart

REPO = Path(__file__).resolve().parents[3]


def streams() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "story_streams", REPO / "benchmarks" / "story_streams.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.shared_data
def test_pheme_dev_events_are_recovered_as_stories(shared_data: Path) -> None:
    stream = streams().pheme(shared_data, "dev")
    feed = StoryFeed()
    feed.feed([d for d, _ in stream])
    labels = [label for _, label in stream]
    stories = [feed.story(d.key) for d, _ in stream]
    homogeneity, _, v_measure = homogeneity_completeness_v_measure(labels, stories)
    assert homogeneity > 0.95 and v_measure > 0.85


@pytest.mark.shared_data
def test_a_restart_on_a_real_chinese_stream_changes_nothing(shared_data: Path) -> None:
    docs = [d for d, _ in streams().ced(shared_data, "dev", threads=True)[:8000]]
    once = StoryFeed()
    once.feed(docs)
    _, second = fed_across_restart(docs, 4000)
    assert [second.story(d.key) for d in docs] == [once.story(d.key) for d in docs]
