"""Story grouping against event labels on real streams, and assignment speed. Prints JSON.

    python benchmarks/stories.py [--parts dev,heldout] [--streams crisislex_t26,pheme,...]
                                 [--set threshold=0.15 ...] [--core 0] [--no-extras]
                                 [--data ../shared/data]

Needs ../shared/data or ``--data`` (benchmarks/story_streams.py describes the streams and
their dev / held-out split); without it, prints {"error": ...} and exits 2. For each stream
and part: homogeneity, completeness and V-measure of the stories against the labels, stories
vs events, and the same figures for two naive baselines measured in the same run:

- ``one_per_window``: today's keying with one watched entity and no category split (every
  mention of the window in one incident: the Germanwings complaint of issue 14);
- ``simhash``: today's near-duplicate joining alone (benchmarks/simhash_baseline.py, 0.8).

Speed is mentions per CPU-second (``time.process_time``, the process pinned to one core),
the best of three replays of each stream in batches of 500 (a fresh index and cold word
caches each time), against the 10,000/s target. ``dense``
replays every unlinked stream of both parts squeezed into one window (about 100,000
mentions in 72 hours, all live at once) for speed and memory under load: tracemalloc peak
and the index's own sizes at their peak.
Restart: each stream is assigned half, every story's signature goes through JSON into a
fresh index, and the rest is assigned; the share of second-half mentions placed identically
is reported. Tune only on dev parts; held-out parts are for reporting.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.append(str(REPO / "benchmarks"))  # after the packages: benchmarks/alerts.py is a script

import numpy as np  # noqa: E402
import simhash_baseline as fingerprint  # noqa: E402
import story_streams  # noqa: E402
from sklearn.metrics import homogeneity_completeness_v_measure  # noqa: E402

from monitor.stories import StoryParams, features  # noqa: E402
from monitor.stories.testing import StoryFeed, fed_across_restart  # noqa: E402

TARGET_RATE = 10_000
TARGET_V = 0.8
RUNS = 3
Stream = story_streams.Stream
STREAMS: dict[str, Callable[[Path, str], Stream]] = {
    "crisislex_t26": story_streams.crisislex,
    "pheme": story_streams.pheme,
    "ced_threads": lambda root, part: story_streams.ced(root, part, threads=True),
    "ced_content_only": lambda root, part: story_streams.ced(root, part, threads=False),
    "fda_recalls": story_streams.fda_recalls,
    "mixed": story_streams.mixed,
}


def scores(labels: list[str], stories: list[int]) -> dict[str, Any]:
    h, c, v = homogeneity_completeness_v_measure(labels, stories)
    sizes = np.bincount(np.unique(stories, return_inverse=True)[1])
    return {
        "v_measure": round(float(v), 4), "homogeneity": round(float(h), 4),
        "completeness": round(float(c), 4), "stories": int(len(sizes)),
        "events": len(set(labels)), "singletons": int((sizes == 1).sum()),
        "largest_story_share": round(float(sizes.max() / len(stories)), 4),
    }


def replay(stream: Stream, params: StoryParams) -> tuple[StoryFeed, list[int], float]:
    """One replay: the feed, each mention's final story, and the CPU seconds it took."""
    feed = StoryFeed(params)
    docs = [d for d, _ in stream]
    features.clear_caches()  # a replay must not find this very stream in the word caches
    cpu = time.process_time()
    feed.feed(docs)
    cpu = time.process_time() - cpu
    return feed, [feed.story(d.key) for d in docs], cpu


def run_engine(
    stream: Stream, params: StoryParams, runs: int = RUNS
) -> tuple[dict[str, Any], float]:
    """Scores of one replay and the best CPU time of ``runs`` replays."""
    best = float("inf")
    for _ in range(runs):
        feed, stories, cpu = replay(stream, params)
        best = min(best, cpu)
    result = scores([lab for _, lab in stream], stories)
    result["merges"] = len(feed.stored.merged_into)
    result["mentions_per_cpu_second"] = round(len(stream) / best) if best else None
    return result, best


def one_per_window(stream: Stream, window: timedelta) -> list[int]:
    """Every mention in one story until the stream goes quiet for ``window``."""
    out, story, last = [], 0, None
    for doc, _ in stream:
        if last is not None and doc.at - last > window:
            story += 1
        out.append(story)
        last = doc.at
    return out


def simhash_only(stream: Stream, window: timedelta, similarity: float = 0.8) -> list[int]:
    """Today's near-duplicate rule alone: join a recent story within 12 bits, else start one."""
    max_bits = fingerprint.max_distance(similarity)
    prints: list[int] = []
    owners: list[int] = []
    seen: list[float] = []
    out: list[int] = []
    for i, (doc, _) in enumerate(stream):
        at = doc.at.timestamp()
        fp = fingerprint.simhash(doc.text)
        story = i
        if fp is not None and prints:
            near = np.bitwise_count(np.array(prints, dtype=np.uint64) ^ np.uint64(fp)) <= max_bits
            recent = np.array(seen) >= at - window.total_seconds()
            hits = np.flatnonzero(near & recent)
            if len(hits):
                story = owners[hits[0]]
        out.append(story)
        if fp is not None:
            prints.append(fp)
            owners.append(story)
            seen.append(at)
    return out


def restart(stream: Stream, params: StoryParams, once: list[int]) -> dict[str, Any]:
    """Assign half, persist every story through JSON, load into a fresh index, assign the rest."""
    half = len(stream) // 2
    first, second = fed_across_restart([d for d, _ in stream], half, params)
    rest = [second.story(d.key) for d, _ in stream[half:]]
    same = sum(1 for a, b in zip(rest, once[half:], strict=True) if a == b)
    v = homogeneity_completeness_v_measure(once[half:], rest)[2]
    sigs = [json.dumps(first.index.signature(s).to_json()) for s in first.index.active()]
    return {
        "second_half": len(rest), "identical": same, "identical_share": round(same / len(rest), 6),
        "v_measure_between_runs": round(float(v), 6), "signatures_loaded": len(sigs),
        "signature_json_bytes_mean": round(sum(map(len, sigs)) / max(1, len(sigs))),
    }


def merged_originals(stream: Stream, stories: list[int]) -> dict[str, int]:
    """CED: originals sharing a story with another original, and how many are SimHash copies."""
    by_story: dict[int, list[int]] = {}
    for (doc, _), story in zip(stream, stories, strict=True):
        if doc.reply_to is None:
            by_story.setdefault(story, []).append(doc.key)
    texts = {d.key: d.text for d, _ in stream if d.reply_to is None}
    merged = copies = 0
    max_bits = fingerprint.max_distance(0.8)
    for keys in by_story.values():
        if len(keys) < 2:
            continue
        prints = [fingerprint.simhash(texts[k]) for k in keys]
        for i, fp in enumerate(prints):
            merged += 1
            others = [p for j, p in enumerate(prints) if j != i and p is not None]
            copies += fp is not None and any(fingerprint.is_near(fp, p, max_bits) for p in others)
    return {"originals_in_shared_stories": merged, "of_which_simhash_copies": copies}


def dense(root: Path, params: StoryParams) -> dict[str, Any]:
    """Every stream of both parts squeezed into one window: speed and memory under load."""
    squeezed: Stream = []
    span = params.window
    for name in ("crisislex_t26", "pheme", "ced_content_only", "fda_recalls"):
        for part in ("dev", "heldout"):
            stream = STREAMS[name](root, part)
            start, end = stream[0][0].at, stream[-1][0].at
            scale = (end - start) / span if end > start else 1.0
            squeezed.extend((replace(d, at=story_streams.T0 + (d.at - start) / scale), lab)
                            for d, lab in stream)
    squeezed.sort(key=lambda pair: (pair[0].at, pair[0].key))
    _, cpu = run_engine(squeezed, params)
    docs = [d for d, _ in squeezed]
    feed = StoryFeed(params)
    peak: dict[str, int] = {}
    tracemalloc.start()
    for first in range(0, len(docs), 500):
        feed.feed(docs[first : first + 500])
        for key, value in feed.index.stats().items():
            peak[key] = max(peak.get(key, 0), value)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "mentions": len(docs), "hours": span.total_seconds() / 3600,
        "mentions_per_hour": round(len(docs) / (span.total_seconds() / 3600)),
        "mentions_per_cpu_second": round(len(docs) / cpu),
        "tracemalloc_peak_mb": round(traced / 2**20, 1),
        "note": "the peak includes the StoryFeed's mention -> story map (the database's part)",
        "index_peak": peak,
    }


def parse_params(pairs: list[str]) -> StoryParams:
    params = StoryParams()
    names = {f.name for f in fields(StoryParams)}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name.startswith("boosts."):
            params = replace(params, boosts=replace(params.boosts, **{name[7:]: float(value)}))
        elif name == "window":
            params = replace(params, window=timedelta(hours=float(value)))
        elif name in names:
            current = getattr(params, name)
            params = replace(params, **{name: type(current)(float(value))})
        else:
            raise SystemExit(f"unknown parameter {name!r}")
    return params


def params_json(params: StoryParams) -> dict[str, Any]:
    out = {f.name: getattr(params, f.name) for f in fields(StoryParams)}
    out["window"] = f"{params.window.total_seconds() / 3600:g} h"
    out["boosts"] = {f.name: getattr(params.boosts, f.name) for f in fields(params.boosts)}
    return out


def measure(name: str, stream: Stream, params: StoryParams, extras: bool) -> dict[str, Any]:
    result, _ = run_engine(stream, params)
    entry: dict[str, Any] = {"mentions": len(stream), "engine": result}
    if extras:
        labels = [lab for _, lab in stream]
        window = one_per_window(stream, timedelta(hours=48))
        entry["baseline_one_per_window"] = scores(labels, window)
        entry["baseline_simhash"] = scores(labels, simhash_only(stream, params.window))
        _, once, _ = replay(stream, params)
        entry["restart"] = restart(stream, params, once)
        if name == "ced_threads":  # only there do originals differ from their replies
            entry["merged_originals"] = merged_originals(stream, once)
    return entry


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--parts", default="dev,heldout")
    ap.add_argument("--streams", default=",".join(STREAMS))
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--core", type=int, default=0, help="CPU core to pin to (-1: do not pin)")
    ap.add_argument("--no-extras", action="store_true", help="skip baselines, restart, dense")
    ap.add_argument("--data", type=Path, default=story_streams.data_root(REPO),
                    help="the shared data folder (default ../shared/data)")
    args = ap.parse_args(argv)
    root = args.data
    if not (root / "risk").is_dir():
        print(json.dumps({"error": f"needs the shared data folder {root} (not present)"}))
        return 2
    if args.core >= 0:
        os.sched_setaffinity(0, {args.core})
    params = parse_params(args.set)
    report: dict[str, Any] = {
        "data": str(root), "params": params_json(params),
        "target": {"v_measure_dev": TARGET_V, "mentions_per_cpu_second": TARGET_RATE},
        "streams": {},
    }
    docs, cpu = 0, 0.0
    for name in args.streams.split(","):
        for part in args.parts.split(","):
            stream = STREAMS[name](root, part)
            entry = measure(name, stream, params, not args.no_extras)
            docs += len(stream)
            cpu += len(stream) / entry["engine"]["mentions_per_cpu_second"]
            report["streams"].setdefault(name, {})[part] = entry
            print(f"{name}/{part}: V={entry['engine']['v_measure']}", file=sys.stderr)
    rate = docs / cpu if cpu else 0.0
    report["speed"] = {
        "mentions": docs, "cpu_seconds": round(cpu, 2), "mentions_per_cpu_second": round(rate),
        "ratio_to_target": round(rate / TARGET_RATE, 2), "load_average": os.getloadavg(),
    }
    if not args.no_extras:
        report["dense"] = dense(root, params)
        report["dense"]["ratio_to_target"] = round(
            report["dense"]["mentions_per_cpu_second"] / TARGET_RATE, 2)
    print(json.dumps(report, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
