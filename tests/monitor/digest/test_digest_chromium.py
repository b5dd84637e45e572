"""The HTML digest renders in headless Chromium without attempting a single network request.

Chromium is pointed at a local "proxy" that only records connections: any request for an
outside resource would reach it. Set CRISISWATCH_DIGEST_SCREENSHOT=path to keep the screenshot.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.digest.charts import render_charts
from monitor.digest.labels import Labels
from monitor.digest.run import render_document

CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).exists()),
                None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (apt-get install -y chromium)"
)


class RecordingProxy:
    """A TCP listener that records (and drops) every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.requests.append(conn.recv(512) or b"(connected)")
                except OSError:
                    self.requests.append(b"(connected)")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture()
def proxy() -> Iterator[RecordingProxy]:
    recorder = RecordingProxy()
    yield recorder
    recorder.close()


def screenshot(page: Path, out: Path, proxy: RecordingProxy, profile: Path) -> None:
    assert CHROMIUM is not None
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--disable-background-networking", "--disable-component-update", "--no-first-run",
        "--disable-sync", "--disable-default-apps", "--disable-extensions",
        "--no-default-browser-check", "--metrics-recording-only",
        # the browser's own clock check would otherwise query a time server at start-up
        "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter",
        "--disable-domain-reliability", "--disable-client-side-phishing-detection",
        "--disable-breakpad", "--disable-crash-reporter", "--no-pings",
        f"--proxy-server=http://127.0.0.1:{proxy.port}", "--proxy-bypass-list=<-loopback>",
        f"--user-data-dir={profile}", "--window-size=1100,2600",
        "--virtual-time-budget=3000", f"--screenshot={out}", page.as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, timeout=120, check=False,
                            env={**os.environ, "HOME": str(profile)})
    assert out.is_file(), result.stderr.decode(errors="replace")[-2000:]


# Chromium's own background services (component updates, the clock check) can still call
# home on start-up whatever the flags; they are the browser's, not the page's.
BROWSER_HOSTS = (b"update.googleapis.com", b"clients2.google.com", b"redirector.gvt1.com",
                 b"optimizationguide-pa.googleapis.com", b"accounts.google.com")


def page_requests(proxy: RecordingProxy) -> list[bytes]:
    """Recorded requests except Chromium's own service calls."""
    out = []
    for request in proxy.requests:
        line = request.split(b"\r\n", 1)[0]
        if not any(host in line for host in BROWSER_HOSTS):
            out.append(line)
    return out


def _pixels(path: Path) -> Any:
    from matplotlib.image import imread

    return imread(str(path))


def test_digest_html_renders_in_chromium_without_network(
    week: Any, tmp_path: Path, proxy: RecordingProxy
) -> None:
    labels = Labels("zh", week.inputs.timezone)
    document = render_document(week.digest, charts=render_charts(week.digest, labels),
                               labels=labels, filename="digest.html")
    page = tmp_path / "digest.html"
    page.write_text(document.html, encoding="utf-8")
    out = tmp_path / "digest.png"
    screenshot(page, out, proxy, tmp_path / "profile")
    assert page_requests(proxy) == []
    pixels = _pixels(out)
    assert pixels.shape[:2] == (2600, 1100)
    assert pixels.std() > 0.05  # not a blank page
    red = (pixels[..., 0] > 0.75) & (pixels[..., 1] < 0.35) & (pixels[..., 2] < 0.35)
    assert red.sum() > 500  # the negative bars of the charts are on screen
    keep = os.environ.get("CRISISWATCH_DIGEST_SCREENSHOT")
    if keep:
        shutil.copyfile(out, keep)


def test_digest_network_check_would_see_a_request(tmp_path: Path, proxy: RecordingProxy) -> None:
    # The harness itself can fail: a page that loads an outside image reaches the proxy.
    page = tmp_path / "leaky.html"
    page.write_text('<html><body><img src="http://digest-test.invalid/x.png"></body></html>',
                    encoding="utf-8")
    screenshot(page, tmp_path / "leaky.png", proxy, tmp_path / "profile")
    assert any(b"digest-test.invalid" in r for r in page_requests(proxy))
