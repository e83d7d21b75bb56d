"""Retry decisions are pure functions over the policy: tested directly, with hypothesis."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_intercom.client import (
    IntercomError,
    IntercomRateLimitError,
    IntercomServerError,
    RetryPolicy,
)
from airflow_provider_intercom.client._ratelimit_headers import RESET_SLACK
from airflow_provider_intercom.client._responses import RequestInfo, network_error, parse_response
from airflow_provider_intercom.client._retry import retry_delay, retry_limits, should_retry

POLICY = RetryPolicy()
PUT = RequestInfo("PUT", "/conversations/3", "c", "https://api.intercom.io", "us", 30.0)


@given(
    attempt=st.integers(min_value=1, max_value=10_000),
    rand=st.floats(min_value=0, max_value=1, exclude_max=True),
    now=st.floats(min_value=0, max_value=4e9),
    rate_limited=st.booleans(),
    reset_offset=st.one_of(st.none(), st.floats(min_value=-1e12, max_value=1e12)),
    window=st.floats(min_value=0.5, max_value=60),
)
def test_retry_delay_is_non_negative_and_bounded_whatever_the_reset(
    attempt: int, rand: float, now: float, rate_limited: bool, reset_offset: float | None, window: float
) -> None:
    reset_at = None if reset_offset is None else now + reset_offset
    delay = retry_delay(
        attempt, policy=POLICY, rand=rand, now=now, rate_limited=rate_limited, reset_at=reset_at, window=window
    )
    assert delay >= 0
    if rate_limited:
        # However far off the reset (milliseconds, 30 days, delta-seconds), one window and a slack at most.
        assert delay <= window + RESET_SLACK
    else:
        assert delay <= POLICY.backoff_cap


@given(
    rand=st.floats(min_value=0, max_value=1, exclude_max=True),
    now=st.floats(min_value=1e9, max_value=4e9),
    reset_offset=st.floats(min_value=-10, max_value=10),
)
def test_a_usable_reset_is_waited_for_and_no_longer(rand: float, now: float, reset_offset: float) -> None:
    delay = retry_delay(1, policy=POLICY, rand=rand, now=now, rate_limited=True, reset_at=now + reset_offset)
    assert max(reset_offset, 0) - 1e-6 <= delay <= max(reset_offset, 0) + POLICY.rate_limit_jitter + 1e-6


def test_backoff_grows_exponentially_until_the_cap() -> None:
    lows = [retry_delay(n, policy=POLICY, rand=0.0, now=0) for n in range(1, 10)]
    highs = [retry_delay(n, policy=POLICY, rand=0.999999, now=0) for n in range(1, 10)]
    assert lows[:4] == [0.25, 0.5, 1.0, 2.0]
    assert highs[-1] == pytest.approx(POLICY.backoff_cap)
    assert all(low <= high for low, high in zip(lows, highs, strict=True))


def test_a_429_waits_for_the_reset_plus_jitter() -> None:
    assert retry_delay(1, policy=POLICY, rand=0.0, now=100.0, rate_limited=True, reset_at=107.0) == 7.0
    assert retry_delay(1, policy=POLICY, rand=0.5, now=100.0, rate_limited=True, reset_at=107.0) == 7.5
    assert retry_delay(1, policy=POLICY, rand=0.0, now=100.0, rate_limited=True, reset_at=99.0) == 0.0  # over
    # Out-of-range randomness is clamped rather than trusted.
    assert retry_delay(1, policy=POLICY, rand=7.0, now=100.0, rate_limited=True, reset_at=107.0) == 8.0


NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    "reset_at",
    [
        pytest.param(None, id="absent"),
        pytest.param(NOW * 1000, id="milliseconds"),
        pytest.param(NOW + 30 * 86400, id="30 days ahead"),
        pytest.param(NOW - 3600, id="an hour past"),
        pytest.param(10.0, id="delta-seconds"),
    ],
)
def test_a_429_without_a_usable_reset_backs_off_a_jittered_part_of_the_window(reset_at: float | None) -> None:
    delays = [
        retry_delay(attempt, policy=POLICY, rand=rand, now=NOW, rate_limited=True, reset_at=reset_at, window=10.0)
        for attempt in (1, 2, 3, 9)
        for rand in (0.0, 0.999)
    ]
    first_low, first_high = delays[:2]
    assert 0 < first_low < first_high < 10.0, "jittered, and well within the window at first"
    assert delays[2] > first_low, "growing with each 429"
    assert max(delays) <= 10.0, "never beyond the window"


def test_rate_limit_budgets_apply_to_429s_only() -> None:
    policy = RetryPolicy(max_retries=2, max_retry_time=30, max_rate_limit_retries=1000, max_rate_limit_time=60)
    assert retry_limits(IntercomRateLimitError("x", status=429), policy) == (1000, 60)
    assert retry_limits(IntercomServerError("x", status=503), policy) == (2, 30)
    assert retry_limits(IntercomRateLimitError("x", status=429), RetryPolicy(max_retries=2, max_retry_time=9)) == (2, 9)


def _503() -> IntercomError:
    return IntercomServerError("x", status=503, retryable=True)


def _429() -> IntercomError:
    return IntercomRateLimitError("x", status=429, retryable=True)


TIME_ONLY = RetryPolicy(max_retries=2, max_retry_time=30, max_rate_limit_retries=1000, max_rate_limit_time=60)


# error, attempt, elapsed, delay, policy, retry?
BUDGET = {
    "a retryable error, first attempt": (_503(), 1, 0, 1, POLICY, True),
    "the last retry the count allows": (_503(), POLICY.max_retries, 0, 1, POLICY, True),
    "one attempt too many": (_503(), POLICY.max_retries + 1, 0, 1, POLICY, False),
    "the wait would end past the time budget": (_503(), 1, POLICY.max_retry_time - 1, 2, POLICY, False),
    "the wait ends exactly at the time budget": (_503(), 1, POLICY.max_retry_time - 2, 2, POLICY, True),
    "not retryable, however much budget is left": (IntercomServerError("x", status=501), 1, 0, 0, POLICY, False),
    "a 429 past the count": (_429(), POLICY.max_retries + 1, 0, 1, POLICY, False),
    "a 429 bounded by time alone: inside": (_429(), 50, 40, 1, TIME_ONLY, True),
    "a 429 bounded by time alone: past": (_429(), 50, 59.5, 1, TIME_ONLY, False),
    "other errors keep their own count": (_503(), 3, 0, 1, TIME_ONLY, False),
    "other errors keep their own time": (_503(), 1, 29.5, 1, TIME_ONLY, False),
    "no retries at all": (_503(), 1, 0, 0, RetryPolicy(max_retries=0), False),
}


@pytest.mark.parametrize("name", list(BUDGET))
def test_should_retry_within_the_budget(name: str) -> None:
    error, attempt, elapsed, delay, policy, expected = BUDGET[name]
    assert should_retry(error, attempt=attempt, elapsed=elapsed, delay=delay, policy=policy) is expected


def _answer(status: int, *, idempotent: bool = True) -> IntercomError:
    try:
        parse_response(status, {}, b"", replace(PUT, idempotent=idempotent))
    except IntercomError as err:
        return err
    raise AssertionError(f"{status} was not an error")


# What is retried, for errors as the client builds them: the policy in one table.
WHAT_IS_RETRIED = {
    "429": (_answer(429), True),
    "429 of a non-idempotent request": (_answer(429, idempotent=False), True),
    "503": (_answer(503), True),
    "503 of a non-idempotent request": (_answer(503, idempotent=False), False),
    "501": (_answer(501), False),
    "400": (_answer(400), False),
    "401": (_answer(401), False),
    "403": (_answer(403), False),
    "404": (_answer(404), False),
    "408": (_answer(408), False),
    "200 that is not JSON": (_answer(200), False),
    "connection never opened": (network_error("connect", "refused", replace(PUT, idempotent=False)), True),
    "dropped after sending": (network_error("broken", "reset", PUT), True),
    "dropped after sending a non-idempotent request": (
        network_error("broken", "reset", replace(PUT, idempotent=False)),
        False,
    ),
    "timed out": (network_error("timeout", "read", PUT), True),
    "certificate rejected": (network_error("certificate", "self-signed", PUT), False),
    "TLS handshake cut, non-idempotent": (network_error("tls", "EOF", replace(PUT, idempotent=False)), True),
}


@pytest.mark.parametrize("name", list(WHAT_IS_RETRIED))
def test_what_is_retried(name: str) -> None:
    error, expected = WHAT_IS_RETRIED[name]
    assert should_retry(error, attempt=1, elapsed=0, delay=0, policy=POLICY) is expected


def test_a_policy_is_a_value() -> None:
    policy = RetryPolicy(max_retries=2)
    assert replace(policy, max_retries=2) == policy
    with pytest.raises(AttributeError):
        policy.max_retries = 3  # type: ignore[misc]
