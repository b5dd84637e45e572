"""Pure policies: retry backoff and burst grouping."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerts.backoff import RetryPolicy, next_attempt_delay
from alerts.errors import DeliveryError
from alerts.grouping import GroupingPolicy, PendingAlert, SentRecord, build_digest, plan_sends
from alerts.message import AlertMessage

MessageFactory = Callable[..., AlertMessage]
S = timedelta(seconds=1)

# -- backoff ----------------------------------------------------------------------------------


@given(
    attempt=st.integers(min_value=1, max_value=10_000),
    base=st.floats(min_value=0.01, max_value=60),
    extra=st.floats(min_value=0, max_value=3600),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_delay_is_floored_at_half_its_step_and_capped(
    attempt: int, base: float, extra: float, seed: int
) -> None:
    cap = base + extra
    delay = next_attempt_delay(
        attempt=attempt, base=base, cap=cap, rng=random.Random(seed), retry_after=None
    )
    step = min(cap, base * 2.0 ** min(attempt - 1, 62))
    assert step / 2 <= delay <= step


@given(
    attempt=st.integers(min_value=1, max_value=50),
    retry_after=st.floats(min_value=0, max_value=10_000),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_retry_after_is_a_floor(attempt: int, retry_after: float, seed: int) -> None:
    delay = next_attempt_delay(
        attempt=attempt, base=1, cap=30, rng=random.Random(seed), retry_after=retry_after
    )
    assert delay >= retry_after
    assert delay == retry_after or delay <= 30


def test_delays_grow_exponentially_on_average() -> None:
    rng = random.Random(7)
    means = [
        sum(
            next_attempt_delay(attempt=a, base=1, cap=1000, rng=rng, retry_after=None)
            for _ in range(2000)
        )
        / 2000
        for a in (1, 2, 3, 4)
    ]
    # uniform in [step/2, step]: the mean is 3/4 of the step 1, 2, 4, 8
    assert means == pytest.approx([0.75, 1.5, 3, 6], rel=0.1)


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="attempt"):
        next_attempt_delay(attempt=0, base=1, cap=1, rng=random.Random(), retry_after=None)
    with pytest.raises(ValueError, match="base"):
        next_attempt_delay(attempt=1, base=0, cap=1, rng=random.Random(), retry_after=None)
    with pytest.raises(ValueError, match="cap"):
        next_attempt_delay(attempt=1, base=5, cap=1, rng=random.Random(), retry_after=None)


def test_retries_go_on_until_the_time_budget_is_spent() -> None:
    policy = RetryPolicy(base=2, cap=300, budget=3600)
    outage = DeliveryError("HTTP 503", kind="slack", target="#a", retryable=True)
    rng = random.Random(3)
    failing_for, attempt = 0.0, 1
    while (
        decision := policy.decide(attempt=attempt, error=outage, rng=rng, failing_for=failing_for)
    ).retry:
        assert decision.delay is not None and decision.delay >= 1.0  # never a hot loop
        failing_for += decision.delay
        attempt += 1
    assert failing_for >= 3600 and attempt < 40
    assert f"gave up after {attempt} attempts over 1h" in decision.reason


def test_retry_policy_decisions() -> None:
    policy = RetryPolicy(base=1, cap=10, max_attempts=3)
    rng = random.Random(1)
    limited = DeliveryError(
        "ratelimited", kind="slack", target="#a", retryable=True, retry_after=42
    )
    decision = policy.decide(attempt=1, error=limited, rng=rng, failing_for=0)
    assert decision.retry is True and decision.delay == 42
    final = policy.decide(attempt=3, error=limited, rng=rng, failing_for=60)
    assert final.retry is False and "gave up after 3 attempts" in final.reason
    fatal = DeliveryError("channel_not_found", kind="slack", target="#a", retryable=False)
    dead = policy.decide(attempt=1, error=fatal, rng=rng, failing_for=0)
    assert dead.retry is False
    assert dead.reason == "slack: channel_not_found for #a (not retryable) — not retryable"
    # without max_attempts only the budget ends retries
    patient = RetryPolicy(base=1, cap=10)
    assert patient.decide(attempt=500, error=limited, rng=rng, failing_for=86_399).retry
    assert not patient.decide(attempt=500, error=limited, rng=rng, failing_for=86_400).retry


# -- grouping ---------------------------------------------------------------------------------


def pending(factory: MessageFactory, t0: datetime, n: int, *, start: int = 0) -> list[PendingAlert]:
    grades = ["low", "medium", "high", "critical"]
    return [
        PendingAlert(
            key=f"k{i:04d}",
            message=factory(incident_id=f"inc-{i}", grade=grades[i % 4], entity=f"E{i % 2}"),
            queued_at=t0 + i * S,
        )
        for i in range(start, start + n)
    ]


POLICY = GroupingPolicy(group_wait=10 * S, group_interval=300 * S, max_individual=5)


def test_quiet_channel_sends_everything_individually(
    message_factory: MessageFactory, t0: datetime
) -> None:
    alerts = pending(message_factory, t0, 3)
    decision = plan_sends(pending=alerts, history=[], now=t0 + 3 * S, policy=POLICY)
    assert decision.individual == tuple(alerts)
    assert decision.digest is None and not decision.held and not decision.folded


def test_burst_holds_overflow_then_sends_one_digest(
    message_factory: MessageFactory, t0: datetime
) -> None:
    alerts = pending(message_factory, t0, 40)
    early = plan_sends(pending=alerts, history=[], now=t0 + 2 * S, policy=POLICY)
    assert [a.key for a in early.individual] == ["k0000", "k0001", "k0002", "k0003", "k0004"]
    assert len(early.held) == 35 and early.digest is None
    assert early.next_check == alerts[5].queued_at + 10 * S
    sent = [SentRecord(t0 + 2 * S)] * 5
    later = plan_sends(pending=alerts[5:], history=sent, now=early.next_check, policy=POLICY)
    assert later.individual == () and len(later.folded) == 35
    digest = later.digest
    assert digest is not None and digest.event == "digest"
    assert len(digest.members) == 35
    assert digest.grade == "critical" and digest.members[0].grade == "critical"
    assert digest.entity == "2 entities" and "35 new incidents" in digest.title
    assert digest.created_at == early.next_check


def test_after_a_digest_new_openings_keep_grouping_until_calm(
    message_factory: MessageFactory, t0: datetime
) -> None:
    history = [SentRecord(t0, digest=True)]
    alerts = pending(message_factory, t0, 2, start=100)
    soon = plan_sends(pending=alerts, history=history, now=t0 + 60 * S, policy=POLICY)
    assert soon.individual == () and len(soon.held) == 2
    assert soon.next_check == t0 + 300 * S
    calm = plan_sends(pending=alerts, history=history, now=t0 + 301 * S, policy=POLICY)
    assert calm.individual == tuple(alerts)


def test_other_events_are_never_grouped(message_factory: MessageFactory, t0: datetime) -> None:
    busy = [SentRecord(t0)] * 5
    update = PendingAlert("u1", message_factory(event="escalated"), t0)
    decision = plan_sends(pending=[update], history=busy, now=t0 + S, policy=POLICY)
    assert decision.individual == (update,)


def test_old_history_does_not_count(message_factory: MessageFactory, t0: datetime) -> None:
    old = [SentRecord(t0 - 400 * S)] * 50
    alerts = pending(message_factory, t0, 5)
    assert plan_sends(pending=alerts, history=old, now=t0 + S, policy=POLICY).individual == tuple(
        alerts
    )


def test_digest_id_is_stable_and_drill_kept(message_factory: MessageFactory, t0: datetime) -> None:
    alerts = [
        PendingAlert(f"k{i}", message_factory(incident_id=f"i{i}", drill=True), t0)
        for i in range(3)
    ]
    one = build_digest(alerts, now=t0, policy=POLICY)
    two = build_digest(list(reversed(alerts)), now=t0 + S, policy=POLICY)
    assert one.incident_id == two.incident_id and one.incident_id.startswith("digest-")
    assert one.drill is True and one.entity == "Acme Phone X"


def test_policy_validation() -> None:
    with pytest.raises(ValueError):
        GroupingPolicy(group_interval=timedelta(0))
    with pytest.raises(ValueError):
        GroupingPolicy(max_individual=-1)
