"""Fixtures for story engine tests."""

from __future__ import annotations

import pytest

from monitor.stories.testing import StoryFeed


@pytest.fixture()
def feed() -> StoryFeed:
    """A fresh index with default parameters, fed like the pipeline feeds it."""
    return StoryFeed()
