"""Parsing the loosely formatted values found in export files: dates, counts, identifiers."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}

# "Tue Feb 24 11:35:52 +0000 2015" (Twitter API v1.1 created_at)
_TWITTER = re.compile(
    r"[A-Za-z]{3} ([A-Za-z]{3}) (\d{1,2}) (\d{1,2}):(\d{2}):(\d{2}) ([+-]\d{4}) (\d{4})$"
)
# 2020-3-1, 2020/03/01 12:00, 2020.3.1 12:00:05, 2020年3月1日 12:00, 2020年3月1日12时5分
_YMD = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*[T ]?\s*(\d{1,2})\s*[:时]\s*(\d{1,2})"
    r"\s*(?:[:分]\s*(\d{1,2})(?:\.(\d{1,6})\d*)?\s*秒?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2}|UTC|GMT)?$",
    re.IGNORECASE,
)
# Weibo shows this year's posts without the year: "02月24日 07:07", "2-24 07:07"
_MD = re.compile(r"(\d{1,2})\s*[月-]\s*(\d{1,2})\s*日?\s+(\d{1,2}):(\d{2})$")
_AGO = re.compile(
    r"(\d+)\s*(秒|分钟|小时|天|seconds?|minutes?|mins?|hours?|days?)\s*(前|ago)$", re.IGNORECASE
)
_DAY_WORD = re.compile(r"(今天|昨天|前天)\s*(\d{1,2}):(\d{2})$")
_AGO_UNITS = {
    "秒": 1,
    "second": 1,
    "分钟": 60,
    "minute": 60,
    "min": 60,
    "小时": 3600,
    "hour": 3600,
    "天": 86400,
    "day": 86400,
}
_DAY_OFFSETS = {"今天": 0, "昨天": 1, "前天": 2}
_EXCEL_EPOCH = datetime(1899, 12, 30)


def _offset(tz_text: str | None, default: tzinfo) -> tzinfo:
    if not tz_text:
        return default
    if tz_text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if tz_text[0] == "-" else 1
    digits = tz_text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def _from_number(value: float) -> datetime | None:
    if not math.isfinite(value) or value <= 0:
        return None
    if 10_000 <= value < 100_000:  # an Excel serial day number (1927..2173), never a 1970 epoch
        return (_EXCEL_EPOCH + timedelta(days=value)).replace(tzinfo=UTC)
    if 1e8 <= value < 1e11:
        seconds = value
    elif 1e11 <= value < 1e14:
        seconds = value / 1000
    elif 1e14 <= value < 1e17:
        seconds = value / 1_000_000
    else:
        return None
    return datetime.fromtimestamp(seconds, UTC)


def _relative(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    if text in ("刚刚", "just now"):
        return now
    match = _AGO.match(text)
    if match:
        unit = match.group(2).lower().rstrip("s") if match.group(2).isascii() else match.group(2)
        return now - timedelta(seconds=int(match.group(1)) * _AGO_UNITS[unit])
    match = _DAY_WORD.match(text)
    if match:
        local_day = now.astimezone(tz).date() - timedelta(days=_DAY_OFFSETS[match.group(1)])
        clock = time(int(match.group(2)), int(match.group(3)))
        return datetime.combine(local_day, clock, tz)
    match = _MD.match(text)
    if match:
        local_now = now.astimezone(tz)
        month, day = int(match.group(1)), int(match.group(2))
        clock = time(int(match.group(3)), int(match.group(4)))
        guess = datetime.combine(date(local_now.year, month, day), clock, tz)
        if guess > local_now + timedelta(days=1):  # a December post read in January
            guess = guess.replace(year=local_now.year - 1)
        return guess
    return None


def _parse_text(text: str, date_format: str | None, tz: tzinfo, now: datetime) -> datetime | None:
    if date_format:
        try:
            return datetime.strptime(text, date_format)
        except ValueError:
            pass
    if text[:4].isdigit():
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
        if text.replace(".", "", 1).isdigit():
            return _from_number(float(text))
        match = _YMD.match(text)
        if match:
            y, mo, d, h, mi, s, frac, zone = match.groups()
            micro = int(frac.ljust(6, "0")) if frac else 0
            return datetime(
                int(y),
                int(mo),
                int(d),
                int(h or 0),
                int(mi or 0),
                int(s or 0),
                micro,
                tzinfo=_offset(zone, tz),
            )
    match = _TWITTER.match(text)
    if match and match.group(1).lower() in _MONTHS:
        mon, d, h, mi, s, zone, y = match.groups()
        return datetime(
            int(y), _MONTHS[mon.lower()], int(d), int(h), int(mi), int(s), tzinfo=_offset(zone, tz)
        )
    if any(c.isalpha() for c in text[:4]):
        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            pass
    return _relative(text, now, tz)


def parse_datetime(
    raw: Any, *, date_format: str | None = None, tz: tzinfo = UTC, now: datetime
) -> datetime | None:
    """An export's date as an aware UTC datetime; naive values are read in ``tz``; None if bad."""
    if type(raw) is str:
        text = raw.strip()
        if not text:
            return None
        try:
            parsed: datetime | None = _parse_text(text, date_format, tz, now)
        except (ValueError, OverflowError):  # regex matched but e.g. month 13
            return None
    elif isinstance(raw, datetime):
        parsed = raw
    elif isinstance(raw, date):
        parsed = datetime.combine(raw, time())
    elif isinstance(raw, bool):
        return None
    elif isinstance(raw, (int, float)):
        parsed = _from_number(float(raw))
    else:
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        if tz is UTC:
            return parsed.replace(tzinfo=UTC)
        parsed = parsed.replace(tzinfo=tz)
    try:
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


_COUNT_NOISE = re.compile(r"[,，\s+]")
_MULTIPLIERS = {
    "万": 10_000,
    "w": 10_000,
    "亿": 100_000_000,
    "千": 1_000,
    "k": 1_000,
    "m": 1_000_000,
    "b": 1_000_000_000,
}


def parse_count(raw: Any) -> int | None:
    """A non-negative count such as "1,234", "3k", "1.2万" or "10万+"; None when not a count."""
    if type(raw) is str:
        text = raw.strip()
        if text.isdigit() and text.isascii():
            return int(text)
        return _count_text(text)
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int):
        return raw if raw >= 0 else None
    if isinstance(raw, float):
        return int(raw) if math.isfinite(raw) and raw >= 0 else None
    return _count_text(raw.strip()) if isinstance(raw, str) else None


def _count_text(text: str) -> int | None:
    text = _COUNT_NOISE.sub("", text).lower()
    if not text or len(text) > 32:
        return None
    multiplier = _MULTIPLIERS.get(text[-1], 1)
    if multiplier != 1:
        text = text[:-1]
    try:
        value = float(text) * multiplier
    except ValueError:
        return None
    return round(value) if math.isfinite(value) and value >= 0 else None


def to_text(raw: Any) -> str | None:
    """A cell as text: strings as given, numbers without a spurious ".0"; None for the rest."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return None
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, (datetime, date)):
        return raw.isoformat()
    return None
