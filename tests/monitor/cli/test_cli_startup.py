"""Start-up cost of the command line: what importing it and asking for help load.

Modules loaded, not seconds: the timings are in benchmarks/startup.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.cli.main import COMMANDS, cli

# The classifiers' models and what they need: only commands that score load them.
MODELS = ("numpy", "scipy", "sklearn", "jieba", "classifiers.scorer")
# Each of these costs a tenth of a CPU-second or more to import (of the classifiers, the
# models: their dependency-free modules, such as the intent labels an option offers, are cheap).
HEAVY = (
    "numpy",
    "scipy",
    "sklearn",
    "jieba",
    "matplotlib",
    "alembic",
    "sqlalchemy",
    "pydantic",
    "httpx",
    "classifiers.scorer",
    "monitor.app",
    "monitor.db",
    "monitor.incidents",
)


def loaded_after(code: str, watched: tuple[str, ...] = HEAVY, cwd: Path | None = None) -> set[str]:
    """The ``watched`` modules (or their submodules) a fresh interpreter loads running ``code``."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISISWATCH_")}
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
        env=env,
    ).stdout
    modules = json.loads(out.splitlines()[-1])
    return {w for w in watched for m in modules if m == w or m.startswith(w + ".")}


def invoking(*args: str) -> str:
    """Code that runs ``crisiswatch ARGS`` in-process; a failing command fails the script."""
    return (
        "from monitor.cli.main import cli\n"
        f"code = cli.main({list(args)!r}, prog_name='crisiswatch', standalone_mode=False)\n"
        "assert not code, code"
    )


def test_importing_the_cli_loads_no_library() -> None:
    assert loaded_after("import monitor.cli.main") == set()


def test_help_loads_no_command_module() -> None:
    assert loaded_after(invoking("--help")) == set()


def test_importing_every_command_module_loads_no_library() -> None:
    # what ``<command> --help`` imports: the modules COMMANDS names, and what they import
    modules = sorted({m for entry in COMMANDS.values() for m in entry.modules})
    assert loaded_after("\n".join(f"import {m}" for m in modules)) == set()


@pytest.mark.parametrize("command", ["incidents", "alerts", "ingest", "digest", "run", "drill"])
def test_a_commands_help_loads_no_library(command: str, tmp_path: Path) -> None:
    assert loaded_after(invoking(command, "--help"), cwd=tmp_path) == set()


def test_commands_that_do_not_score_load_no_model(tmp_path: Path) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    for args in (["check-config"], ["incidents", "--help"], ["--database", empty, "incidents"]):
        assert loaded_after(invoking(*args), MODELS, cwd=tmp_path) == set(), args


def test_check_config_help_and_an_up_to_date_database_load_no_migrations(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    subprocess.run(
        [sys.executable, "-c", invoking("--database", database, "db", "upgrade")],
        check=True,
        cwd=tmp_path,
        capture_output=True,
    )
    for args in (["check-config"], ["incidents", "--help"], ["--database", database, "incidents"]):
        assert loaded_after(invoking(*args), ("alembic",), cwd=tmp_path) == set(), args


def test_check_config_loads_no_database_and_listing_fetches_nothing(tmp_path: Path) -> None:
    # checking a configuration needs neither storage nor collecting; listing incidents needs
    # storage but no HTTP client or feed parser
    storage = ("sqlalchemy", "monitor.db", "monitor.pipeline.collect", "feedparser")
    assert loaded_after(invoking("check-config"), storage, cwd=tmp_path) == set()
    fetching = ("httpx", "feedparser", "monitor.pipeline.collect", "monitor.collectors.rss")
    empty = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    assert loaded_after(invoking("--database", empty, "incidents"), fetching, cwd=tmp_path) == set()


def test_the_listing_shows_each_commands_own_help() -> None:
    # The group lists commands without importing them, from COMMANDS: it must say what the
    # command itself says, and every command the modules register must be listed.
    ctx = click.Context(cli)
    for name, entry in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None, name
        listed = click.Command(name, help=entry.help).get_short_help_str(10_000)
        assert listed == command.get_short_help_str(10_000), name
    unlisted = {
        name
        for name, command in cli.commands.items()
        if name not in COMMANDS and getattr(command.callback, "__module__", "") != main.__name__
    }
    assert unlisted == set(), "add them to COMMANDS in monitor/cli/main.py"


def test_classify_loads_no_app_database_or_migrations(tmp_path: Path) -> None:
    storage = ("monitor.app", "monitor.db", "sqlalchemy", "alembic")
    code = invoking("classify", "The milk made my child sick, recall it now")
    assert loaded_after(code, storage, cwd=tmp_path) == set()
    assert loaded_after(invoking("classify", "--help"), MODELS + storage, cwd=tmp_path) == set()


def test_classify_loads_only_the_models_of_its_texts_languages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classifiers.scorer import Scorer

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRISISWATCH_CONFIG", raising=False)
    asked: list[object] = []
    load = Scorer.load

    def recording(cls: type[Scorer], **kwargs: Any) -> Scorer:
        asked.append(kwargs.get("only"))
        return load(**kwargs)

    monkeypatch.setattr(Scorer, "load", classmethod(recording))
    result = CliRunner().invoke(cli, ["classify", "喝了这批奶粉孩子腹泻，要求召回"])
    assert result.exit_code == 0, result.output
    assert "language zh" in result.output
    assert asked == [{"zh"}]


def test_a_group_gets_every_modules_subcommands_whichever_command_loads_first() -> None:
    # `ack` loads monitor.cli.incidents, which registers `incident` itself; `incident check`
    # and `incident merge` come from other modules of the `incident` entry
    from click.testing import CliRunner

    from monitor.cli.main import COMMANDS, RootGroup

    root = RootGroup(name="cli", lazy=COMMANDS)
    assert root.get_command(click.Context(root), "ack") is not None
    result = CliRunner().invoke(root, ["incident", "--help"])
    assert result.exit_code == 0
    assert {"check", "merge", "review"} <= set(result.output.split())
