"""Stories: every mention belongs to the story of the same real-world event.

A pure, database-free engine: ``StoryIndex`` places mentions (``StoryDoc``) into stories
incrementally over a bounded recent window and returns ``Assignment``s; each story's state is a
``StorySignature`` the caller persists and may ``load`` back (a restart, or another process).
Nothing happens at import time; the caller owns ids, storage and configuration.
"""

from monitor.stories.features import Boosts
from monitor.stories.index import StoryIndex
from monitor.stories.model import Assignment, StoryDoc, StoryParams, StorySignature

__all__ = ["Assignment", "Boosts", "StoryDoc", "StoryIndex", "StoryParams", "StorySignature"]
