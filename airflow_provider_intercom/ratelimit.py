"""A rate limiter shared by the threads of one bulk run, fed by Intercom's rate-limit headers."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping

from airflow_provider_intercom.exceptions import IntercomCancelledError
from airflow_provider_intercom.retry import rate_limit_send_delay


def header_number(headers: Mapping[str, str], name: str) -> float | None:
    """A finite number from a response header, or None when it is missing or not a number.

    :param headers: the response headers.
    :param name: the header, e.g. ``X-RateLimit-Reset``.
    """
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    # "nan" and "inf" parse as floats, but would stall or crash the limiter.
    return number if math.isfinite(number) else None


class AdaptiveRateLimiter:
    """Paces requests through Intercom's fixed rate-limit windows.

    Every response reports the app-wide budget (``X-RateLimit-Remaining``) and the end of the
    window (``X-RateLimit-Reset``); :func:`~airflow_provider_intercom.retry.rate_limit_send_delay`
    turns that, and the count of requests in flight, into a wait before each send.

    :param max_requests_per_minute: an optional ceiling below Intercom's, to leave budget for
        the app's other integrations.
    :param clock: UNIX time source (tests pass a fake one).
    """

    def __init__(
        self,
        *,
        max_requests_per_minute: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._min_interval = 60.0 / max_requests_per_minute if max_requests_per_minute else 0.0
        self._cond = threading.Condition()
        self._remaining: int | None = None
        self._reset_at: float | None = None
        self._in_flight = 0
        self._last_send_at: float | None = None
        #: Requests answered (or failed) so far, and how many of those were 429s.
        self.sent = 0
        self.rate_limited = 0

    def acquire(self, stop_event: threading.Event | None = None) -> None:
        """Block until a request may be sent, then count it as in flight.

        :param stop_event: when set, give up waiting.
        :raises IntercomCancelledError: if ``stop_event`` was set.
        """
        with self._cond:
            while True:
                if stop_event is not None and stop_event.is_set():
                    raise IntercomCancelledError("The task was stopped; no further request is sent.")
                now = self._clock()
                delay = rate_limit_send_delay(
                    now=now,
                    remaining=self._remaining,
                    reset_at=self._reset_at,
                    in_flight=self._in_flight,
                    last_send_at=self._last_send_at,
                    min_interval=self._min_interval,
                )
                if delay <= 0:
                    self._in_flight += 1
                    self._last_send_at = now
                    return
                # Capped so that a stop request is noticed within a quarter second.
                self._cond.wait(min(delay, 0.25))

    def release(self, headers: Mapping[str, str] | None, status: int | None = None) -> None:
        """Record the answer to a request :meth:`acquire` let through.

        :param headers: the response headers, or None when no response came back.
        :param status: the response status, or None when no response came back.
        """
        with self._cond:
            self._in_flight = max(0, self._in_flight - 1)
            self.sent += 1
            if status == 429:
                self.rate_limited += 1
            if headers is not None:
                self._observe(headers)
            self._cond.notify_all()

    def _observe(self, headers: Mapping[str, str]) -> None:
        remaining = header_number(headers, "X-RateLimit-Remaining")
        reset_at = header_number(headers, "X-RateLimit-Reset")
        if remaining is None or reset_at is None:
            return
        if self._reset_at is None or reset_at > self._reset_at:
            self._reset_at, self._remaining = reset_at, int(remaining)
        elif reset_at == self._reset_at:
            # Answers arrive out of order; within one window the budget only shrinks.
            self._remaining = min(self._remaining if self._remaining is not None else int(remaining), int(remaining))
        # An answer from an earlier window says nothing about this one.
