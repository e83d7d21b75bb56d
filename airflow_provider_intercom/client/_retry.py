"""Retry decisions, as pure functions over the retry policy.

The client's retry loop is a plain loop over these (like stripe-python's
``_request_with_retries_internal``); they look only at their arguments, with no clock, no
randomness and no I/O, so every decision is unit-tested directly.

Policy in one paragraph: a 429 is always safe to retry (Intercom rejected the call without acting
on it) and waits until ``X-RateLimit-Reset`` plus jitter, so that parallel tasks do not come back
in lockstep; a reset outside its domain (see :mod:`._ratelimit_headers`) is not believed, and the
wait is then a jittered fraction of the window. No 429 waits longer than one window plus a slack.
5xx answers, timeouts and dropped connections are retried with capped exponential backoff and
jitter, but only for idempotent calls, because the first attempt may have been applied. A
connection that could not even be opened is retried for every call. 400, 401, 403 and 404 are
never retried: asking again gives the same answer. Whether an error is retryable is decided when
it is built (:mod:`._responses`); the budget is bounded by attempts and by time.
"""

from __future__ import annotations

from dataclasses import dataclass

from airflow_provider_intercom.client._error import IntercomError
from airflow_provider_intercom.client._ratelimit_headers import max_wait, usable_reset
from airflow_provider_intercom.client.facts import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_TIME,
    RATE_LIMIT_WINDOW_SECONDS,
)

#: 5xx statuses worth another try; 501 and 505 say the request itself is wrong.
RETRYABLE_SERVER_STATUSES = frozenset({500, 502, 503, 504, 520, 521, 522, 523, 524})
#: After a 429 with no usable reset, the first backoff step as a fraction of the window; each
#: further 429 doubles it, up to the whole window.
UNKNOWN_RESET_BACKOFF = 0.25


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one request tries.

    :param max_retries: retries after the first attempt (so ``max_retries + 1`` attempts at most).
    :param max_retry_time: seconds from the first attempt after which no retry starts.
    :param backoff_base: first backoff delay in seconds for 5xx and network errors.
    :param backoff_cap: largest backoff delay in seconds.
    :param rate_limit_jitter: up to this many seconds are added to a 429's wait for the reset.
    :param rate_limit_cap: longest single wait for a rate-limit reset, in seconds.
    :param max_rate_limit_retries: retries after 429s; None means ``max_retries``. Bulk runs raise
        it so that only time bounds waiting out a busy window.
    :param max_rate_limit_time: seconds from the first attempt after which no retry of a 429
        starts; None means ``max_retry_time``.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    max_retry_time: float = DEFAULT_MAX_RETRY_TIME
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    rate_limit_jitter: float = 1.0
    rate_limit_cap: float = 60.0
    max_rate_limit_retries: int | None = None
    max_rate_limit_time: float | None = None


def retry_delay(
    attempt: int,
    *,
    policy: RetryPolicy,
    rand: float,
    now: float,
    rate_limited: bool = False,
    reset_at: float | None = None,
    window: float = RATE_LIMIT_WINDOW_SECONDS,
) -> float:
    """Seconds to wait before the next attempt.

    :param attempt: how many attempts have been made so far (1 after the first failure).
    :param policy: the retry policy.
    :param rand: a number in ``[0, 1)`` that supplies the jitter.
    :param now: the current time in UNIX seconds, to compare with ``reset_at``.
    :param rate_limited: whether the attempt was answered 429.
    :param reset_at: ``X-RateLimit-Reset`` of that 429, in UNIX seconds, if the answer had one.
    :param window: the rate-limit window's length in seconds: a reset further than one window
        from ``now`` is not believed, and no 429 waits longer than the window plus a slack.
    :return: a delay in ``[0, backoff_cap]``, or after a 429 in ``[0, min(rate_limit_cap +
        rate_limit_jitter, max_wait(window))]``.
    """
    rand = min(max(rand, 0.0), 1.0)
    if rate_limited:
        usable = usable_reset(reset_at, now=now, window=window)
        if usable is not None:
            wait = min(max(usable - now, 0.0), policy.rate_limit_cap) + rand * policy.rate_limit_jitter
        else:
            # No reset to believe: back off by a fraction of the window, doubling per attempt.
            base = window * UNKNOWN_RESET_BACKOFF
            wait = min(_equal_jitter(base, window, attempt, rand), policy.rate_limit_cap + policy.rate_limit_jitter)
        return min(wait, max_wait(window))
    return _equal_jitter(policy.backoff_base, policy.backoff_cap, attempt, rand)


def _equal_jitter(base: float, cap: float, attempt: int, rand: float) -> float:
    # "Equal jitter": at least half the exponential step, so retries never collapse to zero.
    step = min(cap, base * 2.0 ** min(max(attempt - 1, 0), 32))
    return step / 2.0 + rand * step / 2.0


def retry_limits(error: IntercomError, policy: RetryPolicy) -> tuple[int, float]:
    """The retry budget that applies to ``error``: ``(max retries, max seconds)``.

    :param error: what the last attempt raised.
    :param policy: the retry policy.
    """
    if error.status == 429:
        return (
            policy.max_retries if policy.max_rate_limit_retries is None else policy.max_rate_limit_retries,
            policy.max_retry_time if policy.max_rate_limit_time is None else policy.max_rate_limit_time,
        )
    return policy.max_retries, policy.max_retry_time


def should_retry(error: IntercomError, *, attempt: int, elapsed: float, delay: float, policy: RetryPolicy) -> bool:
    """Whether to send the request again after ``error``.

    :param error: what the last attempt raised.
    :param attempt: attempts made so far.
    :param elapsed: seconds since the first attempt started.
    :param delay: the wait :func:`retry_delay` chose before the next attempt.
    :param policy: the retry policy.
    """
    if not error.retryable:
        return False
    retries, seconds = retry_limits(error, policy)
    # Do not start a wait that would end beyond the time budget: fail now, with the real error.
    return attempt <= retries and elapsed + delay <= seconds
