"""monitor/stories is a pure component: what it may import, and that importing does nothing."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PACKAGE = REPO / "monitor" / "stories"
ALLOWED = {"classifiers.normalise", "classifiers.text", "classifiers.languages", "numpy"}


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_imports_only_the_standard_library_numpy_and_the_text_helpers(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            if name.startswith("monitor."):
                assert name.startswith("monitor.stories"), f"{path.name} imports {name}"
            elif name.split(".")[0] in {"classifiers", "config", "alerts", "playbooks"}:
                assert name in ALLOWED, f"{path.name} imports {name}"
            else:
                assert name.split(".")[0] in sys.stdlib_module_names | {"numpy"}, name


def test_importing_the_package_loads_no_dictionary_database_or_config() -> None:
    code = (
        "import sys, monitor.stories, monitor.stories.testing\n"
        "bad = [m for m in ('jieba', 'zhconv', 'sqlalchemy', 'config', 'monitor.db')"
        " if m in sys.modules]\n"
        "import classifiers.normalise as n\n"
        "print(bad, n._tables is None)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[] True"
