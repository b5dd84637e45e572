"""Start-up cost of the command line: what importing it and asking for help load.

Modules loaded, not seconds: the timings are in benchmarks/startup.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import click

from monitor.cli.main import COMMANDS, cli

# Each of these costs a tenth of a CPU-second or more to import.
HEAVY = (
    "numpy",
    "scipy",
    "sklearn",
    "jieba",
    "matplotlib",
    "alembic",
    "sqlalchemy",
    "pydantic",
    "classifiers",
    "monitor.app",
)


def loaded_after(code: str) -> set[str]:
    """The heavy modules (or their submodules) a fresh interpreter has loaded after ``code``."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    modules = json.loads(out.splitlines()[-1])
    return {h for h in HEAVY for m in modules if m == h or m.startswith(h + ".")}


def invoking(*args: str) -> str:
    """Code that runs ``crisiswatch ARGS`` in-process and keeps going after it exits."""
    return (
        "from monitor.cli.main import cli\n"
        f"try:\n    cli.main({list(args)!r}, prog_name='crisiswatch')\n"
        "except SystemExit:\n    pass"
    )


def test_importing_the_cli_loads_no_library() -> None:
    assert loaded_after("import monitor.cli.main") == set()


def test_help_loads_no_command_module() -> None:
    assert loaded_after(invoking("--help")) == set()


def test_the_listing_shows_each_commands_own_help() -> None:
    # The group lists commands without importing them, from COMMANDS: it must say what the
    # command itself says, and every command the modules register must be listed.
    ctx = click.Context(cli)
    for name, entry in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None, name
        listed = click.Command(name, help=entry.help).get_short_help_str(10_000)
        assert listed == command.get_short_help_str(10_000), name
    assert set(cli.commands) - {"check-config"} == set(COMMANDS)
