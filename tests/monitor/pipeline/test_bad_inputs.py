"""Every kind of bad input gives a clear error or a quarantined row, shown by `crisiswatch sources`,
and nothing accepted before is lost."""

from __future__ import annotations

import json
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli.main import cli
from monitor.collectors.testing import inline_cell_bomb

ENTITIES = """\
version: 1
organisation: {name: Acme}
http: {connect_timeout: 1, read_timeout: 0.5, max_bytes: 200000}
entities:
  - {id: acme, name: Acme, kind: brand, aliases: [Acme, 艾克美]}
"""

GOOD_FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><guid>g1</guid><title>Acme news</title><description>Acme opens a shop</description>"
    b"</item></channel></rss>"
)


class Handler(BaseHTTPRequestHandler):
    mode = "good"

    def do_GET(self) -> None:  # noqa: N802
        mode = type(self).mode
        if mode == "good":
            self._send(200, GOOD_FEED, "application/rss+xml")
        elif mode == "500":
            self._send(500, b"internal error", "text/plain")
        elif mode == "html":
            self._send(200, b"<html><body><h1>Welcome to Acme</h1></body></html>", "text/html")
        elif mode == "timeout":
            time.sleep(3)
            self._send(200, GOOD_FEED, "application/rss+xml")
        elif mode == "endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            try:
                self.wfile.write(b'<?xml version="1.0"?><rss><channel>')
                for _ in range(100_000):
                    self.wfile.write(b"<item><title>Acme</title></item>" * 100)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client hanging up on an endless body is the point of that test


@pytest.fixture()
def server() -> Iterator[ThreadingHTTPServer]:
    srv = QuietServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    Handler.mode = "good"
    srv.shutdown()
    srv.server_close()


@pytest.fixture()
def cw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRISISWATCH_DATABASE_URL", raising=False)

    def invoke(config: Path, *args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def _source(cw, config: Path, source_id: str) -> dict:  # type: ignore[no-untyped-def]
    code, out = cw(config, "sources", "--json")
    assert code == 0, out
    return next(s for s in json.loads(out) if s["id"] == source_id)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("500", "500"), ("html", "not a feed"), ("timeout", "timed out"),
     ("endless", "exceeds")],
)
def test_bad_feed_records_its_error_and_keeps_earlier_mentions(
    cw, tmp_path: Path, server: ThreadingHTTPServer, mode: str, expected: str  # type: ignore[no-untyped-def]
) -> None:
    url = f"http://127.0.0.1:{server.server_address[1]}/feed"
    config = tmp_path / "cw.yaml"
    config.write_text(ENTITIES + f"sources:\n  - {{id: feed, kind: rss, url: '{url}'}}\n")
    assert cw(config, "poll")[0] == 0
    Handler.mode = mode
    started = time.monotonic()
    code, out = cw(config, "poll", "feed")
    assert time.monotonic() - started < 10
    assert code == 1 and expected in out.lower()
    state = _source(cw, config, "feed")
    assert expected in state["last_error"].lower()
    assert state["consecutive_failures"] == 1
    assert state["mentions"] == 1
    code, out = cw(config, "sources")
    assert "last error" in out and expected in out.lower()


def _corrupt_xlsx(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("name", "content", "extra", "expected_error", "expected_rejected"),
    [
        ("truncated.csv", b'id,text\n1,Acme fine\n2,"Acme never closed\n', {}, None, 1),
        ("wrong_encoding.csv", "id,text\n1,Acme 好\n2,艾克美 很差\n".encode("gbk"),
         {"encoding": "utf-8"}, None, 2),
        ("syntax.json", b'[{"id": 1, "text": "Acme ok"},\n {"id": 2, "text": "Acme bad" ,,}\n]',
         {}, None, 1),
        ("broken.xlsx", None, {}, "not a valid XLSX", 0),
        ("bomb.xlsx", "bomb", {}, "(decompression bomb?)", 0),
    ],
)
def test_bad_files_quarantine_or_fail_clearly(  # type: ignore[no-untyped-def]
    cw, tmp_path: Path, name: str, content: bytes | None, extra: dict, expected_error: str | None,
    expected_rejected: int,
) -> None:
    good = tmp_path / "good.csv"
    good.write_text("id,text\n100,Acme earlier\n", encoding="utf-8")
    bad = tmp_path / name
    if content is None:
        _corrupt_xlsx(bad)
    elif content == "bomb":
        inline_cell_bomb(bad, 20 * 1024 * 1024)
    else:
        bad.write_bytes(content)
    options = "".join(f", {k}: {v}" for k, v in extra.items())
    config = tmp_path / "cw.yaml"
    config.write_text(ENTITIES + "sources:\n"
                      f"  - {{id: bad, kind: export, path: {name}{options}}}\n")
    code, out = cw(config, "ingest", str(good), "--source-id", "bad", "--json")
    assert code == 0 and json.loads(out)["new"] == 1
    code, out = cw(config, "ingest", "bad", "--json")
    if expected_error:
        assert code == 1
        stats = json.loads(out)
        assert expected_error in stats["error"]
        assert expected_error in _source(cw, config, "bad")["last_error"]
    else:
        assert code == 0, out
        stats = json.loads(out)
        assert stats["rejected"] == expected_rejected
        assert stats["new"] >= 0
    assert _source(cw, config, "bad")["mentions"] >= 1  # the earlier mention is still there


def test_rows_decoded_with_a_fallback_encoding_are_reported_in_the_summary(  # type: ignore[no-untyped-def]
    cw, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.csv"
    rows = [f"{n},艾克美 第{n}条评论\n" for n in range(1, 201)]
    odd = {10, 150}
    path.write_bytes(
        b"id,text\n"
        + b"".join(r.encode("gb18030" if n in odd else "utf-8") for n, r in enumerate(rows, 1))
    )
    config = tmp_path / "cw.yaml"
    config.write_text(ENTITIES)
    code, out = cw(config, "ingest", str(path), "--json")
    stats = json.loads(out)
    assert code == 0 and stats["new"] == 200 and stats["rejected"] == 0
    assert stats["warnings"] == [
        "2 rows decoded as GB18030, not UTF-8 like the rest of the file (line 11, 151)"
    ]
    code, out = cw(config, "mentions", "--limit", "1000", "--json")
    texts = sorted(r.split(",", 1)[1].strip() for r in rows)
    assert sorted(m["text"] for m in json.loads(out)) == texts  # none garbled
    code, out = cw(config, "ingest", str(path), "--force")
    assert "  warning: 2 rows decoded as GB18030" in out


def test_malformed_query_is_reported_with_position(cw, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "cw.yaml"
    config.write_text(ENTITIES.replace("aliases: [Acme, 艾克美]", "query: 'Acme AND (milk OR'"))
    code, out = cw(config, "poll")
    assert code == 1
    assert "entity 'acme'" in out and "position" in out
    assert "Traceback" not in out
