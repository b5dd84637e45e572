"""The collector registry: each source kind's options checked with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.loader import ConfigError, Finding, example_config_path, load_config
from monitor.pipeline.sources import SOURCE_KINDS, check_sources, configured_sources

BASE = """\
version: 1
organisation: {name: Acme}
entities:
  - {id: acme, name: Acme, kind: brand}
sources:
"""


def _problems(tmp_path: Path, sources: str) -> list[str]:
    path = tmp_path / "cw.yaml"
    path.write_text(BASE + sources, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        configured_sources(load_config(path))
    return info.value.problems


def test_every_problem_of_every_source_is_named_with_its_line(tmp_path: Path) -> None:
    problems = _problems(tmp_path, """\
  - id: feed
    kind: rss
  - {id: file, kind: export, path: gone.csv, preset: twiter, tz: Mars/Olympus}
  - {id: bird, kind: carrier-pigeon}
  - {id: typo, kind: rss, url: "https://x.example/feed", ulr: oops}
""")
    where = str(tmp_path / "cw.yaml")
    assert f"{where}:6: sources[0].url: required key is missing" in problems
    assert any(p.startswith(f"{where}:8: sources[1].path: file not found") for p in problems)
    assert (f"{where}:8: sources[1].preset: unknown preset 'twiter' (did you mean 'twitter'?)"
            in problems)
    assert f"{where}:8: sources[1].tz: unknown time zone 'Mars/Olympus'" in problems
    assert any(p.startswith(f"{where}:9: sources[2].kind: unknown source kind 'carrier-pigeon'")
               and "export, rss" in p for p in problems)
    assert f"{where}:10: sources[3].ulr: unknown option (did you mean 'url'?)" in problems
    assert len(problems) == 6


def test_misspelt_kinds_get_a_suggestion_and_missing_feed_files_a_warning(
        tmp_path: Path) -> None:
    sources = """\
  - {id: a, kind: rsss, url: "https://x.example/feed"}
  - {id: b, kind: rss, url: feeds/gone.xml}
  - {id: c, kind: rss, url: "file://feeds/gone.xml"}
  - {id: d, kind: rss, url: "drill:scenario/feed"}
"""
    where = str(tmp_path / "cw.yaml")
    assert _problems(tmp_path, sources) == [
        f"{where}:6: sources[0].kind: unknown source kind 'rsss' (did you mean 'rss'?)",
    ]
    # a feed file that is not there yet fails each poll, recorded on the source: a warning
    gone = f"file not found: {tmp_path / 'feeds' / 'gone.xml'} (each poll fails until it exists)"
    assert check_sources(load_config(tmp_path / "cw.yaml")) == [
        Finding(("sources", 0, "kind"), "unknown source kind 'rsss' (did you mean 'rss'?)"),
        Finding(("sources", 1, "url"), gone, warning=True),
        Finding(("sources", 2, "url"), gone, warning=True),
    ]


def test_the_inbox_preset_is_checked_with_the_sources(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "  []\ninbox:\n  path: in\n  preset: twiter\n")
    where = str(tmp_path / "cw.yaml")
    assert problems == [
        f"{where}:9: inbox.preset: unknown preset 'twiter' (did you mean 'twitter'?)"
    ]


def test_the_bundled_example_configures_a_source_of_each_kind() -> None:
    loaded = load_config(example_config_path())
    sources = configured_sources(loaded)
    assert {s.settings.kind for s in sources.values()} == set(SOURCE_KINDS)
    for source in sources.values():
        assert Path(source.location(loaded.resolve)).is_file()


def test_a_bad_mapping_is_a_configuration_problem(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id,text\n1,Acme\n", encoding="utf-8")
    problems = _problems(tmp_path, "  - {id: f, kind: export, path: a.csv, mapping: {txt: x}}\n")
    assert len(problems) == 1 and "sources[0].mapping" in problems[0]
