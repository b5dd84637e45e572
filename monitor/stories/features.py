"""Mention text -> the weighted terms a story is compared on, and a near-duplicate anchor.

Contract: ``extract(text, entities)`` never raises and looks at most at ``MAX_CHARS``
characters. The text is cleaned with ``classifiers.text.clean`` (HTML, URLs and @handles
become ``URL`` / ``@USER``) and folded with ``classifiers.normalise.normalise`` (case,
Traditional -> Simplified, width), so a Traditional repost and its Simplified original give
the same terms. Repost and reply markers (``RT``, ``转发微博``, ``回复@x:``), Weibo bracket
emoticons and the cleaner's placeholders carry no content and are dropped.

Terms, whatever the language of the post (Chinese posts name brands and batch codes in Latin
letters, English posts quote Chinese names):

- runs of unspaced scripts (Han, kana, Hangul, Thai) give character bigrams: no segmenter, so
  no dictionary to ship and no jieba start-up; a new brand name is two or three bigrams;
- other words, lower-cased, English stop words and one-letter words out, plurals folded
  roughly (``floods`` -> ``flood``), hyphens and apostrophes joined (``co-pilot`` ->
  ``copilot``); hashtags keep their text (``#SydneySiege`` -> ``sydneysiege``);
- capitalised words and hashtags (names, places) and codes mixing letters and digits
  (``LK-2611``, ``4U9525``) are weighted up, since they pin an event down;
- each watched entity becomes the pseudo-term ``entity:<id>``, which then counts like a word
  through the same stream IDF (a brand named in every mention weighs nothing, an executive
  named in one story weighs a lot) and ties posts written in different languages.

Weights are ``(1 + ln tf) * boost``; the index applies IDF (it owns the statistics). The
anchor is a stable hash of the first ``ANCHOR_TERMS`` distinct terms, so reposts, retweets
and syndicated copies of one text share it whatever was added after them.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from operator import add

from classifiers.normalise import UNSPACED_RANGES, normalise
from classifiers.text import clean

MAX_CHARS = 4000  # where a story is decided; the rest of a long article adds cost, not signal
ENTITY_PREFIX = "entity:"  # terms never contain ":", so pseudo-terms never meet words
ANCHOR_TERMS = 8

_WORD_RE = re.compile(r"#?\w+(?:[-.'’]\w+)*")
_CAMEL_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
_CACHED_TOKEN = 24
_MIN_COMPOUND = 6  # shorter one-case hashtags (#lax, #psi) are words, not compounds
_SCRIPTS_RE = re.compile(f"([{UNSPACED_RANGES}]+)|([^{UNSPACED_RANGES}]+)")
_ZH_MARKERS_RE = re.compile(
    r"(?:转发|轉發)(?:微博)?|(?:回复|回覆)\s*@[^\s:：]{1,30}[:：]|\[[^\[\]\s]{1,8}\]"
)
_PLACEHOLDERS = frozenset(("URL", "USER", "RT"))  # clean()'s stand-ins, the retweet marker
_JOINERS = str.maketrans("", "", "-.'’")
_EN_STOP_WORDS = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can cannot could did do does doing dont down during each
    even ever every few for from further get gets getting got had has have having he hes
    her here heres hers herself him himself his how hows i im ive if in into is it
    its itself just lets like may me might more most much must my myself no nor not now of off
    on once one only or other ought our ours ourselves out over own per please same say says
    said she shes should so some such than that thats the their theirs them
    themselves then there theres these they theyd theyll theyre theyve this those though
    through to too under until up upon us very via was we were weve what whats when
    whens where wheres whether which while who whos whom why whys will with would yet you youd
    youll youre youve your yours yourself yourselves amp http https www com lol omg
"""
_EN_STOP = frozenset(_EN_STOP_WORDS.split())
_PLAIN, _NAME, _CODE, _GRAM = 0, 1, 2, 3  # term kinds; a term seen as several keeps the highest
# A bigram is half a word: the overlapping pairs of a Chinese phrase restate each other, and a
# Chinese post would otherwise drown the codes and names it shares with an English one.
_GRAM_WEIGHT = 0.5
# Function characters: a bigram of two of them (我们, 一个, 不是, 了吗) says nothing of a story.
_ZH_STOP_CHARS = frozenset(
    "的了吗呢吧啊呀哦嗯哈是在我你他她它们这那有就都也还没不很太和与把被给个一么"
)


@dataclass(frozen=True, slots=True)
class Boosts:
    """How much more than an ordinary word a kind of term weighs."""

    name: float = 2.0  # capitalised word, hashtag
    code: float = 1.5  # codes mixing letters and digits
    entity: float = 1.0  # a watched entity's pseudo-term


@dataclass(frozen=True, slots=True)
class Features:
    """What a mention contributes: raw term weights (before IDF) and its near-duplicate anchor."""

    terms: dict[str, float]
    content: int  # distinct text terms (entity pseudo-terms not counted)
    anchor: str | None  # None when the text is too short to tell copies from coincidences
    tags: tuple[str, ...] = ()  # one-case hashtags (#laxshooting): the index may split them


def _fold_plural(term: str) -> str:
    """English plural -> singular, roughly: enough for "floods" to meet "flood"."""
    if len(term) <= 3 or term[-2] in "su":
        return term
    if term.endswith("ies") and len(term) > 4:
        return term[:-3] + "y"
    if term.endswith(("ses", "xes", "zes", "ches", "shes")):
        return term[:-2]
    return term[:-1]


_Terms = tuple[tuple[tuple[str, int], ...], tuple[str, ...]]  # ((term, kind), ...), compounds


def _mixed_terms(token: str) -> _Terms:
    """The terms of a token with other scripts: bigrams of unspaced runs, words of the rest."""
    found: list[tuple[str, int]] = []
    tags: list[str] = []
    for run, other in _SCRIPTS_RE.findall(token):
        if other:
            words, compounds = _word(other)
            found.extend(words)
            tags.extend(compounds)
        elif len(run) > 1:
            run = normalise(run)
            found.extend(
                (gram, _GRAM) for gram in map(add, run[:-1], run[1:])
                if not (gram[0] in _ZH_STOP_CHARS and gram[1] in _ZH_STOP_CHARS)
            )
    return tuple(found), tuple(tags)


# Social text repeats itself: most tokens of a post are found in these caches at the cost of
# one lookup. Long unspaced runs (Chinese sentences) rarely repeat and would only evict words,
# so they are never cached.
_cached_mixed_terms = lru_cache(maxsize=1 << 14)(_mixed_terms)


@lru_cache(maxsize=1 << 15)
def _word(token: str) -> _Terms:
    """One spaced-script word's terms, and the hashtag to split if it is a compound."""
    tag = token[0] == "#"
    word = token[1:] if tag else token
    if not word or word in _PLACEHOLDERS:
        return (), ()
    whole = _term(word, tag=tag)
    found = () if whole is None else (whole,)
    if tag:
        parts = _CAMEL_RE.findall(word)
        if len(parts) > 1:  # #SydneySiege: also "sydney" and "siege"
            return found + tuple(t for p in parts if (t := _term(p, tag=True))), ()
        if len(word) >= _MIN_COMPOUND and word.isascii() and word.isalpha():
            return found, (word.lower(),)
    return found, ()


def clear_caches() -> None:
    """Forget the word caches (benchmarks time replays from a cold start)."""
    _word.cache_clear()
    _cached_mixed_terms.cache_clear()


def _term(word: str, *, tag: bool) -> tuple[str, int] | None:
    """One word's term and boost kind, or None for stop words and single characters."""
    low = word.lower() if word.isascii() else normalise(word)
    if low.endswith(("'s", "’s")):
        low = low[:-2]
    joined = low.translate(_JOINERS) if not low.isalnum() else low
    if len(joined) < 2:
        return None
    if not joined.isalpha():
        # Codes mix letters and digits (LK-2611, 4U9525); bare numbers (times, counts) do not
        # pin an event down any better than a word.
        code = not joined.isdigit() and any(c.isdigit() for c in joined)
        return joined, _CODE if code else _PLAIN
    if joined in _EN_STOP:
        return None
    if joined[-1] == "s":
        joined = _fold_plural(joined)
    return joined, _NAME if tag or (word[0].isupper() and not word.isupper()) else _PLAIN


def split_compound(tag: str, known: Callable[[str], bool]) -> tuple[str, str] | None:
    """Split a one-case hashtag into two known terms (``laxshooting`` -> lax, shooting).

    ``known`` says whether a term occurs in the stream (the index's vocabulary), so no word
    list is shipped; the longest known first part wins.
    """
    for cut in range(len(tag) - 2, 1, -1):
        head, tail = tag[:cut], tag[cut:]
        if tail[-1] == "s":
            tail = _fold_plural(tail)
        if head not in _EN_STOP and tail not in _EN_STOP and known(head) and known(tail):
            return head, tail
    return None


def extract(
    text: str, entities: tuple[str, ...] = (), *, boosts: Boosts = Boosts(),
    drop: frozenset[str] = frozenset(),
) -> Features:
    """The story features of one mention (see the module docstring).

    ``drop``: terms that do not count as text (the names of the entities it matched, which
    count through their pseudo-terms instead).
    """
    body = clean(text[: MAX_CHARS * 2] if isinstance(text, str) else "")[:MAX_CHARS]
    if not body.isascii():
        body = _ZH_MARKERS_RE.sub(" ", body)
    counts: dict[str, int] = {}  # insertion order: the first distinct terms make the anchor
    kinds: dict[str, int] = {}
    tags: list[str] = []
    for token in _WORD_RE.findall(body):
        if token.isascii():
            found, compounds = _word(token)
        elif len(token) <= _CACHED_TOKEN:
            found, compounds = _cached_mixed_terms(token)
        else:
            found, compounds = _mixed_terms(token)
        for term, kind in found:
            counts[term] = counts.get(term, 0) + 1
            if kind and kind > kinds.get(term, _PLAIN):
                kinds[term] = kind
        if compounds:
            tags.extend(compounds)
    by_kind = (1.0, boosts.name, boosts.code, _GRAM_WEIGHT)
    terms = {
        term: (1.0 + math.log(tf) if tf > 1 else 1.0) * by_kind[kinds.get(term, _PLAIN)]
        for term, tf in counts.items() if term not in drop
    }
    grams = sum(1 for term, kind in kinds.items() if kind == _GRAM and term in terms)
    content = len(terms) - grams + grams // 2
    for entity in entities:
        terms[ENTITY_PREFIX + entity] = boosts.entity
    anchor = None
    if content >= ANCHOR_TERMS:
        lead = "\x1f".join(islice(counts, ANCHOR_TERMS)).encode("utf-8", "surrogatepass")
        anchor = hashlib.blake2b(lead, digest_size=8).hexdigest()
    return Features(terms=terms, content=content, anchor=anchor, tags=tuple(tags))
