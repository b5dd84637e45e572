"""Spike detection: own baseline, low-volume robustness, weekly seasonality, volume incidents."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Incident
from monitor.incidents import IncidentCache, SpikeRules
from monitor.incidents.spikes import (
    Baseline,
    bucket_of,
    compute_baseline,
    evaluate,
    median,
    read_volume,
    record_volume,
)
from monitor.incidents.testing import add_scored_mention, assign_stored, make_context

RULES = SpikeRules()  # 1h intervals, 28 days, min_count 10, ratio 3
HOUR = 3600
WEEK = 7 * 24 * HOUR
NOW = datetime.fromisoformat("2026-11-16T09:30:00+00:00")  # Monday 09:30
CURRENT = bucket_of(NOW, HOUR)


def flat_history(per_hour: int, *, weeks: int, special: dict[int, int] | None = None,
                 ) -> dict[int, tuple[int, int]]:
    """``weeks`` of hourly counts before CURRENT; ``special`` overrides by hour-of-week offset."""
    history: dict[int, tuple[int, int]] = {}
    for hours_back in range(1, weeks * 168 + 1):
        bucket = CURRENT - hours_back * HOUR
        count = (special or {}).get(hours_back % 168, per_hour)
        if count:
            history[bucket] = (count, count // 5)
    return history


def test_median_counts_the_empty_intervals() -> None:
    assert median([5.0], zeros=4) == 0.0
    assert median([4.0, 6.0], zeros=0) == 5.0
    assert median([1.0, 9.0, 9.0], zeros=2) == 1.0
    assert median([], zeros=0) == 0.0


def test_no_baseline_without_enough_history_so_a_new_brand_never_alarms() -> None:
    assert compute_baseline({}, current=CURRENT, first=None, rules=RULES) is None
    young = compute_baseline({CURRENT - HOUR: (1, 0)}, current=CURRENT,
                             first=CURRENT - 5 * HOUR, rules=RULES)
    assert young is None
    reading = evaluate(entity_id="new", category=None, count=50, negative=50, baseline=None,
                       rules=RULES)
    assert not reading.spiking and reading.spread_ratio is None


def test_min_count_is_respected_for_a_quiet_brand() -> None:
    quiet = compute_baseline({CURRENT - 30 * HOUR: (1, 0)}, current=CURRENT,
                             first=CURRENT - 20 * 24 * HOUR, rules=RULES)
    assert quiet is not None and quiet.mentions == 0.0
    nine = evaluate(entity_id="q", category=None, count=9, negative=9, baseline=quiet,
                    rules=RULES)
    assert not nine.spiking and nine.ratio == 9.0
    assert nine.spread_ratio == 1.0  # below min_count the matrix sees no extra spread
    ten = evaluate(entity_id="q", category=None, count=10, negative=0, baseline=quiet,
                   rules=RULES)
    assert ten.spiking and ten.spread_ratio == 10.0
    first = evaluate(entity_id="q", category=None, count=1, negative=1, baseline=quiet,
                     rules=RULES)
    assert not first.spiking and first.calm


def test_a_busy_brand_needs_ratio_times_its_own_baseline() -> None:
    busy = Baseline(mentions=100.0, negative=10.0, seasonal=False, intervals=600)
    assert not evaluate(entity_id="b", category=None, count=250, negative=20, baseline=busy,
                        rules=RULES).spiking
    assert evaluate(entity_id="b", category=None, count=300, negative=20, baseline=busy,
                    rules=RULES).spiking
    negative_only = evaluate(entity_id="b", category=None, count=120, negative=40,
                             baseline=busy, rules=RULES)
    assert negative_only.spiking and negative_only.negative_ratio == 4.0
    calm = evaluate(entity_id="b", category=None, count=110, negative=12, baseline=busy,
                    rules=RULES)
    assert calm.calm and not calm.spiking


def test_weekly_seasonality_compares_the_same_hour_of_week() -> None:
    # Monday 09:00 (this bucket's hour-of-week) always has 100 mentions; every other hour 10.
    history = flat_history(10, weeks=3, special={0: 100})
    first = CURRENT - 3 * WEEK
    monday = compute_baseline(history, current=CURRENT, first=first, rules=RULES)
    assert monday is not None and monday.seasonal and monday.mentions == 100.0
    assert not evaluate(entity_id="s", category=None, count=150, negative=0, baseline=monday,
                        rules=RULES).spiking
    tuesday = compute_baseline(history, current=CURRENT - 24 * HOUR, first=first, rules=RULES)
    assert tuesday is not None and tuesday.seasonal and tuesday.mentions == 10.0
    assert evaluate(entity_id="s", category=None, count=150, negative=0, baseline=tuesday,
                    rules=RULES).spiking


def test_short_history_falls_back_to_the_rolling_median() -> None:
    history = flat_history(10, weeks=1, special={0: 100})
    baseline = compute_baseline(history, current=CURRENT, first=CURRENT - 8 * 24 * HOUR,
                                rules=RULES)
    assert baseline is not None and not baseline.seasonal
    assert baseline.mentions == 10.0


def test_read_volume_uses_a_sliding_interval(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        record_volume(
            s,
            increments={
                ("acme", "", CURRENT - 20 * 24 * HOUR): (1, 0),
                ("acme", "", CURRENT - HOUR): (40, 20),
                ("acme", "", CURRENT): (10, 2),
            },
            span=HOUR,
        )
        record_volume(s, increments={("acme", "", CURRENT): (5, 1)}, span=HOUR)  # adds up
        reading = read_volume(s, keys=[("acme", "")], now=NOW, rules=RULES,
                              cache=IncidentCache())[("acme", "")]
    # 15 this hour so far plus half of last hour's 40 (09:30 is half-way through)
    assert reading.count == 35.0 and reading.negative == 13.0
    assert reading.baseline is not None and reading.spiking


def seed_steady(sessions: sessionmaker[Session], entity: str, per_hour: int) -> None:
    """Two weeks of steady hourly volume written straight into the counters."""
    increments = {
        (entity, "", CURRENT - h * HOUR): (per_hour, 0) for h in range(1, 14 * 24 + 1)
    }
    with sessions.begin() as s:
        record_volume(s, increments=increments, span=HOUR)


def test_a_volume_spike_alone_opens_an_incident(sessions: sessionmaker[Session]) -> None:
    ctx = make_context()
    seed_steady(sessions, "acme", 2)
    with sessions.begin() as s:
        ids = [
            add_scored_mention(s, text=f"is Acme down again? #{i}", at=NOW - timedelta(minutes=i),
                               negative=0.9, author_reach=50)
            for i in range(30)
        ]
        graded = {add_scored_mention(s, text="x", at=NOW, negative=0.9, grade="none")}
        result = assign_stored(s, ctx=ctx, mention_ids=ids + list(graded), now=NOW)
    assert len(result.opened) == 1
    with sessions() as s:
        incident = s.scalars(select(Incident)).one()
        assert incident.category is None and incident.entity_id == "acme"
        assert incident.mention_count == 31
        assert incident.spike_ratio is not None and incident.spike_ratio >= 10
        assert "baseline volume" in " ".join(incident.reasons)
        assert incident.grade != "none" and incident.playbook is not None


def test_a_spike_arriving_one_mention_per_batch_keeps_one_volume_incident(
    sessions: sessionmaker[Session],
) -> None:
    """Batches of a single below-floor mention used to open a new volume incident each."""
    ctx = make_context()
    seed_steady(sessions, "acme", 2)
    with sessions.begin() as s:
        ids = [add_scored_mention(s, text=f"is Acme down again? #{i}",
                                  at=NOW - timedelta(minutes=30 - i), negative=0.9,
                                  author_reach=50) for i in range(20)]
        assign_stored(s, ctx=ctx, mention_ids=ids, now=NOW - timedelta(minutes=10))
    for i in range(5):
        at = NOW + timedelta(minutes=i)
        with sessions.begin() as s:
            one = add_scored_mention(s, text=f"Acme still broken {i}", at=at, negative=0.9,
                                     grade="none")
            assign_stored(s, ctx=ctx, mention_ids=[one], now=at)
    with sessions() as s:
        (incident,) = s.scalars(select(Incident)).all()
        assert incident.category is None and incident.mention_count == 25


def test_first_mention_of_a_quiet_brand_opens_nothing_on_volume(
    sessions: sessionmaker[Session],
) -> None:
    ctx = make_context()
    with sessions.begin() as s:
        ids = [add_scored_mention(s, text="first ever post about Acme, hmm", at=NOW,
                                  negative=0.9)]
        result = assign_stored(s, ctx=ctx, mention_ids=ids, now=NOW)
    assert result.opened == []
    with sessions() as s:
        assert s.scalars(select(Incident)).all() == []
