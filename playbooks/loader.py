"""Load playbooks from YAML files or folders, with one-line errors naming file, key and line."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from playbooks.errors import PlaybookError
from playbooks.model import (
    OFF_HOURS_NOTIFY,
    PLAYBOOK_GRADES,
    TARGET_KINDS,
    ChecklistItem,
    NotifyStep,
    OffHours,
    Playbook,
    Sla,
    Step,
    Target,
    WaitAckStep,
)
from playbooks.yamlsource import (
    ID_RE,
    KeyPath,
    Reader,
    YamlDoc,
    format_keypath,
    read_yaml_file,
)

PathArg = str | os.PathLike[str]
CHANNEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}", re.ASCII)
GRADE_RE = re.compile("|".join(PLAYBOOK_GRADES))
MAX_REPEAT = 100
MAX_STEPS = 50
MAX_CHECKLIST = 50
_MINUTE = timedelta(minutes=1)
_MONTH = timedelta(days=30)

_PLAYBOOK_KEYS = ("name", "applies_to", "sla", "checklist", "steps")
_PLAYBOOK_OPTIONAL = ("description", "repeat", "scripts", "off_hours")


def as_paths(paths: PathArg | Iterable[PathArg]) -> list[Path]:
    """One path or many, as a list of Paths."""
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    return [Path(item) for item in items]


def yaml_files(paths: list[Path]) -> list[Path]:
    """Expand files and folders (``*.yaml``/``*.yml``, sorted, not recursive) into files."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        elif path.exists():
            files.append(path)
        else:
            raise PlaybookError("file or folder not found", file=str(path))
    return files


def is_scripts_document(data: Any) -> bool:
    """True for a response-script file: a top-level ``scripts`` list of entries, no ``name``."""
    return (
        isinstance(data, Mapping)
        and "name" not in data
        and "playbooks" not in data
        and isinstance(data.get("scripts"), list)
        and all(isinstance(item, Mapping) for item in data["scripts"])
    )


def load_playbooks(paths: PathArg | Iterable[PathArg]) -> tuple[Playbook, ...]:
    """Load every playbook from the given files and folders (script files in folders skipped)."""
    given = as_paths(paths)
    playbooks: list[Playbook] = []
    origin: dict[str, str] = {}
    for path in yaml_files(given):
        doc = read_yaml_file(path)
        if is_scripts_document(doc.data):
            continue
        for playbook, key in parse_playbook_document(doc):
            if playbook.name in origin:
                Reader(doc).fail(
                    (*key, "name"),
                    f"duplicate playbook name '{playbook.name}' (also in {origin[playbook.name]})",
                )
            origin[playbook.name] = doc.name
            playbooks.append(playbook)
    if not playbooks:
        raise PlaybookError("no playbooks found", file=", ".join(map(str, given)) or "(no paths)")
    return tuple(playbooks)


def parse_playbook_document(doc: YamlDoc) -> list[tuple[Playbook, KeyPath]]:
    """A file holds one playbook mapping, or ``playbooks:`` with a list of them."""
    reader = Reader(doc)
    data = doc.data
    if isinstance(data, Mapping) and "playbooks" in data:
        reader.mapping(data, (), required=("playbooks",))
        items = reader.sequence(data["playbooks"], ("playbooks",), what="playbooks", nonempty=True)
        return [
            (_parse_playbook(reader, item, ("playbooks", i)), ("playbooks", i))
            for i, item in enumerate(items)
        ]
    return [(_parse_playbook(reader, data, ()), ())]


def _parse_playbook(reader: Reader, data: Any, path: KeyPath) -> Playbook:
    raw = reader.mapping(
        data, path, required=_PLAYBOOK_KEYS, optional=_PLAYBOOK_OPTIONAL, what="a playbook mapping"
    )
    name = reader.string(raw["name"], (*path, "name"), pattern=ID_RE, what="a playbook name")
    description = ""
    if raw.get("description") is not None:
        description = reader.string(
            raw["description"], (*path, "description"), max_len=2000, multiline=True
        ).strip()
    applies = reader.mapping(
        raw["applies_to"], (*path, "applies_to"), required=("grades",), optional=("categories",)
    )
    grades = reader.names(
        applies["grades"],
        (*path, "applies_to", "grades"),
        pattern=GRADE_RE,
        noun="grade",
        hint=f" ({', '.join(PLAYBOOK_GRADES)})",
        plural="grades",
        nonempty=True,
    )
    categories: tuple[str, ...] = ()
    if applies.get("categories") is not None:
        categories = reader.names(
            applies["categories"],
            (*path, "applies_to", "categories"),
            pattern=ID_RE,
            noun="category",
            plural="categories",
            nonempty=False,
        )
    sla_raw = reader.mapping(
        raw["sla"], (*path, "sla"), required=("time_to_ack", "time_to_first_response")
    )
    sla = Sla(
        time_to_ack=reader.duration(
            sla_raw["time_to_ack"], (*path, "sla", "time_to_ack"), minimum=_MINUTE, maximum=_MONTH
        ),
        time_to_first_response=reader.duration(
            sla_raw["time_to_first_response"],
            (*path, "sla", "time_to_first_response"),
            minimum=_MINUTE,
            maximum=_MONTH,
        ),
    )
    steps = _steps(reader, raw["steps"], (*path, "steps"))
    repeat = 0
    if raw.get("repeat") is not None:
        repeat = reader.integer(raw["repeat"], (*path, "repeat"), minimum=0, maximum=MAX_REPEAT)
    scripts: tuple[str, ...] = ()
    if raw.get("scripts") is not None:
        scripts = reader.names(
            raw["scripts"],
            (*path, "scripts"),
            pattern=ID_RE,
            noun="script id",
            plural="script ids",
            nonempty=False,
        )
    playbook = Playbook(
        name=name,
        grades=grades,
        categories=categories,
        sla=sla,
        checklist=_checklist(reader, raw["checklist"], (*path, "checklist")),
        steps=steps,
        repeat=repeat,
        scripts=scripts,
        description=description,
        source=reader.doc.name,
        off_hours=_off_hours(reader, raw.get("off_hours"), (*path, "off_hours")),
    )
    start = playbook.cycle_start()
    if (
        repeat
        and start is not None
        and not any(isinstance(step, WaitAckStep) for step in steps[start:])
    ):
        reader.fail(
            (*path, "repeat"),
            "repeating needs a wait_ack step after the last notify (the repeats would all fire "
            "at once)",
        )
    return playbook


def _steps(reader: Reader, value: Any, path: KeyPath) -> tuple[Step, ...]:
    items = reader.sequence(value, path, what="steps", nonempty=True)
    if len(items) > MAX_STEPS:
        reader.fail(path, f"expected at most {MAX_STEPS} steps, got {len(items)}")
    steps: list[Step] = []
    for index, item in enumerate(items):
        item_path = (*path, index)
        if not isinstance(item, Mapping) or len(item) != 1:
            reader.fail(
                item_path,
                "expected a mapping with one key, notify or wait_ack (e.g. {notify: [console]} "
                "or {wait_ack: 15m})",
            )
        step = reader.mapping(item, item_path, optional=("notify", "wait_ack"))
        if "notify" in step:
            steps.append(_notify(reader, step["notify"], (*item_path, "notify")))
        else:
            wait = reader.duration(
                step["wait_ack"], (*item_path, "wait_ack"), minimum=_MINUTE, maximum=_MONTH
            )
            steps.append(WaitAckStep(wait=wait))
    return tuple(steps)


def _notify(reader: Reader, value: Any, path: KeyPath) -> NotifyStep:
    """``notify``: channel names and people targets (``{oncall: S}``, ``{person: P}``,
    ``{team: T}``, ``{lead: T}``, each with an optional ``via: [channel, ...]``)."""
    items = [value] if isinstance(value, str | Mapping) else value
    items = reader.sequence(items, path, what="channel names or targets", nonempty=True)
    single = not isinstance(value, list)
    channels: list[str] = []
    targets: list[Target] = []
    for index, item in enumerate(items):
        item_path = path if single else (*path, index)
        if isinstance(item, Mapping):
            target = _target(reader, item, item_path)
            if any((t.kind, t.id) == (target.kind, target.id) for t in targets):
                reader.fail(item_path, f"duplicate target {target.kind}: {target.id}")
            targets.append(target)
            continue
        name = reader.string(
            item,
            item_path,
            pattern=CHANNEL_RE,
            what="a channel name or a target ({oncall: S}, {person: P}, {team: T}, {lead: T})",
        )
        if name in channels:
            reader.fail(item_path, f"duplicate channel name '{name}'")
        channels.append(name)
    return NotifyStep(channels=tuple(channels), targets=tuple(targets))


def _target(reader: Reader, item: Mapping[str, Any], path: KeyPath) -> Target:
    raw = reader.mapping(item, path, optional=(*TARGET_KINDS, "via"), what="a target mapping")
    kinds = [k for k in TARGET_KINDS if k in raw]
    if len(kinds) != 1:
        reader.fail(
            path,
            f"expected exactly one of {', '.join(TARGET_KINDS)} in a target, "
            f"got {', '.join(kinds) or 'none'}",
        )
    kind = kinds[0]
    what = {"oncall": "a schedule id", "person": "a person id"}.get(kind, "a team id")
    ident = reader.string(raw[kind], (*path, kind), pattern=ID_RE, what=what)
    via: tuple[str, ...] = ()
    if raw.get("via") is not None:
        via = reader.names(
            raw["via"],
            (*path, "via"),
            pattern=CHANNEL_RE,
            noun="channel name",
            plural="channel names",
            nonempty=True,
        )
    return Target(
        kind=kind,
        id=ident,
        via=via,
        key=format_keypath((*path, kind)),
        line=reader.doc.line_of((*path, kind)),
    )


def _off_hours(reader: Reader, value: Any, path: KeyPath) -> OffHours:
    if value is None:
        return OffHours()
    raw = reader.mapping(value, path, optional=("notify", "auto_reply", "auto_reply_to"))
    notify = "page"
    if raw.get("notify") is not None:
        notify = reader.string(raw["notify"], (*path, "notify"), max_len=10)
        if notify not in OFF_HOURS_NOTIFY:
            reader.fail(
                (*path, "notify"),
                f"expected one of {', '.join(OFF_HOURS_NOTIFY)}, got {notify!r}",
            )
    auto_reply: tuple[str, ...] = ()
    if raw.get("auto_reply") is not None:
        auto_reply = reader.names(
            raw["auto_reply"], (*path, "auto_reply"), pattern=ID_RE, noun="script id",
            plural="script ids", nonempty=False,
        )
    auto_reply_to: tuple[str, ...] = ()
    if raw.get("auto_reply_to") is not None:
        auto_reply_to = reader.names(
            raw["auto_reply_to"], (*path, "auto_reply_to"), pattern=CHANNEL_RE,
            noun="channel name", plural="channel names", nonempty=False,
        )
    return OffHours(notify=notify, auto_reply=auto_reply, auto_reply_to=auto_reply_to)


def _checklist(reader: Reader, value: Any, path: KeyPath) -> tuple[ChecklistItem, ...]:
    items = reader.sequence(value, path, what="checklist items", nonempty=True)
    if len(items) > MAX_CHECKLIST:
        reader.fail(path, f"expected at most {MAX_CHECKLIST} items, got {len(items)}")
    out: list[ChecklistItem] = []
    for index, item in enumerate(items):
        item_path = (*path, index)
        if isinstance(item, str):
            entry = ChecklistItem(
                id=f"item-{index + 1}",
                text=reader.string(item, item_path, max_len=1000, multiline=True).strip(),
            )
        else:
            raw = reader.mapping(
                item,
                item_path,
                required=("text",),
                optional=("id", "owner"),
                what="a checklist item (text, or a mapping with id, text, owner)",
            )
            owner = None
            if raw.get("owner") is not None:
                owner = reader.string(raw["owner"], (*item_path, "owner"), max_len=100)
            entry = ChecklistItem(
                id=(
                    reader.string(raw["id"], (*item_path, "id"), pattern=ID_RE, what="an item id")
                    if raw.get("id") is not None
                    else f"item-{index + 1}"
                ),
                text=reader.string(
                    raw["text"], (*item_path, "text"), max_len=1000, multiline=True
                ).strip(),
                owner=owner,
            )
        if any(existing.id == entry.id for existing in out):
            reader.fail((*item_path, "id"), f"duplicate checklist item id '{entry.id}'")
        out.append(entry)
    return tuple(out)
