"""The tree passes ruff's checks (the configured rules in pyproject.toml), so CI catches a
lint slip as a test failure rather than leaving it to whoever runs ruff by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_ruff_check_is_clean() -> None:
    try:
        import ruff  # noqa: F401  (installed with the dev extras)
    except ImportError:
        pytest.skip("ruff is not installed (pip install -e '.[dev]')")
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--quiet", str(REPO)],
        capture_output=True, text=True, cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
