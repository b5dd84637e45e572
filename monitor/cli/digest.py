"""``crisiswatch digest``: write a report for a period (HTML, Markdown, JSON), optionally post it.

The period is the last full week by default; ``--period day|week|month|quarter|year`` with
``--at`` (a day inside it, or its name) picks any other; ``--week`` and ``--from/--to`` remain.
"""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.common import Context, UserError, emit, pass_ctx


@click.command("digest")
@click.option(
    "--period",
    "kind",
    default=None,
    type=click.Choice(["day", "week", "month", "quarter", "year"]),
    help="Report a day (the daily summary), week, month, quarter or year (default: the last "
    "full one; see --at).",
)
@click.option(
    "--at",
    default=None,
    metavar="DATE",
    help="With --period: a day inside the period (YYYY-MM-DD) or its name (2026-W47, "
    "2026-11, 2026-Q4, 2026).",
)
@click.option(
    "--week",
    default=None,
    metavar="YYYY-Www",
    help="ISO week, e.g. 2026-W47 (default: the last full week).",
)
@click.option(
    "--from",
    "date_from",
    default=None,
    metavar="DATE",
    help="First day of a custom period (YYYY-MM-DD), with --to.",
)
@click.option(
    "--to", "date_to", default=None, metavar="DATE", help="Last day of a custom period (inclusive)."
)
@click.option(
    "--out",
    "out_dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Folder for the files (default: <data_dir>/digests).",
)
@click.option(
    "--format",
    "formats",
    default="html,md,json",
    show_default=True,
    help="Comma-separated formats to write: html, md, json.",
)
@click.option("--send", is_flag=True, help="Post it to the configured channels.")
@click.option(
    "--channel",
    "channels",
    multiple=True,
    metavar="NAME",
    help="With --send: only this channel (repeatable; default: every enabled one).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def digest(
    obj: Context,
    kind: str | None,
    at: str | None,
    week: str | None,
    date_from: str | None,
    date_to: str | None,
    out_dir: str | None,
    formats: str,
    send: bool,
    channels: tuple[str, ...],
    as_json: bool,
) -> None:
    """Write the risk report of a period (the weekly digest by default) and print where the
    files are."""
    from monitor.clock import utcnow
    from monitor.digest.period import PeriodError, resolve_period
    from monitor.digest.run import DigestError, build_and_write_digest, parse_formats, send_digest
    from playbooks import PlaybookError, ScriptError

    now = utcnow()
    try:
        fmt = parse_formats(formats)
        with obj.app() as app:
            period = resolve_period(
                now=now,
                tz=app.settings.organisation.timezone,
                week=week,
                date_from=date_from,
                date_to=date_to,
                kind=kind,
                at=at,
            )
            output = build_and_write_digest(
                app=app,
                now=now,
                period=period,
                out_dir=Path(out_dir) if out_dir else None,
                formats=fmt,
            )
            results = (
                send_digest(app=app, output=output, now=now, channels=list(channels) or None)
                if send
                else []
            )
    except (PeriodError, DigestError, PlaybookError, ScriptError) as exc:
        raise UserError(f"error: {exc}") from None
    data = {
        "period": output.period.label,
        "kind": output.period.kind,
        "start": output.period.start_at.isoformat(),
        "end": output.period.end_at.isoformat(),
        "empty": output.digest.meta.empty,
        "files": {fmt_: str(path) for fmt_, path in output.files.items()},
        "sent": [
            {"channel": r.channel, "kind": r.kind, "ok": r.ok, "detail": r.detail} for r in results
        ],
    }

    def render() -> None:
        h = output.digest.headline
        click.echo(
            f"digest {output.period.label}: {h.mentions.current:.0f} mentions, "
            f"{h.incidents.current:.0f} incidents"
            + (" (empty period)" if output.digest.meta.empty else "")
        )
        for path in output.files.values():
            click.echo(f"  wrote {path}")
        for r in results:
            click.echo(f"  {'sent' if r.ok else 'FAILED'} {r.channel} ({r.kind}): {r.detail}")

    emit(data, as_json=as_json, render=render)
    failed = [r for r in results if not r.ok]
    if failed:
        raise UserError(f"error: {len(failed)} of {len(results)} channel(s) failed")


def register(group: click.Group) -> None:
    """Add ``digest`` to the CLI group."""
    group.add_command(digest)
