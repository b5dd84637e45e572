"""check_playbooks problems and select_playbook choices."""

from __future__ import annotations

from datetime import UTC, datetime

from playbooks import Playbook, ResponseScript, approve, check_playbooks, select_playbook
from playbooks.loader import parse_playbook_document
from playbooks.yamlsource import parse_yaml

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CHANNELS = ("console", "risk-slack", "manager-email")


def book(
    name: str,
    grades: str,
    *,
    categories: str = "",
    steps: str = "[{notify: [console]}, {wait_ack: 10m}, {notify: [manager-email]}]",
    sla: str = "{time_to_ack: 15m, time_to_first_response: 2h}",
    scripts: str = "[]",
) -> Playbook:
    cats = f", categories: [{categories}]" if categories else ""
    text = f"""
name: {name}
applies_to: {{grades: [{grades}]{cats}}}
sla: {sla}
checklist: [Confirm the facts.]
steps: {steps}
scripts: {scripts}
"""
    ((playbook, _),) = parse_playbook_document(parse_yaml(text, name=f"{name}.yaml"))
    return playbook


COMPLETE = [book("low", "low"), book("medium", "medium"), book("high", "high, critical")]


def test_complete_set_has_no_problems() -> None:
    assert check_playbooks(playbooks=COMPLETE, known_channels=CHANNELS, scripts=[]) == []


def test_unknown_channels_are_named() -> None:
    bad = book("high", "high, critical", steps="[{notify: [console, exec-slak, pager]}]")
    problems = check_playbooks(playbooks=[*COMPLETE[:2], bad], known_channels=CHANNELS, scripts=[])
    assert problems == [
        "high.yaml: playbook 'high': steps[0].notify: unknown channel 'exec-slak' "
        "(known: console, manager-email, risk-slack)",
        "high.yaml: playbook 'high': steps[0].notify: unknown channel 'pager' "
        "(known: console, manager-email, risk-slack)",
    ]


def test_grades_without_playbooks_and_category_only_grades() -> None:
    books = [COMPLETE[0], book("ps", "high", categories="product_safety")]
    problems = check_playbooks(playbooks=books, known_channels=CHANNELS, scripts=[])
    assert "grade medium: no playbook applies (such incidents get no alerts)" in problems
    assert "grade critical: no playbook applies (such incidents get no alerts)" in problems
    assert (
        "grade high: only category-specific playbooks (product_safety); incidents in other "
        "categories get no playbook"
    ) in problems


def test_silent_steps_slow_escalation_and_sla_order() -> None:
    silent = book("medium", "medium", steps="[{wait_ack: 1h}]")
    slow = book(
        "low",
        "low",
        steps="[{notify: [console]}, {wait_ack: 20m}, {wait_ack: 20m}, {notify: [console]}]",
        sla="{time_to_ack: 30m, time_to_first_response: 10m}",
    )
    problems = check_playbooks(
        playbooks=[slow, silent, COMPLETE[2]], known_channels=CHANNELS, scripts=[]
    )
    assert problems == [
        "low.yaml: playbook 'low': steps: the first escalation comes after 40m, later than "
        "sla.time_to_ack 30m",
        "low.yaml: playbook 'low': sla: time_to_first_response 10m is shorter than time_to_ack 30m",
        "medium.yaml: playbook 'medium': steps: never notifies anyone",
    ]


def test_unknown_and_unapproved_scripts() -> None:
    good = approve(
        script=ResponseScript(
            id="ok.en", scenario="general", lang="en", text="${brand}", required_steps=("final",)
        ),
        by="a",
        now=NOW,
    )
    raw = ResponseScript(id="raw.en", scenario="general", lang="en", text="Costs $5 at ${brnad}")
    bare = ResponseScript(id="bare.en", scenario="general", lang="en", text="From $brand")
    curly = ResponseScript(id="curly.zh", scenario="general", lang="zh", text="{{brand}}声明")
    unknown = ResponseScript(id="unknown.en", scenario="general", lang="en", text="${brnad}")
    high = book("high", "high, critical", scripts="[ok.en, raw.en, gone.en]")
    problems = check_playbooks(
        playbooks=[*COMPLETE[:2], high],
        known_channels=CHANNELS,
        scripts=[good, raw, bare, curly, unknown],
        now=NOW,
        known_placeholders={"brand"},
    )
    assert problems == [
        "high.yaml: playbook 'high': scripts: 'raw.en' will not be offered: not approved",
        "high.yaml: playbook 'high': scripts: unknown script id 'gone.en'",
        "<memory>: script 'raw.en': text: a '$' starts no placeholder; write $$ for a literal $",
        "<memory>: script 'bare.en': text: write placeholders as ${brand} in every language, not "
        "$brand",
        "<memory>: script 'curly.zh': text: write placeholders as ${brand} in every language, not "
        "{{brand}}",
        "<memory>: script 'unknown.en': text: unknown placeholder ${brnad} (known: brand)",
    ]


def test_overlapping_playbooks_are_reported() -> None:
    books = [
        *COMPLETE,
        book("high2", "high"),
        book("ps1", "high", categories="product_safety"),
        book("ps2", "high", categories="product_safety, data_privacy"),
    ]
    problems = check_playbooks(playbooks=books, known_channels=CHANNELS, scripts=[])
    assert problems == [
        "grade high: playbooks 'high', 'high2' all apply to every category; 'high' "
        "(loaded first) wins",
        "grade high, category product_safety: playbooks 'ps1' and 'ps2' both apply; 'ps1' wins",
    ]


def test_select_prefers_category_specific_playbooks() -> None:
    general = book("high", "high, critical")
    privacy = book("privacy", "critical", categories="data_privacy, legal_regulatory")
    for order in ([general, privacy], [privacy, general]):
        assert (
            select_playbook(playbooks=order, grade="critical", category="data_privacy") is privacy
        )
        assert select_playbook(playbooks=order, grade="critical", category="spam") is general
        assert select_playbook(playbooks=order, grade="critical", category=None) is general
        assert select_playbook(playbooks=order, grade="high", category="data_privacy") is general
        assert select_playbook(playbooks=order, grade="low", category="data_privacy") is None
        assert select_playbook(playbooks=order, grade="none", category=None) is None
    only_specific = [privacy]
    assert select_playbook(playbooks=only_specific, grade="critical", category="spam") is None


def test_off_hours_auto_replies_and_channels_are_checked() -> None:
    import dataclasses

    from playbooks import load_playbooks
    from playbooks.defaults import default_playbook_paths
    from playbooks.model import OffHours

    books = load_playbooks(default_playbook_paths())
    low = next(b for b in books if b.name == "low")
    broken = dataclasses.replace(
        low, off_hours=OffHours(notify="hold", auto_reply=("nope.en",), auto_reply_to=("shift",))
    )
    problems = check_playbooks(playbooks=[broken], known_channels=["console"], scripts=[])
    assert any(p.endswith("off_hours.auto_reply: unknown script id 'nope.en'") for p in problems)
    assert any(
        "off_hours.auto_reply_to: unknown channel 'shift' (known: console)" in p for p in problems
    )
