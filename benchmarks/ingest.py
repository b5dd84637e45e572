"""Ingest throughput: parse + match + dedupe + store for a generated CSV.

Prints JSON. Usage: python benchmarks/ingest.py [--rows 1000000] [--pg postgresql+psycopg://...]
Targets (issue 2): >= 20,000 rows/s on one core, peak RSS < 300 MB.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.loader import load_config  # noqa: E402
from monitor.app import open_app  # noqa: E402
from monitor.db.schemas import private_schema  # noqa: E402
from monitor.pipeline.collect import FileSpec, ingest_file  # noqa: E402

CONFIG = """\
version: 1
organisation: {name: Bench}
entities:
  - {id: acme, name: Acme, kind: brand, aliases: [Acme Foods, 艾克美, 艾克美]}
  - {id: acme-kids, name: Acme Kids, kind: product, query: '"Acme Kids" OR (艾克美 NEAR/5 奶粉)'}
  - {id: boss, name: Jane Roe, kind: executive, aliases: [Jane Roe, 罗简]}
  - {id: rival, name: Rival, kind: competitor, aliases: [Rival Milk, 对手乳业]}
  - {id: other, name: Other, kind: competitor, aliases: [Othermilk, 别家]}
  - {id: safety, name: Safety topic, kind: topic, query: 'recall OR 召回 OR 过敏 OR allergy'}
"""

SNIPPETS_EN = [
    "I bought Acme Foods yoghurt yesterday and it tasted fine",
    "Acme Kids formula gave my son a rash, is there a recall?",
    "Rival Milk is cheaper this week at the supermarket",
    "Jane Roe spoke at the dairy conference about sustainability",
    "Lovely weather today, going to the park with the dog",
    "Othermilk delivery was late again, customer service did not answer",
]
SNIPPETS_ZH = [
    "艾克美的酸奶一直很好喝，支持国货",
    "艾克美儿童奶粉喝了过敏，要求召回",
    "对手乳业今天打折，性价比不错",
    "今天天气很好，去公园散步",
    "罗简在发布会上谈到了食品安全",
    "别家的牛奶送货太慢了",
]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "author", "followers", "date", "text", "likes", "reposts"])
        for i in range(rows):
            pool = SNIPPETS_ZH if i % 2 else SNIPPETS_EN
            text = f"{rng.choice(pool)} #{i} {rng.choice(pool)}"
            when = start + timedelta(seconds=i * 2)
            writer.writerow([i, f"user{rng.randrange(50000)}", rng.randrange(100000),
                             when.strftime("%Y-%m-%d %H:%M:%S"), text, rng.randrange(500),
                             rng.randrange(100)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg", default=os.environ.get("CRISISWATCH_BENCH_PG_URL"))
    parser.add_argument("--score", action="store_true",
                        help="also score every stored mention (sentiment, categories, matrix)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    results = []
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        data = tmpdir / "bench.csv"
        t0 = time.perf_counter()
        generate(data, args.rows)
        gen_s = time.perf_counter() - t0
        (tmpdir / "cw.yaml").write_text(CONFIG, encoding="utf-8")
        config = load_config(tmpdir / "cw.yaml")
        targets = [("sqlite", f"sqlite:///{tmpdir / 'bench.sqlite'}")]
        if args.pg:
            pg_url = stack.enter_context(private_schema(args.pg, prefix="cw_bench", migrate=True))
            targets.append(("postgresql", pg_url))
        for name, url in targets:
            with open_app(config, database=url) as app:
                pipeline = app.pipeline if args.score else replace(app.pipeline, after_batch=None)
                t0 = time.perf_counter()
                stats = ingest_file(pipeline, source_id="bench", spec=FileSpec(path=data))
                seconds = time.perf_counter() - t0
                t1 = time.perf_counter()
                again = ingest_file(pipeline, source_id="bench", spec=FileSpec(path=data),
                                    force=True)
                reingest_s = time.perf_counter() - t1
            results.append(result := {
                "database": name,
                "scoring": args.score,
                "rows": args.rows,
                "seconds": round(seconds, 2),
                "rows_per_s": round(args.rows / seconds),
                "stored": stats.new,
                "unmatched": stats.unmatched,
                "rejected": stats.rejected,
                "reingest_forced_new": again.new,
                "reingest_forced_rows_per_s": round(args.rows / reingest_s),
            })
            print(json.dumps(result), file=sys.stderr, flush=True)  # partial results survive a kill
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"benchmark": "ingest", "generate_s": round(gen_s, 2), "results": results,
                      "peak_rss_mb": round(peak_mb, 1), "cores": 1}, indent=2))


if __name__ == "__main__":
    main()
