"""The shared limiter, with a fake clock: pacing, out-of-order answers, new windows, cancellation."""

from __future__ import annotations

import threading

import pytest

from airflow_provider_intercom.exceptions import IntercomCancelledError
from airflow_provider_intercom.ratelimit import AdaptiveRateLimiter


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _headers(remaining: int, reset: float) -> dict[str, str]:
    return {"X-RateLimit-Remaining": str(remaining), "X-RateLimit-Reset": str(int(reset)), "X-RateLimit-Limit": "100"}


def test_first_requests_go_at_once_then_answers_set_the_pace() -> None:
    clock = Clock()
    limiter = AdaptiveRateLimiter(clock=clock)
    limiter.acquire()
    limiter.acquire()  # nothing known yet: no waiting
    limiter.release(_headers(0, 1010), 200)
    limiter.release(_headers(5, 1010), 200)  # older answer arriving late must not raise the budget
    stop = threading.Event()
    stop.set()
    with pytest.raises(IntercomCancelledError):
        limiter.acquire(stop)  # budget 0 until 1010: would wait, and the stop ends the wait
    clock.now = 1010.5  # the window has ended
    limiter.acquire()
    assert limiter.sent == 2


def test_counts_429_answers() -> None:
    limiter = AdaptiveRateLimiter(clock=Clock())
    limiter.acquire()
    limiter.release(_headers(0, 1010), 429)
    assert (limiter.sent, limiter.rate_limited) == (1, 1)


def test_a_newer_window_replaces_the_old_budget() -> None:
    clock = Clock()
    limiter = AdaptiveRateLimiter(clock=clock)
    limiter.acquire()
    limiter.release(_headers(0, 1010), 200)
    limiter._observe(_headers(50, 1020))  # an answer from the next window
    clock.now = 1011
    limiter.acquire()  # budget 50 over 9 s: the first send of the window goes at once


def test_stop_event_interrupts_a_wait_promptly() -> None:
    clock = Clock()
    limiter = AdaptiveRateLimiter(clock=clock)
    limiter.acquire()
    limiter.release(_headers(0, 1100), 200)  # nothing left for 100 s
    stop = threading.Event()
    errors: list[BaseException] = []

    def waiter() -> None:
        try:
            limiter.acquire(stop)
        except IntercomCancelledError as err:
            errors.append(err)

    thread = threading.Thread(target=waiter)
    thread.start()
    stop.set()
    thread.join(timeout=2)
    assert not thread.is_alive()
    assert len(errors) == 1
