"""Tables printed by the command line: a header row and columns as wide as their cells."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from monitor.service.testing import FeedServer, rss

Crisiswatch = Callable[..., Result]


def test_sources_columns_line_up_for_long_ids(crisiswatch: Crisiswatch, tmp_path: Path) -> None:
    feeds = FeedServer()
    feeds.feeds["/a.xml"] = rss([(f"a{n}", f"Acme news {n}") for n in range(12)])
    long_id = "regional-newspapers-of-the-north-east-in-english"  # 48 characters
    config = tmp_path / "cw.yaml"
    config.write_text(
        f"""\
version: 1
organisation: {{name: Acme, timezone: UTC}}
storage: {{data_dir: data}}
entities:
  - {{id: acme, name: Acme, kind: brand}}
sources:
  - {{id: a, kind: rss, url: '{feeds.url}/a.xml'}}
  - {{id: {long_id}, kind: rss, url: '{feeds.url}/missing.xml'}}
""",
        encoding="utf-8",
    )
    try:
        assert crisiswatch("--config", str(config), "poll").exit_code == 1  # one feed is 404
        result = crisiswatch("--config", str(config), "sources")
    finally:
        feeds.close()
    assert result.exit_code == 0, result.output
    header, first, second, error = result.output.splitlines()
    assert header.split() == ["SOURCE", "KIND", "MENTIONS", "LAST", "OK", "FAILURES"]
    assert first.split()[:3] == ["a", "rss", "12"] and first.split()[-1] == "0"
    assert second.split()[:4] == [long_id, "rss", "0", "never"] and second.endswith(" 1")
    assert error.startswith("  last error (") and "HTTP 404" in error
    for column in ("KIND", "LAST OK"):  # left-aligned under their heading
        at = header.index(column)
        assert first[at] != " " and second[at] != " " and first[at - 1] == second[at - 1] == " "
    for column in ("MENTIONS", "FAILURES"):  # right-aligned under their heading
        end = header.index(column) + len(column)
        assert len({len(header[:end]), len(first[:end]), len(second[:end])}) == 1
        assert (
            first[end - 1] != " " and second[end - 1] != " " and first[end : end + 1] in ("", " ")
        )
