"""The executive summary: templated sentences in the organisation's locale, from the figures.

No language model: each sentence is a label template filled from the digest, and each is said
only when its figure exists (no "n/a" in prose). In order: the biggest story (or, without
stories, the most serious incident), mentions against the previous period, the negative share,
incidents opened, SLA breaches, and what is still open.
"""

from __future__ import annotations

from monitor.digest.labels import Labels
from monitor.digest.model import Digest

MAX_TITLE = 100
SEVERE = ("high", "critical")


def _title(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_TITLE else flat[: MAX_TITLE - 1] + "…"


def _biggest(d: Digest, lb: Labels) -> list[str]:
    if d.top_stories:
        story = d.top_stories[0]
        out = [
            lb(
                "story_biggest",
                title=_title(story.title),
                mentions=lb.number(story.mentions),
                sources=lb.number(story.sources),
            )
        ]
        if story.incident_id is not None and story.grade:
            out.append(lb("story_incident", id=story.incident_id, grade=lb.grade(story.grade)))
        return out
    if d.top_incidents:
        row = d.top_incidents[0]
        return [
            lb(
                "incident_biggest",
                id=row.id,
                grade=lb.grade(row.grade),
                entity=row.entity_name,
                title=_title(row.title),
            )
        ]
    return []


def _mentions(d: Digest, lb: Labels) -> list[str]:
    m = d.headline.mentions
    now, before = int(m.current or 0), int(m.previous or 0)
    if not now and not before:
        return []
    if not before:
        return [lb("mentions_new", now=lb.number(now))]
    if not now:
        return [lb("mentions_gone", before=lb.number(before))]
    if now == before:
        return [lb("mentions_same", now=lb.number(now))]
    key = "mentions_up" if now > before else "mentions_down"
    return [lb(key, now=lb.number(now), before=lb.number(before), pct=lb.change_pct(m.change_pct))]


def _negative(d: Digest, lb: Labels) -> list[str]:
    share = d.headline.negative_share
    if share.current is None:
        return []
    if share.previous is None:
        return [lb("negative_share_only", now=lb.percent(share.current))]
    return [
        lb(
            "negative_share_change",
            now=lb.percent(share.current),
            before=lb.percent(share.previous),
            change=lb.signed(share.change, percent_points=True),
        )
    ]


def _incidents(d: Digest, lb: Labels) -> list[str]:
    h = d.headline
    now, before = int(h.incidents.current or 0), int(h.incidents.previous or 0)
    if not now and not before:
        return []
    out = [lb("incidents_change", now=lb.number(now), change=lb.signed(h.incidents.change))]
    severe = sum(g.current for g in h.incidents_by_grade if g.grade in SEVERE)
    if severe:
        out.append(lb("incidents_severe", severe=lb.number(severe)))
    ack, response = int(h.sla_breaches.current or 0), int(h.response_breaches.current or 0)
    if ack or response:
        out.append(lb("sla_breached", ack=lb.number(ack), response=lb.number(response)))
    elif now:
        out.append(lb("sla_clean"))
    return out


def _open(d: Digest, lb: Labels) -> list[str]:
    o = d.open_items
    if o.unacknowledged_total or o.unresolved_total:
        out = [
            lb(
                "open_summary",
                unack=lb.number(o.unacknowledged_total),
                unresolved=lb.number(o.unresolved_total),
            )
        ]
    else:
        out = [lb("nothing_open")]
    overdue = d.next_steps.overdue if d.next_steps else 0
    if overdue:
        out.append(lb("steps_overdue", count=lb.number(overdue)))
    return out


def executive_summary(digest: Digest, labels: Labels) -> tuple[str, ...]:
    """The summary's sentences, in the labels' locale."""
    lead = [labels("empty")] if digest.meta.empty else []
    return tuple(
        lead
        + _biggest(digest, labels)
        + _mentions(digest, labels)
        + _negative(digest, labels)
        + _incidents(digest, labels)
        + _open(digest, labels)
    )
