"""The shipped default playbooks and scripts are valid, approved and follow DOMAIN.md."""

from __future__ import annotations

import ast
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playbooks import (
    DEFAULT_CHANNEL_NAMES,
    DEFAULT_PLACEHOLDERS,
    DEFAULT_REVIEW_STEPS,
    approval_status,
    check_playbooks,
    default_playbook_paths,
    default_scripts_path,
    defaults_dir,
    due_actions,
    fill_script,
    load_playbooks,
    load_scripts,
    offerable_scripts,
    select_playbook,
    start_escalation,
    text_sha256,
)

EXPIRY = datetime(2027, 12, 31, 23, 59, 59, tzinfo=UTC)
SCENARIOS = (
    "general",
    "product_safety",
    "data_privacy",
    "service_outage",
    "misinformation_rumor",
    "executive_conduct",
    "customer_complaint",
)


def test_defaults_load_and_check_clean() -> None:
    books = load_playbooks(default_playbook_paths())
    assert [b.name for b in books] == ["low", "medium", "high", "critical"]
    # The folder loads in file-name order, and scripts.yaml in it is skipped.
    assert sorted(load_playbooks(defaults_dir()), key=lambda b: b.name) == sorted(
        books, key=lambda b: b.name
    )
    scripts = load_scripts(default_scripts_path())
    problems = check_playbooks(
        playbooks=books,
        known_channels=DEFAULT_CHANNEL_NAMES,
        scripts=scripts,
        now=datetime(2027, 6, 1, tzinfo=UTC),
        known_placeholders=DEFAULT_PLACEHOLDERS,
    )
    assert problems == []


def test_missing_channel_is_reported_for_defaults() -> None:
    books = load_playbooks(default_playbook_paths())
    known = [c for c in DEFAULT_CHANNEL_NAMES if c != "exec-slack"]
    problems = check_playbooks(playbooks=books, known_channels=known, scripts=[])
    assert any(
        "high.yaml: playbook 'high': steps[2].notify: unknown channel 'exec-slack'" in p
        for p in problems
    )


def test_sla_defaults() -> None:
    sla = {
        b.name: (b.sla.time_to_ack, b.sla.time_to_first_response)
        for b in load_playbooks(default_playbook_paths())
    }
    h, m = timedelta(hours=1), timedelta(minutes=1)
    assert sla == {
        # The source plans: 24 h (annual plan) for a single complaint, 2 h (crisis plan) from
        # medium up; high and critical acknowledge faster and critical publishes within 1 h.
        "low": (12 * h, 24 * h),
        "medium": (1 * h, 2 * h),
        "high": (15 * m, 2 * h),
        "critical": (5 * m, 1 * h),
    }


def test_each_grade_selects_its_playbook_and_escalates_within_the_sla() -> None:
    books = load_playbooks(default_playbook_paths())
    t0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
    for grade in ("low", "medium", "high", "critical"):
        chosen = select_playbook(playbooks=books, grade=grade, category="product_safety")
        assert chosen is not None and chosen.name == grade
        assert "console" in chosen.channels()
        state = start_escalation(incident_id="i", playbook=chosen, grade=grade, now=t0)
        actions, _ = due_actions(state=state, playbook=chosen, now=t0 + chosen.sla.time_to_ack)
        assert [a.level for a in actions][:2] == [1, 2], grade
        assert chosen.repeat >= 0
    assert select_playbook(playbooks=books, grade="none", category=None) is None


def test_checklists_follow_the_domain_process() -> None:
    ids = {b.name: [i.id for i in b.checklist] for b in load_playbooks(default_playbook_paths())}
    assert ids["low"][0] == "confirm"
    for name in ("medium", "high", "critical"):
        order = ["confirm", "line", "publish", "update", "review"]
        positions = [ids[name].index(step) for step in order]
        assert positions == sorted(positions), name
    for name in ("high", "critical"):
        assert {"activate", "brief", "offline"} <= set(ids[name])
        activate = next(i for i in load_playbooks(defaults_dir()) if i.name == name).checklist[1]
        assert "commander" in activate.text


def test_every_shipped_script_is_approved_with_a_matching_hash() -> None:
    scripts = load_scripts(default_scripts_path())
    assert len(scripts) >= 28
    for script in scripts:
        assert script.required_steps == DEFAULT_REVIEW_STEPS
        for step in DEFAULT_REVIEW_STEPS:
            review = script.review(step)
            assert review is not None and review.sha256 == text_sha256(script.text), script.id
            assert review.by == "crisiswatch-defaults" and review.verified
        assert script.expires_at == EXPIRY
        assert script.approved_at is not None
        status = approval_status(script=script, now=script.approved_at + timedelta(days=1))
        assert status.approved and status.reason.endswith("expires 2027-12-31"), script.id
        assert not approval_status(script=script, now=EXPIRY).approved


def test_scripts_cover_every_scenario_in_both_languages() -> None:
    scripts = load_scripts(default_scripts_path())
    counts = Counter((s.scenario, s.lang) for s in scripts)
    for scenario in SCENARIOS:
        assert counts[(scenario, "zh")] >= 2 and counts[(scenario, "en")] >= 2, scenario
    for script in scripts:
        assert set(script.placeholders) <= set(DEFAULT_PLACEHOLDERS), script.id
        assert script.title


def test_playbooks_offer_scripts_in_both_languages() -> None:
    scripts = load_scripts(default_scripts_path())
    now = datetime(2027, 1, 1, tzinfo=UTC)
    for playbook in load_playbooks(default_playbook_paths()):
        for lang in ("zh", "en"):
            assert offerable_scripts(scripts=scripts, ids=playbook.scripts, now=now, lang=lang)
    high = next(b for b in load_playbooks(default_playbook_paths()) if b.name == "high")
    offered = offerable_scripts(
        scripts=scripts, ids=high.scripts, now=now, lang="en", scenario="product_safety"
    )
    assert {s.scenario for s in offered} == {"general", "product_safety"}
    holding = next(s for s in offered if s.id == "product_safety.holding.en")
    text = fill_script(
        script=holding, values={"brand": "Acme", "product": "${brand} kettle", "date": "1 Jan"}
    )
    assert "safety of ${brand} kettle from Acme" in text and "Acme kettle" not in text
    assert "${next_update}" in text  # left for the responder, visibly


def test_library_imports_no_service_packages() -> None:
    forbidden = {"monitor", "config", "alerts", "classifiers"}
    package = Path(__file__).resolve().parents[2] / "playbooks"
    for source in package.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{source.name} imports {name}"
