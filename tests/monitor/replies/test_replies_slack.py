"""The "Replied" button: shown on alert mentions awaiting a reply, and a press records the
reply by the person whose Slack member id pressed it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.message import MentionRef
from alerts.render_slack import ACTION_IDS, root_blocks
from alerts.socket_mode import OnAction
from config.loader import load_config
from monitor.alerting.outbox import message_to_payload, payload_to_message
from monitor.alerting.slack_actions import make_on_action
from monitor.app import App, open_app
from monitor.db.models import Incident, Mention, Reply
from monitor.incidents import build_message
from monitor.service.slack import incident_lifecycle_actions, reply_action

NOW = datetime(2026, 11, 27, 16, 10, tzinfo=UTC)
CONFIG = """\
version: 1
organisation: {name: Acme}
entities:
  - {id: acme, name: Acme, kind: brand, aliases: [Acme]}
sources:
  - {id: shop, kind: export, path: shop.csv, tier: 2}
people:
  - {id: bo, name: Bo Chen, contacts: {slack: U0BO}}
"""
SHOP = """\
id,text,date
1,"Acme formula gave my baby a rash, I want a refund now, customer service ignores me",\
2026-11-27T16:00:00Z
"""


@pytest.fixture()
def app(tmp_path: Path) -> Iterator[App]:
    (tmp_path / "shop.csv").write_text(SHOP, encoding="utf-8")
    (tmp_path / "crisiswatch.yaml").write_text(CONFIG, encoding="utf-8")
    config = load_config(tmp_path / "crisiswatch.yaml")
    with open_app(config, database=f"sqlite:///{tmp_path / 'db.sqlite'}", clock=lambda: NOW) as a:
        a.poll_source(a.settings.sources[0])
        yield a


def _on_action(app: App, clock: Callable[[], datetime] = lambda: NOW) -> OnAction:
    actions = replace(incident_lifecycle_actions(app.incidents), replied=reply_action(app.roster))
    return make_on_action(sessions=app.sessions, actions=actions, clock=clock)


def test_a_press_records_the_reply_by_the_person_of_that_slack_member(app: App) -> None:
    with app.sessions() as s:
        mention = s.scalars(select(Mention)).one()
    times = iter([NOW, NOW, NOW + timedelta(minutes=5), NOW + timedelta(minutes=6)])
    on_action = _on_action(app, lambda: next(times))
    for _ in range(2):  # a double press is one reply
        assert on_action("replied", str(mention.id), "U0BO") == (
            f"Reply to mention {mention.id} recorded by bo."
        )
    assert on_action("replied", str(mention.id), "U0XYZ") == (
        f"Reply to mention {mention.id} recorded by slack:U0XYZ."
    )
    with app.sessions() as s:
        replies = [(r.replied_by, r.verified, r.via) for r in s.scalars(select(Reply))]
    assert replies == [("bo", True, "slack"), ("slack:U0XYZ", False, "slack")]
    with pytest.raises(Exception, match="no mention 999"):
        on_action("replied", "999", "U0BO")


def test_alert_mentions_awaiting_a_reply_carry_the_button(app: App) -> None:
    with app.sessions() as s:
        incident = s.scalars(select(Incident)).one()
        message = build_message(s, incident=incident, event="opened", ctx=app.incidents, now=NOW)
    [ref] = message.top_mentions
    assert ref.mention_id is not None and ref.reply_due == datetime(2026, 11, 27, 18, tzinfo=UTC)
    assert payload_to_message(message_to_payload(message)) == message
    blocks = root_blocks(message)
    [button] = [b["accessory"] for b in blocks if "accessory" in b]
    assert (button["action_id"], button["value"]) == (ACTION_IDS["replied"], ref.mention_id)
    assert any("reply due 2026-11-27 18:00 UTC" in str(b) for b in blocks)
    assert not any("accessory" in b for b in root_blocks(message, buttons=False))
    _on_action(app)("replied", ref.mention_id, "U0BO")
    with app.sessions() as s:
        again = build_message(s, incident=incident, event="evidence", ctx=app.incidents, now=NOW)
    assert again.top_mentions == (
        MentionRef(**{**ref.__dict__, "mention_id": None, "reply_due": None}),
    )
