"""RSS/Atom collector: fetching over a local HTTP server, parsing, limits and failures."""

from __future__ import annotations

import gzip
import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from monitor.collectors.base import content_hash
from monitor.collectors.rss import (
    FeedState,
    FetchOutcome,
    fetch_feed,
    make_client,
    parse_feed,
)

FEEDS = Path(__file__).resolve().parent / "fixtures" / "feeds"
NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
RSS = "application/rss+xml"
# Endless and trickling routes give up eventually (after ~5 s or 64 MB), so that a broken
# limit makes its test fail instead of hanging the run.
TRICKLE_WRITES = 250
ENDLESS_CHUNKS = 1000

Route = Callable[["_Handler"], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.stop = threading.Event()
        self.finished: list[str] = []  # paths whose endless route ran out before the client

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up on endless or slow bodies is the point of several tests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each response waits on a delayed ACK (~40 ms)
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
        self.server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = self.server.routes.get(self.path)
        if route is None:
            self.reply(404, b"no such route", "text/plain")
        else:
            route(self)

    def reply(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def keep_writing(self, first: bytes, piece: bytes, *, count: int, pause: float) -> None:
        """Write ``first`` then ``piece`` up to ``count`` times; note it if nobody hung up."""
        self.wfile.write(first)
        for _ in range(count):
            if self.server.stop.wait(pause):
                return
            self.wfile.write(piece)  # raises once the client has gone away
        self.server.finished.append(self.path)

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class FeedServer:
    server: _Server
    base: str
    routes: dict[str, Route] = field(init=False)

    def __post_init__(self) -> None:
        self.routes = self.server.routes

    def url(self, path: str) -> str:
        return self.base + path

    def serve_file(self, path: str, name: str, content_type: str = RSS) -> str:
        body = (FEEDS / name).read_bytes()
        self.routes[path] = lambda h: h.reply(200, body, content_type)
        return self.url(path)

    def requests_to(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in self.server.requests if p == path]


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield FeedServer(server, f"http://{host!s}:{port}")
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(connect_timeout=2.0, read_timeout=2.0) as c:
        yield c


def fetch(
    client: httpx.Client,
    url: str,
    state: FeedState | None = None,
    *,
    max_bytes: int = 10 * 1024 * 1024,
    deadline_s: float | None = None,
) -> FetchOutcome:
    return fetch_feed(
        client=client,
        url=url,
        state=state or FeedState(None, None),
        now=NOW,
        max_bytes=max_bytes,
        deadline_s=deadline_s,
    )


# --- formats -------------------------------------------------------------------------------


def test_rss20_items_have_text_dates_authors_and_language(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    outcome = fetch(client, feed_server.serve_file("/rss", "rss20.xml"))

    assert outcome.ok and outcome.status == 200 and outcome.bozo_reason is None
    assert outcome.entries_seen == 3 and len(outcome.items) == 3
    recall = outcome.items[0]
    assert recall.external_id == "acme-recall-2024-001"  # guid isPermaLink=false kept verbatim
    assert recall.title == "Acme recalls kettles over fire risk"
    assert recall.text == (
        "Acme recalls kettles over fire risk\nAcme Corp. said 10,000 units & more are affected."
    )
    assert recall.url == "https://news.example.com/recall"
    assert recall.author == "Jane Reporter"
    assert recall.published == datetime(2024, 3, 5, 13, 30, tzinfo=UTC)
    assert recall.date_missing is False
    assert recall.lang == "en-us"
    assert recall.metrics == {}
    assert recall.location == feed_server.url("/rss")
    assert recall.extra["feed_title"] == "Acme Newsroom"


def test_rss20_prefers_full_content_and_does_not_repeat_a_title_equal_to_the_body(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    outcome = fetch(client, feed_server.serve_file("/rss", "rss20.xml"))

    results = outcome.items[1]
    assert results.external_id == "https://news.example.com/results"
    assert results.text == "Quarterly results\nRevenue rose by 5%. one two"
    assert results.published == datetime(2024, 3, 4, 8, 0, tzinfo=UTC)  # dc:date
    assert outcome.items[2].text == "Same as body"


def test_atom10_entries(feed_server: FeedServer, client: httpx.Client) -> None:
    url = feed_server.serve_file("/atom", "atom10.xml", "application/atom+xml")
    outcome = fetch(client, url)

    assert outcome.ok and outcome.bozo_reason is None
    outage, news = outcome.items
    assert outage.external_id == "tag:blog.example.com,2024:outage"
    assert outage.title == "Service <outage> resolved"  # type="html", entities unescaped once
    assert outage.text == "Service <outage> resolved\nAll systems back online. Sorry!"
    assert outage.url == feed_server.url("/posts/outage")  # relative link resolved
    assert outage.author == "Ops Team"
    assert outage.published == datetime(2024, 3, 5, 5, 0, tzinfo=UTC)  # published over updated
    assert outage.lang == "en"
    assert news.lang == "de"  # entry xml:lang beats the feed's
    assert news.text == "Neuigkeiten\nPlain <not a tag> text"  # type="text" is not stripped
    assert news.published == datetime(2024, 3, 4, 12, 0, tzinfo=UTC)  # updated as fallback


def test_rdf_rss10_entries(feed_server: FeedServer, client: httpx.Client) -> None:
    url = feed_server.serve_file("/rdf", "rdf.xml", "application/rdf+xml")
    outcome = fetch(client, url)

    assert outcome.ok and len(outcome.items) == 1
    item = outcome.items[0]
    assert item.external_id == "https://rdf.example.com/a"
    assert item.text == "RDF item\nItem in RSS 1.0"
    assert item.author == "Taro"
    assert item.lang == "ja"
    assert item.published == datetime(2024, 2, 29, 14, 59, 59, tzinfo=UTC)


def test_gb2312_declared_chinese_feed_decodes(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    outcome = fetch(client, feed_server.serve_file("/cn", "gb2312.xml"))

    assert outcome.ok and outcome.bozo_reason is None
    item = outcome.items[0]
    assert item.title == "某公司产品召回"
    assert item.text == "某公司产品召回\n消费者投诉：质量问题，公司回应。"
    assert item.lang == "zh-cn"
    assert item.published == datetime(2024, 3, 5, 0, 0, tzinfo=UTC)
    assert item.extra["feed_title"] == "新闻中心"


def test_charset_in_content_type_header_decodes_gb2312_without_declaration(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    raw = (FEEDS / "gb2312.xml").read_bytes().replace(b' encoding="gb2312"', b"")
    feed_server.routes["/cn"] = lambda h: h.reply(200, raw, "application/xml; charset=gb2312")

    outcome = fetch(client, feed_server.url("/cn"))

    assert outcome.ok
    assert outcome.items[0].title == "某公司产品召回"


# --- conditional GET -----------------------------------------------------------------------


def test_etag_round_trip_gives_not_modified(feed_server: FeedServer, client: httpx.Client) -> None:
    body = (FEEDS / "rss20.xml").read_bytes()

    def route(h: _Handler) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            h.reply(304, b"", RSS)
        else:
            h.reply(200, body, RSS, {"ETag": '"v1"'})

    feed_server.routes["/feed"] = route
    first = fetch(client, feed_server.url("/feed"))
    assert first.ok and len(first.items) == 3 and first.etag == '"v1"'

    second = fetch(client, feed_server.url("/feed"), FeedState(first.etag, first.last_modified))

    assert second.ok and second.not_modified and second.status == 304
    assert second.items == () and second.entries_seen == 0
    assert second.etag == '"v1"'  # kept although the 304 did not repeat it
    assert feed_server.requests_to("/feed")[1]["if-none-match"] == '"v1"'


def test_last_modified_round_trip_gives_not_modified(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    stamp = "Sat, 09 Mar 2024 10:00:00 GMT"
    body = (FEEDS / "atom10.xml").read_bytes()

    def route(h: _Handler) -> None:
        if h.headers.get("If-Modified-Since") == stamp:
            h.reply(304, b"", RSS)
        else:
            h.reply(200, body, "application/atom+xml", {"Last-Modified": stamp})

    feed_server.routes["/feed"] = route
    first = fetch(client, feed_server.url("/feed"))
    assert first.last_modified == stamp and first.etag is None

    second = fetch(client, feed_server.url("/feed"), FeedState(None, first.last_modified))

    assert second.not_modified and second.items == ()
    assert second.last_modified == stamp
    assert "if-none-match" not in feed_server.requests_to("/feed")[1]


def test_failed_fetch_keeps_stored_validators(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    feed_server.routes["/feed"] = lambda h: h.reply(500, b"boom", "text/plain", {"ETag": "x"})

    outcome = fetch(client, feed_server.url("/feed"), FeedState('"old"', "Mon, 01 Jan 2024"))

    assert outcome.error and outcome.etag == '"old"' and outcome.last_modified == "Mon, 01 Jan 2024"


def test_not_a_feed_keeps_stored_validators(feed_server: FeedServer, client: httpx.Client) -> None:
    page = (FEEDS / "not_a_feed.html").read_bytes()
    feed_server.routes["/p"] = lambda h: h.reply(200, page, "text/html", {"ETag": '"new"'})

    outcome = fetch(client, feed_server.url("/p"), FeedState('"old"', None))

    assert outcome.error and outcome.etag == '"old"'


# --- malformed feeds -----------------------------------------------------------------------


def test_bozo_feed_with_entries_is_accepted_with_reason(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    outcome = fetch(client, feed_server.serve_file("/bozo", "bozo_entries.xml"))

    assert outcome.ok
    assert outcome.bozo_reason is not None and "undefined entity" in outcome.bozo_reason
    assert "\n" not in outcome.bozo_reason
    assert [i.title for i in outcome.items] == ["First survivor", "Second survivor"]
    assert outcome.items[0].text == "First survivor\nStill readable"


def test_html_page_instead_of_feed_is_an_error(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    outcome = fetch(client, feed_server.serve_file("/page", "not_a_feed.html", "text/html"))

    assert outcome.status == 200 and outcome.items == ()
    assert outcome.error is not None
    assert outcome.error.startswith("not a feed: got text/html with no entries (bozo: ")


def test_well_formed_xml_that_is_not_a_feed_is_an_error() -> None:
    body = b'<?xml version="1.0"?><config><item>1</item></config>'

    outcome = parse_feed(
        body, url="http://h/x", headers={"Content-Type": "application/xml"}, now=NOW
    )

    assert outcome.error == (
        "not a feed: got application/xml with no RSS, Atom or RDF root element"
    )


def test_empty_but_valid_feed_is_not_an_error() -> None:
    body = b'<rss version="2.0"><channel><title>quiet</title></channel></rss>'

    outcome = parse_feed(body, url="http://h/x", headers={"Content-Type": RSS}, now=NOW)

    assert outcome.ok and outcome.items == () and outcome.entries_seen == 0


def test_broken_feed_whose_entries_are_all_unusable_is_an_error() -> None:
    body = b'<rss version="2.0"><channel><item><link>javascript:x</link></item>&nosuch;'

    outcome = parse_feed(body, url="http://h/x", headers={"Content-Type": RSS}, now=NOW)

    assert outcome.entries_seen == 1 and len(outcome.rejected) == 1
    assert outcome.error is not None
    assert outcome.error.startswith(f"not a feed: got {RSS} with no usable entries (bozo: ")


def test_empty_body_is_an_error() -> None:
    outcome = parse_feed(b"", url="http://h/x", headers=None, now=NOW)

    assert outcome.error == "not a feed: empty body"


@pytest.mark.parametrize(
    "body",
    [
        b"\x00\xff\xfe garbage \x89PNG",
        b"<rss><channel><item><title>" + b"<b>" * 5000,
        b'<?xml version="1.0" encoding="no-such-codec"?><rss><channel><item><title>t',
        b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><rss><channel><item><title>&c;&c;&c;',
        b'{"version": "https://jsonfeed.org/version/1", "items": []}',
    ],
    ids=["binary", "unclosed-tags", "unknown-codec", "entity-expansion", "json-feed"],
)
def test_garbage_never_raises(body: bytes) -> None:
    outcome = parse_feed(body, url="http://h/x", headers={"Content-Type": RSS}, now=NOW)

    assert isinstance(outcome, FetchOutcome)
    assert outcome.ok or (outcome.error and "\n" not in outcome.error)


# --- entries -------------------------------------------------------------------------------


def test_entries_without_guid_are_identified_by_link_then_by_content_hash() -> None:
    body = (FEEDS / "no_guid.xml").read_bytes()

    outcome = parse_feed(body, url="http://h/feed", headers={"Content-Type": RSS}, now=NOW)

    ids = [item.external_id for item in outcome.items]
    assert outcome.entries_seen == 7
    # every entry is handed on, shared ids too: ingest tells them apart by content
    assert ids == [
        "https://x.example.com/a",
        "https://x.example.com/a",
        "https://x.example.com/b",
        content_hash("Loose\nno link, no guid"),
        content_hash("Loose\nno link, no guid"),
        content_hash("Loose\ndifferent body"),
    ]
    assert [i.text for i in outcome.items[:2]] == ["Linked A\nfirst copy",
                                                   "Linked A again\nsecond copy"]
    assert outcome.items[3].url is None


def test_entry_with_nothing_readable_is_rejected_not_raised() -> None:
    body = (FEEDS / "no_guid.xml").read_bytes()

    outcome = parse_feed(body, url="http://h/feed", headers={"Content-Type": RSS}, now=NOW)

    assert len(outcome.rejected) == 1
    rejected = outcome.rejected[0]
    assert rejected.location == "http://h/feed"
    assert rejected.error == "entry 7: no title or text"
    assert "javascript:alert(1)" in rejected.excerpt


def test_unsafe_link_is_not_used_as_url() -> None:
    body = (
        b'<rss version="2.0"><channel><item><title>t</title>'
        b"<link>javascript:alert(1)</link></item></channel></rss>"
    )

    outcome = parse_feed(body, url="http://h/feed", headers={"Content-Type": RSS}, now=NOW)

    assert outcome.items[0].url is None


def test_missing_invalid_and_future_dates_fall_back_to_now_and_are_flagged() -> None:
    body = (FEEDS / "dates.xml").read_bytes()

    outcome = parse_feed(body, url="http://h/feed", headers={"Content-Type": RSS}, now=NOW)

    items = {item.title: item for item in outcome.items}
    assert items["Has date"].published == datetime(2024, 2, 29, 4, 30, tzinfo=UTC)
    assert items["Has date"].date_missing is False
    assert items["Only updated"].published == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    for title in ("No date", "Bad date", "Future date"):
        assert items[title].published == NOW and items[title].date_missing is True
    assert items["Bad date"].extra["date_raw"] == "next Tuesday-ish"
    assert items["Future date"].extra["date_rejected"] == "2100-01-01T00:00:00+00:00"
    assert all(item.published and item.published.tzinfo is UTC for item in outcome.items)


def test_naive_now_is_taken_as_utc() -> None:
    body = b'<rss version="2.0"><channel><item><title>t</title></item></channel></rss>'

    outcome = parse_feed(body, url="http://h/f", headers=None, now=datetime(2024, 1, 1, 9))

    assert outcome.items[0].published == datetime(2024, 1, 1, 9, tzinfo=UTC)


def test_text_is_capped_at_100_kb() -> None:
    long = "é" * 200_000
    body = (
        f'<rss version="2.0"><channel><item><title>big</title>'
        f"<description>&lt;p&gt;{long}&lt;/p&gt;</description></item></channel></rss>"
    ).encode()

    outcome = parse_feed(body, url="http://h/f", headers={"Content-Type": RSS}, now=NOW)

    item = outcome.items[0]
    assert len(item.text.encode("utf-8")) <= 100 * 1024
    assert item.text.startswith("big\néé") and item.text.endswith("é")
    assert item.extra["truncated"] is True


def test_duplicate_title_and_body_is_not_repeated_and_control_chars_are_dropped() -> None:
    body = (
        b'<rss version="2.0"><channel><item><title>Hello  world</title>'
        b"<description>hello world&#x7;</description></item></channel></rss>"
    )

    outcome = parse_feed(body, url="http://h/f", headers={"Content-Type": RSS}, now=NOW)

    assert outcome.items[0].text == "hello world"


def test_a_title_that_is_the_start_of_the_text_is_not_repeated() -> None:
    items = [("网传澜沐乳业将全面召回", "网传澜沐乳业将全面召回儿童奶粉，官方尚未回应。"),
             ("Lumina recalls batch LK-2611 after…", "Lumina recalls batch LK-2611 after tests."),
             ("Lumina statement", "We have withdrawn batch LK-2611.")]
    body = ("<rss version='2.0'><channel>" + "".join(
        f"<item><title>{t}</title><description>{d}</description></item>" for t, d in items)
        + "</channel></rss>").encode()

    outcome = parse_feed(body, url="http://h/f", headers={"Content-Type": RSS}, now=NOW)

    assert [i.text for i in outcome.items] == [
        "网传澜沐乳业将全面召回儿童奶粉，官方尚未回应。",
        "Lumina recalls batch LK-2611 after tests.",
        "Lumina statement\nWe have withdrawn batch LK-2611."]
    assert [i.title for i in outcome.items][0] == "网传澜沐乳业将全面召回"


# --- HTTP failures and limits ---------------------------------------------------------------


def test_http_500_is_an_error_naming_the_status(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    feed_server.routes["/err"] = lambda h: h.reply(500, b"oops", "text/plain")

    outcome = fetch(client, feed_server.url("/err"))

    assert outcome.status == 500 and outcome.items == ()
    assert outcome.error == f"HTTP 500 from {feed_server.url('/err')}"


def test_slow_server_times_out_with_a_clear_error(feed_server: FeedServer) -> None:
    def route(h: _Handler) -> None:
        h.server.stop.wait(5)

    feed_server.routes["/slow"] = route
    with make_client(connect_timeout=1.0, read_timeout=0.2) as client:
        outcome = fetch(client, feed_server.url("/slow"))

    assert outcome.error == f"timed out after 0.2s reading {feed_server.url('/slow')}"
    assert outcome.status is None


def test_trickling_body_hits_the_overall_deadline(feed_server: FeedServer) -> None:
    def route(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", RSS)
        h.send_header("Connection", "close")
        h.end_headers()
        h.keep_writing(b"<rss><channel>", b" ", count=TRICKLE_WRITES, pause=0.02)

    feed_server.routes["/trickle"] = route
    with make_client(read_timeout=1.0) as client:
        outcome = fetch(client, feed_server.url("/trickle"), deadline_s=0.3)

    assert outcome.status == 200
    assert outcome.error == f"timed out after 0.3s in total fetching {feed_server.url('/trickle')}"
    assert "/trickle" not in feed_server.server.finished  # the client hung up first


def test_trickling_headers_hit_the_overall_deadline(feed_server: FeedServer) -> None:
    def route(h: _Handler) -> None:
        h.keep_writing(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a", count=TRICKLE_WRITES, pause=0.02)

    feed_server.routes["/slow-headers"] = route
    with make_client(read_timeout=1.0) as client:
        outcome = fetch(client, feed_server.url("/slow-headers"), deadline_s=0.3)

    assert outcome.status is None
    assert outcome.error == (
        f"timed out after 0.3s in total fetching {feed_server.url('/slow-headers')}"
    )
    assert "/slow-headers" not in feed_server.server.finished


def test_endless_body_stops_at_the_size_cap(feed_server: FeedServer, client: httpx.Client) -> None:
    def route(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", RSS)
        h.send_header("Connection", "close")
        h.end_headers()
        h.keep_writing(b"<rss>", b"<item>" + b"x" * 65_530, count=ENDLESS_CHUNKS, pause=0)

    feed_server.routes["/endless"] = route
    outcome = fetch(client, feed_server.url("/endless"))

    assert outcome.error == f"body exceeds 10 MB cap from {feed_server.url('/endless')}"
    assert "/endless" not in feed_server.server.finished


def test_declared_oversized_body_is_refused_before_reading(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    feed_server.routes["/big"] = lambda h: h.reply(200, b"x" * 5000, RSS)

    outcome = fetch(client, feed_server.url("/big"), max_bytes=1000)

    assert outcome.error is not None
    assert outcome.error.startswith("body exceeds 1000 byte cap (Content-Length 5000)")


def test_gzip_bomb_stops_at_the_size_cap(feed_server: FeedServer, client: httpx.Client) -> None:
    bomb = gzip.compress(b"<rss>" + b" " * (12 * 1024 * 1024))
    feed_server.routes["/bomb"] = lambda h: h.reply(200, bomb, RSS, {"Content-Encoding": "gzip"})

    outcome = fetch(client, feed_server.url("/bomb"))

    assert outcome.error is not None and outcome.error.startswith("body exceeds 10 MB cap")


def test_redirect_loop_is_an_error(feed_server: FeedServer, client: httpx.Client) -> None:
    feed_server.routes["/loop"] = lambda h: h.reply(302, b"", "text/plain", {"Location": "/loop"})

    outcome = fetch(client, feed_server.url("/loop"))

    assert outcome.error == f"too many redirects (more than 5) from {feed_server.url('/loop')}"


def test_redirect_is_followed_and_links_resolve_against_the_final_url(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    feed_server.serve_file("/new/atom", "atom10.xml", "application/atom+xml")
    feed_server.routes["/old"] = lambda h: h.reply(
        301, b"", "text/plain", {"Location": "/new/atom"}
    )

    outcome = fetch(client, feed_server.url("/old"))

    assert outcome.ok and outcome.url == feed_server.url("/old")
    assert outcome.items[0].url == feed_server.url("/posts/outage")
    assert outcome.items[0].location == feed_server.url("/old")


def test_malformed_content_location_is_ignored_not_fatal(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    body = (FEEDS / "atom10.xml").read_bytes()
    feed_server.routes["/cl"] = lambda h: h.reply(
        200, body, "application/atom+xml", {"Content-Location": "http://[bad/"}
    )

    outcome = fetch(client, feed_server.url("/cl"))

    assert outcome.ok and outcome.items[0].url == feed_server.url("/posts/outage")


def test_gzip_encoded_response_works(feed_server: FeedServer, client: httpx.Client) -> None:
    packed = gzip.compress((FEEDS / "rss20.xml").read_bytes())
    feed_server.routes["/gz"] = lambda h: h.reply(200, packed, RSS, {"Content-Encoding": "gzip"})

    outcome = fetch(client, feed_server.url("/gz"))

    assert outcome.ok and len(outcome.items) == 3
    assert "gzip" in feed_server.requests_to("/gz")[0]["accept-encoding"]


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw"])
def test_deflate_encoded_response_works_wrapped_or_raw(
    feed_server: FeedServer, client: httpx.Client, wbits: int
) -> None:
    packer = zlib.compressobj(wbits=wbits)
    packed = packer.compress((FEEDS / "rdf.xml").read_bytes()) + packer.flush()
    feed_server.routes["/df"] = lambda h: h.reply(200, packed, RSS, {"Content-Encoding": "deflate"})

    outcome = fetch(client, feed_server.url("/df"))

    assert outcome.ok and outcome.items[0].title == "RDF item"


def test_corrupt_gzip_and_unknown_encoding_are_errors(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    feed_server.routes["/bad"] = lambda h: h.reply(
        200, b"not gzip at all", RSS, {"Content-Encoding": "gzip"}
    )
    feed_server.routes["/br"] = lambda h: h.reply(200, b"xx", RSS, {"Content-Encoding": "br"})

    bad = fetch(client, feed_server.url("/bad"))
    brotli = fetch(client, feed_server.url("/br"))

    assert bad.error is not None and bad.error.startswith("bad gzip body")
    assert brotli.error is not None and brotli.error.startswith("unsupported Content-Encoding 'br'")


def test_refused_connection_is_an_error(client: httpx.Client) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed"

    outcome = fetch(client, url)

    assert outcome.status is None and outcome.error is not None
    assert outcome.error.startswith(f"cannot connect to {url}")


@pytest.mark.parametrize("url", ["ftp://example.com/feed", "not a url", "http://"])
def test_bad_urls_are_errors_not_exceptions(client: httpx.Client, url: str) -> None:
    outcome = fetch(client, url)

    assert outcome.error is not None and "\n" not in outcome.error


def test_request_identifies_itself(feed_server: FeedServer, client: httpx.Client) -> None:
    fetch(client, feed_server.serve_file("/rss", "rss20.xml"))

    headers = feed_server.requests_to("/rss")[0]
    assert headers["user-agent"].startswith("crisiswatch/0.1")
    assert "application/rss+xml" in headers["accept"]
    assert "if-none-match" not in headers and "if-modified-since" not in headers


def test_unsendable_stored_validators_are_skipped(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    url = feed_server.serve_file("/rss", "rss20.xml")

    outcome = fetch(client, url, FeedState("caf\u00e9", "x" * 5000))

    assert outcome.ok
    headers = feed_server.requests_to("/rss")[0]
    assert "if-none-match" not in headers and "if-modified-since" not in headers
