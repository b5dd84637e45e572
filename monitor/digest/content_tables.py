"""The report's content sections as tables: next steps, key indicators, competitors.

Plain strings, like ``tables``; both renderers draw them with their ``render_table``. A figure
that is not available says so in its cell, and the note column says why, per period.
"""

from __future__ import annotations

from monitor.digest.labels import Labels
from monitor.digest.model import Compare, Digest, Indicator
from monitor.digest.tables import NO_VALUE, Table

MAX_STEP_TITLE = 90


def _cut(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def next_steps_table(d: Digest, lb: Labels) -> Table:
    """Most pressing first; the SLA column says what is overdue or due."""
    steps = d.next_steps.items if d.next_steps else ()
    total = d.next_steps.total if d.next_steps else 0
    return Table(
        key="next_steps",
        title=lb("next_steps"),
        headers=(
            lb("about"),
            lb("grade"),
            lb("state"),
            lb("sla_state"),
            lb("due"),
            lb("next_step"),
        ),
        rows=tuple(
            (
                f"{s.ref} {_cut(s.title, MAX_STEP_TITLE)}".strip(),
                lb.grade(s.grade) if s.grade else NO_VALUE,
                lb.state(s.state) if s.state else NO_VALUE,
                lb(f"sla_{s.sla}") if s.sla else NO_VALUE,
                lb.moment(s.due_at) if s.due_at else NO_VALUE,
                s.action + (f" ({lb('owner')}: {s.owner})" if s.owner else ""),
            )
            for s in steps
        ),
        empty=lb("no_next_steps"),
        note=lb("showing", shown=len(steps), total=total) if total > len(steps) else None,
        row_marks=tuple(s.grade or "" for s in steps),
    )


def _value(unit: str, value: float | None, lb: Labels) -> str:
    if value is None:
        return lb("not_available")
    if unit == "share":
        return lb.percent(value, 2 if value < 0.01 else 1)
    if unit == "average":
        return f"{value:,.1f}"
    return lb.number(round(value))


def _change(unit: str, value: Compare, lb: Labels) -> str:
    if value.change is None:
        return NO_VALUE
    if unit == "share":
        return (
            f"{100 * value.change:+.2f} pp"
            if abs(value.change) < 0.01
            else lb.signed(value.change, percent_points=True)
        )
    text = f"{value.change:+,.1f}" if unit == "average" else lb.signed(round(value.change))
    pct = lb.change_pct(value.change_pct)
    return f"{text} ({pct})" if pct else text


def _reasons(row: Indicator, lb: Labels) -> str:
    if row.reason and row.reason == row.previous_reason:
        return lb(f"reason_{row.reason}")
    parts = []
    if row.reason:
        parts.append(lb("reason_this", reason=lb(f"reason_{row.reason}")))
    if row.previous_reason:
        parts.append(lb("reason_previous", reason=lb(f"reason_{row.previous_reason}")))
    return "; ".join(parts)


def indicators_table(d: Digest, lb: Labels) -> Table:
    """The source plans' indicators against the previous period, with why one is missing."""
    rows = d.indicators.rows if d.indicators else ()
    return Table(
        key="indicators",
        title=lb("indicators"),
        headers=(
            lb("indicator"),
            lb("this_period"),
            lb("previous_period"),
            lb("change"),
            lb("note"),
        ),
        rows=tuple(
            (
                lb(f"ind_{r.key}"),
                _value(r.unit, r.value.current, lb),
                _value(r.unit, r.value.previous, lb),
                _change(r.unit, r.value, lb),
                _reasons(r, lb),
            )
            for r in rows
        ),
        numeric=frozenset({1, 2, 3}),
    )


def competitors_table(d: Digest, lb: Labels) -> Table:
    """Mentions and engagement of the organisation and each competitor, and their growth."""
    rows = d.indicators.competitors if d.indicators else ()

    def engagement(value: float | None, mentions: int) -> str:
        if value is not None:
            return lb.number(round(value))
        return lb("no_mentions_short") if not mentions else lb("not_available")

    out = []
    reason = False
    for r in rows:
        now, before = int(r.mentions.current or 0), int(r.mentions.previous or 0)
        reason = reason or (r.engagement.current is None and now > 0)
        out.append(
            (
                r.name + (f" ({lb('own')})" if r.own else ""),
                lb.number(now),
                lb.number(before),
                lb.change_pct(r.mentions.change_pct) or NO_VALUE,
                engagement(r.engagement.current, now),
                engagement(r.engagement.previous, before),
                lb.change_pct(r.engagement.change_pct) or NO_VALUE,
            )
        )
    return Table(
        key="competitors",
        title=lb("competitors"),
        headers=(
            lb("entity"),
            lb("mentions"),
            lb("mentions_previous"),
            lb("growth"),
            lb("engagement"),
            lb("engagement_previous"),
            lb("growth"),
        ),
        rows=tuple(out),
        numeric=frozenset(range(1, 7)),
        note=lb("reason_this", reason=lb("reason_no_engagement_counts")) if reason else None,
        row_marks=(),
    )
