"""Digest entry points for the CLI and the service: configuration in, files and posts out.

This is composition-root code (it reads ``app.settings``); everything below it takes plain
values: ``build_digest`` (figures), ``render_*`` (documents), ``send_digest_document``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from monitor.app import App
from monitor.db.engine import storage_folder
from monitor.digest.charts import Charts, render_charts
from monitor.digest.figures import build_digest
from monitor.digest.inputs import DigestInputs, EntityInfo
from monitor.digest.labels import Labels
from monitor.digest.model import Digest
from monitor.digest.period import Period, last_full_week
from monitor.digest.render_html import render_html
from monitor.digest.render_json import render_json
from monitor.digest.render_markdown import render_markdown
from monitor.digest.send import ChannelTarget, DigestDocument, SendResult, send_digest_document
from playbooks import default_playbook_paths, default_scripts_path, load_playbooks, load_scripts

FORMATS: tuple[str, ...] = ("html", "md", "json")


class DigestError(Exception):
    """A digest option that cannot be used (unknown format or channel); one clear line."""


@dataclass(frozen=True, slots=True)
class DigestOutput:
    """A built digest: its figures, the documents, and where they were written."""

    period: Period
    digest: Digest
    document: DigestDocument
    files: Mapping[str, Path]


def _resolve(base: Path, path: Path) -> Path:
    return path if path.is_absolute() else base / path


def digest_inputs(app: App) -> DigestInputs:
    """Organisation, entities, playbooks, scripts and the grade table from the configuration."""
    settings = app.settings
    base = app.config.base_dir
    section = settings.playbooks
    playbook_paths = tuple(_resolve(base, p) for p in section.paths) or default_playbook_paths()
    script_paths = tuple(_resolve(base, p) for p in section.scripts) or (default_scripts_path(),)
    locale = settings.organisation.locale
    return DigestInputs(
        organisation=settings.organisation.display_name(locale),
        timezone=settings.organisation.timezone,
        locale=locale,
        entities=tuple(
            EntityInfo(
                id=e.id,
                name=e.display_name(locale),
                kind=e.kind,
                aliases=tuple(dict.fromkeys((e.name, *e.display_names.values(), *e.aliases))),
            )
            for e in settings.entities
        ),
        playbooks=load_playbooks(playbook_paths),
        scripts=load_scripts(script_paths, review_steps=settings.playbooks.review_steps),
        grade_table=tuple(tuple(row) for row in settings.scoring.matrix.table),
        reply_goal=settings.replies.goal,
    )


def default_out_dir(app: App) -> Path:
    """``<storage.data_dir>/digests``."""
    return Path(app.settings.storage.data_dir) / "digests"


def parse_formats(value: str | Sequence[str]) -> tuple[str, ...]:
    """``html,md,json`` (any order, any subset) as a tuple; DigestError for unknown names."""
    items = value.split(",") if isinstance(value, str) else list(value)
    names = tuple(dict.fromkeys(i.strip().lower() for i in items if i.strip()))
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise DigestError(
            f"--format: unknown format {', '.join(unknown) or '(none)'} (expected html, md, json)"
        )
    return names


def render_document(digest: Digest, *, charts: Charts | None, labels: Labels,
                    filename: str) -> DigestDocument:
    """The standalone HTML and its e-mail variant (no embedded font)."""
    return DigestDocument(
        digest=digest,
        labels=labels,
        html=render_html(digest, charts=charts, labels=labels, embed_font=True),
        email_html=render_html(digest, charts=charts, labels=labels, embed_font=False),
        filename=filename,
    )


def build_and_write_digest(
    *,
    app: App,
    now: datetime,
    period: Period | None = None,
    out_dir: Path | None = None,
    formats: Sequence[str] = FORMATS,
) -> DigestOutput:
    """Build the digest (default: the last full week) and write ``digest-<period>.<format>``."""
    inputs = digest_inputs(app)
    period = period or last_full_week(now=now, tz=inputs.timezone)
    with app.sessions() as session:
        digest = build_digest(session=session, inputs=inputs, period=period, now=now)
    labels = Labels(inputs.locale, inputs.timezone)
    charts = render_charts(digest, labels)
    stem = f"digest-{period.slug}"
    document = render_document(digest, charts=charts, labels=labels, filename=f"{stem}.html")
    folder = storage_folder(out_dir or default_out_dir(app), what="the digest folder")
    texts = {
        "html": document.html,
        "md": render_markdown(digest, labels=labels),
        "json": render_json(digest),
    }
    files: dict[str, Path] = {}
    for fmt in formats:
        path = folder / f"{stem}.{fmt}"
        _write_atomic(path, texts[fmt])
        files[fmt] = path
    return DigestOutput(period=period, digest=digest, document=document, files=files)


def send_digest(
    *,
    app: App,
    output: DigestOutput,
    now: datetime,
    channels: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[SendResult]:
    """Post the digest to the named channels (default: every enabled configured channel)."""
    configured = app.settings.channels
    if channels:
        unknown = [name for name in channels if name not in configured]
        if unknown:
            known = ", ".join(sorted(configured)) or "none"
            raise DigestError(f"--channel: unknown channel {unknown[0]!r} (configured: {known})")
        names = list(dict.fromkeys(channels))
    else:
        names = [name for name, ch in configured.items() if ch.enabled]
    targets = [
        ChannelTarget(name=name, kind=configured[name].kind, options=configured[name].options())
        for name in names
    ]
    return send_digest_document(
        output.document,
        targets=targets,
        environ=os.environ if environ is None else environ,
        now=now,
    )


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
