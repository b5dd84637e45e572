"""The versioned JSON payload of the generic webhook and file channels (documented in
alerts/README_webhook.md), and its HMAC-SHA256 signature.

Strings are cleaned (no control or bidi characters) and size-limited but not escaped: JSON is
data, and whoever displays it must escape for their own format.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any, Final

from alerts.message import AlertMessage, MentionRef, as_utc
from alerts.sanitize import clean_text, truncate

PAYLOAD_VERSION: Final = 1
SIGNATURE_HEADER: Final = "X-Crisiswatch-Signature"
TIMESTAMP_HEADER: Final = "X-Crisiswatch-Timestamp"
DELIVERY_HEADER: Final = "X-Crisiswatch-Delivery"
TEXT_CHARS: Final = 4000
EXCERPT_CHARS: Final = 1000


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return as_utc(value).isoformat().replace("+00:00", "Z")


def _text(value: str | None, limit: int = TEXT_CHARS) -> str | None:
    return None if value is None else truncate(clean_text(value), limit)


def _mention(mention: MentionRef) -> dict[str, Any]:
    return {
        "excerpt": _text(mention.excerpt, EXCERPT_CHARS),
        "source": _text(mention.source, 200),
        "url": _text(mention.url, 2000),
        "author": _text(mention.author, 200),
        "published": _iso(mention.published),
    }


def build_payload(message: AlertMessage, *, sent_at: datetime) -> dict[str, Any]:
    """The version-1 payload for one alert."""
    incident: dict[str, Any] = {
        "id": message.incident_id,
        "title": _text(message.title, 500),
        "grade": _text(message.grade, 40),
        "entity": _text(message.entity, 200),
        "category": _text(message.category, 200),
        "story": _text(message.story, 500),
        "likelihood": message.likelihood,
        "impact": message.impact,
        "reasons": [_text(r, 500) for r in message.reasons],
        "status": _text(message.status, 40),
        "escalation_level": message.escalation_level,
        "sla": [_text(s, 500) for s in message.sla],
        "checklist": [_text(c, 500) for c in message.checklist],
        "scripts": [
            {"id": _text(s.id, 200), "lang": _text(s.lang, 20), "text": _text(s.text)}
            for s in message.scripts
        ],
        "top_mentions": [_mention(m) for m in message.top_mentions],
        "note": _text(message.note),
        "dashboard_url": _text(message.dashboard_url, 2000),
        "created_at": _iso(message.created_at),
    }
    payload: dict[str, Any] = {
        "version": PAYLOAD_VERSION,
        "id": message.dedup_key,
        "event": message.event,
        "drill": message.drill,
        "sent_at": _iso(sent_at),
        "incident": incident,
    }
    if message.event == "digest":
        payload["members"] = [
            {
                "incident_id": m.incident_id,
                "title": _text(m.title, 500),
                "grade": _text(m.grade, 40),
                "entity": _text(m.entity, 200),
                "category": _text(m.category, 200),
            }
            for m in message.members
        ]
    return payload


def encode_payload(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON; the exact bytes that are signed and sent."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode(
        "utf-8"
    )


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value: ``sha256=`` + hex HMAC-SHA256 of ``timestamp + "." + body``."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()
