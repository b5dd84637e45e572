"""Ingest throughput against a plain csv + sqlite3.executemany baseline, in the same run.

Each measurement runs in a fresh child process pinned to one core, so its CPU time and peak
RSS are its own. Modes:

- ``baseline``: ``csv.reader`` + ``sqlite3.executemany`` of the same mention columns into the
  same (migrated) schema, one transaction per 2,000 rows: what storing alone costs.
- ``ingest``: crisiswatch's ingest of the same file (parse, normalise, language, watchlist
  match, dedupe, store), no scoring.
- ``full``: ingest with scoring (sentiment, categories, intent, matrix), stories and incident
  assignment, as ``crisiswatch run`` does it.

Prints JSON: rows per CPU-second for each, the ratio ingest/baseline (target >= 0.6), full
rows per CPU-second against the targets (en >= 8,000, zh >= 5,000), peak RSS per row count
(flat within 10% from 100k to 1M), and with ``--pg`` the PostgreSQL/SQLite ratio (>= 0.9).

    python benchmarks/ingest.py [--rows 100000 1000000] [--langs en zh]
        [--modes baseline ingest full] [--pg postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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

SNIPPETS = {
    "en": [
        "I bought Acme Foods yoghurt yesterday and it tasted fine",
        "Acme Kids formula gave my son a rash, is there a recall?",
        "Rival Milk is cheaper this week at the supermarket",
        "Jane Roe spoke at the dairy conference about sustainability",
        "Lovely weather today, going to the park with the dog",
        "Othermilk delivery was late again, customer service did not answer",
        "Where can I buy Acme Kids formula in Leeds? The shop near me is out",
        "Acme Foods announced record results and 300 new jobs at the Derby plant",
    ],
    "zh": [
        "艾克美的酸奶一直很好喝，支持国货",
        "艾克美儿童奶粉喝了过敏，要求召回",
        "对手乳业今天打折，性价比不错",
        "今天天气很好，去公园散步",
        "罗简在发布会上谈到了食品安全",
        "别家的牛奶送货太慢了",
        "请问艾克美奶粉在哪里可以买到？",
        "艾克美发布年报，营收增长百分之十二",
    ],
}
BATCH = 2000
COLUMNS = ("source_id", "external_id", "author", "author_reach", "published_at",
           "date_missing", "collected_at", "text", "metrics", "content_hash", "entities")


def generate(path: Path, rows: int, lang: str, seed: int = 7) -> None:
    """A realistic export: ids, authors, follower counts, dates, text, likes and reposts."""
    rng = random.Random(seed)
    pool = SNIPPETS[lang]
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "author", "followers", "date", "text", "likes", "reposts"])
        for i in range(rows):
            text = f"{rng.choice(pool)} #{i} {rng.choice(pool)}"
            when = start + timedelta(seconds=i * 2)
            writer.writerow([i, f"user{rng.randrange(50000)}", rng.randrange(100000),
                             when.strftime("%Y-%m-%d %H:%M:%S"), text, rng.randrange(500),
                             rng.randrange(100)])


def _baseline(csv_path: Path, url: str) -> dict[str, Any]:
    path = url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    conn.execute("INSERT INTO sources (id, kind, location, consecutive_failures, created_at) "
                 "VALUES ('bench', 'export', ?, 0, ?)", (str(csv_path), now))
    conn.commit()
    marks = ", ".join("?" * len(COLUMNS))
    sql = f"INSERT INTO mentions ({', '.join(COLUMNS)}) VALUES ({marks})"
    stored = 0
    with csv_path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        batch: list[tuple[Any, ...]] = []
        for ext, author, followers, date, text, likes, reposts in reader:
            metrics = json.dumps({"likes": int(likes), "reposts": int(reposts)})
            digest = hashlib.sha256(text.encode()).hexdigest()
            batch.append(("bench", ext, author, int(followers), date, False, now, text, metrics,
                          digest, "[]"))
            if len(batch) == BATCH:
                with conn:
                    conn.executemany(sql, batch)
                stored += len(batch)
                batch = []
        if batch:
            with conn:
                conn.executemany(sql, batch)
            stored += len(batch)
    conn.close()
    return {"stored": stored}


def _crisiswatch(csv_path: Path, url: str, *, full: bool) -> dict[str, Any]:
    from config.loader import load_config
    from monitor.app import open_app
    from monitor.pipeline.collect import FileSpec, ingest_file

    config_path = csv_path.parent / "cw.yaml"
    config_path.write_text(CONFIG, encoding="utf-8")
    with open_app(load_config(config_path), database=url) as app:
        pipeline = app.pipeline if full else replace(app.pipeline, score=None, steps=())
        if full:  # load the models before the clock starts, as a running service has
            app.scoring.scorer.get()
        started = time.process_time(), time.perf_counter()
        stats = ingest_file(pipeline, source_id="bench", spec=FileSpec(path=csv_path))
        cpu, wall = time.process_time() - started[0], time.perf_counter() - started[1]
    return {"stored": stats.new, "unmatched": stats.unmatched, "rejected": stats.rejected,
            "cpu_s": cpu, "wall_s": wall}


def child(mode: str, csv_path: Path, url: str) -> None:
    """One measurement in this process; prints one JSON line."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from monitor.db.engine import make_engine
    from monitor.db.migrate import ensure_schema

    engine = make_engine(url)
    ensure_schema(engine)
    engine.dispose()
    if mode == "baseline":
        started = time.process_time(), time.perf_counter()
        out = _baseline(csv_path, url)
        out |= {"cpu_s": time.process_time() - started[0],
                "wall_s": time.perf_counter() - started[1]}
    else:
        out = _crisiswatch(csv_path, url, full=mode == "full")
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out))


def _measure(mode: str, csv_path: Path, url: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--csv", str(csv_path), "--db", url],
        capture_output=True, text=True, check=False,
        env=os.environ | {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
    )
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--langs", nargs="+", default=["en", "zh"], choices=sorted(SNIPPETS))
    parser.add_argument("--modes", nargs="+", default=["baseline", "ingest", "full"],
                        choices=["baseline", "ingest", "full"])
    parser.add_argument("--pg", default=os.environ.get("CRISISWATCH_BENCH_PG_URL"),
                        help="also measure ingest on this PostgreSQL (a private schema)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.csv, args.db)
        return
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            for lang in args.langs:
                data = Path(tmp) / f"{lang}-{rows}.csv"
                generate(data, rows, lang)
                targets = [(mode, "sqlite") for mode in args.modes]
                if args.pg and "ingest" in args.modes:
                    targets.append(("ingest", "postgresql"))
                for mode, database in targets:
                    if database == "postgresql":
                        from monitor.db.schemas import private_schema

                        with private_schema(args.pg, prefix="cw_bench", migrate=True) as url:
                            result = _measure(mode, data, url)
                    else:
                        db = Path(tmp) / f"{mode}-{lang}-{rows}.sqlite"
                        result = _measure(mode, data, f"sqlite:///{db}")
                        db.unlink()
                    result |= {"mode": mode, "database": database, "lang": lang, "rows": rows,
                               "rows_per_cpu_s": round(rows / result["cpu_s"]),
                               "rows_per_wall_s": round(rows / result["wall_s"])}
                    runs.append(result)
                    print(json.dumps(result), file=sys.stderr, flush=True)
                data.unlink()
    print(json.dumps({"benchmark": "ingest", "cores": 1, "runs": runs,
                      "summary": summarise(runs)}, indent=2))


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The ratios and targets of the issue, from the runs of this invocation."""
    def rate(mode: str, lang: str, rows: int, database: str = "sqlite") -> float | None:
        for r in runs:
            if (r["mode"], r["lang"], r["rows"], r["database"]) == (mode, lang, rows, database):
                return float(r["rows_per_cpu_s"])
        return None

    out: dict[str, Any] = {}
    sizes = sorted({r["rows"] for r in runs})
    for lang in sorted({r["lang"] for r in runs}):
        for rows in sizes:
            key = f"{lang}_{rows}"
            base, ours, full = (rate(m, lang, rows) for m in ("baseline", "ingest", "full"))
            if base and ours:
                out[f"{key}_ingest_vs_baseline"] = round(ours / base, 3)
            if full:
                target = 8000 if lang == "en" else 5000
                out[f"{key}_full_rows_per_cpu_s"] = {"value": full, "target": target,
                                                     "ratio": round(full / target, 3)}
            pg = rate("ingest", lang, rows, "postgresql")
            if pg and ours:
                pg_wall = next(r["rows_per_wall_s"] for r in runs if r["database"] == "postgresql"
                               and (r["lang"], r["rows"]) == (lang, rows))
                sq_wall = next(r["rows_per_wall_s"] for r in runs if r["database"] == "sqlite"
                               and (r["mode"], r["lang"], r["rows"]) == ("ingest", lang, rows))
                out[f"{key}_postgresql_vs_sqlite_wall"] = round(pg_wall / sq_wall, 3)
        if len(sizes) > 1:
            for mode in ("ingest", "full"):
                peaks = [r["peak_rss_mb"] for r in runs if (r["mode"], r["lang"], r["database"])
                         == (mode, lang, "sqlite")]
                if len(peaks) == len(sizes):
                    out[f"{lang}_{mode}_peak_rss_growth"] = round(peaks[-1] / peaks[0], 3)
    return out


if __name__ == "__main__":
    main()
