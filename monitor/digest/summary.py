"""The digest's key figures as a few plain lines: the chat summary and the email's text part."""

from __future__ import annotations

from monitor.digest.executive import executive_summary
from monitor.digest.labels import Labels
from monitor.digest.model import Digest, IncidentRow

MAX_TOP = 5


def digest_title(digest: Digest, labels: Labels) -> str:
    """``Weekly risk digest 2026-W47 — Lumina Dairy``."""
    meta = digest.meta
    title = labels.title(meta.kind, meta.period.days)
    return f"{title} {meta.period.label} — {meta.organisation}"


def summary_lines(digest: Digest, labels: Labels) -> list[str]:
    """Key figures against the previous period, one per line (plain text, not escaped)."""
    lb = labels
    h = digest.headline
    if digest.meta.empty:
        lines = [lb("empty")]
    else:
        pct = lb.change_pct(h.mentions.change_pct)
        lines = [
            f"{lb('mentions')}: {lb.number(h.mentions.current)}"
            + (f" ({pct})" if pct else ""),
            f"{lb('negative_share')}: {lb.percent(h.negative_share.current)} "
            f"({lb.signed(h.negative_share.change, percent_points=True)})",
        ]
    grades = ", ".join(
        f"{lb.grade(g.grade)} {g.current}" for g in reversed(h.incidents_by_grade) if g.current
    )
    lines.append(
        f"{lb('incidents')}: {lb.number(h.incidents.current)} ({lb.signed(h.incidents.change)})"
        + (f" — {grades}" if grades else "")
    )
    if h.time_to_ack.count:
        lines.append(
            f"{lb('time_to_ack')}: {lb('median')} {lb.duration(h.time_to_ack.median_s)}, "
            f"{lb('worst')} {lb.duration(h.time_to_ack.worst_s)}"
        )
    if h.time_to_resolve.count:
        lines.append(
            f"{lb('time_to_resolve')}: {lb('median')} {lb.duration(h.time_to_resolve.median_s)}, "
            f"{lb('worst')} {lb.duration(h.time_to_resolve.worst_s)}"
        )
    lines.append(
        f"{lb('sla_breaches')}: {lb.number(h.sla_breaches.current)} "
        f"({lb.signed(h.sla_breaches.change)})"
    )
    if h.time_to_response.count:
        lines.append(
            f"{lb('time_to_response')}: {lb('median')} "
            f"{lb.duration(h.time_to_response.median_s)}, "
            f"{lb('worst')} {lb.duration(h.time_to_response.worst_s)}"
        )
    lines.append(
        f"{lb('response_sla_breaches')}: {lb.number(h.response_breaches.current)} "
        f"({lb.signed(h.response_breaches.change)})"
    )
    if len(digest.voice) > 1 and digest.voice[0].share is not None:
        others = ", ".join(f"{r.name} {lb.percent(r.share, 0)}" for r in digest.voice[1:4])
        lines.append(f"{lb('share')}: {lb.percent(digest.voice[0].share, 0)} ({others})")
    o = digest.open_items
    lines.append(
        f"{lb('open_items')}: {lb('unacknowledged')} {o.unacknowledged_total}, "
        f"{lb('unresolved')} {o.unresolved_total}, {lb('script')} {len(o.scripts)}, "
        f"{lb('drills')} {digest.drills.count}"
    )
    return lines


def incident_line(row: IncidentRow, labels: Labels) -> str:
    """``#12 high · Lumina Kids · product_safety — title``."""
    bits = [labels.grade(row.grade), row.entity_name] + ([row.category] if row.category else [])
    title = " ".join(row.title.split())[:120]
    return f"#{row.id} " + " · ".join(bits) + (f" — {title}" if title else "")


def top_incident_lines(digest: Digest, labels: Labels, limit: int = MAX_TOP) -> list[str]:
    return [incident_line(row, labels) for row in digest.top_incidents[:limit]]


def summary_text(digest: Digest, labels: Labels) -> str:
    """Title, the executive summary, key figures and the top incidents as plain text."""
    out = [digest_title(digest, labels), ""]
    sentences = executive_summary(digest, labels)
    if sentences:
        out += [("" if labels.locale == "zh" else " ").join(sentences), ""]
    out += [f"- {line}" for line in summary_lines(digest, labels)]
    top = top_incident_lines(digest, labels)
    if top:
        out += ["", labels("top_incidents") + ":"] + [f"- {line}" for line in top]
    return "\n".join(out) + "\n"
