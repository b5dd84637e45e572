"""How each kind of channel mentions a person: the handle checks every renderer shares.

Handles come from configuration (``people[].contacts``), never from outside text; they are
checked again here, so that a handle that does not look like one (a typo, a stray ``>``) is
shown as the person's name instead of becoming markup. Outside text cannot mention anyone:
each renderer escapes it (see render_slack.escape_mrkdwn, render_markdown.escape_markdown).
"""

from __future__ import annotations

import re
from typing import Final, Literal

from alerts.message import AlertMessage, Recipient
from alerts.sanitize import clean_text, truncate

_SLACK_ID: Final = re.compile(r"[UW][A-Z0-9]{2,20}", re.ASCII)
_MOBILE: Final = re.compile(r"\+?[0-9][0-9-]{4,19}", re.ASCII)
_USER_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", re.ASCII)
_EMAIL: Final = re.compile(
    r"[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,63}", re.ASCII
)

RobotHandle = tuple[Literal["mobile", "user"], str]


def person_name(recipient: Recipient) -> str:
    """The person's name as one clean line (escape it for the format before showing it)."""
    return truncate(clean_text(recipient.name, single_line=True), 100) or "?"


def slack_id(recipient: Recipient) -> str | None:
    """The Slack member id, when it is one (``<@ID>`` mentions it)."""
    value = recipient.handle("slack")
    return value if value is not None and _SLACK_ID.fullmatch(value) else None


def robot_handle(recipient: Recipient, kind: Literal["dingtalk", "wecom"]) -> RobotHandle | None:
    """A DingTalk/WeCom handle: ``("mobile", "138...")`` or ``("user", "lina")``; else None."""
    value = recipient.handle(kind)
    if value is None:
        return None
    if _MOBILE.fullmatch(value):
        return "mobile", value
    return ("user", value) if _USER_ID.fullmatch(value) else None


def feishu_id(recipient: Recipient) -> str | None:
    """The Feishu/Lark open id or user id, when it is one."""
    value = recipient.handle("feishu")
    return value if value is not None and _USER_ID.fullmatch(value) else None


def email_address(recipient: Recipient) -> str | None:
    """The person's address, when it is a plain address safe in a To: header."""
    value = recipient.handle("email")
    return value if value is not None and _EMAIL.fullmatch(value) else None


def recipient_names(message: AlertMessage) -> str:
    """``Li Na, Wang Wei``: who the alert is for, as one clean line."""
    return ", ".join(person_name(r) for r in message.recipients)
