"""Reading YAML definition files with positions, so every error names file, key path and line."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import yaml

from playbooks.durations import _show, format_duration, parse_duration
from playbooks.errors import PlaybookError

MAX_FILE_BYTES = 2_000_000
# libyaml's parser when PyYAML has it (several times faster); its marks count characters as
# the pure-Python one's do, except that it skips a leading byte-order mark
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
KeyPath = tuple[str | int, ...]

ID_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}", re.ASCII)


def format_keypath(path: KeyPath) -> str:
    """``("steps", 2, "wait_ack")`` -> ``steps[2].wait_ack``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass(frozen=True)
class YamlDoc:
    """One parsed YAML document: its data, its node tree (for positions) and a display name."""

    name: str
    text: str
    data: Any
    root: yaml.Node | None

    def node_at(self, path: KeyPath) -> yaml.Node | None:
        """The node at a key path, or the deepest existing ancestor."""
        node = self.root
        for part in path:
            child = _child(node, part)
            if child is None:
                break
            node = child
        return node

    def line_of(self, path: KeyPath) -> int | None:
        """1-based line of the value at ``path`` (or its nearest existing ancestor)."""
        node = self.node_at(path)
        return None if node is None else node.start_mark.line + 1


def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                found: yaml.Node = value
                return found
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        items: list[yaml.Node] = node.value
        return items[part] if 0 <= part < len(items) else None
    return None


def mapping_key_node(node: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    """The (key node, value node) pair for ``key`` in a mapping node, if present."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k, v
    return None


def read_yaml_file(path: Path, error: type[PlaybookError] = PlaybookError) -> YamlDoc:
    """Read and parse one YAML file; unreadable, oversized or invalid files raise ``error``."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read file: {exc.strerror or exc}", file=name) from None
    if len(raw) > MAX_FILE_BYTES:
        raise error(f"file is larger than {MAX_FILE_BYTES} bytes", file=name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 text (byte {exc.start})", file=name) from None
    return parse_yaml(text, name=name, error=error)


def parse_yaml(text: str, *, name: str, error: type[PlaybookError] = PlaybookError) -> YamlDoc:
    """Parse YAML text (safe loader only), rejecting duplicate keys. A leading byte-order
    mark is dropped, so that the nodes' marks index the document's ``text``."""
    text = text.removeprefix("\ufeff")
    loader = SAFE_LOADER(text)
    try:
        root = loader.get_single_node()
        _reject_duplicate_keys(root, (), name, error, set())
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "syntax error"
        raise error(f"invalid YAML: {problem}", file=name, line=line) from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {exc}", file=name) from None
    finally:
        loader.dispose()
    return YamlDoc(name=name, text=text, data=data, root=root)


def _reject_duplicate_keys(
    node: yaml.Node | None,
    path: KeyPath,
    name: str,
    error: type[PlaybookError],
    seen_nodes: set[int],
) -> None:
    # Aliases share nodes: visiting each once keeps "billion laughs" and cycles cheap.
    if node is None or id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            label = key.value if isinstance(key, yaml.ScalarNode) else "?"
            if label in seen:
                raise error(
                    f"duplicate key '{label}'",
                    file=name,
                    key=format_keypath(path) or None,
                    line=key.start_mark.line + 1,
                )
            seen.add(label)
            _reject_duplicate_keys(value, (*path, label), name, error, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _reject_duplicate_keys(item, (*path, index), name, error, seen_nodes)


class Reader:
    """Typed getters over parsed YAML that fail with file, key path and line."""

    def __init__(self, doc: YamlDoc, error: type[PlaybookError] = PlaybookError) -> None:
        self.doc = doc
        self.error = error

    def fail(self, path: KeyPath, message: str) -> NoReturn:
        """Raise the reader's error for ``path``."""
        raise self.error(
            message,
            file=self.doc.name,
            key=format_keypath(path) or None,
            line=self.doc.line_of(path),
        )

    def mapping(
        self,
        value: Any,
        path: KeyPath,
        *,
        required: Collection[str] = (),
        optional: Collection[str] = (),
        what: str = "a mapping",
    ) -> Mapping[str, Any]:
        """Check ``value`` is a mapping with the required keys and no unknown ones."""
        if not isinstance(value, Mapping):
            self.fail(path, f"expected {what}, got {_kind(value)}")
        allowed = [*required, *optional]
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                self.fail(
                    (*path, str(key)),
                    f"unknown key {str(key)!r} (expected one of: {', '.join(allowed)})",
                )
        for key in required:
            if key not in value:
                self.fail(path, f"missing required key '{key}'")
        return value

    def sequence(self, value: Any, path: KeyPath, *, what: str, nonempty: bool) -> Sequence[Any]:
        """Check ``value`` is a list (optionally non-empty)."""
        if not isinstance(value, list):
            self.fail(path, f"expected a list of {what}, got {_kind(value)}")
        if nonempty and not value:
            self.fail(path, f"expected at least one {what.rstrip('s')}, got an empty list")
        return value

    def string(
        self,
        value: Any,
        path: KeyPath,
        *,
        pattern: re.Pattern[str] | None = None,
        what: str = "a string",
        max_len: int = 200,
        multiline: bool = False,
    ) -> str:
        """Check ``value`` is a non-empty string (matching ``pattern`` in full, if given)."""
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"expected {what}, got {_show(value)}")
        if len(value) > max_len:
            self.fail(path, f"expected at most {max_len} characters, got {len(value)}")
        if not multiline and ("\n" in value or "\r" in value):
            self.fail(path, f"expected {what} on one line")
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(path, f"expected {what}, got {_show(value)}")
        return value

    def names(
        self,
        value: Any,
        path: KeyPath,
        *,
        pattern: re.Pattern[str],
        noun: str,
        plural: str,
        nonempty: bool,
        hint: str = "",
    ) -> tuple[str, ...]:
        """A list of names matching ``pattern`` (a lone string is a one-item list); no repeats."""
        single = isinstance(value, str)
        items = [value] if single else self.sequence(value, path, what=plural, nonempty=nonempty)
        out: list[str] = []
        for index, item in enumerate(items):
            item_path = path if single else (*path, index)
            text = self.string(item, item_path, pattern=pattern, what=f"a {noun}{hint}")
            if text in out:
                self.fail(item_path, f"duplicate {noun} '{text}'")
            out.append(text)
        return tuple(out)

    def duration(
        self, value: Any, path: KeyPath, *, minimum: timedelta, maximum: timedelta
    ) -> timedelta:
        """A duration like ``15m`` within [minimum, maximum]."""
        try:
            delta = parse_duration(value)
        except ValueError as exc:
            self.fail(path, str(exc))
        if not minimum <= delta <= maximum:
            self.fail(
                path,
                f"expected a duration between {format_duration(minimum)} and "
                f"{format_duration(maximum)}, got {_show(value)}",
            )
        return delta

    def integer(self, value: Any, path: KeyPath, *, minimum: int, maximum: int) -> int:
        """An integer within [minimum, maximum] (booleans refused)."""
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"expected a whole number, got {_show(value)}")
        if not minimum <= value <= maximum:
            self.fail(path, f"expected a number from {minimum} to {maximum}, got {value}")
        return value

    def timestamp(self, value: Any, path: KeyPath) -> datetime:
        """A timezone-aware timestamp, as a YAML timestamp or an ISO 8601 string."""
        parsed: datetime | None = None
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.strip())
            except ValueError:
                parsed = None
        if parsed is None or parsed.tzinfo is None or parsed.utcoffset() is None:
            self.fail(
                path,
                "expected a timestamp with timezone like 2027-12-31T23:59:59+00:00, "
                f"got {_show(value)}",
            )
        return parsed


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return _show(value)
