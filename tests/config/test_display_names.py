"""Entities and the organisation carry per-language display names; the example gives them."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.loader import ConfigError, load_config
from config.schema import Entity


def test_display_name_falls_back_from_region_to_language_to_name() -> None:
    entity = Entity(
        id="a",
        name="Lumina Dairy",
        kind="brand",
        display_names={"zh": "澜沐乳业", "zh-Hant": "瀾沐乳業"},
    )
    assert entity.display_name("zh") == "澜沐乳业"
    assert entity.display_name("zh-CN") == "澜沐乳业"
    assert entity.display_name("zh-Hant") == "瀾沐乳業"
    assert entity.display_name("en") == entity.display_name(None) == "Lumina Dairy"


def test_the_example_names_every_entity_and_the_organisation_in_chinese() -> None:
    settings = load_config(None).settings
    assert settings.organisation.display_name("zh") == "澜沐乳业"
    assert all(e.display_name("zh") != e.name for e in settings.entities)


@pytest.mark.parametrize(
    ("names", "problem"),
    [
        ("{ZH: 澜沐}", "'ZH' is not a language tag (expected e.g. zh, en, zh-Hant)"),
        ('{zh: "澜沐\\u202e乳业"}', "expected one printable line"),
        ("{zh: ''}", "expected one printable line"),
    ],
)
def test_bad_display_names_are_one_line_errors_with_the_line(
    tmp_path: Path, names: str, problem: str
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "version: 1\norganisation: {name: X}\nentities:\n"
        f"  - {{id: a, name: A, kind: brand, display_names: {names}}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    line = caught.value.problems[0]
    assert problem in line and "c.yaml:4: entities[0].display_names" in line
