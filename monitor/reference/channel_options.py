"""What each alert channel kind's options mean, for the generated configuration reference.

The option names come from the channel registry (alerts/registry.py); this table only adds the
words. tests/test_docs_configuration_reference.py checks that it describes exactly the
registered options of every kind, so an option added to a channel must be described here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class OptionDoc:
    """One option: its type and default in Markdown, and what it does."""

    type: str
    default: str
    text: str


ENV = "environment variable name"
NONE = "none"

CHANNEL_KIND_NOTES: Final[dict[str, str]] = {
    "slack": "Setting up the Slack app, scopes and buttons: [chat-setup.md](chat-setup.md#slack).",
    "dingtalk": "Creating the robot: [chat-setup.md](chat-setup.md#dingtalk-钉钉).",
    "wecom": "Creating the robot: [chat-setup.md](chat-setup.md#wecom-企业微信).",
    "feishu": "Creating the robot: [chat-setup.md](chat-setup.md#feishu--lark-飞书).",
    "webhook": "Payload and signature verification: the README's *Generic webhook: payload and "
    "signature* section.",
    "email": "Threading and retries: [chat-setup.md](chat-setup.md#email).",
}

_TIMEOUT = OptionDoc("number (>= 0.1)", "`10`", "Seconds to wait for each request.")

CHANNEL_OPTION_DOCS: Final[dict[str, dict[str, OptionDoc]]] = {
    "slack": {
        "channel": OptionDoc(
            "string",
            NONE,
            "Channel name (`#risk-alerts`) or ID (`C0123...`) to post to. Required in bot mode; "
            "in webhook mode only a label for messages (default `incoming-webhook`).",
        ),
        "mode": OptionDoc(
            "one of: `bot`, `webhook`",
            "`bot`",
            "`bot`: Web API, one thread per incident, root message updated, buttons. "
            "`webhook`: incoming webhook, every event a separate message.",
        ),
        "token_env": OptionDoc(ENV, "`SLACK_BOT_TOKEN`", "Holds the bot token (`xoxb-...`)."),
        "webhook_url_env": OptionDoc(
            ENV, NONE, "Holds the incoming-webhook URL; required in webhook mode."
        ),
        "base_url": OptionDoc(
            "string", "Slack's", "Web API base URL (for tests against a local server)."
        ),
        "timeout": OptionDoc("integer (>= 1)", "`10`", "Seconds to wait for each request."),
        "rate_limit_retries": OptionDoc(
            "integer (>= 0)",
            "`1`",
            "Times a rate-limited (HTTP 429) request is retried within the same delivery.",
        ),
        "max_inline_wait": OptionDoc(
            "number (>= 0)",
            "`5`",
            "Longest `Retry-After` (seconds) waited out within the delivery; a longer one "
            "reschedules the alert instead.",
        ),
        "update_root": OptionDoc(
            "boolean",
            "`true`",
            "Bot mode: after each thread reply, update the incident's root message to its "
            "current status.",
        ),
        "broadcast_events": OptionDoc(
            "list of string",
            "`[escalated, grade_changed, reopened]`",
            "Bot mode: events whose thread replies are also shown in the channel.",
        ),
    },
    "webhook": {
        "url_env": OptionDoc(ENV, NONE, "Holds the receiver's URL."),
        "secret_env": OptionDoc(ENV, NONE, "Holds the HMAC-SHA256 signing secret."),
        "timeout": _TIMEOUT,
    },
    "dingtalk": {
        "url_env": OptionDoc(
            ENV,
            NONE,
            "Holds the robot URL (`https://oapi.dingtalk.com/robot/send?access_token=...`).",
        ),
        "secret_env": OptionDoc(
            ENV, NONE, "Holds the signing secret (`SEC...`) of a robot secured with 加签."
        ),
        "timeout": _TIMEOUT,
        "max_bytes": OptionDoc(
            "integer (>= 200)", "`20000`", "Longest message text in bytes (at most 20000)."
        ),
    },
    "wecom": {
        "url_env": OptionDoc(
            ENV,
            NONE,
            "Holds the robot URL (`https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...`).",
        ),
        "timeout": _TIMEOUT,
        "max_bytes": OptionDoc(
            "integer (>= 200)", "`4096`", "Longest message text in bytes (at most 4096)."
        ),
    },
    "feishu": {
        "url_env": OptionDoc(
            ENV, NONE, "Holds the bot URL (`https://open.feishu.cn/open-apis/bot/v2/hook/...`)."
        ),
        "secret_env": OptionDoc(
            ENV, NONE, "Holds the secret of a bot with signature verification (签名校验) on."
        ),
        "timeout": _TIMEOUT,
        "max_bytes": OptionDoc(
            "integer (>= 1000)", "`20000`", "Largest request body in bytes (at most 20000)."
        ),
    },
    "email": {
        "host": OptionDoc("string", NONE, "SMTP server."),
        "from_addr": OptionDoc("string", NONE, "Sender address."),
        "to": OptionDoc(
            "list of string", NONE, "Recipients (a comma-separated string is accepted too)."
        ),
        "port": OptionDoc(
            "integer (>= 1)",
            "`587`, `465` with `ssl`, `25` with `none`",
            "SMTP port.",
        ),
        "security": OptionDoc(
            "one of: `starttls`, `ssl`, `none`",
            "`starttls`",
            "`starttls` upgrades a plain connection, `ssl` connects with TLS, `none` is for a "
            "local relay.",
        ),
        "username_env": OptionDoc(ENV, NONE, "Holds the SMTP user name (give both or neither)."),
        "password_env": OptionDoc(ENV, NONE, "Holds the SMTP password (give both or neither)."),
        "timeout": OptionDoc("number (>= 0.1)", "`20`", "Seconds to wait for the server."),
        "ca_file": OptionDoc(
            "path",
            "the system's trusted certificates",
            "CA bundle that signs the server's certificate (relative to the current directory).",
        ),
        "subject_prefix": OptionDoc(
            "string", "`'[crisiswatch]'`", "Put before every subject; `''` for none."
        ),
        "msgid_domain": OptionDoc(
            "string", "the domain of `from_addr`", "Domain of the Message-IDs crisiswatch sets."
        ),
    },
    "console": {
        "stream": OptionDoc(
            "one of: `stdout`, `stderr`", "`stdout`", "Where the readable text is written."
        ),
    },
    "file": {
        "path": OptionDoc(
            "path",
            NONE,
            "File that gets one JSON line (webhook payload version 1) per alert; relative to "
            "the current directory; missing folders are created.",
        ),
        "fsync": OptionDoc("boolean", "`false`", "Flush to disk after every line."),
    },
}
