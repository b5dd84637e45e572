"""The digest as Markdown: the same tables as the HTML, text only (charts stay in the HTML)."""

from __future__ import annotations

import re

from monitor.digest.backfill import basis_lines
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
    matrix_table,
    open_tables,
    reach_tables,
    sla_tables,
    stories_table,
    themes_tables,
    voice_table,
)

# Characters with a meaning in Markdown (or in HTML that Markdown passes through).
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~&])")


def md_escape(text: object) -> str:
    """One line of literal text: markup characters backslash-escaped, line breaks flattened."""
    flat = " ".join(str(text).split())
    return _SPECIAL.sub(r"\\\1", flat)


def render_table(table: Table, *, level: int = 3, titled: bool = True) -> list[str]:
    """A Markdown pipe table (or the empty text), with its title and note."""
    out = [f"{'#' * level} {md_escape(table.title)}", ""] if titled else []
    if not table.rows:
        if table.empty:
            out += [md_escape(table.empty), ""]
        return out
    out.append("| " + " | ".join(md_escape(h) or " " for h in table.headers) + " |")
    out.append(
        "|" + "|".join("---:" if i in table.numeric else "---" for i in range(len(table.headers)))
        + "|"
    )
    for index, row in enumerate(table.rows):
        link = table.links[index] if index < len(table.links) else None
        cells = [md_escape(c) for c in row]
        if link and link.startswith(("http://", "https://")):
            cells[-1] = f"[{cells[-1]}](<{link.replace('>', '%3E').replace(' ', '%20')}>)"
        own = table.cell_links[index] if index < len(table.cell_links) else ()
        for i, url in enumerate(own):
            if url and url.startswith(("http://", "https://")) and i < len(cells):
                cells[i] = f"[{cells[i]}](<{url.replace('>', '%3E').replace(' ', '%20')}>)"
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    if table.note:
        out += [f"_{md_escape(table.note)}_", ""]
    return out


def render_markdown(digest: Digest, *, labels: Labels) -> str:
    """The complete Markdown document."""
    lb = labels
    meta = digest.meta
    title = lb.title(meta.kind, meta.period.days)
    out = [
        f"# {md_escape(title)} — {md_escape(meta.organisation)}",
        "",
        md_escape(
            f"{lb('period')}: {meta.period.label} ({meta.period.first_day} – "
            f"{meta.period.last_day}) · {lb('previous')} {meta.previous.label} · "
            f"{lb('timezone')}: {meta.timezone} · {lb('generated')}: "
            f"{lb.moment(meta.generated_at)}"
        ),
        "",
        f"_{md_escape(' '.join(basis_lines(meta.basis, lb)))}_",
        "",
    ]
    if meta.empty:
        out += [f"**{md_escape(lb('empty'))}**", ""]
    sentences = executive_summary(digest, lb)
    if sentences:
        sep = "" if lb.locale == "zh" else " "
        out += [f"## {md_escape(lb('summary'))}", "", md_escape(sep.join(sentences)), ""]
    if digest.next_steps is not None:
        out += render_table(next_steps_table(digest, lb), level=2)
    out += render_table(headline_table(digest, lb), level=2)
    if digest.indicators is not None:
        out += render_table(indicators_table(digest, lb), level=2)
        if digest.indicators.competitors:
            out += render_table(competitors_table(digest, lb), level=2)
    if digest.sla:
        out += [f"## {md_escape(lb('sla'))}", ""]
        for table in sla_tables(digest, lb):
            out += render_table(table)
    if not meta.empty:
        out += [f"_{md_escape(lb('charts_in_html'))}_", ""]
    if digest.daily:
        out += render_table(daily_table(digest, lb), level=2)
    if digest.entities:
        out += render_table(entity_table(digest, lb), level=2)
    if digest.voice:
        out += render_table(voice_table(digest, lb), level=2)
    if digest.matrix.total:
        out += render_table(matrix_table(digest, lb), level=2)
    if not meta.empty:
        out += render_table(incidents_table(digest, lb), level=2)
        out += render_table(stories_table(digest, lb), level=2)
        out += [f"## {md_escape(lb('themes'))}", ""]
        themes = themes_tables(digest, lb)
        if themes:
            out += [
                md_escape(lb("themes_note", sample=digest.themes.sample_size,
                             total=digest.themes.negative_total)),
                "",
            ]
            for table in themes:
                out += render_table(table)
        else:
            out += [md_escape(lb("no_themes")), ""]
        for table in reach_tables(digest, lb):
            out += render_table(table, level=2)
    out += [f"## {md_escape(lb('open_items'))}", ""]
    for table in open_tables(digest, lb):
        out += render_table(table)
    out += render_table(drills_table(digest, lb), level=2)
    for table in reviews_tables(digest, lb):
        out += render_table(table, level=2)
    for table in reply_tables(digest, lb):
        out += render_table(table, level=2)
    return "\n".join(out).rstrip("\n") + "\n"
