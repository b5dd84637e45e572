"""Loaders for the social sentiment sets added for issue 13 (tweets, Weibo), one per set.

Each maps its set's own labels to negative / neutral / positive and skips rows its annotators
marked irrelevant or unsure (never read as neutral). Files named *test* are never read.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from classifiers.training.sentiment_rows import (
    LABELS,
    MAX_TEXT,
    SMP_EMOTIONS,
    Example,
    SentimentDataError,
    csv_rows,
)


def load_smp2020_usual(root: Path) -> Iterator[Example]:
    """SMP2020-EWECT everyday-topics Weibo posts (train split), 6 emotions -> 3 classes."""
    path = root / "zh/smp2020_ewect_usual_train/usual_train_filtered.csv"
    for line, row in csv_rows(path):
        label = SMP_EMOTIONS.get(row.get("label", "").strip())
        if label is None:
            raise SentimentDataError(f"{path}:{line}: unknown label {row.get('label')!r}")
        yield Example(row.get("content", "")[:MAX_TEXT], label, "zh", "smp2020_usual")


# SemEval 2013-2016 files named *test* (and the 2014 sarcasm test subset) are benchmark test
# splits: never read for training or tuning.
SEMEVAL_FILES = ("2013train", "2013dev", "2015train", "2016train", "2016dev")


def load_semeval(root: Path) -> Iterator[Example]:
    """SemEval 2013-2016 task 4A tweets, train and dev files only (id, label, text TSV)."""
    folder = root / "en/semeval2017_task4A_2013_2016"
    for name in SEMEVAL_FILES:
        path = folder / f"twitter-{name}-A_filtered.tsv"
        with path.open(encoding="utf-8") as fh:
            for n, raw in enumerate(fh, start=1):
                parts = raw.rstrip("\r\n").split("\t")
                if len(parts) < 3:
                    continue
                if parts[1] not in LABELS:
                    raise SentimentDataError(f"{path}:{n}: label {parts[1]!r}")
                text = "\t".join(parts[2:])
                if "\\u" in text:  # the 2013 files escape non-ASCII as JSON \uXXXX
                    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), text)
                yield Example(text[:MAX_TEXT], parts[1], "en", "semeval")


def _mapped_csv(
    path: Path, *, text: str, label: str, mapping: dict[str, str], source: str
) -> Iterator[Example]:
    """Rows of a CSV whose label maps to a class; unmapped labels (irrelevant...) are skipped."""
    for _, row in csv_rows(path):
        mapped = mapping.get(row.get(label, "").strip())
        if mapped is not None:
            yield Example(row.get(text, "")[:MAX_TEXT], mapped, "en", source)


_TITLE = {"Positive": "positive", "Negative": "negative", "Neutral": "neutral"}
_LOWER = {"positive": "positive", "negative": "negative", "neutral": "neutral"}
_FIVE = {"1": "negative", "2": "negative", "3": "neutral", "4": "positive", "5": "positive"}


def load_tse(root: Path) -> Iterator[Example]:
    """Tweet Sentiment Extraction (Figure Eight), train file only."""
    path = root / "en/tweet_sentiment_extraction/train_filtered.csv"
    return _mapped_csv(path, text="text", label="sentiment", mapping=_LOWER, source="tse")


def load_gop(root: Path) -> Iterator[Example]:
    """First GOP debate tweets (CrowdFlower)."""
    path = root / "en/gop_debate_tweets/Sentiment_filtered.csv"
    return _mapped_csv(path, text="text", label="sentiment", mapping=_TITLE, source="gop")


def load_sxsw(root: Path) -> Iterator[Example]:
    """SXSW brand and product tweets: emotion towards a brand ("can't tell" is skipped)."""
    path = (
        root
        / "en/brands_products_sxsw_dfe/judge-1377884607_tweet_product_company_filtered_utf8.csv"
    )
    mapping = {
        "Positive emotion": "positive",
        "Negative emotion": "negative",
        "No emotion toward brand or product": "neutral",
    }
    return _mapped_csv(
        path,
        text="tweet_text",
        label="is_there_an_emotion_directed_at_a_brand_or_product",
        mapping=mapping,
        source="sxsw",
    )


def load_self_driving(root: Path) -> Iterator[Example]:
    """Self-driving car tweets, 1-5 (3 neutral); not_relevant skipped."""
    path = root / "en/self_driving_cars_dfe/Twitter-sentiment-self-drive-DFE_filtered.csv"
    return _mapped_csv(path, text="text", label="sentiment", mapping=_FIVE, source="self_driving")


def load_apple(root: Path) -> Iterator[Example]:
    """Apple brand tweets, 1 / 3 / 5; not_relevant skipped."""
    path = root / "en/apple_twitter_sentiment_dfe/Apple-Twitter-Sentiment-DFE_filtered.csv"
    return _mapped_csv(path, text="text", label="sentiment", mapping=_FIVE, source="apple")


def load_sanders(root: Path) -> Iterator[Example]:
    """Sanders tweets about four tech brands; irrelevant skipped."""
    path = root / "en/sanders_twitter_corpus/full-corpus_filtered.csv"
    return _mapped_csv(path, text="TweetText", label="Sentiment", mapping=_LOWER, source="sanders")


def load_weather(root: Path) -> Iterator[Example]:
    """Weather tweets; "not related to weather" and "can't tell" skipped."""
    path = root / "en/weather_sentiment_dfe/weather-agg-DFE_filtered.csv"
    mapping = {**_TITLE, "Neutral / author is just sharing information": "neutral"}
    column = "what_emotion_does_the_author_express_specifically_about_the_weather"
    return _mapped_csv(path, text="tweet_text", label=column, mapping=mapping, source="weather")


def load_financial(root: Path) -> Iterator[Example]:
    """Financial news tweets: bearish -> negative, bullish -> positive, neutral."""
    mapping = {"0": "negative", "1": "positive", "2": "neutral"}
    for name in ("sent_train_filtered.csv", "sent_valid_filtered.csv"):
        path = root / "en/twitter_financial_news_sentiment" / name
        yield from _mapped_csv(
            path, text="text", label="label", mapping=mapping, source="financial"
        )


def load_entity(root: Path) -> Iterator[Example]:
    """Entity sentiment tweets (no header: id, entity, label, text); Irrelevant skipped.

    Rows are near-duplicate paraphrases of each other, so this set only ever trains."""
    path = root / "en/twitter_entity_sentiment/twitter_training_filtered.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            if len(row) >= 4 and row[2] in _TITLE:
                yield Example(row[3][:MAX_TEXT], _TITLE[row[2]], "en", "entity")
