"""The digest as JSON: every figure of the tree, times in ISO 8601 UTC, durations in seconds."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import date, datetime
from typing import Any

from monitor.digest.model import Digest


def to_plain(value: Any) -> Any:
    """Dataclasses, tuples, dates and floats as JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def render_json(digest: Digest) -> str:
    """Pretty-printed JSON (UTF-8 text, Chinese kept as is)."""
    return json.dumps(to_plain(digest), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
