"""While a crisis runs, its late posts join its story: a word or two in common, or the same
names and kind of event in another language; rival products stay apart; batches change nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Incident
from monitor.incidents.context import IncidentContext
from monitor.incidents.story_step import Attraction, StoryAssignment
from monitor.incidents.testing import add_scored_mention, assign_stored, make_context
from monitor.stories.model import StoryParams

NOW = datetime.fromisoformat("2026-11-18T10:00:00+00:00")
ENTITIES = {
    "acme": ("Acme", "brand"),
    "acme-kids": ("Acme Kids formula", "product"),
    "acme-gold": ("Acme Gold formula", "product"),
    "ceo": ("Jo Chen", "executive"),
}
LEAK = ("Acme customer database for sale on a hacking forum: names, emails, phone numbers and "
        "home addresses of a million customers")


ATTRACT = Attraction()


def step(ctx: IncidentContext, attract: Attraction | None = ATTRACT) -> StoryAssignment:
    names = {k: (v,) for k, v in ctx.entity_names.items()}
    return StoryAssignment(params=StoryParams(), names=names, kinds=ctx.entity_kinds,
                           attract=attract)


def incidents(sessions: sessionmaker[Session]) -> list[tuple[str | None, int]]:
    with sessions() as s:
        return [(r.category, r.mention_count)
                for r in s.scalars(select(Incident).order_by(Incident.id))]


def post(s: Session, text: str, minutes: int, *, category: str | None, entities: list[str],
         lang: str = "en", grade: str = "medium") -> int:
    return add_scored_mention(s, text=text, at=NOW + timedelta(minutes=minutes),
                              category=category, entities=entities, lang=lang, grade=grade)


@pytest.mark.parametrize("attract", [ATTRACT, None])
def test_a_late_post_sharing_a_word_with_the_crisis_joins_it(
    sessions: sessionmaker[Session], attract: Attraction | None,
) -> None:
    ctx = make_context(entities=ENTITIES)
    with sessions.begin() as s:
        first = post(s, LEAK, 0, category="data_privacy", entities=["acme"])
        assign_stored(s, ctx=ctx, mention_ids=[first], now=NOW, stories=step(ctx, attract))
    later = NOW + timedelta(minutes=40)
    with sessions.begin() as s:
        # too little in common to join by similarity, no category of its own
        late = post(s, "Acme knew about the hacking for hours and said nothing. Shameful.", 40,
                    category=None, entities=["acme"])
        assign_stored(s, ctx=ctx, mention_ids=[late], now=later, stories=step(ctx, attract))
    if attract is None:
        assert incidents(sessions) == [("data_privacy", 1), (None, 1)]
    else:
        assert incidents(sessions) == [("data_privacy", 2)]


def test_the_same_event_in_another_language_joins_by_names_and_kind_of_event(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context(entities=ENTITIES)
    with sessions.begin() as s:
        first = post(s, "Unverified posts claim Acme chief executive Jo Chen has resigned", 0,
                     category="misinformation_rumor", entities=["ceo"])
        assign_stored(s, ctx=ctx, mention_ids=[first], now=NOW, stories=step(ctx))
    later = NOW + timedelta(minutes=30)
    with sessions.begin() as s:
        same = post(s, "网传澜沐董事长已经离职出国，消息来源不明，疑似谣言", 20,
                    category="misinformation_rumor", entities=["ceo"], lang="zh")
        other = post(s, "澜沐客服电话一直打不通，退款三天了还没处理，太失望了", 30,
                     category="customer_complaint", entities=["acme"], lang="zh")
        assign_stored(s, ctx=ctx, mention_ids=[same, other], now=later, stories=step(ctx))
    assert incidents(sessions) == [("misinformation_rumor", 2), ("customer_complaint", 1)]


def test_a_second_event_sharing_no_words_stays_its_own_incident(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context(entities=ENTITIES)
    with sessions.begin() as s:
        ids = [post(s, LEAK, 0, category="data_privacy", entities=["acme"]),
               post(s, "Acme app shows other people's orders after update, privacy bug", 30,
                    category="data_privacy", entities=["acme"])]
        assign_stored(s, ctx=ctx, mention_ids=ids, now=NOW + timedelta(minutes=30),
                      stories=step(ctx))
    assert incidents(sessions) == [("data_privacy", 1), ("data_privacy", 1)]


@pytest.mark.parametrize("single", [frozenset({"service_outage"}), frozenset()])
def test_an_entity_has_one_outage_at_a_time(
    sessions: sessionmaker[Session], single: frozenset[str],
) -> None:
    ctx = make_context(entities=ENTITIES)
    attract = Attraction(one_at_a_time=single)
    with sessions.begin() as s:
        first = post(s, "Is the Acme app down? Can't log in since 8am", 0,
                     category="service_outage", entities=["acme"])
        assign_stored(s, ctx=ctx, mention_ids=[first], now=NOW, stories=step(ctx, attract))
    later = NOW + timedelta(minutes=30)
    with sessions.begin() as s:
        # no word in common with the first wave
        second = post(s, "Acme outage again. Payment failed three times", 30,
                      category="service_outage", entities=["acme"])
        assign_stored(s, ctx=ctx, mention_ids=[second], now=later, stories=step(ctx, attract))
    expected = [("service_outage", 2)] if single else [("service_outage", 1)] * 2
    assert incidents(sessions) == expected


@pytest.mark.parametrize("kinds", [frozenset({"product"}), frozenset()])
def test_a_product_has_one_crisis_of_a_kind_at_a_time(
    sessions: sessionmaker[Session], kinds: frozenset[str],
) -> None:
    ctx = make_context(entities=ENTITIES)
    attract = Attraction(single_kinds=kinds)
    # the second names the product by its code (an alias): no word in common
    texts = [
        "Acme Kids formula bottle warmer exploded on the counter this morning, burned my "
        "daughter's hand, plastic everywhere, terrifying",
        "AK7 tin caught fire in our kitchen after the induction hob clicked, smoke alarm "
        "went off, neighbours called firefighters",
    ]
    for minutes, text in enumerate(texts):
        with sessions.begin() as s:
            mid = post(s, text, minutes * 20, category="product_safety", entities=["acme-kids"])
            assign_stored(s, ctx=ctx, mention_ids=[mid], now=NOW + timedelta(minutes=minutes * 20),
                          stories=step(ctx, attract))
    expected = [("product_safety", 2)] if kinds else [("product_safety", 1)] * 2
    assert incidents(sessions) == expected


def test_the_same_complaint_about_rival_products_is_two_incidents(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context(entities=ENTITIES)
    template = "{} made my baby vomit all night, batch recalled, parents furious"
    with sessions.begin() as s:
        ids = [post(s, template.format(name), i, category="product_safety", entities=[entity])
               for i, (entity, name) in enumerate(
                   [("acme-kids", "Acme Kids formula"), ("acme-gold", "Acme Gold formula")] * 2)]
        assign_stored(s, ctx=ctx, mention_ids=ids, now=NOW + timedelta(minutes=5),
                      stories=step(ctx))
    assert incidents(sessions) == [("product_safety", 2), ("product_safety", 2)]


def test_one_batch_or_one_post_at_a_time_gives_the_same_incidents(
    sessions: sessionmaker[Session],
) -> None:
    texts = [
        ("Acme Kids formula: glass shards found in a sealed tin, baby cut", "product_safety",
         "en"),
        # the same event in Chinese: attracted by the names and the kind of event, from the
        # batch's own earlier post or from the incident it opened
        ("奶粉罐里发现玻璃碴，宝宝嘴被划破了，太可怕", "product_safety", "zh"),
        ("AK7 parents demanding refunds, hotline unreachable", "customer_complaint", "en"),
    ]
    outcomes = []
    for batches in ([[0, 1, 2]], [[0], [1], [2]]):
        ctx = make_context(entities=ENTITIES)
        with sessions.begin() as s:
            s.execute(Incident.__table__.delete())
        with sessions.begin() as s:
            ids = [post(s, text, i, category=cat, entities=["acme-kids"], lang=lang)
                   for i, (text, cat, lang) in enumerate(texts)]
        for batch in batches:
            with sessions.begin() as s:
                assign_stored(s, ctx=ctx, mention_ids=[ids[i] for i in batch],
                              now=NOW + timedelta(minutes=batch[-1]), stories=step(ctx))
        outcomes.append(incidents(sessions))
    # the refund complaint shares no words with the glass story and is of a kind the story
    # does not hold: its own incident, however the posts were batched
    assert outcomes[0] == outcomes[1] == [("product_safety", 2), ("customer_complaint", 1)]
