"""Mention search and the incident queue over a million mentions, on SQLite and PostgreSQL.

Builds a database of ``--mentions`` mentions (half Chinese Weibo-length posts, half English
posts and news with titles; Zipf-distributed words, so 奶粉 and "formula" are common and
others rare) and 3,000 incidents across states and grades, then times, per database:

- mention search through ``search_mentions`` (the library): an English word, a Chinese
  2-character and 4-character substring, a filter without text (entity + sentiment), and
  text with a date range; each also as the baseline, the same query as a plain
  ``LIKE '%q%'`` scan of text, title and author with its full count (what search did before
  the index), in the same run;
- the incident queue through ``list_incidents``: active incidents, and at least a grade;
- the same through the real application over HTTP (uvicorn on a free port, a logged-in
  session for pages, an API token for /api/v1) when the route exists: a route answering 404
  is skipped with a note.

Prints JSON: p50/p95/p99 in milliseconds per database and query, the baseline's figures and
the ratio baseline p50 / indexed p50, and how long the build took.

    python benchmarks/web.py [--mentions 1000000 | --quick] [--pg URL] [--no-sqlite]
        [--repeat 40]

PostgreSQL (``--pg``, default ``CRISISWATCH_TEST_PG_URL``): everything goes in a schema of
its own named ``bench_web_<random>``, created here and dropped at the end; no other table of
that database is touched.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import io
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from monitor.db.engine import make_engine  # noqa: E402
from monitor.db.migrate import upgrade  # noqa: E402
from monitor.db.models import Incident  # noqa: E402
from monitor.search.index import index_mentions  # noqa: E402
from monitor.search.mentions import MentionFilter, search_mentions  # noqa: E402

START = datetime(2026, 6, 1, tzinfo=UTC)
DAYS = 180
BATCH = 10_000
INCIDENTS = 3_000
ENTITIES = ("lumina", "lumina-kids", "chen-haoran", "northfield", "sunvale")
SOURCES = ("news-en", "weibo-rss", "weibo-export", "x-export")

# Words in rough order of frequency (Zipf weights follow the order).
_ZH = (
    "的 了 是 我 在 有 不 这 也 就 都 和 人 很 吗 啊 呢 说 孩子 奶粉 澜沐 今天 家长 "
    "喝了 一直 还是 没有 问题 检测 过敏 客服 电话 官方 消息 希望 批次 宝宝 儿童 起疹子 "
    "质量 投诉 召回 监管部门 调查 律师 赔偿 消费者 北原牧场 酸奶 牛奶 好喝 支持 国货 "
    "价格 打折 超市 发布会 董事长 陈浩然 带走 辟谣 求证 小道消息 营养师 理性 看待 等待 "
    "结果 取样 上门 回电话 终于 越来越多 建议 停用 个别 同样 情况 评论 转发 点赞 网友 "
    "真的 太 了吧 怎么 为什么 还有 已经 可以 应该 觉得 知道 医院 医生 湿疹 腹泻 婴儿 "
    "配方 成分 安全 食品 生产 工厂 包装 日期 保质期 退货 退款 售后 物流 快递 送货 慢 "
    "数据 泄露 用户 信息 出售 应用 崩溃 登录 不了 更新 版本 会员 积分 活动 优惠 门店"
)
_EN = (
    "the a to and of in is it for my on this that with was have not but at they be "
    "formula lumina kids milk baby parents batch rash recall allergy store today new "
    "company statement customer service phone waiting test results children doctor "
    "safety regulator investigation lawyer compensation rumour ceo resigned app outage "
    "login data leak sale price cheap supermarket delivery late yoghurt tasted fine "
    "sunvale northfield dairy farm organic quality label packaging expiry refund "
    "week again still why how what great love bad terrible worst best really very "
    "news report says announced results jobs plant sustainability conference spoke"
)
_NICKS = ("宝妈小林 育儿达人 消费者之声 路人乙 法治在线 小道消息 营养师王老师 北原牧场官方 "
         "奶爸日记 吃瓜群众 数码控 上海妈妈")
ZH_WORDS, EN_WORDS, NICKS = tuple(_ZH.split()), tuple(_EN.split()), tuple(_NICKS.split())


def _weights(n: int) -> list[float]:
    return list(itertools.accumulate(1 / (rank + 1) ** 1.05 for rank in range(n)))


class Writer:
    """Random posts, seeded: Chinese posts (15-140 characters), English posts (8-60 words,
    a fifth of them news with a title)."""

    def __init__(self, seed: int = 17) -> None:
        self.rng = random.Random(seed)
        self.zh, self.en = _weights(len(ZH_WORDS)), _weights(len(EN_WORDS))

    def _draw(self, words: tuple[str, ...] | list[str], cum: list[float], k: int) -> list[str]:
        top, rnd = cum[-1], self.rng.random
        return [words[bisect.bisect(cum, rnd() * top)] for _ in range(k)]

    def post(self, i: int) -> tuple[str | None, str, str, str]:
        """(title, text, author, lang) of mention ``i``."""
        rng = self.rng
        if i % 2:
            words = self._draw(ZH_WORDS, self.zh, rng.randint(8, 70))
            body = "".join(w + ("，" if rng.random() < 0.12 else "") for w in words) + "！"
            author = rng.choice(NICKS) if rng.random() < 0.3 else f"用户{rng.randrange(90000)}"
            return None, body, author, "zh"
        words = self._draw(EN_WORDS, self.en, rng.randint(8, 60))
        body = " ".join(words).capitalize() + "."
        title = " ".join(self._draw(EN_WORDS, self.en, 8)).title() if i % 10 == 0 else None
        return title, body, f"user{rng.randrange(90000)}", "en"


def _mention_rows(n: int, writer: Writer, *, pg: bool) -> Iterator[list[tuple[Any, ...]]]:
    """Mentions 1..n in batches: every column search reads or shows."""
    rng = writer.rng
    step = DAYS * 86400 / n
    sentiments = ("negative", "neutral", "positive")
    grades = ("none", "low", "medium", "high", "critical")
    batch: list[tuple[Any, ...]] = []
    for i in range(1, n + 1):
        title, body, author, lang = writer.post(i)
        at = START + timedelta(seconds=i * step + rng.random() * 600)
        stored = at.replace(tzinfo=None) if pg else at.strftime("%Y-%m-%d %H:%M:%S.%f")
        ents = [ENTITIES[bisect.bisect([0.5, 0.7, 0.8, 0.9], rng.random())]]
        batch.append((
            i, SOURCES[i % 4], f"m{i}", title, author, rng.randrange(100_000), stored,
            False, stored, lang, body, "{}", hashlib.md5(body.encode()).hexdigest(),
            json.dumps(ents), rng.choices(sentiments, (45, 40, 15))[0],
            rng.choices(grades, (50, 25, 15, 8, 2))[0], "product_safety",
        ))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


COLUMNS = ("id", "source_id", "external_id", "title", "author", "author_reach", "published_at",
           "date_missing", "collected_at", "lang", "text", "metrics", "content_hash",
           "entities", "sentiment", "grade", "top_category")


def _when(stored: str | datetime) -> datetime:
    if isinstance(stored, datetime):
        return stored
    return datetime.fromisoformat(stored)


def _copy(cursor: Any, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def build(engine: Engine, n: int) -> dict[str, float]:
    """Fill a migrated database: sources, ``n`` mentions with entity links and their index
    entries (through ``index_mentions``, as the store step makes them), incidents."""
    pg = engine.dialect.name == "postgresql"
    began = time.perf_counter()
    indexing = 0.0
    writer = Writer()
    with engine.begin() as conn:
        for source in SOURCES:
            conn.execute(text("INSERT INTO sources (id, kind, location, created_at, "
                              "consecutive_failures) VALUES (:id, 'feed', 'x', :at, 0)"),
                         {"id": source, "at": START.replace(tzinfo=None)})
    for batch in _mention_rows(n, writer, pg=pg):
        with engine.begin() as conn:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            links = [(row[0], e) for row in batch for e in json.loads(row[13])]
            if pg:
                _copy(cursor, "mentions", COLUMNS, batch)
                _copy(cursor, "mention_entities", ("mention_id", "entity_id"), links)
            else:
                marks = ", ".join("?" * len(COLUMNS))
                cursor.executemany(
                    f"INSERT INTO mentions ({', '.join(COLUMNS)}) VALUES ({marks})", batch)
                cursor.executemany("INSERT INTO mention_entities VALUES (?, ?)", links)
            t0 = time.perf_counter()
            index_mentions(conn, [(row[0], _when(row[6]), row[3], row[10], row[4])
                                  for row in batch])
            indexing += time.perf_counter() - t0
    _incidents(engine, writer.rng)
    if pg:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    return {"build_s": round(time.perf_counter() - began, 1), "index_s": round(indexing, 1)}


def _incidents(engine: Engine, rng: random.Random) -> None:
    states = ("open", "acknowledged", "resolved", "false_positive", "merged")
    grades = ("low", "medium", "high", "critical")
    rows = []
    for i in range(INCIDENTS):
        at = START + timedelta(minutes=rng.randrange(DAYS * 1440))
        grade = rng.choices(grades, (40, 30, 20, 10))[0]
        rows.append({
            "entity_id": rng.choice(ENTITIES), "category": "product_safety",
            "state": rng.choices(states, (8, 7, 60, 20, 5))[0], "grade": grade,
            "peak_grade": grade, "likelihood": 3, "impact": 3, "reasons": [],
            "title": f"incident {i}", "first_seen_at": at, "last_seen_at": at,
            "opened_at": at, "updated_at": at, "top_sources": [], "top_authors": [],
        })
    with Session(engine) as session, session.begin():
        session.execute(insert(Incident), rows)


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {"p50": round(statistics.median(ordered) * 1000, 2), "p95": at(0.95),
            "p99": at(0.99), "runs": len(ordered)}


def _time(call: Callable[[], object], repeat: int, warm: int = 2) -> dict[str, float]:
    for _ in range(warm):
        call()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t0)
    return _percentiles(samples)


def _queries() -> dict[str, MentionFilter]:
    week = START + timedelta(days=100)
    return {
        "en_word": MentionFilter(text="recall"),
        "en_word_rare": MentionFilter(text="spoke"),
        "zh_1char": MentionFilter(text="粉"),
        "zh_2char": MentionFilter(text="奶粉"),
        "zh_2char_traditional": MentionFilter(text="瀾沐"),
        "zh_4char": MentionFilter(text="儿童奶粉"),
        "filter_entity_sentiment": MentionFilter(entity="lumina-kids", sentiment="positive"),
        "text_date_range": MentionFilter(text="奶粉", since=week, until=week + timedelta(days=7)),
    }


def _like_baseline(session: Session, where: MentionFilter) -> None:
    """The search as it was before the index: LIKE on three columns, the full count, a page."""
    assert where.text
    cond = "(text LIKE :q OR title LIKE :q OR author LIKE :q)"
    params: dict[str, Any] = {"q": f"%{where.text}%"}
    if where.since is not None and where.until is not None:
        cond += " AND published_at >= :since AND published_at < :until"
        params |= {"since": where.since.replace(tzinfo=None), "until": where.until.replace(
            tzinfo=None)}
    session.execute(text(f"SELECT count(*) FROM mentions WHERE {cond}"), params).scalar()
    session.execute(text(f"SELECT * FROM mentions WHERE {cond} "
                         "ORDER BY published_at DESC, id DESC LIMIT 50"), params).all()


def measure_library(engine: Engine, repeat: int) -> dict[str, Any]:
    """Library timings, the LIKE baseline and their ratio."""
    from monitor.incidents.views import list_incidents

    out: dict[str, Any] = {}
    for name, where in _queries().items():
        def run(where: MentionFilter = where) -> None:
            with Session(engine) as session:
                search_mentions(session, where=where, limit=50)

        with Session(engine) as session:
            found = search_mentions(session, where=where, limit=50)
        entry: dict[str, Any] = {"indexed": _time(run, repeat), "total": found.total,
                                 "capped": found.capped}
        if where.text:
            def scan(where: MentionFilter = where) -> None:
                with Session(engine) as session:
                    _like_baseline(session, where)

            entry["like_baseline"] = _time(scan, max(3, repeat // 8), warm=1)
            entry["ratio_p50"] = round(
                entry["like_baseline"]["p50"] / max(entry["indexed"]["p50"], 0.01), 1)
        out[f"search_{name}"] = entry
        print(f"  {name}: {entry}", file=sys.stderr)
    for name, kwargs in (("active", {"open_only": True}), ("grade_high", {"grade": "high"}),
                         ("active_grade_high", {"open_only": True, "grade": "high"})):
        def queue(kwargs: dict[str, Any] = kwargs) -> None:
            with Session(engine) as session:
                list_incidents(session, limit=100, **kwargs)

        out[f"incidents_{name}"] = {"indexed": _time(queue, repeat)}
    return out


def measure_http(url: str, repeat: int) -> dict[str, Any]:
    """The same through the application served by uvicorn; a route that 404s is skipped."""
    import httpx

    from config.loader import example_config_path, load_config
    from monitor.app import open_app
    from monitor.web.app import create_web_app
    from monitor.web.server import WebServer
    from monitor.web.testing import add_user, api_token, log_in

    out: dict[str, Any] = {"skipped": []}
    with open_app(load_config(example_config_path()), database=url) as app:
        add_user(app, "bench", role="admin")
        token = api_token(app, "bench")
        server = WebServer(create_web_app(app=app), host="127.0.0.1", port=0).start()
        base = f"http://127.0.0.1:{server.port}"
        try:
            with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as browser, \
                    httpx.Client(base_url=base, timeout=60,
                                 headers={"Authorization": f"Bearer {token}"}) as api:
                log_in(browser, "bench")  # type: ignore[arg-type]
                targets = [
                    (api, "/api/v1/mentions?q=奶粉"), (api, "/api/v1/mentions?q=recall"),
                    (api, "/api/v1/mentions?q=儿童奶粉"), (browser, "/mentions?q=奶粉"),
                    (browser, "/mentions?q=recall"), (api, "/api/v1/incidents"),
                    (browser, "/incidents"),
                ]
                for client, path in targets:
                    status = client.get(path).status_code
                    if status == 404:
                        out["skipped"].append(f"{path}: 404 (route not there yet)")
                        print(f"  note: {path} answers 404, skipped", file=sys.stderr)
                        continue
                    if status != 200:
                        out["skipped"].append(f"{path}: HTTP {status}")
                        continue
                    out[path] = _time(lambda c=client, p=path: c.get(p).raise_for_status(),
                                      repeat)
        finally:
            server.stop()
    return out


def run_database(label: str, url: str, n: int, repeat: int) -> dict[str, Any]:
    """Build, measure and report one database."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        print(f"{label}: building {n:,} mentions", file=sys.stderr)
        result: dict[str, Any] = {"mentions": n, **build(engine, n)}
        print(f"{label}: built {result}", file=sys.stderr)
        result["library"] = measure_library(engine, repeat)
    finally:
        engine.dispose()
    result["http"] = measure_http(url, max(10, repeat // 2))
    return result


@contextmanager
def _pg_schema(base: str) -> Iterator[str]:
    from monitor.db.schemas import private_schema

    with private_schema(base, prefix="bench_web") as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 mentions")
    parser.add_argument("--pg", default=os.environ.get("CRISISWATCH_TEST_PG_URL"))
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    n = 100_000 if args.quick else args.mentions
    report: dict[str, Any] = {"benchmark": "web", "mentions": n, "databases": {}}
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory(prefix="cw-bench-web-") as tmp:
            db = Path(tmp) / "web.sqlite"
            report["databases"]["sqlite"] = run_database("sqlite", f"sqlite:///{db}", n,
                                                         args.repeat)
            report["databases"]["sqlite"]["file_mb"] = round(
                sum(p.stat().st_size for p in Path(tmp).iterdir()) / 2**20)
    if args.pg:
        with _pg_schema(args.pg) as url:
            report["databases"]["postgresql"] = run_database("postgresql", url, n, args.repeat)
    else:
        report["postgresql"] = "skipped: no --pg and no CRISISWATCH_TEST_PG_URL"
    buf = io.StringIO()
    json.dump(report, buf, indent=2, ensure_ascii=False)
    print(buf.getvalue())


if __name__ == "__main__":
    main()
