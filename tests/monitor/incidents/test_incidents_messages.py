"""Alert messages: the incident snapshot, and only approved, unchanged scripts, filled literally."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Incident, Mention
from monitor.incidents import (
    acknowledge_incident,
    build_message,
    record_response,
)
from monitor.incidents.messages import mention_ref, offered_scripts, playbook_for
from monitor.incidents.testing import (
    add_scored_mention,
    assign_stored,
    make_context,
    open_test_incident,
)
from playbooks import DEFAULT_REVIEW_STEPS, load_scripts, review_script_in_file

NOW = datetime.fromisoformat("2026-11-18T10:00:00+00:00")
SCRIPTS = """\
scripts:
  - id: product_safety.holding.en
    scenario: product_safety
    lang: en
    text: |
      ${date}: we are investigating reports about ${brand}. Call ${hotline}, ref ${incident_id}.
  - id: product_safety.update.en
    scenario: product_safety
    lang: en
    text: |
      Update from ${brand}: ${details}
"""


def approved_scripts(tmp_path: Path, *, edit: bool) -> Path:
    path = tmp_path / "scripts.yaml"
    path.write_text(SCRIPTS, encoding="utf-8")
    for script_id in ("product_safety.holding.en", "product_safety.update.en"):
        for step in DEFAULT_REVIEW_STEPS:
            review_script_in_file(path=path, script_id=script_id, step=step, by="Legal (Wen)",
                                  now=NOW - timedelta(days=1))
    if edit:
        text = path.read_text(encoding="utf-8")
        edited = text.replace("Update from ${brand}", "UPDATE from ${brand}")
        path.write_text(edited, encoding="utf-8")
    return path


def high_incident(s: Session, ctx: object, **kw: object) -> Incident:
    incident_id = open_test_incident(s, ctx=ctx, now=NOW, tier=1, **kw)  # type: ignore[arg-type]
    incident = s.get(Incident, incident_id)
    assert incident is not None and incident.peak_grade == "high"
    return incident


def test_the_message_is_a_complete_snapshot(sessions: sessionmaker[Session]) -> None:
    ctx = make_context(dashboard_url="https://cw.example/")
    with sessions.begin() as s:
        incident = high_incident(s, ctx, author_reach=10, url="https://news.example/a")
        ids = [
            add_scored_mention(s, text=f"reader {reach} says the formula smells", at=NOW,
                               category="product_safety", severity=5, negative=0.9,
                               author_reach=reach, author=f"a{reach}",
                               story=incident.story_id)
            for reach in (500, 90_000, 3_000)
        ]
        assign_stored(s, ctx=ctx, mention_ids=ids, now=NOW)
        message = build_message(s, incident=incident, event="escalated", ctx=ctx, now=NOW,
                                note="not acknowledged within 15m", escalation_level=2)
    assert message.incident_id == str(incident.id) and message.grade == "high"
    assert message.entity == "Acme" and message.category == "product_safety"
    assert (message.likelihood, message.impact) == (incident.likelihood, incident.impact)
    assert message.reasons[0].startswith("likelihood ")
    # strongest first: by grade (tier-1 "someone" and 90k-follower a90000 are high), then reach
    assert [m.author for m in message.top_mentions] == ["a90000", "someone", "a3000"]
    assert message.top_mentions[1].url == "https://news.example/a"
    assert message.sla == (
        "acknowledge within 15m (by 2026-11-18 10:15 UTC)",
        "first public response within 2h (by 2026-11-18 12:00 UTC)",
    )
    assert message.checklist[0].startswith("on-call responder: Confirm at once")
    assert message.escalation_level == 2 and message.note == "not acknowledged within 15m"
    assert message.status == "open" and message.drill is False
    assert message.dashboard_url == f"https://cw.example/incidents/{incident.id}"
    assert {s.id for s in message.scripts} <= {
        "general.holding.en", "general.update.en", "product_safety.holding.en",
        "product_safety.update.en",
    }
    assert message.scripts and all(s.lang == "en" for s in message.scripts)


def test_a_script_edited_after_approval_is_never_offered(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    ctx = make_context(scripts=load_scripts(approved_scripts(tmp_path, edit=True)))
    with sessions.begin() as s:
        message = build_message(s, incident=high_incident(s, ctx), event="opened", ctx=ctx,
                                now=NOW)
    assert [x.id for x in message.scripts] == ["product_safety.holding.en"]


def test_an_expired_script_is_never_offered(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    ctx = make_context(scripts=load_scripts(approved_scripts(tmp_path, edit=False)))
    with sessions.begin() as s:
        incident = high_incident(s, ctx)
        fresh = build_message(s, incident=incident, event="opened", ctx=ctx, now=NOW)
        stale = build_message(s, incident=incident, event="opened", ctx=ctx,
                              now=NOW + timedelta(days=200))
    assert len(fresh.scripts) == 2 and stale.scripts == ()


def test_placeholder_values_are_inserted_literally(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    hostile = "${brand} {{7*7}} $(reboot) <!channel>"
    ctx = make_context(
        scripts=load_scripts(approved_scripts(tmp_path, edit=False)),
        hotline=hostile,
        entity_names={"acme": "$incident_id Ltd"},
        entity_kinds={"acme": "brand"},
    )
    with sessions.begin() as s:
        incident = high_incident(s, ctx)
        message = build_message(s, incident=incident, event="opened", ctx=ctx, now=NOW)
    holding = next(x for x in message.scripts if x.id == "product_safety.holding.en")
    assert holding.text == (
        f"2026-11-18: we are investigating reports about $incident_id Ltd. Call {hostile}, "
        f"ref {incident.id}.\n"
    )
    update = next(x for x in message.scripts if x.id == "product_safety.update.en")
    assert "${details}" in update.text  # left visible for the responder to fill in


def test_a_chinese_incident_is_offered_chinese_scripts(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        incident = high_incident(s, ctx, lang="zh", text="澜沐奶粉被检出异物，多名儿童不适")
        message = build_message(s, incident=incident, event="opened", ctx=ctx, now=NOW)
    assert message.scripts and all(x.lang == "zh" for x in message.scripts)
    assert any("400-800-1234" in x.text for x in message.scripts)


def test_scripts_alerts_and_titles_name_entities_in_their_language(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context(
        organisation="Lumina Dairy", organisation_names={"zh": "澜沐乳业"}, locale="zh",
        entity_display_names={"acme-kids": {"zh": "澜沐儿童奶粉", "en": "Lumina Kids formula"}},
    )
    with sessions.begin() as s:
        incident = high_incident(s, ctx, entities=["acme-kids"], lang="zh",
                                 text="澜沐儿童奶粉被检出异物，多名儿童不适")
        zh = build_message(s, incident=incident, event="opened", ctx=ctx, now=NOW)
        en = offered_scripts(incident, ctx=ctx, playbook=playbook_for(incident, ctx), now=NOW,
                             lang="en")
    holding = next(x for x in zh.scripts if x.id == "product_safety.holding.zh")
    assert holding.text.startswith("【澜沐乳业关于澜沐儿童奶粉的情况说明】")
    english = next(x for x in en if x.script.id == "product_safety.holding.en")
    assert "safety of Lumina Kids formula from Lumina Dairy" in english.text
    assert zh.entity == "澜沐儿童奶粉" and incident.title.startswith("澜沐儿童奶粉 · ")


def test_a_feed_item_quoted_in_an_alert_shows_its_title_once() -> None:
    feed_item = Mention(source_id="news", title="Regulator reviews batch LK-2611",
                        text="Regulator reviews batch LK-2611\nThe regulator confirmed a review.")
    export_row = Mention(source_id="weibo", title="Batch LK-2611", text="My child got a rash.")
    assert mention_ref(feed_item).excerpt == (
        "Regulator reviews batch LK-2611 The regulator confirmed a review.")
    assert mention_ref(export_row).excerpt == "Batch LK-2611 My child got a rash."
    cut_short = Mention(source_id="weibo", title="网传澜沐乳业将全面召回…",
                        text="网传澜沐乳业将全面召回儿童奶粉，官方尚未回应。")
    assert mention_ref(cut_short).excerpt == "网传澜沐乳业将全面召回儿童奶粉，官方尚未回应。"


def test_the_sla_lines_say_when_and_by_whom_each_target_was_met(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        incident = high_incident(s, ctx)
        acknowledge_incident(s, ctx=ctx, incident_id=incident.id, by="Ana",
                             now=NOW + timedelta(minutes=9))
        half = build_message(s, incident=incident, event="acknowledged", ctx=ctx, now=NOW)
        record_response(s, ctx=ctx, incident_id=incident.id, by="Wen", note="Weibo statement",
                        now=NOW + timedelta(minutes=50))
        done = build_message(s, incident=incident, event="responded", ctx=ctx, now=NOW)
    assert half.sla == ("acknowledged 2026-11-18 10:09 UTC by Ana",
                        "first public response within 2h (by 2026-11-18 12:00 UTC)")
    assert done.sla == ("acknowledged 2026-11-18 10:09 UTC by Ana",
                        "first public response 2026-11-18 10:50 UTC by Wen")
