"""People in alerts: each channel kind mentions the recipients by their own handle (Slack
``<@U…>``, DingTalk ``at``, WeCom ``<@userid>`` / ``mentioned_mobile_list``, Feishu ``at``
elements, email To:), and outside text never becomes a mention on any of them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from alerts.message import AlertMessage, MentionRef, Recipient
from alerts.registry import build_channel
from alerts.render_html import render_html
from alerts.render_markdown import render_post
from alerts.render_slack import fallback_text, reply_blocks, root_blocks
from alerts.render_text import render_text
from alerts.testing import FakeResponse, WebhookRecorder

MessageFactory = Callable[..., AlertMessage]
TRICKS = '<@U123> <!channel> <!here> @all @13900000000 <at user_id="all">Bob</at> <@wangwei>'
LI = Recipient(
    name="Li Na",
    slack="U111",
    email="li.na@example.com",
    dingtalk="13800000000",
    wecom="13800000000",
    feishu="ou_li",
)
WANG = Recipient(
    name="Wang <b>Wei</b>",
    slack="not-an-id",
    dingtalk="wangwei",
    wecom="wangwei",
    email="bad address>@x",
)
NOBODY = Recipient(name="Zhao Lei")


def robot(kind: str, url: str = "http://127.0.0.1:9/robot") -> Any:
    return build_channel(
        name=f"{kind}-ops",
        kind=kind,
        options={"url_env": "U"},
        environ={"U": url},
        clock=lambda: 1_714_552_202.0,
    )


def tricky(factory: MessageFactory, **fields: Any) -> AlertMessage:
    mention = MentionRef(excerpt=TRICKS, source=TRICKS, author=TRICKS, url=None)
    return factory(
        title=TRICKS,
        note=TRICKS,
        top_mentions=(mention,),
        reasons=(TRICKS,),
        checklist=(TRICKS,),
        recipients=(LI, WANG, NOBODY),
        paging=(f"no one on call for {TRICKS}: sent to risk-slack",),
        **fields,
    )


def test_slack_mentions_configured_member_ids_only(message_factory: MessageFactory) -> None:
    message = tricky(message_factory)
    for blocks in (root_blocks(message), reply_blocks(message)):
        text = json.dumps(blocks, ensure_ascii=False)
        assert text.count("<@") == 1 and "<@U111>" in text
        assert "<!" not in text and "&lt;@U123&gt;" in text and "&lt;!channel&gt;" in text
        assert "For:* <@U111> Wang &lt;b&gt;Wei&lt;/b&gt; Zhao Lei" in text
        assert ":warning: no one on call for" in text
    fallback = fallback_text(message)
    assert fallback.startswith("<@U111> Wang") and fallback.count("<@") == 1


def test_dingtalk_at_field_names_configured_handles_only(message_factory: MessageFactory) -> None:
    body = json.loads(robot("dingtalk").build_body(tricky(message_factory)))
    assert body["at"] == {"atMobiles": ["13800000000"], "atUserIds": ["wangwei"], "isAtAll": False}
    text = body["markdown"]["text"]
    assert "@13800000000 @wangwei Zhao Lei" in text
    assert "@all" not in text and "@139" not in text and "＠all" in text
    assert "<@" not in text and "<!" not in text and "<at" not in text


def test_wecom_mentions_user_ids_in_markdown_and_mobiles_in_a_text_message(
    message_factory: MessageFactory,
) -> None:
    channel = robot("wecom")
    first, second = (json.loads(b) for b in channel.build_bodies(tricky(message_factory)))
    content = first["markdown"]["content"]
    assert content.count("<@") == 1 and "Li Na <@wangwei> Zhao Lei" in content
    assert "@all" not in content and "<at" not in content
    assert second["msgtype"] == "text"
    assert second["text"]["mentioned_mobile_list"] == ["13800000000"]
    assert "mentioned_list" not in second["text"]
    plain = json.loads(channel.build_bodies(message_factory())[0])  # nobody: one message
    assert len(channel.build_bodies(message_factory())) == 1 and "<@" not in json.dumps(plain)


def test_wecom_sends_the_mention_message_after_the_alert(message_factory: MessageFactory) -> None:
    with WebhookRecorder(FakeResponse(200, {"errcode": 0, "errmsg": "ok"})) as server:
        result = robot("wecom", server.url + "/send").send(
            message=message_factory(recipients=(LI,)), thread=None
        )
        kinds = [json.loads(r.body)["msgtype"] for r in server.requests]
    assert kinds == ["markdown", "text"] and result.warnings == ()


def test_feishu_mentions_are_at_elements_and_text_is_inert(message_factory: MessageFactory) -> None:
    post = render_post(tricky(message_factory))
    paragraphs = post["zh_cn"]["content"]
    assert paragraphs[1] == [
        {"tag": "text", "text": "For: "},
        {"tag": "at", "user_id": "ou_li", "user_name": "Li Na"},
        {"tag": "text", "text": " "},
        {"tag": "text", "text": "Wang <b>Wei</b>"},
        {"tag": "text", "text": " "},
        {"tag": "text", "text": "Zhao Lei"},
    ]
    ats = [e for p in paragraphs for e in p if e["tag"] == "at"]
    assert ats == [{"tag": "at", "user_id": "ou_li", "user_name": "Li Na"}]
    texts = " ".join(e.get("text", "") for p in paragraphs for e in p)
    assert "<at" not in texts and '＜at user_id="all"' in texts


def test_email_adds_the_recipients_valid_addresses(message_factory: MessageFactory) -> None:
    channel = build_channel(
        name="mail",
        kind="email",
        options={"host": "127.0.0.1", "from_addr": "cw@alerts.example", "to": ["risk@x.example"]},
        environ={},
        clock=lambda: 1_714_552_202.0,
    )
    mail = channel.build(message=tricky(message_factory), thread=None)
    assert mail["To"] == "risk@x.example, li.na@example.com"  # the bad address is left out
    html = render_html(tricky(message_factory))
    assert "<at " not in html and "&lt;at user_id" in html and "Wang &lt;b&gt;Wei" in html
    text = render_text(tricky(message_factory))
    assert "For:\nLi Na, Wang <b>Wei</b>, Zhao Lei" in text
    assert "Paging:\n  - no one on call for" in text


@pytest.mark.parametrize("kind", ["dingtalk", "wecom", "feishu"])
def test_no_recipients_no_mentions(kind: str, message_factory: MessageFactory) -> None:
    body = robot(kind).build_body(message_factory()).decode()
    assert '"at"' not in body and "<@" not in body and "For" not in body


def test_a_grouped_alert_still_mentions_everyone_its_members_did(
    message_factory: MessageFactory,
) -> None:
    from datetime import UTC, datetime, timedelta

    from alerts.grouping import GroupingPolicy, PendingAlert, build_digest

    t0 = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    alerts = [
        PendingAlert("a", message_factory(incident_id="1", recipients=(LI,)), t0),
        PendingAlert(
            "b",
            message_factory(
                incident_id="2",
                recipients=(LI, NOBODY),
                paging=("no one on call for x: sent to y",),
            ),
            t0,
        ),
        PendingAlert("c", message_factory(incident_id="3"), t0 + timedelta(seconds=1)),
    ]
    digest = build_digest(alerts, now=t0, policy=GroupingPolicy())
    assert digest.recipients == (LI, NOBODY)
    assert digest.paging == ("no one on call for x: sent to y",)
    assert "<@U111>" in json.dumps(root_blocks(digest))
    assert "For:\nLi Na, Zhao Lei" in render_text(digest)
