"""The digest's reply section as tables (HTML and Markdown render the same ones): reply rate
and time to reply against the goal, and the replies overdue now. Its labels, in English and
Chinese, are kept here with the section."""

from __future__ import annotations

from typing import Final

from monitor.digest.labels import Labels
from monitor.digest.model import Digest
from monitor.digest.tables import Table

TEXTS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "replies": "Replies to enquiries and complaints",
        "figure": "Figure",
        "value": "Value",
        "needing": "Needing a reply",
        "replied": "Replied",
        "in_time": "Replied in time",
        "pending": "Awaiting a reply, not yet due",
        "median": "Time to reply, median",
        "worst": "Time to reply, worst",
        "overdue_now": "Overdue now",
        "of": "{count} of {total} ({share})",
        "goal": "Goal: {goal} of replies in time ({verdict}).",
        "met": "met",
        "not_met": "not met",
        "nothing": "nothing to judge yet",
        "no_replies": "No enquiries or complaints needed a reply in this period.",
        "overdue": "Overdue replies ({total})",
        "mention": "Mention",
        "intent": "Intent",
        "source": "Source",
        "due": "Due",
        "text": "Text",
        "none": "None.",
        "enquiry": "enquiry",
        "complaint": "complaint",
    },
    "zh": {
        "replies": "咨询与投诉的回复",
        "figure": "指标",
        "value": "数值",
        "needing": "需回复",
        "replied": "已回复",
        "in_time": "按时回复",
        "pending": "待回复（未到期）",
        "median": "回复用时（中位数）",
        "worst": "回复用时（最长）",
        "overdue_now": "当前逾期",
        "of": "{count} / {total}（{share}）",
        "goal": "目标：{goal}按时回复（{verdict}）。",
        "met": "已达成",
        "not_met": "未达成",
        "nothing": "暂无可评估的数据",
        "no_replies": "本周期没有需要回复的咨询或投诉。",
        "overdue": "逾期未回复（{total}）",
        "mention": "提及",
        "intent": "意图",
        "source": "来源",
        "due": "截止时间",
        "text": "内容",
        "none": "无。",
        "enquiry": "咨询",
        "complaint": "投诉",
    },
}


def _t(lb: Labels, key: str, **values: object) -> str:
    text = TEXTS.get(lb.locale, TEXTS["en"]).get(key, TEXTS["en"][key])
    return text.format(**values) if values else text


def reply_tables(d: Digest, lb: Labels) -> list[Table]:
    """The reply figures and the overdue replies; nothing when the digest has no figures."""
    r = d.replies
    if r is None:
        return []
    judged = r.needing - r.pending
    verdict = (
        _t(lb, "nothing") if r.goal_met is None else _t(lb, "met" if r.goal_met else "not_met")
    )
    summary = Table(
        key="replies",
        title=_t(lb, "replies"),
        headers=(_t(lb, "figure"), _t(lb, "value")),
        rows=(
            (_t(lb, "needing"), lb.number(r.needing)),
            (
                _t(lb, "replied"),
                _t(lb, "of", count=r.replied, total=r.needing, share=lb.percent(r.reply_rate)),
            ),
            (
                _t(lb, "in_time"),
                _t(lb, "of", count=r.in_time, total=judged, share=lb.percent(r.in_time_rate)),
            ),
            (_t(lb, "pending"), lb.number(r.pending)),
            (_t(lb, "median"), lb.duration(r.time_to_reply.median_s)),
            (_t(lb, "worst"), lb.duration(r.time_to_reply.worst_s)),
            (_t(lb, "overdue_now"), lb.number(r.overdue_total)),
        )
        if r.needing or r.overdue_total
        else (),
        numeric=frozenset({1}),
        note=_t(lb, "goal", goal=lb.percent(r.goal, 0), verdict=verdict),
        empty=_t(lb, "no_replies"),
    )
    overdue = Table(
        key="overdue_replies",
        title=_t(lb, "overdue", total=r.overdue_total),
        headers=(
            _t(lb, "mention"),
            _t(lb, "intent"),
            _t(lb, "source"),
            _t(lb, "due"),
            _t(lb, "text"),
        ),
        rows=tuple(
            (
                str(o.mention_id),
                _t(lb, o.intent) if o.intent in TEXTS["en"] else o.intent,
                o.source,
                lb.moment(o.due_at),
                o.excerpt,
            )
            for o in r.overdue
        ),
        numeric=frozenset({0}),
        empty=_t(lb, "none"),
    )
    return [summary, overdue]
