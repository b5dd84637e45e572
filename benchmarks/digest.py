"""Report cost: time and peak RSS to build the weekly digest over a generated week in SQLite,
then the monthly and quarterly reports holding it.

Prints JSON. Usage: python benchmarks/digest.py [--mentions 1000000] [--incidents 2000]
                                                [--db existing.sqlite] [--keep]
Targets (issues 7 and 18): the week under 15 s and under 500 MB for 1,000,000 mentions and
2,000 incidents.

The week is generated first (the previous week too, half as large, since the digest compares
with it); the reports are then built in a fresh process, so the figures measure them alone:
SQL aggregates, themes, the four charts, and the HTML, Markdown and JSON files. The month
(2026-11) and the quarter (2026-Q4) hold both generated weeks, 1.5 times the week's mentions.
``cpu_s`` is the process's CPU time: on a shared machine wall time also measures the others.
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
MONTH = "2026-11"
QUARTER = "2026-Q4"
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


def build(path: Path, out: Path) -> dict[str, object]:
    """Run in the child process: build, draw and write the week's, month's and quarter's."""
    from sqlalchemy.orm import Session

    from monitor.digest.charts import render_charts
    from monitor.digest.figures import build_digest
    from monitor.digest.labels import Labels
    from monitor.digest.period import period_at
    from monitor.digest.render_json import render_json
    from monitor.digest.render_markdown import render_markdown
    from monitor.digest.run import render_document
    from monitor.digest.testing import sample_inputs

    engine = make_engine(f"sqlite:///{path}")
    inputs = sample_inputs("zh", TZ)
    labels = Labels(inputs.locale, TZ)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {}
    for kind, at in (("week", WEEK), ("month", MONTH), ("quarter", QUARTER)):
        period = period_at(kind=kind, at=at, tz=TZ)
        started, cpu = time.perf_counter(), time.process_time()
        with Session(engine) as session:
            digest = build_digest(session=session, inputs=inputs, period=period, now=NOW)
        figures_s = time.perf_counter() - started
        charts = render_charts(digest, labels)
        document = render_document(digest, charts=charts, labels=labels,
                                   filename=f"{kind}.html")
        (out / f"{kind}.html").write_text(document.html, encoding="utf-8")
        (out / f"{kind}.md").write_text(render_markdown(digest, labels=labels), encoding="utf-8")
        (out / f"{kind}.json").write_text(render_json(digest), encoding="utf-8")
        total_s = time.perf_counter() - started
        results[kind] = {
            "period": period.label,
            "mentions": int(digest.headline.mentions.current or 0),
            "mentions_previous": int(digest.headline.mentions.previous or 0),
            "incidents": int(digest.headline.incidents.current or 0),
            "figures_s": round(figures_s, 2),
            "charts_and_files_s": round(total_s - figures_s, 2),
            "total_s": round(total_s, 2),
            "cpu_s": round(time.process_time() - cpu, 2),
            "html_kb": round(len(document.html.encode("utf-8")) / 1024, 1),
            "peak_rss_mb_so_far": _peak_rss_mb(),
        }
    results["peak_rss_mb"] = _peak_rss_mb()
    return results


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


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
    week = measured["week"]
    result["targets"] = {"week_total_s": 15, "peak_rss_mb": 500}
    result["meets_targets"] = week["total_s"] < 15 and week["peak_rss_mb_so_far"] < 500
    if args.keep:
        result["kept"] = str(folder)
    else:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
