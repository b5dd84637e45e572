"""The configuration reference (docs/configuration.md), generated from the settings schema.

Every key, type, default and description comes from the pydantic models (config/schema.py,
config/scoring.py), every source option from the collector registry
(monitor/pipeline/sources.py) and every alert channel option from the channel registry
(alerts/registry.py), walked in declaration order, so the reference cannot drift from the code
and the same code always renders the same text.
"""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

from alerts.channel import Channel
from alerts.registry import CHANNEL_KINDS
from classifiers.risk_lexicon import load_categories
from config.schema import ChannelSettings, Settings, SourceSettings
from config.scoring import CategorySettings, MatrixSettings
from monitor.pipeline.sources import SOURCE_KINDS, SourceKind
from monitor.reference.channel_options import CHANNEL_KIND_NOTES, CHANNEL_OPTION_DOCS, ENV

REGENERATE = "crisiswatch config-reference --out docs/configuration.md"
SELECTS = "Selects the keys of this subsection."

# Patterns the schema uses for names, shown by name (explained under "Value types").
NAMED_PATTERNS: Final[dict[str, str]] = {
    r"^[a-z0-9][a-z0-9_.-]{0,63}$": "id",
    r"^[a-z][a-z0-9_]{0,63}$": "category name",
}

_SCALARS: Final[dict[Any, str]] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    Path: "path",
    timedelta: "duration",
    Any: "any",
    type(None): "null",
}

_INTRO = f"""\
*Generated from the settings schema (config/schema.py, config/scoring.py), the collector \
registry (monitor/pipeline/sources.py) and the alert channel registry (alerts/registry.py); \
do not edit by hand. Regenerate with `{REGENERATE}`.*

# Configuration reference

One YAML file configures crisiswatch. It is found in this order: `--config FILE`, \
`$CRISISWATCH_CONFIG`, `./crisiswatch.yaml`, then the bundled example. \
`crisiswatch check-config [PATH]` validates it and reports every problem with file, line, key \
and what was expected (with "did you mean" for a misspelt key or value); an unknown key is an \
error. Secrets never go in the file: options ending in `_env` name the environment variable \
that holds them; `check-config` warns of each one not set (an error with `--strict`). \
`--database URL` (or `$CRISISWATCH_DATABASE_URL`) overrides the `storage` section. \
`crisiswatch init [DIR]` writes the bundled example with its sample files, to start from.

Keys are written as paths: `a.b` is key `b` inside `a`, `a[].b` is key `b` of every item of the \
list `a`, and `a.<name>.b` is key `b` inside each entry of the mapping `a`, whose keys are names \
you choose. "required" in the Default column means the key must be given.

## Value types

- **duration**: `90s`, `15m`, `2h`, `1d`, `1w`, combinations such as `1h30m`, or a number of \
seconds.
- **id**: lower-case letters, digits, `_`, `.` and `-`, starting with a letter or a digit, at \
most 64 characters.
- **category name**: lower-case letters, digits and `_`, starting with a letter, at most 64 \
characters.
- **path**: a file or folder; each key says what a relative path is relative to.
- **null**: YAML `null` (or `~`).
"""


def render_reference(
    settings: type[BaseModel] = Settings,
    channel_kinds: Mapping[str, type[Channel]] = CHANNEL_KINDS,
    source_kinds: Mapping[str, SourceKind] = SOURCE_KINDS,
) -> str:
    """The Markdown of docs/configuration.md for ``settings`` and the registered kinds."""
    extras: dict[type[BaseModel], Callable[[int], list[str]]] = {
        ChannelSettings: lambda level: _channel_kinds(channel_kinds, level),
        SourceSettings: lambda level: _source_kinds(walker, source_kinds, level),
        CategorySettings: _shipped_categories,
        MatrixSettings: _default_matrix,
    }
    walker = _Walker(extras)
    lines = [_INTRO, *walker.model(settings, path="", level=2, title="Top level", child_level=2)]
    return _tidy(lines)


class _Walker:
    """Renders one model per section: a table of its plain keys, then its nested sections."""

    def __init__(self, extras: Mapping[type[BaseModel], Callable[[int], list[str]]]) -> None:
        self.extras = extras

    def model(
        self,
        model: type[BaseModel],
        *,
        path: str,
        level: int,
        title: str | None = None,
        intro: Iterable[str] = (),
        first: str | None = None,
        child_level: int | None = None,
    ) -> list[str]:
        fields = list(model.model_fields.items())
        if first is not None:
            fields.sort(key=lambda item: item[0] != first)
        rows: list[str] = []
        nested: list[list[str]] = []
        for name, field in fields:
            key = f"{path}{field.alias or name}"  # what the YAML says (``from``, not ``start``)
            if _shape(field.annotation)[0] == "leaf":
                about = _describe(field) or (SELECTS if name == first else "")
                rows.append(_key_row(key, _field_type(field), _default(field), about))
            else:
                nested.append(self.field(field, key=key, level=child_level or level + 1))
        heading = title if title is not None else f"`{path.rstrip('.')}`"
        lines = ["", f"{'#' * level} {heading}", "", *intro]
        if rows:
            lines += ["", "| Key | Type | Default | Description |", "| --- | --- | --- | --- |"]
            lines += rows
        if model in self.extras:
            lines += self.extras[model](level + 1)
        for section in nested:
            lines += section
        return lines

    def field(self, field: FieldInfo, *, key: str, level: int) -> list[str]:
        shape, inner = _shape(field.annotation)
        about = _describe(field)
        if shape == "model":
            intro = [about or _doc(inner), _presence(field)]
            return self.model(inner, path=f"{key}.", level=level, title=f"`{key}`", intro=intro)
        if shape == "list":
            intro = [about, f"A list{_min_items(field)}; each item has these keys."]
            return self.model(inner, path=f"{key}[].", level=level, title=f"`{key}`", intro=intro)
        if shape == "mapping":
            key_type, model = inner
            intro = [
                about or _doc(model),
                f"A mapping: each key (`<name>`, {key_type}) is a name you choose. "
                f"Default: {_default(field)}.",
            ]
            return self.model(
                model, path=f"{key}.<name>.", level=level, title=f"`{key}`", intro=intro
            )
        discriminator, members = inner
        lines = [
            "",
            f"{'#' * level} `{key}`",
            "",
            about,
            f"A list{_min_items(field)}; the `{discriminator}` of each item decides its keys. "
            f"Default: {_default(field)}.",
        ]
        for member in members:
            tag = _literal_values(member.model_fields[discriminator].annotation)[0]
            lines += self.model(
                member,
                path=f"{key}[].",
                level=level + 1,
                title=f"`{key}[]` with `{discriminator}: {tag}`",
                intro=[_doc(member)],
                first=discriminator,
            )
        return lines


def _shape(annotation: Any) -> tuple[str, Any]:
    """What a field holds: a nested model, a list of models, a mapping of name -> model, a
    list of a discriminated union of models, or a plain value (a leaf of the reference)."""
    base, _ = _strip(annotation)
    base = _without_none(base)
    if _is_model(base):
        return "model", base
    origin, args = get_origin(base), get_args(base)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item, meta = _strip(args[0])
        if _is_model(item):
            return "list", item
        members = _union_args(item)
        discriminator = next((m.discriminator for m in meta if _is_discriminated(m)), None)
        if discriminator is not None and all(_is_model(m) for m in members):
            return "union_list", (discriminator, members)
    if origin is dict and len(args) == 2 and _is_model(_strip(args[1])[0]):
        return "mapping", (_type_text(args[0]), _strip(args[1])[0])
    return "leaf", None


def _is_discriminated(meta: Any) -> bool:
    return isinstance(meta, FieldInfo) and isinstance(meta.discriminator, str)


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _strip(annotation: Any) -> tuple[Any, list[Any]]:
    """``Annotated[T, *meta]`` -> (T, meta), with FieldInfo metadata flattened in."""
    if get_origin(annotation) is not Annotated:
        return annotation, []
    base, *extras = get_args(annotation)
    meta: list[Any] = []
    for extra in extras:
        meta.append(extra)
        if isinstance(extra, FieldInfo):
            meta.extend(extra.metadata)
    return base, meta


def _union_args(annotation: Any) -> tuple[Any, ...]:
    if get_origin(annotation) in (Union, types.UnionType):
        return get_args(annotation)
    return (annotation,)


def _without_none(annotation: Any) -> Any:
    members = [a for a in _union_args(annotation) if a is not type(None)]
    return members[0] if len(members) == 1 else annotation


def _literal_values(annotation: Any) -> tuple[Any, ...]:
    return get_args(annotation) if get_origin(annotation) is Literal else ()


def _field_type(field: FieldInfo) -> str:
    return _type_text(field.annotation, list(field.metadata))


def _type_text(annotation: Any, meta: Iterable[Any] = (), *, nested: bool = False) -> str:
    """A readable type, e.g. ``duration``, ``list of string``, ``integer (>= 1)``."""
    base, inner_meta = _strip(annotation)
    constraints = [*inner_meta, *meta]
    named = next((NAMED_PATTERNS.get(p) for p in _patterns(constraints)), None)
    if named is not None:
        return named
    return _plain_type(base, nested=nested) + _limits(constraints)


def _plain_type(base: Any, *, nested: bool = False) -> str:
    if base in _SCALARS:
        return _SCALARS[base]
    literal = _literal_values(base)
    if literal:
        values = [_code(_yaml(v)) for v in literal]
        if nested or len(values) == 1:
            return "/".join(values)
        return f"one of: {', '.join(values)}"
    members = _union_args(base)
    if len(members) > 1:
        shown = [_type_text(m) for m in members if m is not type(None)]
        text = " or ".join(shown)
        return f"{text} or null" if type(None) in members else text
    origin, args = get_origin(base), get_args(base)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return f"list of {_type_text(args[0], nested=True)}"
    if origin is dict:
        if args and args[1] is Any:
            return "mapping"
        key, value = (_type_text(a, nested=True) for a in args)
        return f"mapping of {key} to {value}"
    if _is_model(base):
        return "section"
    return getattr(base, "__name__", str(base))


def _patterns(constraints: Iterable[Any]) -> list[str]:
    return [p for p in (getattr(c, "pattern", None) for c in constraints) if isinstance(p, str)]


def _limits(constraints: Iterable[Any]) -> str:
    parts: list[str] = []
    for constraint in constraints:
        for attr, sign in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            value = getattr(constraint, attr, None)
            if isinstance(value, int | float) and not isinstance(value, bool):
                parts.append(f"{sign} {_yaml(value)}")
        pattern = getattr(constraint, "pattern", None)
        if isinstance(pattern, str):
            parts.append(f"matching {_code(pattern)}")
    return f" ({', '.join(parts)})" if parts else ""


def _min_items(field: FieldInfo) -> str:
    least = next((getattr(m, "min_length", None) for m in field.metadata), None)
    return f" of at least {least} item{'s' if least != 1 else ''}" if least else ""


def _default(field: FieldInfo) -> str:
    """The default as YAML would take it, or "required"."""
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    annotation: Any = field.annotation
    if field.metadata:
        # the serialiser of a duration lives in the metadata: without it a timedelta is dumped
        annotation = Annotated[(annotation, *field.metadata)]
    dumped = TypeAdapter(annotation).dump_python(value, exclude_defaults=True)
    return _code(_yaml(_plain(dumped)))


def _plain(value: Any) -> Any:
    """Python values as YAML writes them: tuples as lists, paths as text, keys kept as typed
    (JSON mode would turn the tier keys ``1`` into the string ``'1'``)."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _presence(field: FieldInfo) -> str:
    if field.is_required():
        return "Required."
    if field.get_default(call_default_factory=True) is None:
        return "Optional: leave it out (default `null`) to turn it off."
    return ""


def _yaml(value: Any) -> str:
    text = yaml.safe_dump(
        value, default_flow_style=True, allow_unicode=True, sort_keys=False, width=10**6
    )
    return text.strip().removesuffix("...").strip()


def _code(text: str) -> str:
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _row(*cells: str) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _key_row(key: str, *cells: str) -> str:
    return _row(_code(key), *cells)


def _describe(field: FieldInfo) -> str:
    return _markdown(field.description or "")


def _doc(obj: Any) -> str:
    """First paragraph of a docstring, in Markdown."""
    text = inspect.cleandoc(obj.__doc__ or "") if obj is not None else ""
    return _markdown(text.split("\n\n")[0])


def _markdown(text: str) -> str:
    return " ".join(text.replace("``", "`").split())


def _channel_kinds(kinds: Mapping[str, type[Channel]], level: int) -> list[str]:
    """Each channel kind's options, as declared by the alert channel registry."""
    modules: dict[str, int] = {}
    for cls in kinds.values():
        modules[cls.__module__] = modules.get(cls.__module__, 0) + 1
    lines = [
        "",
        f"{'#' * level} Channel kinds",
        "",
        "Every other key of a channel is an option of its `kind`. Options ending in `_env` name "
        "the environment variable that holds the secret. `crisiswatch check-config` checks "
        "kinds and options without the secrets, and warns of every variable an enabled channel "
        "reads that is not set (a kind's default too, such as Slack's `SLACK_BOT_TOKEN`); "
        "`crisiswatch check-config --strict` and `crisiswatch channels` fail on them.",
    ]
    for kind, cls in kinds.items():
        docs = CHANNEL_OPTION_DOCS.get(kind, {})
        # a module holding one kind describes it best; a shared one describes neither alone
        source = sys.modules[cls.__module__] if modules[cls.__module__] == 1 else cls
        lines += ["", f"{'#' * (level + 1)} `kind: {kind}`", "", _doc(source)]
        if kind in CHANNEL_KIND_NOTES:
            lines += ["", CHANNEL_KIND_NOTES[kind]]
        lines += ["", "| Key | Type | Default | Description |", "| --- | --- | --- | --- |"]
        for option in (*cls.required_options, *cls.optional_options):
            doc = docs.get(option)
            required = option in cls.required_options
            type_text = doc.type if doc else (ENV if option.endswith("_env") else "")
            default = "required" if required else (doc.default if doc else "")
            key = f"channels.<name>.{option}"
            lines.append(_key_row(key, type_text, default, doc.text if doc else ""))
    return lines


def _source_kinds(walker: _Walker, kinds: Mapping[str, SourceKind], level: int) -> list[str]:
    """Each source kind's options, as declared by the collector registry."""
    lines = [
        "",
        f"{'#' * level} Source kinds",
        "",
        "Every other key of a source is an option of its `kind`, checked against the kind's "
        "options when the configuration is used (`crisiswatch check-config` too). An export "
        "file that does not exist is an error; a local feed file that does not exist is a "
        "warning of `check-config` (each poll fails until it exists).",
    ]
    for kind, collector in kinds.items():
        lines += walker.model(
            collector.options,
            path="sources[].",
            level=level + 1,
            title=f"`sources[]` with `kind: {kind}`",
            intro=[_doc(type(collector))],
        )
    return lines


def _shipped_categories(level: int) -> list[str]:
    lines = [
        "",
        f"{'#' * level} Shipped risk categories",
        "",
        "With `scoring.defaults: true`, these categories exist before your overrides "
        "(threshold 0.5 unless changed):",
        "",
        "| Category | Severity | Description |",
        "| --- | --- | --- |",
    ]
    for category in load_categories():
        lines.append(_row(f"`{category.name}`", str(category.severity), category.description))
    return lines


def _default_matrix(level: int) -> list[str]:
    table = MatrixSettings.model_fields["table"].get_default(call_default_factory=True)
    lines = [
        "",
        f"{'#' * level} Default risk matrix",
        "",
        "Grades by likelihood (rows) and impact (columns), as `scoring.matrix.table` sets them "
        "by default:",
        "",
        "| | " + " | ".join(f"impact {i}" for i in range(1, len(table[0]) + 1)) + " |",
        "| --- |" + " --- |" * len(table[0]),
    ]
    for number, row in enumerate(table, start=1):
        lines.append(_row(f"likelihood {number}", *row))
    return lines


def _tidy(lines: list[str]) -> str:
    """Join, dropping empty intro parts and repeated blank lines, ending with one newline."""
    out: list[str] = []
    for line in "\n".join(lines).split("\n"):
        if line.strip() == "" and (not out or out[-1] == ""):
            continue
        out.append(line.rstrip())
    return "\n".join(out).strip("\n") + "\n"
