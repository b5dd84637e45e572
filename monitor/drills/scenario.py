"""Drill scenarios: a crisis timeline in YAML, validated with file:line errors.

Texts name the organisation through placeholders written as in response scripts, ``${brand}``,
``${product}``, ``${executive}`` and ``${competitor}`` (``${n}`` numbers repeated posts),
filled from the configuration's first entity of that kind (an alias in the scenario's
language), so a shipped scenario rehearses any organisation's own watchlist.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from classifiers.languages import LANGUAGES
from config.durations import Duration, format_duration
from config.loader import describe_errors, parse_yaml
from config.schema import Entity
from playbooks import ALL_GRADES
from playbooks.scripts import ScriptTemplate, placeholder_problem


def _known_grade(value: str) -> str:
    if value not in ALL_GRADES:
        raise ValueError(f"must be one of {', '.join(ALL_GRADES)}")
    return value


Grade = Annotated[str, AfterValidator(_known_grade)]
PLACEHOLDERS = {"brand": "brand", "product": "product", "executive": "executive",
                "competitor": "competitor"}
_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_CJK = re.compile(r"[\u3400-\u9fff]")


class ScenarioError(Exception):
    """A scenario that cannot be run; ``problems`` holds one ``file:line: key: problem`` each."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioSource(_Model):
    """Where the scenario's posts appear (a source of the drill database)."""

    tier: int = Field(2, ge=1, le=3, description="Source tier: 1 national/major .. 3 ordinary.")
    name: str | None = Field(None, description="Readable name, e.g. 'Weibo'.")


class Post(_Model):
    """One post of the timeline, or ``repeat`` of them ``every`` apart (a pile-on)."""

    at: Duration = Field(description="When it appears, after the drill starts: 0m, 12m, 1h30m.")
    source: str = Field(description="A key of ``sources``.")
    author: str = Field(description="Author name; ``${n}`` numbers repeated posts.")
    text: str | None = Field(None, description="The post's text (placeholders allowed).")
    texts: tuple[str, ...] = Field((), description="Texts cycled through by repeated posts.")
    title: str | None = Field(None, description="Headline, for news items.")
    reach: int = Field(0, ge=0, description="The author's followers / audience.")
    likes: int = Field(0, ge=0)
    reposts: int = Field(0, ge=0)
    comments: int = Field(0, ge=0)
    views: int = Field(0, ge=0)
    repeat: int = Field(1, ge=1, le=2000, description="How many such posts.")
    every: Duration = Field(timedelta(seconds=30), description="Spacing of repeated posts.")

    @model_validator(mode="after")
    def _one_text(self) -> Post:
        if (self.text is None) == (not self.texts):
            raise ValueError("give either text or texts")
        return self


class Background(_Model):
    """Ordinary chatter before the drill, so volume spikes have a baseline to stand out from
    (a drill database starts empty, and an entity without history never spikes)."""

    mentions_per_hour: float = Field(2.0, ge=0, description="Per entity, every hour.")
    negative_share: float = Field(0.2, ge=0, le=1, description="Share of them negative.")
    days: int = Field(14, ge=1, le=60, description="How much history.")


class Expect(_Model):
    """What the drill should show when nobody responds (checked in the report)."""

    highest_grade: Grade = Field(description="The highest grade any incident reaches.")
    reached: dict[Grade, Duration] = Field(
        default_factory=dict, description="Grade -> reached no later than this drill time."
    )
    escalation_level: int | None = Field(
        None, ge=1, description="The highest escalation level alerted while nobody acknowledges."
    )
    incidents: int | None = Field(
        None, ge=1, description="How many incidents the drill opens (one per real-world story)."
    )


class Scenario(_Model):
    """A crisis timeline to replay."""

    version: Literal[1] = 1
    id: str = Field(pattern=_ID)
    title: str
    language: str
    description: str = ""
    sources: dict[str, ScenarioSource] = Field(min_length=1)
    run_for: Duration = Field(description="Drill length, from the start.")
    background: Background | None = Field(None, description="Volume history to seed.")
    timeline: tuple[Post, ...] = Field(min_length=1)
    expect: Expect | None = None

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        for i, post in enumerate(self.timeline):
            if post.source not in self.sources:
                raise ValueError(f"timeline[{i}].source: {post.source!r} is not one of "
                                 f"sources ({', '.join(self.sources)})")
            last = post.at + post.every * (post.repeat - 1)
            if last > self.run_for:
                raise ValueError(f"timeline[{i}]: its last post ({format_duration(last)}) "
                                 f"comes after run_for ({format_duration(self.run_for)})")
        for i, post in enumerate(self.timeline):
            for text in (post.author, post.text, post.title, *post.texts):
                problem = placeholder_problem(text or "", {*PLACEHOLDERS, "n"})
                if problem is not None:
                    raise ValueError(f"timeline[{i}]: {problem}")
        return self

    def placeholders(self) -> set[str]:
        """The placeholders the texts use (each needs an entity of that kind)."""
        used: set[str] = set()
        for post in self.timeline:
            for text in (post.text, post.title, *post.texts):
                used |= set(_fields(text or "")) & set(PLACEHOLDERS)
        return used


def _fields(text: str) -> Iterator[str]:
    yield from ScriptTemplate(text).get_identifiers()


def _fill(text: str, values: Mapping[str, str]) -> str:
    return ScriptTemplate(text).substitute(values)


@dataclass(frozen=True, slots=True)
class PlannedPost:
    """One post with its placeholders filled, at its offset from the drill start."""

    offset: timedelta
    source: str
    external_id: str
    author: str
    text: str
    title: str | None
    reach: int
    metrics: Mapping[str, int]


def shipped_scenarios() -> dict[str, Path]:
    """Scenario id -> path of the scenarios shipped with crisiswatch."""
    folder = resources.files("config").joinpath("drills")
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir()
            if str(p).endswith(".yaml")}


def find_scenario(name: str) -> Path:
    """A scenario file path, or the id of a shipped scenario."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    shipped = shipped_scenarios()
    if name in shipped:
        return shipped[name]
    raise ScenarioError([f"{name}: no such scenario file or shipped scenario "
                         f"(shipped: {', '.join(sorted(shipped))})"])


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario; ScenarioError lists every problem with file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{path}: cannot read: {exc}"]) from None
    try:
        data, root = parse_yaml(text, path)
    except ValueError as exc:
        raise ScenarioError([str(exc)]) from None
    if not isinstance(data, dict):
        raise ScenarioError([f"{path}:1: expected a mapping (id, title, timeline, ...)"])
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(list(describe_errors(exc, path, root))) from None


def entity_words(entities: Sequence[Entity], language: str) -> dict[str, str]:
    """Placeholder -> the first entity of that kind, named in ``language`` where it can be."""
    words: dict[str, str] = {}
    for placeholder, kind in PLACEHOLDERS.items():
        entity = next((e for e in entities if e.kind == kind), None)
        if entity is None:
            continue
        names = [entity.name, *entity.aliases]
        if language == "zh":
            pick = next((n for n in entity.aliases if _CJK.search(n)), entity.name)
        else:
            pick = next((n for n in names if not _CJK.search(n)), entity.name)
        words[placeholder] = pick.split(" (")[0]
    return words


def plan_posts(scenario: Scenario, words: Mapping[str, str]) -> list[PlannedPost]:
    """Every post of the timeline in time order, placeholders filled.

    Raises ScenarioError when a placeholder has no entity of its kind in the configuration.
    """
    missing = sorted(scenario.placeholders() - set(words))
    if missing:
        raise ScenarioError([
            f"scenario {scenario.id}: uses ${{{name}}} but the configuration has no entity of "
            f"kind {PLACEHOLDERS[name]}" for name in missing
        ])
    planned: list[PlannedPost] = []
    for i, post in enumerate(scenario.timeline):
        texts = post.texts or (post.text or "",)
        for n in range(post.repeat):
            fill = {**words, "n": str(n + 1)}
            planned.append(PlannedPost(
                offset=post.at + post.every * n,
                source=post.source,
                external_id=f"{scenario.id}:{i}:{n}",
                author=_fill(post.author, fill),
                text=_fill(texts[n % len(texts)], fill),
                title=_fill(post.title, fill) if post.title else None,
                reach=post.reach,
                metrics={k: v for k, v in (("likes", post.likes), ("reposts", post.reposts),
                                           ("comments", post.comments), ("views", post.views))
                         if v},
            ))
    planned.sort(key=lambda p: p.offset)
    return planned
