"""Silences suppress alerts for an entity, category or source until a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from playbooks import Silence, SilenceError, is_silenced

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


def silence(**fields: object) -> Silence:
    base: dict[str, object] = {
        "entity": None,
        "category": None,
        "source": None,
        "until": NOW + H,
        "reason": "known noise",
        "created_by": "amy",
    }
    return Silence(**{**base, **fields})  # type: ignore[arg-type]


def check(silences: list[Silence], **fields: object) -> Silence | None:
    where: dict[str, object] = {"entity": "acme", "category": "spam", "source": "weibo", "now": NOW}
    return is_silenced(silences=silences, **{**where, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["entity", "category", "source"])
def test_each_field_matches_on_its_own(field: str) -> None:
    value = {"entity": "Acme", "category": "spam", "source": "weibo"}[field]
    only = silence(**{field: value})
    assert check([only]) == only
    assert check([only], **{field: "other"}) is None
    assert check([only], **{field: None}) is None


def test_a_source_covers_the_sources_under_it() -> None:
    inbox = silence(source="inbox")
    assert check([inbox], source="inbox/weibo") is inbox
    assert check([inbox], source="inboxes") is None
    assert check([silence(source="inbox/weibo")], source="inbox/twitter") is None


def test_all_set_fields_must_match() -> None:
    both = silence(entity="acme", category="spam")
    assert check([both]) == both
    assert check([both], category="product_safety") is None
    assert check([both], entity="globex") is None


def test_expired_silence_no_longer_applies() -> None:
    gone = silence(entity="acme", until=NOW)
    assert check([gone]) is None
    assert check([gone], now=NOW - timedelta(seconds=1)) == gone


def test_longest_matching_silence_is_returned() -> None:
    short = silence(entity="acme")
    long = silence(source="weibo", until=NOW + 5 * H, reason="bot flood")
    unrelated = silence(entity="globex", until=NOW + 9 * H)
    assert check([short, long, unrelated]) == long
    assert check([]) is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "needs an entity, a category or a source"),
        ({"entity": "  "}, "needs an entity, a category or a source"),
        ({"entity": "acme", "until": datetime(2026, 3, 3)}, "until must be timezone-aware"),
        ({"entity": "acme", "reason": " "}, "reason must be 1 to 500 characters"),
        ({"entity": "acme", "created_by": ""}, "created_by must not be empty"),
    ],
)
def test_invalid_silences_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(SilenceError, match=message):
        silence(**fields)


def test_round_trip_and_naive_now() -> None:
    original = silence(entity="acme", source="weibo")
    assert Silence.from_dict(original.to_dict()) == original
    with pytest.raises(SilenceError, match="invalid silence record"):
        Silence.from_dict({"entity": "acme", "until": "tomorrow", "reason": "x", "created_by": "y"})
    with pytest.raises(SilenceError, match="now must be timezone-aware"):
        check([original], now=datetime(2026, 3, 2))
