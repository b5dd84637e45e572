"""The risk matrix: likelihood 1-5 x impact 1-5 -> grade, with the reasons for each.

Pure functions over plain values. Every factor is a step function over a configurable tuple of
thresholds: a value earns one point for each threshold it reaches (``value >= threshold``), so a
factor is made stronger by adding a threshold and weaker by removing one.

Likelihood (how likely this mention is a real, growing problem), ``0 + points`` clamped to 1..5:

- negativity: the sentiment model's negative probability, one point per ``negativity_steps``
  (default 0.6, 0.85).
- category confidence: the best score among the risk categories that count for likelihood
  (all but ``likelihood_ignore``, default spam), one point per ``category_steps`` (0.5, 0.8).
- spread velocity: the entity's current volume over its own baseline (``spread_ratio``, fed by
  spike detection; ``None`` while no baseline exists), one point per ``spread_steps`` (2.0, 5.0).
- rumour signal: the score of ``rumour_category`` (misinformation_rumor), one point per
  ``rumour_steps`` (0.6).

Impact (how much harm it can do), ``impact_base (1) + points`` clamped to 1..5:

- reach: the larger of the source tier's points (``tier_points``: tier 1 national news or a
  verified big account 2, tier 2 notable 1, tier 3 ordinary 0) and the author's followers, one
  point per ``reach_steps`` (10k, 1M).
- engagement: the weighted sum of the metrics (``engagement_weights``: reposts, shares and
  comments 1, likes 0.2, views 0.01), one point per ``engagement_steps`` (100, 10k).
- category severity: the highest severity among the categories present, one point per
  ``severity_steps`` (4, 5).
- entity kind: ``entity_points`` (executive +1, brand 0, product 0, competitor -1, topic -1).

Grade floors (the source plans' levels: low = an individual bad review or report, medium = a
small-scale issue): a mention with any risk category except ``floor_ignore`` (spam) is at
least ``floor_grade`` (low) whatever the table says, and at least ``amplified_grade``
(medium) when its source tier is ``amplified_tier`` (1) or better or its author reaches
``amplified_reach`` (100k) followers. A raised grade says so in a third reason. Without a
category the table alone decides, so praise, questions and neutral news stay ``none``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from classifiers.risk_lexicon import CategoryScore

GRADES: tuple[str, ...] = ("none", "low", "medium", "high", "critical")

# Rows are likelihood 1..5 (top to bottom), columns impact 1..5 (left to right):
#
#                 impact 1   impact 2   impact 3   impact 4   impact 5
#   likelihood 1  none       none       none       none       low
#   likelihood 2  none       low        low        medium     medium
#   likelihood 3  low        low        medium     high       high
#   likelihood 4  low        medium     high       high       critical
#   likelihood 5  medium     high       high       critical   critical
DEFAULT_TABLE: tuple[tuple[str, ...], ...] = (
    ("none", "none", "none", "none", "low"),
    ("none", "low", "low", "medium", "medium"),
    ("low", "low", "medium", "high", "high"),
    ("low", "medium", "high", "high", "critical"),
    ("medium", "high", "high", "critical", "critical"),
)

DEFAULT_ENGAGEMENT_WEIGHTS: Mapping[str, float] = {
    "reposts": 1.0,
    "shares": 1.0,
    "retweets": 1.0,
    "comments": 1.0,
    "replies": 1.0,
    "likes": 0.2,
    "views": 0.01,
}
DEFAULT_TIER_POINTS: Mapping[int, int] = {1: 2, 2: 1, 3: 0}
DEFAULT_ENTITY_POINTS: Mapping[str, int] = {
    "executive": 1,
    "brand": 0,
    "product": 0,
    "competitor": -1,
    "topic": -1,
}


def validate_table(table: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], ...]:
    """Check a 5x5 grade table and return it as tuples; ValueError names the row/column."""
    rows = list(table)
    if len(rows) != 5:
        raise ValueError(f"risk table must have 5 rows (likelihood 1-5), got {len(rows)}")
    out: list[tuple[str, ...]] = []
    for r, row in enumerate(rows, start=1):
        if isinstance(row, str) or len(row) != 5:
            size = "a string" if isinstance(row, str) else f"{len(row)} columns"
            raise ValueError(f"risk table row {r} (likelihood {r}) must have 5 columns, got {size}")
        for c, grade in enumerate(row, start=1):
            if grade not in GRADES:
                raise ValueError(
                    f"risk table row {r} (likelihood {r}) column {c} (impact {c}): unknown grade "
                    f"{grade!r} (expected one of {', '.join(GRADES)})"
                )
        out.append(tuple(row))
    return tuple(out)


def _check_steps(name: str, steps: Sequence[float]) -> None:
    if any(b < a for a, b in zip(steps, steps[1:], strict=False)):
        raise ValueError(f"{name} must be in ascending order, got {list(steps)}")


@dataclass(frozen=True)
class MatrixConfig:
    """Every factor of the risk matrix; see the module docstring for what each one means."""

    table: tuple[tuple[str, ...], ...] = DEFAULT_TABLE
    negativity_steps: tuple[float, ...] = (0.6, 0.85)
    category_steps: tuple[float, ...] = (0.5, 0.8)
    spread_steps: tuple[float, ...] = (2.0, 5.0)
    rumour_steps: tuple[float, ...] = (0.6,)
    rumour_category: str = "misinformation_rumor"
    likelihood_ignore: tuple[str, ...] = ("spam",)
    impact_base: int = 1
    tier_points: Mapping[int, int] = field(default_factory=lambda: dict(DEFAULT_TIER_POINTS))
    reach_steps: tuple[float, ...] = (10_000, 1_000_000)
    engagement_weights: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_ENGAGEMENT_WEIGHTS)
    )
    engagement_steps: tuple[float, ...] = (100, 10_000)
    severity_steps: tuple[int, ...] = (4, 5)
    entity_points: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_ENTITY_POINTS))
    floor_grade: str = "low"
    amplified_grade: str = "medium"
    amplified_tier: int = 1
    amplified_reach: int = 100_000
    floor_ignore: tuple[str, ...] = ("spam",)

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", validate_table(self.table))
        for name in ("floor_grade", "amplified_grade"):
            if getattr(self, name) not in GRADES:
                raise ValueError(f"{name} must be one of {', '.join(GRADES)}")
        for name in (
            "negativity_steps",
            "category_steps",
            "spread_steps",
            "rumour_steps",
            "reach_steps",
            "engagement_steps",
            "severity_steps",
        ):
            _check_steps(name, getattr(self, name))


@dataclass(frozen=True)
class RiskSignals:
    """Everything the matrix looks at for one mention."""

    negative_prob: float | None = None
    categories: tuple[CategoryScore, ...] = ()
    spread_ratio: float | None = None
    source_tier: int = 3
    author_reach: int | None = None
    metrics: Mapping[str, int] = field(default_factory=dict)
    entity_kind: str | None = None


@dataclass(frozen=True)
class Assessment:
    """A place on the matrix and why: ``reasons`` is (likelihood_reason, impact_reason)."""

    likelihood: int
    impact: int
    grade: str
    reasons: tuple[str, ...]
    likelihood_reason: str
    impact_reason: str


def steps(value: float, thresholds: Sequence[float]) -> int:
    """Points earned by a value: one for each threshold it reaches."""
    return sum(1 for t in thresholds if value >= t)


def human_count(n: float) -> str:
    """Compact counts for reasons: 950, 1.5k, 12k, 2.3M."""
    n = max(0.0, float(n))
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            value = n / size
            text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
            return text.removesuffix(".0") + suffix
    return f"{n:.0f}"


def _clamp(value: int) -> int:
    return max(1, min(5, value))


def _finite(value: float | None) -> float | None:
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return None
    return float(value)


def _category_text(cat: CategoryScore) -> str:
    text = f"{cat.category} {cat.score:.2f}"
    if cat.evidence:
        text += f" ({', '.join(cat.evidence[:3])})"
    return text


def likelihood(signals: RiskSignals, config: MatrixConfig) -> tuple[int, str]:
    """Likelihood 1-5 and its reason, e.g. ``likelihood 4: 91% negative, ...``."""
    points = 0
    parts: list[str] = []
    neg = _finite(signals.negative_prob)
    if neg is None:
        parts.append("sentiment unknown")
    else:
        neg = min(1.0, max(0.0, neg))
        points += steps(neg, config.negativity_steps)
        parts.append(f"{neg * 100:.0f}% negative")
    counted = [c for c in signals.categories if c.category not in config.likelihood_ignore]
    if counted:
        top = max(counted, key=lambda c: c.score)
        points += steps(top.score, config.category_steps)
        parts.append(_category_text(top))
    else:
        parts.append("no risk category")
    ratio = _finite(signals.spread_ratio)
    if ratio is None:
        parts.append("no volume baseline")
    else:
        ratio = max(0.0, ratio)
        points += steps(ratio, config.spread_steps)
        parts.append(f"{ratio:.1f}x baseline volume")
    rumour = next((c for c in signals.categories if c.category == config.rumour_category), None)
    if rumour is not None:
        gained = steps(rumour.score, config.rumour_steps)
        points += gained
        if gained:
            parts.append(f"rumour signal {rumour.score:.2f}")
    value = _clamp(points)
    return value, f"likelihood {value}: {', '.join(parts)}"


def _engagement(metrics: Mapping[str, int], weights: Mapping[str, float]) -> tuple[float, str]:
    total = 0.0
    shown: list[str] = []
    for key, raw in metrics.items():
        try:
            count = max(0.0, float(raw))
        except (TypeError, ValueError):
            continue
        if count != count or count == float("inf"):
            continue
        total += count * weights.get(key, 0.0)
        if count > 0:
            shown.append(f"{human_count(count)} {key}")
    return total, ", ".join(shown) if shown else "no engagement"


def impact(signals: RiskSignals, config: MatrixConfig) -> tuple[int, str]:
    """Impact 1-5 and its reason, e.g. ``impact 3: tier-2 source, 12k reposts, severity 5 ...``."""
    parts: list[str] = []
    tier = signals.source_tier if signals.source_tier in config.tier_points else 3
    reach_points = config.tier_points.get(tier, 0)
    parts.append(f"tier-{tier} source")
    if signals.author_reach is not None and signals.author_reach >= 0:
        reach_points = max(reach_points, steps(signals.author_reach, config.reach_steps))
        parts.append(f"{human_count(signals.author_reach)} followers")
    total, engagement_text = _engagement(signals.metrics, config.engagement_weights)
    points = reach_points + steps(total, config.engagement_steps)
    parts.append(engagement_text)
    if signals.categories:
        worst = max(signals.categories, key=lambda c: (c.severity, c.score))
        points += steps(worst.severity, config.severity_steps)
        parts.append(f"severity {worst.severity} category ({worst.category})")
    else:
        parts.append("no risk category")
    if signals.entity_kind:
        kind_points = config.entity_points.get(signals.entity_kind, 0)
        points += kind_points
        parts.append(f"{signals.entity_kind} entity ({kind_points:+d})")
    value = _clamp(config.impact_base + points)
    return value, f"impact {value}: {', '.join(parts)}"


def grade_for(likelihood_value: int, impact_value: int, config: MatrixConfig) -> str:
    """The table cell for a likelihood and an impact, both 1-5."""
    return config.table[_clamp(likelihood_value) - 1][_clamp(impact_value) - 1]


def floor(signals: RiskSignals, config: MatrixConfig) -> tuple[str, str]:
    """The lowest grade this mention may get and why ("none", "" when no category counts)."""
    counted = [c for c in signals.categories if c.category not in config.floor_ignore]
    if not counted:
        return "none", ""
    top = max(counted, key=lambda c: (c.severity, c.score)).category
    reach = signals.author_reach or 0
    if signals.source_tier <= config.amplified_tier or reach >= config.amplified_reach:
        where = (
            f"tier-{signals.source_tier} source"
            if signals.source_tier <= config.amplified_tier
            else f"{human_count(reach)} followers"
        )
        return config.amplified_grade, f"at least {config.amplified_grade}: {top} from a {where}"
    return config.floor_grade, f"at least {config.floor_grade}: {top} reported"


def assess(*, signals: RiskSignals, config: MatrixConfig) -> Assessment:
    """Place one mention on the risk matrix with its reasons."""
    lik, lik_reason = likelihood(signals, config)
    imp, imp_reason = impact(signals, config)
    grade = grade_for(lik, imp, config)
    reasons: tuple[str, ...] = (lik_reason, imp_reason)
    lowest, why = floor(signals, config)
    if GRADES.index(lowest) > GRADES.index(grade):
        grade, reasons = lowest, (*reasons, why)
    return Assessment(
        likelihood=lik,
        impact=imp,
        grade=grade,
        reasons=reasons,
        likelihood_reason=lik_reason,
        impact_reason=imp_reason,
    )
