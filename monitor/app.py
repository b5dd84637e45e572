"""The composition root: configuration in, a ready-to-use application out.

Only this module, ``monitor.configured`` (its part without storage or network) and the CLI on
top of them read configuration; everything they build is handed to plain functions, so tests
can build the same objects with fakes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config.loader import LoadedConfig
from config.roster import Roster
from config.schema import Settings, SourceSettings
from monitor.clock import utcnow
from monitor.configured import (
    build_watchlist,
    check_time_intervals,
    configured_roster,
    load_scorer,
)
from monitor.db.drill_runs import running_drill
from monitor.db.engine import StorageError, make_engine, session_factory, sqlite_url
from monitor.escalation_targets import OnCallLookup
from monitor.incidents import IncidentContext, assign_incidents, build_incident_context
from monitor.incidents.loading import scored_mentions
from monitor.incidents.story_step import Attraction, StoryAssignment
from monitor.oncall.lookup import oncall_lookup
from monitor.pipeline.ingest import IngestStats, Pipeline
from monitor.pipeline.scoring import LazyScorer, MentionScoring
from monitor.pipeline.sources import ConfiguredSource, configured_sources
from monitor.pipeline.store import NewMention
from monitor.replies.policy import ReplyPolicy, configured_reply_policy
from monitor.replies.step import ReplyStep
from monitor.stories.model import StoryParams
from monitor.watchlist.matcher import Watchlist

if TYPE_CHECKING:  # fetching feeds (httpx, feedparser): imported by the first fetch
    import httpx


def database_url(
    settings: Settings, environ: os._Environ[str] | dict[str, str] | None = None
) -> str:
    """The configured database URL: explicit, from the named variable, or the SQLite default."""
    env = os.environ if environ is None else environ
    storage = settings.storage
    if storage.url_env:
        value = env.get(storage.url_env)
        if not value:
            raise StorageError(
                f"storage.url_env: environment variable {storage.url_env} is not set"
            )
        return value
    if storage.url:
        return storage.url
    return sqlite_url((storage.data_dir / "crisiswatch.sqlite").resolve())


def build_stories(settings: Settings) -> StoryAssignment:
    """The stories step, with the watched names the engine must not take for event words."""
    stories = settings.stories
    params = StoryParams(window=stories.window, threshold=stories.threshold)
    names = {e.id: (e.name, *e.aliases) for e in settings.entities}
    attract = (
        Attraction(floor=settings.incidents.floor, within=stories.attract_within,
                   similarity=stories.attract_similarity,
                   one_at_a_time=frozenset(stories.one_at_a_time),
                   single_kinds=frozenset(stories.single_kinds))
        if stories.attract_within is not None else None
    )
    kinds = {e.id: e.kind for e in settings.entities}
    return StoryAssignment(params=params, names=names, kinds=kinds, attract=attract)


def build_scoring(config: LoadedConfig, watchlist: Watchlist) -> MentionScoring:
    """The scoring step of ingestion; models load on first use."""
    settings = config.settings
    library = settings.scoring.to_library()
    terms = watchlist.terms()
    return MentionScoring(
        scorer=LazyScorer(lambda: load_scorer(config, user_words=terms)),
        source_tiers={s.id: s.tier for s in settings.sources}
        | ({settings.inbox.source_id: settings.inbox.tier} if settings.inbox else {}),
        entity_kinds={e.id: e.kind for e in settings.entities},
        kind_points=dict(library.matrix.entity_points),
    )


@dataclass(frozen=True)
class IncidentAssignment:
    """The batch step that groups a batch's new scored mentions into incidents."""

    ctx: IncidentContext

    def __call__(self, session: Session, *, mentions: Sequence[NewMention], now: datetime) -> None:
        scored = scored_mentions(mentions, ctx=self.ctx, now=now)
        if scored:
            assign_incidents(session, ctx=self.ctx, mentions=scored, now=now)


@dataclass
class App:
    """Everything a command needs, built once per process."""

    config: LoadedConfig
    engine: Engine
    sessions: sessionmaker[Session]
    pipeline: Pipeline
    scoring: MentionScoring
    incidents: IncidentContext
    sources: dict[str, ConfiguredSource]
    stories: StoryAssignment
    roster: Roster
    replies: ReplyPolicy
    _http: httpx.Client | None = field(default=None, init=False, repr=False)
    _http_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def settings(self) -> Settings:
        return self.config.settings

    @property
    def http(self) -> httpx.Client:
        """The feeds' HTTP client, made by the first fetch: a command that fetches nothing
        neither imports httpx nor sets up TLS."""
        from monitor.collectors.feedhttp import make_client

        with self._http_lock:
            if self._http is None:
                http = self.settings.http
                self._http = make_client(
                    connect_timeout=http.connect_timeout,
                    read_timeout=http.read_timeout,
                    max_redirects=http.max_redirects,
                    user_agent=http.user_agent,
                )
            return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
        self.engine.dispose()

    def poll_source(
        self,
        source: SourceSettings,
        *,
        force: bool = False,
        on_progress: Callable[[int], None] | None = None,
    ) -> IngestStats:
        """Collect one configured source with its kind's collector."""
        from monitor.pipeline.collect import CollectRun

        run = CollectRun(
            pipeline=self.pipeline,
            http=self.http,
            max_bytes=self.settings.http.max_bytes,
            resolve=self.config.resolve,
            force=force,
            on_progress=on_progress,
        )
        return self.sources[source.id].collect(run)

    def poll_inbox(self) -> list[tuple[Path, IngestStats]]:
        """Ingest settled files from the configured inbox folder."""
        from monitor.pipeline.collect import process_inbox

        inbox = self.settings.inbox
        if inbox is None:
            return []
        return process_inbox(
            self.pipeline,
            inbox=inbox.path,
            source_id=inbox.source_id,
            preset=inbox.preset,
            settle_seconds=inbox.settle.total_seconds(),
        )


def build_app(
    config: LoadedConfig,
    *,
    clock: Callable[[], datetime] | None = None,
    database: str | None = None,
    drill_key: str | None = None,
    oncall: OnCallLookup | None = None,
) -> App:
    """Open storage (upgrading SQLite automatically), compile the watchlist.

    On a drill database (see monitor.drills) the drill's clock and key are used unless given.
    ``oncall`` answers who is on call on a schedule at a time (escalation steps that target a
    schedule); by default the schedules, overrides and swaps (monitor.oncall) answer it.
    """
    from classifiers.text import detect_lang
    from monitor.db.migrate import ensure_schema  # alembic, once storage is really opened

    settings = config.settings
    sources = configured_sources(config)
    roster = configured_roster(config)
    check_time_intervals(config)
    engine = make_engine(database or database_url(settings))
    ensure_schema(engine)
    if clock is None or drill_key is None:
        running = running_drill(engine)
        if running is not None:
            clock = clock or running.clock
            drill_key = drill_key or running.key
    clock = clock or utcnow
    sessions = session_factory(engine)
    oncall = oncall or oncall_lookup(sessions, roster, settings)
    watchlist = build_watchlist(settings)
    scoring = build_scoring(config, watchlist)
    incidents = build_incident_context(
        settings, config.base_dir, clock=clock, drill_key=drill_key, oncall=oncall
    )
    stories = build_stories(settings)
    replies = configured_reply_policy(config)
    reply_step = ReplyStep(replies, people=frozenset(roster.people))
    pipeline = Pipeline(
        sessions=sessions,
        watchlist=watchlist,
        detect_lang=detect_lang,
        clock=clock,
        score=scoring,
        steps=(
            stories,
            IncidentAssignment(incidents),
            reply_step,
        ),
        seen_again=reply_step.seen_again,
    )
    return App(
        config=config,
        engine=engine,
        sessions=sessions,
        pipeline=pipeline,
        scoring=scoring,
        incidents=incidents,
        sources=sources,
        stories=stories,
        roster=roster,
        replies=replies,
    )


@contextmanager
def open_app(config: LoadedConfig, **kwargs: object) -> Iterator[App]:
    app = build_app(config, **kwargs)  # type: ignore[arg-type]
    try:
        yield app
    finally:
        app.close()
