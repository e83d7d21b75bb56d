"""Retry and rate-limit decisions are pure functions: tested directly, with hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_intercom.exceptions import (
    IntercomAuthError,
    IntercomConnectionError,
    IntercomError,
    IntercomForbiddenError,
    IntercomNotFoundError,
    IntercomRateLimitError,
    IntercomResponseError,
    IntercomServerError,
)
from airflow_provider_intercom.retry import (
    PROBE_POLL,
    WINDOW_PROBES,
    RetryPolicy,
    is_retryable,
    rate_limit_send_delay,
    retry_budget_spent,
    retry_delay,
)

POLICY = RetryPolicy()


def _connection_error(*, sent: bool, transient: bool = True) -> IntercomConnectionError:
    err = IntercomConnectionError("x")
    err.sent, err.transient = sent, transient
    return err


@pytest.mark.parametrize(
    ("error", "idempotent", "expected"),
    [
        (IntercomRateLimitError("x", status=429), False, True),
        (IntercomServerError("x", status=503), True, True),
        (IntercomServerError("x", status=503), False, False),
        (IntercomServerError("x", status=501), True, False),
        (_connection_error(sent=False), False, True),
        (_connection_error(sent=True), False, False),
        (_connection_error(sent=True), True, True),
        (_connection_error(sent=False, transient=False), True, False),
        (IntercomAuthError("x", status=401), True, False),
        (IntercomForbiddenError("x", status=403), True, False),
        (IntercomNotFoundError("x", status=404), True, False),
        (IntercomError("x", status=400), True, False),
        (IntercomResponseError("x", status=200), True, False),
    ],
)
def test_is_retryable(error: IntercomError, idempotent: bool, expected: bool) -> None:
    assert is_retryable(error, idempotent=idempotent) is expected


@given(
    attempt=st.integers(min_value=1, max_value=10_000),
    rand=st.floats(min_value=0, max_value=1, exclude_max=True),
    now=st.floats(min_value=0, max_value=4e9),
    reset_offset=st.one_of(st.none(), st.floats(min_value=-1e6, max_value=1e6)),
)
def test_retry_delay_is_non_negative_capped_and_honours_the_reset(
    attempt: int, rand: float, now: float, reset_offset: float | None
) -> None:
    reset_at = None if reset_offset is None else now + reset_offset
    delay = retry_delay(attempt, policy=POLICY, rand=rand, now=now, reset_at=reset_at)
    assert delay >= 0
    assert delay <= max(POLICY.backoff_cap, POLICY.rate_limit_cap + POLICY.rate_limit_jitter)
    if reset_at is not None:
        wait = reset_at - now
        # Never earlier than the reset (when the reset is within the cap), never later than reset + jitter.
        assert delay >= min(max(wait, 0), POLICY.rate_limit_cap) - 1e-6
        assert delay <= max(wait, 0) + POLICY.rate_limit_jitter + 1e-6


def test_backoff_grows_exponentially_until_the_cap() -> None:
    lows = [retry_delay(n, policy=POLICY, rand=0.0, now=0) for n in range(1, 10)]
    highs = [retry_delay(n, policy=POLICY, rand=0.999999, now=0) for n in range(1, 10)]
    assert lows[:4] == [0.25, 0.5, 1.0, 2.0]
    assert highs[-1] == pytest.approx(POLICY.backoff_cap)
    assert all(low <= high for low, high in zip(lows, highs, strict=True))


@pytest.mark.parametrize(
    ("error", "attempt", "elapsed", "delay", "spent"),
    [
        (IntercomServerError("x"), 1, 0, 1, False),
        (IntercomServerError("x"), POLICY.max_retries, 0, 1, False),
        (IntercomServerError("x"), POLICY.max_retries + 1, 0, 1, True),
        (IntercomServerError("x"), 1, POLICY.max_retry_time - 1, 2, True),
        (IntercomRateLimitError("x"), POLICY.max_retries + 1, 0, 1, True),
    ],
)
def test_retry_budget(error: IntercomError, attempt: int, elapsed: float, delay: float, spent: bool) -> None:
    assert retry_budget_spent(error, attempt=attempt, elapsed=elapsed, delay=delay, policy=POLICY) is spent


def test_rate_limit_retries_can_be_bounded_by_time_alone() -> None:
    policy = RetryPolicy(max_retries=2, max_rate_limit_retries=1000, max_retry_time=30, max_rate_limit_time=60)
    assert not retry_budget_spent(IntercomRateLimitError("x"), attempt=50, elapsed=40, delay=1, policy=policy)
    assert retry_budget_spent(IntercomRateLimitError("x"), attempt=50, elapsed=59.5, delay=1, policy=policy)
    # Other errors keep their own attempt and time budgets.
    assert retry_budget_spent(IntercomServerError("x"), attempt=3, elapsed=0, delay=1, policy=policy)
    assert retry_budget_spent(IntercomServerError("x"), attempt=1, elapsed=29.5, delay=1, policy=policy)


def test_send_delay_unknown_budget_sends_at_once() -> None:
    assert rate_limit_send_delay(now=100, remaining=None, reset_at=None, in_flight=5, last_send_at=99.9) == 0


def test_send_delay_spreads_the_remaining_budget_over_the_window() -> None:
    # 100 calls left, 10 s to go, 0 in flight: one call every 0.1 s.
    delay = rate_limit_send_delay(now=100.0, remaining=100, reset_at=110.0, in_flight=0, last_send_at=100.0)
    assert delay == pytest.approx(0.1)
    # Requests in flight will spend budget too, so the gap widens.
    delay = rate_limit_send_delay(now=100.0, remaining=100, reset_at=110.0, in_flight=50, last_send_at=100.0)
    assert delay == pytest.approx(0.2)


def test_send_delay_waits_for_the_reset_when_the_budget_is_spent() -> None:
    assert rate_limit_send_delay(now=100.0, remaining=3, reset_at=104.0, in_flight=3, last_send_at=99.0) == 4.0


def test_send_delay_a_passed_reset_lets_a_few_probes_find_the_new_window() -> None:
    assert rate_limit_send_delay(now=105.0, remaining=0, reset_at=104.0, in_flight=0, last_send_at=104.9) == 0
    assert (
        rate_limit_send_delay(now=105.0, remaining=0, reset_at=104.0, in_flight=WINDOW_PROBES - 1, last_send_at=104.9)
        == 0
    )
    # More in flight: wait for an answer from the new window rather than risk a burst of 429s.
    assert (
        rate_limit_send_delay(now=105.0, remaining=0, reset_at=104.0, in_flight=WINDOW_PROBES, last_send_at=104.9)
        == PROBE_POLL
    )


def test_send_delay_honours_max_requests_per_minute() -> None:
    delay = rate_limit_send_delay(
        now=100.0, remaining=None, reset_at=None, in_flight=0, last_send_at=99.9, min_interval=0.5
    )
    assert delay == pytest.approx(0.4)


@given(
    now=st.floats(min_value=0, max_value=1e6),
    remaining=st.one_of(st.none(), st.integers(min_value=0, max_value=10_000)),
    reset_offset=st.floats(min_value=-20, max_value=20),
    in_flight=st.integers(min_value=0, max_value=100),
    since_last=st.one_of(st.none(), st.floats(min_value=0, max_value=100)),
    min_interval=st.floats(min_value=0, max_value=10),
)
def test_send_delay_is_bounded(
    now: float,
    remaining: int | None,
    reset_offset: float,
    in_flight: int,
    since_last: float | None,
    min_interval: float,
) -> None:
    delay = rate_limit_send_delay(
        now=now,
        remaining=remaining,
        reset_at=now + reset_offset,
        in_flight=in_flight,
        last_send_at=None if since_last is None else now - since_last,
        min_interval=min_interval,
    )
    assert 0 <= delay <= max(reset_offset, 0) + min_interval + PROBE_POLL + 1e-6
