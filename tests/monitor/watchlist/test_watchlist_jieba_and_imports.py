"""What importing the watchlist package pulls in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_importing_the_package_loads_no_jieba_no_dictionary_no_config() -> None:
    code = (
        "import sys, monitor.watchlist, monitor.watchlist.matcher;"
        "bad = [m for m in ('jieba', 'zhconv', 'monitor.db', 'config', 'sqlalchemy')"
        " if m in sys.modules];"
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
