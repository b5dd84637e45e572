"""Garbage after a good start never raises: it becomes Rejected rows, in line order."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.collectors.base import RawItem, Rejected
from monitor.collectors.exports import read_export

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PREFIXES = {
    "csv": b"id,text,date,likes\n1,good first row,2024-01-01,3k\n",
    "jsonl": b'{"id": 1, "text": "good first row"}\n',
    "json": b'[{"id": 1, "text": "good first row"},\n',
}
NOISE = st.binary(max_size=600) | st.text(alphabet=',;"\n\r\t{}[]:\\ab1中\ufffd', max_size=300).map(
    lambda s: s.encode("utf-8")
)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _check(path: Path, **options: str) -> None:
    records = list(read_export(path, now=NOW, **options))  # type: ignore[arg-type]
    assert records, "the good first row is always read"
    assert isinstance(records[0], RawItem) and records[0].text == "good first row"
    assert all(isinstance(r, (RawItem, Rejected)) for r in records)
    items = [r for r in records if isinstance(r, RawItem)]
    lines = [r.line or 0 for r in items]
    assert 0 not in lines and lines == sorted(set(lines))  # strictly increasing: resumable


@SETTINGS
@given(noise=NOISE)
def test_csv_noise(tmp_path: Path, noise: bytes) -> None:
    path = tmp_path / "noise.csv"
    path.write_bytes(PREFIXES["csv"] + noise)
    _check(path, delimiter=",")
    _check(path, delimiter=",", encoding="utf-8")


@SETTINGS
@given(noise=NOISE)
def test_jsonl_noise(tmp_path: Path, noise: bytes) -> None:
    path = tmp_path / "noise.jsonl"
    path.write_bytes(PREFIXES["jsonl"] + noise)
    _check(path)


@SETTINGS
@given(noise=NOISE)
def test_json_noise(tmp_path: Path, noise: bytes) -> None:
    path = tmp_path / "noise.json"
    path.write_bytes(PREFIXES["json"] + noise)
    _check(path, fmt="json")
