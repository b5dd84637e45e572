"""The ``crisiswatch`` command line: a thin layer over monitor's library functions."""

from __future__ import annotations

import click

from monitor.cli.common import CliGroup, Context
from monitor.cli.lazy import LazyCommand, LazyGroup


def _lazy(module: str, *commands: tuple[str, str]) -> dict[str, LazyCommand]:
    """``commands`` (name, the help ``--help`` lists) added by ``monitor.cli.<module>``
    (``a+b``: by both modules' ``register``, in that order)."""
    modules = tuple(f"monitor.cli.{m}" for m in module.split("+"))
    return {name: LazyCommand(modules, help) for name, help in commands}


# Every command the group lists, imported only when run or asked for its help. The help text
# is the command's own short help (tests/monitor/cli/test_cli_startup.py checks they agree).
COMMANDS: dict[str, LazyCommand] = {
    **_lazy(
        "check_config",
        ("check-config", "Validate a configuration file and report every problem with its line."),
    ),
    **_lazy(
        "init",
        (
            "init",
            "Write a working configuration (the example organisation) and the sample files it "
            "reads into FOLDER (default: the current one), to edit from there.",
        ),
    ),
    **_lazy(
        "ingest",
        ("ingest", "Ingest a configured source (by id) or an export file (by path)."),
        (
            "poll",
            "Collect every enabled source and the inbox once (or one source by id); exit 1 if "
            "any failed.",
        ),
        ("sources", "Show each source's fetch state and last error."),
        ("mentions", "List stored mentions, newest first."),
        (
            "rejected",
            "List quarantined rows (rejected at ingest), newest first: file:line, "
            "reason, raw text.",
        ),
    ),
    **_lazy("db", ("db", "Database schema management.")),
    **_lazy(
        "alerts",
        ("alerts", "List the alert outbox, newest first (subcommands: retry, send, test)."),
        (
            "channels",
            "List the configured alert channels, their kind and any problem (secrets included).",
        ),
    ),
    **_lazy(
        "classify",
        (
            "classify",
            "Sentiment, intent, risk categories, likelihood x impact and grade for "
            "TEXT (or --file lines).",
        ),
        ("evaluate", "Accuracy, macro-F1, per-class F1 and confusion matrix on a labelled file."),
        (
            "train",
            "Retrain the sentiment, risk and/or intent models reproducibly (fixed seed, "
            "deduplicated data).",
        ),
    ),
    **_lazy(
        "digest",
        (
            "digest",
            "Write the risk report of a period (the weekly digest by default) and print where "
            "the files are.",
        ),
    ),
    **_lazy(
        "incidents",
        ("incidents", "List incidents, highest grade first, then latest activity."),
        ("ack", "Acknowledge an open incident: escalation stops."),
        (
            "respond",
            "Record a public response (statement, reply, post) to an open, acknowledged "
            "or resolved incident: the first one is measured against the playbook's time to first "
            "response.",
        ),
        ("resolve", "Resolve an incident with a note."),
        (
            "false-positive",
            "Close an incident as a false positive; its mentions become training labels.",
        ),
        ("reopen", "Reopen a resolved or false-positive incident; its playbook starts again."),
        (
            "escalations",
            "The escalation engine (the service runs it every service.escalation_interval, 30s).",
        ),
    ),
    # ``incident``'s corrections (merge, split, ...) and review live in their own modules
    **_lazy(
        "reviews",
        ("actions", "List review action items (open ones by default), soonest due first."),
        (
            "action",
            "One review action item: mark it done, dropped or open again, or push items to Jira.",
        ),
    ),
    **_lazy(
        "incidents+corrections+reviews+checklist",
        (
            "incident",
            "One incident: show it, write its review, or correct its story (merge, split, ...).",
        ),
    ),
    **_lazy(
        "replies",
        (
            "reply",
            "Record a reply to MENTION (its id in `crisiswatch mentions` and `replies`): the "
            "first one is measured against the mention's reply deadline.",
        ),
        (
            "replies",
            "Mentions that need a reply (enquiries and complaints), soonest deadline first: the "
            "deadline, time left or overdue by, and who replied.",
        ),
    ),
    **_lazy(
        "labels",
        (
            "label",
            "Correct or confirm MENTION's sentiment, category and intent (its id in `crisiswatch "
            "mentions`): stored as labels for `crisiswatch train`; the mention leaves the review "
            "queue.",
        ),
    ),
    **_lazy(
        "stories", ("stories", "List stories (one per real-world event), latest activity first.")
    ),
    **_lazy(
        "playbooks",
        ("silence", "Silences: known noise alerts nobody (incidents are still recorded)."),
        ("playbooks", "Graded playbooks."),
        ("scripts", "Pre-approved response scripts."),
    ),
    **_lazy(
        "run",
        ("run", "Run the service: poll, ingest, score, escalate, alert and report until stopped."),
        (
            "health",
            "Ask a running service how it is (exit 0 healthy, 1 unhealthy or not answering).",
        ),
    ),
    **_lazy(
        "quickstart",
        (
            "quickstart",
            "Run the example organisation's whole story offline: "
            "collect, score, open incidents, alert on the console with the "
            "approved scripts, and write the weekly digest.",
        ),
    ),
    **_lazy(
        "drill",
        (
            "drill",
            "Rehearse a crisis: replay SCENARIO (a file, or a shipped scenario's id) "
            "through the real pipeline into a drill database, with every alert marked [DRILL].",
        ),
        ("drills", "Past drills, newest first (subcommands: show KEY, scenarios)."),
    ),
    **_lazy(
        "oncall",
        (
            "oncall",
            "Who is on call now (or at --at) for each schedule, until when, and who is next.",
        ),
    ),
    **_lazy("users", ("users", "Console and API accounts: add, list, disable, tokens, audit log.")),
    **_lazy(
        "web",
        (
            "web",
            "Serve the web console and /api/v1 only (no polling or alerting: `run` does both).",
        ),
    ),
    **_lazy(
        "docs",
        (
            "config-reference",
            "Print the configuration reference (every key, type, default and channel option).",
        ),
    ),
}


class RootGroup(CliGroup, LazyGroup):
    """The root group: lazily loaded commands whose library errors become clean CLI errors."""


@click.group(cls=RootGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c",
    "--config",
    "config_path",
    envvar="CRISISWATCH_CONFIG",
    metavar="FILE",
    help="Configuration file (default: ./crisiswatch.yaml, else the bundled example).",
)
@click.option(
    "--database",
    envvar="CRISISWATCH_DATABASE_URL",
    metavar="URL",
    help="Database URL overriding the configuration (e.g. postgresql+psycopg://...).",
)
@click.version_option(package_name="crisiswatch")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, database: str | None) -> None:
    """crisiswatch: crisis and sentiment monitoring."""
    ctx.obj = Context(config_path, database)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="crisiswatch")
