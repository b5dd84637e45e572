"""The digest reads as a manager sees it (issue 18): at 1280 px, on a 375 px phone, on paper.

Heat-map cells take their configured grade's colour, every colour of every chart is named in a
legend, every text colour reads at a contrast of 4.5 or more, tables fit (or scroll in their own
box on a phone, never the page), and the page prints to a PDF holding its last table.
The Chromium tests skip without Debian's chromium (CI installs it: .ci/run).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.digest import charts
from monitor.digest.charts import GRADE_STYLE, UNGRADED_STYLE, cell_style, render_charts
from monitor.digest.labels import Labels
from monitor.digest.model import Digest, MatrixFigure
from monitor.digest.render_html import CSS
from monitor.digest.run import render_document
from monitor.digest.testing_browser import CHROMIUM, Browser

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (apt-get install -y chromium)"
)


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(text: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    high, low = sorted((_luminance(text), _luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_matches_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # just under AA


@pytest.mark.parametrize("grade", [*GRADE_STYLE, None])
def test_every_heat_map_cell_reads_at_aa_contrast(grade: str | None) -> None:
    fill, ink = cell_style(grade)
    assert contrast(ink, fill) >= 4.5, (grade, fill, ink, contrast(ink, fill))


def test_every_text_colour_of_the_page_reads_on_every_background_of_the_page() -> None:
    css = CSS % {"fonts": "x"}
    texts = set(re.findall(r"(?<![-\w])color:(#[0-9a-f]{6})", css))
    grounds = set(re.findall(r"background:(#[0-9a-f]{6})", css)) | {"#ffffff"}
    assert len(texts) >= 2 and len(grounds) >= 3
    weak = [
        (t, g, round(contrast(t, g), 2)) for t in texts for g in grounds if contrast(t, g) < 4.5
    ]
    assert weak == []


@pytest.fixture()
def figures(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Each chart's matplotlib Figure, by chart function, as it is turned into a PNG."""
    made: dict[str, Any] = {}
    real = charts._png

    def keep(figure: Any) -> str:
        import inspect

        made[inspect.stack()[1].function] = figure
        return real(figure)

    monkeypatch.setattr(charts, "_png", keep)
    yield made


def _bar_colours(axes: Any) -> set[tuple[float, ...]]:
    from matplotlib.patches import Rectangle

    return {
        tuple(round(c, 3) for c in patch.get_facecolor())
        for container in axes.containers
        for patch in container
        if isinstance(patch, Rectangle) and patch.get_width() and patch.get_height()
    }


def _legend(axes: Any) -> dict[tuple[float, ...], str]:
    legend = axes.get_legend()
    assert legend is not None, axes.get_title()
    return {
        tuple(round(c, 3) for c in handle.get_facecolor()): text.get_text()
        for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True)
    }


def test_every_chart_names_every_colour_in_a_legend(week: Any, figures: dict[str, Any]) -> None:
    labels = Labels("en", week.inputs.timezone)
    drawn = render_charts(week.digest, labels)
    assert None not in (drawn.trend, drawn.entities, drawn.voice, drawn.matrix)
    assert set(figures) == {"trend_chart", "entity_chart", "voice_chart", "matrix_chart"}
    for name in ("trend_chart", "entity_chart"):
        (axes,) = figures[name].axes
        named = _legend(axes)
        assert _bar_colours(axes) <= set(named), (name, named)
        assert all(named.values())
    entity_names = set(_legend(figures["entity_chart"].axes[0]).values())
    # the issue 18 legend named only "Negative": own entities and competitors are named too
    assert {"Negative", "own: not negative", "competitor: not negative"} <= entity_names
    pie, mix = figures["voice_chart"].axes
    assert {t.get_text() for t in pie.texts} >= {r.name for r in week.digest.voice if r.mentions}
    assert _bar_colours(mix) <= set(_legend(mix))
    (axes,) = figures["matrix_chart"].axes
    table = week.digest.matrix.table
    assert table is not None
    grades = {g for row in table for g in row}
    assert set(_legend(axes).values()) == {labels.grade(g) for g in grades}


def test_heat_map_cells_take_their_grade_colour_not_their_count(
    week: Any, figures: dict[str, Any]
) -> None:
    from matplotlib.colors import to_hex
    from matplotlib.patches import Rectangle

    table = week.digest.matrix.table
    assert table is not None and table[0][4] == "low"  # likelihood 1 x impact 5
    counts = [[0] * 5 for _ in range(5)]
    counts[0][4] = 7  # the busiest cell is a low one
    counts[4][4] = 1  # one critical incident
    digest: Digest = dataclasses.replace(
        week.digest, matrix=MatrixFigure(counts=tuple(map(tuple, counts)), table=table, total=8)
    )
    charts.matrix_chart(digest, Labels("en", week.inputs.timezone))
    (axes,) = figures["matrix_chart"].axes
    cells = {
        (round(p.get_x() + 0.5), round(p.get_y() + 0.5)): to_hex(p.get_facecolor())
        for p in axes.patches
        if isinstance(p, Rectangle)
    }
    assert len(cells) == 25
    for (col, row), fill in cells.items():
        likelihood, impact = 5 - row, col + 1
        assert fill == GRADE_STYLE[table[likelihood - 1][impact - 1]][0], (likelihood, impact)
    assert cells[(4, 4)] == GRADE_STYLE["low"][0] != GRADE_STYLE["critical"][0] == cells[(4, 0)]
    written = {
        (round(t.get_position()[0]), t.get_text()): to_hex(t.get_color()) for t in axes.texts
    }
    assert written[(4, "7")] == GRADE_STYLE["low"][1]
    assert written[(4, "1")] == GRADE_STYLE["critical"][1]


def test_heat_map_without_a_risk_table_shows_counts_on_plain_cells(
    week: Any, figures: dict[str, Any]
) -> None:
    digest = dataclasses.replace(
        week.digest, matrix=dataclasses.replace(week.digest.matrix, table=None)
    )
    assert charts.matrix_chart(digest, Labels("en", week.inputs.timezone))
    (axes,) = figures["matrix_chart"].axes
    from matplotlib.colors import to_hex

    assert {to_hex(p.get_facecolor()) for p in axes.patches} == {UNGRADED_STYLE[0]}
    assert axes.get_legend() is None


def _page(week: Any, tmp_path: Path, locale: str) -> Path:
    labels = Labels(locale, week.inputs.timezone)
    document = render_document(
        week.digest,
        charts=render_charts(week.digest, labels),
        labels=labels,
        filename="digest.html",
    )
    page = tmp_path / f"digest-{locale}.html"
    page.write_text(document.html, encoding="utf-8")
    return page


WIDTHS = """[document.documentElement.scrollWidth, window.innerWidth,
  [...document.querySelectorAll('div.tw')].map(b => [b.scrollWidth, b.clientWidth,
    b.querySelector('th').textContent])]"""


@needs_chromium
@pytest.mark.parametrize("locale", ["en", "zh"])
def test_tables_fit_at_1280_and_only_scroll_in_their_box_on_a_phone(
    week: Any, tmp_path: Path, locale: str
) -> None:
    page = _page(week, tmp_path, locale)
    browser = Browser(tmp_path / "profile")
    try:
        wide = browser.page(page.as_uri(), width=1280)
        page_width, viewport, boxes = wide.evaluate(WIDTHS)
        assert viewport == 1280 and page_width <= 1280
        # the SLA and share-of-voice tables overflowed 1280 px in issue 18: all fit now
        assert len(boxes) >= 10
        assert [b for b in boxes if b[0] > b[1]] == []
        phone = browser.page(page.as_uri(), width=375, height=812, mobile=True)
        page_width, viewport, boxes = phone.evaluate(WIDTHS)
        assert viewport == 375 and page_width <= 375  # the page body never scrolls sideways
        assert all(b[1] <= 375 for b in boxes)
        printed = browser.page(page.as_uri(), width=716, media="print")  # A4 between margins
        overflow = printed.evaluate(
            "[...document.querySelectorAll('table, img.chart')]"
            ".filter(t => t.getBoundingClientRect().right > 716.5).length"
        )
        assert overflow == 0  # nothing is cut at the right edge of the paper
    finally:
        browser.close()


@needs_chromium
def test_digest_prints_to_pdf_with_its_last_table(week: Any, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    page = _page(week, tmp_path, "en")
    pdf = tmp_path / "digest.pdf"
    profile = tmp_path / "profile"
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--proxy-server=http://127.0.0.1:9",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=180,
        check=False,
        env={"HOME": str(profile), "PATH": "/usr/bin:/bin"},
    )
    assert pdf.is_file(), result.stderr.decode(errors="replace")[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages > 1  # a long report over several pages
    if shutil.which("pdftotext") is None:
        pytest.skip(
            "the PDF was made; reading its text needs pdftotext (apt-get install poppler-utils)"
        )
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, check=True, timeout=60
    ).stdout.decode()
    assert text.count("\f") >= pages - 1
    words = " ".join(text.split())
    labels = Labels("en", week.inputs.timezone)
    # the last table of the report (drills) is printed, headers and its last row's scenario
    assert labels("drills") in words and labels("expectations_met") in words
    last = week.digest.drills.items[-1]
    assert last.title.split()[0] in words and labels.moment(last.started_at) in words


def test_long_runs_in_cells_get_break_opportunities_and_stay_escaped() -> None:
    from html import unescape

    from monitor.digest.render_html import _breakable

    assert _breakable("customer_complaint & co") == "customer_complaint &amp; co"
    hostile = '<a href="http://evil.example/very/long/path">x</a> 澜沐'
    broken = _breakable(hostile)
    assert "<a" not in broken and "&lt;a" in broken and "<wbr>" in broken
    assert unescape(broken.replace("<wbr>", "")) == hostile
    assert [len(r) for r in _breakable("x" * 60).split("<wbr>")] == [24, 24, 12]


def test_markdown_matrix_gives_each_cell_its_grade(week: Any) -> None:
    from monitor.digest.tables import matrix_table

    labels = Labels("en", week.inputs.timezone)
    table = matrix_table(week.digest, labels)
    grades = week.digest.matrix.table
    assert grades is not None
    bottom = table.rows[-1]  # likelihood 1
    assert bottom[0] == "Likelihood 1"
    counts = week.digest.matrix.counts[0]
    assert bottom[1:] == tuple(
        f"{labels.number(c)} ({labels.grade(g)})" for c, g in zip(counts, grades[0], strict=True)
    )
