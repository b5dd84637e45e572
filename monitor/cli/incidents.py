"""CLI commands for incidents: list, show, report, acknowledge, resolve, false positive, tick."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from monitor.cli.common import Context, UserError, emit, pass_ctx, plural, table
from playbooks import ALL_GRADES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from monitor.app import App
    from monitor.incidents import IncidentContext, Transition


F = TypeVar("F", bound=Callable[..., Any])


def incident_errors(func: F) -> F:
    """Lifecycle, playbook, script and silence problems become one clean line, exit 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from monitor.incidents import LifecycleError
        from monitor.incidents.silences import SilenceNotFound
        from playbooks import PlaybookError

        try:
            return func(*args, **kwargs)
        except (LifecycleError, PlaybookError, SilenceNotFound) as exc:
            raise UserError(f"error: {exc}") from None

    return wrapper  # type: ignore[return-value]


def incident_context(app: App) -> IncidentContext:
    """The App's IncidentContext once the composition root provides one, else built here."""
    from monitor.incidents import IncidentContext, build_incident_context

    ready = getattr(app, "incidents", None)
    if isinstance(ready, IncidentContext):
        return ready
    return build_incident_context(app.settings, app.config.base_dir)


@contextmanager
def incident_session(obj: Context) -> Iterator[tuple[App, IncidentContext, Session]]:
    """The app, its incident context, and one transaction committed on success."""
    with obj.app() as app:
        ctx = incident_context(app)
        with app.sessions.begin() as session:
            yield app, ctx, session


def parse_id(value: str) -> int:
    text = value.strip().lstrip("#")
    if not text.isdigit():
        raise UserError(f"error: expected an incident number like 12, got {value!r}")
    return int(text)


@click.command("incidents")
@click.option("--open", "open_only", is_flag=True, help="Only open or acknowledged incidents.")
@click.option(
    "--grade",
    type=click.Choice(ALL_GRADES[1:]),
    default=None,
    help="Only incidents that reached at least this grade.",
)
@click.option("--entity", default=None, help="Only this entity id.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
@incident_errors
def incidents_cmd(
    obj: Context, open_only: bool, grade: str | None, entity: str | None, limit: int, as_json: bool
) -> None:
    """List incidents, highest grade first, then latest activity."""
    from alerts.sanitize import one_line
    from alerts.times import format_time
    from monitor.incidents.views import incident_summary, list_incidents

    with incident_session(obj) as (_, ctx, session):
        rows = [
            incident_summary(i, ctx)
            for i in list_incidents(
                session, open_only=open_only, grade=grade, entity=entity, limit=limit
            )
        ]

    def render() -> None:
        if not rows:
            click.echo("no incidents")
            return

        def grade_text(r: dict[str, Any]) -> str:
            same = r["grade"] == r["peak_grade"]
            return str(r["grade"]) if same else f"{r['grade']} (peak {r['peak_grade']})"

        cells = [
            [
                f"#{r['id']}",
                grade_text(r),
                r["state"],
                r["entity"],
                r["category"] or "volume",
                str(r["mentions"]),
                format_time(r["last_seen_at"], ctx.timezone),
                one_line(r["title"], 80),
            ]
            for r in rows
        ]
        header = ["ID", "GRADE", "STATE", "ENTITY", "CATEGORY", "MENTIONS", "LAST ACTIVITY"]
        for line in table([*header, "TITLE"], cells, right={5}):
            click.echo(line)

    emit(rows, as_json=as_json, render=render)


@click.group("incident")
def incident_group() -> None:
    """One incident: show it, write its review, or correct its story (merge, split, ...)."""


@incident_group.command("show")
@click.argument("incident_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
@incident_errors
def incident_show(obj: Context, incident_id: str, as_json: bool) -> None:
    """Timeline, place on the risk matrix and why, checklist, approved scripts."""
    from monitor.incidents.views import incident_detail

    with incident_session(obj) as (_, ctx, session):
        data = incident_detail(session, incident_id=parse_id(incident_id), ctx=ctx, now=ctx.clock())
    emit(data, as_json=as_json, render=lambda: _render_detail(data, ctx.timezone))


def _render_detail(d: dict[str, Any], zone: str) -> None:
    from alerts.sanitize import one_line
    from alerts.times import format_time
    from monitor.incidents.views import describe_event

    echo = click.echo
    grade = d["grade"]
    if d["grade"] != d["peak_grade"]:
        grade += f" (peak {d['peak_grade']})"
    drill = " · DRILL" if d["drill"] else ""
    echo(
        f"Incident #{d['id']} · {d['state'].upper()} · grade {grade} · "
        f"likelihood {d['likelihood']} x impact {d['impact']}{drill}"
    )
    echo(f"  {one_line(d['title'], 200)}")
    echo(
        f"Entity: {one_line(d['entity_name'], 80)} ({d['entity']}), "
        f"category {d['category'] or 'none (volume spike)'}"
    )
    if len(d["categories"]) > 1:
        echo("Facets: " + ", ".join(f"{k} {v:.0%}" for k, v in d["categories"].items()))
    if d["story_id"] is not None:
        echo(f"Story #{d['story_id']}: {d['story']}")
    if d["related"]:
        echo("Related stories: " + ", ".join(f"#{s}" for s in d["related"]))
    if d["merged_into"] is not None:
        echo(f"Merged into incident #{d['merged_into']}")
    echo(
        f"Mentions: {d['mentions']} ({d['negative']} negative, {d['neutral']} neutral, "
        f"{d['positive']} positive), reach {d['reach']:,}; "
        f"seen {format_time(d['first_seen_at'], zone)} to "
        f"{format_time(d['last_seen_at'], zone)}"
    )
    playbook = d["playbook"] or "none"
    due = f", next escalation {format_time(d['next_due_at'], zone)}" if d["next_due_at"] else ""
    echo(f"Playbook: {playbook}{due}")
    if d["acknowledged_at"]:
        echo(
            f"Acknowledged by {one_line(d['acknowledged_by_shown'], 120)} at "
            f"{format_time(d['acknowledged_at'], zone)}"
        )
    if d["responded_at"]:
        echo(
            f"First public response by {one_line(d['responded_by'], 80)} at "
            f"{format_time(d['responded_at'], zone)}"
        )
    if d["resolved_at"]:
        echo(
            f"Closed ({d['state']}) by {one_line(d['resolved_by'], 80)} at "
            f"{format_time(d['resolved_at'], zone)}: {one_line(d['resolution_note'], 300)}"
        )
    sections: list[tuple[str, list[str]]] = [
        ("Why", [one_line(r, 300) for r in d["reasons"]]),
        ("SLA", d["sla"]),
        ("Checklist", [f"{i}. {one_line(t, 400)}" for i, t in enumerate(d["checklist"], 1)]),
    ]
    for title, lines in sections:
        echo(f"{title}:")
        for line in lines or ["(none)"]:
            echo(f"  {line}")
    echo("Approved scripts:")
    if not d["scripts"]:
        echo("  (none approved for this incident)")
    for script in d["scripts"]:
        echo(f"  [{script['id']}] {one_line(script['title'], 100)}")
        for line in script["text"].splitlines():
            echo(f"    {one_line(line, 500)}")
        if script["unfilled"]:
            echo(f"    (fill in: {', '.join(script['unfilled'])})")
    echo("Top mentions:")
    for m in d["top_mentions"] or []:
        link = f" <{one_line(m['url'], 200)}>" if m["url"] else ""
        echo(
            f"  - {one_line(m['source'], 40)}, {one_line(m['author'] or '?', 40)}: "
            f"{one_line(m['excerpt'], 200)}{link}"
        )
    echo("Timeline:")
    for entry in d["timeline"]:
        echo(f"  {format_time(entry['at'], zone, seconds=True)}  {describe_event(entry)}")


@incident_group.command("report")
@click.argument("incident_id")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write the Markdown here instead of printing it.",
)
@pass_ctx
@incident_errors
def incident_report_cmd(obj: Context, incident_id: str, out: Path | None) -> None:
    """The post-incident report as Markdown (first mention, alerts, SLA, timeline, review)."""
    from monitor.incidents import incident_report

    with incident_session(obj) as (_, ctx, session):
        text = incident_report(session, incident_id=parse_id(incident_id), ctx=ctx)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}")


def person_by(ctx: IncidentContext, by: str) -> str:
    """``--by`` as recorded: the person it names when people are configured (UserError with a
    did-you-mean otherwise; ``slack:`` names are the Slack buttons' own), else as given."""
    from config.roster import UnknownPerson
    from monitor.incidents.actors import UNVERIFIED_PREFIXES, identify

    name = " ".join(by.split())
    if not ctx.roster.configured or not name:
        return by
    if name.startswith(UNVERIFIED_PREFIXES):
        raise UserError(
            f"error: --by: '{name.split(':')[0]}:' names are recorded by Slack and the "
            "console; name a person from people (--by PERSON-ID)"
        )
    try:
        return identify(name, ctx.roster).label
    except UnknownPerson as exc:
        raise UserError(f"error: {exc}") from None


def queued_note(alerts: int) -> str:
    """``; 2 alerts queued ...`` saying they wait for the service or ``alerts send``, or ``""``."""
    if not alerts:
        return ""
    return (
        f"; {plural(alerts, 'alert')} queued, sent when the service runs (`crisiswatch run`) "
        "or by `crisiswatch alerts send`"
    )


def _transition_line(t: Transition, verb: str) -> str:
    labels = f"; {plural(t.labels, 'label')} stored for retraining" if t.labels else ""
    return f"incident #{t.incident_id} {verb} by {t.by}{labels}{queued_note(t.alerts)}"


def _transition_command(
    name: str,
    transition: str,
    *,
    doc: str,
    done: str,
    by_help: str,
    note_help: str,
    note_required: bool = False,
) -> click.Command:
    """``crisiswatch NAME ID --by WHO [--note TEXT]`` over one lifecycle function (its name
    in ``monitor.incidents``, imported when the command runs)."""

    @click.command(name, help=doc)
    @click.argument("incident_id")
    @click.option(
        "--by",
        "by",
        required=True,
        help=by_help + " A person id from people, when people are configured.",
    )
    @click.option("--note", required=note_required, help=note_help)
    @pass_ctx
    @incident_errors
    def command(obj: Context, incident_id: str, by: str, note: str | None) -> None:
        function: Callable[..., Transition] = getattr(
            import_module("monitor.incidents"), transition
        )
        with incident_session(obj) as (_, ctx, session):
            t = function(
                session,
                ctx=ctx,
                incident_id=parse_id(incident_id),
                by=person_by(ctx, by),
                note=note,
                now=ctx.clock(),
            )
        click.echo(_transition_line(t, done))

    return command


ack_cmd = _transition_command(
    "ack",
    "acknowledge_incident",
    doc="Acknowledge an open incident: escalation stops.",
    done="acknowledged",
    by_help="Who takes ownership.",
    note_help="E.g. who commands the response.",
)
resolve_cmd = _transition_command(
    "resolve",
    "resolve_incident",
    doc="Resolve an incident with a note.",
    done="resolved",
    by_help="Who closes it.",
    note_help="What was done (kept for the review).",
    note_required=True,
)
@click.command("respond")
@click.argument("incident_id")
@click.option("--by", "by", required=True, help="Who published it.")
@click.option("--note", required=True, help="What was published and where (e.g. a link).")
@click.option("--script", "script", default=None,
              help="The approved response script it used (refused unless usable now).")
@pass_ctx
@incident_errors
def respond_cmd(obj: Context, incident_id: str, by: str, note: str, script: str | None) -> None:
    """Record a public response (statement, reply, post) to an open, acknowledged or resolved
    incident: the first one is measured against the playbook's time to first response. The
    state and escalation do not change; --script records the approved script it used."""
    from monitor.incidents import record_response

    with incident_session(obj) as (_, ctx, session):
        t = record_response(session, ctx=ctx, incident_id=parse_id(incident_id), by=by,
                            note=note, now=ctx.clock(), script=script)
    used = f" from script {script}" if script else ""
    click.echo(_transition_line(t, f"public response{used} recorded"))


false_positive_cmd = _transition_command(
    "false-positive",
    "mark_false_positive",
    doc="Close an incident as a false positive; its mentions become training labels.",
    done="marked false positive",
    by_help="Who judged it.",
    note_help="Why it is not a real risk.",
)
reopen_cmd = _transition_command(
    "reopen",
    "reopen_by_id",
    doc="Reopen a resolved or false-positive incident; its playbook starts again.",
    done="reopened",
    by_help="Who reopens it.",
    note_help="Why.",
)


@click.group("escalations")
def escalations_group() -> None:
    """The escalation engine (the service runs it every service.escalation_interval, 30s)."""


@escalations_group.command("tick")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
@incident_errors
def escalations_tick(obj: Context, as_json: bool) -> None:
    """Send every escalation step and recovery update due now, once."""
    from monitor.incidents import tick_escalations

    with incident_session(obj) as (_, ctx, session):
        result = tick_escalations(session, ctx=ctx, now=ctx.clock())
    data = result.to_dict()
    emit(
        data,
        as_json=as_json,
        render=lambda: click.echo(
            f"{plural(data['incidents'], 'incident')} due, "
            f"{data['suppressed']} suppressed by silences, "
            f"{plural(data['recoveries'], 'recovery update')}{queued_note(data['alerts'])}"
        ),
    )


def register(group: click.Group) -> None:
    """Add the incident lifecycle commands to the CLI."""
    for command in (
        incidents_cmd,
        incident_group,
        ack_cmd,
        respond_cmd,
        resolve_cmd,
        false_positive_cmd,
        reopen_cmd,
        escalations_group,
    ):
        group.add_command(command)
