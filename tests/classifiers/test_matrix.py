"""The risk matrix: every table cell, every factor edge, reasons, table validation."""

from __future__ import annotations

import pytest

from classifiers.matrix import (
    DEFAULT_TABLE,
    Assessment,
    MatrixConfig,
    RiskSignals,
    assess,
    human_count,
    impact,
    likelihood,
    validate_table,
)
from classifiers.risk_lexicon import CategoryScore

DEFAULT_GRID = [
    # impact:  1         2         3         4           5
    ["none", "none", "none", "none", "low"],  # likelihood 1
    ["none", "low", "low", "medium", "medium"],  # likelihood 2
    ["low", "low", "medium", "high", "high"],  # likelihood 3
    ["low", "medium", "high", "high", "critical"],  # likelihood 4
    ["medium", "high", "high", "critical", "critical"],  # likelihood 5
]
CUSTOM_GRID = [
    ["none", "low", "low", "medium", "high"],
    ["low", "low", "medium", "high", "high"],
    ["low", "medium", "high", "high", "critical"],
    ["medium", "high", "high", "critical", "critical"],
    ["high", "high", "critical", "critical", "critical"],
]
CELLS = [(lik, imp) for lik in range(1, 6) for imp in range(1, 6)]


def cat(
    name: str, score: float, severity: int = 1, evidence: tuple[str, ...] = ()
) -> CategoryScore:
    return CategoryScore(name, score, severity, evidence, "lexicon")


def signals_for(lik: int, imp: int) -> RiskSignals:
    """Signals that earn exactly ``lik`` likelihood points and ``imp - 1`` impact points."""
    neg_points = min(lik, 2)
    spread_points = min(lik - neg_points, 2)
    cat_points = lik - neg_points - spread_points
    tier_points = min(imp - 1, 2)
    engagement_points = imp - 1 - tier_points
    return RiskSignals(
        negative_prob=(0.1, 0.6, 0.85)[neg_points],
        categories=(cat("customer_complaint", 0.5, severity=1),) if cat_points else (),
        spread_ratio=(1.0, 2.0, 5.0)[spread_points],
        source_tier=3 - tier_points,
        metrics={"reposts": (0, 100, 10_000)[engagement_points]},
    )


def test_default_table_is_the_documented_grid() -> None:
    assert [list(row) for row in DEFAULT_TABLE] == DEFAULT_GRID


@pytest.mark.parametrize(("lik", "imp"), CELLS)
def test_default_table_cell(lik: int, imp: int) -> None:
    result = assess(signals=signals_for(lik, imp), config=MatrixConfig())
    assert (result.likelihood, result.impact) == (lik, imp)
    assert result.grade == DEFAULT_GRID[lik - 1][imp - 1]


@pytest.mark.parametrize(("lik", "imp"), CELLS)
def test_custom_table_cell(lik: int, imp: int) -> None:
    config = MatrixConfig(table=tuple(tuple(row) for row in CUSTOM_GRID))
    result = assess(signals=signals_for(lik, imp), config=config)
    assert (result.likelihood, result.impact) == (lik, imp)
    assert result.grade == CUSTOM_GRID[lik - 1][imp - 1]


def lik_of(**kwargs: object) -> int:
    return likelihood(RiskSignals(**kwargs), MatrixConfig())[0]  # type: ignore[arg-type]


def imp_of(**kwargs: object) -> int:
    return impact(RiskSignals(**kwargs), MatrixConfig())[0]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("neg", "points"),
    [(0.0, 0), (0.5999, 0), (0.6, 1), (0.8499, 1), (0.85, 2), (1.0, 2), (1.7, 2), (-3.0, 0)],
)
def test_negativity_edges(neg: float, points: int) -> None:
    # One spread point on top, so that a single negativity point shows above the clamp at 1.
    assert lik_of(negative_prob=neg, spread_ratio=2.0) == 1 + points


@pytest.mark.parametrize(("score", "points"), [(0.4999, 0), (0.5, 1), (0.7999, 1), (0.8, 2)])
def test_category_confidence_edges(score: float, points: int) -> None:
    base = RiskSignals(negative_prob=0.85, categories=(cat("product_safety", score, 5),))
    assert likelihood(base, MatrixConfig())[0] == 2 + points


def test_ignored_category_does_not_raise_likelihood() -> None:
    signals = RiskSignals(negative_prob=0.85, categories=(cat("spam", 0.99),))
    value, reason = likelihood(signals, MatrixConfig())
    assert value == 2
    assert "no risk category" in reason


@pytest.mark.parametrize(
    ("ratio", "points"),
    [(None, 0), (0.0, 0), (1.999, 0), (2.0, 1), (4.999, 1), (5.0, 2), (80.0, 2)],
)
def test_spread_edges(ratio: float | None, points: int) -> None:
    assert lik_of(negative_prob=0.85, spread_ratio=ratio) == 2 + points


@pytest.mark.parametrize(("score", "points"), [(0.5999, 0), (0.6, 1)])
def test_rumour_edges(score: float, points: int) -> None:
    # The rumour category also counts as category confidence (0.5..0.8 -> one point).
    signals = RiskSignals(negative_prob=0.85, categories=(cat("misinformation_rumor", score, 4),))
    value, reason = likelihood(signals, MatrixConfig())
    assert value == 3 + points
    assert ("rumour signal" in reason) == bool(points)


def test_likelihood_clamps_at_five() -> None:
    signals = RiskSignals(
        negative_prob=0.99,
        categories=(cat("misinformation_rumor", 0.95, 4),),
        spread_ratio=30.0,
    )
    assert likelihood(signals, MatrixConfig())[0] == 5


@pytest.mark.parametrize(("tier", "expected"), [(1, 3), (2, 2), (3, 1), (9, 1), (0, 1)])
def test_tier_points(tier: int, expected: int) -> None:
    assert imp_of(source_tier=tier) == expected


@pytest.mark.parametrize(
    ("followers", "expected"), [(0, 1), (9_999, 1), (10_000, 2), (999_999, 2), (1_000_000, 3)]
)
def test_reach_edges(followers: int, expected: int) -> None:
    assert imp_of(author_reach=followers) == expected


def test_reach_and_tier_take_the_larger_not_the_sum() -> None:
    assert imp_of(source_tier=1, author_reach=2_000_000) == 3
    assert imp_of(source_tier=2, author_reach=2_000_000) == 3


@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        ({"reposts": 99}, 1),
        ({"reposts": 100}, 2),
        ({"likes": 499}, 1),
        ({"likes": 500}, 2),  # likes weigh 0.2
        ({"views": 9_999}, 1),
        ({"views": 10_000}, 2),  # views weigh 0.01
        ({"reposts": 60, "comments": 40}, 2),
        ({"reposts": 9_999}, 2),
        ({"reposts": 10_000}, 3),
        ({"unknown_metric": 10**9}, 1),
        ({"reposts": -50}, 1),
    ],
)
def test_engagement_edges(metrics: dict[str, int], expected: int) -> None:
    assert imp_of(metrics=metrics) == expected


@pytest.mark.parametrize(("severity", "expected"), [(1, 1), (3, 1), (4, 2), (5, 3)])
def test_severity_edges(severity: int, expected: int) -> None:
    assert imp_of(categories=(cat("x", 0.9, severity),)) == expected


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("executive", 3), ("brand", 2), ("product", 2), ("competitor", 1), ("topic", 1), ("odd", 2)],
)
def test_entity_kind_points(kind: str, expected: int) -> None:
    assert imp_of(source_tier=2, entity_kind=kind) == expected


def test_impact_clamps_both_ends() -> None:
    assert imp_of(source_tier=3, entity_kind="competitor") == 1
    big = RiskSignals(
        source_tier=1,
        metrics={"reposts": 50_000},
        categories=(cat("product_safety", 0.9, 5),),
        entity_kind="executive",
    )
    assert impact(big, MatrixConfig())[0] == 5


def test_reasons_read_like_the_issue_example() -> None:
    signals = RiskSignals(
        negative_prob=0.91,
        categories=(cat("product_safety", 0.78, 5, ("過敏", "recall")),),
        spread_ratio=6.0,
        source_tier=2,
        metrics={"reposts": 12_000},
    )
    result = assess(signals=signals, config=MatrixConfig())
    assert result.likelihood_reason == (
        "likelihood 5: 91% negative, product_safety 0.78 (過敏, recall), 6.0x baseline volume"
    )
    assert result.impact_reason == (
        "impact 5: tier-2 source, 12k reposts, severity 5 category (product_safety)"
    )
    assert result.reasons == (result.likelihood_reason, result.impact_reason)
    assert result.grade == "critical"


def test_reasons_present_for_grade_none() -> None:
    result = assess(signals=RiskSignals(), config=MatrixConfig())
    assert result.grade == "none"
    assert result.likelihood_reason == (
        "likelihood 1: sentiment unknown, no risk category, no volume baseline"
    )
    assert result.impact_reason == "impact 1: tier-3 source, no engagement, no risk category"


@pytest.mark.parametrize(("lik", "imp"), CELLS)
def test_every_assessment_has_reasons(lik: int, imp: int) -> None:
    result = assess(signals=signals_for(lik, imp), config=MatrixConfig())
    assert isinstance(result, Assessment)
    assert result.likelihood_reason.startswith(f"likelihood {lik}: ")
    assert result.impact_reason.startswith(f"impact {imp}: ")
    assert len(result.reasons) == 2 and all(len(r) > 12 for r in result.reasons)


def test_non_finite_inputs_are_treated_as_unknown() -> None:
    signals = RiskSignals(negative_prob=float("nan"), spread_ratio=float("inf"))
    value, reason = likelihood(signals, MatrixConfig())
    assert value == 1
    assert "sentiment unknown" in reason and "no volume baseline" in reason


def test_configured_factors_change_points() -> None:
    config = MatrixConfig(
        negativity_steps=(0.3,),
        spread_steps=(1.5, 3.0, 6.0),
        impact_base=2,
        entity_points={"executive": 2},
        engagement_weights={"likes": 1.0},
        engagement_steps=(10,),
    )
    signals = RiskSignals(
        negative_prob=0.35, spread_ratio=6.0, entity_kind="executive", metrics={"likes": 10}
    )
    assert likelihood(signals, config)[0] == 4
    assert impact(signals, config)[0] == 5


def test_invalid_tables_are_rejected_with_row_and_column() -> None:
    with pytest.raises(ValueError, match="5 rows"):
        MatrixConfig(table=DEFAULT_TABLE[:4])
    bad_width = tuple(DEFAULT_TABLE[:2]) + (DEFAULT_TABLE[2] + ("low",),) + DEFAULT_TABLE[3:]
    with pytest.raises(ValueError, match=r"row 3 \(likelihood 3\) must have 5 columns"):
        MatrixConfig(table=bad_width)
    rows = [list(r) for r in DEFAULT_GRID]
    rows[2][3] = "severe"
    with pytest.raises(ValueError, match=r"row 3 \(likelihood 3\) column 4 \(impact 4\).*'severe'"):
        validate_table(rows)
    with pytest.raises(ValueError, match="row 1"):
        validate_table(["none none none none none"] * 5)


def test_descending_thresholds_are_rejected() -> None:
    with pytest.raises(ValueError, match="spread_steps"):
        MatrixConfig(spread_steps=(5.0, 2.0))


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0"), (950, "950"), (1_000, "1k"), (1_500, "1.5k"), (12_000, "12k"), (2_300_000, "2.3M")],
)
def test_human_count(n: int, text: str) -> None:
    assert human_count(n) == text


def test_a_risk_category_is_at_least_low_and_amplified_at_least_medium() -> None:
    harm = (cat("product_safety", 0.6, severity=5),)
    quiet = assess(signals=RiskSignals(negative_prob=0.1, categories=harm), config=MatrixConfig())
    assert quiet.grade == "low" and quiet.reasons[2] == "at least low: product_safety reported"
    for loud in (
        RiskSignals(negative_prob=0.1, categories=harm, source_tier=1),
        RiskSignals(negative_prob=0.1, categories=harm, author_reach=100_000),
    ):
        got = assess(signals=loud, config=MatrixConfig())
        assert got.grade == "medium" and got.reasons[2].startswith("at least medium: ")
    below = RiskSignals(negative_prob=0.1, categories=harm, author_reach=99_999)
    assert assess(signals=below, config=MatrixConfig()).grade == "low"


def test_floors_never_lower_a_grade_and_skip_spam_and_no_category() -> None:
    assert assess(signals=signals_for(5, 5), config=MatrixConfig()).grade == "critical"
    spam = RiskSignals(negative_prob=0.1, categories=(cat("spam", 0.9),), source_tier=1)
    assert assess(signals=spam, config=MatrixConfig()).grade == "none"
    plain = assess(signals=RiskSignals(negative_prob=0.9), config=MatrixConfig())
    assert plain.grade == "none" and len(plain.reasons) == 2  # a bad review alone: the table


def test_floor_settings_are_validated_and_configurable() -> None:
    with pytest.raises(ValueError, match="floor_grade"):
        MatrixConfig(floor_grade="severe")
    off = MatrixConfig(floor_grade="none", amplified_grade="none")
    harm = RiskSignals(negative_prob=0.1, categories=(cat("product_safety", 0.6, 5),))
    assert assess(signals=harm, config=off).grade == "none"
