"""Grouping: one incident per story (reposts, repeats, facets), windows, floor, entities,
backfill."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Alert, Incident, IncidentEvent, IncidentMention, Mention
from monitor.incidents import IncidentRules
from monitor.incidents.testing import add_scored_mention, assign_stored, make_context
from playbooks import grade_rank

NOW = datetime.fromisoformat("2026-11-18T10:00:00+00:00")
STORY_ZH = (
    "澜沐儿童奶粉被曝检出异物，多名家长称孩子喝后腹泻呕吐，目前已有上百条投诉，官方尚未回应。"
)
OTHER_ZH = "澜沐儿童奶粉客服电话一直打不通，退款申请提交三天了还没有任何人处理，太失望了"
STORY_EN = (
    "Acme recalls Acme Kids formula batch LK-2611 after reports of contamination; parents "
    "urged to stop using the product immediately, regulator says."
)


def incidents(sessions: sessionmaker[Session]) -> list[Incident]:
    with sessions() as s:
        return list(s.scalars(select(Incident).order_by(Incident.id)))


def safety(s: Session, text: str, at: datetime, **kw: object) -> int:
    fields: dict[str, object] = {
        "category": "product_safety", "category_score": 0.7, "severity": 5, "negative": 0.9,
    }
    fields.update(kw)
    return add_scored_mention(s, text=text, at=at, **fields)  # type: ignore[arg-type]


def test_near_duplicate_reposts_join_the_incident(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        first = safety(s, STORY_ZH, NOW, entities=["acme-kids"], lang="zh")
        assign_stored(s, ctx=ctx, mention_ids=[first], now=NOW)
    with sessions.begin() as s:
        # the repost is classified differently (a complaint), yet it is the same story
        repost = safety(s, "转发微博 //@小李:太可怕了 // " + STORY_ZH, NOW + timedelta(minutes=5),
                        entities=["acme-kids"], category="customer_complaint", severity=2,
                        lang="zh")
        unrelated = safety(s, OTHER_ZH, NOW + timedelta(minutes=6), entities=["acme-kids"],
                           category="customer_complaint", severity=2, lang="zh")
        result = assign_stored(s, ctx=ctx, mention_ids=[repost, unrelated],
                                  now=NOW + timedelta(minutes=6))
    rows = incidents(sessions)
    assert len(rows) == 2
    assert rows[0].category == "product_safety" and rows[0].mention_count == 2
    assert rows[0].categories == {"product_safety": 1, "customer_complaint": 1}
    assert rows[1].category == "customer_complaint" and rows[1].mention_count == 1
    assert rows[0].story_id != rows[1].story_id
    assert result.opened == [rows[1].id]


def test_exact_repeats_join_their_original(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        first = safety(s, STORY_EN, NOW)
        assign_stored(s, ctx=ctx, mention_ids=[first], now=NOW)
    with sessions.begin() as s:
        copy = safety(s, STORY_EN, NOW + timedelta(hours=1), duplicate_of=first,
                      category="legal_regulatory", source_id="another-site")
        assign_stored(s, ctx=ctx, mention_ids=[copy], now=NOW + timedelta(hours=1))
    rows = incidents(sessions)
    assert len(rows) == 1 and rows[0].mention_count == 2
    assert {src["source"] for src in rows[0].top_sources} == {"test-source", "another-site"}


def test_a_story_joins_its_incident_only_inside_the_window(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context()
    times = [NOW, NOW + timedelta(hours=47), NOW + timedelta(hours=47 + 49)]
    for i, at in enumerate(times):
        with sessions.begin() as s:
            mid = safety(s, f"the formula smells wrong, batch {i}, other words each time {i}", at)
            assign_stored(s, ctx=ctx, mention_ids=[mid], now=at)
    rows = incidents(sessions)
    assert [r.mention_count for r in rows] == [2, 1]


def test_floor_is_configurable(sessions: sessionmaker[Session]) -> None:
    ctx = make_context(rules=IncidentRules(floor="medium"))
    with sessions.begin() as s:
        low = add_scored_mention(s, text="meh, Acme yoghurt was a bit sour today honestly",
                                 at=NOW, category="customer_complaint", severity=2,
                                 negative=0.9)
        none = add_scored_mention(s, text="Acme opened a new shop downtown, looks nice",
                                  at=NOW, negative=0.05)
        result = assign_stored(s, ctx=ctx, mention_ids=[low, none], now=NOW)
        graded = s.scalar(select(func.count()).select_from(IncidentMention))
    assert result.mentions == 2 and result.assigned == 0 and graded == 0
    assert incidents(sessions) == []


def test_the_most_specific_entity_owns_the_incident(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        mid = add_scored_mention(s, text="Acme CEO Jo Chen filmed insulting a customer",
                                 at=NOW, entities=["acme", "ceo"],
                                 category="executive_conduct", severity=4, negative=0.9,
                                 entity_kind="executive")
        assign_stored(s, ctx=ctx, mention_ids=[mid], now=NOW)
    (row,) = incidents(sessions)
    assert row.entity_id == "ceo"
    assert row.title.startswith("Jo Chen (CEO) · executive conduct: Acme CEO")


def test_one_batch_with_two_stories_opens_two_incidents(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    parents = ["Mia", "Leo", "Ana", "Sam", "Kim", "Joe", "Eva", "Tom"]
    with sessions.begin() as s:
        ids = [safety(s, f"{name}'s baby got sick from contaminated formula, batch LK-2611, "
                      "rash and vomiting", NOW) for name in parents]
        ids += [add_scored_mention(s, text=f"app down for everyone, login fails with error "
                                   f"503 since 9am ({name})", at=NOW, category="service_outage",
                                   severity=3, negative=0.9) for name in parents[:3]]
        result = assign_stored(s, ctx=ctx, mention_ids=ids, now=NOW)
    rows = incidents(sessions)
    assert [(r.category, r.mention_count) for r in rows] == [
        ("product_safety", 8), ("service_outage", 3),
    ]
    assert result.assigned == 11


def test_backfilled_old_mentions_are_recorded_but_never_alerted(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context()
    old = NOW - timedelta(days=5)
    with sessions.begin() as s:
        ids = [safety(s, f"old contamination report {i} from last week's story", old)
               for i in range(3)]
        assign_stored(s, ctx=ctx, mention_ids=ids, now=NOW)
    (row,) = incidents(sessions)
    assert row.mention_count == 3 and row.escalation is None and row.next_due_at is None
    with sessions() as s:
        assert s.scalars(select(Alert)).all() == []


def test_unscored_mentions_are_skipped(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        mid = add_scored_mention(s, text="not scored yet", at=NOW, category="product_safety")
        s.execute(update(Mention).where(Mention.id == mid).values(grade=None))
        result = assign_stored(s, ctx=ctx, mention_ids=[mid], now=NOW)
    assert result.mentions == 0 and incidents(sessions) == []


CRASH = ("Germanwings flight 4U9525 crashed in the French Alps near Digne, 150 people on board "
         "feared dead, rescue teams on their way")
RUMOUR = ("Unconfirmed: the co-pilot locked the captain out of the cockpit, some say he did it on "
          "purpose, share before it is deleted")


def test_two_stories_of_one_entity_and_category_are_two_incidents(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        ids = [safety(s, f"{CRASH} #{i}", NOW + timedelta(minutes=i)) for i in range(3)]
        ids += [safety(s, f"{RUMOUR} #{i}", NOW + timedelta(minutes=10 + i)) for i in range(3)]
        assign_stored(s, ctx=ctx, mention_ids=ids, now=NOW + timedelta(minutes=20))
    rows = incidents(sessions)
    assert [r.mention_count for r in rows] == [3, 3]
    assert len({r.story_id for r in rows}) == 2


def test_a_more_severe_facet_leads_the_story_and_raises_its_grade(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context()
    story = "Acme Kids formula batch LK-2611: parents report their babies vomiting after feeding"
    with sessions.begin() as s:
        first = add_scored_mention(s, text=story + ", customer service not answering",
                                   at=NOW, entities=["acme-kids"], category="customer_complaint",
                                   severity=2, negative=0.8, grade="low")
        assign_stored(s, ctx=ctx, mention_ids=[first], now=NOW)
    (opened,) = incidents(sessions)
    assert opened.category == "customer_complaint"
    later = NOW + timedelta(minutes=30)
    with sessions.begin() as s:
        worse = safety(s, story + ", two hospitalised, batch LK-2611 recalled", later,
                       entities=["acme-kids"], author_reach=500_000)
        assign_stored(s, ctx=ctx, mention_ids=[worse], now=later)
    (row,) = incidents(sessions)
    assert row.id == opened.id and row.mention_count == 2
    assert row.category == "product_safety" and row.title.startswith("Acme Kids formula · product")
    assert row.categories == {"customer_complaint": 1, "product_safety": 1}
    assert grade_rank(row.grade) > grade_rank("low")
    with sessions() as s:
        kinds = [e.kind for e in s.scalars(select(IncidentEvent).order_by(IncidentEvent.id))]
    assert "category_changed" in kinds


def test_per_entity_incidents_when_configured(sessions: sessionmaker[Session]) -> None:
    text = "arrested over the contaminated formula cover-up, police confirm, charges tomorrow"
    for per_entity, expected in ((False, 1), (True, 2)):
        ctx = make_context(rules=IncidentRules(per_entity=per_entity))
        with sessions.begin() as s:
            s.execute(IncidentMention.__table__.delete())
            s.execute(Incident.__table__.delete())
            a = safety(s, "CEO " + text, NOW, entities=["ceo"])
            b = safety(s, "Acme Kids formula: " + text, NOW + timedelta(minutes=1),
                       entities=["acme-kids"])
            assign_stored(s, ctx=ctx, mention_ids=[a, b], now=NOW + timedelta(minutes=1))
        rows = incidents(sessions)
        assert len({r.story_id for r in rows}) == 1
        assert len(rows) == expected, per_entity
