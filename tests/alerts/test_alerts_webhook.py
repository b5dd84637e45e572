"""Generic webhook: payload, signature (verified by the README snippet), status handling."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from alerts.errors import DeliveryError
from alerts.message import AlertMessage, DigestEntry
from alerts.registry import build_channel
from alerts.testing import FakeResponse, WebhookRecorder

MessageFactory = Callable[..., AlertMessage]
README = Path(__file__).resolve().parents[2] / "alerts" / "README_webhook.md"
SECRET = "s3cret-for-tests"
NOW = 1_714_552_202.5


def channel_for(server: WebhookRecorder) -> Any:
    return build_channel(
        name="ops-webhook",
        kind="webhook",
        options={"url_env": "HOOK_URL", "secret_env": "HOOK_SECRET"},
        environ={"HOOK_URL": server.url + "/hooks/cw", "HOOK_SECRET": SECRET},
        clock=lambda: NOW,
    )


def readme_verifier() -> Callable[..., bool]:
    """Execute the README's python block verbatim and return its verification function."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, "README_webhook.md must hold exactly one python block"
    namespace: dict[str, Any] = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)  # noqa: S102 - our own README
    verifier = namespace["verify_crisiswatch_signature"]
    assert callable(verifier)
    return verifier  # type: ignore[no-any-return]


def test_payload_and_headers(recorder: WebhookRecorder, hostile_factory: MessageFactory) -> None:
    message = hostile_factory()
    result = channel_for(recorder).send(message=message, thread=None)
    (request,) = recorder.requests
    assert request.method == "POST" and request.path == "/hooks/cw"
    assert request.header("Content-Type") == "application/json; charset=utf-8"
    assert request.header("X-Crisiswatch-Timestamp") == "1714552202"
    assert request.header("X-Crisiswatch-Delivery") == message.dedup_key == result.remote_id
    payload = json.loads(request.body)
    assert payload["version"] == 1 and payload["event"] == "opened"
    assert payload["id"] == message.dedup_key
    assert payload["sent_at"] == "2024-05-01T08:30:02.500000Z"
    incident = payload["incident"]
    assert incident["id"] == "inc-0007" and incident["grade"] == "high"
    assert incident["likelihood"] == 4 and incident["created_at"] == "2024-05-01T08:30:00Z"
    assert "\u202e" not in request.body.decode("utf-8")
    assert "<!channel>" in incident["title"]  # JSON is data: cleaned, not escaped
    assert set(incident) >= {"reasons", "sla", "checklist", "scripts", "top_mentions", "status"}


def test_signature_matches_independent_computation(
    recorder: WebhookRecorder, message_factory: MessageFactory
) -> None:
    channel_for(recorder).send(message=message_factory(), thread=None)
    (request,) = recorder.requests
    signed = b"1714552202." + request.body
    expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert request.header("X-Crisiswatch-Signature") == f"sha256={expected}"


def test_readme_snippet_verifies_a_real_request(
    recorder: WebhookRecorder, message_factory: MessageFactory
) -> None:
    verify = readme_verifier()
    channel_for(recorder).send(message=message_factory(), thread=None)
    (request,) = recorder.requests
    ts = request.header("X-Crisiswatch-Timestamp") or ""
    sig = request.header("X-Crisiswatch-Signature") or ""
    assert verify(SECRET, request.body, ts, sig, now=NOW + 10) is True
    assert verify(SECRET, request.body + b" ", ts, sig, now=NOW) is False
    assert verify("wrong-secret", request.body, ts, sig, now=NOW) is False
    assert verify(SECRET, request.body, ts, sig, now=NOW + 3600) is False  # replayed later
    assert verify(SECRET, request.body, "not-a-number", sig, now=NOW) is False
    assert verify(SECRET, request.body, ts, "sha256=\u00e9", now=NOW) is False


def test_digest_payload_lists_members(
    recorder: WebhookRecorder, message_factory: MessageFactory
) -> None:
    members = (DigestEntry(incident_id="a", title="t", grade="low", entity="e"),)
    channel_for(recorder).send(
        message=message_factory(event="digest", members=members), thread=None
    )
    payload = json.loads(recorder.requests[0].body)
    assert payload["members"] == [
        {"incident_id": "a", "title": "t", "grade": "low", "entity": "e", "category": None}
    ]


@pytest.mark.parametrize(
    ("response", "retryable", "retry_after"),
    [
        (FakeResponse(429, "slow down", {"Retry-After": "12"}), True, 12.0),
        (FakeResponse(503, "busy"), True, None),
        (FakeResponse(500, "boom"), True, None),
        (FakeResponse(400, "bad"), False, None),
        (FakeResponse(404, "gone"), False, None),
        (FakeResponse(301, "moved", {"Location": "http://127.0.0.1:1/"}), False, None),
    ],
)
def test_status_mapping(
    recorder: WebhookRecorder,
    message_factory: MessageFactory,
    response: FakeResponse,
    retryable: bool,
    retry_after: float | None,
) -> None:
    recorder.program(None, response)
    with pytest.raises(DeliveryError) as info:
        channel_for(recorder).send(message=message_factory(), thread=None)
    assert info.value.retryable is retryable
    assert info.value.retry_after == retry_after
    assert f"HTTP {response.status}" in str(info.value) or response.status == 429
    assert "ops-webhook" in str(info.value) and "127.0.0.1" not in str(info.value)


def test_http_date_retry_after(recorder: WebhookRecorder, message_factory: MessageFactory) -> None:
    recorder.program(None, FakeResponse(429, "x", {"Retry-After": "Wed, 01 May 2024 08:31:02 GMT"}))
    with pytest.raises(DeliveryError) as info:
        channel_for(recorder).send(message=message_factory(), thread=None)
    assert info.value.retry_after == pytest.approx(59.5)


def test_connection_refused_is_retryable(message_factory: MessageFactory) -> None:
    with WebhookRecorder() as server:
        channel = channel_for(server)
    with pytest.raises(DeliveryError) as info:
        channel.send(message=message_factory(), thread=None)
    assert info.value.retryable is True and "connection failed" in info.value.reason
