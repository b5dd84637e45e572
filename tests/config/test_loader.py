from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from config.durations import format_duration, parse_duration
from config.loader import ConfigError, example_config_path, load_config

MINIMAL = """\
version: 1
organisation: {name: Acme}
entities:
  - {id: acme, name: Acme, kind: brand}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cw.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_example_is_valid() -> None:
    loaded = load_config(example_config_path())
    settings = loaded.settings
    kinds = {e.kind for e in settings.entities}
    assert {"brand", "product", "executive", "competitor"} <= kinds
    assert sum(e.kind == "competitor" for e in settings.entities) == 2
    assert any(any("\u4e00" <= ch <= "\u9fff" for a in e.aliases for ch in a)
               for e in settings.entities)
    assert {s.kind for s in settings.sources} == {"rss", "export"}


def test_minimal_config_gets_defaults(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, MINIMAL)).settings
    assert settings.organisation.timezone == "UTC"
    assert settings.storage.url is None
    assert settings.sources == ()


def test_every_error_is_reported_with_line_and_key_path(tmp_path: Path) -> None:
    text = MINIMAL + """\
  - {id: Bad Id, name: X, kind: planet}
sources:
  - id: feed
    kind: rss
    interval: soon
  - id: feed2
    kind: carrier-pigeon
colour: blue
"""
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    problems = info.value.problems
    joined = "\n".join(problems)
    assert "entities[1].id" in joined and "entities[1].kind" in joined
    assert "sources[0].interval: expected a duration like 15m" in joined
    assert "colour: unknown key" in joined
    assert all(p.startswith(str(tmp_path / "cw.yaml") + ":") for p in problems)
    interval = next(p for p in problems if "interval" in p)
    assert interval.split(":")[1] == "9"  # the line of `interval: soon`


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, MINIMAL + "  - id: x\n    name: a: b\n"))
    assert "YAML syntax error" in str(info.value)
    assert ":6:" in str(info.value) and "mapping values are not allowed" in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


def test_duplicate_ids_and_unknown_timezone(tmp_path: Path) -> None:
    text = MINIMAL.replace("{name: Acme}", "{name: Acme, timezone: Mars/Olympus}") + (
        "  - {id: acme, name: Again, kind: brand}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    joined = str(info.value)
    assert "unknown time zone 'Mars/Olympus'" in joined


@pytest.mark.parametrize(
    ("text", "expected"),
    [("15m", timedelta(minutes=15)), ("1h30m", timedelta(minutes=90)), ("2d", timedelta(days=2)),
     (90, timedelta(seconds=90)), ("1w", timedelta(weeks=1))],
)
def test_durations(text: object, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected


@pytest.mark.parametrize("bad", ["soon", "", "15 minutes", -1, True, "5x"])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_misspelt_keys_and_values_get_a_suggestion(tmp_path: Path) -> None:
    text = """\
version: 1
organisation: {name: Acme, locale: zh-cn}
entitis: []
entities:
  - {id: acme, name: Acme, kind: brnad, alias: [A]}
incidents: {spike: {ration: 4}}
"""
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    problems = info.value.problems
    path = tmp_path / "cw.yaml"
    assert f"{path}:3: entitis: unknown key (did you mean 'entities'?)" in problems
    assert any(p.startswith(f"{path}:5: entities[0].kind: ") and "(did you mean 'brand'?)" in p
               for p in problems)
    assert f"{path}:5: entities[0].alias: unknown key (did you mean 'aliases'?)" in problems
    assert f"{path}:6: incidents.spike.ration: unknown key (did you mean 'ratio'?)" in problems
    assert any(p.startswith(f"{path}:2: organisation.locale: ") and "did you mean" not in p
               and "'zh'" in p for p in problems)
    # the one entity is bad: that is its error, not that the list has too few entities
    assert not any("entities:" in p for p in problems)


def test_a_key_far_from_every_known_one_gets_the_reference(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, MINIMAL + "colour: blue\n"))
    (problem,) = info.value.problems
    assert problem.endswith("colour: unknown key (check the spelling; see the configuration "
                            "reference)")


@pytest.mark.skipif(not __import__("yaml").__with_libyaml__, reason="PyYAML without libyaml")
def test_the_configuration_is_parsed_by_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    # the pure-Python parser costs a tenth of a CPU-second on every command
    import yaml

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed with the pure-Python YAML loader")

    monkeypatch.setattr(yaml.SafeLoader, "__init__", refuse)
    loaded = load_config(example_config_path())
    assert loaded.settings.organisation
