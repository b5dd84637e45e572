"""Hashed text features shared by every linear classifier (training and serving).

Two blocks, each scaled by ``weight / sqrt(entries)`` per text: word n-grams from
:func:`classifiers.text.tokenize` hashed with CRC-32 (the fast path continues a word's CRC
over " next-word", so n-gram strings are never built), and character n-grams hashed by a
vectorised FNV-1a over code points, so a batch of texts is hashed in a few numpy passes
instead of one Python call per n-gram. Repeated terms are kept (term frequency). The slow
path (:func:`extract_terms` + :func:`blocks_from_terms`) yields the term strings, for
explanations, and gives the same matrix as the fast path (:func:`featurize_texts`).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from itertools import chain, pairwise, repeat
from typing import Any

import numpy as np
import scipy.sparse as sp

from classifiers.languages import ALL_LANGS as _LANGS
from classifiers.text import clean, to_simplified, tokenize

_WORD_SEED = 0x5EED
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_GOLDEN = 0x9E3779B97F4A7C15
_MIX = np.uint64(0xBF58476D1CE4E5B9)
_SPECIAL = frozenset({"url", "@user"})
_CHAR_MODES = frozenset({"chars", "wb"})
_SPACE = 32
_SEP = "\x00"  # never survives clean(), so it can separate texts in one stream


class ModelFormatError(ValueError):
    """A model file or spec is missing, corrupt, unsafe (object arrays) or inconsistent."""


@dataclass(frozen=True)
class FeatureSpec:
    """How text becomes hashed features; stored in the model header."""

    lang: str = "en"
    n_features_log2: int = 20
    word_ngrams: int = 2
    char_ngrams: tuple[int, int] = (2, 4)
    char_mode: str = "wb"
    word_weight: float = 1.0
    char_weight: float = 1.0
    max_chars: int = 1000
    binary: bool = False

    def __post_init__(self) -> None:
        if self.lang not in _LANGS:
            raise ModelFormatError(f"feature spec: lang {self.lang!r} not in {sorted(_LANGS)}")
        if not 10 <= self.n_features_log2 <= 24:
            raise ModelFormatError("feature spec: n_features_log2 must be within 10..24")
        if not 0 <= self.word_ngrams <= 3:
            raise ModelFormatError("feature spec: word_ngrams must be within 0..3")
        lo, hi = self.char_ngrams
        if not ((lo, hi) == (0, 0) or 1 <= lo <= hi <= 6):
            raise ModelFormatError("feature spec: char_ngrams must be (0, 0) or 1 <= lo <= hi <= 6")
        if self.char_mode not in _CHAR_MODES:
            raise ModelFormatError(f"feature spec: char_mode {self.char_mode!r} not in chars/wb")
        if not 1 <= self.max_chars <= 20_000:
            raise ModelFormatError("feature spec: max_chars must be within 1..20000")
        if self.word_weight < 0 or self.char_weight < 0:
            raise ModelFormatError("feature spec: block weights must be >= 0")
        if not (self.has_words or self.has_chars):
            raise ModelFormatError("feature spec: needs word or character features")

    @property
    def n_features(self) -> int:
        return 1 << self.n_features_log2

    @property
    def has_words(self) -> bool:
        return self.word_ngrams > 0 and self.word_weight > 0

    @property
    def has_chars(self) -> bool:
        return self.char_ngrams[0] > 0 and self.char_weight > 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        d["char_ngrams"] = list(self.char_ngrams)
        return d

    @classmethod
    def from_dict(cls, data: Any) -> FeatureSpec:
        """Validate and build from a model header."""
        try:
            return cls(
                lang=str(data["lang"]),
                n_features_log2=int(data["n_features_log2"]),
                word_ngrams=int(data["word_ngrams"]),
                char_ngrams=(int(data["char_ngrams"][0]), int(data["char_ngrams"][1])),
                char_mode=str(data["char_mode"]),
                word_weight=float(data["word_weight"]),
                char_weight=float(data["char_weight"]),
                max_chars=int(data["max_chars"]),
                binary=bool(data.get("binary", False)),
            )
        except (KeyError, TypeError, IndexError, ValueError) as exc:
            raise ModelFormatError(f"feature spec: bad or missing field ({exc})") from exc


@dataclass(frozen=True)
class Terms:
    """Feature terms of one text before hashing, repeats kept (for explanations)."""

    words: list[str] = field(default_factory=list)
    chars: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HashedBlock:
    """One feature block of a batch in CSR layout, without scipy's per-call overhead."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_features: int

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def csr(self) -> sp.csr_matrix:
        """The block as a scipy CSR matrix."""
        return sp.csr_matrix(
            (self.data, self.indices, self.indptr), shape=(self.n_rows, self.n_features)
        )

    def dot(self, weights: np.ndarray, *, absolute: bool = False) -> np.ndarray:
        """``block @ weights`` (or ``|block| @ weights``) for a (n_features,) or (n_features, k)
        array, in float64. Each row is summed in entry order, so a text scores bit-for-bit
        the same alone or inside any batch."""
        data = np.abs(self.data) if absolute else self.data
        w = weights.reshape(len(weights), -1)
        rows = np.repeat(np.arange(self.n_rows), np.diff(self.indptr))
        g = w[self.indices].astype(np.float64) * data[:, None].astype(np.float64)
        out = np.empty((self.n_rows, w.shape[1]))
        for j in range(w.shape[1]):
            out[:, j] = np.bincount(rows, weights=g[:, j], minlength=self.n_rows)
        return out


@dataclass(frozen=True)
class Featurized:
    """Hashed blocks of a batch (word block first if enabled) and each text's unigrams."""

    hashed: tuple[HashedBlock, ...]
    tokens: list[list[str]]
    # (word_ngrams, every text's word n-gram hashes in order, how many per text): another
    # spec of the batch with the same tokens and n reuses them.
    word_hashes: tuple[int, np.ndarray, np.ndarray] | None = None

    @property
    def blocks(self) -> tuple[sp.csr_matrix, ...]:
        return tuple(b.csr() for b in self.hashed)


def word_ngrams(tokens: list[str], max_n: int) -> list[str]:
    """The tokens, then their n-grams for n = 2..max_n, each joined by one space."""
    words = list(tokens)
    if max_n >= 2:
        # Bigrams are most of a text's terms; pairwise builds them without slicing.
        words.extend(map(" ".join, pairwise(tokens)))
    for n in range(3, max_n + 1):
        words.extend([" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)])
    return words


def _word_terms(text: str, spec: FeatureSpec) -> tuple[list[str], list[str]]:
    toks = tokenize(text, spec.lang)
    return toks, word_ngrams(toks, spec.word_ngrams)


def _char_parts(text: str, spec: FeatureSpec) -> list[str]:
    low = text.lower()
    if spec.lang == "zh":
        low = to_simplified(low)
    return [p for p in low.split() if p not in _SPECIAL]


def _stream(parts: list[str], mode: str) -> str:
    joined = " ".join(parts)
    return f" {joined} " if mode == "wb" and parts else joined


def extract_terms(text: str, spec: FeatureSpec) -> Terms:
    """Word and character n-gram strings of one text (slow path, for explanations)."""
    text = clean(text)[: spec.max_chars]
    if not text:
        return Terms()
    words = _word_terms(text, spec)[1] if spec.has_words else []
    chars: list[str] = []
    if spec.has_chars:
        lo, hi = spec.char_ngrams
        for part in _char_parts(text, spec):
            p = f" {part} " if spec.char_mode == "wb" else part
            for n in range(lo, min(hi, len(p)) + 1):
                chars.extend([p[i : i + n] for i in range(len(p) - n + 1)])
            if spec.char_mode == "wb" and lo == 1:
                chars = [c for c in chars if c != " "]
    return Terms(words=words, chars=chars)


def char_terms_in_block_order(text: str, spec: FeatureSpec) -> list[str]:
    """The character n-grams of one cleaned text (``char_mode`` "chars") in the order the
    fast path's char block holds them: by length, then position; the same multiset as
    ``extract_terms(text, spec).chars`` wherever ``clean(text) == text``, so the batch's char
    block rows need no second hashing."""
    if spec.char_mode != "chars":
        raise ValueError("block order is only defined for char_mode 'chars'")
    text = text[: spec.max_chars]
    if not text:
        return []
    parts = _char_parts(text, spec)
    lo, hi = spec.char_ngrams
    return [
        part[i : i + n]
        for n in range(lo, hi + 1)
        for part in parts
        for i in range(len(part) - n + 1)
    ]


def _fnv(columns: Sequence[np.ndarray], n: int) -> np.ndarray:
    """Hash n-grams given as n aligned uint64 code-point columns (same result on any path)."""
    h = np.full(len(columns[0]), _FNV_OFFSET ^ np.uint64((n * _GOLDEN) & 0xFFFFFFFFFFFFFFFF))
    for col in columns:
        h ^= col
        h *= _FNV_PRIME
    h ^= h >> np.uint64(31)
    h *= _MIX
    h ^= h >> np.uint64(29)
    return h


def _codepoints(s: str) -> np.ndarray:
    return np.frombuffer(s.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)


def _char_hashes_of_terms(chars: list[str]) -> np.ndarray:
    out = np.zeros(len(chars), np.uint64)
    by_len: dict[int, list[int]] = {}
    for i, c in enumerate(chars):
        by_len.setdefault(len(c), []).append(i)
    for n, idx in by_len.items():
        cps = _codepoints("".join(chars[i] for i in idx)).reshape(len(idx), n)
        out[np.array(idx)] = _fnv([cps[:, k] for k in range(n)], n)
    return out


def _char_hashes_of_streams(streams: list[str], spec: FeatureSpec) -> tuple[np.ndarray, np.ndarray]:
    """(text index, hash) of every valid character n-gram in a batch of prepared streams."""
    big = _SEP.join(streams)
    cp = _codepoints(big)
    if not len(cp):
        return np.empty(0, np.int64), np.empty(0, np.uint64)
    lengths = np.fromiter(map(len, streams), np.int64, len(streams))
    doc_of = np.repeat(np.arange(len(streams)), lengths + 1)[: len(cp)]
    sep = np.concatenate(([0], np.cumsum(cp == 0)))
    space = np.concatenate(([0], np.cumsum(cp == _SPACE)))
    docs: list[np.ndarray] = []
    hashes: list[np.ndarray] = []
    lo, hi = spec.char_ngrams
    for n in range(lo, hi + 1):
        m = len(cp) - n + 1
        if m <= 0:
            break
        if spec.char_mode == "chars":
            ok = (sep[n:] - sep[:m] == 0) & (space[n:] - space[:m] == 0)
        else:
            # Word-bounded: spaces only at the ends of the window, never a lone space.
            ok = sep[n:] - sep[:m] == 0
            if n >= 3:
                ok &= space[n - 1 : n - 1 + m] - space[1 : 1 + m] == 0
            elif n == 1:
                ok &= cp[:m] != _SPACE
            else:
                ok &= (cp[:m] != _SPACE) | (cp[1 : 1 + m] != _SPACE)
        pos = np.flatnonzero(ok)
        if not len(pos):
            continue
        docs.append(doc_of[pos])
        hashes.append(_fnv([cp[k : k + m] for k in range(n)], n)[pos])
    if not docs:
        return np.empty(0, np.int64), np.empty(0, np.uint64)
    return np.concatenate(docs), np.concatenate(hashes)


def _matrix(
    docs: np.ndarray,
    idx: np.ndarray,
    sign: np.ndarray,
    n_docs: int,
    weight: float,
    spec: FeatureSpec,
) -> HashedBlock:
    n_features = spec.n_features
    if spec.binary and len(docs):
        # One entry per (text, column, sign): presence, not frequency.
        key = np.sort((docs.astype(np.int64) * n_features + idx.astype(np.int64)) * 2 + sign)
        # Sorted distinct keys; np.unique gives the same but hashes first (12x slower here).
        first = np.empty(len(key), bool)
        first[0] = True
        np.not_equal(key[1:], key[:-1], out=first[1:])
        key = key[first]
        sign = (key & 1).astype(bool)
        docs = key // (2 * n_features)
        idx = (key // 2) % n_features
    counts = np.bincount(docs, minlength=n_docs)
    scale = (weight / np.sqrt(np.maximum(counts, 1))).astype(np.float32)
    indptr = np.zeros(n_docs + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    if n_docs > 1 and len(docs) and np.any(docs[1:] < docs[:-1]):
        order = np.argsort(docs, kind="stable")
        docs, idx, sign = docs[order], idx[order], sign[order]
    val = np.where(sign, np.float32(1.0), np.float32(-1.0)) * scale[docs]
    return HashedBlock(indptr, idx.astype(np.int32), val.astype(np.float32), n_features)


def _word_block(words: Sequence[list[str]], spec: FeatureSpec) -> HashedBlock:
    lengths = np.fromiter(map(len, words), np.int64, len(words))
    return _word_block_of_hashes(_crc32([w for ws in words for w in ws]), lengths, spec)


def _word_block_of_hashes(h: np.ndarray, lengths: np.ndarray, spec: FeatureSpec) -> HashedBlock:
    """The word block from each text's term hashes (``lengths`` of them per text, in order)."""
    docs = np.repeat(np.arange(len(lengths)), lengths)
    idx = h & np.uint32(spec.n_features - 1)
    return _matrix(docs, idx, (h >> np.uint32(31)) == 1, len(lengths), spec.word_weight, spec)


def _ngram_hashes(tokens: list[str], max_n: int) -> list[int]:
    """``_crc32(word_ngrams(tokens, max_n))`` without building the n-gram strings: crc32 runs
    on, so the hash of "a b" is the hash of " b" continued from the hash of "a"."""
    enc = list(map(str.encode, tokens, repeat("utf-8"), repeat("surrogatepass")))
    level = list(map(zlib.crc32, enc, repeat(_WORD_SEED)))
    out = list(level)
    spaced = list(map(b" ".__add__, enc[1:])) if max_n > 1 else []
    for n in range(2, max_n + 1):
        # n-gram i is the (n-1)-gram i continued by " " and token i + n - 1
        level = list(map(zlib.crc32, spaced[n - 2 :], level))
        out.extend(level)
    return out


def _char_block(docs: np.ndarray, h: np.ndarray, n_docs: int, spec: FeatureSpec) -> HashedBlock:
    idx = h & np.uint64(spec.n_features - 1)
    return _matrix(docs, idx, (h >> np.uint64(63)) == 1, n_docs, spec.char_weight, spec)


def blocks_from_terms(terms: Sequence[Terms], spec: FeatureSpec) -> tuple[sp.csr_matrix, ...]:
    """Hash extracted terms into the word and char blocks (equals the fast path's matrix)."""
    out = []
    if spec.has_words:
        out.append(_word_block([t.words for t in terms], spec).csr())
    if spec.has_chars:
        lengths = np.fromiter((len(t.chars) for t in terms), np.int64, len(terms))
        flat = [c for t in terms for c in t.chars]
        docs = np.repeat(np.arange(len(terms)), lengths)
        out.append(_char_block(docs, _char_hashes_of_terms(flat), len(terms), spec).csr())
    return tuple(out)


def _crc32(words: Sequence[str]) -> np.ndarray:
    return np.fromiter(
        map(
            zlib.crc32,
            map(str.encode, words, repeat("utf-8"), repeat("surrogatepass")),
            repeat(_WORD_SEED),
        ),
        dtype=np.uint32,
        count=len(words),
    )


def term_columns(terms: list[str], spec: FeatureSpec, block: str) -> tuple[np.ndarray, np.ndarray]:
    """(column, value) of each term of one text's ``words`` or ``chars`` block.

    With ``spec.binary`` pass unique terms: the value of a term is then its column's value.
    """
    if not terms:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    if block == "words":
        h = _crc32(terms).astype(np.uint64)
        sign, weight = (h >> np.uint64(31)) & np.uint64(1), spec.word_weight
    else:
        h = _char_hashes_of_terms(terms)
        sign, weight = h >> np.uint64(63), spec.char_weight
    idx = (h & np.uint64(spec.n_features - 1)).astype(np.int64)
    n = len(set(zip(idx.tolist(), sign.tolist(), strict=True))) if spec.binary else len(terms)
    val = np.where(sign == 1, np.float32(1.0), np.float32(-1.0)) * np.float32(weight / n**0.5)
    return idx, val.astype(np.float32)


def featurize_texts(
    texts: Sequence[str],
    spec: FeatureSpec,
    *,
    pre_cleaned: bool = False,
    like: Featurized | None = None,
) -> Featurized:
    """Fast path: hashed blocks for a batch, plus each text's unigram tokens.

    ``pre_cleaned``: the texts already went through ``clean`` (which is idempotent), so it is
    not run a second time. ``like``: the same texts featurised for another spec with word
    features, the same language and ``max_chars``: its tokens (and word n-gram hashes, for the
    same n) are reused, since tokenising and hashing are most of the word block's cost."""
    cleaned = [(t if pre_cleaned else clean(t))[: spec.max_chars] for t in texts]
    tokens: list[list[str]] = [[] for _ in cleaned]
    blocks = []
    word_hashes = None
    if spec.has_words:
        if like is not None and like.word_hashes and like.word_hashes[0] == spec.word_ngrams:
            tokens, word_hashes = like.tokens, like.word_hashes
        else:
            tokens = (
                like.tokens
                if like is not None
                else [tokenize(text, spec.lang) if text else [] for text in cleaned]
            )
            rows = [_ngram_hashes(toks, spec.word_ngrams) for toks in tokens]
            lengths = np.fromiter(map(len, rows), np.int64, len(rows))
            h = np.fromiter(chain.from_iterable(rows), np.uint32, int(lengths.sum()))
            word_hashes = (spec.word_ngrams, h, lengths)
        blocks.append(_word_block_of_hashes(word_hashes[1], word_hashes[2], spec))
    if spec.has_chars:
        streams = [_stream(_char_parts(t, spec), spec.char_mode) if t else "" for t in cleaned]
        docs, h = _char_hashes_of_streams(streams, spec)
        blocks.append(_char_block(docs, h, len(texts), spec))
    return Featurized(tuple(blocks), tokens, word_hashes)


def featurize_blocks(texts: Sequence[str], spec: FeatureSpec) -> tuple[sp.csr_matrix, ...]:
    """The word block and char block of a batch (add them for the full matrix)."""
    return featurize_texts(texts, spec).blocks


def featurize(texts: Sequence[str], spec: FeatureSpec) -> sp.csr_matrix:
    """The full hashed feature matrix (n_texts x 2**n_features_log2, float32 CSR)."""
    blocks = featurize_blocks(texts, spec)
    x = blocks[0]
    for b in blocks[1:]:
        x = x + b
    return sp.csr_matrix(x, dtype=np.float32)


def featurize_one(text: str, spec: FeatureSpec) -> tuple[np.ndarray, np.ndarray]:
    """(column indices, values) of one text's feature vector (repeats not yet summed)."""
    hashed = featurize_texts([text], spec).hashed
    return (
        np.concatenate([b.indices for b in hashed]).astype(np.int64),
        np.concatenate([b.data for b in hashed]),
    )
