"""DingTalk, WeCom and Feishu robots: documented payload formats, signatures, limits, errors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest

from alerts.errors import DeliveryError
from alerts.message import AlertMessage
from alerts.registry import build_channel
from alerts.sanitize import TRUNCATION_MARKER
from alerts.testing import FakeResponse, WebhookRecorder

MessageFactory = Callable[..., AlertMessage]
NOW = 1_714_552_202.75
SECRET = "SECtest0123456789abcdef"


def robot(kind: str, server: WebhookRecorder, *, secret: bool, **options: Any) -> Any:
    env = {"ROBOT_URL": server.url + "/robot/send?access_token=tok123", "ROBOT_SECRET": SECRET}
    opts: dict[str, Any] = {"url_env": "ROBOT_URL", **options}
    if secret:
        opts["secret_env"] = "ROBOT_SECRET"
    return build_channel(
        name=f"{kind}-ops", kind=kind, options=opts, environ=env, clock=lambda: NOW
    )


@pytest.fixture
def dingtalk_server() -> Any:
    with WebhookRecorder(FakeResponse(200, {"errcode": 0, "errmsg": "ok"})) as server:
        yield server


@pytest.fixture
def feishu_server() -> Any:
    with WebhookRecorder(FakeResponse(200, {"code": 0, "msg": "success", "data": {}})) as server:
        yield server


# -- DingTalk ---------------------------------------------------------------------------------


def test_dingtalk_signed_markdown(
    dingtalk_server: WebhookRecorder, hostile_factory: MessageFactory
) -> None:
    robot("dingtalk", dingtalk_server, secret=True).send(message=hostile_factory(), thread=None)
    (request,) = dingtalk_server.requests
    assert request.path == "/robot/send"
    ts = "1714552202750"
    string_to_sign = f"{ts}\n{SECRET}".encode()
    digest = hmac.new(SECRET.encode(), string_to_sign, hashlib.sha256).digest()
    expected_sign = base64.b64encode(digest).decode()
    # parse_qsl undoes the URL encoding, so the decoded value is the raw base64 signature
    assert request.query == {"access_token": "tok123", "timestamp": ts, "sign": expected_sign}
    body = json.loads(request.body)
    assert body["msgtype"] == "markdown"
    assert set(body["markdown"]) == {"title", "text"}
    text = body["markdown"]["text"]
    assert text.startswith("### HIGH") and "<" not in body["markdown"]["title"]
    for bad in ("<!channel>", "<@U123>", "\u202e", "*bold*"):
        assert bad not in text
    assert "at" not in body  # never @-mentions anyone


def test_dingtalk_sign_is_url_encoded_on_the_wire(
    dingtalk_server: WebhookRecorder, message_factory: MessageFactory
) -> None:
    channel = robot("dingtalk", dingtalk_server, secret=True)
    url, _ = channel.build_request(message_factory())
    sign = url.split("&sign=")[1]
    digest = hmac.new(SECRET.encode(), f"1714552202750\n{SECRET}".encode(), hashlib.sha256)
    assert sign == urllib.parse.quote_plus(base64.b64encode(digest.digest()).decode())
    assert "+" not in sign and "/" not in sign and "=" not in sign


def test_dingtalk_unsigned_and_limit(
    dingtalk_server: WebhookRecorder, message_factory: MessageFactory
) -> None:
    from alerts.message import ScriptRef

    scripts = tuple(ScriptRef(id=f"s{i}", lang="zh", text="很长的说明" * 500) for i in range(6))
    channel = robot("dingtalk", dingtalk_server, secret=False)
    channel.send(message=message_factory(scripts=scripts), thread=None)
    (request,) = dingtalk_server.requests
    assert request.query == {"access_token": "tok123"}
    text = json.loads(request.body)["markdown"]["text"]
    assert len(text.encode("utf-8")) <= 20_000
    assert text.endswith(TRUNCATION_MARKER)


@pytest.mark.parametrize(
    ("answer", "retryable"),
    [
        ({"errcode": 310000, "errmsg": "sign not match"}, False),
        ({"errcode": 300001, "errmsg": "token is not exist"}, False),
        ({"errcode": 130101, "errmsg": "send too fast"}, True),
    ],
)
def test_dingtalk_errcode(
    dingtalk_server: WebhookRecorder,
    message_factory: MessageFactory,
    answer: dict[str, Any],
    retryable: bool,
) -> None:
    dingtalk_server.program(None, FakeResponse(200, answer))
    with pytest.raises(DeliveryError) as info:
        robot("dingtalk", dingtalk_server, secret=True).send(message=message_factory(), thread=None)
    assert info.value.retryable is retryable
    assert f"error {answer['errcode']}" in str(info.value)
    assert "tok123" not in str(info.value) and SECRET not in str(info.value)


# -- WeCom ------------------------------------------------------------------------------------


def test_wecom_markdown_format_and_limit(
    dingtalk_server: WebhookRecorder, hostile_factory: MessageFactory
) -> None:
    channel = robot("wecom", dingtalk_server, secret=False)
    channel.send(message=hostile_factory(note="<@all> 很长" * 2000), thread=None)
    (request,) = dingtalk_server.requests
    body = json.loads(request.body)
    assert set(body) == {"msgtype", "markdown"} and body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096 and content.endswith(TRUNCATION_MARKER)
    assert "<@" not in content and "<font" not in content


def test_wecom_rate_limit_is_retryable(
    dingtalk_server: WebhookRecorder, message_factory: MessageFactory
) -> None:
    dingtalk_server.program(None, FakeResponse(200, {"errcode": 45009, "errmsg": "freq"}))
    with pytest.raises(DeliveryError) as info:
        robot("wecom", dingtalk_server, secret=False).send(message=message_factory(), thread=None)
    assert info.value.retryable is True and info.value.retry_after == 60.0


# -- Feishu -----------------------------------------------------------------------------------


def test_feishu_signed_post(
    feishu_server: WebhookRecorder, hostile_factory: MessageFactory
) -> None:
    robot("feishu", feishu_server, secret=True).send(message=hostile_factory(), thread=None)
    (request,) = feishu_server.requests
    body = json.loads(request.body)
    assert body["timestamp"] == "1714552202"
    key = f"1714552202\n{SECRET}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["sign"] == expected
    assert body["msg_type"] == "post"
    post = body["content"]["post"]["zh_cn"]
    assert post["title"].startswith("HIGH")
    for paragraph in post["content"]:
        for element in paragraph:
            assert element["tag"] in ("text", "a")
            if element["tag"] == "a":
                assert element["href"].startswith("https://")
    assert "\u202e" not in request.body.decode("utf-8")


def test_feishu_unsigned_has_no_sign(
    feishu_server: WebhookRecorder, message_factory: MessageFactory
) -> None:
    robot("feishu", feishu_server, secret=False).send(message=message_factory(), thread=None)
    body = json.loads(feishu_server.requests[0].body)
    assert "sign" not in body and "timestamp" not in body


def test_feishu_body_limit(feishu_server: WebhookRecorder, message_factory: MessageFactory) -> None:
    from alerts.message import ScriptRef

    scripts = tuple(ScriptRef(id=f"s{i}", lang="zh", text="回应口径" * 600) for i in range(12))
    channel = robot("feishu", feishu_server, secret=True)
    channel.send(message=message_factory(scripts=scripts), thread=None)
    request = feishu_server.requests[0]
    assert len(request.body) <= 20_000
    paragraphs = json.loads(request.body)["content"]["post"]["zh_cn"]["content"]
    assert [e["text"] for e in paragraphs[-2]] == [TRUNCATION_MARKER]
    assert paragraphs[-1][0]["text"].startswith("Incident inc-0007")  # footer kept
    assert paragraphs[-1][1]["href"] == "https://crisiswatch.example/incidents/inc-0007"


@pytest.mark.parametrize(
    ("answer", "retryable"),
    [
        ({"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}, False),
        ({"code": 11232, "msg": "frequency limited"}, True),
        ({"StatusCode": 9499, "StatusMessage": "Bad Request"}, False),
    ],
)
def test_feishu_error_codes(
    feishu_server: WebhookRecorder,
    message_factory: MessageFactory,
    answer: dict[str, Any],
    retryable: bool,
) -> None:
    feishu_server.program(None, FakeResponse(200, answer))
    with pytest.raises(DeliveryError) as info:
        robot("feishu", feishu_server, secret=True).send(message=message_factory(), thread=None)
    assert info.value.retryable is retryable


def test_robot_non_json_answer_is_an_error(
    feishu_server: WebhookRecorder, message_factory: MessageFactory
) -> None:
    feishu_server.program(None, FakeResponse(200, "<html>proxy login</html>"))
    with pytest.raises(DeliveryError, match="unexpected non-JSON answer"):
        robot("feishu", feishu_server, secret=False).send(message=message_factory(), thread=None)
