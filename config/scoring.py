"""The ``scoring`` part of the settings: risk categories, their lexicons, and the risk matrix.

Field descriptions are user documentation. ``ScoringSettings.to_library()`` turns a validated
section into the plain values the classifiers library takes (``CategorySpec``s and a
``MatrixConfig``), merged over the shipped defaults in classifiers/lexicons/default.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from classifiers.matrix import (
    DEFAULT_ENGAGEMENT_WEIGHTS,
    DEFAULT_TABLE,
    MatrixConfig,
    validate_table,
)
from classifiers.risk_lexicon import CategorySpec, LexiconError, check_spec, load_categories

EntityKind = Literal["brand", "product", "executive", "competitor", "topic"]
Weight = Annotated[float, Field(gt=0, le=1)]
Steps = tuple[float, ...]
_CATEGORY_NAME = r"^[a-z][a-z0-9_]{0,63}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _ascending(value: tuple[float, ...]) -> tuple[float, ...]:
    if any(b < a for a, b in zip(value, value[1:], strict=False)):
        raise ValueError(f"thresholds must be in ascending order, got {list(value)}")
    return value


Tier = Literal[1, 2, 3]


def _tier_defaults() -> dict[Tier, int]:
    return {1: 2, 2: 1, 3: 0}  # same as classifiers.matrix.DEFAULT_TIER_POINTS (tested)


def _entity_defaults() -> dict[EntityKind, int]:
    return {"executive": 1, "brand": 0, "product": 0, "competitor": -1, "topic": -1}


class CategorySettings(_Model):
    """One risk category: overrides a shipped one with the same name, or adds a new one."""

    enabled: bool = Field(True, description="false removes a shipped category.")
    severity: int | None = Field(
        None, ge=1, le=5, description="1 nuisance .. 5 severe; required for a new category."
    )
    threshold: float | None = Field(
        None, gt=0, le=1, description="Score from which the category is reported (default 0.5)."
    )
    use_model: bool | None = Field(
        None, description="Combine with the shipped learned model where one exists."
    )
    replace_terms: bool = Field(
        False, description="true: these terms replace the shipped lexicon instead of adding to it."
    )
    description: str | None = Field(None, description="What the category means, for people.")
    negative_event: bool | None = Field(
        None, description="A bad event: positive words next to it are read as sarcasm."
    )
    cue_required: bool | None = Field(
        None, description="The learned model counts only when one of the terms is present."
    )
    cue_with: tuple[str, ...] | None = Field(
        None, description="As cue_required, only when one of these categories is also found."
    )
    lexicon_alone: bool | None = Field(
        None,
        description="The terms alone report the category at its threshold, whatever the "
        "fitted combination with a model says.",
    )
    requires_intent: str | None = Field(
        None, description="Reported only when this intent gets at least 50% (e.g. complaint)."
    )
    context: dict[str, tuple[str, ...]] | None = Field(
        None,
        description="Per language (zh, en): the terms of that language count only in a text "
        "that also has one of these context words (e.g. a product or a purchase).",
    )
    context_entities: tuple[str, ...] | None = Field(
        None,
        description="Kinds of watched entity (executive, product, ...) whose mentions need no "
        "context word: a post about the watched chief executive needs no role word.",
    )
    zh: dict[str, Weight] = Field(
        default_factory=dict,
        description="Chinese terms -> weight in (0, 1]; Traditional and Simplified both match.",
    )
    en: dict[str, Weight] = Field(
        default_factory=dict,
        description=(
            "English terms -> weight in (0, 1]; whole words (and their -s/-es form), "
            "trailing * for endings."
        ),
    )


class LikelihoodSettings(_Model):
    """Likelihood factors: a value earns one point per threshold it reaches."""

    negativity_steps: Steps = Field((0.6, 0.85), description="Negative-probability thresholds.")
    category_steps: Steps = Field((0.5, 0.8), description="Best category score thresholds.")
    spread_steps: Steps = Field((2.0, 5.0), description="Volume over baseline thresholds.")
    rumour_steps: Steps = Field((0.6,), description="Rumour-category score thresholds.")
    rumour_category: str = Field("misinformation_rumor", description="Category read as rumour.")
    ignore_categories: tuple[str, ...] = Field(
        ("spam",), description="Categories that never raise likelihood."
    )

    _check = field_validator("negativity_steps", "category_steps", "spread_steps", "rumour_steps")(
        _ascending
    )


class ImpactSettings(_Model):
    """Impact factors: ``base`` plus points, clamped to 1-5."""

    base: int = Field(1, ge=0, le=5, description="Impact points every mention starts with.")
    tier_points: dict[Tier, int] = Field(
        default_factory=_tier_defaults,
        description="Points per source tier (1 national news / verified big account .. 3).",
    )
    reach_steps: Steps = Field((10_000, 1_000_000), description="Author follower thresholds.")
    engagement_weights: dict[str, Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: dict(DEFAULT_ENGAGEMENT_WEIGHTS),
        description="Weight of each metric (reposts, comments, likes, views...) in engagement.",
    )
    engagement_steps: Steps = Field((100, 10_000), description="Weighted engagement thresholds.")
    severity_steps: tuple[int, ...] = Field((4, 5), description="Category severity thresholds.")
    entity_points: dict[EntityKind, int] = Field(
        default_factory=_entity_defaults,
        description="Points per kind of watched entity.",
    )

    _check = field_validator("reach_steps", "engagement_steps", "severity_steps")(_ascending)


Grade = Literal["none", "low", "medium", "high", "critical"]


class FloorSettings(_Model):
    """Lowest grade of a mention with a risk category (the source plans' levels)."""

    grade: Grade = Field("low", description="Any risk category (but `ignore`): at least this.")
    amplified_grade: Grade = Field(
        "medium", description="The same from a major source or a big account: at least this."
    )
    amplified_tier: Tier = Field(1, description="Source tiers up to this one count as major.")
    amplified_reach: int = Field(
        100_000, ge=0, description="Author followers from which an account counts as big."
    )
    ignore: tuple[str, ...] = Field(("spam",), description="Categories that set no floor.")


class MatrixSettings(_Model):
    """The risk matrix: factors, grade floors and the 5x5 grade table."""

    likelihood: LikelihoodSettings = Field(default_factory=LikelihoodSettings)  # type: ignore[arg-type]
    impact: ImpactSettings = Field(default_factory=ImpactSettings)  # type: ignore[arg-type]
    floors: FloorSettings = Field(default_factory=FloorSettings)  # type: ignore[arg-type]
    table: tuple[tuple[str, ...], ...] = Field(
        DEFAULT_TABLE,
        description="5 rows (likelihood 1-5) of 5 grades (impact 1-5): "
        "none, low, medium, high or critical.",
    )

    @field_validator("table")
    @classmethod
    def _five_by_five(cls, value: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        return validate_table(value)


@dataclass(frozen=True)
class ScoringLibrary:
    """What ``Scorer.load`` takes: categories and matrix configuration."""

    categories: tuple[CategorySpec, ...]
    matrix: MatrixConfig


class ScoringSettings(_Model):
    """Risk categories, lexicons and the risk matrix."""

    defaults: bool = Field(
        True, description="Start from the shipped categories and lexicons (false: only yours)."
    )
    models_dir: Path | None = Field(
        None,
        description="Folder of model files written by `crisiswatch train` (relative to this "
        "file); default: the shipped models.",
    )
    categories: dict[Annotated[str, Field(pattern=_CATEGORY_NAME)], CategorySettings] = Field(
        default_factory=dict, description="Category name -> overrides or a new category."
    )
    matrix: MatrixSettings = Field(default_factory=MatrixSettings)  # type: ignore[arg-type]

    @model_validator(mode="after")
    def _categories_resolve(self) -> ScoringSettings:
        known = {c.name for c in load_categories()} if self.defaults else set()
        for name, cat in self.categories.items():
            if cat.enabled and name not in known and cat.severity is None:
                raise ValueError(f"categories.{name}.severity: required for a new category")
        try:
            self._merged()
        except LexiconError as exc:
            raise ValueError(str(exc)) from exc
        return self

    def _merged(self) -> tuple[CategorySpec, ...]:
        base = {c.name: c for c in load_categories()} if self.defaults else {}
        for name, cat in self.categories.items():
            if not cat.enabled:
                base.pop(name, None)
                continue
            old = base.get(name)
            lexicon: dict[str, dict[str, float]] = {}
            for lang, terms in (("zh", cat.zh), ("en", cat.en)):
                start = (
                    {} if (old is None or cat.replace_terms) else dict(old.lexicon.get(lang, {}))
                )
                start.update(terms)
                lexicon[lang] = start
            spec = CategorySpec(
                name=name,
                severity=cat.severity if cat.severity is not None else old.severity,  # type: ignore[union-attr]
                threshold=cat.threshold
                if cat.threshold is not None
                else (old.threshold if old else 0.5),
                lexicon=lexicon,
                use_model=cat.use_model
                if cat.use_model is not None
                else (old.use_model if old else True),
                description=cat.description or (old.description if old else ""),
                negative_event=cat.negative_event
                if cat.negative_event is not None
                else (old.negative_event if old else False),
                cue_required=cat.cue_required
                if cat.cue_required is not None
                else (old.cue_required if old else False),
                cue_with=cat.cue_with
                if cat.cue_with is not None
                else (old.cue_with if old else ()),
                lexicon_alone=cat.lexicon_alone
                if cat.lexicon_alone is not None
                else (old.lexicon_alone if old else False),
                requires_intent=cat.requires_intent
                if cat.requires_intent is not None
                else (old.requires_intent if old else ""),
                context=cat.context if cat.context is not None else (old.context if old else {}),
                context_entities=cat.context_entities
                if cat.context_entities is not None
                else (old.context_entities if old else ()),
            )
            base[name] = check_spec(spec)
        return tuple(base.values())

    def to_library(self) -> ScoringLibrary:
        """Merge over the shipped defaults and convert to the classifiers' plain dataclasses."""
        lik, imp = self.matrix.likelihood, self.matrix.impact
        matrix = MatrixConfig(
            table=self.matrix.table,
            negativity_steps=lik.negativity_steps,
            category_steps=lik.category_steps,
            spread_steps=lik.spread_steps,
            rumour_steps=lik.rumour_steps,
            rumour_category=lik.rumour_category,
            likelihood_ignore=lik.ignore_categories,
            impact_base=imp.base,
            tier_points={int(k): v for k, v in imp.tier_points.items()},
            reach_steps=imp.reach_steps,
            engagement_weights=dict(imp.engagement_weights),
            engagement_steps=imp.engagement_steps,
            severity_steps=imp.severity_steps,
            entity_points={str(k): v for k, v in imp.entity_points.items()},
            floor_grade=self.matrix.floors.grade,
            amplified_grade=self.matrix.floors.amplified_grade,
            amplified_tier=self.matrix.floors.amplified_tier,
            amplified_reach=self.matrix.floors.amplified_reach,
            floor_ignore=self.matrix.floors.ignore,
        )
        return ScoringLibrary(categories=self._merged(), matrix=matrix)
