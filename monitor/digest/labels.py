"""Digest labels in English and Chinese, chosen by ``organisation.locale``, and value formats."""

from __future__ import annotations

from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from alerts.times import format_time
from monitor.digest.labels_content import CONTENT_EN, CONTENT_ZH

EN: Final[dict[str, str]] = {
    "title": "Weekly risk digest",
    "title_period": "Risk digest",
    "period": "Period",
    "previous": "compared with",
    "generated": "Generated",
    "timezone": "Time zone",
    "empty": "No mentions and no incidents were recorded in this period.",
    "headline": "Headline figures",
    "figure": "Figure",
    "this_period": "This period",
    "previous_period": "Previous period",
    "change": "Change",
    "mentions": "Mentions",
    "scored": "Mentions with a sentiment",
    "negative": "Negative mentions",
    "negative_share": "Negative share",
    "incidents": "Incidents (by first mention)",
    "false_positives": "False positives",
    "grade_incidents": "Incidents graded {grade}",
    "ack_median": "Time to acknowledge, median",
    "ack_worst": "Time to acknowledge, worst",
    "resolve_median": "Time to resolve, median",
    "resolve_worst": "Time to resolve, worst",
    "sla_breaches": "SLA breaches (late or missing acknowledgement)",
    "sla": "Response against the SLA",
    "playbook": "Playbook",
    "no_playbook": "(no playbook)",
    "ack_target": "Acknowledge within",
    "response_target": "First response within",
    "responded": "Responded",
    "response_median": "Time to first response, median",
    "response_worst": "Time to first response, worst",
    "time_to_response": "Time to first public response",
    "response_sla_breaches": "Response breaches (late or missing first public response)",
    "response_breaches": "Response breaches",
    "acknowledged": "Acknowledged",
    "breaches": "Breaches",
    "resolved": "Resolved",
    "median": "median",
    "worst": "worst",
    "trend": "Daily sentiment",
    "day": "Day",
    "positive": "Positive",
    "negative_short": "Negative",
    "neutral": "Neutral",
    "unscored": "Unscored",
    "total": "Total",
    "by_entity": "Volume by entity",
    "entity": "Entity",
    "kind": "Kind",
    "own": "own",
    "competitor": "competitor",
    "voice": "Share of voice and sentiment against competitors",
    "share": "Share of voice",
    "net_sentiment": "Net sentiment",
    "no_competitors": "No competitors are configured.",
    "matrix": "Incidents on the risk matrix",
    "likelihood": "Likelihood",
    "impact": "Impact",
    "top_incidents": "Top incidents",
    "top_stories": "Top stories",
    "story": "Story",
    "source_count": "Sources",
    "incident": "Incident",
    "no_stories": "No stories in this period.",
    "id": "ID",
    "grade": "Grade",
    "category": "Category",
    "first_seen": "First seen",
    "state": "State",
    "time_to_ack": "Time to acknowledge",
    "time_to_resolve": "Time to resolve",
    "sentiment_mix": "Sentiment mix",
    "title_col": "Title",
    "no_incidents": "No incidents started in this period (by first mention).",
    "themes": "Top negative themes",
    "themes_note": "Keywords from {sample} of {total} negative mentions.",
    "themes_zh": "Chinese",
    "themes_en": "English",
    "no_themes": "No negative mentions to analyse.",
    "weight": "Weight",
    "keyword": "Keyword",
    "sources": "Top sources by negative reach",
    "authors": "Top authors by negative reach",
    "source": "Source",
    "author": "Author",
    "negative_mentions": "Negative mentions",
    "negative_reach": "Negative reach",
    "open_items": "Open items",
    "unacknowledged": "Unacknowledged incidents",
    "unresolved": "Acknowledged, not yet resolved",
    "showing": "showing {shown} of {total}",
    "none": "None.",
    "scripts": "Response scripts to re-approve (expired, changed or expiring within {days} days)",
    "script": "Script",
    "language": "Language",
    "status": "Status",
    "expires": "Expires",
    "drills": "Drills",
    "drills_summary": "Drills run: {count}. With every incident acknowledged within its SLA: "
    "{within}. Median time to first acknowledgement: {median}.",
    "drills_unreadable": "Stored reports that could not be read (left out of the figures): "
    "{count}.",
    "started": "Started",
    "scenario": "Scenario",
    "highest_grade": "Highest grade",
    "alerts_sent": "Alerts sent",
    "escalation_level": "Escalation level",
    "first_ack": "Time to first acknowledgement",
    "ack_within_sla": "Every incident acknowledged within SLA",
    "expectations_met": "Scenario expectations met",
    "not_acknowledged": "not acknowledged",
    "yes": "yes",
    "no": "no",
    "no_drills": "No drills were run in this period.",
    "reviews": "Post-incident reviews completed",
    "no_reviews": "No post-incident review was completed in this period.",
    "review_completed": "Completed",
    "review_by": "By",
    "causes": "Causes",
    "action_items": "Action items",
    "still_open": "Still open",
    "overdue_actions": "Overdue action items (as of {as_of})",
    "no_overdue_actions": "No action item was overdue.",
    "action": "Action",
    "owner": "Owner",
    "due": "Due",
    "charts_in_html": "Charts are in the HTML version of this digest.",
    "breached": "SLA breached",
    "state_open": "open",
    "state_acknowledged": "acknowledged",
    "state_resolved": "resolved",
    "state_false_positive": "false positive",
    "state_finished": "finished",
    "state_aborted": "aborted",
    "grade_none": "none",
    "grade_low": "low",
    "grade_medium": "medium",
    "grade_high": "high",
    "grade_critical": "critical",
    "kind_brand": "brand",
    "kind_product": "product",
    "kind_executive": "executive",
    "kind_competitor": "competitor",
    "kind_topic": "topic",
    "summary_line": "{mentions} mentions ({change}), {negative} negative, {incidents} incidents, "
    "{breaches} SLA breaches",
    "mentions_axis": "Mentions",
    "n_a": "n/a",
    "title_day": "Daily summary",
    "title_month": "Monthly report",
    "title_quarter": "Quarterly report",
    "title_year": "Yearly report",
    "basis": "How this period is counted",
    "basis_rule": "Mentions count by when they were published; an incident counts in the period "
    "its first mention was published in.",
    "basis_late": "{count} of these mentions arrived late (backfill: collected more than {after} "
    "after publication), collected {first} to {last}.",
    "basis_undated": "{count} mentions had no publication time and are counted by when they were "
    "collected.",
    "basis_opened_later": "{count} of these incidents were opened after the period ended.",
    "basis_from_earlier": "{count} incidents opened in this period started earlier (their first "
    "mention was published before it) and count in those periods.",
    "daily_mentions": "Mentions: {count} (yesterday {previous}, {change})",
    "daily_negative": "Negative share: {share} ({change})",
    "daily_incidents": "Incidents started: {count}; open now: {open}",
    "daily_breaches": "SLA breaches: {ack} acknowledgement, {response} first response",
    "daily_late": "Backfill: {count} late mentions of this day",
    # layout (issue 18)
    "sla_ack": "Acknowledgement",
    "sla_response": "First public response and resolution",
    "unknown": "unknown",
    "grade_legend": "cell colour = the grade configured for the cell, number = incidents",
    "own_entity": "own",
    "other_entities": "other",
    "not_negative": "not negative",
}

ZH: Final[dict[str, str]] = {
    "title": "每周风险简报",
    "title_period": "风险简报",
    "period": "周期",
    "previous": "对比",
    "generated": "生成时间",
    "timezone": "时区",
    "empty": "本周期没有记录到任何提及或事件。",
    "headline": "核心指标",
    "figure": "指标",
    "this_period": "本期",
    "previous_period": "上期",
    "change": "变化",
    "mentions": "提及量",
    "scored": "有情感判断的提及",
    "negative": "负面提及",
    "negative_share": "负面占比",
    "incidents": "新增事件",
    "false_positives": "误报",
    "grade_incidents": "{grade}级事件",
    "ack_median": "确认用时（中位数）",
    "ack_worst": "确认用时（最长）",
    "resolve_median": "解决用时（中位数）",
    "resolve_worst": "解决用时（最长）",
    "sla_breaches": "超出SLA（确认过晚或未确认）",
    "sla": "响应时效与SLA对比",
    "playbook": "预案",
    "no_playbook": "（无预案）",
    "ack_target": "确认时限",
    "response_target": "首次回应时限",
    "responded": "已回应",
    "response_median": "首次回应用时（中位数）",
    "response_worst": "首次回应用时（最长）",
    "time_to_response": "首次公开回应用时",
    "response_sla_breaches": "回应超时（首次公开回应过晚或缺失）",
    "response_breaches": "回应超时",
    "acknowledged": "已确认",
    "breaches": "超时",
    "resolved": "已解决",
    "median": "中位数",
    "worst": "最长",
    "trend": "每日情感趋势",
    "day": "日期",
    "positive": "正面",
    "negative_short": "负面",
    "neutral": "中性",
    "unscored": "未判断",
    "total": "合计",
    "by_entity": "各监测对象的提及量",
    "entity": "监测对象",
    "kind": "类型",
    "own": "本方",
    "competitor": "竞品",
    "voice": "声量份额与竞品情感对比",
    "share": "声量份额",
    "net_sentiment": "净情感值",
    "no_competitors": "未配置竞品。",
    "matrix": "风险矩阵上的事件",
    "likelihood": "可能性",
    "impact": "影响",
    "top_incidents": "重点事件",
    "top_stories": "热点话题",
    "story": "话题",
    "source_count": "来源数",
    "incident": "事件",
    "no_stories": "本周期没有话题。",
    "id": "编号",
    "grade": "等级",
    "category": "类别",
    "first_seen": "首次发现",
    "state": "状态",
    "time_to_ack": "确认用时",
    "time_to_resolve": "解决用时",
    "sentiment_mix": "情感构成",
    "title_col": "标题",
    "no_incidents": "本周期没有新增事件。",
    "themes": "主要负面话题",
    "themes_note": "关键词取自{total}条负面提及中的{sample}条。",
    "themes_zh": "中文",
    "themes_en": "英文",
    "no_themes": "没有可分析的负面提及。",
    "weight": "权重",
    "keyword": "关键词",
    "sources": "负面影响力最大的来源",
    "authors": "负面影响力最大的作者",
    "source": "来源",
    "author": "作者",
    "negative_mentions": "负面提及",
    "negative_reach": "负面触达",
    "open_items": "待办事项",
    "unacknowledged": "未确认的事件",
    "unresolved": "已确认但未解决的事件",
    "showing": "显示{total}条中的{shown}条",
    "none": "无。",
    "scripts": "需重新审批的回应口径（已过期、已修改或{days}天内到期）",
    "script": "口径",
    "language": "语言",
    "status": "状态",
    "expires": "到期",
    "drills": "演练",
    "drills_summary": "演练{count}次。所有事件均在SLA时限内确认的演练：{within}次。"
    "首次确认用时中位数：{median}。",
    "drills_unreadable": "无法读取的演练报告（未计入以上数据）：{count}份。",
    "started": "开始时间",
    "scenario": "演练场景",
    "highest_grade": "最高等级",
    "alerts_sent": "已发送告警",
    "escalation_level": "升级级别",
    "first_ack": "首次确认用时",
    "ack_within_sla": "所有事件均按SLA时限确认",
    "expectations_met": "符合场景预期",
    "not_acknowledged": "未确认",
    "yes": "是",
    "no": "否",
    "no_drills": "本周期没有进行演练。",
    "reviews": "已完成的事件复盘",
    "no_reviews": "本周期没有完成事件复盘。",
    "review_completed": "完成时间",
    "review_by": "完成人",
    "causes": "原因",
    "action_items": "改进事项",
    "still_open": "未完成",
    "overdue_actions": "逾期的改进事项（截至{as_of}）",
    "no_overdue_actions": "没有逾期的改进事项。",
    "action": "事项",
    "owner": "负责人",
    "due": "截止时间",
    "charts_in_html": "图表见本简报的HTML版本。",
    "breached": "超出SLA",
    "state_open": "待确认",
    "state_acknowledged": "已确认",
    "state_resolved": "已解决",
    "state_false_positive": "误报",
    "state_finished": "已完成",
    "state_aborted": "已中止",
    "grade_none": "无",
    "grade_low": "低",
    "grade_medium": "中",
    "grade_high": "高",
    "grade_critical": "严重",
    "kind_brand": "品牌",
    "kind_product": "产品",
    "kind_executive": "高管",
    "kind_competitor": "竞品",
    "kind_topic": "话题",
    "summary_line": "提及{mentions}条（{change}），负面{negative}条，事件{incidents}个，"
    "超出SLA {breaches}次",
    "mentions_axis": "提及量",
    "n_a": "无",
    "title_day": "每日舆情简报",
    "title_month": "月度舆情报告",
    "title_quarter": "季度舆情报告",
    "title_year": "年度舆情报告",
    "basis": "统计口径",
    "basis_rule": "提及按发布时间计入；事件按其首条提及的发布时间计入。",
    "basis_late": "其中{count}条提及为补录数据（发布后超过{after}才采集），"
    "采集时间{first}至{last}。",
    "basis_undated": "{count}条提及缺少发布时间，按采集时间计入。",
    "basis_opened_later": "其中{count}个事件在本期结束后才立案。",
    "basis_from_earlier": "本期立案的事件中有{count}个始于更早（首条提及发布于本期之前），"
    "计入相应时期。",
    "daily_mentions": "提及：{count}条（昨日{previous}条，{change}）",
    "daily_negative": "负面占比：{share}（{change}）",
    "daily_incidents": "新增事件：{count}个；当前未结：{open}",
    "daily_breaches": "超出SLA：确认{ack}次，首次回应{response}次",
    "daily_late": "补录：本日有{count}条迟到提及",
    # layout (issue 18)
    "sla_ack": "确认",
    "sla_response": "首次公开回应与解决",
    "unknown": "未知",
    "grade_legend": "格子颜色 = 风险矩阵配置的等级，数字 = 事件数",
    "own_entity": "本组织",
    "other_entities": "其他",
    "not_negative": "非负面",
}

LOCALES: Final[dict[str, dict[str, str]]] = {
    "en": {**EN, **CONTENT_EN}, "zh": {**ZH, **CONTENT_ZH}
}


class Labels:
    """Label lookup and value formatting for one locale."""

    def __init__(self, locale: str, timezone: str = "UTC") -> None:
        self.locale = locale if locale in LOCALES else "en"
        self.texts = LOCALES[self.locale]
        self.zone = ZoneInfo(timezone)

    def __call__(self, key: str, **values: object) -> str:
        text = self.texts.get(key, LOCALES["en"].get(key, key))
        return text.format(**values) if values else text

    def title(self, kind: str, days: int) -> str:
        """The report's name for its period kind (a 7-day range reads as a weekly digest)."""
        if kind in ("day", "month", "quarter", "year"):
            return self(f"title_{kind}")
        return self("title") if days == 7 else self("title_period")

    def grade(self, grade: str) -> str:
        return self.texts.get(f"grade_{grade}", grade)

    def state(self, state: str) -> str:
        return self.texts.get(f"state_{state}", state)

    def kind(self, kind: str) -> str:
        return self.texts.get(f"kind_{kind}", kind)

    def number(self, value: float | None) -> str:
        if value is None:
            return self("n_a")
        if float(value).is_integer():
            return f"{int(value):,}"
        return f"{value:,.1f}"

    def percent(self, value: float | None, digits: int = 1) -> str:
        return self("n_a") if value is None else f"{100 * value:.{digits}f}%"

    def signed(self, value: float | None, *, percent_points: bool = False) -> str:
        """A change: +12, -3, +1.5 pp."""
        if value is None:
            return self("n_a")
        if percent_points:
            return f"{100 * value:+.1f} pp"
        return f"{value:+,.0f}" if float(value).is_integer() else f"{value:+,.1f}"

    def change_pct(self, value: float | None) -> str:
        return "" if value is None else f"{value:+.0f}%"

    def duration(self, seconds: float | None) -> str:
        """45s, 12m, 3h 05m, 2d 4h (Chinese units for zh)."""
        if seconds is None:
            return self("n_a")
        zh = self.locale == "zh"
        total = int(round(seconds))
        days, rest = divmod(total, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        if days:
            return f"{days}天{hours}小时" if zh else f"{days}d {hours}h"
        if hours:
            return f"{hours}小时{minutes:02d}分" if zh else f"{hours}h {minutes:02d}m"
        if minutes:
            return f"{minutes}分钟" if zh else f"{minutes}m"
        return f"{secs}秒" if zh else f"{secs}s"

    def day(self, value: date) -> str:
        if self.locale == "zh":
            return f"{value.month}月{value.day}日"
        return value.strftime("%a %d %b")

    def moment(self, value: datetime | None) -> str:
        """A time in the organisation's zone, zone shown: 2026-11-18 14:05 UTC+8."""
        if value is None:
            return self("n_a")
        return format_time(value, self.zone)
