"""Top negative themes: jieba TF-IDF keywords for Chinese, scikit-learn TF-IDF for English.

Runs on a bounded, deterministic sample of negative texts (see mention_figures.negative_sample),
so its cost does not grow with the week's volume. The watched names themselves are left out:
"the brand" is always the top word of a brand's mentions and says nothing about the theme.

A keyword is a whole word of the text: never the placeholder clean() writes for an address or
a handle, never the stub of a word the sample's prefix cut (see word_prefix), never an English
token ending in a hyphen, and never a Chinese "word" that jieba's new-word guessing glued
across a boundary onto a grammatical particle (曝 + 已).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from classifiers.text import (
    HANDLE_PLACEHOLDER,
    URL_PLACEHOLDER,
    clean,
    init_jieba,
    to_simplified,
)
from monitor.digest.model import Theme

_CJK_RE = re.compile(r"[\u3400-\u9fff]")
_ASCII_RE = re.compile(r"^[\x00-\x7f]+$")
# Letters and digits joined by inner apostrophes or hyphens (don't, lk-2041); a token cut
# after its hyphen is no token at all.
_EN_TOKEN_RE = re.compile(r"(?<![\w'-])[a-z][a-z0-9]*(?:['-][a-z0-9]+)*(?![\w'-])")
_PLACEHOLDER_RE = re.compile(
    rf"(?<!\S)(?:{re.escape(URL_PLACEHOLDER)}|{re.escape(HANDLE_PLACEHOLDER)})(?!\S)"
)
# Where a cut prefix may end without splitting a word: a space or punctuation.
_BOUNDARY_RE = re.compile(r"[\s,.;:!?()\[\]\"，。！？；：、（）【】「」『』《》…]")
# Grammatical characters (particles, aspect and function words): a word jieba guesses never
# runs across one (see _zh_words).
_ZH_PARTICLES = frozenset(
    "的了已是在也都就还又被把将和与及或而着过吗呢吧啊么很太更最没才再让给对从向于为这那我你他她它们"
)
_EN_NOISE = frozenset({"http", "https", "www", "com", "rt", "amp", "via", "cn", "html"})
_TFIDF_LOCK = threading.Lock()
_TFIDF: Any = None


def is_chinese(lang: str | None, text: str) -> bool:
    """Chinese by the stored language, or by script when none was stored."""
    if lang:
        return lang.lower().startswith("zh")
    return bool(_CJK_RE.search(text))


def is_english(lang: str | None) -> bool:
    return bool(lang) and str(lang).lower().startswith("en")


def stop_terms(names: Iterable[str]) -> frozenset[str]:
    """Entity names and aliases as lower-case Simplified terms, plus their English words."""
    out: set[str] = set()
    for name in names:
        term = to_simplified(name.strip().lower())
        if not term:
            continue
        out.add(term)
        out.update(re.findall(r"[a-z][a-z'-]+", term))
    return frozenset(out)


def extract_themes(
    texts: Sequence[tuple[str | None, str]], *, stop: frozenset[str], top: int
) -> tuple[tuple[Theme, ...], tuple[Theme, ...]]:
    """(Chinese themes, English themes) of the sample, weights scaled so the first is 1."""
    zh = [_words(text) for lang, text in texts if is_chinese(lang, text)]
    en = [_words(text) for lang, text in texts if is_english(lang) and not is_chinese(lang, text)]
    return chinese_themes(zh, stop=stop, top=top), english_themes(en, stop=stop, top=top)


def word_prefix(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary (a cut word is dropped)."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    if _BOUNDARY_RE.match(text, limit):  # the cut falls on a boundary already
        return head
    ends = [m.start() for m in _BOUNDARY_RE.finditer(head)]
    return head[: ends[-1]] if ends else ""


def _words(text: str) -> str:
    """The cleaned text without the placeholders clean() leaves for addresses and handles."""
    return _PLACEHOLDER_RE.sub(" ", clean(text))


def _en_tokens(text: str) -> list[str]:
    return [t for t in _EN_TOKEN_RE.findall(text) if len(t) > 1]


def _tfidf() -> Any:
    global _TFIDF
    with _TFIDF_LOCK:
        if _TFIDF is None:
            import jieba.analyse

            # importing jieba.analyse already loads its IDF table once; reuse that instance
            _TFIDF = jieba.analyse.default_tfidf
        return _TFIDF


def _zh_words(text: str) -> Iterable[str]:
    """jieba's words, its new-word guessing (HMM) confined to runs between particles.

    jieba guesses words from runs of characters its dictionary does not join; a run across a
    particle gives 曝已 or 已下 (and loses 下架). So: the dictionary's segmentation first, then
    the guessing on each run of lone characters split at the particles.
    """
    import jieba
    from jieba import finalseg

    run: list[str] = []

    def guessed() -> Iterable[str]:
        if len(run) > 1:
            yield from finalseg.cut("".join(run))
        else:
            yield from run
        run.clear()

    for token in jieba.dt.cut(text, HMM=False):
        if len(token) == 1 and _CJK_RE.match(token) and token not in _ZH_PARTICLES:
            run.append(token)
            continue
        yield from guessed()
        yield token
    yield from guessed()


def chinese_themes(texts: Sequence[str], *, stop: frozenset[str], top: int) -> tuple[Theme, ...]:
    """jieba.analyse TF-IDF keywords over the texts (Traditional folded into Simplified)."""
    body = "\n".join(to_simplified(t) for t in texts if t)
    if not body.strip():
        return ()
    init_jieba(sorted(t for t in stop if _CJK_RE.search(t)))  # keep watched names whole
    tfidf = _tfidf()
    counts: dict[str, int] = {}
    for word in _zh_words(body):
        term = word.strip()
        if len(term) < 2 or _ASCII_RE.match(term) or term.lower() in stop:
            continue
        if term.lower() in tfidf.stop_words or not _CJK_RE.search(term):
            continue
        counts[term] = counts.get(term, 0) + 1
    total = sum(counts.values()) or 1
    scored = sorted(
        ((t, n * tfidf.idf_freq.get(t, tfidf.median_idf) / total) for t, n in counts.items()),
        key=lambda tw: (-tw[1], tw[0]),
    )
    kept = scored[:top]
    return _scaled(kept, "zh")


def english_themes(texts: Sequence[str], *, stop: frozenset[str], top: int) -> tuple[Theme, ...]:
    """Summed TF-IDF of words and word pairs over the texts (English stop words removed)."""
    docs = [t for t in texts if t.strip()]
    if not docs:
        return ()
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        stop_words="english",
        ngram_range=(1, 2),
        min_df=2 if len(docs) >= 20 else 1,
        max_features=50_000,
        tokenizer=_en_tokens,
        token_pattern=None,
        sublinear_tf=True,
    )
    try:
        matrix = vectorizer.fit_transform(docs)
    except ValueError:  # only stop words, or nothing left after min_df
        return ()
    scores = matrix.sum(axis=0).A1
    terms = vectorizer.get_feature_names_out()
    ranked = sorted(zip(terms, scores, strict=True), key=lambda ts: (-ts[1], ts[0]))
    kept: list[tuple[str, float]] = []
    covered: set[str] = set()
    for term, score in ranked:
        words = str(term).split()
        if str(term) in stop or any(w in stop or w in _EN_NOISE for w in words):
            continue
        if covered.issuperset(words):  # "recall" after "product recall", or the reverse pair
            continue
        covered.update(words)
        kept.append((str(term), float(score)))
        if len(kept) == top:
            break
    return _scaled(kept, "en")


def _scaled(pairs: list[tuple[str, float]], lang: str) -> tuple[Theme, ...]:
    if not pairs:
        return ()
    high = pairs[0][1] or 1.0
    return tuple(Theme(term=t, weight=round(w / high, 4), lang=lang) for t, w in pairs)
