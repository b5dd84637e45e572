"""The quickstart: the bundled example organisation's whole story, offline, in one run.

``prepare_workspace`` copies the bundled sample feeds and exports into a workspace folder with
their timestamps moved to just before now (the samples are a fixed morning in 2026, and
incidents older than the alert window are recorded without alerting) and writes a
configuration there. ``serve_feeds`` serves the feeds on 127.0.0.1, so the quickstart goes
through the same HTTP collector as a real feed; the exports are dropped into the inbox.
``console_admin`` makes the web console's first account.
"""

from __future__ import annotations

import functools
import re
import secrets
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy.orm import Session

from config.loader import example_config_path

MARKER = ".crisiswatch-quickstart"
# The latest moment in the bundled samples; everything is shifted so it lands LEAD before now.
SAMPLES_END = datetime(2026, 11, 18, 7, 0, tzinfo=UTC)
LEAD = timedelta(minutes=5)
FEEDS = ("news_en.xml", "weibo_zh.xml")
# export file -> the zone its naive times are written in (Weibo exports use Beijing time)
EXPORTS = {"weibo_comments.csv": "Asia/Shanghai", "x_mentions.csv": "UTC"}

_RFC822 = re.compile(r"[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}(?::\d{2})? [+-]\d{4}")
_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?(?P<zone> ?(?:[+-]\d{2}:?\d{2}|Z))?"
)


# The console account the quickstart makes. It is linked to no configured person: whoever
# opens the quickstart's console is not li.na or any other example person, and a link would
# record their clicks as that person's verified acts; they are recorded as web:admin.
ADMIN = "admin"


class WorkspaceError(Exception):
    """The workspace folder cannot be used (it exists and is not a quickstart workspace)."""


@dataclass(frozen=True)
class Workspace:
    """Where the quickstart keeps its configuration, data, feeds and inbox."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "crisiswatch.yaml"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def feeds(self) -> Path:
        return self.root / "feeds"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"


def shift_timestamps(text: str, delta: timedelta, *, naive_zone: str = "UTC") -> str:
    """Move every RFC 822 and ISO-like timestamp in ``text`` by ``delta``.

    Naive timestamps are read in ``naive_zone`` and written back with their offset, so the
    result does not depend on which zone the reader later assumes.
    """
    zone = ZoneInfo(naive_zone)

    def rfc822(match: re.Match[str]) -> str:
        return format_datetime(parsedate_to_datetime(match.group(0)) + delta)

    def iso(match: re.Match[str]) -> str:
        raw = match.group(0)
        moment = datetime.fromisoformat(raw.replace(" +", "+").replace(" -", "-"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return (moment + delta).strftime("%Y-%m-%d %H:%M:%S %z")

    return _ISO.sub(iso, _RFC822.sub(rfc822, text))


def _sample(*parts: str) -> str:
    return resources.files("config").joinpath("samples", *parts).read_text(encoding="utf-8-sig")


def prepare_workspace(root: Path, *, now: datetime) -> Workspace:
    """Create (or recreate) the workspace: fresh sample copies, an empty inbox, the config.

    Raises WorkspaceError when ``root`` exists but was not made by the quickstart, so a
    mistyped ``--dir`` can never delete someone's files.
    """
    ws = Workspace(root.resolve())
    if ws.root.exists():
        if not (ws.root / MARKER).is_file():
            raise WorkspaceError(
                f"{root}: exists and is not a quickstart folder; choose another --dir"
            )
        shutil.rmtree(ws.root)
    for folder in (ws.feeds, ws.inbox, ws.data):
        folder.mkdir(parents=True)
    (ws.root / MARKER).write_text("made by `crisiswatch quickstart`; safe to delete\n")
    delta = (now - LEAD) - SAMPLES_END
    for name in FEEDS:
        (ws.feeds / name).write_text(shift_timestamps(_sample("feeds", name), delta), "utf-8")
    for name, zone in EXPORTS.items():
        shifted = shift_timestamps(_sample("exports", name), delta, naive_zone=zone)
        # written beside the inbox, then moved in whole, as an export tool should
        staged = ws.root / name
        staged.write_text(shifted, encoding="utf-8")
        staged.replace(ws.inbox / name)
    ws.config.write_text(_config_text(ws), encoding="utf-8")
    return ws


def _config_text(ws: Workspace) -> str:
    data: dict[str, Any] = yaml.safe_load(example_config_path().read_text(encoding="utf-8"))
    data["storage"] = {"data_dir": str(ws.data)}
    data["sources"] = [
        {**s, "url": str(ws.feeds / Path(s["url"]).name)}
        for s in data["sources"]
        if s["kind"] == "rss"
    ]
    data["inbox"] = {**data["inbox"], "path": str(ws.inbox), "tier": 2}
    for name, channel in data["channels"].items():
        if channel["kind"] == "file":
            channel["path"] = str(ws.data / "alerts" / f"{name}.jsonl")
    header = (
        "# Written by `crisiswatch quickstart`: the bundled example organisation, with its feeds\n"
        "# copied to feeds/ and its export files dropped into inbox/. Run any command on it with\n"
        f"#   crisiswatch -c {ws.config} COMMAND\n"
        "# or copy it to ./crisiswatch.yaml and start editing.\n"
    )
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return


@contextmanager
def serve_feeds(folder: Path) -> Iterator[Callable[[str], str]]:
    """Serve ``folder`` on 127.0.0.1 (any free port); yields name -> URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="quickstart-feeds", daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        yield lambda name: f"http://127.0.0.1:{port}/{name}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def console_admin(session: Session, *, now: datetime) -> str | None:
    """Add the console's ``admin`` user (role admin, no person) with a random password and
    return that password (to show once); None when the user exists already."""
    from monitor.users.accounts import UsersError, add_user, get_user
    from monitor.users.audit import record

    try:
        get_user(session, ADMIN)
        return None
    except UsersError:
        pass
    password = secrets.token_urlsafe(12)
    add_user(session, name=ADMIN, password=password, role_name="admin", person=None,
             by="quickstart", now=now)
    record(session, actor="quickstart", action="user.add", target=ADMIN, now=now, via="cli",
           detail={"role": "admin", "person": None})
    return password
