"""The command line: clean one-line errors, JSON output, the ingest commands on the example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli.main import cli


@pytest.fixture()
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRISISWATCH_CONFIG", raising=False)
    monkeypatch.delenv("CRISISWATCH_DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def test_help_lists_the_commands(run) -> None:  # type: ignore[no-untyped-def]
    code, out = run("--help")
    assert code == 0
    for command in ("ingest", "poll", "sources", "mentions", "check-config", "db"):
        assert command in out


def test_poll_example_then_show(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out = run("poll", "--json")
    assert code == 0, out
    results = json.loads(out)
    assert len(results) == 4 and all(r["new"] > 0 for r in results)
    assert (tmp_path / "crisiswatch-data" / "crisiswatch.sqlite").is_file()
    code, out = run("poll")
    assert code == 0 and "new 0" in out and "new 1" not in out
    code, out = run("mentions", "--entity", "chen-haoran", "--json", "--limit", "50")
    rows = json.loads(out)
    assert rows and all("chen-haoran" in r["entities"] for r in rows)
    code, out = run("mentions", "--since", "2026-11-18T03:00", "--limit", "3")
    assert code == 0 and len(out.strip().splitlines()) == 3
    code, out = run("sources")
    assert "news-en" in out and "weibo-export" in out


def test_check_config_reports_every_problem(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\norganisation: {name: X}\nentities:\n"
        "  - {id: a, name: A, kind: brand, query: 'acme AND (milk'}\n"
        "sources:\n  - {id: s, kind: rss}\n",
        encoding="utf-8",
    )
    code, out = run("check-config", str(bad))
    assert code == 1
    assert "Traceback" not in out
    assert "sources[0].url: required key is missing" in out
    assert "entity 'a'" in out and "position" in out  # every problem, not only the first
    bad.write_text(
        "version: 1\norganisation: {name: X}\nentities:\n"
        "  - {id: a, name: A, kind: brand, query: 'acme AND (milk'}\n",
        encoding="utf-8",
    )
    code, out = run("check-config", str(bad))
    assert code == 1 and "entity 'a'" in out and "position" in out
    assert len(out.strip().splitlines()) == 1
    code, out = run("check-config")
    assert code == 0 and "OK" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("ingest", "nope.csv"), "no such file or source id"),
        (("poll", "nope"), "unknown or disabled source 'nope'"),
        (("mentions", "--entity", "nope"), "unknown entity 'nope'"),
        (("mentions", "--since", "yesterday-ish"), "--since: expected a duration"),
        (("--config", "missing.yaml", "poll"), "missing.yaml: file not found"),
    ],
)
def test_user_mistakes_are_one_line(run, args: tuple[str, ...], expected: str) -> None:  # type: ignore[no-untyped-def]
    code, out = run(*args)
    assert code == 1
    assert expected in out
    assert len(out.strip().splitlines()) == 1
    assert "Traceback" not in out


def test_ingest_path_with_options(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "gbk.csv"
    data.write_bytes("编号;内容;作者\n1;澜沐奶粉不错;小王\n2;今天下雨;小李\n".encode("gb18030"))
    code, out = run("ingest", str(data), "--delimiter", ";", "--json")
    assert code == 0, out
    stats = json.loads(out)
    assert (stats["new"], stats["unmatched"], stats["source_id"]) == (1, 1, "file/gbk.csv")
    code, out = run("ingest", str(data))
    assert "unchanged" in out


def test_rejected_rows_are_listed_with_file_line_and_reason(  # type: ignore[no-untyped-def]
        run, tmp_path: Path) -> None:
    data = tmp_path / "broken.jsonl"
    data.write_text('{"id": 1, "text": "澜沐奶粉不错"}\n{"id": 2, "text": "坏行"\n',
                    encoding="utf-8")
    code, out = run("ingest", str(data))
    assert code == 0, out
    code, out = run("rejected")
    assert code == 0
    first, excerpt = out.splitlines()[:2]
    assert first.startswith(f"file/broken.jsonl: {data}:2: ") and "line 2" in first
    assert '"坏行"' in excerpt
    code, out = run("rejected", "--source", "news-en", "--json")
    assert json.loads(out) == []
    code, out = run("rejected", "--since", "1h", "--json")
    assert [r["line"] for r in json.loads(out)] == [2]
