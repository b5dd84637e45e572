"""``crisiswatch init``: a configuration that passes ``check-config`` as written, with the sample
files its sources read, never overwriting a file without ``--force``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from config.loader import example_config_path
from monitor.cli.main import cli


@pytest.fixture()
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRISISWATCH_CONFIG", raising=False)
    monkeypatch.delenv("CRISISWATCH_DATABASE_URL", raising=False)

    def invoke(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def written(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_init_writes_a_configuration_that_checks_clean(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out = run("init")
    assert code == 0, out
    assert written(tmp_path) == [
        "crisiswatch.yaml",
        "samples/exports/weibo_comments.csv",
        "samples/exports/x_mentions.csv",
        "samples/feeds/news_en.xml",
        "samples/feeds/weibo_zh.xml",
    ]
    assert (tmp_path / "crisiswatch.yaml").read_text("utf-8") == example_config_path().read_text(
        "utf-8"
    )
    assert "crisiswatch check-config crisiswatch.yaml" in out
    code, out = run("check-config", "crisiswatch.yaml")
    assert code == 0 and out.strip().endswith(
        "OK (5 entities, 4 sources, inbox crisiswatch-data/inbox)"
    ), out
    code, out = run("poll", "--json")
    assert code == 0, out


def test_init_into_a_new_folder(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out = run("init", "team/risk")
    assert code == 0, out
    assert "crisiswatch check-config team/risk/crisiswatch.yaml" in out
    code, out = run("check-config", "team/risk/crisiswatch.yaml")
    assert code == 0 and "OK" in out, out


def test_init_never_overwrites_without_force(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "samples" / "feeds").mkdir(parents=True)
    mine = tmp_path / "samples" / "feeds" / "news_en.xml"
    mine.write_text("my own feed", encoding="utf-8")
    code, out = run("init")
    assert code == 1
    assert out.strip() == (
        f"error: {Path('samples/feeds/news_en.xml')} exists; nothing was "
        "written (--force overwrites)"
    )
    assert written(tmp_path) == ["samples/feeds/news_en.xml"]
    assert mine.read_text("utf-8") == "my own feed"
    code, out = run("init", "--force")
    assert code == 0, out
    assert mine.read_text("utf-8") != "my own feed" and len(written(tmp_path)) == 5


def test_init_into_a_file_is_one_clear_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    code, out = run("init", "taken")
    assert code == 1
    assert out.startswith("error: taken: ") and len(out.strip().splitlines()) == 1
