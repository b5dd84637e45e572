"""Rendering for the Chinese team chats: DingTalk and WeCom markdown, Feishu rich text (post).

The robots' markdown dialects differ and none documents a backslash escape, so outside text is
made inert by swapping markup characters for their full-width forms (``*`` -> ``＊``,
``<`` -> ``＜`` ...): they read naturally in Chinese text and no dialect parses them. That also
defuses WeCom's ``<@userid>`` mentions and ``<font>`` tags, and ``@`` becomes ``＠`` so that no
outside ``@all`` or ``@138...`` reads as a DingTalk mention. Outside text is folded to one line
per item, so it can never start a heading, list or quote. Feishu gets a ``post`` whose text
elements are not parsed as markup at all (``<at`` is made inert all the same).

People the alert is for are mentioned with each robot's own syntax, from configured handles
only (``mentions``: DingTalk ``@mobile`` in the text plus the body's ``at`` field, WeCom
``<@userid>``, Feishu ``at`` elements).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final, Literal

from alerts.mentions import feishu_id, person_name, robot_handle
from alerts.message import AlertMessage
from alerts.outline import Line, build_outline
from alerts.sanitize import TRUNCATION_MARKER, truncate_bytes

_FULLWIDTH: Final = str.maketrans(
    {
        "\\": "＼",
        "`": "｀",
        "*": "＊",
        "[": "［",
        "]": "］",
        "<": "＜",
        ">": "＞",
        "#": "＃",
        "~": "～",
        "|": "｜",
        "&": "＆",
        "!": "！",
        "@": "＠",
    }
)
_PREFIX: Final = {"plain": "", "bullet": "- ", "check": "☐ ", "meta": ""}


# An underscore inside a word (product_safety) cannot open or close emphasis: keep it readable.
_EDGE_UNDERSCORE: Final = re.compile(r"(?<!\w)_|_(?!\w)")


def escape_markdown(text: str) -> str:
    """Make already-cleaned outside text inert in DingTalk/WeCom markdown (one line)."""
    return _EDGE_UNDERSCORE.sub("＿", " ".join(text.split()).translate(_FULLWIDTH))


def md_link(url: str, label: str) -> str:
    """A markdown link; ``url`` must come from ``safe_url`` (no spaces, quotes or brackets)."""
    return f"[{escape_markdown(label)}]({url})"


def render_markdown(
    message: AlertMessage,
    *,
    max_bytes: int,
    excerpt_chars: int = 300,
    line_break: str = "\n",
    mentions: str = "",
) -> tuple[str, str]:
    """Return (title, markdown text) with the text cut to ``max_bytes`` UTF-8 bytes.

    ``line_break`` joins lines: DingTalk's renderer needs a blank line ("\n\n") to break.
    ``mentions`` is the robot's mention markup (from ``robot_mentions``), shown under the title.
    """
    outline = build_outline(message, excerpt_chars=excerpt_chars)
    title = escape_markdown(outline.headline)
    out = [
        f"### {title}",
        f"**{escape_markdown(outline.event_headline)}** · {escape_markdown(outline.title)}",
    ]
    if mentions:
        out.append(mentions)
    for part in outline.parts:
        out.append("")
        if part.heading:
            out.append(f"**{escape_markdown(part.heading)}**")
        out.extend(_md_line(line) for line in part.lines)
    out.append("")
    footer = escape_markdown(outline.footer)
    if outline.dashboard_url:
        footer += " · " + md_link(outline.dashboard_url, "Open in dashboard")
    out.append(footer)
    text = "\n".join(out)
    if line_break != "\n":
        text = text.replace("\n", line_break)
    return title, truncate_bytes(text, max_bytes)


def robot_mentions(
    message: AlertMessage, kind: Literal["dingtalk", "wecom"]
) -> tuple[str, list[str], list[str]]:
    """(markup, mobiles, user ids) mentioning the recipients on a DingTalk or WeCom robot.

    DingTalk shows ``@138...`` / ``@userid`` in the text and notifies those listed in the body's
    ``at`` field; WeCom markdown notifies ``<@userid>``; a WeCom mobile number can only be
    mentioned by a text message (``mentioned_mobile_list``), so it is returned for one.
    Recipients without a handle are named.
    """
    parts: list[str] = []
    mobiles: list[str] = []
    users: list[str] = []
    for recipient in message.recipients:
        found = robot_handle(recipient, kind)
        name = escape_markdown(person_name(recipient))
        if found is None:
            parts.append(name)
        elif found[0] == "mobile":
            mobiles.append(found[1])
            parts.append(f"@{found[1]}" if kind == "dingtalk" else name)
        else:
            users.append(found[1])
            parts.append(f"@{found[1]}" if kind == "dingtalk" else f"<@{found[1]}>")
    return " ".join(parts), mobiles, users


def _md_line(line: Line) -> str:
    if line.style == "block":
        # Multi-line outside text: each line quoted so none can become a heading or list.
        return "\n".join("> " + escape_markdown(row) for row in line.text.split("\n") if row)
    if line.style == "quote":
        text = "> " + escape_markdown(line.text)
    else:
        text = _PREFIX.get(line.style, "") + escape_markdown(line.text)
    if line.url:
        text += " · " + md_link(line.url, line.url_label)
    # A blank line ends a markdown quote / list item in both dialects.
    return text + ("\n" if line.style == "quote" else "")


def render_post(message: AlertMessage, *, excerpt_chars: int = 300) -> dict[str, Any]:
    """Feishu/Lark ``post`` content: paragraphs of text and link elements (no markup parsing)."""
    outline = build_outline(message, excerpt_chars=excerpt_chars)
    paragraphs: list[list[dict[str, Any]]] = [
        [{"tag": "text", "text": f"{outline.event_headline} · {outline.title}"}]
    ]
    for part in outline.parts:
        if part.heading:
            paragraphs.append([{"tag": "text", "text": f"{part.heading}:"}])
        paragraphs.extend(_post_paragraph(line) for line in part.lines)
    footer: list[dict[str, Any]] = [{"tag": "text", "text": outline.footer}]
    if outline.dashboard_url:
        footer.append({"tag": "a", "text": " Open in dashboard", "href": outline.dashboard_url})
    paragraphs.append(footer)
    for paragraph in paragraphs:
        for element in paragraph:
            if element.get("tag") == "text":
                element["text"] = _INERT_AT.sub("＜", element["text"])
    if message.recipients:
        paragraphs.insert(1, _post_mentions(message))
    return {"zh_cn": {"title": _INERT_AT.sub("＜", outline.headline), "content": paragraphs}}


# Feishu parses <at user_id="..."> in plain text messages; a post's text elements should not,
# but outside text is made inert all the same (only ``at`` elements mention anyone).
_INERT_AT: Final = re.compile(r"<(?=\s*/?\s*at\b)", re.IGNORECASE)


def _post_mentions(message: AlertMessage) -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = [{"tag": "text", "text": "For: "}]
    for index, recipient in enumerate(message.recipients):
        if index:
            elements.append({"tag": "text", "text": " "})
        user = feishu_id(recipient)
        name = _INERT_AT.sub("＜", person_name(recipient))
        if user is None:
            elements.append({"tag": "text", "text": name})
        else:
            elements.append({"tag": "at", "user_id": user, "user_name": name})
    return elements


def _post_paragraph(line: Line) -> list[dict[str, Any]]:
    prefix = {"bullet": "• ", "check": "☐ ", "quote": "「", "meta": "   "}.get(line.style, "")
    suffix = "」" if line.style == "quote" else ""
    elements: list[dict[str, Any]] = [{"tag": "text", "text": f"{prefix}{line.text}{suffix}"}]
    if line.url:
        elements.append({"tag": "a", "text": f" {line.url_label}", "href": line.url})
    return elements


def shrink_post(post: dict[str, Any], *, fits: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Drop trailing paragraphs (keeping the footer) until ``fits(post)`` holds.

    A truncation marker paragraph replaces what was dropped; a lone oversized paragraph has its
    text cut instead.
    """
    body = post["zh_cn"]
    content: list[list[dict[str, Any]]] = list(body["content"])
    if fits(post):
        return post
    footer = content[-1]
    middle = content[:-1]
    marker = [{"tag": "text", "text": TRUNCATION_MARKER}]
    while middle:
        middle.pop()
        candidate = {"zh_cn": {**body, "content": [*middle, marker, footer]}}
        if fits(candidate):
            return candidate
    first = dict(footer[0])
    limit = 200
    first["text"] = truncate_bytes(str(first.get("text", "")), limit)
    return {"zh_cn": {"title": truncate_bytes(body["title"], limit), "content": [marker, [first]]}}
