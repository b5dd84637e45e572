"""Replay a scenario through the real pipeline into a drill database, in compressed time.

The drill database is separate from the main one (by default a SQLite file in
``<data_dir>/drills/``), so nothing of the drill mixes with real mentions, incidents or
baselines. Posts are ingested at their drill times (scored, matched, grouped into incidents
exactly as collected ones are); the escalation tick and the outbox dispatch run every
``TICK`` of drill time, sending DRILL-marked alerts to the configured channels. Responders act
with the normal commands on the drill database, or with Slack buttons. At the end the report
is stored in the drill database and in the main one, where the weekly digest reads it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, func, select, update

from classifiers.scorer import ScoreInput
from config.loader import LoadedConfig
from config.schema import SourceSettings
from monitor.app import App, build_app, database_url
from monitor.clock import Clock, DrillClock, utcnow
from monitor.collectors.base import RawItem
from monitor.db.engine import make_engine, session_factory, sqlite_url, storage_folder
from monitor.db.migrate import ensure_schema
from monitor.db.models import DrillRun, Incident, IncidentEvent, Mention
from monitor.drills.report import DrillReport, check, clock_text, measure
from monitor.drills.scenario import (
    Background,
    PlannedPost,
    Scenario,
    entity_words,
    plan_posts,
)
from monitor.incidents.spikes import ALL, bucket_of, record_volume
from monitor.incidents.states import CLOSED
from monitor.pipeline.collect import ingest_items

log = logging.getLogger(__name__)

TICK = timedelta(seconds=30)  # drill time between escalation ticks and dispatches


class DrillError(Exception):
    """A drill that cannot start (unknown channel, database in use); one clear line."""


@dataclass(frozen=True)
class DrillSetup:
    """How to run a drill."""

    speed: float = 1.0
    database: str | None = None  # default: <data_dir>/drills/<key>.sqlite
    channels: tuple[str, ...] | None = None  # default: every enabled channel


def drill_key(scenario: Scenario, started: datetime) -> str:
    """``<scenario id>-<UTC start>``, unique per run."""
    return f"{scenario.id}-{started:%Y%m%dT%H%M%SZ}"


def drill_config(config: LoadedConfig, scenario: Scenario,
                 channels: Sequence[str] | None) -> LoadedConfig:
    """The configuration with the scenario's sources instead of the real ones, no inbox, and
    (if given) only the named alert channels enabled."""
    settings = config.settings
    if channels is not None:
        unknown = [c for c in channels if c not in settings.channels]
        if unknown:
            raise DrillError(f"--channel: unknown channel {unknown[0]!r} "
                             f"(configured: {', '.join(settings.channels)})")
    sources = [SourceSettings.model_validate({"id": f"drill-{sid}", "kind": "rss",
                                              "url": f"drill:{scenario.id}/{sid}",
                                              "tier": source.tier})
               for sid, source in scenario.sources.items()]
    chosen = {
        name: ch.model_copy(update={"enabled": ch.enabled and (channels is None
                                                               or name in channels)})
        for name, ch in settings.channels.items()
    }
    drilled = settings.model_copy(update={"sources": sources, "inbox": None, "channels": chosen})
    return LoadedConfig(drilled, config.path)


def _hidden(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


class Rounds(Protocol):
    """Builds a drill's escalation-then-dispatch round from the service's own jobs.

    The command line passes ``monitor.service.jobs.drill_rounds``: drills run the real jobs,
    injected so that drills sit above the pipeline and below the service.
    """

    def __call__(self, app: App, *, clock: Clock,
                 closers: list[Callable[[], None]]) -> Callable[[], None]: ...


class _Replay:
    """One drill in progress."""

    def __init__(self, app: App, *, scenario: Scenario, posts: list[PlannedPost],
                 clock: DrillClock, start: datetime, rounds: Rounds,
                 say: Callable[[str], None]) -> None:
        self.app, self.scenario, self.posts, self.clock = app, scenario, posts, clock
        self.start, self.say = start, say
        self.closers: list[Callable[[], None]] = []
        self.round = rounds(app, clock=clock, closers=self.closers)
        self.next_post = 0
        self.seen_event = 0

    def due_posts(self, now: datetime) -> list[PlannedPost]:
        due = []
        while (self.next_post < len(self.posts)
               and self.start + self.posts[self.next_post].offset <= now):
            due.append(self.posts[self.next_post])
            self.next_post += 1
        return due

    def ingest(self, posts: list[PlannedPost]) -> None:
        by_source: dict[str, list[PlannedPost]] = {}
        for post in posts:
            by_source.setdefault(post.source, []).append(post)
        for sid, group in by_source.items():
            items = [RawItem(external_id=p.external_id, text=p.text, title=p.title,
                             author=p.author, author_reach=p.reach or None,
                             published=self.start + p.offset, metrics=p.metrics,
                             location=f"drill:{self.scenario.id}")
                     for p in group]
            stats = ingest_items(self.app.pipeline, source_id=f"drill-{sid}", kind="drill",
                                 location=f"drill:{self.scenario.id}/{sid}", items=items)
            name = self.scenario.sources[sid].name or sid
            first = group[0]
            who = first.author if len(group) == 1 else f"{len(group)} posts"
            self.say(f"{self._at(self.start + first.offset)}  {name}: {who} "
                     f"({stats.new} stored, {stats.unmatched} unmatched)")

    def step(self) -> None:
        self.round()
        self._narrate()

    def all_closed(self) -> bool:
        with self.app.sessions() as session:
            states = list(session.scalars(select(Incident.state)))
        return bool(states) and all(s in CLOSED for s in states)

    def close(self) -> None:
        for closer in self.closers:
            closer()

    def _at(self, moment: datetime) -> str:
        return f"[{clock_text((moment - self.start).total_seconds()):>8}]"

    def _narrate(self) -> None:
        with self.app.sessions() as session:
            events = session.scalars(select(IncidentEvent)
                                     .where(IncidentEvent.id > self.seen_event)
                                     .order_by(IncidentEvent.id)).all()
            for e in events:
                self.seen_event = e.id
                line = _describe(e)
                if line:
                    self.say(f"{self._at(e.at)}  incident #{e.incident_id} {line}")


def _describe(event: IncidentEvent) -> str | None:
    detail = event.detail or {}
    grade = (event.grade or "").upper()
    if event.kind == "opened":
        return f"opened: {grade}"
    if event.kind == "grade_changed":
        return f"grade {str(detail.get('previous', '?')).upper()} -> {grade}"
    if event.kind == "alert" and detail.get("event") in ("opened", "escalated", "grade_changed"):
        channels = ", ".join(detail.get("channels", [])) or "no enabled channel"
        return f"alert level {detail.get('level')} -> {channels}"
    if event.kind in ("acknowledged", "responded", "resolved", "false_positive", "reopened"):
        return f"{event.kind.replace('_', ' ')} by {event.actor}"
    return None


def run_drill(
    *,
    config: LoadedConfig,
    scenario: Scenario,
    setup: DrillSetup,
    rounds: Rounds,
    wall: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    stop: threading.Event | None = None,
    say: Callable[[str], None] = lambda line: None,
    on_ready: Callable[[str, str], None] | None = None,
    on_step: Callable[[App], None] | None = None,
    main_database: str | None = None,
) -> DrillReport:
    """Replay ``scenario``; returns (and stores) the report.

    ``on_ready(key, database_url)`` is called once the drill database exists; ``on_step``
    after every tick (tests act as responders there). ``stop`` ends the drill early (aborted).
    ``main_database`` overrides the configured main database, where the report is also kept.
    """
    if setup.speed <= 0:
        raise DrillError("--speed: must be more than 0")
    posts = plan_posts(scenario, entity_words(config.settings.entities, scenario.language))
    drilled = drill_config(config, scenario, setup.channels)
    key = drill_key(scenario, wall())
    url = setup.database or _default_database(config, key)
    main = make_engine(main_database or database_url(config.settings))
    ensure_schema(main)
    if _hidden(main) == url:
        raise DrillError("--drill-database: a drill needs a database of its own, not the main one")
    clocks: list[DrillClock] = []
    app = build_app(drilled, clock=lambda: clocks[0]() if clocks else wall(), database=url,
                    drill_key=key)
    try:
        _claim(app, url)
        # models and the Chinese segmenter load before drill time starts, so the first posts
        # are not late by the loading time multiplied by the speed
        app.scoring.scorer.get().score_one(ScoreInput(text=f"{scenario.title} 预热", lang="zh"))
        started = wall()
        clock = DrillClock(scenario_start=started, wall_start=started, speed=setup.speed,
                           wall=wall)
        clocks.append(clock)
        row = {"key": key, "scenario": scenario.id, "title": scenario.title, "state": "running",
               "speed": setup.speed, "started_at": started, "scenario_start": started,
               "database": _hidden(app.engine)}
        both = (app.sessions, session_factory(main))
        for sessions in both:
            with sessions.begin() as session:
                session.add(DrillRun(**row))
        if on_ready is not None:
            on_ready(key, _hidden(app.engine))
        if scenario.background is not None:
            seed_background(app, scenario.background, start=started)
        replay = _Replay(app, scenario=scenario, posts=posts, clock=clock, start=started,
                         rounds=rounds, say=say)
        try:
            state = _loop(replay, end=started + scenario.run_for, sleep=sleep, stop=stop,
                          on_step=on_step)
        except BaseException:
            # neither database may keep a drill "running" (its clock would stay in force)
            for sessions in both:
                with sessions.begin() as session:
                    session.execute(update(DrillRun).where(DrillRun.key == key).values(
                        state="failed", finished_at=wall()))
            raise
        finally:
            replay.close()
        with app.sessions() as session:
            measured = measure(session, ctx=app.incidents, start=started, end=clock())
            stored = session.scalar(select(func.count()).select_from(Mention)) or 0
        report = DrillReport(
            key=key, scenario=scenario.id, title=scenario.title, language=scenario.language,
            speed=setup.speed, state=state, started_at=started.isoformat(),
            finished_at=wall().isoformat(), length_s=(clock() - started).total_seconds(),
            posts=len(posts), mentions=stored, incidents=tuple(measured.incidents),
            alerts=tuple(measured.alerts), grades=measured.grades,
            checks=check(scenario.expect, measured), database=_hidden(app.engine),
        )
        for sessions in both:
            with sessions.begin() as session:
                session.execute(update(DrillRun).where(DrillRun.key == key).values(
                    state=state, finished_at=wall(), report=report.to_dict()))
        return report
    finally:
        app.close()
        main.dispose()


def _loop(replay: _Replay, *, end: datetime, sleep: Callable[[float], None],
          stop: threading.Event | None, on_step: Callable[[App], None] | None) -> str:
    clock = replay.clock
    next_tick = replay.start
    while True:
        if stop is not None and stop.is_set():
            replay.step()
            return "aborted"
        now = clock()
        due = replay.due_posts(min(now, end))
        if due:
            replay.ingest(due)
        if due or now >= next_tick:
            replay.step()
            if on_step is not None:
                on_step(replay.app)
            next_tick = now + TICK
        if now >= end:
            return "finished"
        if replay.next_post == len(replay.posts) and replay.all_closed():
            replay.say(f"[{clock_text((now - replay.start).total_seconds()):>8}]  "
                       "every incident is closed: the drill ends early")
            return "finished"
        upcoming = [next_tick, end]
        if replay.next_post < len(replay.posts):
            upcoming.append(replay.start + replay.posts[replay.next_post].offset)
        wait = clock.wall_seconds_until(min(upcoming))
        # wake at least once a second so a stop request is seen promptly
        sleep(min(max(wait, 0.001), 1.0))


def seed_background(app: App, background: Background, *, start: datetime) -> None:
    """Volume history for every entity: ``mentions_per_hour`` in each interval before ``start``."""
    rules = app.incidents.rules.spike
    span = rules.span
    per = background.mentions_per_hour * span / 3600
    mentions, negative = round(per), round(per * background.negative_share)
    if mentions == 0:
        return
    first = bucket_of(start, span) - background.days * 86400 // span * span
    increments = {
        (entity, ALL, bucket): (mentions, negative)
        for entity in app.incidents.entity_names
        for bucket in range(first, bucket_of(start, span), span)
    }
    with app.sessions.begin() as session:
        record_volume(session, increments=increments, span=span)


def _default_database(config: LoadedConfig, key: str) -> str:
    folder = storage_folder(Path(config.settings.storage.data_dir) / "drills",
                            what="the drills folder")
    return sqlite_url((folder / f"{key}.sqlite").resolve())


def _claim(app: App, url: str) -> None:
    """Refuse a database that already holds anything: a drill never mixes with other data."""
    with app.sessions() as session:
        used = session.scalar(select(func.count()).select_from(Mention)) or 0
        drills = session.scalar(select(func.count()).select_from(DrillRun)) or 0
    if used or drills:
        raise DrillError(f"--drill-database: {url} already holds data; a drill needs an empty "
                         "database of its own")

