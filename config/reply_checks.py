"""What the ``replies`` section names that must exist elsewhere in the file (its complaint
categories), each problem at its key path (for check-config and start-up)."""

from __future__ import annotations

from collections.abc import Iterator

from config.loader import Finding
from config.schema import Settings
from config.suggest import one_of


def reply_findings(settings: Settings) -> Iterator[Finding]:
    """Each complaint category that is not a configured risk category, at its key."""
    known = [c.name for c in settings.scoring.to_library().categories]
    for index, name in enumerate(settings.replies.complaint_categories):
        if name not in known:
            yield Finding(
                ("replies", "complaint_categories", index),
                f"unknown risk category {name!r}{one_of(name, known)}",
            )
