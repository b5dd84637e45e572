"""Incident assignment throughput: scored mentions -> incidents, spikes, escalation starts.

Generates a SQLite database of scored mentions (30 entities over 28 days, mostly harmless
chatter, a share of graded complaints and a few fast-growing stories), then runs
``assign_incidents`` batch by batch (2,000 ids, as ingestion does) with the clock at each
batch's newest mention, and times only the assignment. Prints JSON.

    python benchmarks/incidents.py [--mentions 1000000] [--batch 2000] [--keep DB]

Target (issue 4): at least 10,000 mentions/s on one core. ``mentions_per_cpu_second`` (process
CPU time, commit included) is the figure to compare on a shared machine; wall time is also shown.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select  # noqa: E402

from classifiers.matrix import MatrixConfig, RiskSignals, assess  # noqa: E402
from classifiers.risk_lexicon import CategoryScore  # noqa: E402
from monitor.db.engine import make_engine, session_factory  # noqa: E402
from monitor.db.migrate import ensure_schema  # noqa: E402
from monitor.db.models import Alert, Incident, Mention, MentionEntity, Source  # noqa: E402
from monitor.incidents import tick_escalations  # noqa: E402
from monitor.incidents.story_step import StoryAssignment  # noqa: E402
from monitor.incidents.testing import assign_stored, make_context  # noqa: E402
from monitor.stories.model import StoryParams  # noqa: E402

START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 28
KINDS = ["brand"] * 10 + ["product"] * 10 + ["executive"] * 4 + ["competitor"] * 6
ENTITIES = {f"e{i:02d}": (f"Entity {i}", kind) for i, kind in enumerate(KINDS)}
CATEGORIES = {
    "customer_complaint": 2, "service_outage": 3, "product_safety": 5, "data_privacy": 5,
    "misinformation_rumor": 3, "legal_regulatory": 4, "executive_conduct": 4, "spam": 1,
}
WORDS = (
    "milk", "formula", "yoghurt", "delivery", "refund", "app", "login", "outage", "store",
    "price", "taste", "bottle", "batch", "recall", "rash", "sick", "customer", "service",
    "waiting", "hours", "order", "late", "broken", "leak", "cheese", "shop", "的", "了", "奶粉",
    "客服", "退款", "质量", "过敏", "召回", "发货", "很", "慢", "差", "好", "喜欢", "不错",
)


def scored(rng: random.Random, matrix: MatrixConfig, kind: str, risky: bool,
           story: str | None) -> dict[str, Any]:
    """Sentiment, categories and the matrix position of one generated mention."""
    category = story or (rng.choice(list(CATEGORIES)) if risky else None)
    negative = rng.uniform(0.6, 0.99) if risky or story else rng.uniform(0.0, 0.5)
    cats = [CategoryScore(category=category, score=rng.uniform(0.5, 0.95),
                          severity=CATEGORIES[category], evidence=("w",), source="lexicon")
            ] if category else []
    reach = int(rng.paretovariate(1.2) * 50)
    metrics = {"reposts": rng.randint(0, 30), "likes": rng.randint(0, 200)}
    result = assess(
        signals=RiskSignals(negative_prob=negative, categories=tuple(cats),
                            source_tier=rng.choice((1, 2, 3, 3, 3)), author_reach=reach,
                            metrics=metrics, entity_kind=kind),
        config=matrix,
    )
    rest = (1 - negative) / 2
    return {
        "author_reach": reach, "metrics": metrics,
        "sentiment": "negative" if negative >= 0.5 else "neutral",
        "sentiment_probs": {"negative": negative, "neutral": rest, "positive": rest},
        "categories": [{"category": c.category, "score": c.score, "severity": c.severity,
                        "evidence": list(c.evidence), "source": c.source} for c in cats],
        "top_category": category, "likelihood": result.likelihood, "impact": result.impact,
        "grade": result.grade, "reasons": list(result.reasons),
    }


def generate(sessions: Any, total: int, days: float = DAYS, seed: int = 11) -> None:
    """``total`` scored mentions in time order: chatter, complaints, and growing stories."""
    rng = random.Random(seed)
    matrix = MatrixConfig()
    span = days * 86400
    sources = [f"src{i}" for i in range(12)]
    stories = [(rng.uniform(0.1, 0.95) * span, rng.choice(list(ENTITIES)),
                rng.choice(["product_safety", "data_privacy", "service_outage"]))
               for _ in range(12)]
    with sessions.begin() as s:
        for sid in sources:
            s.add(Source(id=sid, kind="export", location="bench", consecutive_failures=0,
                         created_at=START))
    chunk = 20_000
    for first in range(0, total, chunk):
        rows: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        for n in range(first, min(total, first + chunk)):
            offset = n / total * span
            story = next((st for st in stories if 0 <= offset - st[0] < 3 * 3600
                          and rng.random() < 0.5), None)
            entity = story[1] if story else rng.choice(list(ENTITIES))
            entities = [entity] + ([rng.choice(list(ENTITIES))] if rng.random() < 0.1 else [])
            values = scored(rng, matrix, ENTITIES[entity][1], rng.random() < 0.15,
                            story[2] if story else None)
            at = START + timedelta(seconds=offset)
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30)))
            rows.append({
                "id": n + 1, "source_id": rng.choice(sources), "external_id": f"x{n}",
                "url": None, "title": None, "author": f"user{rng.randint(1, 50_000)}",
                "published_at": at, "date_missing": False, "collected_at": at, "lang": "en",
                "text": f"{ENTITIES[entity][0]} {text}", "content_hash": f"h{n}",
                "duplicate_of": None, "entities": list(dict.fromkeys(entities)), "run_id": None,
                "scored_at": at, **values,
            })
            links.extend({"mention_id": n + 1, "entity_id": e} for e in dict.fromkeys(entities))
        with sessions.begin() as s:
            s.execute(insert(Mention), rows)
            s.execute(insert(MentionEntity), links)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--days", type=float, default=DAYS,
                        help="Time the mentions span (default 28; fewer days, denser volume).")
    parser.add_argument("--keep", type=Path, default=None, help="Keep the database here.")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cw-incidents-"))
    path = args.keep or folder / "bench.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    sessions = session_factory(engine)
    began = time.perf_counter()
    generate(sessions, args.mentions, args.days)
    generated = time.perf_counter() - began
    ctx = make_context(entities=ENTITIES)
    # one stories step for the run, as the service keeps one per process (a fresh one per
    # batch would rebuild the engine from every story of the window, as after a restart)
    stories = StoryAssignment(params=StoryParams(),
                              names={k: (v,) for k, v in ctx.entity_names.items()},
                              kinds=ctx.entity_kinds)
    assign_seconds = assign_cpu = tick_seconds = 0.0
    alerts = 0
    for first in range(1, args.mentions + 1, args.batch):
        ids = list(range(first, min(args.mentions + 1, first + args.batch)))
        with sessions() as s:
            now = s.scalar(select(func.max(Mention.published_at)).where(Mention.id.in_(ids)))
        assert now is not None
        began, cpu = time.perf_counter(), time.process_time()
        with sessions.begin() as s:
            result = assign_stored(s, ctx=ctx, mention_ids=ids, now=now, stories=stories)
        assign_seconds += time.perf_counter() - began
        assign_cpu += time.process_time() - cpu
        alerts += result.alerts
        began = time.perf_counter()
        with sessions.begin() as s:
            alerts += tick_escalations(s, ctx=ctx, now=now).alerts
        tick_seconds += time.perf_counter() - began
    with sessions() as s:
        incidents = s.scalar(select(func.count()).select_from(Incident))
        outbox = s.scalar(select(func.count()).select_from(Alert))
        volume_only = s.scalar(
            select(func.count()).select_from(Incident).where(Incident.category.is_(None))
        )
    engine.dispose()
    print(json.dumps({
        "mentions": args.mentions,
        "batch": args.batch,
        "days": args.days,
        "assign_seconds": round(assign_seconds, 2),
        "mentions_per_second": round(args.mentions / assign_seconds),
        "assign_cpu_seconds": round(assign_cpu, 2),
        "mentions_per_cpu_second": round(args.mentions / assign_cpu),
        "tick_seconds": round(tick_seconds, 2),
        "incidents": incidents,
        "volume_only_incidents": volume_only,
        "outbox_rows": outbox,
        "generate_seconds": round(generated, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "database": str(path) if args.keep else "temporary SQLite (WAL)",
    }, indent=2))


if __name__ == "__main__":
    main()
