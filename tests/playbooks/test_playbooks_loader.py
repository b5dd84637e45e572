"""Loading playbooks: typed results, and one-line errors naming file, key path and line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from playbooks import (
    NotifyStep,
    PlaybookError,
    WaitAckStep,
    load_playbooks,
    parse_duration,
)
from playbooks.durations import format_duration

HIGH = """\
name: high
description: Serious negative event.
applies_to:
  grades: [high]
sla:
  time_to_ack: 15m
  time_to_first_response: 2h
checklist:
  - id: confirm
    text: Confirm the facts and their spread.
    owner: on-call
  - Agree one official line.
steps:
  - notify: [risk-slack]
  - wait_ack: 15m
  - notify: [manager-email, exec-slack]
  - wait_ack: 30m
repeat: 2
scripts: [a.en, a.zh]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str, name: str = "high.yaml") -> PlaybookError:
    path = write(tmp_path, name, text)
    with pytest.raises(PlaybookError) as info:
        load_playbooks([path])
    return info.value


def test_loads_a_typed_playbook(tmp_path: Path) -> None:
    (playbook,) = load_playbooks(write(tmp_path, "high.yaml", HIGH))
    assert playbook.name == "high"
    assert playbook.grades == ("high",)
    assert playbook.categories == ()
    assert playbook.sla.time_to_ack == timedelta(minutes=15)
    assert playbook.sla.time_to_first_response == timedelta(hours=2)
    assert [item.id for item in playbook.checklist] == ["confirm", "item-2"]
    assert playbook.checklist[0].owner == "on-call"
    assert playbook.steps == (
        NotifyStep(("risk-slack",)),
        WaitAckStep(timedelta(minutes=15)),
        NotifyStep(("manager-email", "exec-slack")),
        WaitAckStep(timedelta(minutes=30)),
    )
    assert playbook.repeat == 2
    assert playbook.scripts == ("a.en", "a.zh")
    assert playbook.source.endswith("high.yaml")
    assert playbook.notify_levels() == (1, None, 2, None)
    assert playbook.cycle_start() == 2
    assert playbook.channels() == ("risk-slack", "manager-email", "exec-slack")


def test_bad_duration_names_file_key_path_and_line(tmp_path: Path) -> None:
    error = load_error(tmp_path, HIGH.replace("wait_ack: 30m", "wait_ack: soon"))
    path = tmp_path / "high.yaml"
    assert str(error) == (
        f"{path}: steps[3].wait_ack: expected a duration like 15m, got 'soon' (line 17)"
    )
    assert (error.file, error.key, error.line) == (str(path), "steps[3].wait_ack", 17)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("  time_to_ack: 15m\n", "", "sla: missing required key 'time_to_ack'"),
        ("wait_ack: 15m", "wait_ak: 15m", "steps[1].wait_ak: unknown key 'wait_ak'"),
        ("grades: [high]", "grades: [urgent]", "applies_to.grades[0]: expected a grade (low,"),
        ("repeat: 2", "repeat: many", "repeat: expected a whole number, got 'many'"),
        ("repeat: 2", "repeat: 500", "repeat: expected a number from 0 to 100, got 500"),
        ("time_to_ack: 15m", "time_to_ack: 15", "sla.time_to_ack: expected a duration like 15m"),
        ("time_to_ack: 15m", "time_to_ack: 0m", "sla.time_to_ack: expected a duration between"),
        ("notify: [risk-slack]", "notify: []", "steps[0].notify: expected at least one channel"),
        ("notify: [risk-slack]", "notify: [a, a]", "steps[0].notify[1]: duplicate channel name"),
        ("notify: [risk-slack]", "notify: ['bad channel']", "steps[0].notify[0]: expected a ch"),
        ("  - wait_ack: 15m\n", "  - {wait_ack: 15m, notify: [x]}\n", "steps[1]: expected a map"),
        ("name: high", "name: High Plan", "name: expected a playbook name, got 'High Plan'"),
        ("scripts: [a.en, a.zh]", "scripts: {a: 1}", "scripts: expected a list of script ids"),
        ("checklist:\n", "checklist: []\nx:\n", "unknown key 'x'"),
    ],
)
def test_field_errors(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in HIGH
    error = load_error(tmp_path, HIGH.replace(old, new, 1))
    assert str(error).startswith(f"{tmp_path / 'high.yaml'}: ")
    assert expected in str(error)


def test_empty_checklist_and_steps_are_refused(tmp_path: Path) -> None:
    text = HIGH.split("checklist:")[0] + "checklist: []\nsteps: [{notify: [x]}]\n"
    assert "checklist: expected at least one checklist item" in str(load_error(tmp_path, text))


def test_duplicate_yaml_key_and_syntax_error_give_lines(tmp_path: Path) -> None:
    error = load_error(tmp_path, HIGH + "repeat: 3\n")
    assert "duplicate key 'repeat'" in str(error) and error.line == 20
    error = load_error(tmp_path, HIGH.replace("grades: [high]", "grades: [high"))
    assert "invalid YAML" in str(error) and error.line is not None


def test_alias_bombs_and_cycles_fail_fast(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    bomb = HIGH + "\n".join(lines) + "\n"
    assert "unknown key 'a0'" in str(load_error(tmp_path, bomb))
    cycle = HIGH.replace("steps:\n", "steps: &s\n  - *s\n", 1)
    assert "steps[0]: expected a mapping with one key" in str(load_error(tmp_path, cycle))


def test_non_mapping_file(tmp_path: Path) -> None:
    error = load_error(tmp_path, "- a\n- b\n")
    assert str(error).endswith("high.yaml: expected a playbook mapping, got a list (line 1)")
    error = load_error(tmp_path, "# nothing here\n")
    assert str(error).endswith("high.yaml: expected a playbook mapping, got nothing")


def test_repeat_needs_a_wait_after_the_last_notify(tmp_path: Path) -> None:
    text = HIGH.replace("  - wait_ack: 30m\n", "")
    assert "repeat: repeating needs a wait_ack step" in str(load_error(tmp_path, text))
    (playbook,) = load_playbooks(write(tmp_path, "ok.yaml", text.replace("repeat: 2", "repeat: 0")))
    assert playbook.repeat == 0


def test_single_channel_string_and_categories(tmp_path: Path) -> None:
    text = HIGH.replace("notify: [risk-slack]", "notify: risk-slack").replace(
        "grades: [high]", "grades: [high, critical]\n  categories: [product_safety]"
    )
    (playbook,) = load_playbooks(write(tmp_path, "p.yaml", text))
    assert playbook.steps[0] == NotifyStep(("risk-slack",))
    assert playbook.grades == ("high", "critical")
    assert playbook.categories == ("product_safety",)


def test_list_form_and_duplicate_names(tmp_path: Path) -> None:
    body = "\n".join("    " + line for line in HIGH.splitlines())
    two = "playbooks:\n  -\n" + body + "\n  -\n" + body.replace("name: high", "name: high2")
    books = load_playbooks(write(tmp_path, "many.yaml", two))
    assert [p.name for p in books] == ["high", "high2"]
    write(tmp_path, "other.yaml", HIGH)
    with pytest.raises(PlaybookError) as info:
        load_playbooks(tmp_path)
    assert "duplicate playbook name 'high' (also in" in str(info.value)
    assert str(info.value).startswith(str(tmp_path / "other.yaml"))


def test_folder_loading_skips_script_files(tmp_path: Path) -> None:
    write(tmp_path, "b_high.yaml", HIGH)
    write(tmp_path, "a_low.yml", HIGH.replace("high", "low"))
    write(tmp_path, "scripts.yaml", "scripts:\n  - {id: x, scenario: y, lang: en, text: hi}\n")
    write(tmp_path, "notes.txt", "not yaml: [")
    assert [p.name for p in load_playbooks(tmp_path)] == ["low", "high"]
    files = (tmp_path / name for name in ("b_high.yaml", "a_low.yml"))  # any iterable will do
    assert [p.name for p in load_playbooks(files)] == ["high", "low"]


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="file or folder not found"):
        load_playbooks(tmp_path / "nope.yaml")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PlaybookError, match="no playbooks found"):
        load_playbooks(tmp_path / "empty")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("15m", 900), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), (" 1w ", 604800), ("45s", 45)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)
    assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)


@pytest.mark.parametrize("text", ["soon", "15", "m15", "15 minutes", "", "1h-5m", None, 15])
def test_parse_duration_rejects(text: object) -> None:
    with pytest.raises(ValueError, match="expected a duration like 15m"):
        parse_duration(text)


def test_format_duration() -> None:
    assert format_duration(timedelta(minutes=75)) == "1h15m"
    assert format_duration(timedelta(days=2)) == "2d"
    assert format_duration(timedelta(0)) == "0s"


@pytest.mark.skipif(not __import__("yaml").__with_libyaml__, reason="PyYAML without libyaml")
def test_playbooks_are_parsed_by_libyaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed with the pure-Python YAML loader")

    monkeypatch.setattr(yaml.SafeLoader, "__init__", refuse)
    (playbook,) = load_playbooks(write(tmp_path, "high.yaml", HIGH))
    assert playbook.grades == ("high",)


def test_marks_index_the_text_of_a_document_with_a_byte_order_mark() -> None:
    from playbooks.yamlsource import parse_yaml

    doc = parse_yaml("\ufeffname: 你好\nsla: 1h\n", name="p.yaml")
    assert doc.root is not None
    key, value = doc.root.value[1]
    assert doc.text[key.start_mark.index : value.end_mark.index] == "sla: 1h"


def test_off_hours_policy_defaults_to_paging_and_is_read_with_its_lines(tmp_path: Path) -> None:
    (paging,) = load_playbooks(write(tmp_path, "high.yaml", HIGH))
    assert paging.off_hours.notify == "page" and not paging.off_hours.holds
    held = HIGH + "off_hours:\n  notify: hold\n  auto_reply: [a.zh, a.en]\n  auto_reply_to: care\n"
    (holding,) = load_playbooks(write(tmp_path, "high.yaml", held))
    assert holding.off_hours.holds
    assert holding.off_hours.auto_reply == ("a.zh", "a.en")
    assert holding.off_hours.auto_reply_to == ("care",)
    error = load_error(tmp_path, HIGH + "off_hours:\n  notify: later\n")
    assert str(error) == (
        f"{tmp_path / 'high.yaml'}: off_hours.notify: expected one of page, hold, got 'later' "
        "(line 21)"
    )
    error = load_error(tmp_path, HIGH + "off_hours: {hold: true}\n")
    assert "off_hours.hold: unknown key 'hold'" in str(error)
