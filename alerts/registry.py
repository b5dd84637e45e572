"""The explicit registry of channel kinds and the one place channels are built.

Options are checked against each kind's declared ``required_options`` / ``optional_options``
before the channel is constructed (ElastAlert2 style, but typed); secrets are never option
values, only names of environment variables (``token_env``, ``secret_env``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from alerts.channel import Channel, Clock, system_clock
from alerts.channel_dingtalk import DingTalkChannel
from alerts.channel_email import EmailChannel
from alerts.channel_feishu import FeishuChannel
from alerts.channel_local import ConsoleChannel, FileChannel
from alerts.channel_slack import SlackChannel
from alerts.channel_webhook import WebhookChannel
from alerts.channel_wecom import WeComChannel
from alerts.errors import ChannelConfigError

CHANNEL_KINDS: Final[dict[str, type[Channel]]] = {
    "slack": SlackChannel,
    "webhook": WebhookChannel,
    "dingtalk": DingTalkChannel,
    "wecom": WeComChannel,
    "feishu": FeishuChannel,
    "email": EmailChannel,
    "console": ConsoleChannel,
    "file": FileChannel,
}


def check_options(*, name: str, kind: str, options: Mapping[str, Any]) -> type[Channel]:
    """Return the channel class after checking the kind and option names (not values)."""
    cls = CHANNEL_KINDS.get(kind)
    if cls is None:
        known = ", ".join(sorted(CHANNEL_KINDS))
        raise ChannelConfigError(name, kind, f"unknown channel kind (expected one of: {known})")
    allowed = set(cls.required_options) | set(cls.optional_options)
    for key in options:
        if key not in allowed:
            expected = ", ".join(sorted(allowed)) or "none"
            raise ChannelConfigError(
                name, kind, f"unknown option {key!r} (expected one of: {expected})"
            )
    missing = cls.missing_options(options)
    if missing:
        raise ChannelConfigError(name, kind, f"missing option {missing[0]!r}")
    return cls


def build_channel(
    *,
    name: str,
    kind: str,
    options: Mapping[str, Any],
    environ: Mapping[str, str],
    clock: Clock | None = None,
) -> Channel:
    """Check options and build one channel; ChannelConfigError names channel and problem."""
    cls = check_options(name=name, kind=kind, options=options)
    return cls.from_options(
        name=name, options=options, environ=environ, clock=clock or system_clock
    )
