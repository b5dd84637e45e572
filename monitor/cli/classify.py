"""CLI commands around the classifiers: classify, evaluate, train."""

from __future__ import annotations

import sys
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from monitor.cli.common import Context, UserError, emit, pass_ctx
from monitor.configured import build_watchlist, load_scorer, models_dir

if TYPE_CHECKING:  # the models' library: imported by the commands that score, when they run
    from classifiers.scorer import Score, Scorer
    from config.loader import LoadedConfig

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _scorer(config: LoadedConfig, only: Collection[str] | None = None) -> Scorer:
    """The configured scorer, with only the models of the languages in ``only`` if given."""
    return load_scorer(config, user_words=build_watchlist(config.settings).terms(), only=only)


def _render_all(texts: Sequence[str], scores: Sequence[Score]) -> None:
    for text, score in zip(texts, scores, strict=True):
        _render(text, score)


def _render(text: str, score: Score) -> None:
    probs = ", ".join(f"{k} {v:.0%}" for k, v in score.sentiment.probs.items())
    click.echo(f"{' '.join(text.split())[:100]}")
    click.echo(f"  language {score.lang}; sentiment {score.sentiment.label} ({probs})")
    intents = ", ".join(f"{k} {v:.0%}" for k, v in score.intent.probs.items())
    click.echo(f"  intent {score.intent.label} ({intents})")
    for cat in score.categories:
        evidence = ", ".join(cat.evidence[:5])
        click.echo(f"  {cat.category} {cat.score:.2f} (severity {cat.severity}; {evidence})")
    click.echo(f"  grade {score.grade}: likelihood {score.likelihood} x impact {score.impact}")
    for reason in score.reasons:
        click.echo(f"    {reason}")


@click.command()
@click.argument("text", required=False)
@click.option(
    "--file",
    "file",
    type=click.Path(dir_okay=False, exists=True),
    help="Score every line of a text file.",
)
@click.option("--tier", default=3, type=click.IntRange(1, 3), help="Source tier (1 = major).")
@click.option("--reach", default=None, type=int, help="Author followers.")
@click.option(
    "--kind",
    "entity_kind",
    default=None,
    type=click.Choice(["brand", "product", "executive", "competitor", "topic"]),
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def classify(
    obj: Context,
    text: str | None,
    file: str | None,
    tier: int,
    reach: int | None,
    entity_kind: str | None,
    as_json: bool,
) -> None:
    """Sentiment, intent, risk categories, likelihood x impact and grade for TEXT (or --file
    lines)."""
    if (text is None) == (file is None):
        raise UserError("error: give TEXT or --file FILE (one of them)")
    texts = (
        [text]
        if text is not None
        else [
            line
            for line in Path(file).read_text(encoding="utf-8", errors="replace").splitlines()  # type: ignore[arg-type]
            if line.strip()
        ]
    )
    from classifiers.scorer import ScoreInput, model_languages

    # only the models of the texts' languages: scoring one Chinese text loads no English model
    scorer = _scorer(obj.config(), model_languages(texts))
    scores = scorer.score(
        [
            ScoreInput(text=t, source_tier=tier, author_reach=reach, entity_kind=entity_kind)
            for t in texts
        ]
    )
    emit(
        [{"text": t, **s.to_dict()} for t, s in zip(texts, scores, strict=True)],
        as_json=as_json,
        render=lambda: _render_all(texts, scores),
    )


@click.command("evaluate")
@click.option(
    "--data",
    "data",
    required=True,
    type=click.Path(dir_okay=False),
    help="CSV/TSV/JSONL with text and label columns.",
)
@click.option(
    "--category",
    default=None,
    help="Evaluate one risk category (labels 1/0, true/false) instead of sentiment.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def evaluate_cmd(obj: Context, data: str, category: str | None, as_json: bool) -> None:
    """Accuracy, macro-F1, per-class F1 and confusion matrix on a labelled file."""
    from classifiers.evaluation import LabelledFileError, evaluate, read_labelled_file
    from classifiers.scorer import ScoreInput

    try:
        texts, labels = read_labelled_file(Path(data))
    except LabelledFileError as exc:
        raise UserError(f"error: {exc}") from None
    scorer = _scorer(obj.config())

    def predict(batch: Any) -> list[str]:
        scores = scorer.score([ScoreInput(text=t) for t in batch])
        if category is None:
            return [s.sentiment.label for s in scores]
        return ["1" if any(c.category == category for c in s.categories) else "0" for s in scores]

    if category is not None:
        truthy = {"1", "true", "yes", category.lower()}
        labels = ["1" if str(v).strip().lower() in truthy else "0" for v in labels]
    report = evaluate(predict=predict, texts=texts, labels=labels)
    emit(report.to_dict(), as_json=as_json, render=lambda: click.echo(report.format_text()))


class Corrections(NamedTuple):
    """Reviewers' stored labels, shaped for each trainer."""

    sentiment: list[tuple[str, str, str]]  # (text, label, lang)
    risk: list[Any]  # classifiers.training.risk_data.ExtraLabel
    intent: list[tuple[str, str, str]]  # (text, label, lang)


def corrections(obj: Context) -> Corrections:
    """Responders' stored labels: sentiment and intent labels, category / false-positive
    labels. A category label that differs from the mention's top category (or says "none") is
    also a negative example of that category: the reviewer said it does not apply."""
    from sqlalchemy import select

    from classifiers.training.risk_data import ExtraLabel
    from monitor.db.models import Label, Mention

    found = Corrections([], [], [])
    with obj.app() as app, app.sessions() as session:
        rows = session.execute(
            select(Label, Mention.top_category)
            .outerjoin(Mention, Mention.id == Label.mention_id)
            .order_by(Label.id)
        )
        for label, machine in rows:
            lang = label.lang or ""
            if label.kind == "sentiment":
                found.sentiment.append((label.text, label.value, lang))
            elif label.kind == "intent":
                found.intent.append((label.text, label.value, lang))
            elif label.kind == "category":
                if label.value != "none":
                    found.risk.append(ExtraLabel(text=label.text, category=label.value,
                                                 label=True, lang=lang or None))
                if machine and machine != label.value:
                    found.risk.append(ExtraLabel(text=label.text, category=machine,
                                                 label=False, lang=lang or None))
            elif label.kind == "false_positive" and label.value:
                found.risk.append(
                    ExtraLabel(
                        text=label.text, category=label.value, label=False, lang=lang or None
                    )
                )
    return found


def _plain(report: Any) -> Any:
    """A training report as JSON-ready data (intent reports already are)."""
    return report if isinstance(report, dict) else report.to_dict()


def _copy_missing(source: Path, out: Path) -> None:
    """Bring over the model files ``out`` lacks, so it is a complete set: before training,
    since risk training reads the sentiment features and the intent gate from ``out``."""
    import shutil

    for file in source.iterdir():
        if file.is_file() and not (out / file.name).exists():
            shutil.copy2(file, out / file.name)


@click.command()
@click.argument("target", type=click.Choice(["all", "sentiment", "risk", "intent"]), default="all")
@click.option(
    "--data",
    "data",
    type=click.Path(file_okay=False),
    default=None,
    help="Labelled data folder (default: ../shared/data beside the checkout).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default=None,
    help="Where to write the models (default: scoring.models_dir, else <data_dir>/models).",
)
@click.option("--seed", default=13, show_default=True, type=int)
@click.option("--no-corrections", is_flag=True, help="Ignore responders' stored labels.")
@click.option("--json", "as_json", is_flag=True, help="Print the training report as JSON.")
@pass_ctx
def train(
    obj: Context,
    target: str,
    data: str | None,
    out: str | None,
    seed: int,
    no_corrections: bool,
    as_json: bool,
) -> None:
    """Retrain the sentiment, risk and/or intent models reproducibly (fixed seed, deduplicated
    data). Risk and intent models share the sentiment models' features: retrain them after
    changing the sentiment feature layout."""
    from classifiers.sentiment import DEFAULT_MODELS_DIR
    from classifiers.training.train_intent import train_intent
    from classifiers.training.train_risk import RiskTrainingError, train_risk
    from classifiers.training.train_sentiment import TrainingError, train_sentiment

    config = obj.config()
    data_dir = Path(data) if data else SHARED_DATA
    if not data_dir.is_dir():
        raise UserError(f"error: {data_dir}: no such folder (give --data)")
    out_dir = (
        Path(out)
        if out
        else (models_dir(config) or config.settings.storage.data_dir.resolve() / "models")
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    stored = Corrections([], [], []) if no_corrections else corrections(obj)
    _copy_missing(models_dir(config) or DEFAULT_MODELS_DIR, out_dir)
    reports: dict[str, Any] = {}
    try:
        if target in ("all", "sentiment"):
            reports["sentiment"] = train_sentiment(
                data_dir=data_dir, out_dir=out_dir, seed=seed, extra=stored.sentiment
            )
        # Intent before risk: the complaint categories' thresholds are fitted counting the
        # intent gate, read from out_dir (trained after it, they met the old or no intent).
        if target in ("all", "intent"):
            reports["intent"] = train_intent(
                data_dir=data_dir, out_dir=out_dir, seed=seed, extra=stored.intent
            )
        if target in ("all", "risk"):
            reports["risk"] = train_risk(
                data_dir=data_dir, out_dir=out_dir, seed=seed, extra=stored.risk
            )
    except (TrainingError, RiskTrainingError) as exc:
        raise UserError(f"error: {exc}") from None

    def render() -> None:
        for name, report in reports.items():
            text = report.format_text() if hasattr(report, "format_text") else _plain(report)
            click.echo(f"{name}:\n{text}")
        click.echo(
            f"models written to {out_dir}; corrections used: "
            f"{len(stored.sentiment)} sentiment, {len(stored.risk)} risk, "
            f"{len(stored.intent)} intent"
        )
        if models_dir(config) != out_dir.resolve():
            click.echo(f"to use them, set `scoring: {{models_dir: {out_dir}}}` in your config")

    emit({k: _plain(v) for k, v in reports.items()}, as_json=as_json, render=render)
    sys.stdout.flush()


def register(group: click.Group) -> None:
    for command in (classify, evaluate_cmd, train):
        group.add_command(command)
