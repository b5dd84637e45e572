"""The review service, its form and its exports, without the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from monitor.incidents.review_export import export_review, review_confluence
from monitor.incidents.review_form import ReviewFormError, parse_form, render_form
from monitor.incidents.reviews import (
    ActionDraft,
    ReviewChange,
    ReviewError,
    edit_review,
    list_actions,
    review_view,
    set_action_state,
)
from monitor.incidents.testing import make_context, open_test_incident

T = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


def _due(text: str) -> datetime:
    if text == "7d":
        return T + timedelta(days=7)
    raise ValueError(f"expected 7d, got {text!r}")


def test_a_form_that_is_not_yaml_names_its_line() -> None:
    with pytest.raises(ReviewFormError) as raised:
        parse_form("summary: ok\ncauses: [unclosed\n", read_due=_due, known_ids=())
    (problem,) = raised.value.problems
    assert problem.startswith("review form:3: YAML syntax error: ")
    with pytest.raises(ReviewFormError) as raised:
        parse_form("- a list\n", read_due=_due, known_ids=())
    assert raised.value.problems == [
        "review form:1: expected the review's keys (summary, causes, ...)"
    ]


def test_an_empty_form_clears_the_review_but_keeps_items() -> None:
    change = parse_form("# nothing left\n", read_due=_due, known_ids={1})
    assert change == ReviewChange(
        summary="",
        causes=(),
        went_well=(),
        went_badly=(),
        revisions=(),
        actions=(),
        completed=False,
    )


def test_service_edits_record_who_and_when(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        incident_id = open_test_incident(s, ctx=ctx, now=T)
        empty = review_view(s, incident_id=incident_id, now=T)
        assert not empty.stored and empty.timeline[0].text == "opened at grade medium"
        assert "No review stored yet." in review_confluence(empty, zone="UTC")
        assert "No review stored yet: `crisiswatch incident review 1`." in export_review(
            empty, fmt="md", zone="UTC"
        )
        with pytest.raises(ReviewError, match=r"^actions\[0\]\.owner: must not be empty$"):
            edit_review(
                s,
                incident_id=incident_id,
                by="Ana",
                now=T,
                change=ReviewChange(actions=(ActionDraft(text="t", owner=" ", due_at=T),)),
            )
    with sessions.begin() as s:
        edit_review(
            s,
            incident_id=incident_id,
            by="Ana",
            now=T,
            change=ReviewChange(
                causes=("a",), actions=(ActionDraft(text="t", owner="Wen", due_at=T),)
            ),
        )
        edit_review(
            s,
            incident_id=incident_id,
            by="Bo",
            now=T + timedelta(hours=1),
            change=ReviewChange(went_well=("w",), completed=True),
        )
    with sessions.begin() as s:
        view = review_view(s, incident_id=incident_id, now=T + timedelta(hours=2))
        assert (view.causes, view.went_well, view.updated_by) == (("a",), ("w",), "Bo")
        assert (view.completed_by, view.completed_at) == ("Bo", T + timedelta(hours=1))
        (item,) = view.actions
        assert (item.created_by, item.overdue) == ("Ana", True)
        done = set_action_state(
            s, action_id=item.id, state="done", by="Wen", now=T + timedelta(hours=3)
        )
        assert (done.state, done.state_changed_by, done.overdue) == ("done", "Wen", False)
        with pytest.raises(ReviewError, match=r"^state: expected one of open, done, dropped"):
            set_action_state(s, action_id=item.id, state="closed", by="Wen", now=T)
        assert list_actions(s, now=T + timedelta(days=1)) == []
        with pytest.raises(ReviewError, match=r"^no incident #9$"):
            edit_review(s, incident_id=9, by="Ana", now=T, change=ReviewChange())
    with sessions.begin() as s:  # an edited form round-trips
        view = review_view(s, incident_id=incident_id, now=T)
        form = render_form(view, zone="Asia/Shanghai")
        read = parse_form(form, read_due=lambda text: T, known_ids={item.id})
        assert (read.causes, read.went_well, read.completed) == (("a",), ("w",), True)
        assert [(a.id, a.state, a.owner) for a in read.actions] == [(item.id, "done", "Wen")]
        assert "#   2026-11-18 18:00 UTC+8  opened at grade medium" in form
