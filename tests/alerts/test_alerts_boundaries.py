"""alerts/ is a library: stdlib and third-party imports only, nothing done at import time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ALERTS = Path(__file__).resolve().parents[2] / "alerts"
FORBIDDEN = {"monitor", "config", "playbooks", "classifiers"}


@pytest.mark.parametrize("path", sorted(ALERTS.glob("*.py")), ids=lambda p: p.name)
def test_no_imports_of_other_project_packages(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_importing_every_module_opens_nothing() -> None:
    # A fresh interpreter with sockets disabled: importing must not connect or read config.
    modules = sorted(p.stem for p in ALERTS.glob("*.py") if p.stem != "__init__")
    code = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise AssertionError('network use at import time')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n" + "".join(f"import alerts.{m}\n" for m in modules)
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ALERTS.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
