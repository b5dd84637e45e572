"""Response-script YAML files: loading, and approving one script in place without losing the rest.

File format::

    scripts:
      - id: product_safety.holding.en
        scenario: product_safety
        lang: en
        title: Holding statement
        text: |
          We are aware of reports about $product ...
        reviews:
          compliance: {by: "li.na", at: '2026-11-21T00:00:00+00:00', expires: '…', sha256: '3f…'}
          final: {by: "wang", at: '2026-11-22T00:00:00+00:00', expires: '…', sha256: '3f…'}

Each review step is bound to the SHA-256 of the text it passed. ``approval: {by, at, expires,
sha256}`` (the format before review steps) is read as the ``final`` review; the first review
written to such a script moves it under ``reviews:``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from playbooks.errors import ScriptError
from playbooks.loader import PathArg, as_paths, is_scripts_document, yaml_files
from playbooks.scripts import (
    DEFAULT_REVIEW_STEPS,
    DEFAULT_VALIDITY,
    FINAL_STEP,
    ResponseScript,
    Review,
    placeholder_problem,
    review,
)
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
_ENTRY_OPTIONAL = ("title", "approval", "reviews")
_APPROVAL_KEYS = ("by", "at", "expires", "sha256")
STEP_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}", re.ASCII)


def load_scripts(
    paths: PathArg | Iterable[PathArg],
    *,
    placeholders: Collection[str] | None = None,
    review_steps: Sequence[str] = DEFAULT_REVIEW_STEPS,
) -> tuple[ResponseScript, ...]:
    """Load scripts from files and folders (playbook files in folders are skipped); with
    ``placeholders``, a text using any other placeholder is rejected. Each script needs a
    review of every step of ``review_steps`` to be usable."""
    given = as_paths(paths)
    scripts: list[ResponseScript] = []
    origin: dict[str, str] = {}
    for path in yaml_files(given):
        doc = read_yaml_file(path, ScriptError)
        if path not in given and not is_scripts_document(doc.data):
            continue  # a playbook file sharing the folder
        parsed = parse_scripts_document(doc, placeholders=placeholders, review_steps=review_steps)
        for index, script in enumerate(parsed):
            if script.id in origin:
                Reader(doc, ScriptError).fail(
                    ("scripts", index, "id"),
                    f"duplicate script id '{script.id}' (also in {origin[script.id]})",
                )
            origin[script.id] = doc.name
            scripts.append(script)
    return tuple(scripts)


def parse_scripts_document(
    doc: YamlDoc,
    *,
    placeholders: Collection[str] | None = None,
    review_steps: Sequence[str] = DEFAULT_REVIEW_STEPS,
) -> list[ResponseScript]:
    """All scripts of one parsed file, in file order; ids unique within the file; placeholders
    written ``${name}`` (and among ``placeholders``, when given)."""
    reader = Reader(doc, ScriptError)
    top = reader.mapping(doc.data, (), required=("scripts",), what="a mapping with 'scripts'")
    items = reader.sequence(top["scripts"], ("scripts",), what="scripts", nonempty=False)
    out: list[ResponseScript] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        script = _parse_script(reader, item, ("scripts", index), placeholders, review_steps)
        if script.id in seen:
            reader.fail(("scripts", index, "id"), f"duplicate script id '{script.id}'")
        seen.add(script.id)
        out.append(script)
    return out


def _parse_script(
    reader: Reader,
    item: Any,
    path: KeyPath,
    placeholders: Collection[str] | None,
    review_steps: Sequence[str],
) -> ResponseScript:
    raw = reader.mapping(
        item, path, required=_ENTRY_KEYS, optional=_ENTRY_OPTIONAL, what="a script mapping"
    )
    title = ""
    if raw.get("title") is not None:
        title = reader.string(raw["title"], (*path, "title"), max_len=200)
    reviews: list[Review] = []
    if raw.get("approval") is not None:
        reviews.append(_parse_review(reader, raw["approval"], (*path, "approval"), FINAL_STEP))
    if raw.get("reviews") is not None:
        steps = reader.mapping(raw["reviews"], (*path, "reviews"), optional=raw["reviews"],
                               what="a mapping of review steps")
        for step, record in steps.items():
            where = (*path, "reviews", step)
            if not STEP_RE.fullmatch(step):
                reader.fail(where, f"expected a review step name, got {step!r}")
            if step == FINAL_STEP and raw.get("approval") is not None:
                reader.fail(where, "the final review is given twice (here and as 'approval')")
            reviews.append(_parse_review(reader, record, where, step))
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
        reviews=tuple(reviews),
        required_steps=tuple(review_steps),
        title=title,
        source=reader.doc.name,
    )


def _parse_review(reader: Reader, value: Any, path: KeyPath, step: str) -> Review:
    record = reader.mapping(value, path, required=_APPROVAL_KEYS, optional=("unverified",))
    at = reader.timestamp(record["at"], (*path, "at"))
    expires = reader.timestamp(record["expires"], (*path, "expires"))
    if expires <= at:
        reader.fail((*path, "expires"), "expected a time after 'at'")
    unverified = record.get("unverified", False)
    if not isinstance(unverified, bool):
        reader.fail((*path, "unverified"), f"expected true or false, got {unverified!r}")
    return Review(
        step=step,
        by=reader.string(record["by"], (*path, "by"), max_len=100),
        at=at,
        expires_at=expires,
        sha256=reader.string(
            record["sha256"], (*path, "sha256"), pattern=SHA_RE, what="a sha256 hex digest"
        ),
        verified=not unverified,
    )


def review_script_in_file(
    *,
    path: PathArg,
    script_id: str,
    step: str,
    by: str,
    now: datetime,
    valid_for: timedelta = DEFAULT_VALIDITY,
    verified: bool = True,
    review_steps: Sequence[str] = DEFAULT_REVIEW_STEPS,
) -> ResponseScript:
    """Record one review step of one script in its file, rewriting only that script's
    ``reviews`` (and moving an old ``approval`` under it); temp file + os.replace."""
    file = Path(path)
    doc = read_yaml_file(file, ScriptError)
    before = parse_scripts_document(doc, review_steps=review_steps)
    index = next((i for i, s in enumerate(before) if s.id == script_id), None)
    if index is None:
        known = ", ".join(s.id for s in before) or "none"
        raise ScriptError(f"no script with id '{script_id}' (known: {known})", file=doc.name)
    reviewed = review(script=before[index], step=step, by=by, now=now, valid_for=valid_for,
                      verified=verified)
    without = parse_yaml(_without_key(doc, index, "approval"), name=doc.name, error=ScriptError)
    new_text = _with_entry_key(without, index, "reviews", _reviews_block(reviewed))
    expected = [*before[:index], reviewed, *before[index + 1 :]]
    try:
        after = parse_scripts_document(
            parse_yaml(new_text, name=doc.name, error=ScriptError), review_steps=review_steps
        )
    except ScriptError as exc:
        raise ScriptError(f"could not update the file safely ({exc}); nothing written") from None
    if after != expected:
        raise ScriptError("could not update the file safely; nothing written", file=doc.name)
    _replace_file(file, new_text)
    return after[index]


def approve_script_in_file(
    *,
    path: PathArg,
    script_id: str,
    by: str,
    now: datetime,
    valid_for: timedelta = DEFAULT_VALIDITY,
    review_steps: Sequence[str] = DEFAULT_REVIEW_STEPS,
) -> ResponseScript:
    """``review_script_in_file`` of the final step (the sign-off)."""
    return review_script_in_file(
        path=path, script_id=script_id, step=FINAL_STEP, by=by, now=now, valid_for=valid_for,
        review_steps=review_steps,
    )


def _reviews_block(script: ResponseScript) -> list[str]:
    lines = ["reviews:"]
    for record in script.reviews:
        by = json.dumps(record.by)  # a JSON string is a valid YAML double-quoted scalar
        at = record.at.astimezone(UTC).isoformat(timespec="seconds")
        expires = record.expires_at.astimezone(UTC).isoformat(timespec="seconds")
        flag = "" if record.verified else ", unverified: true"
        lines.append(
            f"  {record.step}: {{by: {by}, at: '{at}', expires: '{expires}', "
            f"sha256: '{record.sha256}'{flag}}}"
        )
    return lines


def _entry(doc: YamlDoc, index: int) -> yaml.MappingNode:
    entry = doc.node_at(("scripts", index))
    if not isinstance(entry, yaml.MappingNode) or entry.flow_style:
        raise ScriptError(
            "cannot update a script written in flow style {...}; write it as a block mapping",
            file=doc.name,
            key=f"scripts[{index}]",
        )
    return entry


def _without_key(doc: YamlDoc, index: int, key: str) -> str:
    """The text with the entry's ``key`` (and its value) taken out, whole lines."""
    text = doc.text
    existing = mapping_key_node(_entry(doc, index), key)
    if existing is None:
        return text
    key_node, value = existing
    start = text.rfind("\n", 0, key_node.start_mark.index) + 1
    end = text.find("\n", _value_end(value))
    return text[:start] + ("" if end == -1 else text[end + 1 :])


def _with_entry_key(doc: YamlDoc, index: int, key: str, lines: list[str]) -> str:
    """Replace the entry's ``key`` (any style) by ``lines``, or insert them after its ``id``;
    lines after the first are indented to the entry's keys."""
    text = doc.text
    entry = _entry(doc, index)
    id_pair = mapping_key_node(entry, "id")
    assert id_pair is not None
    id_key, id_value = id_pair
    column: int = id_key.start_mark.column
    newline = "\r\n" if "\r\n" in text else "\n"
    block = newline.join([lines[0], *(" " * column + line for line in lines[1:])])
    existing = mapping_key_node(entry, key)
    if existing is not None:
        key_node, value = existing
        return text[: key_node.start_mark.index] + block + text[_value_end(value) :]
    eol = text.find("\n", id_value.end_mark.index)
    if eol == -1:
        text += newline
        eol = len(text) - 1
    return text[: eol + 1] + " " * column + block + newline + text[eol + 1 :]


def _value_end(node: yaml.Node) -> int:
    # A block collection's own end mark lies past trailing comments; its last scalar's, or its
    # last flow collection's, does not.
    if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
        return int(node.end_mark.index)
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    ends = [_value_end(child) for child in children]
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
