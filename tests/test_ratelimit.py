"""The shared limiter, with a fake clock: pacing, out-of-order answers, new windows, cancellation."""

from __future__ import annotations

import threading
import time

import pytest

from airflow_provider_intercom.exceptions import IntercomCancelledError
from airflow_provider_intercom.ratelimit import AdaptiveRateLimiter, header_number


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _headers(remaining: int, reset: float) -> dict[str, str]:
    return {"X-RateLimit-Remaining": str(remaining), "X-RateLimit-Reset": str(int(reset)), "X-RateLimit-Limit": "100"}


def _blocks(limiter: AdaptiveRateLimiter) -> bool:
    """Whether acquire() would wait: a set stop event turns a wait into IntercomCancelledError.

    acquire() checks the event before deciding, so the decision is probed with an event that is
    set only once acquire() is inside its wait loop; a non-blocking acquire returns first.
    """
    stop = threading.Event()
    outcome: list[str] = []

    def attempt() -> None:
        try:
            limiter.acquire(stop)
            outcome.append("sent")
        except IntercomCancelledError:
            outcome.append("blocked")

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(timeout=0.1)
    stop.set()
    thread.join(timeout=2)
    assert outcome, "acquire() neither returned nor noticed the stop"
    return outcome[0] == "blocked"


def test_nothing_known_yet_sends_at_once() -> None:
    limiter = AdaptiveRateLimiter(clock=Clock())
    assert not _blocks(limiter)
    assert not _blocks(limiter)


def test_a_late_answer_from_the_same_window_never_raises_the_budget() -> None:
    clock = Clock()
    limiter = AdaptiveRateLimiter(clock=clock)
    limiter.acquire()
    limiter.acquire()
    limiter.release(_headers(0, 1010), 200)
    limiter.release(_headers(5, 1010), 200)  # sent earlier, answered later
    assert _blocks(limiter)  # still nothing left until 1010
    clock.now = 1010.5  # the window has ended: a probe may go
    assert not _blocks(limiter)
    assert limiter.sent == 2


def test_a_newer_window_replaces_the_old_budget() -> None:
    clock = Clock()
    limiter = AdaptiveRateLimiter(clock=clock)
    limiter.acquire()
    limiter.release(_headers(0, 1010), 200)
    assert _blocks(limiter)
    clock.now = 1010.2
    limiter.acquire()
    limiter.release(_headers(50, 1020), 200)
    assert _blocks(limiter)  # 50 left over 9.8 s: one send every ~0.2 s, so not yet...
    clock.now = 1010.4
    assert not _blocks(limiter)  # ...but now


def test_counts_answers_and_429s() -> None:
    limiter = AdaptiveRateLimiter(clock=Clock())
    limiter.acquire()
    limiter.release(None, None)  # no response at all
    limiter.acquire()
    limiter.release(_headers(0, 1010), 429)
    assert (limiter.sent, limiter.rate_limited) == (2, 1)


def test_stop_event_interrupts_a_wait_promptly() -> None:
    limiter = AdaptiveRateLimiter(clock=Clock())
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
    time.sleep(0.1)  # let it settle into the wait before stopping it
    assert thread.is_alive()
    stop.set()
    thread.join(timeout=2)
    assert not thread.is_alive()
    assert len(errors) == 1


@pytest.mark.parametrize(
    ("value", "expected"), [("1700000000", 1700000000.0), ("12.5", 12.5), ("nan", None), ("inf", None), ("x", None)]
)
def test_header_numbers_must_be_finite(value: str, expected: float | None) -> None:
    assert header_number({"X-RateLimit-Reset": value}, "X-RateLimit-Reset") == expected
    assert header_number({}, "X-RateLimit-Reset") is None
