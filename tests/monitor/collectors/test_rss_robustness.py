"""Every file of feedparser's own test corpus, fetched over local HTTP: no crash, no hang.

The corpus (about 2,100 deliberately odd or broken feeds) lives in ../shared/data and is not
part of the repository; the test skips when it is absent. Expectations inside the files
(``Expect:``) are not checked, only that every fetch completes with a sane ``FetchOutcome``.
Files that carry ``Header:`` lines are served with those headers, as feedparser's suite does.
"""

from __future__ import annotations

import json
import queue
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from monitor.collectors.feedtext import TEXT_LIMIT_BYTES
from monitor.collectors.rss import FeedState, FetchOutcome, fetch_feed, make_client

CORPUS = (
    Path(__file__).resolve().parents[3]
    / ".."
    / "shared"
    / "data"
    / "feeds"
    / "feedparser_tests"
    / "tests"
)
NOW = datetime(2024, 6, 1, tzinfo=UTC)
PER_FEED_GUARD_S = 30.0  # a hang guard, not a speed check: one fetch has a 5 s deadline
_HEADER_RE = re.compile(rb"^Header:\s+([A-Za-z-]+):[ \t]*(.*?)\s*$", re.MULTILINE)
_DEFAULT_TYPES = {".json": "application/json"}

pytestmark = pytest.mark.shared_data


def _declared_headers(body: bytes) -> list[tuple[str, str]]:
    head = body[:4096]
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in _HEADER_RE.findall(head)]


class _CorpusServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, files: dict[str, tuple[bytes, list[tuple[str, str]]]]) -> None:
        super().__init__(("127.0.0.1", 0), _CorpusHandler)
        self.files = files

    def handle_error(self, request: object, client_address: object) -> None:
        pass


class _CorpusHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each response waits on a delayed ACK (~40 ms)
    server: _CorpusServer

    def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
        found = self.server.files.get(unquote(self.path))
        if found is None:
            self.send_error(404)
            return
        body, headers = found
        self.send_response(200)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _load_corpus() -> dict[str, tuple[bytes, list[tuple[str, str]]]]:
    files: dict[str, tuple[bytes, list[tuple[str, str]]]] = {}
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file()):
        body = path.read_bytes()
        headers = _declared_headers(body)
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", _DEFAULT_TYPES.get(path.suffix, "application/xml")))
        files["/" + path.relative_to(CORPUS).as_posix()] = (body, headers)
    return files


@pytest.fixture(scope="module")
def corpus_server() -> Iterator[tuple[str, list[str]]]:
    if not CORPUS.is_dir():
        pytest.skip(f"feedparser test corpus not found at {CORPUS} (../shared/data is absent)")
    files = _load_corpus()
    server = _CorpusServer(files)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host!s}:{port}", sorted(files)
    finally:
        server.shutdown()
        server.server_close()


def _check(outcome: FetchOutcome) -> list[str]:
    """What is wrong with an outcome, as short notes; empty when it is sane."""
    problems: list[str] = []
    if outcome.error is not None and ("\n" in outcome.error or not outcome.error):
        problems.append(f"error is not one line: {outcome.error!r}")
    if outcome.error is not None and outcome.items:
        problems.append("error together with items")
    for item in outcome.items:
        if not item.external_id or not item.text:
            problems.append(f"empty id or text: {item.external_id!r}")
        if item.published is None or item.published.utcoffset() is None:
            problems.append(f"published not timezone-aware: {item.published!r}")
        if len(item.text.encode("utf-8")) > TEXT_LIMIT_BYTES:
            problems.append("text over the cap")
        if item.url is not None and not item.url.startswith(("http://", "https://")):
            problems.append(f"unsafe url kept: {item.url!r}")
    return problems


def test_every_corpus_feed_completes_without_exception(
    corpus_server: tuple[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    base, paths = corpus_server
    results: queue.Queue[tuple[str, FetchOutcome | None, BaseException | None]] = queue.Queue()
    current = [""]

    def work() -> None:
        with make_client(connect_timeout=2.0, read_timeout=2.0) as client:
            for path in paths:
                current[0] = path
                try:
                    outcome = fetch_feed(
                        client=client,
                        url=base + quote(path),
                        state=FeedState(None, None),
                        now=NOW,
                        deadline_s=5.0,
                    )
                    results.put((path, outcome, None))
                except BaseException as exc:  # the point of the test is that this never happens
                    results.put((path, None, exc))

    started = time.perf_counter()
    # A daemon thread so that a hang fails this test instead of blocking the whole run.
    threading.Thread(target=work, daemon=True).start()
    raised: list[str] = []
    insane: list[str] = []
    counts = {"files": len(paths), "with_entries": 0, "bozo": 0, "errors": 0, "rejected": 0}
    for _ in paths:
        try:
            path, outcome, exc = results.get(timeout=PER_FEED_GUARD_S)
        except queue.Empty:
            pytest.fail(f"fetch_feed did not return within {PER_FEED_GUARD_S}s for {current[0]}")
        if exc is not None or outcome is None:
            raised.append(f"{path}: {exc!r}")
            continue
        insane += [f"{path}: {note}" for note in _check(outcome)]
        counts["with_entries"] += bool(outcome.items)
        counts["bozo"] += outcome.bozo_reason is not None
        counts["errors"] += outcome.error is not None
        counts["rejected"] += len(outcome.rejected)
    summary = {**counts, "seconds": round(time.perf_counter() - started, 2)}
    with capsys.disabled():
        print(f"\nfeedparser corpus over HTTP: {json.dumps(summary)}")

    assert raised == []
    assert insane == []
    # Sanity: the corpus is mostly well-formed feeds, so most must come through.
    assert counts["errors"] < counts["files"] // 4
