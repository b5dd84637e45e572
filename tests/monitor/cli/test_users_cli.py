"""``crisiswatch users``: accounts, roles, passwords, API tokens and the audit log from the
command line, on the example configuration (its people: li.na, wang.wei, ...)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli.main import cli

SECRET = "correct horse battery"


@pytest.fixture()
def cw(crisiswatch: Callable[..., Result], tmp_path: Path) -> Callable[..., Result]:
    """``crisiswatch ARGS`` in an initialised folder; ``stdin=`` feeds standard input."""
    assert crisiswatch("init", ".").exit_code == 0

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)

    return invoke


def _db(tmp_path: Path) -> Path:
    return next(tmp_path.rglob("*.sqlite"))


def test_add_list_disable_enable_role_and_password(cw: Callable[..., Result],
                                                   tmp_path: Path) -> None:
    added = cw("users", "add", "ada", "--role", "admin", "--password-stdin", stdin=SECRET + "\n")
    assert added.exit_code == 0 and added.output == "user ada added (admin)\n"
    # a person's id as the name links the user to that person
    linked = cw("users", "add", "li.na", "--password-stdin", stdin=SECRET + "\n")
    assert linked.output == "user li.na added (viewer, acts as li.na)\n"
    chosen = cw("users", "add", "ww", "--person", "王伟", "--role", "responder",
                "--password-stdin", stdin=SECRET + "\n")
    assert chosen.output == "user ww added (responder, acts as wang.wei)\n"
    made = cw("users", "add", "ops", "--generate")
    assert made.exit_code == 0 and made.output.startswith("user ops added (viewer)\npassword: ")
    assert len(made.output.split("password: ")[1].strip()) >= 16
    assert cw("users", "disable", "ops").output == (
        "user ops disabled: its logins and tokens stop\n")
    assert cw("users", "role", "li.na", "Responder").output == "user li.na is now responder\n"
    listed = json.loads(cw("users", "list", "--json").output)
    assert [(u["name"], u["role"], u["person"], u["disabled"]) for u in listed] == [
        ("ada", "admin", None, False), ("li.na", "responder", "li.na", False),
        ("ops", "viewer", None, True), ("ww", "responder", "wang.wei", False)]
    table = cw("users", "list").output.splitlines()
    assert table[0].split() == ["user", "role", "person", "created", "state"]
    assert table[3].split()[0] == "ops" and table[3].split()[-1] == "disabled"
    assert cw("users", "enable", "ops").output == "user ops enabled\n"
    changed = cw("users", "password", "ada", "--password-stdin", stdin="another long one\n")
    assert changed.output == "password of ada changed\n"
    import sqlite3

    with sqlite3.connect(_db(tmp_path)) as conn:
        hashes = [h for (h,) in conn.execute("SELECT password_hash FROM users")]
    assert all(h.startswith("$argon2id$") and SECRET not in h for h in hashes)


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (("users", "role", "bob", "admin"), None,
     "error: no user 'bob' (see `crisiswatch users list`)"),
    (("users", "role", "ada", "boss"), None,
     "error: unknown role 'boss': one of viewer, responder, admin"),
    (("users", "add", "x", "--role", "root", "--password-stdin"), SECRET,
     "error: unknown role 'root': one of viewer, responder, admin"),
    (("users", "add", "bob", "--person", "li.nx", "--password-stdin"), SECRET,
     "error: unknown person 'li.nx' (did you mean 'li.na'?)"),
    (("users", "add", "bob", "--password-stdin"), "short\n",
     "error: password too short: at least 10 characters"),
    (("users", "add", "ada", "--password-stdin"), SECRET,
     "error: user 'ada' exists already"),
    (("users", "add", "Bob", "--password-stdin"), SECRET,
     "error: bad user name 'Bob': lower-case letters, digits, '.', '_' and '-', at most 64"),
    (("users", "disable", "bob"), None, "error: no user 'bob' (see `crisiswatch users list`)"),
    (("users", "password", "ada", "--password-stdin"), "\n",
     "error: password too short: at least 10 characters"),
    (("users", "token", "ada", "--scope", "admin"), None,
     "error: scope 'admin' is more than ada's role 'viewer'"),
    (("users", "token", "ada", "--expires", "soon"), None, "error: --expires: "),
    (("users", "revoke", "99"), None, "error: no token 99 (see `crisiswatch users tokens`)"),
])
def test_mistakes_are_one_line_and_exit_1(cw: Callable[..., Result], args: tuple[str, ...],
                                          stdin: str | None, message: str) -> None:
    cw("users", "add", "ada", "--password-stdin", stdin=SECRET)
    done = cw(*args, stdin=stdin)
    assert done.exit_code == 1, done.output
    assert done.output.startswith(message) and done.output.count("\n") == 1, done.output


def test_tokens_are_shown_once_listed_and_revoked(cw: Callable[..., Result],
                                                  tmp_path: Path) -> None:
    cw("users", "add", "bot", "--role", "responder", "--password-stdin", stdin=SECRET)
    made = cw("users", "token", "bot", "--scope", "viewer", "--label", "grafana",
              "--expires", "90d")
    assert made.exit_code == 0, made.output
    first = made.output.splitlines()[0]
    assert first.startswith("token #1 of bot (viewer): cw_")
    secret = first.rsplit(" ", 1)[1]
    again = cw("users", "token", "bot")
    assert again.output.startswith("token #2 of bot (responder): cw_")
    import sqlite3

    with sqlite3.connect(_db(tmp_path)) as conn:
        stored = conn.execute("SELECT * FROM api_tokens WHERE id = 1").fetchone()
    assert not any(secret in str(value) for value in stored)
    listed = json.loads(cw("users", "tokens", "bot", "--json").output)
    assert [(t["id"], t["label"], t["scope"], t["revoked"]) for t in listed] == [
        (2, "api", "responder", False), (1, "grafana", "viewer", False)]
    assert listed[1]["expires_at"] is not None and listed[0]["expires_at"] is None
    assert cw("users", "revoke", "1").output == "token #1 revoked\n"
    table = cw("users", "tokens").output.splitlines()
    assert table[0].split()[:4] == ["token", "user", "label", "scope"]
    assert table[2].startswith("#1") and table[2].rstrip().endswith("revoked")


def test_every_change_is_in_the_audit_log(cw: Callable[..., Result]) -> None:
    cw("users", "add", "ada", "--role", "admin", "--password-stdin", stdin=SECRET)
    cw("users", "role", "ada", "responder")
    cw("users", "token", "ada")
    cw("users", "revoke", "1")
    cw("users", "disable", "ada")
    entries = json.loads(cw("users", "audit", "--json").output)
    assert [(e["action"], e["target"], e["via"]) for e in entries] == [
        ("user.disable", "ada", "cli"), ("token.revoke", "token #1", "cli"),
        ("token.create", "ada", "cli"), ("user.role", "ada", "cli"),
        ("user.add", "ada", "cli")]
    assert all(e["actor"].startswith("cli:") for e in entries)
    assert entries[-1]["detail"] == {"role": "admin", "person": None}
    only = json.loads(cw("users", "audit", "--action", "user.role", "--json").output)
    assert [e["detail"] for e in only] == [{"role": "responder"}]
    shown = cw("users", "audit", "--limit", "2").output.splitlines()
    assert shown[0].split() == ["when", "who", "action", "target", "from", "via"]
    assert len(shown) == 3 and "user.disable" in shown[1]
    assert cw("users", "audit", "--actor", "nobody").output == "no entries\n"
