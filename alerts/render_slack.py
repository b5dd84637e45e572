"""Block Kit rendering for Slack, with every piece of outside text escaped and size-limited.

Escaping (``escape_mrkdwn``): control and bidi characters are dropped, then ``&``, ``<``, ``>``
become entities (so ``<!channel>``, ``<@U123>`` and ``<https://evil|click>`` are inert and an
already-escaped ``&lt;`` stays literal as ``&amp;lt;``), then the mrkdwn formatting characters
``* _ ~ ``` are swapped for look-alikes, because mrkdwn has no escape for them.
Limits (Slack's): header 150 chars, section text 3000, 50 blocks, message text 40,000; anything
longer is cut with "… (truncated)".
"""

from __future__ import annotations

import re
from typing import Any, Final

from alerts.mentions import person_name, slack_id
from alerts.message import AlertMessage, MentionRef
from alerts.outline import EVENT_HEADLINES, headline, reference_label
from alerts.sanitize import TRUNCATION_MARKER, clean_text, safe_url, truncate
from alerts.times import format_time

HEADER_LIMIT: Final = 150
SECTION_LIMIT: Final = 3000
CONTEXT_LIMIT: Final = 2000
MAX_BLOCKS: Final = 50
TEXT_LIMIT: Final = 40_000
FIELD_LIMIT: Final = 300
SCRIPT_LIMIT: Final = 2500
NOTE_LIMIT: Final = 1500
MAX_MENTIONS: Final = 3
MAX_DIGEST_LINES: Final = 100

ACTION_IDS: Final[dict[str, str]] = {
    "acknowledge": "cw_ack",
    "escalate": "cw_escalate",
    "resolve": "cw_resolve",
    "respond": "cw_respond",  # opens the response form (alerts.socket_mode)
    "replied": "cw_replied",  # a mention that needs a reply was replied to (its id as value)
}
_LOOKALIKES: Final = str.maketrans({"*": "\u2217", "~": "\u223c", "`": "\u02cb"})
# An underscore inside a word (product_safety) cannot open or close italics: keep it readable.
_EDGE_UNDERSCORE: Final = re.compile(r"(?<!\w)_|_(?!\w)")
_CLOSED: Final = frozenset({"resolved", "false_positive"})

Block = dict[str, Any]


def escape_mrkdwn(text: str, *, limit: int | None = None) -> str:
    """Escape untrusted text for a mrkdwn field, cutting the raw text to ``limit`` first."""
    cleaned = clean_text(text)
    if limit is not None:
        cleaned = truncate(cleaned, limit)
    escaped = cleaned.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _EDGE_UNDERSCORE.sub("\uff3f", escaped.translate(_LOOKALIKES))


def escape_line(text: str, *, limit: int = FIELD_LIMIT) -> str:
    """Like escape_mrkdwn but folded to one line (names, titles, sources)."""
    return escape_mrkdwn(clean_text(text, single_line=True), limit=limit)


def link(url: str | None, label: str) -> str:
    """A mrkdwn link for http(s) URLs, else just the escaped label (never a raw URL)."""
    safe = safe_url(url)
    shown = escape_line(label, limit=100)
    if safe is None:
        return shown
    return f"<{safe.replace('&', '&amp;')}|{shown}>"


def fit(text: str, limit: int) -> str:
    """Cut already-escaped mrkdwn to ``limit`` chars without splitting an entity or a link."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(TRUNCATION_MARKER))]
    amp, semi = cut.rfind("&"), cut.rfind(";")
    if amp > semi:
        cut = cut[:amp]
    lt, gt = cut.rfind("<"), cut.rfind(">")
    if lt > gt:
        cut = cut[:lt]
    return cut.rstrip() + TRUNCATION_MARKER


def escape_plain(text: str) -> str:
    """Escape untrusted text for a plain_text field (no mrkdwn there, only entities)."""
    return clean_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def header_text(message: AlertMessage) -> str:
    """The plain_text title: [DRILL] GRADE · entity · category (escaped, <= 150 chars)."""
    return fit(escape_plain(headline(message)), HEADER_LIMIT)


def fallback_text(message: AlertMessage) -> str:
    """The mrkdwn notification text shown where blocks are not (push, screen readers)."""
    head = escape_mrkdwn(headline(message), limit=HEADER_LIMIT)
    mentions = mention_line(message)
    lead = f"{mentions} " if mentions else ""
    return fit(f"{lead}{head}: {escape_line(message.title, limit=200)}", TEXT_LIMIT)


def mention_line(message: AlertMessage) -> str:
    """``<@U123> <@U456> Li Na``: each recipient mentioned by member id, or named (escaped)
    when they have no Slack id. Only configured ids become mentions."""
    parts = []
    for recipient in message.recipients:
        member = slack_id(recipient)
        parts.append(f"<@{member}>" if member else escape_line(person_name(recipient), limit=100))
    return " ".join(parts)


def _people_blocks(message: AlertMessage) -> list[Block]:
    lines = [":warning: " + escape_line(warning) for warning in message.paging]
    if message.recipients:
        lines.append("*For:* " + mention_line(message))
    return [_section("\n".join(lines))] if lines else []


def root_blocks(message: AlertMessage, *, buttons: bool = True) -> list[Block]:
    """The incident's root message: summary, evidence, playbook, id and (unless ``buttons`` is
    false, e.g. for an incoming webhook, whose messages no app can answer) buttons."""
    if message.event == "digest":
        return _limit_blocks(_digest_blocks(message))
    blocks: list[Block] = [_header(message), *_people_blocks(message)]
    blocks.append(_section(_summary(message)))
    blocks.extend(_mention_blocks(message.top_mentions, message.timezone, buttons=buttons))
    blocks.extend(_playbook_blocks(message))
    if message.note:
        blocks.append(_section("*Note:* " + escape_mrkdwn(message.note, limit=NOTE_LIMIT)))
    blocks.append(_context(message))
    actions = _actions(message) if buttons else None
    if actions is not None:
        blocks.append(actions)
    return _limit_blocks(blocks)


def reply_blocks(message: AlertMessage) -> list[Block]:
    """A later event, posted in the incident's thread (or standalone without threads)."""
    event_line = EVENT_HEADLINES.get(message.event, message.event)
    lines = [f"*{escape_mrkdwn(event_line)}* · {escape_line(message.title)}"]
    if message.event in ("grade_changed", "reopened", "escalated"):
        lines.append(
            f"Grade *{escape_line(message.grade)}* · likelihood {message.likelihood} × "
            f"impact {message.impact} · escalation level {message.escalation_level}"
        )
    if message.note:
        lines.append(escape_mrkdwn(message.note, limit=NOTE_LIMIT))
    if message.story and message.event in ("grade_changed", "evidence", "escalated"):
        lines.append(f"Story: {escape_line(message.story, limit=200)}")
    if message.event in ("grade_changed", "reopened"):
        lines.extend("• " + escape_line(r) for r in message.reasons)
    if message.event == "escalated":
        lines.extend("• " + escape_line(s) for s in message.sla)
    blocks: list[Block] = [*_people_blocks(message), _section("\n".join(lines))]
    if message.event == "evidence":
        blocks.extend(_mention_blocks(message.top_mentions, message.timezone))
    if message.event == "grade_changed":
        # another grade can mean another playbook: its targets, steps and scripts apply now
        blocks.extend(_playbook_blocks(message))
    blocks.append(_context(message))
    return _limit_blocks(blocks)


def _header(message: AlertMessage) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": header_text(message)}}


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit(text, SECTION_LIMIT)}}


def _summary(message: AlertMessage) -> str:
    lines = [f"*{escape_line(message.title)}*"]
    status = f"*Status:* {escape_line(message.status)}"
    if message.escalation_level:
        status += f" · escalation level {message.escalation_level}"
    lines.append(status)
    if message.story:
        lines.append(f"*Story:* {escape_line(message.story, limit=200)}")
    lines.append(f"*Likelihood {message.likelihood} × impact {message.impact}*")
    lines.extend("• " + escape_line(reason) for reason in message.reasons)
    return "\n".join(lines)


def _mention_blocks(
    mentions: tuple[MentionRef, ...], zone: str, *, buttons: bool = True
) -> list[Block]:
    blocks: list[Block] = []
    for index, mention in enumerate(mentions[:MAX_MENTIONS], start=1):
        excerpt = escape_line(mention.excerpt, limit=FIELD_LIMIT)
        meta = [escape_line(mention.source, limit=100)]
        if mention.author:
            meta.append(escape_line(mention.author, limit=100))
        if mention.published is not None:
            meta.append(format_time(mention.published, zone))
        if mention.url:
            meta.append(link(mention.url, "link"))
        if mention.reply_due is not None:
            meta.append(f"reply due {format_time(mention.reply_due, zone)}")
        title = "*Top mentions*\n" if index == 1 else ""
        block = _section(f"{title}{index}. {excerpt}\n— {' · '.join(meta)}")
        if buttons and mention.mention_id and mention.reply_due is not None:
            block["accessory"] = _button("Replied", "replied", mention.mention_id[:2000], None)
        blocks.append(block)
    return blocks


def _playbook_blocks(message: AlertMessage) -> list[Block]:
    blocks: list[Block] = []
    if message.sla:
        blocks.append(_section("*SLA*\n" + "\n".join("• " + escape_line(s) for s in message.sla)))
    if message.checklist:
        items = "\n".join("☐ " + escape_line(item) for item in message.checklist)
        blocks.append(_section("*Checklist*\n" + items))
    for script in message.scripts:
        head = f"*Approved script* {escape_line(script.id, limit=80)} ({escape_line(script.lang)})"
        blocks.append(_section(head + "\n" + escape_mrkdwn(script.text, limit=SCRIPT_LIMIT)))
    return blocks


def _context(message: AlertMessage) -> Block:
    parts = [f"{reference_label(message)} {escape_line(message.incident_id, limit=200)}"]
    parts.append(format_time(message.created_at, message.timezone))
    if message.dashboard_url:
        parts.append(link(message.dashboard_url, "Open in dashboard"))
    text = fit(" · ".join(parts), CONTEXT_LIMIT)
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _actions(message: AlertMessage) -> Block | None:
    if message.status in _CLOSED or message.event == "digest":
        return None
    value = message.incident_id[:2000]
    buttons: list[Block] = []
    if message.status != "acknowledged":
        buttons.append(_button("Acknowledge", "acknowledge", value, "primary"))
    buttons.append(_button("Escalate", "escalate", value, None))
    buttons.append(_button("Record response", "respond", value, None))
    buttons.append(_button("Resolve", "resolve", value, "danger"))
    return {"type": "actions", "block_id": "cw_actions", "elements": buttons}


def _button(label: str, action: str, value: str, style: str | None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": ACTION_IDS[action],
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _digest_blocks(message: AlertMessage) -> list[Block]:
    blocks: list[Block] = [_header(message), *_people_blocks(message)]
    intro = [f"*{escape_line(message.title)}*"]
    intro.extend("• " + escape_line(r) for r in message.reasons)
    blocks.append(_section("\n".join(intro)))
    lines = []
    for entry in message.members[:MAX_DIGEST_LINES]:
        parts = [f"*{escape_line(entry.grade.upper())}*", escape_line(entry.entity, limit=80)]
        if entry.category:
            parts.append(escape_line(entry.category, limit=60))
        title = escape_line(entry.title, limit=120)
        lines.append(f"• {' · '.join(parts)} — {title} ({escape_line(entry.incident_id)})")
    hidden = len(message.members) - MAX_DIGEST_LINES
    if hidden > 0:
        lines.append(f"… and {hidden} more")
    blocks.extend(_section(chunk) for chunk in _chunks(lines, SECTION_LIMIT))
    blocks.append(_context(message))
    return blocks


def _chunks(lines: list[str], limit: int) -> list[str]:
    """Group lines into texts of at most ``limit`` chars (a single longer line is fitted)."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        current = fit(line, limit)
    if current:
        chunks.append(current)
    return chunks


def _limit_blocks(blocks: list[Block]) -> list[Block]:
    """Keep at most MAX_BLOCKS, always keeping the trailing context and actions blocks."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    tail = [b for b in blocks[-2:] if b["type"] in ("context", "actions")]
    head = blocks[: len(blocks) - len(tail)]
    marker: Block = {"type": "context", "elements": [{"type": "mrkdwn", "text": TRUNCATION_MARKER}]}
    keep = MAX_BLOCKS - len(tail) - 1
    return [*head[:keep], marker, *tail]
