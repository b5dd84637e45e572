"""``crisiswatch run`` (the service, or every job once) and ``crisiswatch health``."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from monitor.cli.common import Context, UserError, emit, pass_ctx, plural

if TYPE_CHECKING:
    from monitor.app import App
    from monitor.service.runner import Closeable, OnceResult


log = logging.getLogger("monitor.service")


def register(group: click.Group) -> None:
    """Add ``run`` and ``health`` to the command group."""
    group.add_command(run_cmd)
    group.add_command(health_cmd)


@click.command("run")
@click.option(
    "--once",
    is_flag=True,
    help="Run every job once in order and exit: poll every source, the inbox (scoring, "
    "incidents and spikes as they are ingested), escalation tick, dispatch.",
)
@click.option("--log-json", is_flag=True, help="Log JSON lines instead of readable lines.")
@click.option(
    "--log-level",
    default="INFO",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
)
@click.option(
    "--health-port",
    type=click.IntRange(0, 65535),
    default=None,
    metavar="N",
    help="Port of /healthz and /metrics (default: service.health_port; 0: any free).",
)
@click.option("--json", "as_json", is_flag=True, help="With --once: print the results as JSON.")
@click.option("--no-web", is_flag=True, help="Do not serve the web console (web.port).")
@pass_ctx
def run_cmd(
    obj: Context, once: bool, log_json: bool, log_level: str, health_port: int | None,
    as_json: bool, no_web: bool
) -> None:
    """Run the service: poll, ingest, score, escalate, alert and report until stopped.

    SIGTERM or Ctrl-C stops it: running work finishes (up to service.shutdown_timeout) and the
    exit status is 0. A stop that takes 15 s longer than that logs every thread's stack and
    exits. On SQLite one instance may run; on PostgreSQL, several (one leads).
    """
    from monitor.app import build_app
    from monitor.service.logging import configure_logging, secrets_from_settings
    from monitor.service.runner import run_once, run_service
    from monitor.service.watchdog import GRACE_SECONDS, start_shutdown_watchdog
    from monitor.web.server import start_console

    loaded = obj.config()
    configure_logging(
        json_lines=log_json, level=log_level.upper(), secrets=secrets_from_settings(loaded.settings)
    )
    app = build_app(loaded, database=obj.database)
    clean = True
    try:
        if once:
            results = _service_errors(lambda: run_once(app))
            _print_once(results, as_json=as_json)
            failed = [r.key for r in results if not r.ok]
            if failed:
                raise UserError(
                    f"error: {len(failed)} of {plural(len(results), 'step')} failed: "
                    + ", ".join(failed)
                )
            return
        stop = threading.Event()
        start_shutdown_watchdog(
            stop, seconds=app.settings.service.shutdown_timeout.total_seconds() + GRACE_SECONDS
        )
        with stop_on_signals(stop):
            port: Any = health_port if health_port is not None else app.settings.service.health_port
            report = _service_errors(
                lambda: run_service(
                    app, stop=stop, health_port=port, socket_mode=lambda: _socket_mode(app),
                    web=None if no_web else lambda: start_console(app),
                )
            )
        clean = report.clean
    finally:
        if clean:
            app.close()
    if not clean:
        # a job still runs in a worker thread; its open transaction is rolled back on exit
        logging.shutdown()
        os._exit(0)


def _service_errors(call: Callable[[], Any]) -> Any:
    from alerts.errors import ChannelConfigError
    from monitor.service.leader import ServiceError
    from playbooks.errors import PlaybookError

    try:
        return call()
    except (ServiceError, PlaybookError, ChannelConfigError) as exc:
        raise UserError(f"error: {exc}") from None


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM / SIGINT set ``stop``; a second one exits at once (status 130)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            os._exit(130)
        log.info("received %s: stopping", signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _socket_mode(app: App) -> Closeable | None:
    """Slack buttons over Socket Mode, when ``alerting.slack_app_token_env`` is set."""
    if app.settings.alerting.slack_app_token_env is None:
        return None
    from monitor.service.slack import start_buttons

    return start_buttons(app)


def _print_once(results: list[OnceResult], *, as_json: bool) -> None:
    from monitor.alerting.dispatch import DispatchStats
    from monitor.cli.alerts import format_stats as format_dispatch
    from monitor.cli.ingest import format_stats
    from monitor.pipeline.ingest import IngestStats

    def plain(value: object) -> object:
        to_dict = getattr(value, "to_dict", None)
        if callable(to_dict):
            return to_dict()
        return getattr(value, "__dict__", value)

    data = [
        {"job": r.job, "key": r.key, "ok": r.ok, "error": r.error, "result": plain(r.result)}
        for r in results
    ]

    def line(r: OnceResult) -> str:
        if r.result is None:
            return f"{r.key}: FAILED: {r.error}" if not r.ok else f"{r.key}: nothing to do"
        if isinstance(r.result, IngestStats):
            return format_stats(r.key, r.result)  # with the error on a second line
        if isinstance(r.result, DispatchStats):
            shown: object = format_dispatch(r.result)
        else:
            shown = plain(r.result)
            if isinstance(shown, dict):
                shown = ", ".join(
                    f"{k} {v}" for k, v in shown.items() if isinstance(v, int | float) and v
                )
        return f"{r.key}: {shown or 'nothing to do'}" + ("" if r.ok else f"\n  error: {r.error}")

    def render() -> None:
        for r in results:
            click.echo(line(r))

    emit(data, as_json=as_json, render=render)


@click.command("health")
@click.option(
    "--url",
    default=None,
    metavar="URL",
    help="The /healthz URL (default: from service.health_host and health_port).",
)
@click.option("--timeout", default=5.0, show_default=True, help="Seconds to wait for an answer.")
@click.option("--json", "as_json", is_flag=True, help="Print the full JSON answer.")
@pass_ctx
def health_cmd(obj: Context, url: str | None, timeout: float, as_json: bool) -> None:
    """Ask a running service how it is (exit 0 healthy, 1 unhealthy or not answering)."""
    import httpx

    if url is None:
        service = obj.config().settings.service
        if service.health_port is None:
            raise UserError("error: service.health_port is null (health endpoint off); give --url")
        if service.health_port == 0:
            raise UserError(
                "error: service.health_port is 0 (any free port): give --url with the "
                "port `crisiswatch run` logged at start-up"
            )
        host = "127.0.0.1" if service.health_host in ("0.0.0.0", "::", "") else service.health_host
        url = f"http://{host}:{service.health_port}/healthz"
    try:
        response = httpx.get(url, timeout=timeout)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise UserError(
            f"error: no crisiswatch health answer at {url} ({exc}); is `crisiswatch run` running?"
        ) from None
    if as_json:
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        click.echo(_summary(body))
    if response.status_code != 200:
        sys.exit(1)


def _summary(body: dict[str, Any]) -> str:
    workers = body.get("workers", {})
    sources = body.get("sources", {})
    stale = body.get("stale_sources", [])
    lines = [
        f"{body.get('status', '?')}: {body.get('role', '?')} {body.get('instance', '')}".rstrip(),
        f"  database: {'ok' if body.get('database', {}).get('ok') else 'NOT OK'}",
        f"  scheduler: {'running' if body.get('scheduler', {}).get('running') else 'not here'}",
        f"  workers: {workers.get('alive', 0)}/{workers.get('expected', 0)} alive, "
        f"busy: {', '.join(workers.get('busy', [])) or 'none'}",
        f"  sources: {len(sources)}" + (f", stale: {', '.join(stale)}" if stale else ""),
    ]
    alerts = body.get("alerts") or {}
    if alerts:
        latest = alerts.get("latest_dead") or {}
        lines.append(
            f"  alerts: {alerts.get('dead', 0)} dead-lettered, {alerts.get('retrying', 0)} retrying"
            + (
                f" (latest dead #{latest.get('id')} to {latest.get('channel')}: "
                f"{latest.get('error')}; see `crisiswatch alerts --failed`)"
                if latest
                else ""
            )
        )
    replies = body.get("replies") or {}
    if replies.get("overdue"):
        lines.append(
            f"  replies: {replies['overdue']} overdue (see `crisiswatch replies --overdue`)"
        )
    lines += [f"  problem: {p}" for p in body.get("problems", [])]
    return "\n".join(lines)
