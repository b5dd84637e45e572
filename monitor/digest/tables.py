"""The digest's sections as labelled tables of plain (unescaped) strings.

HTML and Markdown render the same tables, so both always say the same thing; each renderer
escapes for its own format.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.digest.labels import Labels
from monitor.digest.model import (
    Compare,
    Digest,
    DrillRow,
    DurationStats,
    IncidentRow,
    MentionLink,
)

MAX_TITLE = 120
NO_VALUE = "—"  # a verdict or time that does not apply


@dataclass(frozen=True, slots=True)
class Table:
    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int] = frozenset()  # right-aligned columns
    note: str | None = None
    empty: str | None = None  # shown instead of the table when there are no rows
    row_marks: tuple[str, ...] = ()  # per-row CSS hint (e.g. a grade), same length as rows
    links: tuple[str | None, ...] = ()  # per-row http(s) address the last column links to
    cell_links: tuple[tuple[str | None, ...], ...] = ()  # per row, per column: a cell's link


def _cut(text: str | None, limit: int = MAX_TITLE) -> str:
    value = " ".join((text or "").split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _compare_row(label: str, value: Compare, lb: Labels, *, share: bool = False) -> tuple[str, ...]:
    if share:
        return (label, lb.percent(value.current), lb.percent(value.previous),
                lb.signed(value.change, percent_points=True))
    change = lb.signed(value.change)
    pct = lb.change_pct(value.change_pct)
    return (label, lb.number(value.current), lb.number(value.previous),
            f"{change} ({pct})" if pct else change)


def _duration_rows(
    label_median: str, label_worst: str, now: DurationStats, before: DurationStats, lb: Labels
) -> list[tuple[str, ...]]:
    def delta(a: float | None, b: float | None) -> str:
        if a is None or b is None:
            return lb("n_a")
        sign = "+" if a >= b else "-"
        return sign + lb.duration(abs(a - b))

    return [
        (label_median, lb.duration(now.median_s), lb.duration(before.median_s),
         delta(now.median_s, before.median_s)),
        (label_worst, lb.duration(now.worst_s), lb.duration(before.worst_s),
         delta(now.worst_s, before.worst_s)),
    ]


def headline_table(d: Digest, lb: Labels) -> Table:
    h = d.headline
    rows = [
        _compare_row(lb("mentions"), h.mentions, lb),
        _compare_row(lb("negative"), h.negative, lb),
        _compare_row(lb("negative_share"), h.negative_share, lb, share=True),
        _compare_row(lb("incidents"), h.incidents, lb),
    ]
    for grade in h.incidents_by_grade:
        rows.append(
            _compare_row(
                lb("grade_incidents", grade=lb.grade(grade.grade)),
                Compare.of(grade.current, grade.previous),
                lb,
            )
        )
    rows.append(_compare_row(lb("false_positives"), h.false_positives, lb))
    rows += _duration_rows(lb("ack_median"), lb("ack_worst"), h.time_to_ack,
                           h.time_to_ack_previous, lb)
    rows += _duration_rows(lb("resolve_median"), lb("resolve_worst"), h.time_to_resolve,
                           h.time_to_resolve_previous, lb)
    rows.append(_compare_row(lb("sla_breaches"), h.sla_breaches, lb))
    rows += _duration_rows(lb("response_median"), lb("response_worst"), h.time_to_response,
                           h.time_to_response_previous, lb)
    rows.append(_compare_row(lb("response_sla_breaches"), h.response_breaches, lb))
    return Table(
        key="headline",
        title=lb("headline"),
        headers=(lb("figure"), lb("this_period"), lb("previous_period"), lb("change")),
        rows=tuple(rows),
        numeric=frozenset({1, 2, 3}),
    )


def sla_tables(d: Digest, lb: Labels) -> list[Table]:
    """Acknowledgement, then first response and resolution, per playbook.

    Two tables of seven and eight columns, not one of fourteen: one that wide does not fit a
    laptop screen, a printed page or a phone.
    """
    ack = Table(
        key="sla",
        title=lb("sla_ack"),
        headers=(
            lb("playbook"), lb("ack_target"), lb("incidents"), lb("acknowledged"),
            f"{lb('time_to_ack')} ({lb('median')})", f"{lb('time_to_ack')} ({lb('worst')})",
            lb("breaches"),
        ),
        rows=tuple(
            (
                r.playbook or lb("no_playbook"),
                lb.duration(r.ack_target_s),
                lb.number(r.incidents),
                lb.number(r.acknowledged),
                lb.duration(r.time_to_ack.median_s),
                lb.duration(r.time_to_ack.worst_s),
                lb.number(r.ack_breaches),
            )
            for r in d.sla
        ),
        numeric=frozenset(range(1, 7)),
        empty=lb("no_incidents"),
    )
    response = Table(
        key="sla_response",
        title=lb("sla_response"),
        headers=(
            lb("playbook"), lb("response_target"), lb("responded"), lb("response_median"),
            lb("response_breaches"), lb("resolved"), lb("resolve_median"), lb("resolve_worst"),
        ),
        rows=tuple(
            (
                r.playbook or lb("no_playbook"),
                lb.duration(r.response_target_s),
                lb.number(r.responded),
                lb.duration(r.time_to_response.median_s),
                lb.number(r.response_breaches),
                lb.number(r.resolved),
                lb.duration(r.time_to_resolve.median_s),
                lb.duration(r.time_to_resolve.worst_s),
            )
            for r in d.sla
        ),
        numeric=frozenset(range(1, 8)),
        empty=lb("no_incidents"),
    )
    return [ack, response]


def daily_table(d: Digest, lb: Labels) -> Table:
    rows = tuple(
        (lb.day(r.day) + f" ({r.day.isoformat()})", lb.number(r.positive), lb.number(r.neutral),
         lb.number(r.negative), lb.number(r.unscored), lb.number(r.total))
        for r in d.daily
    )
    return Table(
        key="trend",
        title=lb("trend"),
        headers=(lb("day"), lb("positive"), lb("neutral"), lb("negative_short"), lb("unscored"),
                 lb("total")),
        rows=rows,
        numeric=frozenset(range(1, 6)),
    )


def entity_table(d: Digest, lb: Labels) -> Table:
    rows = tuple(
        (
            r.name,
            lb.kind(r.kind),
            lb.number(r.mentions),
            lb.number(r.negative),
            lb.percent(r.negative / (r.positive + r.neutral + r.negative)
                       if (r.positive + r.neutral + r.negative) else None),
            lb.number(r.previous_mentions),
            lb.signed(r.mentions - r.previous_mentions),
        )
        for r in d.entities
    )
    return Table(
        key="entities",
        title=lb("by_entity"),
        headers=(lb("entity"), lb("kind"), lb("mentions"), lb("negative"), lb("negative_share"),
                 lb("previous_period"), lb("change")),
        rows=rows,
        numeric=frozenset(range(2, 7)),
    )


def voice_table(d: Digest, lb: Labels) -> Table:
    rows = tuple(
        (
            r.name + ("" if not r.own else f" ({lb('own')})"),
            lb.number(r.mentions),
            lb.percent(r.share),
            lb("no_mentions_short") if r.previous_share is None else lb.percent(r.previous_share),
            lb.number(r.positive),
            lb.number(r.neutral),
            lb.number(r.negative),
            lb.percent(r.negative_share),
            lb("n_a") if r.net_sentiment is None else f"{r.net_sentiment:+.2f}",
        )
        for r in d.voice
    )
    competitors = sum(1 for r in d.voice if not r.own)
    # Nothing to compare with is said in words: a bare "n/a" read as a fault (issue 18).
    no_previous = bool(rows) and all(r.previous_share is None for r in d.voice)
    return Table(
        key="voice",
        title=lb("voice"),
        headers=(lb("entity"), lb("mentions"), lb("share"),
                 f"{lb('share')} ({lb('previous_period')})", lb("positive"), lb("neutral"),
                 lb("negative"), lb("negative_share"), lb("net_sentiment")),
        rows=rows,
        numeric=frozenset(range(1, 9)),
        note=" ".join(
            ([lb("no_competitors")] if rows and not competitors else [])
            + ([lb("voice_no_previous")] if no_previous else [])
        ) or None,
    )


def matrix_table(d: Digest, lb: Labels) -> Table:
    """The heat map as a table: each cell's count, with its configured grade when known."""
    grades = d.matrix.table

    def cell(likelihood: int, impact: int) -> str:
        count = lb.number(d.matrix.counts[likelihood - 1][impact - 1])
        if grades is None:
            return count
        return f"{count} ({lb.grade(grades[likelihood - 1][impact - 1])})"

    rows = tuple(
        (f"{lb('likelihood')} {likelihood}", *(cell(likelihood, i) for i in range(1, 6)))
        for likelihood in range(5, 0, -1)
    )
    return Table(
        key="matrix",
        title=lb("matrix"),
        headers=("", *(f"{lb('impact')} {i}" for i in range(1, 6))),
        rows=rows if d.matrix.total else (),
        numeric=frozenset(range(1, 6)),
        empty=lb("no_incidents"),
    )


def _incident_cells(r: IncidentRow, lb: Labels) -> tuple[str, ...]:
    ack = lb.duration(r.time_to_ack_s)
    if r.ack_breached:
        ack += f" ({lb('breached')})"
    return (
        str(r.id),
        lb.grade(r.grade),
        r.entity_name,
        r.category or "-",
        lb.moment(r.first_seen_at),
        lb.state(r.state),
        ack,
        _cut(r.title),
    )


def _incident_headers(lb: Labels) -> tuple[str, ...]:
    return (lb("id"), lb("grade"), lb("entity"), lb("category"), lb("first_seen"), lb("state"),
            lb("time_to_ack"), lb("title_col"))


def incidents_table(d: Digest, lb: Labels) -> Table:
    return Table(
        key="incidents",
        title=lb("top_incidents"),
        headers=_incident_headers(lb),
        rows=tuple(_incident_cells(r, lb) for r in d.top_incidents),
        numeric=frozenset({0}),
        empty=lb("no_incidents"),
        row_marks=tuple(r.grade for r in d.top_incidents),
    )


def mention_cell(link: MentionLink | None, lb: Labels) -> str:
    """``weibo · 2026-11-10 11:00 UTC+8 · engagement 3,200`` (or a dash)."""
    if link is None:
        return NO_VALUE
    bits = [link.source_id, lb.moment(link.published_at)]
    if link.url is None:
        bits.insert(0, lb("mention_ref", id=link.id))
    if link.engagement is not None:
        bits.append(lb("engagement_of", value=lb.number(link.engagement)))
    return " · ".join(bits)


def stories_table(d: Digest, lb: Labels) -> Table:
    """The period's top stories with their first and most engaged mentions (linked when they
    have a web address); each title links to the first of its mentions that has one."""
    return Table(
        key="stories",
        title=lb("top_stories"),
        headers=(lb("story"), lb("mentions"), lb("source_count"), lb("first_seen"), lb("incident"),
                 lb("first_mention"), lb("top_mention"), lb("title_col")),
        rows=tuple(
            (f"#{r.id}", lb.number(r.mentions), lb.number(r.sources),
             lb.moment(r.first_seen_at), f"#{r.incident_id} ({lb.grade(r.grade)})"
             if r.incident_id is not None and r.grade else "–",
             mention_cell(r.first_mention, lb), mention_cell(r.top_mention, lb), _cut(r.title))
            for r in d.top_stories
        ),
        numeric=frozenset({1, 2}),
        empty=lb("no_stories"),
        row_marks=tuple(r.grade or "" for r in d.top_stories),
        links=tuple(r.url for r in d.top_stories),
        cell_links=tuple(
            (None,) * 5 + tuple(m.url if m else None for m in (r.first_mention, r.top_mention))
            for r in d.top_stories
        ),
    )


def themes_tables(d: Digest, lb: Labels) -> list[Table]:
    out = []
    for key, themes in (("themes_zh", d.themes.zh), ("themes_en", d.themes.en)):
        if themes:
            out.append(
                Table(
                    key=key,
                    title=lb(key),
                    headers=(lb("keyword"), lb("weight")),
                    rows=tuple((t.term, f"{t.weight:.2f}") for t in themes),
                    numeric=frozenset({1}),
                )
            )
    return out


def reach_tables(d: Digest, lb: Labels) -> list[Table]:
    sources = Table(
        key="sources",
        title=lb("sources"),
        headers=(lb("source"), lb("negative_mentions"), lb("negative_reach")),
        rows=tuple((r.name, lb.number(r.negative_mentions), _reach(r.negative_reach, lb))
                   for r in d.top_sources),
        numeric=frozenset({1, 2}),
        empty=lb("no_themes"),
    )
    authors = Table(
        key="authors",
        title=lb("authors"),
        headers=(lb("author"), lb("source"), lb("negative_mentions"), lb("negative_reach")),
        rows=tuple(
            (_cut(r.name, 80), r.source_id, lb.number(r.negative_mentions),
             _reach(r.negative_reach, lb))
            for r in d.top_authors
        ),
        numeric=frozenset({2, 3}),
        empty=lb("no_themes"),
    )
    return [sources, authors]


def _reach(value: int | None, lb: Labels) -> str:
    """A follower count, or "unknown" when no mention gave one (not 0: nobody counted)."""
    return lb("unknown") if value is None else lb.number(value)


def open_tables(d: Digest, lb: Labels) -> list[Table]:
    o = d.open_items

    def note(shown: int, total: int) -> str | None:
        return lb("showing", shown=shown, total=total) if total > shown else None

    return [
        Table(
            key="unacknowledged",
            title=f"{lb('unacknowledged')} ({o.unacknowledged_total})",
            headers=_incident_headers(lb),
            rows=tuple(_incident_cells(r, lb) for r in o.unacknowledged),
            numeric=frozenset({0}),
            note=note(len(o.unacknowledged), o.unacknowledged_total),
            empty=lb("none"),
            row_marks=tuple(r.grade for r in o.unacknowledged),
        ),
        Table(
            key="unresolved",
            title=f"{lb('unresolved')} ({o.unresolved_total})",
            headers=_incident_headers(lb),
            rows=tuple(_incident_cells(r, lb) for r in o.unresolved),
            numeric=frozenset({0}),
            note=note(len(o.unresolved), o.unresolved_total),
            empty=lb("none"),
            row_marks=tuple(r.grade for r in o.unresolved),
        ),
        Table(
            key="scripts",
            title=lb("scripts", days=o.script_window_days),
            headers=(lb("script"), lb("language"), lb("status"), lb("expires")),
            rows=tuple(
                (f"{s.id}" + (f" — {_cut(s.title, 60)}" if s.title else ""), s.lang,
                 _cut(s.reason, 100), lb.moment(s.expires_at))
                for s in o.scripts
            ),
            empty=lb("none"),
        ),
    ]


def _verdict(value: bool | None, lb: Labels) -> str:
    return NO_VALUE if value is None else lb("yes" if value else "no")


def _drill_cells(r: DrillRow, lb: Labels) -> tuple[str, ...]:
    if r.first_ack_s is not None:
        first_ack = lb.duration(r.first_ack_s)
    else:
        first_ack = lb("not_acknowledged") if r.incidents else NO_VALUE
    return (
        lb.moment(r.started_at),
        _cut(r.title, 80),
        lb.state(r.state),
        lb.grade(r.highest_grade),
        lb.number(r.alerts_sent),
        lb.number(r.escalation_level),
        first_ack,
        _verdict(r.ack_within_sla, lb),
        _verdict(r.expectations_met, lb),
    )


def drills_table(d: Digest, lb: Labels) -> Table:
    dr = d.drills
    note = None
    if dr.count:
        parts = [lb("drills_summary", count=dr.count, within=dr.ack_within_sla,
                    median=lb.duration(dr.first_ack.median_s))]
        if dr.unreadable:
            parts.append(lb("drills_unreadable", count=dr.unreadable))
        shown = len(dr.items)
        if shown < dr.count - dr.unreadable:
            parts.append(lb("showing", shown=shown, total=dr.count - dr.unreadable))
        note = " ".join(parts)
    return Table(
        key="drills",
        title=lb("drills"),
        headers=(lb("started"), lb("scenario"), lb("state"), lb("highest_grade"),
                 lb("alerts_sent"), lb("escalation_level"), lb("first_ack"),
                 lb("ack_within_sla"), lb("expectations_met")),
        rows=tuple(_drill_cells(r, lb) for r in dr.items),
        numeric=frozenset({4, 5}),
        note=note,
        # every report unreadable: no rows, so the note stands in for the table
        empty=note or lb("no_drills"),
        row_marks=tuple(r.highest_grade for r in dr.items),
    )
