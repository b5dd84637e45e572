"""Suggestions for a misspelt key or value: the one close known name, or nothing."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(value: object, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when one known name is close to ``value``, else ``""``."""
    if not isinstance(value, str) or not value:
        return ""
    choices = [name for name in known if name != value]
    folded = {name.casefold(): name for name in choices}
    if value.casefold() in folded:
        return f" (did you mean {folded[value.casefold()]!r}?)"
    close = difflib.get_close_matches(value, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def one_of(value: object, known: Iterable[str]) -> str:
    """``did_you_mean`` when one known name is close, else `` (expected one of: a, b, c)``."""
    names = sorted(known)
    return did_you_mean(value, names) or f" (expected one of: {', '.join(names) or 'none'})"
