"""HTML is self-contained and escaped; Markdown and JSON say the same as the figures; zh labels."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from monitor.digest.charts import render_charts
from monitor.digest.labels import EN, ZH, Labels
from monitor.digest.render_json import render_json
from monitor.digest.render_markdown import md_escape, render_markdown
from monitor.digest.run import render_document
from monitor.digest.testing import (
    BIDI_AUTHOR,
    BIDI_AUTHOR_SHOWN,
    HOSTILE_AUTHOR,
    HOSTILE_TITLE,
)

FORBIDDEN_TAGS = {"script", "link", "iframe", "object", "embed", "base", "form", "frame", "a",
                  "video", "audio", "source", "meta-refresh"}


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_style = tag == "style"
        self.attrs += [(tag, k, v or "") for k, v in attrs]

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)


@pytest.fixture(scope="module")
def docs(week: Any) -> dict[str, Any]:
    out = {}
    for locale in ("en", "zh"):
        labels = Labels(locale, week.inputs.timezone)
        charts = render_charts(week.digest, labels)
        document = render_document(week.digest, charts=charts, labels=labels, filename="d.html")
        out[locale] = {
            "labels": labels,
            "charts": charts,
            "html": document.html,
            "email_html": document.email_html,
            "md": render_markdown(week.digest, labels=labels),
            "json": json.loads(render_json(week.digest)),
        }
    return out


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_digest_html_is_self_contained(docs: dict[str, Any], locale: str) -> None:
    html = docs[locale]["html"]
    page = Collector()
    page.feed(html)
    assert not FORBIDDEN_TAGS & set(page.tags)
    assert page.tags.count("img") == 4  # trend, entities, share of voice, matrix
    for tag, name, value in page.attrs:
        if name in ("src", "srcset", "href", "action", "poster", "data", "background"):
            assert tag == "img" and name == "src" and value.startswith("data:image/png;base64,")
        assert not name.startswith("on"), (tag, name)
        assert "http:" not in value and "https:" not in value or name == "content", (tag, name)
    csp = [v for t, n, v in page.attrs if t == "meta" and n == "content" and "default-src" in v]
    assert csp == ["default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'"]
    css = "".join(page.styles)
    assert re.findall(r"url\(\"?([a-z]+):", css) in ([], ["data"])
    assert "@import" not in css
    if locale == "zh":
        assert "font/otf;base64," in css  # the hanzi travel with the file
    assert "font/otf" not in docs[locale]["email_html"]


def test_digest_html_escapes_outside_text(docs: dict[str, Any]) -> None:
    html = docs["en"]["html"]
    assert "<script>" not in html and "<a href" not in html
    page = Collector()
    page.feed(html)
    text = "".join(page.text)
    assert HOSTILE_TITLE in text  # shown literally, as text
    assert HOSTILE_AUTHOR in text
    assert not any("evil.example" in v for _, _, v in page.attrs)


def test_digest_markdown_escapes_outside_text(docs: dict[str, Any]) -> None:
    md = docs["en"]["md"]
    assert not re.search(r"(?<!\\)[<>]", md)  # every angle bracket is backslash-escaped
    assert md_escape(HOSTILE_TITLE) in md
    assert md_escape("a|b") == "a\\|b"
    for line in md.splitlines():
        if line.startswith("| 90001 "):
            assert line.count(" | ") == 7  # the title's pipe did not add a column


def _row(md: str, label: str) -> list[str]:
    for line in md.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if cells and cells[0] == md_escape(label):
            return cells
    raise AssertionError(f"no row {label!r}")


def test_digest_markdown_and_json_agree_with_the_figures(week: Any, docs: dict[str, Any]) -> None:
    md, data, lb = docs["en"]["md"], docs["en"]["json"], docs["en"]["labels"]
    h = data["headline"]
    assert h["mentions"]["current"] == week.digest.headline.mentions.current
    assert _row(md, "Mentions")[1:3] == [f"{h['mentions']['current']:,}",
                                        f"{h['mentions']['previous']:,}"]
    assert _row(md, "Negative mentions")[1] == f"{h['negative']['current']:,}"
    assert _row(md, "Negative share")[1] == f"{100 * h['negative_share']['current']:.1f}%"
    assert _row(md, "SLA breaches (late or missing acknowledgement)")[1] == str(
        h["sla_breaches"]["current"]
    )
    for grade in h["incidents_by_grade"]:
        assert _row(md, f"Incidents graded {grade['grade']}")[1:3] == [
            str(grade["current"]), str(grade["previous"])
        ]
    assert _row(md, "Time to acknowledge, median")[1] == lb.duration(
        h["time_to_ack"]["median_s"]
    )
    assert _row(md, "Time to first response, median")[1] == lb.duration(
        h["time_to_response"]["median_s"]
    )
    assert _row(md, "Response breaches (late or missing first public response)")[1] == str(
        h["response_breaches"]["current"]
    )
    for incident in data["top_incidents"]:
        assert f"| {incident['id']} | {incident['grade']} |" in md
    for row in data["voice"]:
        assert md_escape(row["name"]) in md
    for theme in data["themes"]["zh"] + data["themes"]["en"]:
        assert f"| {md_escape(theme['term'])} |" in md
    for day in data["daily"]:
        assert day["day"] in md
    assert data["meta"]["period"]["label"] == "2026-W46"
    assert data["meta"]["period"]["start_at"] == "2026-11-08T16:00:00+00:00"
    assert data["meta"]["schema_version"] == 3
    # every section of the tree is in the JSON
    assert set(data) == {"meta", "headline", "sla", "daily", "entities", "voice", "matrix",
                         "top_incidents", "top_stories", "themes", "top_sources", "top_authors",
                         "open_items", "drills", "reviews", "replies", "summary",
                         "next_steps", "indicators"}


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_digest_drills_section_says_what_the_figures_say(
    week: Any, docs: dict[str, Any], locale: str
) -> None:
    md, html, lb = docs[locale]["md"], docs[locale]["html"], docs[locale]["labels"]
    data = docs[locale]["json"]["drills"]
    drills = week.digest.drills
    assert data["count"] == drills.count == 3 and data["unreadable"] == 0
    assert [d["key"] for d in data["items"]] == [r.key for r in drills.items]
    assert data["first_ack"]["median_s"] == drills.first_ack.median_s
    for row in drills.items:
        verdict = {True: lb("yes"), False: lb("no"), None: "—"}
        first_ack = (lb.duration(row.first_ack_s) if row.first_ack_s is not None
                     else lb("not_acknowledged"))
        cells = (md_escape(lb.moment(row.started_at)), md_escape(row.title), lb.state(row.state),
                 lb.grade(row.highest_grade), str(row.alerts_sent), str(row.escalation_level),
                 first_ack, verdict[row.ack_within_sla], verdict[row.expectations_met])
        assert "| " + " | ".join(cells) + " |" in md
    note = lb("drills_summary", count=3, within=drills.ack_within_sla,
              median=lb.duration(drills.first_ack.median_s))
    assert md_escape(note) in md and note in html
    assert lb("not_acknowledged") in html and lb("state_aborted") in html


def test_digest_locale_zh_labels(docs: dict[str, Any]) -> None:
    zh_html, zh_md = docs["zh"]["html"], docs["zh"]["md"]
    for label in ("每周风险简报", "核心指标", "重点事件", "主要负面话题", "待办事项", "演练",
                  "声量份额与竞品情感对比", "风险矩阵上的事件"):
        assert label in zh_html and label in zh_md
    assert "Headline figures" not in zh_html and "Top incidents" not in zh_md
    assert '<html lang="zh-CN">' in zh_html
    assert "| 提及量 |" in zh_md
    assert Labels("zh").duration(3725) == "1小时02分" and Labels("en").duration(3725) == "1h 02m"


def test_digest_label_tables_have_the_same_keys() -> None:
    assert set(EN) == set(ZH)
    for key, text in EN.items():
        assert re.findall(r"{(\w+)}", text) == re.findall(r"{(\w+)}", ZH[key]) or set(
            re.findall(r"{(\w+)}", text)
        ) == set(re.findall(r"{(\w+)}", ZH[key])), key


def test_digest_strips_bidi_controls_and_invisible_characters_everywhere(
    week: Any, docs: dict[str, Any]
) -> None:
    assert any(r.name.endswith(BIDI_AUTHOR_SHOWN) for r in week.digest.top_authors)
    for locale in ("en", "zh"):
        rendered = {k: docs[locale][k] for k in ("html", "email_html", "md")}
        rendered["json"] = json.dumps(docs[locale]["json"], ensure_ascii=False)
        for name, text in rendered.items():
            assert "gnp.exe" in text, name
            for ch in ("\u202e", "\u202c", "\u2066", "\u2069", "\u200b", "\x07"):
                assert ch not in text, (locale, name, hex(ord(ch)))
    assert BIDI_AUTHOR != BIDI_AUTHOR_SHOWN


def test_digest_times_are_in_the_organisation_zone_with_the_zone_shown(
    docs: dict[str, Any],
) -> None:
    md = docs["en"]["md"]
    generated = next(line for line in md.splitlines() if "Generated" in line)
    assert generated.endswith("2026-11-23 17:00 UTC\\+8")  # NOW is 09:00 UTC
    incident = next(line for line in md.splitlines() if line.startswith("| 90001 "))
    assert " UTC\\+8 |" in incident
