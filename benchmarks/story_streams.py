"""Real labelled streams for the story benchmark, read from ../shared/data (never committed).

Each stream is a list of ``(StoryDoc, label)`` in publication order, split into a dev part
(tune on it) and a held-out part (report only), always by whole events:

- CrisisLexT26: 26 crisis events of 2012-13 (en, es, it, pt tweets), label = event. Tweets
  the crowd marked "Not related" or "Not applicable" are left out (they are not about the
  event). Times come from the tweet ids (Twitter snowflakes); each event is shifted to start
  at the same instant, so all events of a part are interleaved (the hard case: floods,
  earthquakes and train crashes side by side). Dev = even positions in name order.
- PHEME: source tweets of 9 breaking-news events (en), label = event; shifted to a common
  start like CrisisLex. Dev = even positions in name order.
- CED: Chinese Weibo; each original microblog with its sampled reposts and comments is one
  story (label = the original). Real times. ``threads=True`` gives every repost/comment its
  root as ``reply_to`` (what a Weibo collector knows); ``threads=False`` leaves content alone.
  Dev = originals whose id hashes (crc32) to an even number.
- fda_recalls: FDA food enforcement reports 2020-24; text = firm, product and reason as a
  report or a news item would give them; label = the FDA event id (one recall event covers
  several products). The five years are replayed 60 times faster (a day in 24 minutes), so
  dozens of unrelated recalls for the same reasons (Salmonella, Listeria, undeclared milk)
  are live at once: the "two stories of one category" case, in formal, news-like text.
  Dev = event ids hashing (crc32) to an even number.
- mixed: a part of PHEME, of CrisisLex and of CED (its busiest fortnight, threads kept)
  replayed together at the same instant: zh, en, es, it and pt in one index. No event spans
  two languages here, so it measures that languages do not pollute each other.
"""

from __future__ import annotations

import csv
import json
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.stories import StoryDoc

Stream = list[tuple[StoryDoc, str]]
T0 = datetime(2030, 1, 1, tzinfo=UTC)
_SNOWFLAKE_EPOCH_MS = 1288834974657
_RELATED = {"Related and informative", "Related - but not informative"}
_CST = timedelta(hours=8)


def data_root(repo: Path) -> Path:
    """../shared/data relative to the project root."""
    return repo.parent / "shared" / "data"


def _part_of(names: list[str], part: str) -> list[str]:
    ordered = sorted(names)
    keep = 0 if part == "dev" else 1
    return [n for i, n in enumerate(ordered) if i % 2 == keep]


def _aligned(events: dict[str, list[StoryDoc]]) -> Stream:
    """All events shifted to start at T0, merged in time order (ties by mention id)."""
    out: Stream = []
    for label, docs in events.items():
        start = min(d.at for d in docs)
        out.extend((replace(d, at=T0 + (d.at - start)), label) for d in docs)
    out.sort(key=lambda pair: (pair[0].at, pair[0].key))
    return out


def crisislex(root: Path, part: str) -> Stream:
    """CrisisLexT26 related tweets of one part's events, interleaved from a common start."""
    folder = root / "risk" / "crisislex" / "T26"
    files = {p.name.split("-tweets_labeled")[0]: p for p in folder.glob("*-tweets_labeled.csv")}
    events: dict[str, list[StoryDoc]] = {}
    for name in _part_of(list(files), part):
        with files[name].open(encoding="utf-8", errors="replace", newline="") as fh:
            rows = list(csv.reader(fh))[1:]
        docs = []
        for row in rows:
            if len(row) < 5 or row[4].strip() not in _RELATED:
                continue
            key = int(row[0].strip().strip('"'))
            at = datetime.fromtimestamp(((key >> 22) + _SNOWFLAKE_EPOCH_MS) / 1000, UTC)
            docs.append(StoryDoc(key=key, at=at, text=row[1]))
        events[name] = docs
    return _aligned(events)


def pheme(root: Path, part: str) -> Stream:
    """PHEME source tweets of one part's events, interleaved from a common start."""
    path = root / "risk" / "pheme_rnr" / "pheme_source_tweets.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    wanted = set(_part_of(sorted({r["event"] for r in rows}), part))
    events: dict[str, list[StoryDoc]] = {}
    for r in rows:
        if r["event"] in wanted:
            at = datetime.strptime(r["created_at"], "%a %b %d %H:%M:%S %z %Y")
            doc = StoryDoc(key=int(r["id"]), at=at.astimezone(UTC), text=r["text"])
            events.setdefault(r["event"], []).append(doc)
    return _aligned(events)


def _ced_time(value: str) -> datetime | None:
    value = value.strip()
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value), UTC)
        if value[:4].isdigit():
            return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC) - _CST
        return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)
    except ValueError:
        return None  # a few rows carry "02月23日"-style dates without a year


def ced(root: Path, part: str, *, threads: bool) -> Stream:
    """CED originals of one part with their reposts/comments, at real times."""
    folder = root / "risk" / "weibo_rumor_CED"
    with (folder / "ced_original_microblogs.csv").open(encoding="utf-8", newline="") as fh:
        originals = list(csv.DictReader(fh))
    keep = 0 if part == "dev" else 1
    keys: dict[str, int] = {}
    out: Stream = []
    for r in sorted(originals, key=lambda r: r["id"]):
        at = _ced_time(r["time"])
        if at is None or zlib.crc32(r["id"].encode()) % 2 != keep:
            continue
        keys[r["id"]] = len(keys) + 1
        out.append((StoryDoc(key=keys[r["id"]], at=at, text=r["text"]), r["id"]))
    next_key = 10_000_000
    with (folder / "ced_reposts_comments_sample20.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            root_key = keys.get(r["source_id"])
            at = _ced_time(r.get("date", ""))
            if root_key is None or at is None:
                continue
            next_key += 1
            doc = StoryDoc(key=next_key, at=at, text=r.get("text") or "",
                           reply_to=root_key if threads else None)
            out.append((doc, r["source_id"]))
    out.sort(key=lambda pair: (pair[0].at, pair[0].key))
    return out


def fda_recalls(root: Path, part: str) -> Stream:
    """FDA recall reports of one part's events, time compressed 60x (see module docstring)."""
    path = root / "risk" / "fda_food_recalls" / "fda_food_enforcement_2020_2024_sample500.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    keep = 0 if part == "dev" else 1
    start = min(datetime.strptime(r["recall_initiation_date"], "%Y%m%d") for r in rows)
    out: Stream = []
    for i, r in enumerate(rows):
        if zlib.crc32(r["event_id"].encode()) % 2 != keep:
            continue
        day = datetime.strptime(r["recall_initiation_date"], "%Y%m%d")
        text = f"{r['recalling_firm']} recalls {r['product_description']}. {r['reason_for_recall']}"
        at = T0 + (day - start) / 60
        out.append((StoryDoc(key=i + 1, at=at, text=text), r["event_id"]))
    out.sort(key=lambda pair: (pair[0].at, pair[0].key))
    return out


def mixed(root: Path, part: str) -> Stream:
    """PHEME, CrisisLex and CED's busiest fortnight of one part, all starting at T0."""
    zh = ced(root, part, threads=True)
    originals = sorted(d.at for d, _ in zh if d.reply_to is None)
    span = timedelta(days=14)
    busiest = max(originals, key=lambda t: sum(1 for o in originals if t <= o < t + span))
    roots = {d.key for d, _ in zh if d.reply_to is None and busiest <= d.at < busiest + span}
    slice_ = [(replace(d, at=T0 + (d.at - busiest)), label) for d, label in zh
              if (d.reply_to or d.key) in roots]
    out = slice_ + pheme(root, part) + crisislex(root, part)
    out.sort(key=lambda pair: (pair[0].at, pair[0].key))
    return out
