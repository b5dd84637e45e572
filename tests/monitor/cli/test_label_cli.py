"""`crisiswatch label`: a reviewer's correction or confirmation from the command line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from config.loader import example_config_path, load_config
from monitor.app import open_app
from monitor.cli.main import cli
from monitor.db.models import Label
from monitor.incidents.testing import add_scored_mention

T0 = datetime(2026, 11, 17, 17, 30, tzinfo=UTC)


@pytest.fixture()
def mention(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.chdir(tmp_path)
    with open_app(load_config(example_config_path())) as app, app.sessions.begin() as session:
        return add_scored_mention(session, text="澜沐奶粉在哪里可以买到？", at=T0, lang="zh",
                                  entities=("lumina",), source_id="weibo-export",
                                  category="product_safety", grade="low", negative=0.7)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["-c", str(example_config_path()), "label", *args])
    return result.exit_code, result.output


def _labels() -> list[tuple[str, str, str]]:
    with open_app(load_config(example_config_path())) as app, app.sessions() as session:
        return [(lab.kind, lab.value, lab.created_by)
                for lab in session.scalars(select(Label).order_by(Label.id))]


def test_a_correction_is_stored_as_labels_of_the_person(mention: int) -> None:
    code, out = _run(str(mention), "--category", "none", "--intent", "enquiry", "--by", "li.na")
    assert code == 0, out
    assert out == f"mention {mention}: labelled category none, intent enquiry by li.na\n"
    assert _labels() == [("category", "none", "li.na"), ("intent", "enquiry", "li.na")]


def test_confirm_stores_the_machines_values(mention: int) -> None:
    code, out = _run(str(mention), "--confirm", "--by", "li.na")
    assert code == 0, out
    assert ("category", "product_safety", "li.na") in _labels()
    assert ("sentiment", "negative", "li.na") in _labels()


@pytest.mark.parametrize(("args", "message"), [
    (["--by", "li.na"], "give --confirm, or at least one of"),
    (["--confirm", "--sentiment", "negative", "--by", "li.na"], "give --confirm, or"),
    (["--sentiment", "angry", "--by", "li.na"], "angry"),
    (["--intent", "enquiry", "--by", "nobody"], "nobody"),
])
def test_refusals_are_one_line_and_store_nothing(mention: int, args: list[str],
                                                 message: str) -> None:
    code, out = _run(str(mention), *args)
    assert code == 1 and message in out and len(out.strip().splitlines()) == 1, out
    assert _labels() == []


def test_an_unknown_mention_is_one_line(mention: int) -> None:
    code, out = _run(str(mention + 99), "--sentiment", "negative", "--by", "li.na")
    assert code == 1 and out.startswith("error: ") and len(out.strip().splitlines()) == 1, out
