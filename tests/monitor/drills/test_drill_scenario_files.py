"""Scenario files: validation with file:line errors, placeholders, planning."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from config.loader import example_config_path, load_config
from monitor.drills.scenario import (
    ScenarioError,
    entity_words,
    find_scenario,
    load_scenario,
    plan_posts,
    shipped_scenarios,
)

GOOD = """\
id: tiny
title: Tiny
language: en
sources:
  x: {tier: 2}
run_for: 10m
timeline:
  - at: 0m
    source: x
    author: a
    text: "${brand} is down"
  - at: 1m
    source: x
    author: "user${n}"
    repeat: 3
    every: 2m
    texts: ["${brand} one", "${brand} two"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_scenarios_are_the_four_required_and_all_valid() -> None:
    shipped = shipped_scenarios()
    assert set(shipped) == {"product-safety-zh", "data-breach-en", "executive-rumour-zh",
                            "service-outage-en"}
    for name, path in shipped.items():
        scenario = load_scenario(path)
        assert scenario.id == name and scenario.expect is not None
        assert scenario.language == name.rsplit("-", 1)[1]
    assert find_scenario("service-outage-en") == shipped["service-outage-en"]


def test_plan_fills_placeholders_in_the_scenario_language_and_spaces_repeats(
        tmp_path: Path) -> None:
    entities = load_config(example_config_path()).settings.entities
    assert entity_words(entities, "zh")["brand"] == "澜沐乳业"
    assert entity_words(entities, "en")["brand"] == "Lumina Dairy"
    assert entity_words(entities, "zh")["executive"] == "陈浩然"
    posts = plan_posts(load_scenario(write(tmp_path, GOOD)), entity_words(entities, "en"))
    assert [p.offset for p in posts] == [timedelta(0), timedelta(minutes=1),
                                         timedelta(minutes=3), timedelta(minutes=5)]
    assert [p.text for p in posts] == ["Lumina Dairy is down", "Lumina Dairy one",
                                       "Lumina Dairy two", "Lumina Dairy one"]
    assert [p.author for p in posts[1:]] == ["user1", "user2", "user3"]
    assert len({p.external_id for p in posts}) == 4


def test_a_placeholder_without_an_entity_of_its_kind_is_named(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, GOOD.replace("${brand} is down", "${executive} quit")))
    with pytest.raises(ScenarioError, match=r"uses \$\{executive\} but the configuration has no "
                                            "entity of kind executive"):
        plan_posts(scenario, {"brand": "Acme"})


@pytest.mark.parametrize(("change", "message"), [
    (("source: x\n    author: a", "source: y\n    author: a"),
     ":8: timeline: Value error? |'y' is not one of sources"),
    (("run_for: 10m", "run_for: 4m"), "comes after run_for"),
    (("${brand} is down", "${brnd} is down"), "unknown placeholder ${brnd}"),
    (("${brand} is down", "{brand} is down"), "write placeholders as ${brand} in every language, "
                                              "not {brand}"),
    (("    text: \"${brand} is down\"", "    text: a\n    texts: [b]"),
     "give either text or texts"),
    (("  x: {tier: 2}", "  x: {tier: 7}"), "scenario.yaml:5: sources.x.tier: Input should be "
                                           "less than or equal to 3"),
    (("run_for: 10m", "run_for: soon"), "scenario.yaml:6: run_for: expected a duration"),
    (("language: en", "language: fr"), "scenario.yaml:3: language:"),
    (("title: Tiny", "title: Tiny\ncolour: red"), "scenario.yaml:3: colour: unknown key"),
])
def test_bad_scenarios_get_one_line_per_problem_with_file_and_line(
        tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    text = str(caught.value)
    wanted = message.split("|")[-1]
    assert wanted in text and str(path) in text, text
    assert all(line.startswith(str(path)) for line in caught.value.problems)


def test_yaml_syntax_errors_and_missing_files_are_clean(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"scenario.yaml:\d+: YAML syntax error"):
        load_scenario(write(tmp_path, "id: [unclosed\n"))
    with pytest.raises(ScenarioError, match="no such scenario file or shipped scenario"):
        find_scenario("no-such-drill")
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.yaml")
