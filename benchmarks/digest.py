"""Weekly digest cost: time and peak RSS to build it over a generated week in SQLite.

Prints JSON. Usage: python benchmarks/digest.py [--mentions 1000000] [--incidents 2000]
                                                [--db existing.sqlite] [--keep]
Targets (issue 7): under 15 s and under 500 MB for 1,000,000 mentions and 2,000 incidents.

The week is generated first (the previous week too, half as large, since the digest compares
with it); the digest is then built in a fresh process, so the figures measure the digest alone:
SQL aggregates, themes, the four charts, and the HTML, Markdown and JSON files.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.db.engine import make_engine  # noqa: E402
from monitor.db.migrate import ensure_schema  # noqa: E402
from monitor.digest.period import iso_week  # noqa: E402

WEEK = "2026-W46"
TZ = "Asia/Shanghai"
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def generate(path: Path, mentions: int, incidents: int) -> dict[str, float]:
    from monitor.digest.testing import generate_week

    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    started = time.perf_counter()
    generate_week(engine, period=iso_week(week=WEEK, tz=TZ), mentions=mentions,
                  incidents=incidents, drills=5, backlog=50)
    engine.dispose()
    return {"generate_s": round(time.perf_counter() - started, 1)}


def build(path: Path, out: Path) -> dict[str, float | int]:
    """Run in the child process: build, draw and write the digest."""
    from sqlalchemy.orm import Session

    from monitor.digest.charts import render_charts
    from monitor.digest.figures import build_digest
    from monitor.digest.labels import Labels
    from monitor.digest.render_json import render_json
    from monitor.digest.render_markdown import render_markdown
    from monitor.digest.run import render_document
    from monitor.digest.testing import sample_inputs

    engine = make_engine(f"sqlite:///{path}")
    inputs = sample_inputs("zh", TZ)
    started = time.perf_counter()
    with Session(engine) as session:
        digest = build_digest(session=session, inputs=inputs, period=iso_week(week=WEEK, tz=TZ),
                              now=NOW)
    figures_s = time.perf_counter() - started
    labels = Labels(inputs.locale, TZ)
    charts = render_charts(digest, labels)
    document = render_document(digest, charts=charts, labels=labels, filename="digest.html")
    out.mkdir(parents=True, exist_ok=True)
    (out / "digest.html").write_text(document.html, encoding="utf-8")
    (out / "digest.md").write_text(render_markdown(digest, labels=labels), encoding="utf-8")
    (out / "digest.json").write_text(render_json(digest), encoding="utf-8")
    total_s = time.perf_counter() - started
    return {
        "mentions_in_week": int(digest.headline.mentions.current or 0),
        "mentions_previous_week": int(digest.headline.mentions.previous or 0),
        "incidents_in_week": int(digest.headline.incidents.current or 0),
        "figures_s": round(figures_s, 2),
        "charts_and_files_s": round(total_s - figures_s, 2),
        "total_s": round(total_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "html_kb": round(len(document.html.encode("utf-8")) / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--db", type=Path, help="Use this generated database (no generation).")
    parser.add_argument("--keep", action="store_true", help="Keep the database and files.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(build(args.db, args.out)))
        return
    folder = Path(tempfile.mkdtemp(prefix="cw-digest-bench-"))
    result: dict[str, object] = {"benchmark": "digest", "database": "sqlite"}
    db = args.db
    if db is None:
        db = folder / "bench.sqlite"
        result.update(generate(db, args.mentions, args.incidents))
    child = subprocess.run(
        [sys.executable, __file__, "--child", "--db", str(db), "--out", str(folder / "out")],
        capture_output=True, text=True, check=True,
    )
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    result.update(measured)
    result["targets"] = {"total_s": 15, "peak_rss_mb": 500}
    result["meets_targets"] = measured["total_s"] < 15 and measured["peak_rss_mb"] < 500
    if args.keep:
        result["kept"] = str(folder)
    else:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
