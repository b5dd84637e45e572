"""The daily summary: a few lines for chat, in the organisation's locale, from a day's report.

Mentions against yesterday, the negative share, incidents of the day and those open now by
grade, SLA breaches, and the day's backfill when there is any. Plain text, not escaped: each
channel escapes it as it does alert text.
"""

from __future__ import annotations

from monitor.digest.labels import Labels
from monitor.digest.model import Digest


def daily_lines(digest: Digest, labels: Labels) -> list[str]:
    """The summary lines (see the module docstring)."""
    lb = labels
    h = digest.headline
    pct = lb.change_pct(h.mentions.change_pct) or lb.signed(h.mentions.change)
    started = ", ".join(
        f"{lb.grade(g.grade)} {g.current}" for g in reversed(h.incidents_by_grade) if g.current
    )
    open_items = digest.open_items.open_by_grade
    open_now = ", ".join(f"{lb.grade(grade)} {count}" for grade, count in open_items)
    lines = [
        lb(
            "daily_mentions",
            count=lb.number(h.mentions.current),
            previous=lb.number(h.mentions.previous),
            change=pct,
        ),
        lb(
            "daily_negative",
            share=lb.percent(h.negative_share.current),
            change=lb.signed(h.negative_share.change, percent_points=True),
        ),
        lb(
            "daily_incidents",
            count=lb.number(h.incidents.current) + (f" ({started})" if started else ""),
            open=lb.number(sum(count for _, count in open_items))
            + (f" ({open_now})" if open_now else ""),
        ),
        lb(
            "daily_breaches",
            ack=lb.number(h.sla_breaches.current),
            response=lb.number(h.response_breaches.current),
        ),
    ]
    if digest.meta.basis.late_mentions:
        lines.append(lb("daily_late", count=lb.number(digest.meta.basis.late_mentions)))
    return lines
