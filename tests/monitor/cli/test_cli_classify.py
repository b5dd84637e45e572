"""classify / evaluate / train commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli.main import cli


@pytest.fixture()
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRISISWATCH_CONFIG", raising=False)

    def invoke(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def test_classify_text_shows_grade_and_reasons(run) -> None:  # type: ignore[no-untyped-def]
    code, out = run("classify", "網傳瀾沐奶粉導致嬰兒過敏，要求召回！", "--tier", "1", "--json")
    assert code == 0, out
    [result] = json.loads(out)
    assert result["lang"] == "zh"
    assert result["sentiment"]["label"] == "negative"
    assert "product_safety" in [c["category"] for c in result["categories"]]
    assert result["reasons"][0].startswith("likelihood")
    assert result["reasons"][1].startswith("impact")
    code, text = run("classify", "網傳瀾沐奶粉導致嬰兒過敏，要求召回！", "--tier", "1")
    assert f"grade {result['grade']}" in text and "過敏" in text


def test_classify_file_and_edge_cases(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lines = tmp_path / "lines.txt"
    lines.write_text("great service, thank you!\n\n🙂🙂\n<b>html</b> \x07 text\n", encoding="utf-8")
    code, out = run("classify", "--file", str(lines), "--json")
    assert code == 0, out
    results = json.loads(out)
    assert len(results) == 3 and all(r["grade"] for r in results)
    code, out = run("classify")
    assert code == 1 and "give TEXT or --file" in out


def test_evaluate_prints_scores_and_confusion(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "lab.csv"
    data.write_text(
        "text,label\nI love this milk so much,positive\nthe app is down again, "
        "terrible,negative\n太难喝了，再也不买,negative\n",
        encoding="utf-8",
    )
    code, out = run("evaluate", "--data", str(data), "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["n"] == 3 and 0 <= report["macro_f1"] <= 1
    assert len(report["confusion"]) == len(report["labels"])
    code, out = run("evaluate", "--data", str(data))
    assert "macro-F1" in out and "confusion" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("words,stars\nhello,5\n", encoding="utf-8")
    code, out = run("evaluate", "--data", str(bad))
    assert code == 1 and "text" in out and "Traceback" not in out


def test_train_without_data_is_a_clear_error(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out = run("train", "--data", str(tmp_path / "nope"))
    assert code == 1 and "no such folder" in out


def test_classify_json_has_intent_and_english_never_loads_jieba(tmp_path: Path) -> None:
    # A fresh interpreter: jieba must be neither imported nor initialised for English text.
    script = (
        "import json, sys\n"
        "from click.testing import CliRunner\n"
        "from monitor.cli.main import cli\n"
        "r = CliRunner().invoke(cli, ['classify', 'Where can I buy Lumina formula?', '--json'])\n"
        "print(json.dumps({'out': json.loads(r.output), 'jieba': 'jieba' in sys.modules}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["jieba"] is False
    [result] = report["out"]
    assert set(result["intent"]) == {"label", "probs"}
    assert set(result["intent"]["probs"]) == {"interaction", "enquiry", "complaint", "other"}
    assert abs(sum(result["intent"]["probs"].values()) - 1) < 1e-3


def test_classify_text_output_shows_intent(run) -> None:  # type: ignore[no-untyped-def]
    code, text = run("classify", "请问澜沐奶粉在哪里可以买到？")
    assert code == 0 and "intent enquiry" in text and "grade none" in text
