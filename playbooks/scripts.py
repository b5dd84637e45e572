"""Pre-approved response scripts: approval bound to a hash of the text, and safe filling.

Placeholders are written one way in every language: ``${name}`` (``$name`` would run into
the next word in Chinese, ``【$brand关于】``); ``$$`` is a literal dollar sign.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import string
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from playbooks.errors import ScriptError

GENERAL_SCENARIO = "general"  # scripts offered for every category
# Forms of a placeholder that are not ``${name}``: ``$name``, ``{name}``, ``{{ name }}``.
MISWRITTEN_PLACEHOLDER = re.compile(
    r"(?<![$\w])\$(?P<bare>[A-Za-z_]\w*)|(?<!\$)\{\{?\s*(?P<braces>[A-Za-z_]\w*)\s*\}\}?", re.ASCII
)


class ScriptTemplate(string.Template):
    """``${name}`` only: the bare ``$name`` form is not a placeholder (loading rejects it)."""

    idpattern = r"(?!)"  # never matches, which turns off the bare form
    braceidpattern = r"(?a:[_a-z][_a-z0-9]*)"


DEFAULT_VALIDITY = timedelta(days=180)
DEFAULT_VALUE_MAX_CHARS = 200
MAX_APPROVER_CHARS = 100
FINAL_STEP = "final"  # the step ``scripts approve`` records, and what an ``approval:`` entry is
# The source plans' review of a public statement: legal/compliance, brand, fact check, sign-off.
DEFAULT_REVIEW_STEPS: tuple[str, ...] = ("compliance", "brand", "accuracy", FINAL_STEP)


@dataclass(frozen=True, slots=True)
class Review:
    """One review step of a script's text: who passed it, when, until when, and the hash of
    the text they read. ``verified``: ``by`` is a configured person holding the step's role."""

    step: str
    by: str
    at: datetime
    expires_at: datetime
    sha256: str
    verified: bool = True


@dataclass(frozen=True, slots=True)
class ResponseScript:
    """A standard line (口徑) for one scenario and language, with its reviews; usable when every
    step of ``required_steps`` has an unexpired review of the current text."""

    id: str
    scenario: str
    lang: str
    text: str
    placeholders: tuple[str, ...] = field(init=False)  # derived from text, in order of use
    reviews: tuple[Review, ...] = ()
    required_steps: tuple[str, ...] = DEFAULT_REVIEW_STEPS
    title: str = ""
    source: str = ""  # file it was loaded from, for messages

    def __post_init__(self) -> None:
        object.__setattr__(self, "placeholders", tuple(ScriptTemplate(self.text).get_identifiers()))

    def review(self, step: str) -> Review | None:
        """The recorded review of ``step``, or None."""
        return next((r for r in self.reviews if r.step == step), None)

    @property
    def approved_by(self) -> str | None:
        """Who signed the final step (None before that)."""
        final = self.review(FINAL_STEP)
        return final.by if final else None

    @property
    def approved_at(self) -> datetime | None:
        """When the last required review was recorded (None while one is missing)."""
        done = [self.review(step) for step in self.required_steps]
        return None if any(r is None for r in done) else max(r.at for r in done if r)

    @property
    def expires_at(self) -> datetime | None:
        """When the first required review expires (None while one is missing)."""
        done = [self.review(step) for step in self.required_steps]
        return None if any(r is None for r in done) else min(r.expires_at for r in done if r)


@dataclass(frozen=True, slots=True)
class ApprovalStatus:
    """Whether a script may be offered now, and the one-line reason shown to responders."""

    approved: bool
    reason: str


def text_sha256(text: str) -> str:
    """SHA-256 of the exact text; only line endings are normalised (CRLF/CR -> LF)."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def approval_status(*, script: ResponseScript, now: datetime) -> ApprovalStatus:
    """Approved only when every required step has a review of the unchanged text that has not
    expired; the reason names the first thing missing, or who approved it."""
    _require_aware(now, "now")
    if not any(script.review(step) for step in script.required_steps):
        return ApprovalStatus(False, "not approved")
    digest = text_sha256(script.text)
    missing: list[str] = []
    for step in script.required_steps:
        review = script.review(step)
        if review is None:
            missing.append(step)
        elif review.sha256 != digest:
            return ApprovalStatus(False, f"text changed after the {step} review (hash mismatch)")
        elif now >= review.expires_at:
            return ApprovalStatus(False, f"{step} review expired on {_day(review.expires_at)}")
    if missing:
        return ApprovalStatus(False, f"not approved: needs the {', '.join(missing)} review")
    # A review dated after ``now`` still counts: the hash guards against edits, it is not a
    # signature, and drills replay scenarios with clocks set in the past.
    final = script.review(script.required_steps[-1])
    assert final is not None and script.expires_at is not None
    others = [step for step in script.required_steps if step != final.step]
    after = f" after {', '.join(others)} review" if others else ""
    return ApprovalStatus(
        True, f"approved by {final.by} on {_day(final.at)}{after}, "
        f"expires {_day(script.expires_at)}"
    )


def review(
    *,
    script: ResponseScript,
    step: str,
    by: str,
    now: datetime,
    valid_for: timedelta = DEFAULT_VALIDITY,
    verified: bool = True,
) -> ResponseScript:
    """A copy of ``script`` with ``step`` passed by ``by`` at ``now`` (to the second) for
    ``valid_for``, bound to the current text; replaces an earlier review of that step."""
    _require_aware(now, "now")
    reviewer = check_approver(by)
    if step not in script.required_steps:
        raise ScriptError(
            f"unknown review step {step!r} (steps: {', '.join(script.required_steps)})",
            key="review",
        )
    if valid_for <= timedelta(0):
        raise ScriptError(f"valid_for must be positive, got {valid_for}", key="approve")
    at = now.astimezone(UTC).replace(microsecond=0)
    record = Review(step=step, by=reviewer, at=at, expires_at=at + valid_for,
                    sha256=text_sha256(script.text), verified=verified)
    kept = {r.step: r for r in script.reviews if r.step != step}
    kept[step] = record
    ordered = [kept[s] for s in script.required_steps if s in kept]
    ordered += [r for s, r in kept.items() if s not in script.required_steps]
    return dataclasses.replace(script, reviews=tuple(ordered))


def approve(
    *,
    script: ResponseScript,
    by: str,
    now: datetime,
    valid_for: timedelta = DEFAULT_VALIDITY,
) -> ResponseScript:
    """``review`` of the final step: the sign-off ``scripts approve`` records."""
    return review(script=script, step=FINAL_STEP, by=by, now=now, valid_for=valid_for)


def check_approver(by: str) -> str:
    """The approver's name, stripped; one printable line of at most 100 characters."""
    name = by.strip() if isinstance(by, str) else ""
    if not name:
        raise ScriptError("approver name (--by) must not be empty", key="approve")
    if len(name) > MAX_APPROVER_CHARS or any(
        unicodedata.category(ch).startswith("C") for ch in name
    ):
        raise ScriptError(
            f"approver name must be one printable line of at most {MAX_APPROVER_CHARS} characters",
            key="approve",
        )
    return name


def fill_script(
    *,
    script: ResponseScript,
    values: Mapping[str, str],
    max_value_chars: int = DEFAULT_VALUE_MAX_CHARS,
) -> str:
    """Fill ``${name}`` with values inserted literally; unknown ones stay visible."""
    clean: dict[str, str] = {}
    for key, value in values.items():
        if key not in script.placeholders:
            continue
        if not isinstance(value, str):
            kind = type(value).__name__
            raise TypeError(f"placeholder value for {key!r} must be str, got {kind}")
        clean[key] = clean_value(value, max_chars=max_value_chars)
    # safe_substitute is a single regex pass: inserted values are never scanned again, so a
    # value holding "${brand}", "{{7*7}}" or "$(cmd)" is output exactly as given.
    return ScriptTemplate(script.text).safe_substitute(clean)


def placeholder_problem(text: str, known: Collection[str] | None = None) -> str | None:
    """Why ``text`` is not a valid script text (a miswritten or, given ``known``, an unknown
    placeholder, or a stray ``$``), or None."""
    miswritten = MISWRITTEN_PLACEHOLDER.search(text)
    if miswritten is not None:
        name = miswritten.group("bare") or miswritten.group("braces")
        return (
            f"write placeholders as ${{{name}}} in every language, not "
            f"{miswritten.group(0).strip()}"
        )
    template = ScriptTemplate(text)
    if not template.is_valid():
        return "a '$' starts no placeholder; write $$ for a literal $"
    if known is not None:
        for name in template.get_identifiers():
            if name not in known:
                return f"unknown placeholder ${{{name}}} (known: {', '.join(sorted(known))})"
    return None


def unfilled_placeholders(*, script: ResponseScript, values: Mapping[str, str]) -> tuple[str, ...]:
    """Placeholders of ``script`` that ``values`` leaves for a person to fill in."""
    return tuple(name for name in script.placeholders if not values.get(name))


def clean_value(value: str, *, max_chars: int = DEFAULT_VALUE_MAX_CHARS) -> str:
    """One line of text: control and format characters (bidi overrides, zero-width) become
    spaces, so a value cannot add a line or reorder the statement; capped with an ellipsis.
    (Rendering cleans again with alerts.sanitize; this library may not import it.)"""
    chars = [" " if unicodedata.category(ch).startswith("C") else ch for ch in value]
    text = " ".join("".join(chars).split())
    if len(text) > max_chars:
        text = text[: max(max_chars - 1, 0)].rstrip() + "…"
    return text


def offerable_scripts(
    *,
    scripts: Iterable[ResponseScript],
    ids: Iterable[str],
    now: datetime,
    lang: str | None = None,
    scenario: str | None = None,
) -> list[ResponseScript]:
    """Approved, unchanged, unexpired scripts among ``ids`` (in that order), for lang/scenario."""
    by_id = {script.id: script for script in scripts}
    out: list[ResponseScript] = []
    for script_id in dict.fromkeys(ids):
        script = by_id.get(script_id)
        if script is None:
            continue
        if lang is not None and not lang_matches(script.lang, lang):
            continue
        if scenario is not None and script.scenario not in (scenario, GENERAL_SCENARIO):
            continue
        if approval_status(script=script, now=now).approved:
            out.append(script)
    return out


def lang_matches(script_lang: str, wanted: str) -> bool:
    """``zh`` matches ``zh``, ``zh-Hans``, ``zh-CN``: the primary language subtags agree."""
    return script_lang.split("-")[0].casefold() == wanted.split("-")[0].casefold()


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ScriptError(f"{name} must be timezone-aware, got {moment.isoformat()}")
