"""The review as a YAML form to edit in $EDITOR, and that form read back.

``render_form`` writes every stored part of a review, its action items and, as comments, the
generated timeline. ``parse_form`` reads the edited text back into a ``ReviewChange`` (every
part replaced by what the form holds; action items without an ``id`` are new, items left out
are unchanged). Every problem is one ``review form:LINE: key.path: problem`` line, through the
configuration loader's own YAML reader and error descriptions.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from alerts.sanitize import one_line
from alerts.times import format_time
from config.loader import describe_errors, parse_yaml
from monitor.incidents.reviews import ActionDraft, ReviewChange, ReviewView

FORM_NAME = Path("review form")

ReadDue = Callable[[str], datetime]


class ReviewFormError(Exception):
    """The edited form cannot be read; ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def _none_as_empty(value: object) -> object:
    return [] if value is None else value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Lines = Annotated[list[Text], BeforeValidator(_none_as_empty)]


class _ActionForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    text: Text
    owner: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
    due: datetime
    state: Literal["open", "done", "dropped"] = "open"

    @field_validator("due", mode="before")
    @classmethod
    def _due(cls, value: object, info: ValidationInfo) -> datetime:
        read: ReadDue = (info.context or {})["read_due"]
        if isinstance(value, datetime | date):  # YAML read an unquoted date or time itself
            value = value.isoformat(" ") if isinstance(value, datetime) else value.isoformat()
        if not isinstance(value, str | int):
            raise ValueError("expected a date like 2026-12-20 or a time from now like 7d")
        return read(str(value))

    @field_validator("id")
    @classmethod
    def _known(cls, value: int | None, info: ValidationInfo) -> int | None:
        known: Collection[int] = (info.context or {}).get("known_ids", ())
        if value is not None and value not in known:
            raise ValueError(
                f"no action item #{value} in this review (leave id out for a new item)"
            )
        return value


class _ReviewForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary: Annotated[str, BeforeValidator(lambda v: "" if v is None else v)] = ""
    causes: Lines = Field(default_factory=list)
    went_well: Lines = Field(default_factory=list)
    went_badly: Lines = Field(default_factory=list)
    actions: Annotated[list[_ActionForm], BeforeValidator(_none_as_empty)] = Field(
        default_factory=list
    )
    revisions: Lines = Field(default_factory=list)
    completed: bool = False


class _Dumper(yaml.SafeDumper):
    """Multi-line text as a literal block, so the summary reads as written."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _dump(key: str, value: Any) -> str:
    if value == []:  # a bare key, so that items can be written under it as they are
        return f"{key}:\n#   - one point per line\n"
    return yaml.dump(
        {key: value},
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=100,
        default_flow_style=False,
    )


def render_form(view: ReviewView, *, zone: str) -> str:
    """The review as a commented YAML document to edit."""
    head = [
        f"# Review (复盘) of incident #{view.incident_id}: {one_line(view.incident_title, 120)}",
        f"# State {view.incident_state}, grade {view.grade} (peak {view.peak_grade}).",
        "# Lines starting with # are ignored. Save and quit to store the review; quit without",
        "# saving to leave it as it is.",
        "#",
        "# Timeline (generated from the incident; not edited here):",
        *[f"#   {format_time(e.at, zone)}  {e.text}" for e in view.timeline],
        "",
    ]
    actions = [
        {
            "id": a.id,
            "text": a.text,
            "owner": a.owner,
            "due": format_time(a.due_at, zone),
            "state": a.state,
        }
        for a in view.actions
    ]
    parts = [
        "# What happened, in a few sentences.",
        _dump("summary", view.summary),
        "# Why it happened: one cause per line.",
        _dump("causes", list(view.causes)),
        _dump("went_well", list(view.went_well)),
        _dump("went_badly", list(view.went_badly)),
        "# Follow-ups. Keep an item's id to change it; an item without an id is new.",
        "# due: a time as printed (2026-12-20 18:00 UTC+8), a date (its end), or from now (7d).",
        "# state: open, done or dropped. Items left out of this list are not changed.",
        _dump("actions", actions)
        if actions
        else "actions:\n"
        "#   - text: Add the batch number to the holding statement\n"
        "#     owner: Ana\n#     due: 7d\n",
        "# Changes proposed to the playbooks, response scripts or watchlist.",
        _dump("revisions", list(view.revisions)),
        "# true when the review's conclusions are final (the digest counts it then).",
        _dump("completed", view.completed_at is not None),
    ]
    return "\n".join(head) + "\n".join(parts)


def parse_form(
    text: str, *, read_due: ReadDue, known_ids: Collection[int], name: Path = FORM_NAME
) -> ReviewChange:
    """The change an edited form asks for; ReviewFormError lists every problem by line.

    ``read_due`` reads a due time (ValueError when it cannot)."""
    try:
        data, root = parse_yaml(text, name)
    except ValueError as exc:
        raise ReviewFormError([str(exc)]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ReviewFormError([f"{name}:1: expected the review's keys (summary, causes, ...)"])
    try:
        form = _ReviewForm.model_validate(
            data, context={"read_due": read_due, "known_ids": set(known_ids)}
        )
    except ValidationError as exc:
        raise ReviewFormError(list(describe_errors(exc, name, root, schema=_ReviewForm))) from None
    return ReviewChange(
        summary=form.summary.strip(),
        causes=tuple(form.causes),
        went_well=tuple(form.went_well),
        went_badly=tuple(form.went_badly),
        revisions=tuple(form.revisions),
        actions=tuple(
            ActionDraft(text=a.text, owner=a.owner, due_at=a.due, state=a.state, id=a.id)
            for a in form.actions
        ),
        completed=form.completed,
    )
