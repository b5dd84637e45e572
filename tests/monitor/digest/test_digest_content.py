"""The report's content (issue 18): executive summary, next steps, indicators, story links.

Figures are cross-checked against the stored rows read back in Python, not through the
digest's SQL; every "not available" carries its reason in both locales.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from monitor.db.models import Mention, MentionEntity
from monitor.digest.content_tables import indicators_table, next_steps_table
from monitor.digest.executive import executive_summary
from monitor.digest.figures import build_digest
from monitor.digest.incident_figures import SlaBook
from monitor.digest.indicator_figures import REASONS
from monitor.digest.labels import EN, LOCALES, ZH, Labels
from monitor.digest.labels_content import CONTENT_EN, CONTENT_ZH
from monitor.digest.model import NextStep
from monitor.digest.next_steps import PROVIDERS, StepContext, next_steps
from monitor.digest.period import iso_week
from monitor.digest.render_html import render_html
from monitor.digest.render_json import render_json
from monitor.digest.render_markdown import render_markdown
from monitor.digest.tables import voice_table
from monitor.digest.testing import generate_week, sample_inputs

TZ = "Asia/Shanghai"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
OWN = {"lumina", "lumina-kids", "chen-haoran"}


def _rows(engine: Engine, start: datetime, end: datetime) -> list[Any]:
    with Session(engine) as s:
        return list(
            s.execute(
                select(Mention.id, Mention.metrics, Mention.intent).where(
                    Mention.published_at >= start, Mention.published_at < end
                )
            )
        )


def _engagement(metrics: dict[str, Any]) -> int | None:
    counted = [metrics[k] for k in ("likes", "comments", "reposts") if k in metrics]
    return sum(counted) if counted else None


def _by_key(digest: Any) -> dict[str, Any]:
    return {r.key: r for r in digest.indicators.rows}


def test_indicators_match_the_stored_counts(week: Any) -> None:
    period = week.period
    previous = period.previous()
    ind = _by_key(week.digest)
    for side, (start, end) in (
        ("current", (period.start_at, period.end_at)),
        ("previous", (previous.start_at, previous.end_at)),
    ):
        rows = _rows(week.engine, start, end)
        engaged = [e for _, m, _ in rows if (e := _engagement(m or {})) is not None]
        assert getattr(ind["mentions"].value, side) == len(rows)
        assert getattr(ind["engagement"].value, side) == sum(engaged)
        assert getattr(ind["engagement_per_mention"].value, side) == sum(engaged) / len(engaged)
        assert getattr(ind["comments"].value, side) == sum(
            (m or {}).get("comments", 0) for _, m, _ in rows
        )
        rated = [m for _, m, _ in rows if m and "comments" in m and "views" in m]
        assert getattr(ind["comment_rate"].value, side) == sum(m["comments"] for m in rated) / sum(
            m["views"] for m in rated
        )
        assert getattr(ind["enquiries"].value, side) == sum(
            1 for _, _, intent in rows if intent == "enquiry"
        )
    voice = week.digest.voice[0]
    assert ind["share_of_voice"].value.current == voice.share
    assert ind["share_of_voice"].value.previous == voice.previous_share
    assert ind["reply_rate"].reason == "no_reply_needed"  # the generated week has no deadlines
    assert ind["brand_search_index"].reason == "no_search_index"
    assert ind["engagement"].reason is None and ind["enquiries"].reason is None


def test_competitor_engagement_and_growth_match_the_stored_counts(week: Any) -> None:
    period = week.period
    with Session(week.engine) as s:
        links: dict[int, set[str]] = {}
        for mention_id, entity in s.execute(
            select(MentionEntity.mention_id, MentionEntity.entity_id)
        ):
            links.setdefault(mention_id, set()).add(entity)
    rows = _rows(week.engine, period.start_at, period.end_at)
    competitors = {r.id: r for r in week.digest.indicators.competitors}
    assert list(competitors)[0] == "own"
    for ident, wanted in (("own", OWN), ("northfield", {"northfield"})):
        mine = [m for mid, m, _ in rows if links.get(mid, set()) & wanted]
        row = competitors[ident]
        assert row.mentions.current == len(mine)
        engaged = [e for m in mine if (e := _engagement(m or {})) is not None]
        assert row.engaged_mentions == len(engaged)
        assert row.engagement.current == sum(engaged)
    growth = competitors["northfield"].mentions
    assert growth.change_pct == 100.0 * (growth.current - growth.previous) / growth.previous


def _rss_only_week(new_engine: Any, *, previous_mentions: int = 40) -> tuple[Engine, Any]:
    engine = new_engine()
    period = iso_week(week="2026-W46", tz=TZ)
    generate_week(
        engine,
        period=period,
        mentions=80,
        incidents=0,
        drills=0,
        backlog=0,
        previous_mentions=previous_mentions,
        previous_incidents=0,
    )
    return engine, period


def test_not_available_says_why_in_both_locales(new_engine: Any) -> None:
    engine, period = _rss_only_week(new_engine)
    with engine.begin() as conn:  # no source carries counts before this period, or intent
        conn.execute(
            Mention.__table__.update()
            .where(Mention.published_at < period.start_at)
            .values(metrics={}, intent=None)
        )
        conn.execute(
            Mention.__table__.update()
            .where(Mention.published_at >= period.start_at)
            .values(metrics={}, intent=None)
        )
        conn.execute(
            Mention.__table__.update()
            .where(Mention.published_at >= period.start_at, Mention.source_id == "inbox/douyin")
            .values(metrics={"likes": 5})
        )
    with Session(engine) as s:
        digest = build_digest(session=s, inputs=sample_inputs(), period=period, now=NOW)
    ind = _by_key(digest)
    assert ind["engagement"].reason is None and ind["engagement"].value.current
    assert ind["engagement"].previous_reason == "no_engagement_counts"
    assert ind["engagement"].value.previous is None and ind["engagement"].value.change is None
    assert ind["comments"].reason == "no_comment_counts"
    assert ind["enquiries"].reason == ind["enquiries"].previous_reason == "no_intent"
    en = {row[0]: row for row in indicators_table(digest, Labels("en", TZ)).rows}
    assert en["Engagement (likes + comments + shares)"][2] == "not available"
    assert en["Engagement (likes + comments + shares)"][4] == (
        "Previous period: no source carries likes, comments or shares"
    )
    assert en["Comments"][1:] == (
        "not available",
        "not available",
        "—",
        "no source carries comment counts",
    )
    assert en["Reply rate"][4] == "no enquiry or complaint needed a reply"
    zh = {row[0]: row for row in indicators_table(digest, Labels("zh", TZ)).rows}
    assert zh["评论数"][1] == "不可用" and zh["评论数"][4] == "没有来源提供评论数"
    assert zh["咨询量"][4] == "提及的意图未经判断"
    markdown = render_markdown(digest, labels=Labels("en", TZ))
    assert (
        "| Comments | not available | not available | — | no source carries comment counts |"
        in markdown
    )
    data = json.loads(render_json(digest))
    comments = next(r for r in data["indicators"]["rows"] if r["key"] == "comments")
    assert comments["reason"] == "no_comment_counts" and comments["value"]["current"] is None


def test_share_of_voice_without_a_previous_period_says_so(new_engine: Any) -> None:
    """Issue 18: with nothing published the week before, the previous share read `n/a`."""
    engine, period = _rss_only_week(new_engine, previous_mentions=0)
    with Session(engine) as s:
        digest = build_digest(session=s, inputs=sample_inputs(), period=period, now=NOW)
    for locale, shown, note in (
        ("en", "no mentions", "no share to compare with"),
        ("zh", "无提及", "无法对比声量份额"),
    ):
        labels = Labels(locale, TZ)
        table = voice_table(digest, labels)
        assert {row[3] for row in table.rows} == {shown}
        assert table.note is not None and note in table.note
        assert labels("n_a") not in {row[3] for row in table.rows}
    ind = _by_key(digest)["share_of_voice"]
    assert ind.value.current is not None and ind.previous_reason == "no_voice"
    summary = executive_summary(digest, Labels("en", TZ))
    assert "Mentions: 80, with none in the previous period." in summary


def test_executive_summary_states_the_figures_in_both_locales(week: Any) -> None:
    d = week.digest
    h = d.headline
    en = executive_summary(d, Labels("en", TZ))
    story_or_incident = f"The most serious incident was #{d.top_incidents[0].id} "
    assert en[0].startswith(story_or_incident)
    assert en[1] == (
        f"Mentions rose to {h.mentions.current:,} from {h.mentions.previous:,} in "
        f"the previous period (+{h.mentions.change_pct:.0f}%)."
    )
    assert en[2].startswith(f"The negative share was {100 * h.negative_share.current:.1f}% (")
    assert f"Incidents opened: {h.incidents.current}" in en[3]
    assert any(
        s.startswith(
            f"SLA breaches: {h.sla_breaches.current} late or missing "
            f"acknowledgements, {h.response_breaches.current} late"
        )
        for s in en
    )
    o = d.open_items
    assert (
        f"Still open: {o.unacknowledged_total} unacknowledged and {o.unresolved_total} "
        "acknowledged but unresolved incidents."
    ) in en
    zh = executive_summary(d, Labels("zh", TZ))
    assert zh[1] == (
        f"提及量从上期的{h.mentions.previous:,}条升至{h.mentions.current:,}条"
        f"（+{h.mentions.change_pct:.0f}%）。"
    )
    assert f"仍未完成：未确认事件{o.unacknowledged_total}个" in "".join(zh)
    for sentences in (en, zh):
        assert not any("n/a" in s or "{" in s for s in sentences)
    html = render_html(d, charts=None, labels=Labels("zh", TZ), embed_font=False)
    assert html.index("<h2>摘要</h2>") < html.index("<h2>后续行动</h2>") < html.index("核心指标")
    assert json.loads(render_json(d))["summary"] == list(en)  # built in the inputs' locale


def test_executive_summary_of_an_empty_period(new_engine: Any) -> None:
    engine = new_engine()
    period = iso_week(week="2026-W46", tz=TZ)
    with Session(engine) as s:
        digest = build_digest(session=s, inputs=sample_inputs(), period=period, now=NOW)
    assert digest.meta.empty
    assert executive_summary(digest, Labels("en", TZ)) == (
        "No mentions and no incidents were recorded in this period.",
        "No incident is still open.",
    )
    assert executive_summary(digest, Labels("zh", TZ)) == (
        "本周期没有记录到任何提及或事件。",
        "没有未关闭的事件。",
    )
    assert digest.next_steps is not None and digest.next_steps.items == ()
    assert {r.reason for r in digest.indicators.rows if r.key != "mentions"} <= {
        "no_mentions",
        "no_reply_needed",
        "no_search_index",
        "no_voice",
    }
    markdown = render_markdown(digest, labels=Labels("en", TZ))
    assert "## Next steps\n\nNothing is waiting: no incident is open." in markdown


def test_next_steps_put_the_overdue_first_with_the_checklist_item(week: Any) -> None:
    steps = week.digest.next_steps
    assert steps is not None and steps.items
    flags = [s.overdue for s in steps.items]
    assert flags == sorted(flags, reverse=True)
    for step in steps.items:
        ident = step.ref.lstrip("#")
        if step.state == "open":
            assert step.action.startswith(f"Acknowledge it (crisiswatch ack {ident}).")
            assert step.sla in ("ack_overdue", "ack_due")
        else:
            assert step.state == "acknowledged"
            assert step.action.startswith(
                "Publish the first public response"
            ) or step.action.startswith("Follow up")
        assert "Checklist: " in step.action
        assert step.overdue == (step.due_at is not None and step.due_at < week.now)
    with Session(week.engine) as s:
        ctx = StepContext(
            session=s,
            period=week.period,
            now=week.now,
            book=SlaBook(week.inputs.playbooks),
            names=week.inputs.entity_names(),
            labels=Labels("en", TZ),
        )
        every = next_steps(ctx, limit=10_000)
    assert every.items[: len(steps.items)] == steps.items and every.total == steps.total
    responding = [s for s in every.items if s.sla == "response_overdue"]
    assert responding, "the generated week has acknowledged incidents without a response"
    # the checklist item of an acknowledged incident is its public response
    assert all("Reply" in s.action or "publish" in s.action.lower() for s in responding)
    table = next_steps_table(week.digest, Labels("en", TZ))
    assert table.rows[0][3] in ("acknowledgement overdue", "first response overdue")
    assert table.note == f"showing {len(steps.items)} of {steps.total}"


def test_next_steps_take_more_providers(week: Any) -> None:
    """Overdue replies and review action items come as providers of their own."""

    def action_items(ctx: StepContext) -> list[NextStep]:
        return [
            NextStep(
                kind="action_item",
                ref="R1",
                title="Revise the recall script",
                action="Draft the revision.",
                due_at=ctx.now - timedelta(days=365),
                overdue=True,
                owner="comms",
                grade="critical",
            )
        ]

    with Session(week.engine) as s:
        ctx = StepContext(
            session=s,
            period=week.period,
            now=week.now,
            book=SlaBook(week.inputs.playbooks),
            names=week.inputs.entity_names(),
            labels=Labels("en", TZ),
        )
        steps = next_steps(ctx, limit=5, providers=(*PROVIDERS, action_items))
    assert steps.items[0].ref == "R1" and steps.total == week.digest.next_steps.total + 1
    rows = next_steps_table(replace(week.digest, next_steps=steps), Labels("en", TZ)).rows
    assert rows[0][0] == "R1 Revise the recall script"
    assert rows[0][5] == "Draft the revision. (Owner: comms)"


def _stories_with_counts(engine: Engine) -> tuple[list[int], Any]:
    """A recall story of four mentions (one with no counts, one with views only) and a
    bakery story of one without counts; their story rows."""
    from monitor.db.engine import session_factory
    from monitor.digest.story_figures import story_rows
    from monitor.incidents.testing import add_scored_mention, assign_stored, make_context

    sessions = session_factory(engine)
    period = iso_week(week="2026-W46", tz=TZ)
    at = datetime(2026, 11, 10, 3, tzinfo=UTC)
    recall = "Acme Kids formula batch LK-2611 recalled after babies fell ill in Leeds"
    counts = [None, {"likes": 10, "comments": 2}, {"likes": 900, "reposts": 300}, {"views": 10**6}]
    with sessions.begin() as s:
        ids = [
            add_scored_mention(
                s,
                text=f"{recall}, report {i}",
                at=at + timedelta(minutes=i),
                category="product_safety",
                severity=5,
                negative=0.9,
                url=f"https://news.example/{i}" if i != 0 else None,
                source_id=f"site{i}",
                metrics=counts[i],
            )
            for i in range(4)
        ]
        ids.append(
            add_scored_mention(
                s,
                text="Acme opened a bakery in Derby with free coffee",
                at=at,
                negative=0.05,
                url="https://news.example/bakery",
            )
        )
        assign_stored(s, ctx=make_context(), mention_ids=ids, now=at + timedelta(hours=1))
    with sessions() as s:
        rows = story_rows(s, period, 10)
    return ids, rows


def test_top_stories_link_their_first_and_most_engaged_mentions(tmp_path: Any) -> None:
    from monitor.db.engine import make_engine
    from monitor.db.migrate import ensure_schema
    from monitor.digest.tables import stories_table

    engine = make_engine(f"sqlite:///{tmp_path / 'stories.sqlite'}")
    ensure_schema(engine)
    try:
        ids, rows = _stories_with_counts(engine)
    finally:
        engine.dispose()
    top, bakery = rows
    assert top.first_mention is not None and top.first_mention.id == ids[0]
    assert top.first_mention.url is None and top.first_mention.engagement is None
    assert top.top_mention is not None and top.top_mention.id == ids[2]
    assert top.top_mention.engagement == 1200 and top.top_mention.url == "https://news.example/2"
    assert bakery.first_mention is not None and bakery.top_mention is None
    labels = Labels("en", TZ)
    table = stories_table(sample_digest_with(rows), labels)
    first, most = table.rows[0][5], table.rows[0][6]
    assert first.startswith(f"mention #{ids[0]} · site0 · 2026-11-10 11:00 UTC+8")
    assert most == "site2 · 2026-11-10 11:02 UTC+8 · engagement 1,200"
    from monitor.digest.render_html import render_table as html_table
    from monitor.digest.render_markdown import render_table as md_table

    html = html_table(table)
    assert f'<a href="https://news.example/2" rel="noopener noreferrer">{most}</a>' in html
    assert f"<td>{first}</td>" in html
    markdown = "\n".join(md_table(table))
    assert (
        "[site2 · 2026-11-10 11:02 UTC\\+8 · engagement 1,200](<https://news.example/2>)"
        in markdown
    )


def sample_digest_with(rows: Any) -> Any:
    """An empty period's digest carrying these story rows (the tables only read them)."""
    from monitor.db.engine import make_engine
    from monitor.db.migrate import ensure_schema

    engine = make_engine("sqlite://")
    ensure_schema(engine)
    with Session(engine) as s:
        digest = build_digest(
            session=s, inputs=sample_inputs(), period=iso_week(week="2026-W46", tz=TZ), now=NOW
        )
    engine.dispose()
    return replace(digest, top_stories=tuple(rows))


def test_content_labels_exist_in_both_locales() -> None:
    assert set(CONTENT_EN) == set(CONTENT_ZH)
    assert not set(CONTENT_EN) & set(EN) and not set(CONTENT_ZH) & set(ZH)
    for locale in LOCALES.values():
        for reason in REASONS:
            assert f"reason_{reason}" in locale
    keys = {
        "mentions",
        "positive_share",
        "neutral_share",
        "negative_share",
        "engagement",
        "engagement_per_mention",
        "comments",
        "comment_rate",
        "enquiries",
        "reply_rate",
        "share_of_voice",
        "brand_search_index",
    }
    for key in keys:
        assert f"ind_{key}" in CONTENT_EN and f"ind_{key}" in CONTENT_ZH


def test_indicators_on_postgresql(pg_url: str) -> None:
    """The JSON metrics are read with PostgreSQL's operators there; the same figures come out."""
    from monitor.db.engine import make_engine
    from monitor.db.migrate import upgrade

    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        period = iso_week(week="2026-W46", tz=TZ)
        generate_week(engine, period=period, mentions=300, incidents=10, drills=0, backlog=2)
        with Session(engine) as s:
            digest = build_digest(session=s, inputs=sample_inputs(), period=period, now=NOW)
        rows = _rows(engine, period.start_at, period.end_at)
    finally:
        engine.dispose()
    ind = _by_key(digest)
    engaged = [e for _, m, _ in rows if (e := _engagement(m or {})) is not None]
    assert ind["engagement"].value.current == sum(engaged)
    assert ind["enquiries"].value.current == sum(1 for _, _, i in rows if i == "enquiry")
    assert digest.indicators is not None and digest.indicators.competitors[0].engaged_mentions
    assert digest.next_steps is not None and digest.next_steps.total >= 2


def test_next_steps_list_every_incident_the_open_items_count(week: Any, new_engine: Any) -> None:
    """Also those opened after the digest's clock but inside the period (the quickstart's)."""
    o = week.digest.open_items
    assert week.digest.next_steps.total == o.unacknowledged_total + o.unresolved_total
    engine, period = _rss_only_week(new_engine)
    generate_week(
        engine,
        period=period,
        mentions=0,
        incidents=12,
        previous_mentions=0,
        previous_incidents=0,
        drills=0,
        backlog=0,
        seed=3,
    )
    early = period.start_at + timedelta(hours=1)
    with Session(engine) as s:
        digest = build_digest(session=s, inputs=sample_inputs(), period=period, now=early)
    o = digest.open_items
    assert o.unacknowledged_total + o.unresolved_total > 0
    assert digest.next_steps is not None
    assert digest.next_steps.total == o.unacknowledged_total + o.unresolved_total


def test_next_steps_carry_the_overdue_review_action_items(new_engine: Any) -> None:
    from monitor.incidents.reviews import ActionDraft, ReviewChange, edit_review
    from monitor.incidents.testing import make_context, open_test_incident

    engine = new_engine()
    period = iso_week(week="2026-W46", tz=TZ)
    opened = period.start_at + timedelta(days=1)
    with Session(engine) as s, s.begin():
        incident = open_test_incident(s, ctx=make_context(), now=opened)
    for text, due in (("Revise the recall script", 2), ("Train the night shift", 30)):
        with Session(engine) as s, s.begin():
            edit_review(
                s,
                incident_id=incident,
                change=ReviewChange(
                    actions=(
                        ActionDraft(text=text, owner="Wen", due_at=opened + timedelta(days=due)),
                    )
                ),
                by="Ana",
                now=opened + timedelta(hours=1),
            )
    for locale, action, sla in (
        (
            "en",
            "Finish it and mark it done (crisiswatch action done 1 --by NAME). (Owner: Wen)",
            "action item overdue",
        ),
        (
            "zh",
            "完成后标记为已完成（crisiswatch action done 1 --by 姓名）。 (负责人: Wen)",
            "改进事项已逾期",
        ),
    ):
        with Session(engine) as s:
            digest = build_digest(session=s, inputs=sample_inputs(locale), period=period, now=NOW)
        items = [i for i in digest.next_steps.items if i.kind == "action_item"]
        assert [(i.ref, i.overdue, i.owner) for i in items] == [(f"#{incident}", True, "Wen")]
        row = next(r for r in next_steps_table(digest, Labels(locale, TZ)).rows if "Revise" in r[0])
        assert row[3] == sla and row[5] == action
        assert digest.next_steps.overdue >= 1


def test_reply_rate_and_overdue_replies_come_from_the_stored_replies(new_engine: Any) -> None:
    from sqlalchemy import insert

    from monitor.db.models import Reply, ReplyDeadline

    engine, period = _rss_only_week(new_engine)
    with Session(engine) as s:
        now_ids = s.scalars(
            select(Mention.id).where(Mention.published_at >= period.start_at).order_by(Mention.id)
        ).all()[:4]
        before_ids = s.scalars(
            select(Mention.id).where(Mention.published_at < period.start_at).order_by(Mention.id)
        ).all()[:2]
    start = period.start_at
    rows = [
        (m, "enquiry" if i % 2 else "complaint", start + timedelta(hours=i))
        for i, m in enumerate(now_ids)
    ]
    rows += [(m, "enquiry", start - timedelta(days=2)) for m in before_ids]
    with engine.begin() as conn:
        conn.execute(
            insert(ReplyDeadline),
            [
                {
                    "mention_id": m,
                    "intent": intent,
                    "basis": "intent",
                    "started_at": at,
                    "due_at": at + timedelta(hours=2),
                    "hours": None,
                    "created_at": at,
                }
                for m, intent, at in rows
            ],
        )
        # this period: 3 of 4 replied; the previous one: 1 of 2; the fourth is overdue now
        conn.execute(
            insert(Reply),
            [
                {
                    "mention_id": m,
                    "replied_at": start + timedelta(hours=5),
                    "replied_by": "ana",
                    "verified": False,
                    "note": None,
                    "via": "cli",
                    "recorded_at": start,
                }
                for m in (*now_ids[:3], before_ids[0])
            ],
        )
    with Session(engine) as s:
        digest = build_digest(session=s, inputs=sample_inputs(), period=period, now=NOW)
    rate = _by_key(digest)["reply_rate"]
    assert (rate.value.current, rate.value.previous) == (0.75, 0.5)
    assert rate.reason is None and rate.previous_reason is None
    assert digest.replies is not None and digest.replies.reply_rate == 0.75
    replies = [i for i in digest.next_steps.items if i.kind == "reply"]
    assert [(i.ref, i.sla, i.overdue) for i in replies] == [
        (f"mention #{before_ids[1]}", "reply_overdue", True),
        (f"mention #{now_ids[3]}", "reply_overdue", True),
    ]
    en = {r[0]: r for r in indicators_table(digest, Labels("en", TZ)).rows}
    assert en["Reply rate"][1:4] == ("75.0%", "50.0%", "+25.0 pp")
    with Session(engine) as s:  # the steps are worded in the organisation's locale
        zh = build_digest(session=s, inputs=sample_inputs("zh"), period=period, now=NOW)
    row = next(
        r
        for r in next_steps_table(zh, Labels("zh", TZ)).rows
        if r[0].startswith(f"提及#{now_ids[3]}")
    )
    assert (
        row[3] == "回复已超时"
        and row[5] == f"回复并记录（crisiswatch reply {now_ids[3]} --by 姓名）。"
    )


def test_top_story_links_on_postgresql(pg_url: str) -> None:
    """The windows and the JSON counts read the same on PostgreSQL."""
    from monitor.db.engine import make_engine
    from monitor.db.migrate import upgrade

    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        ids, (top, bakery) = _stories_with_counts(engine)
    finally:
        engine.dispose()
    assert top.first_mention is not None and top.first_mention.id == ids[0]
    assert top.top_mention is not None and (top.top_mention.id, top.top_mention.engagement) == (
        ids[2],
        1200,
    )
    assert bakery.top_mention is None
