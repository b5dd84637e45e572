"""Response-script YAML files: loading, and approving one script in place without losing the rest.

File format::

    scripts:
      - id: product_safety.holding.en
        scenario: product_safety
        lang: en
        title: Holding statement
        text: |
          We are aware of reports about $product ...
        approval: {by: "Jane", at: '2026-11-21T00:00:00+00:00', expires: '...', sha256: '3f...'}
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from playbooks.errors import ScriptError
from playbooks.loader import PathArg, as_paths, is_scripts_document, yaml_files
from playbooks.scripts import DEFAULT_VALIDITY, ResponseScript, approve, placeholder_problem
from playbooks.yamlsource import (
    ID_RE,
    KeyPath,
    Reader,
    YamlDoc,
    mapping_key_node,
    parse_yaml,
    read_yaml_file,
)

MAX_SCRIPT_CHARS = 5000
LANG_RE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", re.ASCII)
SHA_RE = re.compile(r"[0-9a-f]{64}", re.ASCII)
_ENTRY_KEYS = ("id", "scenario", "lang", "text")
_ENTRY_OPTIONAL = ("title", "approval")
_APPROVAL_KEYS = ("by", "at", "expires", "sha256")


def load_scripts(
    paths: PathArg | Iterable[PathArg], *, placeholders: Collection[str] | None = None
) -> tuple[ResponseScript, ...]:
    """Load scripts from files and folders (playbook files in folders are skipped); with
    ``placeholders``, a text using any other placeholder is rejected."""
    given = as_paths(paths)
    scripts: list[ResponseScript] = []
    origin: dict[str, str] = {}
    for path in yaml_files(given):
        doc = read_yaml_file(path, ScriptError)
        if path not in given and not is_scripts_document(doc.data):
            continue  # a playbook file sharing the folder
        for index, script in enumerate(parse_scripts_document(doc, placeholders=placeholders)):
            if script.id in origin:
                Reader(doc, ScriptError).fail(
                    ("scripts", index, "id"),
                    f"duplicate script id '{script.id}' (also in {origin[script.id]})",
                )
            origin[script.id] = doc.name
            scripts.append(script)
    return tuple(scripts)


def parse_scripts_document(
    doc: YamlDoc, *, placeholders: Collection[str] | None = None
) -> list[ResponseScript]:
    """All scripts of one parsed file, in file order; ids unique within the file; placeholders
    written ``${name}`` (and among ``placeholders``, when given)."""
    reader = Reader(doc, ScriptError)
    top = reader.mapping(doc.data, (), required=("scripts",), what="a mapping with 'scripts'")
    items = reader.sequence(top["scripts"], ("scripts",), what="scripts", nonempty=False)
    out: list[ResponseScript] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        script = _parse_script(reader, item, ("scripts", index), placeholders)
        if script.id in seen:
            reader.fail(("scripts", index, "id"), f"duplicate script id '{script.id}'")
        seen.add(script.id)
        out.append(script)
    return out


def _parse_script(
    reader: Reader, item: Any, path: KeyPath, placeholders: Collection[str] | None
) -> ResponseScript:
    raw = reader.mapping(
        item, path, required=_ENTRY_KEYS, optional=_ENTRY_OPTIONAL, what="a script mapping"
    )
    title = ""
    if raw.get("title") is not None:
        title = reader.string(raw["title"], (*path, "title"), max_len=200)
    approval: Mapping[str, Any] = {}
    if raw.get("approval") is not None:
        approval = reader.mapping(raw["approval"], (*path, "approval"), required=_APPROVAL_KEYS)
    approved_at = expires_at = None
    if approval:
        approved_at = reader.timestamp(approval["at"], (*path, "approval", "at"))
        expires_at = reader.timestamp(approval["expires"], (*path, "approval", "expires"))
        if expires_at <= approved_at:
            reader.fail((*path, "approval", "expires"), "expected a time after approval.at")
    text = reader.string(raw["text"], (*path, "text"), max_len=MAX_SCRIPT_CHARS, multiline=True)
    problem = placeholder_problem(text, placeholders)
    if problem is not None:
        reader.fail((*path, "text"), problem)
    return ResponseScript(
        id=reader.string(raw["id"], (*path, "id"), pattern=ID_RE, what="a script id"),
        scenario=reader.string(
            raw["scenario"], (*path, "scenario"), pattern=ID_RE, what="a scenario id"
        ),
        lang=reader.string(raw["lang"], (*path, "lang"), pattern=LANG_RE, what="a language tag"),
        text=text,
        approved_by=(
            reader.string(approval["by"], (*path, "approval", "by"), max_len=100)
            if approval
            else None
        ),
        approved_at=approved_at,
        expires_at=expires_at,
        approved_sha256=(
            reader.string(
                approval["sha256"],
                (*path, "approval", "sha256"),
                pattern=SHA_RE,
                what="a sha256 hex digest",
            )
            if approval
            else None
        ),
        title=title,
        source=reader.doc.name,
    )


def approve_script_in_file(
    *,
    path: PathArg,
    script_id: str,
    by: str,
    now: datetime,
    valid_for: timedelta = DEFAULT_VALIDITY,
) -> ResponseScript:
    """Approve one script in its file, rewriting only its ``approval`` line (temp + os.replace)."""
    file = Path(path)
    doc = read_yaml_file(file, ScriptError)
    before = parse_scripts_document(doc)
    index = next((i for i, s in enumerate(before) if s.id == script_id), None)
    if index is None:
        known = ", ".join(s.id for s in before) or "none"
        raise ScriptError(f"no script with id '{script_id}' (known: {known})", file=doc.name)
    approved = approve(script=before[index], by=by, now=now, valid_for=valid_for)
    new_text = _with_approval_line(doc, index, _approval_line(approved))
    expected = [*before[:index], approved, *before[index + 1 :]]
    try:
        after = parse_scripts_document(parse_yaml(new_text, name=doc.name, error=ScriptError))
    except ScriptError as exc:
        raise ScriptError(f"could not update the file safely ({exc}); nothing written") from None
    if after != expected:
        raise ScriptError("could not update the file safely; nothing written", file=doc.name)
    _replace_file(file, new_text)
    return after[index]


def _approval_line(script: ResponseScript) -> str:
    assert script.approved_at is not None and script.expires_at is not None
    by = json.dumps(script.approved_by)  # a JSON string is a valid YAML double-quoted scalar
    at = script.approved_at.astimezone(UTC).isoformat(timespec="seconds")
    expires = script.expires_at.astimezone(UTC).isoformat(timespec="seconds")
    return (
        f"approval: {{by: {by}, at: '{at}', expires: '{expires}', "
        f"sha256: '{script.approved_sha256}'}}"
    )


def _with_approval_line(doc: YamlDoc, index: int, line: str) -> str:
    """Replace the entry's approval (any style) by ``line``, or insert it after its ``id``."""
    text = doc.text
    entry = doc.node_at(("scripts", index))
    if not isinstance(entry, yaml.MappingNode) or entry.flow_style:
        raise ScriptError(
            "cannot update a script written in flow style {...}; write it as a block mapping",
            file=doc.name,
            key=f"scripts[{index}]",
        )
    existing = mapping_key_node(entry, "approval")
    if existing is not None:
        key, value = existing
        flow = bool(getattr(value, "flow_style", False))
        end = value.end_mark.index if flow else _last_scalar_end(value)
        return text[: key.start_mark.index] + line + text[end:]
    id_pair = mapping_key_node(entry, "id")
    assert id_pair is not None
    id_key, id_value = id_pair
    newline = "\r\n" if "\r\n" in text else "\n"
    eol = text.find("\n", id_value.end_mark.index)
    if eol == -1:
        text += newline
        eol = len(text) - 1
    column: int = id_key.start_mark.column
    insert = " " * column + line + newline
    return text[: eol + 1] + insert + text[eol + 1 :]


def _last_scalar_end(node: yaml.Node) -> int:
    # A block mapping's own end mark lies past trailing comments; its last scalar's does not.
    if isinstance(node, yaml.ScalarNode):
        return int(node.end_mark.index)
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    ends = [_last_scalar_end(child) for child in children]
    return max(ends) if ends else int(node.end_mark.index)


def _replace_file(file: Path, text: str) -> None:
    mode = stat.S_IMODE(file.stat().st_mode)
    fd, tmp_name = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, file)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
