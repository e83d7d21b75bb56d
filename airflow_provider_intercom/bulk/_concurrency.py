"""How many requests the bulk engine keeps in flight: pure decisions, and the latency they follow.

Throughput is at most concurrency / latency (Little's law). To reach a rate of ``r`` calls per
second at a mean latency of ``L`` seconds, ``r * L`` requests must be in flight; the engine keeps
a margin above that for the latency's spread. The rate-limit budget still decides *when* each
request goes out (:mod:`airflow_provider_intercom.client._ratelimit`); concurrency only makes sure
there is always a request ready to go when the budget allows one. What is left of the current
window bounds the requests in flight through that limiter too: no request is sent while the
window's remaining calls, less those sent since the latest figure, are spent.
"""

from __future__ import annotations

import math

from airflow_provider_intercom.client.facts import RATE_LIMIT_WINDOW_SECONDS

#: In-flight requests above rate x mean latency, for the latency's spread (a lognormal with
#: p95 = 3 x median has a mean 1.25 x its median, and a long tail).
HEADROOM = 1.6
#: Requests allowed in flight before any latency has been measured, after the first answer.
INITIAL_CONCURRENCY = 4
#: Growth per success: at 1 s of latency, full concurrency is reached within three round trips.
RAMP = 8
#: Weight of the newest sample in the moving average of latency.
LATENCY_SMOOTHING = 0.05


def target_concurrency(
    *,
    rate: float | None,
    latency: float | None,
    answered: int,
    cap: int,
) -> int:
    """Requests to keep in flight now.

    Starts slow: one probe until an answer has come back (a bad token or a plan restriction then
    costs one request, not a burst), then at most :data:`RAMP` times the successes so far, so that
    concurrency grows over a few round trips to ``rate x latency x HEADROOM``.

    :param rate: calls per second the budget allows (the window's limit over its length, or the
        user's ceiling), if known.
    :param latency: the smoothed mean latency in seconds, if measured.
    :param answered: requests that got an HTTP answer so far (any status: the connection works).
    :param cap: the most ever allowed (``max_concurrency``).
    """
    if answered == 0:
        return 1
    wanted = (
        math.ceil(rate * latency * HEADROOM) + 1 if rate is not None and latency is not None else INITIAL_CONCURRENCY
    )
    return max(1, min(wanted, RAMP * answered, cap))


def wake_interval(*, rate: float | None, cap: int, slack: float) -> float:
    """The least time between two wake-ups of the engine's event loop (see :mod:`._loop`).

    ``slack`` (what fell due meanwhile is done together) while a budget paces the run and one
    interval's sends fit in the slots (``rate x slack <= cap``); else 0, every answer handled at
    once: a run that ``max_concurrency`` holds to a few slots needs each answer to send the next.
    (Answers may then wait up to ``slack``, which the measured latency includes, so that
    concurrency grows to keep the rate.)

    :param rate: calls per second the budget allows, if known; None before any answer.
    :param cap: the most requests ever in flight (``max_concurrency``).
    :param slack: the pacing slack (:attr:`~airflow_provider_intercom.client._ratelimit.RateLimitState.slack`).
    """
    return slack if rate is not None and rate * slack <= cap else 0.0


def allowed_rate(
    limit: int | None, max_requests_per_minute: float | None, window: float = RATE_LIMIT_WINDOW_SECONDS
) -> float | None:
    """Calls per second the engine aims at: the app's limit, or the user's lower ceiling.

    :param limit: ``X-RateLimit-Limit`` (calls per window), if heard.
    :param max_requests_per_minute: the user's ceiling, if any.
    :param window: the window's length in seconds (Intercom's, unless a test server's is set).
    """
    rates = []
    if limit is not None and limit > 0 and window > 0:
        rates.append(limit / window)
    if max_requests_per_minute:
        rates.append(max_requests_per_minute / 60.0)
    return min(rates) if rates else None


class LatencyEstimator:
    """A moving average of response times, seeded by the first sample."""

    def __init__(self) -> None:
        self.mean: float | None = None

    def observe(self, seconds: float) -> None:
        """Add one response time.

        :param seconds: from send to answer.
        """
        if self.mean is None:
            self.mean = seconds
        else:
            self.mean += LATENCY_SMOOTHING * (seconds - self.mean)
