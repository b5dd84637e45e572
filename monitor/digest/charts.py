"""The digest's charts, drawn with matplotlib's Agg canvas and returned as PNG data URIs.

No pyplot: each chart is its own Figure on its own FigureCanvasAgg, so nothing global (backend,
current figure) changes and charts can be drawn from any thread.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

from monitor.digest.fonts_setup import ensure_fonts
from monitor.digest.labels import Labels
from monitor.digest.model import Digest
from playbooks import ALL_GRADES

COLOURS = {
    "positive": "#3a9d5d",
    "neutral": "#b8bec6",
    "negative": "#d64541",
    "unscored": "#e6e8eb",
    "own": "#2f6fb0",
    "competitor": "#e08a2c",
    "topic": "#8c96a3",
}
# Heat-map cell colour and the text written on it, per grade. Every pair reads at a contrast
# ratio of at least 4.5 (WCAG AA for normal text; tests/monitor/digest/test_digest_layout.py).
GRADE_STYLE: dict[str, tuple[str, str]] = {
    "none": ("#eef1f4", "#1f2933"),
    "low": ("#c8e6c9", "#1b3d1f"),
    "medium": ("#ffe08a", "#3d2c00"),
    "high": ("#e8590c", "#000000"),
    "critical": ("#a61e1e", "#ffffff"),
}
UNGRADED_STYLE = ("#ffffff", "#1f2933")  # no risk table configured: the count alone
DPI = 110


@dataclass(frozen=True, slots=True)
class Charts:
    """PNG data URIs (None when the chart would be empty)."""

    trend: str | None
    entities: str | None
    voice: str | None
    matrix: str | None


def _rc() -> dict[str, Any]:
    return {
        "font.family": list(ensure_fonts()),
        "font.size": 9,
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.fonttype": "none",
    }


def _png(figure: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.tight_layout()
    canvas.print_png(buffer)  # type: ignore[no-untyped-call]
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def render_charts(digest: Digest, labels: Labels) -> Charts:
    """Every chart of the digest (empty sections give None)."""
    import matplotlib

    with matplotlib.rc_context(_rc()):  # type: ignore[arg-type]
        return Charts(
            trend=trend_chart(digest, labels),
            entities=entity_chart(digest, labels),
            voice=voice_chart(digest, labels),
            matrix=matrix_chart(digest, labels),
        )


def trend_chart(digest: Digest, labels: Labels) -> str | None:
    """Stacked daily mentions by sentiment."""
    if not digest.daily or not any(d.total for d in digest.daily):
        return None
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.0, 3.2), dpi=DPI)
    axes = figure.add_subplot()
    positions = list(range(len(digest.daily)))
    bottom = [0] * len(positions)
    for key in ("negative", "neutral", "positive", "unscored"):
        values = [getattr(day, key) for day in digest.daily]
        axes.bar(positions, values, bottom=bottom, color=COLOURS[key], label=_name(labels, key),
                 width=0.7)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    step = max(1, len(positions) // 14)
    axes.set_xticks(positions[::step])
    axes.set_xticklabels([labels.day(d.day) for d in digest.daily][::step])
    axes.set_ylabel(labels("mentions_axis"))
    axes.set_title(labels("trend"), loc="left")
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return _png(figure)


def entity_chart(digest: Digest, labels: Labels) -> str | None:
    """Horizontal bars: mentions per entity, negative part in red."""
    rows = [r for r in digest.entities if r.mentions]
    if not rows:
        return None
    from matplotlib.figure import Figure

    rows = rows[:15][::-1]  # largest at the top
    figure = Figure(figsize=(8.0, 1.4 + 0.32 * len(rows)), dpi=DPI)
    axes = figure.add_subplot()
    positions = list(range(len(rows)))
    colours = [
        COLOURS["own"] if r.own else COLOURS["competitor" if r.kind == "competitor" else "topic"]
        for r in rows
    ]
    others = [r.mentions - r.negative for r in rows]
    axes.barh(positions, others, color=colours, height=0.6)
    axes.barh(positions, [r.negative for r in rows], left=others, color=COLOURS["negative"],
              height=0.6, label=_name(labels, "negative"))
    axes.set_yticks(positions)
    axes.set_yticklabels([f"{r.name} ({labels.kind(r.kind)})" for r in rows])
    for pos, row in zip(positions, rows, strict=True):
        axes.text(row.mentions, pos, f" {labels.number(row.mentions)}", va="center")
    axes.set_xlabel(labels("mentions_axis"))
    axes.set_title(labels("by_entity"), loc="left")
    handles = _kind_handles(rows, labels) + [_patch(COLOURS["negative"], _name(labels, "negative"))]
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return _png(figure)


def _kind_handles(rows: Any, labels: Labels) -> list[Any]:
    """One legend entry per bar colour present: own entities, competitors, other entities."""
    out = []
    for colour, name, present in (
        (COLOURS["own"], labels("own_entity"), any(r.own for r in rows)),
        (COLOURS["competitor"], labels.kind("competitor"),
         any(not r.own and r.kind == "competitor" for r in rows)),
        (COLOURS["topic"], labels("other_entities"),
         any(not r.own and r.kind != "competitor" for r in rows)),
    ):
        if present:
            out.append(_patch(colour, f"{name}: {labels('not_negative')}"))
    return out


def _patch(colour: str, label: str) -> Any:
    from matplotlib.patches import Patch

    return Patch(facecolor=colour, label=label)


def voice_chart(digest: Digest, labels: Labels) -> str | None:
    """Share of voice (left) and sentiment mix (right): the organisation against competitors."""
    rows = [r for r in digest.voice if r.mentions]
    if len(digest.voice) < 2 or not rows:
        return None
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.0, 0.9 + max(2.2, 0.45 * len(digest.voice))), dpi=DPI)
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.5]})
    colours = [COLOURS["own"] if r.own else COLOURS["competitor"] for r in rows]
    shades = [_shade(c, i) for i, c in enumerate(colours)]
    left.pie(
        [r.mentions for r in rows],
        labels=[r.name for r in rows],
        colors=shades,
        autopct="%1.0f%%",
        startangle=90,
        counterclock=False,
        wedgeprops={"width": 0.45, "edgecolor": "white"},
    )
    left.set_title(labels("share"), loc="left")
    voice = list(digest.voice)[::-1]
    positions = list(range(len(voice)))
    start = [0.0] * len(voice)
    for key in ("negative", "neutral", "positive"):
        shares = [
            getattr(r, key) / (r.positive + r.neutral + r.negative)
            if (r.positive + r.neutral + r.negative)
            else 0.0
            for r in voice
        ]
        right.barh(positions, shares, left=start, color=COLOURS[key], label=_name(labels, key),
                   height=0.6)
        start = [s + v for s, v in zip(start, shares, strict=True)]
    right.set_yticks(positions)
    right.set_yticklabels([r.name for r in voice])
    right.set_xlim(0, 1)
    right.xaxis.set_major_formatter(_percent_formatter())
    right.set_title(labels("sentiment_mix"), loc="left")
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False)
    return _png(figure)


def matrix_chart(digest: Digest, labels: Labels) -> str | None:
    """Likelihood (rows, 5 at the top) x impact: each cell in its configured grade's colour.

    The colour says how serious the cell is, the number how many incidents fell in it; a count
    shade would paint one incident in a low cell like a crisis.
    """
    if not digest.matrix.total:
        return None
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    counts = digest.matrix.counts
    table = digest.matrix.table
    figure = Figure(figsize=(5.6, 4.9), dpi=DPI)
    axes = figure.add_subplot()
    for row in range(5):
        likelihood = 5 - row
        for col in range(5):
            grade = table[likelihood - 1][col] if table is not None else None
            fill, ink = cell_style(grade)
            axes.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, facecolor=fill,
                                     edgecolor="white", linewidth=2))
            value = counts[likelihood - 1][col]
            axes.text(col, row - 0.06, str(value) if value else "·", ha="center", va="center",
                      fontsize=14 if value else 11, color=ink)  # the CJK face has no bold
            if grade is not None:
                axes.text(col, row + 0.3, labels.grade(grade), ha="center", va="center",
                          fontsize=8, color=ink)
    axes.set_xlim(-0.5, 4.5)
    axes.set_ylim(4.5, -0.5)
    axes.set_aspect("equal")
    axes.set_xticks(range(5))
    axes.set_xticklabels([str(i) for i in range(1, 6)])
    axes.set_yticks(range(5))
    axes.set_yticklabels([str(i) for i in range(5, 0, -1)])
    axes.tick_params(length=0)
    axes.set_xlabel(labels("impact"))
    axes.set_ylabel(labels("likelihood"))
    axes.set_title(labels("matrix"), loc="left")
    for spine in axes.spines.values():
        spine.set_visible(False)
    if table is not None:
        shown = [g for g in ALL_GRADES if any(g in row for row in table)]
        axes.legend(
            handles=[_patch(cell_style(g)[0], labels.grade(g)) for g in shown],
            title=labels("grade_legend"), title_fontsize=7, fontsize=8,
            loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=len(shown), frameon=False,
        )
    return _png(figure)


def cell_style(grade: str | None) -> tuple[str, str]:
    """(fill, text colour) of a heat-map cell of ``grade`` (None: no risk table)."""
    if grade is None:
        return UNGRADED_STYLE
    return GRADE_STYLE.get(grade, UNGRADED_STYLE)


def _shade(colour: str, index: int) -> str:
    """Successive competitors in lighter tints of the same colour."""
    if index == 0:
        return colour
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    mix = min(0.15 * index, 0.7)
    parts = (int(c + (255 - c) * mix) for c in (red, green, blue))
    return "#" + "".join(f"{p:02x}" for p in parts)


def _percent_formatter() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=0)


def _name(labels: Labels, sentiment: str) -> str:
    return labels("negative_short") if sentiment == "negative" else labels(sentiment)
