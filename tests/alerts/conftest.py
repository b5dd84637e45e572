"""Shared fixtures for the alerts tests: message builders, hostile text and local servers.

(The suite runs with --import-mode=importlib, so helpers are fixtures, not imports.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from alerts.message import AlertMessage, MentionRef, ScriptRef
from alerts.testing import FakeSlackServer, WebhookRecorder

T0 = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
T0_EPOCH = T0.timestamp()

HOSTILE = (
    "<!channel> <@U123> <https://evil.example|click> &lt; *bold* _x_ ~y~ `code` "
    "\u202eevil\u202c \u2066iso\u2069 bell\x07 esc\x1b[31m"
)


def make_message(**overrides: Any) -> AlertMessage:
    """A realistic "opened" message; keyword overrides replace fields."""
    base = AlertMessage(
        incident_id="inc-0007",
        event="opened",
        title="Battery overheating reports spreading",
        grade="high",
        entity="Acme Phone X",
        category="product_safety",
        likelihood=4,
        impact=4,
        reasons=("likelihood 4: 87% negative, 6x baseline volume", "impact 4: tier-1 news"),
        top_mentions=(
            MentionRef(
                excerpt="My phone got so hot it burned my hand",
                source="weibo",
                url="https://weibo.example/1",
                author="user1",
                published=datetime(2024, 5, 1, 8, 12, tzinfo=UTC),
            ),
            MentionRef(excerpt="Second report", source="news", url="https://news.example/2"),
            MentionRef(excerpt="Third report", source="forum", url=None),
            MentionRef(excerpt="Fourth (never shown)", source="forum", url=None),
        ),
        status="open",
        sla=("acknowledge within 15m", "first public response within 2h"),
        checklist=("Confirm the facts with the product team", "Brief customer service"),
        scripts=(ScriptRef(id="holding", lang="en", text="We are aware of reports and ..."),),
        escalation_level=0,
        drill=False,
        note=None,
        dashboard_url="https://crisiswatch.example/incidents/inc-0007",
        created_at=T0,
    )
    return replace(base, **overrides)


def hostile_message(**overrides: Any) -> AlertMessage:
    """Every outside text field filled with hostile text."""
    mention = MentionRef(
        excerpt=HOSTILE, source=HOSTILE, url="https://ok.example/a?b=1&c=<x>|y", author=HOSTILE
    )
    fields: dict[str, Any] = {
        "title": HOSTILE,
        "entity": HOSTILE,
        "category": HOSTILE,
        "reasons": (HOSTILE,),
        "top_mentions": (mention,),
        "sla": (HOSTILE,),
        "checklist": (HOSTILE,),
        "scripts": (ScriptRef(id=HOSTILE, lang="en", text=HOSTILE),),
        "note": HOSTILE,
    }
    fields.update(overrides)
    return make_message(**fields)


@pytest.fixture
def t0() -> datetime:
    """The fixed "now" of the message fixtures."""
    return T0


@pytest.fixture
def hostile() -> str:
    """A string of every trick an outside text can play."""
    return HOSTILE


@pytest.fixture
def message_factory() -> Callable[..., AlertMessage]:
    """Build test messages: ``message_factory(grade="critical")``."""
    return make_message


@pytest.fixture
def hostile_factory() -> Callable[..., AlertMessage]:
    """Build messages whose outside text fields are all hostile."""
    return hostile_message


@pytest.fixture
def slack_server() -> Iterator[FakeSlackServer]:
    """A running fake Slack Web API expecting token xoxb-test-token."""
    with FakeSlackServer(token="xoxb-test-token") as server:
        yield server


@pytest.fixture
def recorder() -> Iterator[WebhookRecorder]:
    """A running webhook recorder answering {"ok": true}."""
    with WebhookRecorder() as server:
        yield server
