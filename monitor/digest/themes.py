"""Top negative themes: jieba TF-IDF keywords for Chinese, scikit-learn TF-IDF for English.

Runs on a bounded, deterministic sample of negative texts (see mention_figures.negative_sample),
so its cost does not grow with the week's volume. The watched names themselves are left out:
"the brand" is always the top word of a brand's mentions and says nothing about the theme.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from classifiers.text import clean, init_jieba, to_simplified
from monitor.digest.model import Theme

_CJK_RE = re.compile(r"[\u3400-\u9fff]")
_ASCII_RE = re.compile(r"^[\x00-\x7f]+$")
_EN_TOKEN = r"(?u)\b[a-zA-Z][a-zA-Z'-]{1,}\b"
_EN_NOISE = frozenset({"http", "https", "www", "com", "rt", "amp", "via", "cn", "html"})
_IDF_LOCK = threading.Lock()
_IDF: _Idf | None = None
# jieba.analyse's own stop words (KeywordExtractor.STOP_WORDS), kept so the weights match it
_JIEBA_STOP = frozenset((
    "the", "of", "is", "and", "to", "in", "that", "we", "for", "an", "are", "by", "be", "as",
    "on", "with", "can", "if", "from", "which", "you", "it", "this", "then", "at", "have", "all",
    "not", "one", "has", "or",
))


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
    zh = [clean(text) for lang, text in texts if is_chinese(lang, text)]
    en = [clean(text) for lang, text in texts if is_english(lang) and not is_chinese(lang, text)]
    return chinese_themes(zh, stop=stop, top=top), english_themes(en, stop=stop, top=top)


@dataclass(frozen=True, slots=True)
class _Idf:
    weights: dict[str, float]
    median: float


def _idf() -> _Idf:
    """jieba's IDF table, read once per process.

    Read here rather than through ``jieba.analyse``: importing that package also loads jieba's
    part-of-speech tagger (over a second, more on a busy machine), which themes never use.
    """
    global _IDF
    with _IDF_LOCK:
        if _IDF is None:
            import jieba

            path = Path(jieba.__file__).parent / "analyse" / "idf.txt"
            weights: dict[str, float] = {}
            for line in path.read_text(encoding="utf-8").splitlines():
                word, _, value = line.strip().partition(" ")
                if value:
                    weights[word] = float(value)
            _IDF = _Idf(weights, sorted(weights.values())[len(weights) // 2])
        return _IDF


def prepare(stop: frozenset[str]) -> None:
    """Load what themes need (jieba's dictionary with the watched names, its IDF table, the
    English vectorizer), so that it can be done in a thread while the database works."""
    init_jieba(sorted(t for t in stop if _CJK_RE.search(t)))
    _idf()
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: F401


def _extract_tags(body: str, top: int) -> list[tuple[str, float]]:
    """jieba.analyse.extract_tags(body, topK=top, withWeight=True), same terms and weights."""
    import jieba

    idf = _idf()
    freq: dict[str, float] = {}
    for word in jieba.dt.cut(body):
        if len(word.strip()) < 2 or word.lower() in _JIEBA_STOP:
            continue
        freq[word] = freq.get(word, 0.0) + 1.0
    total = sum(freq.values())
    weighted = {w: n * (idf.weights.get(w, idf.median) / total) for w, n in freq.items()}
    return sorted(weighted.items(), key=itemgetter(1), reverse=True)[:top]


def chinese_themes(texts: Sequence[str], *, stop: frozenset[str], top: int) -> tuple[Theme, ...]:
    """jieba.analyse TF-IDF keywords over the texts (Traditional folded into Simplified)."""
    body = "\n".join(to_simplified(t) for t in texts if t)
    if not body.strip():
        return ()
    init_jieba(sorted(t for t in stop if _CJK_RE.search(t)))  # keep watched names whole
    tags = _extract_tags(body, top * 4)
    kept = [
        (str(term), float(weight))
        for term, weight in tags
        if str(term).lower() not in stop and not _ASCII_RE.match(str(term))
    ][:top]
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
        token_pattern=_EN_TOKEN,
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
