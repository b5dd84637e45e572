"""Rendering: escaping of outside text and size limits, for every format."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from alerts.message import AlertMessage, DigestEntry
from alerts.outline import build_outline
from alerts.render_html import render_html
from alerts.render_markdown import escape_markdown, render_markdown, render_post
from alerts.render_slack import (
    escape_mrkdwn,
    fallback_text,
    fit,
    header_text,
    link,
    reply_blocks,
    root_blocks,
)
from alerts.render_text import render_text
from alerts.sanitize import TRUNCATION_MARKER, clean_text, safe_url, truncate, truncate_bytes

MessageFactory = Callable[..., AlertMessage]
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def all_texts(blocks: Any) -> list[str]:
    """Every "text" string anywhere in a Block Kit structure."""
    found: list[str] = []
    if isinstance(blocks, dict):
        for key, value in blocks.items():
            if key == "text" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(all_texts(value))
    elif isinstance(blocks, list):
        for item in blocks:
            found.extend(all_texts(item))
    return found


def mrkdwn_texts(blocks: Any) -> list[str]:
    """The texts of mrkdwn text objects (plain_text ones are not parsed by Slack)."""
    found: list[str] = []
    if isinstance(blocks, dict):
        if blocks.get("type") == "mrkdwn" and isinstance(blocks.get("text"), str):
            found.append(blocks["text"])
        for value in blocks.values():
            found.extend(mrkdwn_texts(value))
    elif isinstance(blocks, list):
        for item in blocks:
            found.extend(mrkdwn_texts(item))
    return found


# -- sanitize ------------------------------------------------------------------------------


def test_clean_text_drops_bidi_control_and_lone_surrogates() -> None:
    raw = f"a{BIDI}b\x00c\x07d\x1b[31me\ud800f\r\ng\u2028h\ti\u200bj"
    assert clean_text(raw) == "abcd[31mef\ng\nh ij"
    assert clean_text(raw, single_line=True) == "abcd[31mef g h ij"


def test_truncate_keeps_limit_and_marks_the_cut() -> None:
    assert truncate("short", 10) == "short"
    cut = truncate("x" * 50, 20)
    assert len(cut) == 20 and cut.endswith(TRUNCATION_MARKER)


def test_truncate_bytes_never_splits_a_character() -> None:
    text = "中文" * 3000
    cut = truncate_bytes(text, 4096)
    assert len(cut.encode("utf-8")) <= 4096
    assert cut.endswith(TRUNCATION_MARKER)
    cut.encode("utf-8").decode("utf-8")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://ex.com/a?b=1&c=2", "https://ex.com/a?b=1&c=2"),
        ("https://ex.com/a(b)|c<d>", "https://ex.com/a%28b%29%7Cc%3Cd%3E"),
        ("javascript:alert(1)", None),
        ("slack://open", None),
        ("https://ex.com/a b", None),
        ("https://evil|click", None),
        ("", None),
        (None, None),
        ("http://例子.中国/路径", "http://xn--fsqu00a.xn--fiqs8s/%E8%B7%AF%E5%BE%84"),
    ],
)
def test_safe_url(url: str | None, expected: str | None) -> None:
    assert safe_url(url) == expected


# -- Slack mrkdwn --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<https://evil|click>", "&lt;https://evil|click&gt;"),
        ("&lt;", "&amp;lt;"),
        ("AT&T", "AT&amp;T"),
        ("*bold* _x_ ~y~ `code`", "\u2217bold\u2217 \uff3fx\uff3f \u223cy\u223c \u02cbcode\u02cb"),
        ("a\u202eb\x07c", "abc"),
    ],
)
def test_escape_mrkdwn(raw: str, escaped: str) -> None:
    assert escape_mrkdwn(raw) == escaped


def test_link_only_for_http_urls_and_label_escaped() -> None:
    assert link("https://ex.com/?a=1&b=2", "<!here>") == (
        "<https://ex.com/?a=1&amp;b=2|&lt;!here&gt;>"
    )
    assert link("javascript:alert(1)", "click") == "click"


def test_fit_never_splits_an_entity_or_a_link() -> None:
    text = "a" * 20 + "&amp;" + "b" * 20
    cut = fit(text, 20 + 3 + len(TRUNCATION_MARKER))
    assert cut == "a" * 20 + TRUNCATION_MARKER
    linked = "x" * 10 + "<https://ex.com|y>" + "z" * 30
    assert fit(linked, 15 + len(TRUNCATION_MARKER)) == "x" * 10 + TRUNCATION_MARKER


def test_root_blocks_escape_every_outside_field(
    hostile_factory: MessageFactory,
) -> None:
    blocks = root_blocks(hostile_factory())
    texts = all_texts(blocks)
    joined = "\n".join(texts)
    for bad in ("<!channel>", "<@U123>", "<https://evil", "\u202e", "\u2066", "\x07", "\x1b"):
        assert bad not in joined
    assert "&amp;lt;" in joined
    mrkdwn = "\n".join(mrkdwn_texts(blocks))
    assert "\u2217bold\u2217" in mrkdwn
    for char in "*_~`":
        # our own bold labels use "*", outside text must not
        assert f"{char}bold{char}" not in mrkdwn and f"{char}x{char}" not in mrkdwn
    # the one link we emit points to the (percent-encoded) mention URL
    assert "<https://ok.example/a?b=1&amp;c=%3Cx%3E%7Cy|link>" in joined


def test_root_blocks_layout(message_factory: MessageFactory) -> None:
    blocks = root_blocks(message_factory(drill=True))
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["text"] == "[DRILL] HIGH · Acme Phone X · product_safety"
    joined = "\n".join(all_texts(blocks))
    assert "Likelihood 4 × impact 4" in joined
    assert "Second report" in joined and "Third report" in joined
    assert "Fourth" not in joined  # top three only
    assert "acknowledge within 15m" in joined
    assert "Confirm the facts" in joined
    assert "Approved script" in joined and "We are aware" in joined
    assert "Incident inc-0007" in joined
    actions = blocks[-1]
    assert actions["type"] == "actions"
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        ("cw_ack", "inc-0007"),
        ("cw_escalate", "inc-0007"),
        ("cw_respond", "inc-0007"),
        ("cw_resolve", "inc-0007"),
    ]


def test_buttons_follow_status(message_factory: MessageFactory) -> None:
    acked = root_blocks(message_factory(status="acknowledged"))[-1]
    assert [e["action_id"] for e in acked["elements"]] == ["cw_escalate", "cw_respond",
                                                           "cw_resolve"]
    resolved = root_blocks(message_factory(status="resolved"))
    assert all(b["type"] != "actions" for b in resolved)


def test_slack_limits_with_10kb_text(message_factory: MessageFactory) -> None:
    huge = "<!channel> " + "x" * 10_240
    message = message_factory(title=huge, entity=huge, note=huge)
    blocks = root_blocks(message)
    assert len(blocks[0]["text"]["text"]) <= 150
    assert TRUNCATION_MARKER in blocks[0]["text"]["text"]
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    note = next(b for b in blocks if "Note:" in b.get("text", {}).get("text", ""))
    assert note["text"]["text"].endswith(TRUNCATION_MARKER)
    assert len(fallback_text(message)) <= 40_000


def test_block_count_capped_at_50_keeping_buttons(message_factory: MessageFactory) -> None:
    from alerts.message import ScriptRef

    scripts = tuple(ScriptRef(id=f"s{i}", lang="en", text="t") for i in range(80))
    blocks = root_blocks(message_factory(scripts=scripts))
    assert len(blocks) == 50
    assert blocks[-1]["type"] == "actions"
    assert blocks[-2]["type"] == "context"
    assert any(TRUNCATION_MARKER in t for t in all_texts(blocks[-3]))


def test_reply_blocks_per_event(message_factory: MessageFactory) -> None:
    escalated = reply_blocks(
        message_factory(event="escalated", escalation_level=2, note="no ack in 15m")
    )
    text = "\n".join(all_texts(escalated))
    assert "Escalated" in text and "escalation level 2" in text and "no ack in 15m" in text
    evidence = "\n".join(all_texts(reply_blocks(message_factory(event="evidence"))))
    assert "Top mentions" in evidence
    assert all(b["type"] != "actions" for b in escalated)


def test_digest_blocks_list_members(message_factory: MessageFactory, t0: datetime) -> None:
    members = tuple(
        DigestEntry(incident_id=f"inc-{i}", title=f"<!here> t{i}", grade="high", entity="Acme")
        for i in range(150)
    )
    digest = message_factory(event="digest", incident_id="digest-1", members=members)
    blocks = root_blocks(digest)
    text = "\n".join(all_texts(blocks))
    assert header_text(digest).startswith("150 new incidents")
    assert "inc-0" in text and "… and 50 more" in text and "<!here>" not in text
    assert all(b["type"] != "actions" for b in blocks)
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert "Grouped alert digest-1 · " in text and "Incident digest-1" not in text
    assert "\nGrouped alert digest-1 · " in render_text(digest)


# -- text / HTML / markdown -------------------------------------------------------------------


def test_text_rendering_is_clean(hostile_factory: MessageFactory) -> None:
    text = render_text(hostile_factory())
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "HIGH" in text and "Incident inc-0007" in text


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs.extend(v or "" for k, v in attrs if k == "href")


def test_html_escapes_everything(hostile_factory: MessageFactory) -> None:
    message = hostile_factory(title="<script>alert(1)</script><img src=x onerror=y>")
    html = render_html(message)
    parser = _Collector()
    parser.feed(html)
    assert "script" not in parser.tags and "img" not in parser.tags
    assert set(parser.tags) <= {
        "html",
        "head",
        "meta",
        "body",
        "h2",
        "h3",
        "p",
        "strong",
        "div",
        "ul",
        "li",
        "blockquote",
        "pre",
        "a",
    }
    assert all(h.startswith("https://") for h in parser.hrefs)
    assert "&lt;script&gt;" in html and "&amp;lt;" in html


def test_markdown_escape_is_inert() -> None:
    escaped = escape_markdown("<@all> **b** [x](javascript:y) # h\n- l `c` ~s~ &lt;")
    for char in "<>*[]#`~&":
        assert char not in escaped
    assert "\n" not in escaped


def test_markdown_rendering(hostile_factory: MessageFactory) -> None:
    title, text = render_markdown(hostile_factory(), max_bytes=20_000)
    assert "<" not in title
    for bad in ("<!channel>", "<@U123>", "[click]", "\u202e"):
        assert bad not in text
    # our own link markup survives, with a percent-encoded URL
    assert "[link](https://ok.example/a?b=1&c=%3Cx%3E%7Cy)" in text
    # outside text never starts a line (no heading/list/quote injection)
    assert all(not line.startswith(("# ", "- <")) for line in text.split("\n")[1:])


def test_markdown_respects_byte_limit(message_factory: MessageFactory) -> None:
    _, text = render_markdown(message_factory(note="很长" * 5000), max_bytes=4096)
    assert len(text.encode("utf-8")) <= 4096
    assert text.endswith(TRUNCATION_MARKER)


def test_feishu_post_is_structured(hostile_factory: MessageFactory) -> None:
    post = render_post(hostile_factory())
    body = post["zh_cn"]
    assert body["title"].startswith("HIGH")
    tags = {el["tag"] for para in body["content"] for el in para}
    assert tags <= {"text", "a"}
    hrefs = [el["href"] for para in body["content"] for el in para if el["tag"] == "a"]
    assert all(h.startswith("https://") for h in hrefs)
    assert "\u202e" not in json.dumps(post, ensure_ascii=False)


def test_outline_for_update_is_short(message_factory: MessageFactory) -> None:
    outline = build_outline(message_factory(event="acknowledged", note="by alice"))
    headings = [p.heading for p in outline.parts]
    assert "Checklist" not in headings and "Approved scripts" not in headings
    assert outline.event_headline == "Acknowledged"


def test_a_grade_change_carries_the_playbook_now_in_force(
    message_factory: MessageFactory,
) -> None:
    changed = message_factory(event="grade_changed", note="grade rose from medium to high")
    headings = [p.heading for p in build_outline(changed).parts]
    assert {"SLA", "Checklist", "Approved scripts"} <= set(headings)
    text = "\n".join(all_texts(reply_blocks(changed)))
    assert "acknowledge within 15m" in text and "Approved script* holding" in text
    assert "Brief customer service" in text
    for event in ("evidence", "acknowledged", "resolved"):
        assert "Approved script" not in "\n".join(all_texts(reply_blocks(
            message_factory(event=event))))


def test_every_renderer_shows_times_in_the_organisation_zone(
    message_factory: MessageFactory,
) -> None:
    # created 08:30 UTC, first mention published 08:12 UTC; Shanghai is UTC+8
    message = message_factory(timezone="Asia/Shanghai")
    slack = json.dumps(root_blocks(message), ensure_ascii=False)
    post = json.dumps(render_post(message), ensure_ascii=False)
    for rendered in (render_text(message), render_html(message),
                     render_markdown(message, max_bytes=20_000)[1],
                     post, slack):
        assert "2024-05-01 16:30 UTC+8" in rendered
        assert "2024-05-01 16:12 UTC+8" in rendered
        assert "08:30" not in rendered and "08:12" not in rendered
