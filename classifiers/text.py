"""Text preparation for classifiers: cleaning, language detection, script conversion, tokens."""

from __future__ import annotations

import html
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from typing import Any

from classifiers.normalise import simplify

MAX_CHARS = 20_000
# Raw input is cut well above MAX_CHARS first so regexes never run on megabytes of text.
_RAW_CAP = MAX_CHARS * 8

_SCRIPT_STYLE_RE = re.compile(r"<(script|style)\b[^>]{0,2000}>.*?</\1\s*>", re.I | re.S)
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_TAG_RE = re.compile(r"</?[A-Za-z][^<>]{0,2000}>|<br\s*/?>", re.I)
_URL_RE = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"'，。！？、）】]+", re.I)
# Weibo handles contain CJK characters; the look-behind keeps e-mail addresses intact.
_HANDLE_RE = re.compile(r"(?<![\w.])@[\w\-·]{1,30}")
_WS_RE = re.compile(r"\s+")
# What clean() writes in place of an address and of a handle (the models were trained so).
URL_PLACEHOLDER = "URL"
HANDLE_PLACEHOLDER = "@USER"
_ZWJ = "\u200d"


def _drop_control(text: str) -> str:
    out: list[str] = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs") or (cat == "Cf" and ch != _ZWJ):
            # Tabs and newlines become spaces; everything else (NUL, bidi overrides, BOM,
            # zero-width spaces, lone surrogates) is dropped.
            if ch in "\t\n\r\x0b\x0c\x85":
                out.append(" ")
            continue
        out.append(ch)
    return "".join(out)


def _needs_control_pass(text: str) -> bool:
    return not text.isprintable()


def clean(text: str) -> str:
    """Strip HTML, control chars, URLs and @handles; collapse whitespace; keep emoji."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if not text:
        return ""
    text = text[:_RAW_CAP]
    if "<" in text:
        text = _SCRIPT_STYLE_RE.sub(" ", text)
        text = _COMMENT_RE.sub(" ", text)
        text = _TAG_RE.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
        if "<" in text:  # entity-encoded markup, e.g. "&lt;b&gt;"
            text = _TAG_RE.sub(" ", text)
    if _needs_control_pass(text):
        text = _drop_control(text)
    if "://" in text or "www." in text.lower():
        text = _URL_RE.sub(f" {URL_PLACEHOLDER} ", text)
    if "@" in text:
        text = _HANDLE_RE.sub(f" {HANDLE_PLACEHOLDER} ", text)
    # Every whitespace character but the ASCII space is unprintable, so printable text with
    # no double space has nothing to collapse (most texts: the substitution pass is skipped).
    if "  " in text or not text.isprintable():
        text = _WS_RE.sub(" ", text)
    return text.strip()[:MAX_CHARS]


# --- language detection -------------------------------------------------------------------

_EN_STOP_WORDS = """
    a about after all also am an and any are as at be because been but by can can't could
    did didn't do does doesn't don't for from get got had has have haven't he her him his
    how i i'm if in into is isn't it it's its just like me my no not now of on one only or
    our out so than that the their them then there they this to too up us very was wasn't
    we were what when which who why will with won't would you your you're thanks thank
    please lol omg love great good bad hate flight service
"""
_EN_STOP = frozenset(_EN_STOP_WORDS.split())
_OTHER_STOP_WORDS = """
    el la los las que de del y en un una por para con es está pero muy más como lo le se
    les ya sí también porque cuando donde le la les des une est et pas pour dans avec sur
    mais qui sont ce cette je tu il nous vous ils très der die das und ist nicht ein eine
    ich du mit auf für zu den dem sie wir auch noch sehr não uma com para mais você é isso
    eu ele ela muito het een van ik je niet dat zijn voor met che di il per non sono ma
    della yang dan di ini itu tidak dengan untuk ada saya aku kamu
"""
_OTHER_STOP = frozenset(_OTHER_STOP_WORDS.split()) - _EN_STOP
_LATIN_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


_HAN_RE = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\U00020000-\U0002fa1f]+")
_KANA_RE = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9d]+")
_HANGUL_RE = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]+")
_LATIN_RE = re.compile(r"[A-Za-z\uff21-\uff3a\uff41-\uff5a]+")
_LATIN_EXT_RE = re.compile(r"[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]+")
_LETTER_RE = re.compile(r"[^\W\d_]+")


def _count(pattern: re.Pattern[str], text: str) -> int:
    return sum(map(len, pattern.findall(text)))


def detect_lang(text: str) -> str:
    """Guess "zh", "en" or "other" from script ratios and English stop words."""
    try:
        return _detect_lang(text)
    except Exception:  # noqa: BLE001 - detection must never break ingestion
        return "other"


_ASCII_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?")


def _detect_ascii(lowered: str) -> str:
    """``_detect_lang`` for lower-cased ASCII text: only English stop words against other
    languages' count (no other script can occur, no diacritics), in one pass over the words."""
    words = _ASCII_WORD_RE.findall(lowered)
    if not words:
        return "other"
    if _OTHER_STOP.isdisjoint(words):  # most English text: no rule below can say "other"
        return "en"
    en_hits = sum(map(_EN_STOP.__contains__, words))
    other_hits = sum(map(_OTHER_STOP.__contains__, words))
    if en_hits == 0 and other_hits > 0:
        return "other"
    if other_hits > en_hits * 1.5 and other_hits >= 2:
        return "other"
    return "en"


def _detect_lang(text: str) -> str:
    if not isinstance(text, str) or not text:
        return "other"
    text = text[:4000]
    if text.isascii():
        # lower-cased once, before the address and handle removal: on ASCII text it changes
        # no character's class, so they remove the same spans
        lowered = text.lower()
        if "://" in lowered or "www." in lowered:
            lowered = _URL_RE.sub(" ", lowered)
        if "@" in lowered:
            lowered = _HANDLE_RE.sub(" ", lowered)
        return _detect_ascii(lowered)
    if "://" in text or "www." in text.lower():
        text = _URL_RE.sub(" ", text)
    if "@" in text:
        text = _HANDLE_RE.sub(" ", text)
    return _detect_ascii(text.lower()) if text.isascii() else _detect_scripts(text)


def _detect_scripts(text: str) -> str:
    """Decide by the counts of letters of each script (Han, kana, Hangul, basic and extended
    Latin, other letters), then by stop words."""
    latin = _count(_LATIN_RE, text)
    han = kana = hangul = latin_ext = 0
    if not text.isascii():  # most English posts: every ASCII letter is a basic Latin letter
        han = _count(_HAN_RE, text)
        # absent scripts cost one failed search instead of a full findall
        kana = _count(_KANA_RE, text) if _KANA_RE.search(text) else 0
        hangul = _count(_HANGUL_RE, text) if _HANGUL_RE.search(text) else 0
        latin_ext = _count(_LATIN_EXT_RE, text) if _LATIN_EXT_RE.search(text) else 0
    cjk = han + kana + hangul
    if kana + hangul > 0 and (kana + hangul) >= 0.15 * cjk:
        return "other"  # Japanese (kana mixed with kanji) or Korean
    # A Han character carries about as much as a short Latin word; brand names and English
    # fragments inside Chinese posts must not flip the decision. Decided before the other
    # letters are counted: most Chinese posts need no count of them.
    if han > 0 and han * 3 >= latin + latin_ext:
        return "zh"
    # Kana marks (U+3099..309C) and the prolonged sound mark are not all letters; clamp.
    other = 0 if text.isascii() else max(0, _count(_LETTER_RE, text) - cjk - latin - latin_ext)
    if cjk + latin + latin_ext + other == 0:
        return "other"
    if han >= 1 and latin + latin_ext + other == 0:
        return "zh"
    if other > (latin + latin_ext):
        return "other"  # Cyrillic, Arabic, Thai, Devanagari, Greek, Hebrew...
    if latin + latin_ext == 0:
        return "zh" if han else "other"
    words = _LATIN_WORD_RE.findall(text.lower())
    en_hits = len([w for w in words if w in _EN_STOP])
    other_hits = len([w for w in words if w in _OTHER_STOP])
    diacritic_ratio = latin_ext / (latin + latin_ext)
    if en_hits == 0 and (other_hits > 0 or diacritic_ratio > 0.04):
        return "other"
    if other_hits > en_hits * 1.5 and other_hits >= 2:
        return "other"
    if diacritic_ratio > 0.15 and en_hits < 2:
        return "other"
    if han >= 2:
        return "zh"
    return "en"


# --- Traditional -> Simplified ------------------------------------------------------------

# One conversion table for the whole project (classifiers.normalise, shared with the watchlist).
to_simplified = simplify


# --- jieba ----------------------------------------------------------------------------------

_JIEBA_LOCK = threading.Lock()
_JIEBA_READY = False
_JIEBA_WORDS: set[str] = set()
_JIEBA_PENDING: set[str] = set()
# Higher than any word in jieba's default dictionary (的 is ~320,000 of ~60 M), so a watched
# name wins against every segmentation that would cut through it.
NAME_FREQ = 2_000_000
NAME_TAG = "nz"  # jieba's tag for "other proper noun"
# jieba cuts text into blocks of these characters before looking words up, so a word can
# only ever be found inside one such block (its re_han_default, as of jieba 0.42).
_JIEBA_BLOCK_RE = re.compile(r"[\u4e00-\u9fd5a-zA-Z0-9+#&._%\-]+")
_JIEBA_CJK_RE = re.compile(r"[\u4e00-\u9fd5]")


def jieba_words(terms: Iterable[str]) -> list[str]:
    """The pieces of terms worth adding to jieba: blocks with CJK, at least 2 characters."""
    words: dict[str, None] = {}
    for term in terms:
        for piece in _JIEBA_BLOCK_RE.findall(to_simplified(str(term).strip().lower())):
            # A single character added with a huge frequency would be cut out of every word.
            if 2 <= len(piece) <= 50 and _JIEBA_CJK_RE.search(piece):
                words.setdefault(piece, None)
    return list(words)


def add_jieba_words(terms: Iterable[str], *, tokenizer: Any) -> None:
    """Add the CJK names among ``terms`` to ``tokenizer`` as whole words."""
    for word in jieba_words(terms):
        tokenizer.add_word(word, freq=NAME_FREQ, tag=NAME_TAG)


def init_jieba(user_words: Iterable[str] = (), *, lazy: bool = False) -> None:
    """Initialise jieba once per process; add watched names so they are never split.

    The composition root passes the watchlist's terms (the brand dictionary); repeated
    calls only add words not seen before. ``lazy=True`` only records the words: jieba is
    initialised (about 0.7 s) the first time a text is segmented, never for English text.
    """
    global _JIEBA_READY
    with _JIEBA_LOCK:
        _JIEBA_PENDING.update(w for w in jieba_words(user_words) if w not in _JIEBA_WORDS)
        if lazy and not _JIEBA_READY:
            return
        import jieba

        if not _JIEBA_READY:
            jieba.setLogLevel(logging.WARNING)
            logging.getLogger("jieba").setLevel(logging.WARNING)
            jieba.initialize()
            _JIEBA_READY = True
        fresh = sorted(_JIEBA_PENDING - _JIEBA_WORDS)
        add_jieba_words(fresh, tokenizer=jieba.dt)
        _JIEBA_WORDS.update(fresh)
        _JIEBA_PENDING.clear()


def jieba_loaded() -> bool:
    """True once jieba has been initialised in this process."""
    return _JIEBA_READY


# --- tokens ---------------------------------------------------------------------------------

_EMOJI_CLASS = (
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, supplemental symbols
    "\u2600-\u27bf"  # misc symbols and dingbats
    "\u2b00-\u2bff\u2300-\u23ff\u2190-\u21ff\u3297\u3299\u00a9\u00ae\u203c\u2049\u2122"
)
_EMOJI_RE = re.compile(f"[{_EMOJI_CLASS}]")
_EMOJI_DECOR = str.maketrans(
    "", "", "\ufe0f\ufe0e\u200d\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff"
)
WEIBO_EMOTICON_RE = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,8}\]")
_ASCII_EMOTICON_RE = re.compile(
    r"(?:[:;=8xX][\-o']?[)(\]\[dDpP/\\|*3]+|<3+|\^_*\^|[)(]+[:;])(?!\w)"
)
_EN_TOKEN_RE = re.compile(
    rf"(?P<emo>{_ASCII_EMOTICON_RE.pattern})|(?P<emoji>[{_EMOJI_CLASS}])"
    r"|(?P<word>[#@]?[^\W_]+(?:['’][^\W_]+)*)|(?P<punct>[!?]+|[.,;:]+)"
)
_NEGATORS_WORDS = """
    not no never nor cannot cant can't dont don't doesnt doesn't didnt didn't isnt isn't
    wasnt wasn't arent aren't werent weren't wont won't wouldnt wouldn't shouldnt shouldn't
    couldnt couldn't havent haven't hasnt hasn't hadnt hadn't aint ain't nothing nobody
    none without
"""
_NEGATORS = frozenset(_NEGATORS_WORDS.split())
_NEG_SCOPE = 3
_ELONGATED_RE = re.compile(r"([a-z])\1{2,}")
_ZH_SKIP = frozenset(" \t\u3000")


def _emoji_token(ch: str) -> str:
    return ch.translate(_EMOJI_DECOR)


# The same alternation without groups: findall yields whole tokens, which the fast path
# keeps as they are (words, emoticons) or normalises by their first character.
_EN_FAST_RE = re.compile(
    rf"(?:{_ASCII_EMOTICON_RE.pattern})|[{_EMOJI_CLASS}]"
    r"|[#@]?[^\W_]+(?:['’][^\W_]+)*|[!?]+|[.,;:]+"
)
_PUNCT_RUN = frozenset(".,;:")
# First characters of the only tokens ``_fast_token`` changes: hashtags, punctuation runs and
# the skin-tone modifiers it deletes (every other emoji and emoticon is kept as it is).
_RESHAPED_FIRST = frozenset("#!?.,;:\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")


def _fast_token(tok: str) -> str:
    first = tok[0]
    if first == "#":
        return tok[1:]
    if first in "!?":
        return tok[:3]
    if first in _PUNCT_RUN and not tok.strip(".,;:"):
        return first
    if len(tok) == 1 and _EMOJI_RE.match(tok):
        return _emoji_token(tok)
    return tok


def _kind(tok: str) -> tuple[str, str, str, str]:
    """``_EN_TOKEN_RE``'s groups (emoticon, emoji, word, punctuation) for a token of
    ``_EN_FAST_RE`` that does not start with 8 or x: a lone emoji character is an emoji (that
    alternative comes before words), a token starting with a letter, digit, # or @ a word, a
    run of ! ? or of . , ; : punctuation, and anything else an emoticon."""
    first = tok[0]
    if len(tok) == 1 and _EMOJI_RE.match(tok):
        return "", tok, "", ""
    if first.isalnum() or first in "#@":
        return "", "", tok, ""
    if first in "!?" or not tok.strip(".,;:"):
        return "", "", "", tok
    return tok, "", "", ""


def _tokenize_en(text: str) -> list[str]:
    text = text.lower()
    if "’" in text:
        text = text.replace("’", "'")
    if _ELONGATED_RE.search(text):  # rare: searching is cheaper than a substitution pass
        text = _ELONGATED_RE.sub(r"\1\1", text)
    found = _EN_FAST_RE.findall(text)
    words = [t.lstrip("#") for t in found] if "#" in text else found
    if _NEGATORS.isdisjoint(words) and "n't" not in text:
        # No negation to mark (most texts): one pass with the same output as the loop below.
        out = [t if t[0] not in _RESHAPED_FIRST else _fast_token(t) for t in found]
        return [t for t in out if t] if "" in out else out
    # The tokens found are grouped as _EN_TOKEN_RE would group them, without a second regex
    # pass; only a token starting with 8 or x can be an emoticon ("8)", "xd") or a word, which
    # the characters alone do not tell, so then the text is matched again.
    parts = (
        _EN_TOKEN_RE.findall(text) if any(t[0] in "8x" for t in found) else map(_kind, found)
    )
    tokens: list[str] = []
    neg_left = 0
    for emo, emoji, word, punct in parts:
        if word:
            if word[0] == "#":
                word = word[1:]
            is_negator = word in _NEGATORS or word.endswith("n't")
            if neg_left and not is_negator:
                tokens.append("NEG_" + word)
                neg_left -= 1
            else:
                tokens.append(word)
            if is_negator:
                neg_left = _NEG_SCOPE
        elif punct:
            neg_left = 0
            tokens.append(punct[:3] if punct[0] in "!?" else punct[0])
        elif emoji:
            emoji = _emoji_token(emoji)
            if emoji:
                tokens.append(emoji)
        elif emo:
            tokens.append(emo)
    return tokens


def _tokenize_zh(text: str) -> list[str]:
    import jieba

    if not _JIEBA_READY:
        init_jieba()
    text = to_simplified(text.lower())
    tokens: list[str] = []
    pos = 0
    # Weibo bracket emoticons such as [哈哈] or [泪] are kept as single tokens.
    for m in WEIBO_EMOTICON_RE.finditer(text):
        tokens.extend(_jieba_tokens(jieba, text[pos : m.start()]))
        tokens.append(m.group())
        pos = m.end()
    tokens.extend(_jieba_tokens(jieba, text[pos:]))
    return tokens


def _jieba_tokens(jieba_mod: object, text: str) -> list[str]:
    if not text:
        return []
    out: list[str] = []
    for w in jieba_mod.lcut(text, HMM=True):  # type: ignore[attr-defined]
        if w in _ZH_SKIP or w.isspace():
            continue
        if len(w) == 1 and _EMOJI_RE.match(w):
            w = _emoji_token(w)
            if not w:
                continue
        out.append(w)
    return out


def tokenize(text: str, lang: str) -> list[str]:
    """Return feature tokens: jieba words for zh, lowercased words with negation marks for en."""
    if not text:
        return []
    if lang == "zh":
        return _tokenize_zh(text)
    if lang == "en":
        return _tokenize_en(text)
    return [t[4:] if t.startswith("NEG_") else t for t in _tokenize_en(text)]
