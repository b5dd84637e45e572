"""Detection benchmark: risk categories and grades on real labelled text, before and after.

    python benchmarks/detection.py [--data ../shared/data] [--baseline-ref 12f311c]

Builds the dev set of ``classifiers.training.detection_data`` (real risk texts no shipped
model trained on, plus ordinary posts and news), scores it with the current code and models,
then with the code and models of ``--baseline-ref`` (extracted by ``git archive`` into a
temporary folder and run in a child process), and prints JSON per language: per-category
precision and recall, recall with the right category, top-category accuracy, and the
false-alarm rates on ordinary text (any category; grade above none). Needs ../shared/data.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifiers.training.detection_data import DetectionRow, detection_rows  # noqa: E402

BASELINE_REF = "12f311c"  # the commit before issue 13's classifier work
# Runs inside the baseline checkout: reads [[text, lang], ...] on stdin, prints predictions.
CHILD = """
import json, sys
from classifiers.scorer import Scorer, ScoreInput
rows = json.load(sys.stdin)
scorer = Scorer.load()
out = []
for s in scorer.score([ScoreInput(text=t, lang=l) for t, l in rows]):
    out.append([[c.category for c in s.categories], s.top_category, s.grade])
json.dump(out, sys.stdout)
"""

Prediction = tuple[list[str], str | None, str]


def predict_current(rows: Sequence[DetectionRow], models: Path | None) -> list[Prediction]:
    """Categories, top category and grade from this checkout."""
    from classifiers.scorer import ScoreInput, Scorer

    scorer = Scorer.load(models_dir=models)
    scores = scorer.score([ScoreInput(text=r.text, lang=r.lang) for r in rows])
    return [([c.category for c in s.categories], s.top_category, s.grade) for s in scores]


def predict_baseline(rows: Sequence[DetectionRow], ref: str) -> list[Prediction]:
    """The same from the code and models of git ``ref``, in a child process."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "classifiers"],
        check=True,
        capture_output=True,
    ).stdout
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        done = subprocess.run(
            [sys.executable, "-c", CHILD],
            input=json.dumps([[r.text, r.lang] for r in rows]),
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp,
            env={"PYTHONPATH": tmp, "PATH": "/usr/bin:/bin"},
        )
    return [(cats, top, grade) for cats, top, grade in json.loads(done.stdout)]


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def figures(rows: Sequence[DetectionRow], preds: Sequence[Prediction]) -> dict[str, Any]:
    """Per-language figures; ordinary rows (no accepted category) measure false alarms."""
    out: dict[str, Any] = {}
    for lang in sorted({r.lang for r in rows}):
        idx = [i for i, r in enumerate(rows) if r.lang == lang]
        risky = [i for i in idx if rows[i].accepted]
        plain = [i for i in idx if not rows[i].accepted]
        per_category: dict[str, Any] = {}
        cats = sorted({rows[i].primary for i in risky} | {c for i in idx for c in preds[i][0]})
        for cat in cats:
            gold = [i for i in idx if rows[i].primary == cat]
            flagged = [i for i in idx if cat in preds[i][0]]
            right = [i for i in flagged if cat in rows[i].accepted]
            per_category[cat] = {
                "n": len(gold),
                "precision": _ratio(len(right), len(flagged)),
                "recall": _ratio(sum(cat in preds[i][0] for i in gold), len(gold)),
            }
        by_kind: dict[str, Any] = {}
        for source in sorted({rows[i].source for i in plain}):
            members = [i for i in plain if rows[i].source == source]
            by_kind[source] = {
                "n": len(members),
                "any_category": _ratio(sum(bool(preds[i][0]) for i in members), len(members)),
                "grade_above_none": _ratio(
                    sum(preds[i][2] != "none" for i in members), len(members)
                ),
            }
        out[lang] = {
            "n_risk": len(risky),
            "n_ordinary": len(plain),
            "recall_right_category": _ratio(
                sum(any(c in rows[i].accepted for c in preds[i][0]) for i in risky), len(risky)
            ),
            "top_category_accuracy": _ratio(
                sum(preds[i][1] in rows[i].accepted for i in risky), len(risky)
            ),
            "false_alarm_any_category": _ratio(sum(bool(preds[i][0]) for i in plain), len(plain)),
            "false_alarm_grade_above_none": _ratio(
                sum(preds[i][2] != "none" for i in plain), len(plain)
            ),
            "risk_grade_above_none": _ratio(sum(preds[i][2] != "none" for i in risky), len(risky)),
            "per_category": per_category,
            "ordinary_by_source": by_kind,
        }
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Build the dev set, score it now and at the baseline, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--models", type=Path, default=None, help="model folder to test")
    parser.add_argument("--baseline-ref", default=BASELINE_REF, help="git ref; '' to skip")
    args = parser.parse_args(argv)
    if not (args.data / "risk").is_dir():
        print(f"error: {args.data}: no risk data (../shared/data)", file=sys.stderr)
        return 2
    rows = detection_rows(args.data)
    sources: dict[str, int] = {}
    for r in rows:
        sources[f"{r.lang}/{r.source}"] = sources.get(f"{r.lang}/{r.source}", 0) + 1
    report: dict[str, Any] = {
        "dev_set": sources,
        "after": figures(rows, predict_current(rows, args.models)),
    }
    if args.baseline_ref:
        report["before"] = figures(rows, predict_baseline(rows, args.baseline_ref))
        report["baseline_ref"] = args.baseline_ref
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
