"""Generated weeks of scored mentions and incidents, for tests and benchmarks/digest.py.

Deterministic for a seed. Rows go in through SQLAlchemy Core in large batches, so a million
mentions take tens of seconds rather than minutes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select

from monitor.db.models import Incident, Mention, MentionEntity, Source
from monitor.digest.inputs import DigestInputs, EntityInfo
from monitor.digest.period import Period
from monitor.digest.testing_drills import add_drill_runs

SAMPLE_ENTITIES: tuple[EntityInfo, ...] = (
    EntityInfo("lumina", "Lumina Dairy", "brand", ("澜沐乳业", "澜沐", "LuminaDairy")),
    EntityInfo("lumina-kids", "Lumina Kids 奶粉", "product", ("Lumina Kids", "小澜沐")),
    EntityInfo("chen-haoran", "陈浩然 (CEO)", "executive", ("Chen Haoran", "陈浩然")),
    EntityInfo("northfield", "Northfield Milk", "competitor", ("北原牧场",)),
    EntityInfo("sunvale", "晴谷乳业 Sunvale", "competitor", ("Sunvale", "晴谷")),
    EntityInfo("food-safety", "Food safety", "topic", ("食品安全",)),
)
# Inbox exports are stored under the source of their platform (inbox/weibo, since issue 15).
SOURCES: tuple[tuple[str, str], ...] = (
    ("inbox/weibo", "export"),
    ("news-en", "rss"),
    ("inbox/douyin", "export"),
    ("inbox/twitter", "export"),
    ("forum", "rss"),
)
NO_FOLLOWERS = frozenset({"news-en"})  # news articles carry no follower count
_ENTITY_WEIGHTS = (45, 15, 5, 20, 10, 5)
_SENTIMENTS = ("positive", "neutral", "negative", "unknown", None)
_NEG_ZH = (
    "{name}奶粉质量有问题，孩子喝了腹泻，要求退款",
    "{name}客服态度很差，投诉三次都没有回复",
    "{name}产品召回的消息是真的吗？监管部门在调查",
    "{name}涨价太离谱了，门店服务也越来越差",
    "听说{name}检测报告造假，虚假宣传太可怕",
)
_NEG_EN = (
    "{name} formula made my kid sick, I want a refund and a recall",
    "Customer service at {name} ignored my complaint for a week",
    "Is the {name} recall real? Regulators are investigating the factory",
    "{name} raised prices again and the delivery was late",
    "Fake lab reports at {name}? Misleading advertising again",
)
_OTHER = (
    "{name} 新品上市，味道不错",
    "Tried the new {name} yoghurt today, tastes fine",
    "{name}发布了年度报告",
    "{name} opens a new store downtown",
)
_GRADE_WEIGHTS = (("low", 40), ("medium", 30), ("high", 20), ("critical", 10))
_STATES = (("resolved", 50), ("acknowledged", 20), ("open", 15), ("false_positive", 15))
_COLLECTION_DELAY = timedelta(minutes=7)  # polled soon after publication: none of it is backfill
_CATEGORIES = ("product_safety", "customer_complaint", "misinformation_rumor", None)


@dataclass(frozen=True, slots=True)
class GeneratedData:
    mentions: int
    previous_mentions: int
    incidents: int
    drills: int
    backlog: int


# export sources: their rows carry engagement counts
_COUNTED = {sid for sid, kind in SOURCES if kind == "export"}
_INTENTS = ("interaction", "enquiry", "complaint", "other")


def _counts(mention_id: int, source: str) -> tuple[dict[str, int], str | None]:
    """Engagement counts and intent of a generated mention, derived from its id alone (not
    from the seeded stream, so adding them changed no other generated value)."""
    if source not in _COUNTED:
        return {}, None
    h = (mention_id * 2654435761) % 4294967296
    metrics = {"likes": h % 500, "comments": (h >> 9) % 80, "reposts": (h >> 16) % 40}
    if source == "inbox/douyin":
        metrics["views"] = 1000 + (h >> 8) % 50_000
    return metrics, _INTENTS[(h >> 20) % 4]


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _mention_rows(
    rng: random.Random,
    *,
    start_id: int,
    first: int,
    count: int,
    step: float,
    period: Period,
    entities: Sequence[EntityInfo],
    negative_weight: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    start = period.start_at + timedelta(seconds=first * step)
    weights = list(_ENTITY_WEIGHTS[: len(entities)]) + [5] * max(0, len(entities) - 6)
    sentiment_weights = (20, 45, negative_weight, 3, 2)
    mentions: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for offset in range(count):
        mention_id = start_id + offset
        entity = rng.choices(entities, weights=weights)[0]
        matched = [entity.id]
        if rng.random() < 0.1:
            other = rng.choice(entities)
            if other.id != entity.id:
                matched.append(other.id)
        sentiment = rng.choices(_SENTIMENTS, weights=sentiment_weights)[0]
        english = rng.random() < 0.3
        if sentiment == "negative":
            template = rng.choice(_NEG_EN if english else _NEG_ZH)
        else:
            template = rng.choice(_OTHER)
        source = SOURCES[rng.randrange(len(SOURCES))][0]
        author_number = int(rng.paretovariate(1.2)) % 5000
        metrics, intent = _counts(mention_id, source)
        mentions.append(
            {
                "id": mention_id,
                "source_id": source,
                "external_id": f"g{mention_id}",
                "url": None,
                "title": None,
                "author": f"user{author_number}" if rng.random() < 0.95 else None,
                "author_reach": rng.randrange(0, 200_000)
                if rng.random() < 0.9 and source not in NO_FOLLOWERS else None,
                # collection stores mentions roughly in publication order; so does this
                "published_at": (published := start
                                 + timedelta(seconds=(offset + rng.random()) * step)),
                "date_missing": False,
                "collected_at": published + _COLLECTION_DELAY,
                "lang": "en" if english else "zh",
                "text": template.format(name=entity.name),
                "metrics": metrics,
                "content_hash": f"{mention_id:064x}",
                "duplicate_of": None,
                "entities": matched,
                "sentiment": sentiment,
                "intent": intent,
                "grade": "low" if sentiment == "negative" else "none",
            }
        )
        links.extend({"mention_id": mention_id, "entity_id": e} for e in matched)
    return mentions, links


def _incident_row(
    rng: random.Random,
    *,
    incident_id: int,
    opened: datetime,
    entities: Sequence[EntityInfo],
    drill: bool,
    state: str | None = None,
) -> dict[str, Any]:
    peak = _pick(rng, _GRADE_WEIGHTS)
    state = state or _pick(rng, _STATES)
    ack = resolved = None
    if state != "open":
        minutes = rng.choice((2, 4, 10, 14, 20, 45, 90, 600, 2000))
        ack = opened + timedelta(minutes=minutes, seconds=rng.randrange(60))
    if state in ("resolved", "false_positive"):
        assert ack is not None
        resolved = ack + timedelta(minutes=rng.randrange(5, 3000))
    playbook = rng.choices((peak, None, "retired-playbook"), weights=(85, 10, 5))[0]
    # a separate stream, so adding responses left every other generated value as it was
    own = random.Random(incident_id * 7919)
    responded = None
    if own.random() < 0.6:
        responded = opened + timedelta(minutes=own.choice((5, 30, 90, 200, 900)),
                                       seconds=own.randrange(60))
    first_seen = opened - timedelta(minutes=rng.randrange(0, 120))
    return {
        "id": incident_id,
        "entity_id": rng.choice(entities).id,
        "category": rng.choice(_CATEGORIES),
        "state": state,
        "grade": peak,
        "peak_grade": peak,
        "likelihood": rng.randint(1, 5),
        "impact": rng.randint(1, 5),
        "reasons": [],
        "title": f"Incident {incident_id}: <b>complaints</b> & rumours",
        "first_seen_at": first_seen,
        "last_seen_at": opened + timedelta(hours=2),
        "opened_at": opened,
        "updated_at": opened + timedelta(hours=2),
        "mention_count": rng.randint(1, 500),
        "playbook": playbook,
        "acknowledged_at": ack,
        "acknowledged_by": "oncall" if ack else None,
        "resolved_at": resolved,
        "responded_at": responded,
        "responded_by": "comms" if responded else None,
        "drill": drill,
    }


def generate_week(
    engine: Engine,
    *,
    period: Period,
    mentions: int,
    incidents: int,
    previous_mentions: int | None = None,
    previous_incidents: int | None = None,
    drills: int = 3,
    backlog: int = 5,
    entities: Sequence[EntityInfo] = SAMPLE_ENTITIES,
    seed: int = 7,
    batch: int = 20_000,
    progress: Callable[[int], None] | None = None,
) -> GeneratedData:
    """Add a period (and the one before it) of scored mentions, incidents and drills.

    ``backlog`` incidents are opened long before the period and are still open; ``drills``
    drill runs, with their reports, start inside it (see ``add_drill_runs``).
    """
    rng = random.Random(seed)
    previous = period.previous()
    previous_mentions = mentions // 2 if previous_mentions is None else previous_mentions
    previous_incidents = incidents // 2 if previous_incidents is None else previous_incidents
    collected = period.end_at
    with engine.begin() as conn:
        existing = {row[0] for row in conn.execute(Source.__table__.select())}
        new_sources = [
            {"id": sid, "kind": kind, "location": sid, "created_at": collected}
            for sid, kind in SOURCES
            if sid not in existing
        ]
        if new_sources:
            conn.execute(insert(Source), new_sources)
    with engine.connect() as conn:
        next_id = int(conn.execute(select(func.max(Mention.id))).scalar_one() or 0) + 1
        incident_id = int(conn.execute(select(func.max(Incident.id))).scalar_one() or 0) + 1
    for target, count, negative_weight in (
        (previous, previous_mentions, 20),
        (period, mentions, 30),
    ):
        done = 0
        step = (target.end_at - target.start_at).total_seconds() / max(count, 1)
        while done < count:
            size = min(batch, count - done)
            rows, links = _mention_rows(
                rng,
                start_id=next_id,
                first=done,
                count=size,
                step=step,
                period=target,
                entities=entities,
                negative_weight=negative_weight,
            )
            with engine.begin() as conn:
                conn.execute(insert(Mention), rows)
                conn.execute(insert(MentionEntity), links)
            next_id += size
            done += size
            if progress is not None:
                progress(next_id - 1)
    incident_rows = []
    for target, count in ((previous, previous_incidents), (period, incidents)):
        span = (target.end_at - target.start_at).total_seconds()
        for _ in range(count):
            opened = target.start_at + timedelta(seconds=rng.random() * span)
            incident_rows.append(
                _incident_row(rng, incident_id=incident_id, opened=opened, entities=entities,
                              drill=False)
            )
            incident_id += 1
    for _ in range(backlog):
        opened = period.start_at - timedelta(days=rng.randint(20, 60))
        incident_rows.append(
            _incident_row(rng, incident_id=incident_id, opened=opened, entities=entities,
                          drill=False, state=rng.choice(("open", "acknowledged")))
        )
        incident_id += 1
    with engine.begin() as conn:
        for start in range(0, len(incident_rows), batch):
            conn.execute(insert(Incident), incident_rows[start : start + batch])
    if drills:
        add_drill_runs(engine, period=period, count=drills, seed=seed)
    return GeneratedData(
        mentions=mentions,
        previous_mentions=previous_mentions,
        incidents=incidents,
        drills=drills,
        backlog=backlog,
    )


HOSTILE_TITLE = '<script>alert("x")</script> <img src="https://evil.example/x.png"> & | * _'
HOSTILE_AUTHOR = '<a href="http://evil.example/">click</a>'
# Reads "evil.example/moc.kcab" reversed, hides a zero-width space, rings the bell.
BIDI_AUTHOR = "admin\u202egnp.exe\u202c zero\u200bwidth\x07 \u2066iso\u2069"
BIDI_AUTHOR_SHOWN = "admingnp.exe zerowidth iso"


def sample_inputs(locale: str = "en", timezone: str = "Asia/Shanghai") -> DigestInputs:
    """Inputs for SAMPLE_ENTITIES with the shipped playbooks, scripts and risk table."""
    from classifiers.matrix import DEFAULT_TABLE
    from playbooks import (
        default_playbook_paths,
        default_scripts_path,
        load_playbooks,
        load_scripts,
    )

    return DigestInputs(
        organisation="Lumina Dairy 澜沐乳业",
        timezone=timezone,
        locale=locale,
        entities=SAMPLE_ENTITIES,
        playbooks=load_playbooks(default_playbook_paths()),
        scripts=load_scripts(default_scripts_path()),
        grade_table=DEFAULT_TABLE,
    )


def add_hostile_rows(engine: Engine, period: Period) -> None:
    """A critical incident and a negative mention whose title and author carry markup (the
    author also bidi overrides, a zero-width space and a control character)."""
    at = period.start_at + timedelta(days=2)
    with engine.begin() as conn:
        conn.execute(
            insert(Incident),
            [{
                "id": 90_001, "entity_id": "lumina", "category": "product_safety",
                "state": "open", "grade": "critical", "peak_grade": "critical",
                "likelihood": 5, "impact": 5, "reasons": [], "title": HOSTILE_TITLE,
                "first_seen_at": at, "last_seen_at": at, "opened_at": at, "updated_at": at,
                "mention_count": 10_000, "playbook": "critical", "drill": False,
            }],
        )
        conn.execute(
            insert(Mention),
            [{
                "id": 900_001, "source_id": "inbox/weibo", "external_id": "hostile-1",
                "author": f"{HOSTILE_AUTHOR} {BIDI_AUTHOR}", "author_reach": 10**12,
                "published_at": at,
                "date_missing": False, "collected_at": at, "lang": "en",
                "text": "Lumina Dairy recall <b>poison</b> refund", "metrics": {},
                "content_hash": "f" * 64, "entities": ["lumina"], "sentiment": "negative",
            }],
        )
        conn.execute(insert(MentionEntity), [{"mention_id": 900_001, "entity_id": "lumina"}])
