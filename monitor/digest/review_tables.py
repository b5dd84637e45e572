"""The digest's review section as tables: reviews completed, overdue action items."""

from __future__ import annotations

from monitor.digest.labels import Labels
from monitor.digest.model import Digest
from monitor.digest.tables import Table
from monitor.digest.tables import _cut as cut  # one rule for cutting titles


def reviews_tables(d: Digest, lb: Labels) -> list[Table]:
    """Reviews completed in the period, then the action items overdue at its end."""
    r = d.reviews

    def note(shown: int, total: int) -> str | None:
        return lb("showing", shown=shown, total=total) if total > shown else None

    return [
        Table(
            key="reviews",
            title=f"{lb('reviews')} ({r.completed_total})",
            headers=(
                lb("incident"),
                lb("grade"),
                lb("review_completed"),
                lb("review_by"),
                lb("causes"),
                lb("action_items"),
                lb("still_open"),
            ),
            rows=tuple(
                (
                    f"#{row.incident_id} {cut(row.title, 80)}",
                    lb.grade(row.grade),
                    lb.moment(row.completed_at),
                    cut(row.completed_by, 40),
                    lb.number(row.causes),
                    lb.number(row.actions),
                    lb.number(row.actions_open),
                )
                for row in r.completed
            ),
            numeric=frozenset({4, 5, 6}),
            note=note(len(r.completed), r.completed_total),
            empty=lb("no_reviews"),
            row_marks=tuple(row.grade for row in r.completed),
        ),
        Table(
            key="overdue_actions",
            title=f"{lb('overdue_actions', as_of=lb.moment(r.as_of))} ({r.overdue_total})",
            headers=("#", lb("action"), lb("owner"), lb("due"), lb("incident")),
            rows=tuple(
                (
                    str(a.id),
                    cut(a.text, 120),
                    cut(a.owner, 40),
                    lb.moment(a.due_at),
                    f"#{a.incident_id}",
                )
                for a in r.overdue
            ),
            numeric=frozenset({0}),
            note=note(len(r.overdue), r.overdue_total),
            empty=lb("no_overdue_actions"),
        ),
    ]
