"""``crisiswatch drill`` (rehearse a crisis) and ``crisiswatch drills`` (past drill reports)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import click

from monitor.cli.common import Context, UserError, emit, pass_ctx
from monitor.cli.run import stop_on_signals


def register(group: click.Group) -> None:
    """Add ``drill`` and ``drills`` to the command group."""
    group.add_command(drill_cmd)
    group.add_command(drills_group)


@click.command("drill")
@click.argument("scenario")
@click.option(
    "--speed",
    type=float,
    default=1.0,
    show_default=True,
    help="Drill minutes per wall-clock minute (60: an hour of crisis in a minute).",
)
@click.option(
    "--channel",
    "channels",
    multiple=True,
    metavar="NAME",
    help="Send drill alerts only to this configured channel (repeatable; default: "
    "every enabled channel).",
)
@click.option(
    "--drill-database",
    "drill_database",
    metavar="URL",
    default=None,
    help="An empty database for the drill (default: a new SQLite file in <data_dir>/drills/).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON at the end.")
@pass_ctx
def drill_cmd(
    obj: Context,
    scenario: str,
    speed: float,
    channels: tuple[str, ...],
    drill_database: str | None,
    as_json: bool,
) -> None:
    """Rehearse a crisis: replay SCENARIO (a file, or a shipped scenario's id) through the real
    pipeline into a drill database, with every alert marked [DRILL].

    Responders act with the normal commands on the drill database (printed at the start), or
    with Slack buttons. At the end the report (grades reached, alerts and escalations, time to
    acknowledge and resolve against the SLA) is printed and stored; the weekly digest lists it.
    """
    from monitor.drills.replay import DrillError, DrillSetup, run_drill
    from monitor.drills.report import render_text
    from monitor.drills.scenario import ScenarioError, find_scenario, load_scenario
    from monitor.service.jobs import drill_rounds

    loaded = obj.config()
    try:
        parsed = load_scenario(find_scenario(scenario))
    except ScenarioError as exc:
        raise UserError("\n".join(f"scenario error: {p}" for p in exc.problems)) from None
    setup = DrillSetup(speed=speed, database=drill_database, channels=channels or None)
    stop = threading.Event()

    def ready(key: str, url: str) -> None:
        minutes = parsed.run_for.total_seconds() / 60
        click.secho(f"DRILL {parsed.id}: {parsed.title}", bold=True)
        click.echo(
            f"Every alert is marked [DRILL]. Speed {speed:g}×: {minutes:g} drill minutes "
            f"take {_wall(parsed.run_for.total_seconds() / speed)}."
        )
        click.echo(f"Drill database: {url}")
        click.echo("Responders, in another terminal (same configuration):")
        click.echo(f"  export CRISISWATCH_DATABASE_URL='{url}'")
        click.echo("  crisiswatch incidents")
        click.echo("  crisiswatch ack ID --by NAME")
        click.echo("  crisiswatch resolve ID --by NAME --note 'what was done'")
        click.echo("Ctrl-C ends the drill early; the report is still written.\n")

    try:
        with stop_on_signals(stop):
            report = run_drill(
                config=loaded,
                scenario=parsed,
                setup=setup,
                rounds=drill_rounds,
                stop=stop,
                say=click.echo,
                on_ready=ready,
                main_database=obj.database,
            )
    except (DrillError, ScenarioError) as exc:
        raise UserError(f"error: {exc}") from None
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo("\n" + render_text(report), nl=False)
        click.echo(
            f"\nStored as drill {report.key}; show it again with "
            f"`crisiswatch drills show {report.key}`."
        )
    if not report.ok:
        raise SystemExit(1)


def _wall(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


@click.group("drills", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def drills_group(ctx: click.Context, as_json: bool) -> None:
    """Past drills, newest first (subcommands: show KEY, scenarios)."""
    if ctx.invoked_subcommand is not None:
        return
    obj = ctx.find_object(Context)
    assert obj is not None
    _list_drills(obj, as_json=as_json)


def _list_drills(obj: Context, *, as_json: bool) -> None:
    from sqlalchemy import select

    from monitor.db.models import DrillRun

    with obj.app() as app, app.sessions() as session:
        rows = session.scalars(select(DrillRun).order_by(DrillRun.started_at.desc())).all()
        data = [
            {
                "key": r.key,
                "scenario": r.scenario,
                "title": r.title,
                "state": r.state,
                "started_at": r.started_at.isoformat(),
                "speed": r.speed,
                "ok": (r.report or {}).get("ok"),
                "highest_grade": (r.report or {}).get("highest_grade"),
            }
            for r in rows
        ]

    def render() -> None:
        if not data:
            click.echo("no drills yet; try `crisiswatch drill product-safety-zh --speed 60`")
        for d in data:
            ok = d["ok"]
            verdict = "" if ok is None else ("as expected" if ok else "MISSED expectations")
            click.echo(
                f"{d['key']}  {d['state']:<8} highest {d['highest_grade'] or '-':<8} "
                f"{verdict}  {d['title']}"
            )

    emit(data, as_json=as_json, render=render)


@drills_group.command("show")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def show_drill(obj: Context, key: str, as_json: bool) -> None:
    """One drill's report."""
    from sqlalchemy import select

    from monitor.db.models import DrillRun
    from monitor.drills.report import DrillReport, render_text

    with obj.app() as app, app.sessions() as session:
        row = session.scalar(select(DrillRun).where(DrillRun.key == key))
        if row is None:
            raise UserError(f"error: no drill {key!r} (see `crisiswatch drills`)")
        if row.report is None:
            raise UserError(f"error: drill {key} is {row.state} and has no report yet")
        report = DrillReport.from_dict(row.report)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(report), nl=False)


@drills_group.command("scenarios")
def list_scenarios() -> None:
    """The scenarios shipped with crisiswatch (use the id with `crisiswatch drill`)."""
    from monitor.drills.scenario import load_scenario, shipped_scenarios

    for name, path in sorted(shipped_scenarios().items()):
        scenario = load_scenario(Path(path))
        click.echo(f"{name:<22} {scenario.language}  {scenario.title}")
