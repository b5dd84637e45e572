"""Grouping: entity x category x window, near-duplicates, repeats, floor, entities, backfill."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Alert, Incident, IncidentMention, Mention
from monitor.incidents import IncidentRules
from monitor.incidents.fingerprint import is_near, max_distance, simhash
from monitor.incidents.testing import add_scored_mention, assign_stored, make_context

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


def test_fingerprints_match_reposts_and_syndication_not_other_stories() -> None:
    bits = max_distance(0.8)
    assert bits == 12
    original = simhash(STORY_ZH)
    repost = simhash("转发微博 //@小李:太可怕了 // " + STORY_ZH)
    syndicated = simhash("BREAKING | " + STORY_EN + " Read more at example.com")
    other = simhash("Acme shares fell 5% today after the company announced results below "
                    "expectations for the quarter.")
    assert original is not None and repost is not None
    assert is_near(original, repost, bits)
    assert syndicated is not None and is_near(simhash(STORY_EN) or 0, syndicated, bits)
    assert other is not None and not is_near(simhash(STORY_EN) or 0, other, bits)
    assert simhash("thanks!") is None  # too short to compare


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
    assert rows[1].category == "customer_complaint" and rows[1].mention_count == 1
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


def test_same_entity_and_category_join_only_inside_the_window(
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
    with sessions.begin() as s:
        ids = [safety(s, f"contaminated formula report {i} from another parent", NOW)
               for i in range(40)]
        ids += [add_scored_mention(s, text=f"Acme app is down for everyone {i}", at=NOW,
                                   category="service_outage", severity=3, negative=0.9)
                for i in range(5)]
        result = assign_stored(s, ctx=ctx, mention_ids=ids, now=NOW)
    rows = incidents(sessions)
    assert [(r.category, r.mention_count) for r in rows] == [
        ("product_safety", 40), ("service_outage", 5),
    ]
    assert result.assigned == 45


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
