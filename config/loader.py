"""Load and validate a YAML configuration, reporting every problem with file, line and key path."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from config.schema import Settings
from config.suggest import did_you_mean

# libyaml's parser when PyYAML has it: several times faster than the pure-Python one
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ENV_CONFIG = "CRISISWATCH_CONFIG"
LOCAL_NAMES = ("crisiswatch.yaml", "crisiswatch.yml")


class ConfigError(Exception):
    """The configuration cannot be used; ``problems`` holds one line per error."""

    def __init__(self, path: Path | str, problems: Sequence[str]) -> None:
        self.path = str(path)
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Finding:
    """A problem found in a loaded configuration, at a key path; a ``warning`` (an environment
    variable not set here, say) does not make the configuration unusable."""

    loc: tuple[str | int, ...]
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{_format_loc(self.loc)}: {self.message}"


@dataclass(frozen=True)
class LoadedConfig:
    """Validated settings plus where they came from (relative paths resolve against it)."""

    settings: Settings
    path: Path
    root: yaml.Node | None = field(default=None, compare=False, repr=False)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def resolve(self, path: Path) -> Path:
        """A path from the file, made absolute against the file's folder."""
        return path if path.is_absolute() else (self.base_dir / path)

    def problem(self, loc: Sequence[str | int], message: str) -> str:
        """``file:line: key.path: message`` for a problem found after loading (the collector
        registry's checks, say), with the line of ``loc`` when the file has it."""
        line = _line_of(self.root, loc)
        where = f"{self.path}:{line}" if line else str(self.path)
        return f"{where}: {_format_loc(loc)}: {message}"

    def describe(self, finding: Finding) -> str:
        """``file:line: key.path: message`` for a finding."""
        return self.problem(finding.loc, finding.message)


def example_config_path() -> Path:
    """The bundled example configuration (runs offline on bundled samples)."""
    return Path(str(resources.files("config").joinpath("example.yaml")))


def default_config_path(environ: dict[str, str] | None = None) -> Path:
    """``$CRISISWATCH_CONFIG``, else ./crisiswatch.yaml, else the bundled example."""
    env = os.environ if environ is None else environ
    if env.get(ENV_CONFIG):
        return Path(env[ENV_CONFIG])
    for name in LOCAL_NAMES:
        if Path(name).is_file():
            return Path(name)
    return example_config_path()


def load_config(path: Path | str | None = None) -> LoadedConfig:
    """Read, parse and validate a configuration file; raise ConfigError listing every problem."""
    file = Path(path) if path is not None else default_config_path()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(file, [f"{file}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(file, [f"{file}: cannot read: {exc}"]) from None
    try:
        data, root = parse_yaml(text, file)
    except ValueError as exc:
        raise ConfigError(file, [str(exc)]) from None
    if not isinstance(data, dict):
        raise ConfigError(file, [f"{file}:1: expected a mapping of settings at the top level"])
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(file, list(describe_errors(exc, file, root))) from None
    return LoadedConfig(settings=settings, path=file.resolve(), root=root)


def parse_yaml(text: str, file: Path) -> tuple[Any, yaml.Node | None]:
    """The document's data and its node tree (for line numbers); ValueError reads
    ``file:line: YAML syntax error: problem``. Parsed once, with libyaml when available."""
    loader = _SAFE_LOADER(text)
    try:
        root = loader.get_single_node()
        return (loader.construct_document(root) if root is not None else None), root
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark is not None else str(file)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ValueError(f"{where}: YAML syntax error: {problem}") from None
    finally:
        loader.dispose()


def describe_errors(
    exc: ValidationError, file: Path, root: yaml.Node | None, *, schema: type[BaseModel] = Settings
) -> Iterator[str]:
    """One ``file:line: key.path: problem`` line per validation error of a document validated
    against ``schema`` (the settings, or another form read from YAML)."""
    errors = exc.errors(include_url=False)
    for err in errors:
        if err["type"] == "too_short" and any(
            other["loc"][: len(err["loc"])] == err["loc"] and other is not err for other in errors
        ):
            continue  # a list too short only because an item is bad: that item's error says it
        loc = [part for part in err["loc"] if not _is_union_tag(part)]
        key = _format_loc(loc)
        line = _line_of(root, loc)
        where = f"{file}:{line}" if line else str(file)
        message = str(err["msg"]).removeprefix("Value error, ")
        got = err.get("input")
        hint = ""
        if err["type"] == "extra_forbidden":
            message = "unknown key"
            known = _keys_at(schema, loc[:-1])
            hint = did_you_mean(loc[-1], known) or (
                " (check the spelling; see the configuration reference)"
                if schema is Settings
                else f" (expected one of: {', '.join(known)})"
            )
        elif err["type"] == "literal_error":
            hint = did_you_mean(got, _QUOTED.findall(message))
        elif err["type"] == "missing":
            message = "required key is missing"
        quiet = (err["type"] in ("missing", "extra_forbidden") or isinstance(got, dict | list)
                 or ", got " in message)
        suffix = "" if quiet else f", got {got!r}"
        yield f"{where}: {key or '(top level)'}: {message}{suffix}{hint}"


_QUOTED = re.compile(r"'([^']*)'")


def _keys_at(annotation: Any, loc: Sequence[Any]) -> list[str]:
    """The keys the schema allows at ``loc`` (a model's fields), for "did you mean"."""
    for part in loc:
        annotation = _step(annotation, part)
    model = _model_in(annotation)
    return [] if model is None else list(_fields(model))


def _step(annotation: Any, part: Any) -> Any:
    """The annotation of ``part`` inside a value of type ``annotation`` (None when unknown)."""
    model = _model_in(annotation)
    if model is not None:
        field = _fields(model).get(part) if isinstance(part, str) else None
        return None if field is None else field.annotation
    for arg in _members(annotation):
        origin = get_origin(arg)
        if origin in (tuple, list) and isinstance(part, int):
            return get_args(arg)[0]
        if origin is dict:
            return get_args(arg)[1]
    return None


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    """A model's fields by the key a file writes: the alias where there is one (``from``)."""
    return {field.alias or name: field for name, field in model.model_fields.items()}


def _model_in(annotation: Any) -> type[BaseModel] | None:
    return next((a for a in _members(annotation)
                 if isinstance(a, type) and issubclass(a, BaseModel)), None)


def _members(annotation: Any) -> list[Any]:
    """The types an annotation may hold: itself, or each member of an Optional or union."""
    if get_origin(annotation) in (Union, UnionType):
        return [a for arg in get_args(annotation) for a in _members(arg)]
    if get_origin(annotation) is Annotated:
        return _members(get_args(annotation)[0])
    return [annotation]


def _is_union_tag(part: Any) -> bool:
    # pydantic puts the name of the union member's model into the location
    return isinstance(part, str) and part[:1].isupper()


def _format_loc(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(node: yaml.Node | None, loc: Sequence[Any]) -> int | None:
    """1-based line of the deepest node on ``loc`` that exists in the YAML document."""
    best = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            key_node = next((k for k, _ in node.value if getattr(k, "value", None) == part), None)
            if child is None:
                break
            best = (key_node or child).start_mark.line + 1
            node = child
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            best = node.start_mark.line + 1
        else:
            break
    return best
