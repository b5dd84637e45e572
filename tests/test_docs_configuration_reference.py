"""docs/configuration.md is generated from the settings schema and the channel registry."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import click
from click.testing import CliRunner
from pydantic import BaseModel, ConfigDict, Field

from alerts.registry import CHANNEL_KINDS
from config.durations import Duration
from config.schema import Settings
from monitor.cli import docs as cli_docs
from monitor.pipeline.sources import SOURCE_KINDS
from monitor.reference.channel_options import CHANNEL_OPTION_DOCS
from monitor.reference.configuration import REGENERATE, render_reference

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "docs" / "configuration.md"


def _section(text: str, heading: str) -> str:
    """The text from ``heading`` to the next heading of the same or a higher level."""
    start = text.index(heading + "\n")
    level = heading.split(" ", 1)[0]
    rest = text[start + len(heading) :]
    ends = [rest.find(f"\n{'#' * n} ") for n in range(2, len(level) + 1)]
    found = [e for e in ends if e >= 0]
    return rest[: min(found)] if found else rest


def test_committed_reference_matches_the_schema() -> None:
    expected = render_reference()
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.is_file() else ""
    if committed != expected:
        lines = difflib.unified_diff(
            committed.splitlines(), expected.splitlines(), "committed", "schema", lineterm=""
        )
        diff = "\n".join(list(lines)[:30])
        raise AssertionError(
            f"docs/configuration.md is out of date with the schema; regenerate it with "
            f"`{REGENERATE}`\n{diff}"
        )


def test_reference_is_deterministic_and_says_how_to_regenerate() -> None:
    text = render_reference()
    assert text == render_reference()
    assert REGENERATE in text.splitlines()[0]
    assert str(REPO) not in text and str(Path.home()) not in text


def test_known_keys_types_and_defaults_appear() -> None:
    text = render_reference()
    assert "| `sources[].interval` | duration | `1h` |" in text
    assert "| `inbox.settle` | duration | `5s` |" in text
    assert "| `storage.url_env` | string or null | `null` |" in text
    assert "| `organisation.name` | string | required |" in text
    assert "| `channels.<name>.kind` | string | required |" in text
    assert (
        "| `service.tier_intervals` | mapping of integer to duration | `{1: 5m, 2: 15m, 3: 1h}`"
        in text
    )
    kinds = "one of: `brand`, `product`, `executive`, `competitor`, `topic`"
    assert f"| `entities[].kind` | {kinds} | required |" in text
    severity = "| `scoring.categories.<name>.severity` | integer or null (>= 1, <= 5) | `null` |"
    assert severity in text
    export = _section(text, "#### `sources[]` with `kind: export`")
    assert "| `sources[].preset` | string | `generic` |" in export
    assert "`sources[].url`" not in export


def test_every_source_kind_lists_its_options() -> None:
    text = render_reference()
    for kind, collector in SOURCE_KINDS.items():
        section = _section(text, f"#### `sources[]` with `kind: {kind}`")
        for name, field in collector.options.model_fields.items():
            row = next(r for r in section.splitlines() if f"| `sources[].{name}` |" in r)
            assert ("| required |" in row) == field.is_required(), (kind, name)


def test_every_channel_kind_lists_its_registered_options() -> None:
    text = render_reference()
    slack = _section(text, "#### `kind: slack`")
    token = "| `channels.<name>.token_env` | environment variable name | `SLACK_BOT_TOKEN` |"
    assert token in slack
    for kind, cls in CHANNEL_KINDS.items():
        section = _section(text, f"#### `kind: {kind}`")
        for option in (*cls.required_options, *cls.optional_options):
            assert f"`channels.<name>.{option}`" in section, (kind, option)
        for option in cls.required_options:
            assert f"| `channels.<name>.{option}` | " in section
            row = next(r for r in section.splitlines() if f"`channels.<name>.{option}`" in r)
            assert "| required |" in row


def test_channel_option_descriptions_cover_exactly_the_registry() -> None:
    assert set(CHANNEL_OPTION_DOCS) == set(CHANNEL_KINDS)
    for kind, cls in CHANNEL_KINDS.items():
        declared = {*cls.required_options, *cls.optional_options}
        assert set(CHANNEL_OPTION_DOCS[kind]) == declared, (
            f"describe the options of channel kind {kind!r} in monitor/reference/channel_options.py"
        )


class _Limits(BaseModel):
    """Limits on something new."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pause: Duration = Field(timedelta(minutes=90), description="How long to pause.")
    level: int = Field(2, ge=1, le=9, description="How loud.")


class _Grown(Settings):
    """Settings with a section and a mapping added, as a later version might."""

    limits: _Limits = Field(default_factory=_Limits)  # type: ignore[arg-type]
    teams: dict[str, _Limits] = Field(default_factory=dict, description="Limits per team.")


class _PagerChannel:
    """Pages someone."""

    kind: ClassVar[str] = "pager"
    required_options: ClassVar[tuple[str, ...]] = ("number_env",)
    optional_options: ClassVar[tuple[str, ...]] = ("retries",)


def test_fields_and_channel_options_added_later_show_up() -> None:
    kinds: Mapping[str, Any] = {**CHANNEL_KINDS, "pager": _PagerChannel}
    text = render_reference(_Grown, kinds)
    limits = _section(text, "## `limits`")
    assert "Limits on something new." in limits
    assert "| `limits.pause` | duration | `1h30m` | How long to pause. |" in limits
    assert "| `limits.level` | integer (>= 1, <= 9) | `2` | How loud. |" in limits
    teams = _section(text, "## `teams`")
    assert "| `teams.<name>.pause` | duration | `1h30m` |" in teams
    pager = _section(text, "#### `kind: pager`")
    assert "| `channels.<name>.number_env` | environment variable name | required |" in pager
    assert "`channels.<name>.retries`" in pager


def _group() -> click.Group:
    @click.group()
    def cli() -> None:
        """Test group."""

    cli_docs.register(cli)
    return cli


def test_command_prints_or_writes_the_reference(tmp_path: Path) -> None:
    runner = CliRunner()
    printed = runner.invoke(_group(), ["config-reference"])
    assert printed.exit_code == 0, printed.output
    assert printed.output == render_reference()
    out = tmp_path / "new" / "docs" / "configuration.md"
    written = runner.invoke(_group(), ["config-reference", "--out", str(out)])
    assert written.exit_code == 0, written.output
    assert written.output == f"wrote {out}\n"
    assert out.read_bytes() == render_reference().encode("utf-8")


def test_command_reports_an_unwritable_target(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(cli_docs.config_reference, ["--out", str(blocker / "ref.md")])
    assert result.exit_code == 1
    assert "error: cannot write" in result.output
