"""Build the digest's figures from the store: ``build_digest(session=..., ...) -> Digest``."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from alerts.sanitize import clean_tree
from monitor.digest import drill_figures, review_figures
from monitor.digest import incident_figures as inc
from monitor.digest import mention_figures as mf
from monitor.digest.backfill import basis
from monitor.digest.executive import executive_summary
from monitor.digest.indicator_figures import build_indicators
from monitor.digest.inputs import DigestInputs
from monitor.digest.labels import Labels
from monitor.digest.model import (
    OWN_KINDS,
    Compare,
    Digest,
    GradeCount,
    Headline,
    MatrixFigure,
    Meta,
    OpenItems,
    PeriodInfo,
    ScriptItem,
    Themes,
)
from monitor.digest.next_steps import StepContext, next_steps
from monitor.digest.period import Period
from monitor.digest.reply_figures import reply_figures
from monitor.digest.story_figures import story_rows
from monitor.digest.themes import extract_themes, stop_terms
from monitor.digest.themes import prepare as prepare_themes
from playbooks import PLAYBOOK_GRADES, approval_status

REPORTED_GRADES = PLAYBOOK_GRADES  # "none" opens no incident


def period_info(period: Period) -> PeriodInfo:
    return PeriodInfo(
        label=period.label,
        first_day=period.first,
        last_day=period.last,
        days=period.days,
        start_at=period.start_at,
        end_at=period.end_at,
    )


def build_digest(
    *, session: Session, inputs: DigestInputs, period: Period, now: datetime
) -> Digest:
    """Every figure of the digest for ``period`` against the period before it."""
    aliases = [n for e in inputs.entities for n in (e.name, *e.aliases)]
    stop = stop_terms(aliases)
    # Loading the theme tools is seconds of CPU that needs no database: it runs beside the SQL
    # aggregates (SQLite and the PostgreSQL driver release the GIL while they work).
    warm = threading.Thread(target=prepare_themes, args=(stop,), name="digest-themes")
    warm.start()
    try:
        return _build(session=session, inputs=inputs, period=period, now=now, stop=stop)
    finally:
        warm.join()


def _build(
    *, session: Session, inputs: DigestInputs, period: Period, now: datetime, stop: frozenset[str]
) -> Digest:
    previous = period.previous()
    names = inputs.entity_names()
    book = inc.SlaBook(inputs.playbooks)
    own_ids = [e.id for e in inputs.entities if e.kind in OWN_KINDS]
    competitors = [e for e in inputs.entities if e.kind == "competitor"]
    main = mf.main_counts(session, period, own_ids, late_after=inputs.late_after,
                          engagement_of=[e.id for e in competitors])
    totals, totals_before = main.totals, main.previous_totals
    any_mentions = bool(totals.total or totals_before.total)
    by_entity, by_entity_before = main.by_entity, main.by_entity_previous

    facts = inc.incident_facts(session, period, drill=False)
    facts_before = inc.incident_facts(session, previous, drill=False)
    grades = inc.grade_counts(session, period)
    grades_before = inc.grade_counts(session, previous)
    sla, breaches = inc.sla_rows(facts, book, now)
    sla_before, breaches_before = inc.sla_rows(facts_before, book, now)

    sample = (
        mf.negative_sample(session, period, limit=inputs.theme_sample, chars=inputs.theme_chars)
        if totals.negative
        else []
    )
    zh_themes, en_themes = extract_themes(sample, stop=stop, top=inputs.themes)

    headline = Headline(
        mentions=Compare.of(totals.total, totals_before.total),
        scored=Compare.of(totals.scored, totals_before.scored),
        negative=Compare.of(totals.negative, totals_before.negative),
        negative_share=Compare.of(totals.negative_share, totals_before.negative_share),
        incidents=Compare.of(len(facts), len(facts_before)),
        incidents_by_grade=_by_grade(grades, grades_before),
        false_positives=Compare.of(
            inc.state_count(session, period, "false_positive"),
            inc.state_count(session, previous, "false_positive"),
        ),
        time_to_ack=inc.stats(inc.ack_seconds(f) for f in facts),
        time_to_ack_previous=inc.stats(inc.ack_seconds(f) for f in facts_before),
        time_to_resolve=inc.stats(inc.resolve_seconds(f) for f in facts),
        time_to_resolve_previous=inc.stats(inc.resolve_seconds(f) for f in facts_before),
        sla_breaches=Compare.of(breaches, breaches_before),
        time_to_response=inc.stats(inc.response_seconds(f) for f in facts),
        time_to_response_previous=inc.stats(inc.response_seconds(f) for f in facts_before),
        response_breaches=Compare.of(sum(r.response_breaches for r in sla),
                                     sum(r.response_breaches for r in sla_before)),
    )
    matrix = inc.matrix_counts(session, period)
    labels = Labels(inputs.locale, inputs.timezone)
    replies = reply_figures(
        session=session, period=period, now=now, goal=inputs.reply_goal, top=inputs.top
    )
    voice = (
        mf.voice_rows(
            organisation=inputs.organisation,
            own=main.own,
            own_previous=main.own_previous,
            competitors=competitors,
            current=by_entity,
            previous=by_entity_before,
        )
        if totals.total
        else ()
    )
    # Names, titles and authors are outside text: cleaned once here for every renderer.
    digest = clean_tree(Digest(
        meta=Meta(
            organisation=inputs.organisation,
            locale=inputs.locale,
            timezone=inputs.timezone,
            period=period_info(period),
            previous=period_info(previous),
            generated_at=now,
            empty=totals.total == 0 and not facts,
            kind=period.kind,
            basis=basis(session, period, late_after=inputs.late_after, late=main.late),
        ),
        headline=headline,
        sla=sla,
        daily=main.daily if totals.total else (),
        entities=mf.entity_rows(inputs.entities, by_entity, by_entity_before)
        if any_mentions
        else (),
        voice=voice,
        matrix=MatrixFigure(
            counts=matrix, table=inputs.grade_table, total=sum(map(sum, matrix))
        ),
        top_incidents=tuple(
            inc.incident_row(f, names=names, book=book, now=now)
            for f in inc.top_facts(facts, inputs.top)
        ),
        top_stories=story_rows(session, period, inputs.top),
        themes=Themes(
            negative_total=totals.negative, sample_size=len(sample), zh=zh_themes, en=en_themes
        ),
        top_sources=main.sources[: inputs.top],
        top_authors=mf.top_authors(session, period, inputs.top) if totals.negative else (),
        open_items=_open_items(session, inputs, period, now, names, book),
        drills=drill_figures.drills(session, period),
        reviews=review_figures.reviews(session, period, now=now, top=inputs.top),
        replies=replies,
        next_steps=next_steps(
            StepContext(session=session, period=period, now=now, book=book, names=names,
                        labels=labels),
            limit=inputs.top,
        ),
        indicators=build_indicators(
            organisation=inputs.organisation, entities=inputs.entities, main=main,
            voice=voice,
            replies=replies,
            previous_replies=reply_figures(
                session=session, period=previous, now=now, goal=inputs.reply_goal, top=0
            ),
        ),
    ))
    return replace(digest, summary=executive_summary(digest, labels))


def _by_grade(current: dict[str, int], previous: dict[str, int]) -> tuple[GradeCount, ...]:
    grades = list(REPORTED_GRADES)
    grades += sorted(g for g in {*current, *previous} if g not in REPORTED_GRADES)
    return tuple(
        GradeCount(grade=g, current=current.get(g, 0), previous=previous.get(g, 0))
        for g in grades
    )


def _open_items(
    session: Session,
    inputs: DigestInputs,
    period: Period,
    now: datetime,
    names: dict[str, str],
    book: inc.SlaBook,
) -> OpenItems:
    unacked_total, unacked = inc.backlog(
        session, before=period.end_at, state="open", limit=inputs.top
    )
    unresolved_total, unresolved = inc.backlog(
        session, before=period.end_at, state="acknowledged", limit=inputs.top
    )
    horizon = now + inputs.script_window
    scripts = []
    for script in inputs.scripts:
        status = approval_status(script=script, now=now)
        expiring = status.approved and script.expires_at is not None and script.expires_at < horizon
        if not status.approved or expiring:
            scripts.append(
                ScriptItem(
                    id=script.id,
                    title=script.title,
                    lang=script.lang,
                    scenario=script.scenario,
                    approved=status.approved,
                    reason=status.reason,
                    expires_at=script.expires_at,
                )
            )
    scripts.sort(key=lambda s: (s.approved, s.expires_at or now, s.id))
    return OpenItems(
        unacknowledged_total=unacked_total,
        unacknowledged=tuple(inc.incident_row(f, names=names, book=book, now=now) for f in unacked),
        unresolved_total=unresolved_total,
        unresolved=tuple(
            inc.incident_row(f, names=names, book=book, now=now) for f in unresolved
        ),
        scripts=tuple(scripts),
        script_window_days=inputs.script_window.days,
        open_by_grade=inc.open_by_grade(session, before=period.end_at),
    )

