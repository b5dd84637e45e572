"""Risk categories and their editable zh + en lexicons: specs, parsing, fast matching.

A lexicon maps a term to a weight in (0, 1]. A category's lexicon score is the noisy-or of the
weights of the distinct terms found, ``1 - prod(1 - w)``: one strong term (0.6+) passes the
default threshold of 0.5 alone, weak terms (0.2-0.35) need company. Matching runs on
``to_simplified(text).lower()``, so Traditional and Simplified spellings match each other.
Chinese terms match anywhere; terms written in Latin letters match whole words only (no letter
or digit on either side) and in their -s/-es form (``foreign material`` finds foreign
materials; not for a last word under three letters), ``*`` at the end of a term matches any
word ending (``recall*`` finds recalled, recalls) and a space matches any run of spaces or
hyphens. A match right after a negation ("没有过敏", "未检出异物", "never got sick", "haven't
been hacked") does not count, nor, for a category with context words in the text's language
(product_safety in Chinese: 吃, 用, 产品, 店...; executive_conduct: CEO, 董事长...), a match in
a text that has none of them, unless the text is about a watched entity of a kind that
supplies the context itself (``context_entities``: the watched executive).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from classifiers.languages import LANGUAGES
from classifiers.text import to_simplified

DEFAULT_LEXICON_PATH = Path(__file__).resolve().parent / "lexicons" / "default.yaml"
LEXICON_LANGS = LANGUAGES
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_LATIN_RE = re.compile(r"[A-Za-z0-9]")
MAX_TERM_CHARS = 60

Source = Literal["model", "lexicon", "both"]


@dataclass(frozen=True)
class CategoryScore:
    """One risk category found in a text; evidence is matched terms or model features."""

    category: str
    score: float
    severity: int
    evidence: tuple[str, ...]
    source: Source


@dataclass(frozen=True)
class CategorySpec:
    """A configured risk category: severity 1-5, threshold, and lang -> term -> weight."""

    name: str
    severity: int
    threshold: float = 0.5
    lexicon: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    use_model: bool = True
    description: str = ""
    # A bad event (recall, outage, breach): positive words next to it are read as sarcasm.
    negative_event: bool = False
    # The learned model counts only when a lexicon term of this category is also present
    # (rumours: a rumour is hearsay; the model alone learns its sets' news topics).
    cue_required: bool = False
    # The same, only in texts where one of these categories is also found (a rumour model on
    # crisis news needs a hearsay cue: confirmed accident news is not a rumour).
    cue_with: tuple[str, ...] = ()
    # The terms define the category: their own score reports it at the threshold, whatever a
    # fitted combination with a model says (a rumour is hearsay by definition; the rumour
    # models' data calls plain breaking news rumours and hearsay words in it carry no signal).
    lexicon_alone: bool = False
    # Reported only when the intent model gives this intent a fair chance (see scorer).
    requires_intent: str = ""
    # Per language: the category's terms of that language count only in a text that also
    # names one of these context words (product_safety: a product, a purchase, a meal; 变质
    # and 中毒 in a cooking tip or a curse are no product's harm). Context words are not
    # evidence and add no score; a language without a list needs no context.
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Kinds of watched entity (executive, product...) whose mentions carry the context
    # themselves: a post naming the watched chief executive needs no role word.
    context_entities: tuple[str, ...] = ()


class LexiconError(ValueError):
    """A lexicon or category definition is invalid; the message names the key path."""


def _check_term(where: str, term: Any, weight: Any) -> tuple[str, float]:
    if isinstance(term, int) and not isinstance(term, bool):
        term = str(term)  # YAML reads an unquoted 12315 as a number
    if not isinstance(term, str) or not term.strip():
        raise LexiconError(f"{where}: terms must be non-empty strings, got {term!r}")
    if len(term) > MAX_TERM_CHARS:
        raise LexiconError(f"{where}.{term}: term longer than {MAX_TERM_CHARS} characters")
    core = term.strip().rstrip("*")
    if _LATIN_RE.match(core[:1] or " ") and not _LATIN_RE.match(core[-1:] or " "):
        raise LexiconError(f"{where}.{term}: Latin terms must start and end with a letter or digit")
    if "*" in core:
        raise LexiconError(f"{where}.{term}: '*' is only allowed at the end of a term")
    if isinstance(weight, bool) or not isinstance(weight, int | float):
        raise LexiconError(f"{where}.{term}: weight must be a number in (0, 1], got {weight!r}")
    if not 0.0 < float(weight) <= 1.0:
        raise LexiconError(f"{where}.{term}: weight must be in (0, 1], got {weight!r}")
    return term.strip(), float(weight)


def _names(where: str, value: Any, what: str = "category names") -> tuple[str, ...]:
    if isinstance(value, str) or not all(isinstance(v, str) for v in value or ()):
        raise LexiconError(f"{where}: must be a list of {what}")
    return tuple(value or ())


def check_spec(spec: CategorySpec, where: str = "categories") -> CategorySpec:
    """Validate one spec (name, severity, threshold, terms); LexiconError names the key path."""
    at = f"{where}.{spec.name}"
    if not isinstance(spec.name, str) or not _NAME_RE.match(spec.name):
        raise LexiconError(f"{at}: category names are lower_snake_case, got {spec.name!r}")
    if isinstance(spec.severity, bool) or not isinstance(spec.severity, int):
        raise LexiconError(f"{at}.severity: must be an integer 1-5, got {spec.severity!r}")
    if not 1 <= spec.severity <= 5:
        raise LexiconError(f"{at}.severity: must be 1-5, got {spec.severity}")
    if isinstance(spec.threshold, bool) or not isinstance(spec.threshold, int | float):
        raise LexiconError(f"{at}.threshold: must be a number in (0, 1], got {spec.threshold!r}")
    if not 0.0 < float(spec.threshold) <= 1.0:
        raise LexiconError(f"{at}.threshold: must be in (0, 1], got {spec.threshold!r}")
    lexicon: dict[str, Mapping[str, float]] = {}
    for lang, terms in spec.lexicon.items():
        if lang not in LEXICON_LANGS:
            raise LexiconError(f"{at}.{lang}: unknown lexicon language (use zh or en)")
        if not isinstance(terms, Mapping):
            raise LexiconError(f"{at}.{lang}: must map term -> weight")
        lexicon[lang] = MappingProxyType(
            dict(_check_term(f"{at}.{lang}", t, w) for t, w in terms.items())
        )
    context: dict[str, tuple[str, ...]] = {}
    for lang, words in spec.context.items():
        if lang not in LEXICON_LANGS:
            raise LexiconError(f"{at}.context.{lang}: unknown lexicon language (use zh or en)")
        checked = tuple(_check_term(f"{at}.context.{lang}", w, 1.0)[0] for w in words)
        if checked:
            context[lang] = checked
    return CategorySpec(
        name=spec.name,
        severity=spec.severity,
        threshold=float(spec.threshold),
        lexicon=MappingProxyType(lexicon),
        use_model=spec.use_model,
        description=spec.description,
        negative_event=bool(spec.negative_event),
        cue_required=bool(spec.cue_required),
        cue_with=_names(f"{at}.cue_with", spec.cue_with),
        lexicon_alone=bool(spec.lexicon_alone),
        requires_intent=str(spec.requires_intent or ""),
        context=MappingProxyType(context),
        context_entities=_names(f"{at}.context_entities", spec.context_entities, "entity kinds"),
    )


def _context(where: str, value: Any) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(v, list | tuple) for v in value.values()
    ):
        raise LexiconError(f"{where}: must map language -> list of context words")
    return {str(lang): tuple(words) for lang, words in value.items()}


def parse_categories(data: Any, where: str = "categories") -> tuple[CategorySpec, ...]:
    """Build specs from the YAML shape ``{name: {severity, threshold?, zh: {...}, en: {...}}}``."""
    if not isinstance(data, Mapping):
        raise LexiconError(f"{where}: must map category name -> definition")
    out: list[CategorySpec] = []
    allowed = {
        "severity",
        "threshold",
        "use_model",
        "description",
        "negative_event",
        "cue_required",
        "cue_with",
        "lexicon_alone",
        "requires_intent",
        "context",
        "context_entities",
        *LEXICON_LANGS,
    }
    for name, body in data.items():
        at = f"{where}.{name}"
        if not isinstance(body, Mapping):
            raise LexiconError(f"{at}: must be a mapping with severity and lexicons")
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise LexiconError(f"{at}.{unknown[0]}: unknown key")
        if "severity" not in body:
            raise LexiconError(f"{at}.severity: missing")
        spec = CategorySpec(
            name=str(name),
            severity=body["severity"],
            threshold=body.get("threshold", 0.5),
            lexicon={lang: body.get(lang) or {} for lang in LEXICON_LANGS},
            use_model=bool(body.get("use_model", True)),
            description=str(body.get("description", "")),
            negative_event=bool(body.get("negative_event", False)),
            cue_required=bool(body.get("cue_required", False)),
            cue_with=body.get("cue_with") or (),
            lexicon_alone=bool(body.get("lexicon_alone", False)),
            requires_intent=str(body.get("requires_intent", "") or ""),
            context=_context(f"{at}.context", body.get("context")),
            context_entities=body.get("context_entities") or (),
        )
        out.append(check_spec(spec, where))
    return tuple(out)


def load_categories(path: Path | None = None) -> tuple[CategorySpec, ...]:
    """Read a lexicon YAML file (default: the shipped classifiers/lexicons/default.yaml)."""
    if path is None:
        return _shipped_categories()
    return _read_categories(path)


@functools.lru_cache(maxsize=1)
def _shipped_categories() -> tuple[CategorySpec, ...]:
    return _read_categories(DEFAULT_LEXICON_PATH)


def _read_categories(src: Path) -> tuple[CategorySpec, ...]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(src, encoding="utf-8") as fh:
        doc = yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader
    if not isinstance(doc, Mapping) or "categories" not in doc:
        raise LexiconError(f"{src}: expected a top-level 'categories' mapping")
    try:
        return parse_categories(doc["categories"])
    except LexiconError as exc:
        raise LexiconError(f"{src}: {exc}") from exc


def _trie_pattern(keys: Iterable[str]) -> str:
    """A regex alternation factored as a trie, so each position tries one branch."""
    trie: dict[str, Any] = {}
    for key in keys:
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


def _spaces(pattern: str) -> str:
    """Let an escaped space in a term match any run of spaces or hyphens."""
    return pattern.replace("\\ ", "[\\s\\-]+")


# English nouns and verbs inflect: a Latin-letter term also matches its -s/-es form
# ("foreign material" in "foreign materials", "sue" in "sues"). Words under three letters
# are abbreviations (sb, vx) whose -s form is another word, so they never inflect.
_PLURAL = "(?:e?s)?"
_INFLECTS = 3


def _stems(key: str) -> Iterator[str]:
    """The matched text, then the terms an -s/-es form of it may stand for."""
    yield key
    for suffix in ("s", "es"):
        stem = key.removesuffix(suffix)
        if stem != key and len(stem.rsplit(" ", 1)[-1]) >= _INFLECTS:
            yield stem


def _norm_term(term: str) -> str:
    return re.sub(r"[\s\-]+", " ", to_simplified(term).lower().strip())


# A negator directly before a term, or with one word between ("没有发现异物", "not been
# hacked"), negates it. Chinese negators that start a term themselves (不合格, 无法登录) are
# part of the term, so they are never looked for inside the match.
_NEG_ZH_RE = re.compile(
    r"(?:没有|没|未|无|不|别|并非|从未|从没)(?:发现|出现|检出|检测出|任何|再|会|有|被)?$"
)
_NEG_EN_RE = re.compile(
    r"(?:\b(?:no|not|never|without|zero|nothing|nobody|cannot)|n't)\s+(?:[a-z']+\s+)?$"
)
_NEG_WINDOW = 30


def negated(folded: str, start: int) -> bool:
    """True when the term starting at ``start`` of the folded text follows a negation."""
    before = folded[max(0, start - _NEG_WINDOW) : start]
    if not before:
        return False
    if _LATIN_RE.match(folded[start : start + 1]):
        return _NEG_EN_RE.search(before.replace("’", "'")) is not None
    return _NEG_ZH_RE.search(before) is not None


@dataclass(frozen=True)
class _Entry:
    category: str
    weight: float
    term: str
    lang: str


def _as_words(body: str) -> str:
    """``body`` as whole words, in a pattern compiled with ``re.ASCII``: ASCII \\b sees a word
    boundary between a Chinese character and a Latin letter (澜沐CEO陈浩然), Unicode \\b not."""
    return rf"\b(?:{body})\b"


def _any_of(terms: Iterable[str]) -> re.Pattern[str]:
    """One pattern finding any of ``terms`` (Chinese anywhere, Latin-letter terms as words)."""
    keys = {_norm_term(t) for t in terms} - {""}
    cjk = [k for k in keys if not _LATIN_RE.match(k[0])]
    latin = [k for k in keys if _LATIN_RE.match(k[0])]
    alts = [_spaces(_trie_pattern(cjk))] if cjk else []
    if latin:
        alts.append(_as_words(_spaces(_trie_pattern(latin))))
    return re.compile("|".join(alts) or "(?!)", re.ASCII)


_SEEN_LIMIT = 50_000


class LexiconMatcher:
    """All categories' terms compiled into one pass over the text."""

    def __init__(self, specs: Iterable[CategorySpec]) -> None:
        self._exact: dict[str, list[_Entry]] = {}
        self._prefix: list[tuple[str, list[_Entry]]] = []
        self._seen: dict[str, tuple[_Entry, ...]] = {}  # matched text -> _entries, memoised
        cjk: set[str] = set()
        latin_exact: set[str] = set()
        latin_prefix: set[str] = set()
        prefix_map: dict[str, list[_Entry]] = {}
        # (category, lang) -> its context words; a term of that pair counts only with one.
        self._context: dict[tuple[str, str], re.Pattern[str]] = {}
        self._context_entities = {spec.name: frozenset(spec.context_entities) for spec in specs}
        for spec in specs:
            for lang, words in spec.context.items():
                self._context[(spec.name, lang)] = _any_of(words)
            for lang, terms in spec.lexicon.items():
                for raw, weight in terms.items():
                    wild = raw.endswith("*")
                    term = _norm_term(raw.rstrip("*"))
                    if not term:
                        continue
                    entry = _Entry(spec.name, weight, raw, lang)
                    if wild:
                        prefix_map.setdefault(term, []).append(entry)
                        latin_prefix.add(term)
                    else:
                        self._exact.setdefault(term, []).append(entry)
                        (latin_exact if _LATIN_RE.match(term[0]) else cjk).add(term)
        self._prefix = sorted(prefix_map.items(), key=lambda kv: -len(kv[0]))
        # Two passes beat one: the CJK trie keeps the regex engine's first-character skip, and
        # ASCII \b (unlike a look-behind) keeps it for Latin terms, while still seeing a word
        # boundary between a Chinese character and a Latin letter.
        self._patterns: list[re.Pattern[str]] = []
        self._cjk: re.Pattern[str] | None = None
        if cjk:
            self._cjk = re.compile(_spaces(_trie_pattern(cjk)))
            self._patterns.append(self._cjk)
        # Exact terms first: regex alternation takes the first branch that matches, so a
        # longer exact phrase ("explosion at") is not cut short by a prefix term.
        latin: list[str] = []
        if latin_exact:
            latin.append(f"(?:{_trie_pattern(latin_exact)}){_PLURAL}")
        if latin_prefix:
            latin.append("(?:" + _trie_pattern(latin_prefix) + ")[a-z0-9']*")
        if latin:
            body = _spaces("|".join(latin))
            self._patterns.append(re.compile(_as_words(body), re.ASCII))

    def _entries(self, matched: str) -> tuple[_Entry, ...]:
        """Every term the matched text stands for: the exact term and each prefix term (a
        text can be ``explosion`` for one category and ``explosion*`` for another)."""
        cached = self._seen.get(matched)
        if cached is not None:
            return cached
        key = re.sub(r"[\s\-]+", " ", matched)
        found = next((list(self._exact[k]) for k in _stems(key) if k in self._exact), [])
        if _LATIN_RE.match(key):  # prefix terms are Latin-letter terms
            for prefix, entries in self._prefix:
                if key.startswith(prefix):
                    found.extend(entries)
        if len(self._seen) >= _SEEN_LIMIT:  # matched texts are few; a flood of odd ones is not
            self._seen.clear()
        self._seen[matched] = result = tuple(found)
        return result

    def match(
        self, text: str, entity_kind: str | None = None
    ) -> dict[str, list[tuple[str, float]]]:
        """Category -> [(evidence as written, weight)] for distinct terms, in text order;
        ``entity_kind`` is the kind of watched entity the text was matched to, if any."""
        if not self._patterns or not text:
            return {}
        folded = to_simplified(text).lower()
        same_shape = len(folded) == len(text)
        out: dict[str, list[tuple[str, float]]] = {}
        seen: set[tuple[str, str]] = set()
        in_context: dict[tuple[str, str], bool] = {}
        ascii_only = folded.isascii()
        for pattern in self._patterns:
            if ascii_only and pattern is self._cjk:
                continue  # no Chinese term can match ASCII text
            for m in pattern.finditer(folded):
                if negated(folded, m.start()):
                    continue
                matched = m.group()
                shown = text[m.start() : m.end()] if same_shape else matched
                for entry in self._entries(matched):
                    key = (entry.category, entry.term)
                    if key in seen:
                        continue
                    seen.add(key)
                    pair = (entry.category, entry.lang)
                    context = self._context.get(pair)
                    if context is not None:
                        if pair not in in_context:
                            in_context[pair] = entity_kind in self._context_entities[
                                entry.category
                            ] or context.search(folded) is not None
                        if not in_context[pair]:
                            continue
                    out.setdefault(entry.category, []).append((shown, entry.weight))
        return out


def noisy_or(weights: Iterable[float]) -> float:
    """Combine independent term weights: 1 - prod(1 - w)."""
    miss = 1.0
    for w in weights:
        miss *= 1.0 - w
    return 1.0 - miss


def lexicon_scores(
    matches: Mapping[str, list[tuple[str, float]]],
) -> dict[str, tuple[float, tuple[str, ...]]]:
    """Category -> (noisy-or score, evidence terms strongest first) from ``LexiconMatcher``."""
    out: dict[str, tuple[float, tuple[str, ...]]] = {}
    for category, hits in matches.items():
        ordered = sorted(hits, key=lambda h: -h[1])
        evidence = tuple(dict.fromkeys(t for t, _ in ordered))  # one text, two terms: once
        out[category] = (round(noisy_or(w for _, w in hits), 4), evidence)
    return out
