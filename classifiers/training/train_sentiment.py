"""Reproducible training recipe for the shipped sentiment models.

Run::

    python -m classifiers.training.train_sentiment --data ../shared/data --out classifiers/models
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from classifiers.evaluation import EvalReport, read_labelled_file, score
from classifiers.languages import LANGUAGES
from classifiers.linear import FeatureSpec, LinearTextModel, featurize_texts
from classifiers.sentiment import (
    LABELS,
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    Combiner,
    LanguageSentiment,
    combiner_inputs,
    lexicon_features,
    read_lexicon,
    with_negations,
)
from classifiers.text import detect_lang
from classifiers.training.hand_labels import labelled_rows, read_label_file
from classifiers.training.sentiment_data import (
    CORRECTION_WEIGHT,
    CORRECTIONS,
    SOURCES,
    DedupStats,
    deduplicate,
    load_sources,
    split_dev,
)
from classifiers.training.sentiment_hand import (
    HAND,
    HAND_WEIGHT,
    SENTIMENT_LABELS,
    apply_hand_labels,
)
from classifiers.training.sentiment_rows import Example

_CLASS_ORDER = ("negative", "neutral", "positive")


class TrainingError(RuntimeError):
    """Training cannot proceed (no data, a class missing); names the language and reason."""


@dataclass(frozen=True)
class SentimentTrainConfig:
    """Hyperparameters (chosen on the dev split; see MODEL_CARD.md)."""

    languages: tuple[str, ...] = LANGUAGES
    n_features_log2: int = 20
    max_chars: int = 400
    review_weight: float = 0.2
    class_weight_power: float = 0.5
    alpha_main: float = 1e-5
    alpha_polarity: float = 2e-6
    epochs: int = 15
    folds: int = 3
    combiner_c: float = 0.3
    # 0 = rows count as they come, 1 = every social source weighs the same in the combiner.
    zh_combiner_source_balance: float = 0.5
    en_combiner_source_balance: float = 1.0
    use_en_lexicon: bool = True
    # Characters only for Chinese (no jieba: it was 50-70% of scoring time and words did not
    # beat characters on dev); words only for English (character n-grams doubled the cost).
    zh_word_ngrams: int = 0
    zh_char_ngrams: tuple[int, int] = (1, 3)
    en_word_ngrams: int = 2
    en_char_ngrams: tuple[int, int] = (0, 0)
    binary: bool = False


def spec_for(lang: str, config: SentimentTrainConfig) -> FeatureSpec:
    """Feature layout per language: jieba words + chars (zh); words + word-bounded chars (en)."""
    if lang == "zh":
        return FeatureSpec(
            lang="zh",
            n_features_log2=config.n_features_log2,
            word_ngrams=config.zh_word_ngrams,
            char_ngrams=config.zh_char_ngrams,
            char_mode="chars",
            max_chars=config.max_chars,
            binary=config.binary,
        )
    return FeatureSpec(
        lang="en",
        n_features_log2=config.n_features_log2,
        word_ngrams=config.en_word_ngrams,
        char_ngrams=config.en_char_ngrams,
        char_mode="wb",
        max_chars=config.max_chars,
        binary=config.binary,
    )


@dataclass(frozen=True)
class LanguageReport:
    """Per-language training counts and dev scores."""

    lang: str
    n_train: int
    n_dev: int
    train_labels: dict[str, int]
    dev_labels: dict[str, int]
    combiner_features: list[str]
    dev: dict[str, Any]
    dev_by_source: dict[str, dict[str, Any]]
    seconds: float


@dataclass(frozen=True)
class TrainReport:
    """What the recipe read, dropped, trained and scored."""

    dedup: DedupStats
    missing_sources: list[str]
    corrections_used: int
    corrections_skipped: int
    languages: dict[str, LanguageReport]
    files: dict[str, int]
    seconds: float
    config: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    def format_text(self) -> str:
        """Short human-readable summary."""
        d = self.dedup
        lines = [
            f"raw {d.raw}, empty {d.empty_dropped}, after dedup {d.after_dedup}, conflicting "
            f"texts {d.conflict_keys} ({d.conflict_rows_dropped} rows dropped)",
        ]
        if self.missing_sources:
            lines.append("missing sets: " + ", ".join(self.missing_sources))
        for lang, rep in self.languages.items():
            dev = rep.dev
            lines.append(
                f"{lang}: train {rep.n_train}, dev {rep.n_dev}; dev macro-F1 {dev['macro_f1']:.4f}"
                f", accuracy {dev['accuracy']:.4f}, F1 {dev['per_class_f1']} ({rep.seconds:.0f}s)"
            )
            for src, r in rep.dev_by_source.items():
                lines.append(f"  {src}: macro-F1 {r['macro_f1']:.4f}, accuracy {r['accuracy']:.4f}")
        total = sum(self.files.values())
        lines.append(f"files: {len(self.files)}, {total / 1e6:.2f} MB; {self.seconds:.0f}s in all")
        return "\n".join(lines)


def build_en_lexicon() -> dict[str, float] | None:
    """VADER's word valences (MIT) plus emoji valences from VADER's emoji descriptions."""
    try:
        import vaderSentiment
    except ImportError:
        return None
    folder = Path(vaderSentiment.__file__).resolve().parent
    lexicon: dict[str, float] = {}
    for line in (folder / "vader_lexicon.txt").read_text("utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0] and " " not in parts[0]:
            lexicon[parts[0]] = float(parts[1])
    emoji_file = folder / "emoji_utf8_lexicon.txt"
    if emoji_file.exists():
        for line in emoji_file.read_text("utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) < 2:
                continue
            emoji = parts[0].replace("\ufe0f", "")
            value = sum(lexicon.get(w, 0.0) for w in parts[1].lower().split())
            if len(emoji) == 1 and value:
                lexicon[emoji] = max(-4.0, min(4.0, value))
    return lexicon


def _write_lexicon(path: Path, lexicon: dict[str, float]) -> None:
    lines = [
        "# word<TAB>valence (-4..4). Derived from VADER 3.3.2 vader_lexicon.txt and",
        "# emoji_utf8_lexicon.txt, (c) 2016 C.J. Hutto, MIT License.",
    ]
    lines += [f"{w}\t{v:g}" for w, v in sorted(lexicon.items())]
    path.write_text("\n".join(lines) + "\n", "utf-8")


def _sgd(alpha: float, epochs: int, seed: int) -> Any:
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss="log_loss", alpha=alpha, max_iter=epochs, tol=None, random_state=seed)


def _class_balanced(weights: np.ndarray, y: np.ndarray, power: float) -> np.ndarray:
    present = [c for c in _CLASS_ORDER if np.any(y == c)]
    total = weights.sum()
    factor = {c: (total / len(present) / weights[y == c].sum()) ** power for c in present}
    out = weights * np.array([factor[c] for c in y])
    result: np.ndarray = out / out.mean()
    return result


def _source_weight(source: str, config: SentimentTrainConfig) -> float:
    if source == CORRECTIONS:
        return CORRECTION_WEIGHT
    if source == HAND:
        return HAND_WEIGHT
    s = SOURCES[source]
    return s.weight if s.social else config.review_weight


def _is_social(source: str) -> bool:
    # Hand rows train the two models but not the combiner: it calibrates on the public social
    # sets, and the hand rows' mix (comments, questions) shifted it (zh dev SMP2020 virus
    # macro-F1 0.757 with them in it, 0.766 without).
    return source == CORRECTIONS or (source != HAND and SOURCES[source].social)


def _stack(blocks: Sequence[sp.csr_matrix], n: int, n_features: int) -> sp.csr_matrix:
    x = sp.csr_matrix((n, n_features), dtype=np.float32)
    for b in blocks:
        x = x + b
    return sp.csr_matrix(x)


def _train_language(
    lang: str,
    train: list[Example],
    dev: list[Example],
    *,
    out_dir: Path,
    seed: int,
    config: SentimentTrainConfig,
    lexicon: dict[str, float] | None,
    held_out: Sequence[Example] = (),
) -> tuple[dict[str, Any], LanguageReport]:
    started = time.perf_counter()
    y = np.array([e.label for e in train])
    present = sorted(set(y.tolist()))
    if present != sorted(LABELS):
        raise TrainingError(f"{lang}: training data needs all of {LABELS}, found {present}")
    spec = spec_for(lang, config)
    feats = featurize_texts([e.text for e in train], spec)
    x = _stack(feats.blocks, len(train), spec.n_features)
    abs_x = abs(x)
    sources = [e.source for e in train]
    src_w = np.array([_source_weight(s, config) for s in sources])
    w_main = _class_balanced(src_w, y, config.class_weight_power)
    polar = y != "neutral"
    y_pol = np.where(y == "positive", 1, 0)
    social = np.array([_is_social(s) for s in sources])
    lex = None
    if lexicon is not None:
        prepared = with_negations(lexicon)
        lex = np.array([lexicon_features(t, prepared) for t in feats.tokens], np.float64)

    # Out-of-fold scores on social rows train the combiner without leaking labels.
    folds = np.random.RandomState(seed).randint(0, config.folds, len(y))
    oof_main = np.zeros((len(y), 3))
    oof_pol = np.zeros(len(y))
    oof_mass = np.zeros(len(y))
    combinable = True
    for k in range(config.folds):
        held = folds == k
        fit_rows = ~held
        if len(set(y[fit_rows].tolist())) < 3 or len(set(y_pol[fit_rows & polar].tolist())) < 2:
            combinable = False
            break
        m = _sgd(config.alpha_main, config.epochs, seed).fit(
            x[fit_rows], y[fit_rows], sample_weight=w_main[fit_rows]
        )
        order = [list(m.classes_).index(c) for c in _CLASS_ORDER]
        oof_main[held] = m.decision_function(x[held])[:, order]
        pmask = fit_rows & polar
        a = _sgd(config.alpha_polarity, config.epochs, seed).fit(
            x[pmask], y_pol[pmask], sample_weight=src_w[pmask]
        )
        oof_pol[held] = a.decision_function(x[held])
        oof_mass[held] = np.asarray(abs_x[held] @ np.abs(a.coef_.ravel())).ravel()

    main_clf = _sgd(config.alpha_main, config.epochs, seed).fit(x, y, sample_weight=w_main)
    main = LinearTextModel(
        spec=spec,
        classes=[str(c) for c in main_clf.classes_],
        coef=main_clf.coef_,
        intercept=main_clf.intercept_,
        meta={"task": "sentiment", "lang": lang, "seed": seed},
    )
    pol_clf = _sgd(config.alpha_polarity, config.epochs, seed).fit(
        x[polar], y_pol[polar], sample_weight=src_w[polar]
    )
    polarity = LinearTextModel(
        spec=spec,
        classes=["negative", "positive"],
        coef=pol_clf.coef_,
        intercept=pol_clf.intercept_,
        meta={"task": "polarity", "lang": lang, "seed": seed},
    )
    main_name, pol_name = f"sentiment_{lang}", f"sentiment_{lang}_polarity"
    main.save(out_dir / main_name)
    polarity.save(out_dir / pol_name)
    entry: dict[str, Any] = {"main": main_name, "polarity": pol_name}
    if lexicon is not None:
        lex_name = f"sentiment_{lang}_lexicon.tsv"
        _write_lexicon(out_dir / lex_name, lexicon)
        entry["lexicon"] = lex_name

    combiner = None
    rows = social & (oof_main.any(axis=1))
    if combinable and len(set(y[rows].tolist())) == 3:
        inputs = combiner_inputs(
            main_logits=oof_main[rows],
            main_classes=_CLASS_ORDER,
            pol=oof_pol[rows],
            pol_mass=oof_mass[rows],
            lex=lex[rows] if lex is not None else None,
        )
        balance = (
            config.zh_combiner_source_balance if lang == "zh" else config.en_combiner_source_balance
        )
        combiner = _fit_combiner(
            inputs, y[rows], np.array(sources)[rows], config.combiner_c, balance
        )
        entry["combiner"] = combiner.to_dict()

    # Score the files as written (float16 weights), through the serving pipeline.
    pipeline = LanguageSentiment(
        main=LinearTextModel.load(out_dir / main_name),
        polarity=LinearTextModel.load(out_dir / pol_name),
        lexicon=read_lexicon(out_dir / entry["lexicon"]) if "lexicon" in entry else None,
        combiner=combiner,
    )
    dev_report, by_source = _score_dev(pipeline, dev)
    if held_out:  # our hand labels, scored apart so every set's dev stays the benchmark's
        by_source[HAND + "_held_out"] = _score_dev(pipeline, list(held_out))[0]
    report = LanguageReport(
        lang=lang,
        n_train=len(train),
        n_dev=len(dev),
        train_labels=dict(sorted(Counter(y.tolist()).items())),
        dev_labels=dict(sorted(Counter(e.label for e in dev).items())),
        combiner_features=list(combiner.features) if combiner else [],
        dev=dev_report,
        dev_by_source=by_source,
        seconds=round(time.perf_counter() - started, 1),
    )
    return entry, report


def _fit_combiner(
    inputs: dict[str, np.ndarray], y: np.ndarray, sources: np.ndarray, c: float, balance: float
) -> Combiner:
    from sklearn.linear_model import LogisticRegression

    names = tuple(inputs)
    x = np.column_stack([inputs[n] for n in names])
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    counts = Counter(sources.tolist())
    # Partial source balancing: the airline set would otherwise define "neutral" alone.
    w = np.array([counts[s] ** -balance for s in sources.tolist()])
    w = _class_balanced(w, y, 1.0)
    clf = LogisticRegression(C=c, max_iter=2000)
    clf.fit((x - mean) / scale, y, sample_weight=w)
    return Combiner(
        features=names,
        classes=tuple(str(c) for c in clf.classes_),
        mean=mean,
        scale=scale,
        coef=clf.coef_.astype(np.float64),
        intercept=clf.intercept_.astype(np.float64),
    )


def _score_dev(
    pipeline: LanguageSentiment, dev: list[Example]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    if not dev:
        empty = score(labels=[], predictions=[], label_order=LABELS).to_dict()
        return empty, {}
    probs = pipeline.proba([e.text for e in dev])
    preds = [LABELS[int(i)] for i in probs.argmax(axis=1)]
    gold = [e.label for e in dev]
    overall: EvalReport = score(labels=gold, predictions=preds, label_order=LABELS)
    by_source: dict[str, dict[str, Any]] = {}
    for src in sorted({e.source for e in dev}):
        idx = [i for i, e in enumerate(dev) if e.source == src]
        rep = score(
            labels=[gold[i] for i in idx], predictions=[preds[i] for i in idx], label_order=LABELS
        )
        by_source[src] = rep.to_dict()
    return overall.to_dict(), by_source


def _corrections(extra: Iterable[tuple[str, str, str]]) -> tuple[list[Example], int]:
    out: list[Example] = []
    skipped = 0
    for text, label, lang in extra:
        label = str(label).strip().lower()
        lang = str(lang or "").strip().lower()[:2] or detect_lang(str(text))
        if label not in LABELS or lang not in LANGUAGES or not str(text).strip():
            skipped += 1
            continue
        out.append(Example(str(text)[:2000], label, lang, CORRECTIONS))
    return out, skipped


def train_sentiment(
    *,
    data_dir: Path,
    out_dir: Path,
    seed: int = 13,
    extra: Iterable[tuple[str, str, str]] = (),
    config: SentimentTrainConfig | None = None,
) -> TrainReport:
    """Train the zh/en sentiment models from ``data_dir/sentiment`` (+ corrections) into out_dir."""
    config = config or SentimentTrainConfig()
    started = time.perf_counter()
    examples, missing = load_sources(Path(data_dir))
    corrections, skipped = _corrections(extra)
    kept, stats = deduplicate(examples + corrections)
    train, dev = split_dev(kept, seed=seed)
    hand = apply_hand_labels(
        train, dev, labelled_rows(Path(data_dir), read_label_file(SENTIMENT_LABELS))
    )
    train = hand.train
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    languages: dict[str, Any] = {}
    reports: dict[str, LanguageReport] = {}
    for lang in config.languages:
        tr = [e for e in train if e.lang == lang]
        dv = [e for e in dev if e.lang == lang]
        if not tr:
            continue
        lexicon = build_en_lexicon() if lang == "en" and config.use_en_lexicon else None
        held = [e for e in hand.held_out if e.lang == lang]
        entry, rep = _train_language(
            lang, tr, dv, out_dir=out_dir, seed=seed, config=config, lexicon=lexicon, held_out=held
        )
        languages[lang] = entry
        reports[lang] = rep
    if not languages:
        raise TrainingError(f"{data_dir}: no sentiment training data found (missing: {missing})")
    info = {
        "seed": seed,
        "config": asdict(config),
        "dedup": asdict(stats),
        "hand_labels": {
            "trained": hand.trained,
            "held_out": len(hand.held_out),
            "in_dev": hand.in_dev,
        },
        "dev": {lang: r.dev for lang, r in reports.items()},
        "dev_by_source": {lang: r.dev_by_source for lang, r in reports.items()},
    }
    manifest = {"format": MANIFEST_FORMAT, "version": 1, "languages": languages, "info": info}
    (out_dir / MANIFEST_NAME).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8"
    )
    files = {
        p.name: p.stat().st_size
        for p in sorted(out_dir.iterdir())
        if p.name == MANIFEST_NAME or p.name.startswith("sentiment_")
    }
    return TrainReport(
        dedup=stats,
        missing_sources=missing,
        corrections_used=len(corrections),
        corrections_skipped=skipped,
        languages=reports,
        files=files,
        seconds=round(time.perf_counter() - started, 1),
        config=asdict(config),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="Train the crisiswatch sentiment models.")
    parser.add_argument("--data", type=Path, required=True, help="folder holding sentiment/")
    parser.add_argument("--out", type=Path, required=True, help="output models folder")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--corrections", type=Path, help="CSV/JSONL of text,label corrections")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    extra: list[tuple[str, str, str]] = []
    if args.corrections:
        texts, labels = read_labelled_file(args.corrections)
        extra = [(t, lab, "") for t, lab in zip(texts, labels, strict=True)]
    report = train_sentiment(data_dir=args.data, out_dir=args.out, seed=args.seed, extra=extra)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.format_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
