"""One self-contained HTML file: inline CSS, charts and font as data URIs, no scripts, no links.

Every piece of text is escaped with ``html.escape``; a Content-Security-Policy allowing only
inline styles and data: images/fonts makes sure that, even so, the page can load nothing.
"""

from __future__ import annotations

import re
from html import escape

from monitor.digest.backfill import basis_lines
from monitor.digest.charts import Charts
from monitor.digest.content_tables import competitors_table, indicators_table, next_steps_table
from monitor.digest.executive import executive_summary
from monitor.digest.labels import Labels
from monitor.digest.model import Digest
from monitor.digest.reply_tables import reply_tables
from monitor.digest.review_tables import reviews_tables
from monitor.digest.tables import (
    Table,
    daily_table,
    drills_table,
    entity_table,
    headline_table,
    incidents_table,
    open_tables,
    reach_tables,
    sla_tables,
    stories_table,
    themes_tables,
    voice_table,
)

_RUN = 24  # longest run of characters without a break opportunity in a table cell
_LONG_RUN = re.compile(rf"\S{{{_RUN + 1},}}")
CSP = "default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'"
# The embedded face only claims CJK code points (unicode-range), so listing it first sends
# hanzi to it and everything else on down the stack.
FONT_STACK = (
    '"Crisiswatch Sans CJK", system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", '
    '"PingFang SC", "Microsoft YaHei", sans-serif'
)
CSS = """
body{font-family:%(fonts)s;color:#1f2933;background:#f5f7fa;margin:0;line-height:1.45}
main{max-width:1040px;margin:0 auto;padding:24px 28px 40px;background:#fff}
h1{font-size:26px;margin:0 0 4px;overflow-wrap:break-word}h2{font-size:19px;margin:28px 0 8px;
border-bottom:2px solid #e4e7eb;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
p.meta{color:#52606d;margin:0 0 12px;font-size:13px}
p.empty{background:#fff8e1;border-left:4px solid #f0b429;padding:10px 14px}
p.note{color:#52606d;font-size:12px;margin:4px 0}
.tw{overflow-x:auto;max-width:100%%;margin:4px 0 8px}
table{border-collapse:collapse;width:100%%;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top;
overflow-wrap:break-word}
th{background:#f0f4f8;font-weight:600;font-size:12px}
td.n,th.n{text-align:right;overflow-wrap:normal}td.n{white-space:nowrap}
th.n{min-width:4em}
tr.g-critical td:first-child{border-left:4px solid #c62828}
tr.g-high td:first-child{border-left:4px solid #ef6c00}
tr.g-medium td:first-child{border-left:4px solid #f9a825}
tr.g-low td:first-child{border-left:4px solid #7cb342}
img.chart{max-width:100%%;height:auto;display:block;margin:6px 0}
.cols{display:flex;gap:24px;flex-wrap:wrap}.cols>div{flex:1 1 300px;min-width:0}
.kpis{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.kpi{flex:1 1 150px;background:#f0f4f8;border-radius:6px;padding:10px 12px}
.kpi b{display:block;font-size:22px}.kpi span{color:#52606d;font-size:12px}
footer{color:#52606d;font-size:11px;margin-top:32px}
@media (max-width:600px){main{padding:14px 12px 28px}h1{font-size:21px}
table{font-size:12px}th,td{padding:4px 5px}.kpi{flex-basis:120px}}
@media print{body{background:#fff}main{max-width:none;padding:0}
.tw{overflow:visible}table{font-size:9.5px}th{font-size:9px}th,td{padding:3px 4px}
td.n{white-space:normal}thead{display:table-header-group}
tr,img.chart,.kpi,p.note{break-inside:avoid;page-break-inside:avoid}
h2,h3{break-after:avoid;page-break-after:avoid}
a{color:inherit;text-decoration:underline}}
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def render_table(table: Table, *, heading: str = "h3", titled: bool = True) -> str:
    """A titled table (or its empty text), every cell escaped."""
    out = [f"<{heading}>{_e(table.title)}</{heading}>"] if titled else []
    if not table.rows:
        if table.empty:
            out.append(f'<p class="note">{_e(table.empty)}</p>')
        return "\n".join(out)
    head = "".join(
        f'<th class="n">{_e(h)}</th>' if i in table.numeric else f"<th>{_e(h)}</th>"
        for i, h in enumerate(table.headers)
    )
    body = []
    for index, row in enumerate(table.rows):
        mark = table.row_marks[index] if index < len(table.row_marks) else ""
        cls = f' class="g-{_e(mark)}"' if mark else ""
        link = table.links[index] if index < len(table.links) else None
        own = table.cell_links[index] if index < len(table.cell_links) else ()
        cells = "".join(
            f'<td class="n">{_e(c)}</td>' if i in table.numeric
            else "<td>" + _linked(c, (own[i] if i < len(own) else None)
                                  or (link if i == len(row) - 1 else None)) + "</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    # the wrapper scrolls a table wider than the page instead of the page itself
    out.append(f'<div class="tw"><table><thead><tr>{head}</tr></thead>'
               f"<tbody>{''.join(body)}</tbody></table></div>")
    if table.note:
        out.append(f'<p class="note">{_e(table.note)}</p>')
    return "\n".join(out)


def _linked(text: str, url: str | None) -> str:
    """Escaped text, as a link when ``url`` is an http(s) address."""
    if url and url.startswith(("http://", "https://")):
        return f'<a href="{_e(url)}" rel="noopener noreferrer">{_breakable(text)}</a>'
    return _breakable(text)


def _breakable(text: str) -> str:
    """Escaped text whose long unbroken runs (addresses, handles) may wrap: a table cell is
    never narrower than its longest run, so one such run would push the table past the page."""
    out, last = [], 0
    for match in _LONG_RUN.finditer(text):
        out.append(_e(text[last : match.start()]))
        out.append(_break_run(match.group(0)))
        last = match.end()
    out.append(_e(text[last:]))
    return "".join(out)


def _break_run(run: str) -> str:
    """A break opportunity after punctuation, and at least every _RUN characters."""
    pieces = [p for p in re.split(r"(?<=[/.\-_=&?@:,;])", run) if p]
    return "<wbr>".join(
        _e(piece[i : i + _RUN]) for piece in pieces for i in range(0, len(piece), _RUN)
    )


def _img(uri: str | None, alt: str) -> str:
    if not uri or not uri.startswith("data:image/png;base64,"):
        return ""
    return f'<img class="chart" src="{_e(uri)}" alt="{_e(alt)}">'


def _kpis(d: Digest, lb: Labels) -> str:
    h = d.headline
    items = [
        (lb.number(h.mentions.current), lb("mentions"), lb.change_pct(h.mentions.change_pct)),
        (lb.percent(h.negative_share.current), lb("negative_share"),
         lb.signed(h.negative_share.change, percent_points=True)
         if h.negative_share.change is not None else ""),
        (lb.number(h.incidents.current), lb("incidents"), lb.signed(h.incidents.change)),
        (lb.duration(h.time_to_ack.median_s), lb("ack_median"), ""),
        (lb.number(h.sla_breaches.current), lb("sla_breaches"), lb.signed(h.sla_breaches.change)),
    ]
    cells = "".join(
        f'<div class="kpi"><b>{_e(v)}</b><span>{_e(label)}'
        + (f" · {_e(change)}" if change else "")
        + "</span></div>"
        for v, label, change in items
    )
    return f'<div class="kpis">{cells}</div>'


def _content_top(d: Digest, lb: Labels) -> list[str]:
    """The executive summary and the next steps (issue 18: what a manager reads first)."""
    out = []
    sentences = executive_summary(d, lb)  # in the labels' locale, as JSON has it in the digest's
    if sentences:
        sep = "" if lb.locale == "zh" else " "
        out += [f"<h2>{_e(lb('summary'))}</h2>",
                f'<p class="summary">{_e(sep.join(sentences))}</p>']
    if d.next_steps is not None:
        out.append(render_table(next_steps_table(d, lb), heading="h2"))
    return out


def _content_indicators(d: Digest, lb: Labels) -> list[str]:
    """The source plans' indicators, then competitors' engagement and growth."""
    if d.indicators is None:
        return []
    out = [render_table(indicators_table(d, lb), heading="h2")]
    if d.indicators.competitors:
        out.append(render_table(competitors_table(d, lb), heading="h2"))
    return out


def render_html(digest: Digest, *, charts: Charts | None, labels: Labels,
                embed_font: bool = True) -> str:
    """The complete HTML document."""
    lb = labels
    meta = digest.meta
    title = lb.title(meta.kind, meta.period.days)
    parts: list[str] = [
        f"<h1>{_e(title)} — {_e(meta.organisation)}</h1>",
        '<p class="meta">'
        + _e(f"{lb('period')}: {meta.period.label} ({meta.period.first_day} – "
             f"{meta.period.last_day}) · {lb('previous')} {meta.previous.label} · "
             f"{lb('timezone')}: {meta.timezone} · {lb('generated')}: "
             f"{lb.moment(meta.generated_at)}")
        + "</p>",
        f'<p class="note">{_e(" ".join(basis_lines(meta.basis, lb)))}</p>',
    ]
    if meta.empty:
        parts.append(f'<p class="empty">{_e(lb("empty"))}</p>')
    else:
        parts.append(_kpis(digest, lb))
    parts.extend(_content_top(digest, lb))
    parts.append(render_table(headline_table(digest, lb), heading="h2"))
    parts.extend(_content_indicators(digest, lb))
    if digest.sla:
        parts.append(f"<h2>{_e(lb('sla'))}</h2>")
        parts.extend(render_table(t) for t in sla_tables(digest, lb))
    if digest.daily:
        parts.append(f"<h2>{_e(lb('trend'))}</h2>")
        parts.append(_img(charts.trend if charts else None, lb("trend")))
        parts.append(render_table(daily_table(digest, lb), titled=False))
    if digest.entities:
        parts.append(f"<h2>{_e(lb('by_entity'))}</h2>")
        parts.append(_img(charts.entities if charts else None, lb("by_entity")))
        parts.append(render_table(entity_table(digest, lb), titled=False))
    if digest.voice:
        parts.append(f"<h2>{_e(lb('voice'))}</h2>")
        parts.append(_img(charts.voice if charts else None, lb("voice")))
        parts.append(render_table(voice_table(digest, lb), titled=False))
    if digest.matrix.total:
        parts.append(f"<h2>{_e(lb('matrix'))}</h2>")
        parts.append(_img(charts.matrix if charts else None, lb("matrix")))
    if not meta.empty:
        parts.append(render_table(incidents_table(digest, lb), heading="h2"))
        parts.append(render_table(stories_table(digest, lb), heading="h2"))
        parts.append(f"<h2>{_e(lb('themes'))}</h2>")
        themes = themes_tables(digest, lb)
        if themes:
            parts.append(
                '<p class="note">'
                + _e(lb("themes_note", sample=digest.themes.sample_size,
                        total=digest.themes.negative_total))
                + "</p>"
            )
            parts.append('<div class="cols">'
                         + "".join(f"<div>{render_table(t)}</div>" for t in themes) + "</div>")
        else:
            parts.append(f'<p class="note">{_e(lb("no_themes"))}</p>')
        parts.append('<div class="cols">'
                     + "".join(f"<div>{render_table(t)}</div>" for t in reach_tables(digest, lb))
                     + "</div>")
    parts.append(f"<h2>{_e(lb('open_items'))}</h2>")
    parts.extend(render_table(t) for t in open_tables(digest, lb))
    parts.append(render_table(drills_table(digest, lb), heading="h2"))
    parts.extend(render_table(t, heading="h2") for t in reviews_tables(digest, lb))
    parts.extend(render_table(t, heading="h2") for t in reply_tables(digest, lb))
    parts.append(f"<footer>crisiswatch · digest schema {meta.schema_version}</footer>")
    body = "\n".join(p for p in parts if p)
    font_face = ""
    if embed_font and any(ord(ch) > 0x2E7F for ch in body):
        from monitor.digest.fonts_setup import font_subset_data_uri

        uri = font_subset_data_uri(_visible_text(body))
        if uri:
            font_face = (
                # one regular face for every weight, or bold headings would skip it (tofu)
                '@font-face{font-family:"Crisiswatch Sans CJK";font-weight:100 900;'
                "font-style:normal;unicode-range:U+2000-206F,U+2E80-9FFF,U+F900-FAFF,"
                f'U+FE30-FE4F,U+FF00-FFEF;src:url("{uri}") format("opentype");}}'
            )
    lang = "zh-CN" if lb.locale == "zh" else "en"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)} {_e(meta.period.label)} — {_e(meta.organisation)}</title>\n"
        f"<style>{font_face}{CSS % {'fonts': FONT_STACK}}</style>\n"
        f"</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _visible_text(body: str) -> str:
    """Characters that may be displayed (markup and data URIs are ASCII, so harmless here)."""
    return "".join(ch for ch in body if ord(ch) > 0x7F) + "".join(map(chr, range(0x20, 0x7F)))
