"""Retry and rate-limit decisions, as pure functions.

The hook's request method asks these functions what to do; they look only at their arguments
(no clock, no randomness, no I/O), so every decision is unit-tested directly.

Policy in one paragraph: a 429 is always safe to retry (Intercom rejected the call without
acting on it) and waits until ``X-RateLimit-Reset`` plus jitter, so that parallel tasks do not
come back in lockstep. 5xx answers, timeouts and dropped connections are retried with capped
exponential backoff and jitter, but only for idempotent calls, because the first attempt may
have been applied. A connection that could not even be opened is retried for every call. 400,
401, 403 and 404 are never retried: asking again gives the same answer. The whole budget is
bounded both by attempts and by total time.
"""

from __future__ import annotations

from dataclasses import dataclass

from airflow_provider_intercom.exceptions import (
    IntercomConnectionError,
    IntercomError,
    IntercomRateLimitError,
    IntercomServerError,
)

#: Requests allowed in flight after a window's reset time, until an answer reports the new window.
WINDOW_PROBES = 4
#: How often a sender held back at a window change looks again, in seconds.
PROBE_POLL = 0.01
#: 5xx statuses worth another try; 501 and 505 say the request itself is wrong.
RETRYABLE_SERVER_STATUSES = frozenset({500, 502, 503, 504, 520, 521, 522, 523, 524})


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

    max_retries: int = 5
    max_retry_time: float = 300.0
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    rate_limit_jitter: float = 1.0
    rate_limit_cap: float = 60.0
    max_rate_limit_retries: int | None = None
    max_rate_limit_time: float | None = None


def is_retryable(error: IntercomError, *, idempotent: bool) -> bool:
    """Whether a failed attempt may be sent again.

    :param error: what the attempt raised.
    :param idempotent: whether sending the request twice has the same effect as once.
    """
    if isinstance(error, IntercomRateLimitError):
        return True
    if isinstance(error, IntercomConnectionError):
        return error.transient and (idempotent or not error.sent)
    if isinstance(error, IntercomServerError):
        return idempotent and error.status in RETRYABLE_SERVER_STATUSES
    return False


def retry_delay(
    attempt: int,
    *,
    policy: RetryPolicy,
    rand: float,
    now: float,
    reset_at: float | None = None,
) -> float:
    """Seconds to wait before the next attempt.

    :param attempt: how many attempts have been made so far (1 after the first failure).
    :param policy: the retry policy.
    :param rand: a number in ``[0, 1)`` that supplies the jitter.
    :param now: the current time in UNIX seconds, to compare with ``reset_at``.
    :param reset_at: ``X-RateLimit-Reset`` of a 429, in UNIX seconds, if Intercom sent it.
    :return: a delay in ``[0, max(backoff_cap, rate_limit_cap + rate_limit_jitter)]``.
    """
    rand = min(max(rand, 0.0), 1.0)
    if reset_at is not None:
        wait = min(max(reset_at - now, 0.0), policy.rate_limit_cap)
        return wait + rand * policy.rate_limit_jitter
    # "Equal jitter": at least half the exponential step, so retries never collapse to zero.
    step = min(policy.backoff_cap, policy.backoff_base * 2.0 ** min(max(attempt - 1, 0), 32))
    return step / 2.0 + rand * step / 2.0


def retry_limits(error: BaseException | None, policy: RetryPolicy) -> tuple[int, float]:
    """The retry budget that applies to ``error``: ``(max retries, max seconds)``.

    :param error: what the last attempt raised.
    :param policy: the retry policy.
    """
    if isinstance(error, IntercomRateLimitError):
        return (
            policy.max_retries if policy.max_rate_limit_retries is None else policy.max_rate_limit_retries,
            policy.max_retry_time if policy.max_rate_limit_time is None else policy.max_rate_limit_time,
        )
    return policy.max_retries, policy.max_retry_time


def retry_budget_spent(
    error: BaseException | None, *, attempt: int, elapsed: float, delay: float | None, policy: RetryPolicy
) -> bool:
    """Whether the retry budget forbids another attempt.

    :param error: what the last attempt raised.
    :param attempt: attempts made so far.
    :param elapsed: seconds since the first attempt started.
    :param delay: the wait :func:`retry_delay` chose before the next attempt.
    :param policy: the retry policy.
    """
    retries, seconds = retry_limits(error, policy)
    if attempt > retries:
        return True
    # Do not start a wait that would end beyond the time budget: fail now, with the real error.
    return elapsed + (delay or 0.0) > seconds


def rate_limit_send_delay(
    *,
    now: float,
    remaining: int | None,
    reset_at: float | None,
    in_flight: int,
    last_send_at: float | None,
    min_interval: float = 0.0,
) -> float:
    """Seconds to wait before sending the next request under Intercom's rate limit.

    Intercom reports the app-wide budget of the current fixed window in ``X-RateLimit-Remaining``
    and when the window ends in ``X-RateLimit-Reset``. The budget left is what Intercom reported
    minus the requests still in flight (they will spend it too). Spreading that budget evenly over
    the rest of the window, rather than spending it at once, keeps clear of 429s and adapts when
    other tasks share the app: their calls shrink ``remaining`` and so slow this one down.

    :param now: the current time in UNIX seconds.
    :param remaining: ``X-RateLimit-Remaining`` of the newest response in this window, if known.
    :param reset_at: ``X-RateLimit-Reset`` of that response, if known.
    :param in_flight: requests sent and not answered yet.
    :param last_send_at: when the previous request was sent, if any.
    :param min_interval: the smallest gap between two sends (from ``max_requests_per_minute``).
    :return: 0 to send now, else the seconds to wait before asking again.
    """
    delay = 0.0
    if last_send_at is not None and min_interval > 0:
        delay = max(delay, last_send_at + min_interval - now)
    if remaining is None or reset_at is None:
        # Nothing heard yet: the first answers will tell the budget.
        return delay
    if now >= reset_at:
        # The window should have rolled over, but until an answer from the new one arrives, only a
        # few probes go out: if this clock runs ahead of Intercom's, the rest would all be 429s.
        return delay if in_flight < WINDOW_PROBES else max(delay, PROBE_POLL)
    budget = remaining - in_flight
    time_left = reset_at - now
    if budget <= 0:
        return max(delay, time_left)
    if last_send_at is not None:
        delay = max(delay, last_send_at + time_left / budget - now)
    return max(delay, 0.0)
