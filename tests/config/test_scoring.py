"""The scoring settings: defaults, merging over the shipped lexicons, errors naming key paths."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from classifiers.matrix import DEFAULT_TABLE, MatrixConfig, RiskSignals, assess
from classifiers.risk_lexicon import load_categories
from config.scoring import ScoringSettings

CUSTOM_TABLE = [
    ["none", "low", "low", "medium", "high"],
    ["low", "low", "medium", "high", "high"],
    ["low", "medium", "high", "high", "critical"],
    ["medium", "high", "high", "critical", "critical"],
    ["high", "high", "critical", "critical", "critical"],
]


def errors(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        ScoringSettings.model_validate(data)
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in info.value.errors()]


def test_empty_section_gives_the_shipped_defaults() -> None:
    lib = ScoringSettings.model_validate({}).to_library()
    assert lib.categories == load_categories()
    assert lib.matrix == MatrixConfig()


def test_overrides_merge_over_the_shipped_lexicon() -> None:
    lib = ScoringSettings.model_validate(
        {
            "categories": {
                "product_safety": {"severity": 3, "threshold": 0.7, "zh": {"起皮": 0.5}},
                "spam": {"enabled": False},
                "recall_watch": {"severity": 5, "en": {"recall notice": 0.9}},
            }
        }
    ).to_library()
    by_name = {c.name: c for c in lib.categories}
    shipped = {c.name: c for c in load_categories()}
    assert "spam" not in by_name
    safety = by_name["product_safety"]
    assert (safety.severity, safety.threshold) == (3, 0.7)
    assert safety.lexicon["zh"]["起皮"] == 0.5
    assert safety.lexicon["zh"]["过敏"] == shipped["product_safety"].lexicon["zh"]["过敏"]
    assert by_name["recall_watch"].lexicon == {"zh": {}, "en": {"recall notice": 0.9}}


def test_replace_terms_and_no_defaults() -> None:
    lib = ScoringSettings.model_validate(
        {
            "defaults": False,
            "categories": {"complaint": {"severity": 2, "zh": {"投诉": 0.7}}},
        }
    ).to_library()
    assert [c.name for c in lib.categories] == ["complaint"]
    replaced = ScoringSettings.model_validate(
        {"categories": {"spam": {"replace_terms": True, "en": {"buy now": 0.8}}}}
    ).to_library()
    spam = next(c for c in replaced.categories if c.name == "spam")
    assert spam.lexicon == {"zh": {}, "en": {"buy now": 0.8}}


def test_custom_table_and_factors_reach_the_matrix() -> None:
    lib = ScoringSettings.model_validate(
        {
            "matrix": {
                "table": CUSTOM_TABLE,
                "likelihood": {"spread_steps": [1.5, 3, 6]},
                "impact": {"base": 2, "entity_points": {"executive": 2}},
            }
        }
    ).to_library()
    assert lib.matrix.table == tuple(tuple(r) for r in CUSTOM_TABLE)
    assert lib.matrix.spread_steps == (1.5, 3.0, 6.0)
    result = assess(signals=RiskSignals(entity_kind="executive"), config=lib.matrix)
    assert (result.likelihood, result.impact, result.grade) == (1, 4, "medium")


@pytest.mark.parametrize(("lik", "imp"), [(r, c) for r in range(1, 6) for c in range(1, 6)])
def test_configured_table_cell_by_cell(lik: int, imp: int) -> None:
    matrix = ScoringSettings.model_validate({"matrix": {"table": CUSTOM_TABLE}}).to_library().matrix
    assert matrix.table[lik - 1][imp - 1] == CUSTOM_TABLE[lik - 1][imp - 1]
    assert matrix.table != DEFAULT_TABLE


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        (
            {"categories": {"product_safety": {"zh": {"過敏": 1.5}}}},
            "categories.product_safety.zh.過敏",
            "less than or equal to 1",
        ),
        (
            {"categories": {"product_safety": {"severity": 7}}},
            "categories.product_safety.severity",
            "less than or equal to 5",
        ),
        ({"categories": {"Bad-Name": {"severity": 2}}}, "categories.Bad-Name.[key]", "pattern"),
        ({"categories": {"x": {"severity": 2, "fr": {}}}}, "categories.x.fr", "Extra inputs"),
        ({"matrix": {"table": [["none"] * 5] * 4}}, "matrix.table", "5 rows"),
        (
            {"matrix": {"likelihood": {"spread_steps": [5, 2]}}},
            "matrix.likelihood.spread_steps",
            "ascending",
        ),
        (
            {"matrix": {"impact": {"tier_points": {4: 1}}}},
            "matrix.impact.tier_points.4.[key]",
            "Input should be",
        ),
        (
            {"matrix": {"impact": {"entity_points": {"ceo": 1}}}},
            "matrix.impact.entity_points.ceo.[key]",
            "Input should be",
        ),
        (
            {"matrix": {"impact": {"engagement_weights": {"likes": -1}}}},
            "matrix.impact.engagement_weights.likes",
            "greater than or equal to 0",
        ),
        ({"matrixx": {}}, "matrixx", "Extra inputs"),
    ],
)
def test_validation_errors_name_the_key_path(data: dict[str, Any], path: str, message: str) -> None:
    found = errors(data)
    assert any(loc == path and message in msg for loc, msg in found), found


def test_table_errors_name_row_and_column() -> None:
    table = [list(r) for r in CUSTOM_TABLE]
    table[1][4] = "severe"
    ((loc, msg),) = errors({"matrix": {"table": table}})
    assert loc == "matrix.table"
    assert "row 2 (likelihood 2) column 5 (impact 5)" in msg and "'severe'" in msg


def test_new_category_needs_a_severity() -> None:
    ((_, msg),) = errors({"categories": {"new_cat": {"zh": {"x": 0.5}}}})
    assert "categories.new_cat.severity: required for a new category" in msg


def test_bad_terms_name_the_category_and_term() -> None:
    ((_, msg),) = errors({"categories": {"product_safety": {"en": {"recall!": 0.5}}}})
    assert "categories.product_safety.en.recall!" in msg


def test_floors_and_category_context_reach_the_library() -> None:
    lib = ScoringSettings.model_validate(
        {
            "matrix": {"floors": {"grade": "none", "amplified_reach": 5000, "ignore": []}},
            "categories": {
                "spam": {"negative_event": True, "cue_required": True, "lexicon_alone": True},
                "misinformation_rumor": {"lexicon_alone": False},
            },
        }
    ).to_library()
    assert lib.matrix.floor_grade == "none" and lib.matrix.amplified_reach == 5000
    assert lib.matrix.floor_ignore == ()
    spam = next(c for c in lib.categories if c.name == "spam")
    assert spam.negative_event and spam.cue_required and spam.lexicon_alone
    rumour = next(c for c in lib.categories if c.name == "misinformation_rumor")
    assert not rumour.lexicon_alone and rumour.cue_with == ("crisis_relevance",)
    shipped = ScoringSettings().to_library().categories
    assert next(c for c in shipped if c.name == "misinformation_rumor").lexicon_alone
    assert errors({"matrix": {"floors": {"grade": "huge"}}})[0][0] == "matrix.floors.grade"
