"""Recommended next steps: what to do now, gathered from a list of providers.

A provider is a function from a ``StepContext`` to ``NextStep`` values; ``PROVIDERS`` lists
them: open incidents, review action items overdue now, and enquiries and complaints whose
reply is overdue now. The steps are ordered overdue first, then by grade (highest first), then
by due time, and cut to the digest's size; ``total`` keeps how many there were.

An open incident's step follows its lifecycle: unacknowledged, it is acknowledging and the
playbook's first checklist item; acknowledged without a first public response, the response
(the checklist's ``publish`` or ``reply`` item); after it, the item that follows. Checklist
progress is not stored, so the stage picks the item.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from monitor.digest import incident_figures as inc
from monitor.digest.labels import Labels
from monitor.digest.model import NextStep, NextSteps
from monitor.digest.period import Period
from monitor.digest.reply_figures import overdue_items
from monitor.digest.review_figures import overdue_actions
from monitor.incidents.states import ACKNOWLEDGED, OPEN
from playbooks import ALL_GRADES, Playbook

RESPONSE_ITEMS = ("publish", "reply")  # checklist item ids that are the first public response
BACKLOG_LIMIT = 200  # open incidents read per state, worst first
_RANK = {grade: rank for rank, grade in enumerate(ALL_GRADES)}


@dataclass(frozen=True, slots=True)
class StepContext:
    """What a provider may read: the store, the clock, the period, SLAs, names and labels."""

    session: Session
    period: Period
    now: datetime
    book: inc.SlaBook
    names: dict[str, str]
    labels: Labels


NextStepProvider = Callable[[StepContext], Sequence[NextStep]]


def _checklist_item(playbook: Playbook | None, stage: int) -> str | None:
    """The checklist item for a lifecycle stage (0 unacknowledged, 1 acknowledged, 2 responded)."""
    if playbook is None or not playbook.checklist:
        return None
    items = playbook.checklist
    response = next((i for i, item in enumerate(items) if item.id in RESPONSE_ITEMS), None)
    index = (0, 1 if response is None else response, 2 if response is None else response + 1)[stage]
    item = items[min(index, len(items) - 1)]
    text = " ".join(item.text.split())
    return f"{item.owner}: {text}" if item.owner else text


def _about(fact: inc.IncidentFacts, names: dict[str, str]) -> str:
    """The incident's title, led by its entity unless the title names it already."""
    title = " ".join(fact.title.split())
    entity = names.get(fact.entity_id, fact.entity_id)
    return title if entity in title else f"{entity} — {title}".rstrip(" —")


def _incident_step(fact: inc.IncidentFacts, ctx: StepContext) -> NextStep:
    lb = ctx.labels
    playbook = ctx.book.playbook_for(fact)
    ack_target = playbook.sla.time_to_ack if playbook is not None else None
    response_target = playbook.sla.time_to_first_response if playbook is not None else None
    due: datetime | None
    if fact.state == OPEN:
        stage, target, late, soon = 0, ack_target, "ack_overdue", "ack_due"
        action = lb("step_ack", id=fact.id)
    elif fact.responded_at is None:
        stage, target, late, soon = 1, response_target, "response_overdue", "response_due"
        action = lb("step_respond", id=fact.id)
    else:
        stage, target, late, soon = 2, None, "", ""
        action = lb("step_resolve", id=fact.id)
    due = fact.opened_at + target if target is not None else None
    overdue = due is not None and ctx.now > due
    item = _checklist_item(playbook, stage)
    if item:
        action = f"{action} {lb('step_checklist', item=item)}"
    return NextStep(
        kind="incident",
        ref=f"#{fact.id}",
        title=_about(fact, ctx.names),
        action=action,
        grade=fact.grade,
        state=fact.state,
        sla=(late if overdue else soon) if due is not None else None,
        due_at=due,
        overdue=overdue,
    )


def incident_steps(ctx: StepContext) -> list[NextStep]:
    """One step per real incident still open or acknowledged (overdue responses included)."""
    # every incident the open items count (opened before the period's end), and any opened
    # since: a report on an old period still lists what is waiting today
    before = max(ctx.period.end_at, ctx.now + timedelta(seconds=1))
    steps = []
    for state in (OPEN, ACKNOWLEDGED):
        _, facts = inc.backlog(ctx.session, before=before, state=state, limit=BACKLOG_LIMIT)
        steps += [_incident_step(f, ctx) for f in facts]
    return steps


def action_item_steps(ctx: StepContext) -> list[NextStep]:
    """One step per review action item overdue now (``review_figures.overdue_actions``)."""
    lb = ctx.labels
    return [
        NextStep(
            kind="action_item",
            ref=f"#{row.incident_id}",
            title=f"{lb('action_item_ref', id=row.id)}: {' '.join(row.text.split())}",
            action=lb("step_action_item", id=row.id),
            sla="action_overdue",
            due_at=row.due_at,
            overdue=True,
            owner=row.owner or None,
        )
        for row in overdue_actions(ctx.session, as_of=ctx.now, limit=BACKLOG_LIMIT)
    ]


def reply_steps(ctx: StepContext) -> list[NextStep]:
    """One step per enquiry or complaint whose reply is overdue now (``reply_figures``)."""
    lb = ctx.labels
    steps = []
    for row in overdue_items(ctx.session, now=ctx.now, limit=BACKLOG_LIMIT):
        who = f"{row.source} · {row.author}" if row.author else row.source
        steps.append(
            NextStep(
                kind="reply",
                ref=lb("mention_ref", id=row.mention_id),
                title=f"{lb(f'intent_{row.intent}')} ({who}): {row.excerpt}",
                action=lb("step_reply", id=row.mention_id),
                sla="reply_overdue",
                due_at=row.due_at,
                overdue=True,
            )
        )
    return steps


PROVIDERS: tuple[NextStepProvider, ...] = (incident_steps, action_item_steps, reply_steps)


def next_steps(
    ctx: StepContext, *, limit: int, providers: Sequence[NextStepProvider] = PROVIDERS
) -> NextSteps:
    """Every provider's steps, most pressing first, at most ``limit`` of them."""
    steps = [step for provider in providers for step in provider(ctx)]
    steps.sort(
        key=lambda s: (
            not s.overdue,
            -_RANK.get(s.grade or "", -1),
            s.due_at is None,
            s.due_at.timestamp() if s.due_at else 0.0,
            s.ref,
        )
    )
    return NextSteps(
        items=tuple(steps[:limit]), total=len(steps), overdue=sum(s.overdue for s in steps)
    )
