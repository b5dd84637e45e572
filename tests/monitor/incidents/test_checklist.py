"""Checklist ticks: stored per incident and item, bound to the item's place and text, on the
timeline, refused when they make no sense."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.loader import example_config_path, load_config
from config.people import Person
from config.roster import Roster
from monitor.app import open_app
from monitor.cli.main import cli
from monitor.db.engine import make_engine, session_factory
from monitor.db.migrate import upgrade
from monitor.db.models import ChecklistTick, Incident, IncidentEvent
from monitor.incidents.checklist import incident_checklist, item_key, tick_item, untick_item
from monitor.incidents.context import IncidentContext
from monitor.incidents.lifecycle import IncidentNotFound, LifecycleError
from monitor.incidents.testing import make_context, open_test_incident
from monitor.incidents.views import describe_event, incident_detail
from playbooks import ChecklistItem as PlaybookItem

from .conftest import Clock


def _opened(sessions: sessionmaker[Session], ctx: IncidentContext, clock: Clock) -> int:
    with sessions.begin() as s:
        return open_test_incident(s, ctx=ctx, now=clock())


def test_a_tick_is_stored_shown_on_the_timeline_and_can_be_undone(
        sessions: sessionmaker[Session], clock: Clock) -> None:
    _tick_and_untick(sessions, clock)


def test_ticks_on_postgresql(pg_url: str, clock: Clock) -> None:
    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        _tick_and_untick(session_factory(engine), clock)
    finally:
        engine.dispose()


def _tick_and_untick(sessions: sessionmaker[Session], clock: Clock) -> None:
    ctx = make_context(clock=clock)
    incident_id = _opened(sessions, ctx, clock)
    with sessions() as s:
        items = incident_checklist(s, ctx=ctx, incident_id=incident_id)
    assert len(items) > 2 and not any(i.done for i in items)
    second = items[1]
    assert second.number == 2 and second.key == item_key(index=1, text=second.text)
    at = clock.advance(minutes=5)
    with sessions.begin() as s:
        done = tick_item(s, ctx=ctx, incident_id=incident_id, key=second.key, by="ana", now=at)
    assert done.done and done.done_by == "ana"
    with sessions() as s:
        items = incident_checklist(s, ctx=ctx, incident_id=incident_id)
        timeline = incident_detail(s, incident_id=incident_id, ctx=ctx, now=at)["timeline"]
    assert [i.done for i in items] == [False, True] + [False] * (len(items) - 2)
    assert items[1].done_by == "ana" and items[1].done_at == at
    line = describe_event(timeline[-1])
    assert line.startswith("checklist: ticked item 2: ") and line.endswith("by ana")
    with sessions.begin() as s:
        untick_item(s, ctx=ctx, incident_id=incident_id, key=second.key, by="bo",
                    now=clock.advance(minutes=1))
    with sessions() as s:
        assert not any(i.done for i in incident_checklist(s, ctx=ctx, incident_id=incident_id))
        assert s.scalars(select(ChecklistTick)).all() == []
        kinds = s.scalars(select(IncidentEvent.detail).where(IncidentEvent.kind == "checklist"))
        assert [(d["item"], d["done"]) for d in kinds] == [(2, True), (2, False)]


def test_an_edited_playbook_never_shows_a_tick_against_another_item(
        sessions: sessionmaker[Session], clock: Clock) -> None:
    ctx = make_context(clock=clock)
    incident_id = _opened(sessions, ctx, clock)
    with sessions.begin() as s:
        first = incident_checklist(s, ctx=ctx, incident_id=incident_id)[0]
        tick_item(s, ctx=ctx, incident_id=incident_id, key=first.key, by="ana", now=clock())
    # an item is inserted at the top: the ticked one moves to place 2 and gets a new key
    new = PlaybookItem(id="new", text="New first step.")
    books = tuple(dataclasses.replace(b, checklist=(new, *b.checklist)) for b in ctx.playbooks)
    edited = dataclasses.replace(ctx, playbooks=books)
    with sessions() as s:
        items = incident_checklist(s, ctx=edited, incident_id=incident_id)
    assert items[0].text == "New first step." and not any(i.done for i in items)
    assert items[1].text == first.text and items[1].key != first.key
    with sessions.begin() as s, pytest.raises(LifecycleError, match="reload the checklist"):
        untick_item(s, ctx=edited, incident_id=incident_id, key=first.key, by="ana",
                    now=clock())


def test_refusals_are_one_clear_line(sessions: sessionmaker[Session], clock: Clock) -> None:
    li = Person.model_validate({"id": "li.na", "name": "Li Na"})
    ctx = make_context(clock=clock, roster=Roster(people={"li.na": li}, teams={}, schedules={}))
    incident_id = _opened(sessions, ctx, clock)
    with sessions() as s:
        first, second = incident_checklist(s, ctx=ctx, incident_id=incident_id)[:2]
    with sessions.begin() as s:
        tick_item(s, ctx=ctx, incident_id=incident_id, key=first.key, by="Li Na", now=clock())
    with sessions() as s:
        assert incident_checklist(s, ctx=ctx, incident_id=incident_id)[0].done_by == "li.na"
    refused = [
        (tick_item, first.key, "li.na", "^checklist item 1 of incident #1 is already done by "
                                        "li.na$"),
        (untick_item, second.key, "li.na", "^checklist item 2 of incident #1 is not done$"),
        (tick_item, second.key, "nobody", "unknown person 'nobody'"),
        (tick_item, second.key, " ", "a name is required"),
        (tick_item, "0-feed", "li.na", "no such checklist item"),
    ]
    for mark, key, by, message in refused:
        with sessions.begin() as s, pytest.raises(LifecycleError, match=message):
            mark(s, ctx=ctx, incident_id=incident_id, key=key, by=by, now=clock())
    with sessions.begin() as s, pytest.raises(IncidentNotFound):
        tick_item(s, ctx=ctx, incident_id=99, key=first.key, by="li.na", now=clock())
    with sessions() as s:
        assert len(s.scalars(select(ChecklistTick)).all()) == 1


def test_a_merged_incident_checklist_is_closed(sessions: sessionmaker[Session],
                                               clock: Clock) -> None:
    ctx = make_context(clock=clock)
    incident_id = _opened(sessions, ctx, clock)
    with sessions.begin() as s:
        key = incident_checklist(s, ctx=ctx, incident_id=incident_id)[0].key
        merged = s.get(Incident, incident_id)
        assert merged is not None
        merged.state, merged.merged_into = "merged", incident_id
    with sessions.begin() as s, pytest.raises(LifecycleError, match="was merged into #1"):
        tick_item(s, ctx=ctx, incident_id=incident_id, key=key, by="ana", now=clock())


def test_the_cli_lists_ticks_and_unticks_by_number(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(example_config_path())
    with open_app(config) as app, app.sessions.begin() as s:
        open_test_incident(s, ctx=app.incidents, now=app.incidents.clock())

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["-c", str(example_config_path()), "incident", "check",
                                          *args])
        return result.exit_code, result.output

    code, out = run("1")
    assert code == 0 and out.startswith("[ ] 1. on-call responder: Confirm the facts"), out
    code, out = run("1", "2", "--by", "li.na")
    assert code == 0 and out.splitlines()[1].startswith("[x] 2. risk lead: Name the person")
    assert "(done by li.na, " in out.splitlines()[1]
    assert run("1", "2", "--by", "li.na") == (
        1, "error: checklist item 2 of incident #1 is already done by li.na\n")
    assert run("1", "9", "--by", "li.na")[1] == "error: incident #1 has 6 checklist item(s)\n"
    assert run("1", "2", "--by", "nobody")[0] == 1
    code, out = run("1", "2", "--undo", "--by", "li.na")
    assert code == 0 and "[x]" not in out
    with open_app(config) as app, app.sessions() as s:
        notes = s.scalars(select(IncidentEvent.detail["note"].as_string()).where(
            IncidentEvent.kind == "checklist")).all()
    assert [n.split(":")[0] for n in notes] == ["ticked item 2", "unticked item 2"]
