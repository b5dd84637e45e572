"""Labelled risk data from ../shared/data/risk: readers, normalised dedup, stratified splits.

Every reader returns ``Example`` rows for one (category, language) model. Gold sets are
deduplicated by normalised text and keys with conflicting labels are dropped; weak labels
(ordinary posts as negatives) never override a gold label and never reach the dev split.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifiers.text import detect_lang
from classifiers.training.background import is_dev, weak_negatives
from classifiers.training.examples import Example, norm_key
from classifiers.training.sentiment_data import load_online_shopping, load_waimai


@dataclass(frozen=True)
class Corpus:
    """One model's data after dedup, with counts for the model card."""

    name: str
    category: str
    lang: str
    sources: tuple[str, ...]
    licence: str
    examples: list[Example]
    stats: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ExtraLabel:
    """A responder's correction: this text is (label True) or is not in ``category``."""

    text: str
    category: str
    label: bool
    lang: str | None = None


def _csv_rows(path: Path, encoding: str = "utf-8-sig") -> Iterator[dict[str, str]]:
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        reader = csv.DictReader(fh)
        reader.fieldnames = [str(n).strip() for n in reader.fieldnames or []]
        for row in reader:
            yield {k: (v or "") for k, v in row.items() if k is not None}


def read_complaints(root: Path) -> list[Example]:
    """Preotiuc-Pietro et al. 2019 complaint tweets (gold)."""
    path = root / "risk" / "complaints_social_media" / "complaints-data.with_header.csv"
    return [
        Example(r["text"], int(r["is_complaint"]), "complaints_social_media")
        for r in _csv_rows(path)
        if r.get("is_complaint") in ("0", "1")
    ]


def read_ced(root: Path) -> list[Example]:
    """Weibo rumour / non-rumour source posts (CED, Liu et al. 2015)."""
    path = root / "risk" / "weibo_rumor_CED" / "ced_original_microblogs.csv"
    labels = {"rumor": 1, "non-rumor": 0}
    return [
        Example(r["text"], labels[r["label"]], "weibo_rumor_CED")
        for r in _csv_rows(path)
        if r.get("label") in labels
    ]


def read_pheme(root: Path) -> list[Example]:
    """PHEME rumour / non-rumour source tweets (Kochkina et al.); ``group`` is the event."""
    path = root / "risk" / "pheme_rnr" / "pheme_source_tweets.csv"
    labels = {"rumour": 1, "non-rumour": 0}
    return [
        Example(r["text"], labels[r["label"]], "pheme_rnr", group=r.get("event", ""))
        for r in _csv_rows(path)
        if r.get("label") in labels
    ]


def read_cold(root: Path) -> list[Example]:
    """COLDataset offensive / not (train and dev files pooled, re-split by us)."""
    out: list[Example] = []
    for name in ("train.csv", "dev.csv"):
        for r in _csv_rows(root / "risk" / "COLDataset" / name):
            if r.get("label") in ("0", "1"):
                out.append(Example(r["TEXT"], int(r["label"]), "COLDataset"))
    return out


def read_davidson(root: Path) -> list[Example]:
    """Davidson et al. 2017: hate speech or offensive (1) against neither (0)."""
    path = root / "risk" / "davidson_hate_offensive" / "labeled_data.csv"
    return [
        Example(r["tweet"], 0 if r["class"] == "2" else 1, "davidson_hate_offensive")
        for r in _csv_rows(path)
        if r.get("class") in ("0", "1", "2")
    ]


# OLID's milder, targeted insults would drown in Davidson's slur-heavy tweets at equal weight.
OLID_WEIGHT = 2.0


def read_olid(root: Path) -> list[Example]:
    """OffensEval 2019 (OLID) via TweetEval, train and val pooled: offensive 1 / not 0."""
    base = root / "sentiment" / "en" / "tweeteval" / "offensive"
    out: list[Example] = []
    for split in ("train", "val"):
        texts = (base / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
        labels = (base / f"{split}_labels.txt").read_text(encoding="utf-8").splitlines()
        if len(texts) != len(labels):
            raise ValueError(f"{base}/{split}: {len(texts)} texts but {len(labels)} labels")
        for text, label in zip(texts, labels, strict=True):
            if label.strip() in ("0", "1"):
                out.append(Example(text, int(label), "tweeteval_offensive", weight=OLID_WEIGHT))
    return out


def read_youtube_spam(root: Path) -> list[Example]:
    """YouTube Spam Collection comments (spam 1 / ham 0); ``group`` is the video."""
    out: list[Example] = []
    for path in sorted((root / "risk" / "youtube_spam_collection").glob("*.csv")):
        for r in _csv_rows(path):
            if r.get("CLASS") in ("0", "1"):
                out.append(Example(r["CONTENT"], int(r["CLASS"]), "youtube_spam", group=path.stem))
    return out


def read_crisislex(root: Path) -> list[Example]:
    """CrisisLexT6 on/off-topic and CrisisLexT26 related/not (English tweets only)."""
    base = root / "risk" / "crisislex"
    out: list[Example] = []
    for path in sorted((base / "T6").glob("*-ontopic_offtopic.csv")):
        for r in _csv_rows(path, encoding="utf-8"):
            label = {"on-topic": 1, "off-topic": 0}.get(r.get("label", "").strip())
            if label is not None:
                out.append(Example(r.get("tweet", ""), label, "CrisisLexT6", group=path.stem))
    for path in sorted((base / "T26").glob("*-tweets_labeled.csv")):
        for r in _csv_rows(path, encoding="utf-8"):
            info = r.get("Informativeness", "").strip()
            label = 1 if info.startswith("Related") else 0 if info == "Not related" else None
            text = r.get("Tweet Text", "")
            if label is not None and detect_lang(text) == "en":
                out.append(Example(text, label, "CrisisLexT26", group=path.stem))
    return out


def read_ordinary_en(root: Path) -> list[Example]:
    """English ordinary text (tweets, news, forum answers), training side, as weak negatives."""
    return weak_negatives("en")(root)


def read_ordinary_zh(root: Path) -> list[Example]:
    """Chinese ordinary Weibo posts, training side, as weak negatives."""
    return weak_negatives("zh")(root)


def read_reviews_zh(root: Path) -> list[Example]:
    """Chinese product and food-delivery reviews: a negative review is a complaint (1)."""
    base = root / "sentiment"
    return [
        Example(ex.text, int(ex.label == "negative"), ex.source)
        for ex in (*load_waimai(base), *load_online_shopping(base))
    ]


def cfpb_narratives(root: Path, *, dev: bool) -> list[str]:
    """CFPB complaint narratives (train file) on one side of ``background.is_dev``: the
    training side feeds the complaint and intent models, the dev side the detection benchmark."""
    rows = json.loads((root / "risk/cfpb_complaints_ibm/cfpb_train.json").read_text("utf-8"))
    texts = (
        str(r.get("input", "")).removeprefix("Narrative:").split("\nProduct:")[0] for r in rows
    )
    return [t.strip() for t in texts if t.strip() and is_dev(t.strip()) == dev]


def read_cfpb_complaints(root: Path) -> list[Example]:
    """Long-form complaints: the training side of the CFPB narratives."""
    return [Example(t, 1, "cfpb") for t in cfpb_narratives(root, dev=False)]


def read_crisis_news_en(root: Path) -> list[Example]:
    """CrisisLex T26 informative crisis tweets as weak non-rumours: confirmed news of an
    accident or disaster is not hearsay."""
    return [
        Example(ex.text, 0, "crisislex_news", weight=0.5)
        for ex in read_crisislex(root)
        if ex.label == 1 and ex.source == "CrisisLexT26"
    ]


@dataclass(frozen=True)
class CorpusDef:
    """Which readers feed one model, and the licences to state on the model card."""

    name: str
    category: str
    lang: str
    gold: tuple[Callable[[Path], list[Example]], ...]
    weak: tuple[Callable[[Path], list[Example]], ...] = ()
    licence: str = ""
    max_rows: int = 0
    # FeatureSpec fields this model sets apart from its language's shared (sentiment) spec;
    # each distinct spec costs the scorer one more featurisation pass per text.
    features: dict[str, Any] = field(default_factory=dict)


CORPORA: tuple[CorpusDef, ...] = (
    CorpusDef(
        "risk_complaint_en",
        "customer_complaint",
        "en",
        (read_complaints, read_cfpb_complaints),
        (read_ordinary_en,),
        licence="complaints_social_media: none stated (cite Preotiuc-Pietro et al. 2019); "
        "cfpb_complaints_ibm: Apache-2.0; ordinary text (weak negatives): see background.py",
    ),
    CorpusDef(
        "risk_complaint_zh",
        "customer_complaint",
        "zh",
        (read_reviews_zh,),
        (read_ordinary_zh,),
        licence="waimai_10k, online_shopping_10_cats: none stated; SMP2020-EWECT (weak "
        "negatives): competition data",
        max_rows=40_000,
    ),
    CorpusDef(
        "risk_rumor_zh",
        "misinformation_rumor",
        "zh",
        (read_ced,),
        (read_ordinary_zh,),
        licence="weibo_rumor_CED: none stated (cite Liu et al. 2015); smp2020_ewect_virus "
        "(weak negatives): competition data",
    ),
    CorpusDef(
        "risk_rumor_en",
        "misinformation_rumor",
        "en",
        (read_pheme,),
        (read_ordinary_en, read_crisis_news_en),
        licence="pheme_rnr: CC-BY 4.0 (annotations by Kochkina, Liakata, Zubiaga); tweeteval "
        "emotion + irony (weak negatives): original task licences",
    ),
    CorpusDef(
        "risk_offensive_zh",
        "offensive_content",
        "zh",
        (read_cold,),
        (read_ordinary_zh,),
        licence="COLDataset: Apache-2.0",
    ),
    CorpusDef(
        "risk_offensive_en",
        "offensive_content",
        "en",
        (read_davidson, read_olid),
        (read_ordinary_en,),
        licence="davidson_hate_offensive: MIT; tweeteval offensive (OLID, Zampieri et al. "
        "2019): original task licence",
        # Word-bounded character n-grams (present / absent) catch the spellings insults come in
        # (fuuuck, f*ck, sh1t, idiots) that word n-grams miss: dev F1 0.898 -> 0.913, OLID
        # 0.564 -> 0.610, at one more featurisation pass per English text.
        features={"char_ngrams": (2, 5), "char_mode": "wb", "binary": True},
    ),
    CorpusDef(
        "risk_spam_en",
        "spam",
        "en",
        (read_youtube_spam,),
        (read_ordinary_en,),
        licence="youtube_spam_collection: none stated (cite Alberto et al. 2015); tweeteval "
        "emotion + irony (weak negatives): original task licences",
    ),
    CorpusDef(
        "risk_crisis_en",
        "crisis_relevance",
        "en",
        (read_crisislex,),
        licence="CrisisLex T6 / T26: MIT (repository licence)",
        max_rows=40_000,
    ),
)


def dedup(
    gold: Iterable[Example], weak: Iterable[Example] = ()
) -> tuple[list[Example], dict[str, int]]:
    """Drop empty texts, exact-key repeats and conflicting keys; weak rows never beat gold."""
    stats = {"gold_rows": 0, "weak_rows": 0, "empty": 0, "duplicates": 0, "conflict_keys": 0}
    by_key: dict[str, Example] = {}
    conflicts: set[str] = set()
    for ex in gold:
        stats["gold_rows"] += 1
        key = norm_key(ex.text)
        if not key:
            stats["empty"] += 1
            continue
        seen = by_key.get(key)
        if seen is None:
            by_key[key] = ex
        elif seen.label != ex.label:
            conflicts.add(key)
        else:
            stats["duplicates"] += 1
    for key in conflicts:
        del by_key[key]
    stats["conflict_keys"] = len(conflicts)
    gold_keys = set(by_key) | conflicts
    weak_seen: dict[str, Example] = {}
    weak_conflicts: set[str] = set()
    for ex in weak:
        stats["weak_rows"] += 1
        key = norm_key(ex.text)
        if not key or key in gold_keys:
            stats["duplicates" if key else "empty"] += 1
            continue
        seen = weak_seen.get(key)
        if seen is None:
            weak_seen[key] = ex
        elif seen.label != ex.label:
            weak_conflicts.add(key)
        else:
            stats["duplicates"] += 1
    for key in weak_conflicts:
        del weak_seen[key]
    stats["conflict_keys"] += len(weak_conflicts)
    out = list(by_key.values()) + list(weak_seen.values())
    stats["kept"] = len(out)
    stats["kept_gold"] = len(by_key)
    return out, stats


def load_corpus(root: Path, definition: CorpusDef, seed: int) -> Corpus:
    """Read, deduplicate and (when ``max_rows`` is set) subsample one model's data."""
    gold = [ex for read in definition.gold for ex in read(root)]
    weak = [ex for read in definition.weak for ex in read(root)]
    examples, stats = dedup(gold, weak)
    if definition.max_rows and len(examples) > definition.max_rows:
        rng = random.Random(seed)
        examples = rng.sample(examples, definition.max_rows)
        stats["subsampled_to"] = definition.max_rows
    sources = tuple(dict.fromkeys(ex.source for ex in examples))
    return Corpus(
        name=definition.name,
        category=definition.category,
        lang=definition.lang,
        sources=sources,
        licence=definition.licence,
        examples=examples,
        stats=stats,
    )


def stratified_split(
    examples: Sequence[Example], *, dev_fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """Split gold rows per label with a fixed seed; weak rows all go to training."""
    rng = random.Random(seed)
    train: list[Example] = [ex for ex in examples if ex.weight < 1.0]
    dev: list[Example] = []
    for label in sorted({ex.label for ex in examples}):
        rows = [ex for ex in examples if ex.label == label and ex.weight >= 1.0]
        rng.shuffle(rows)
        n_dev = int(round(len(rows) * dev_fraction))
        dev.extend(rows[:n_dev])
        train.extend(rows[n_dev:])
    rng.shuffle(train)
    return train, dev


def read_extra_jsonl(path: Path) -> list[ExtraLabel]:
    """Read corrections exported as JSON lines ``{"text", "category", "label", "lang"?}``."""
    out: list[ExtraLabel] = []
    with open(path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                out.append(
                    ExtraLabel(
                        text=str(row["text"]),
                        category=str(row["category"]),
                        label=bool(row["label"]),
                        lang=row.get("lang"),
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{line_no}: bad correction row ({exc})") from exc
    return out
