"""Pacing under Intercom's rate limit: header parsing, the send delay, and the shared limiter.

No test reads the wall clock: the limiter takes a fake one, and :func:`sends_now` asks it the
question a sender asks ("may I send now?") without timing anything.
"""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_intercom.client import AdaptiveRateLimiter, IntercomCancelledError
from airflow_provider_intercom.client._ratelimit import (
    PROBE_POLL,
    REORDER_SPAN,
    WINDOW_PROBES,
    RateLimitState,
    header_number,
    rate_limit_send_delay,
)


class Clock:
    """A clock that moves only when told to; ``read`` is set once it has been read."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.read = threading.Event()

    def __call__(self) -> float:
        self.read.set()
        return self.now


class StopAfterOneLook:
    """A stop event that is clear at ``acquire``'s first look and set at every later one.

    ``acquire`` looks before deciding, so it either lets the sender through at once, or waits
    once (at most a quarter second) and then gives up with IntercomCancelledError.
    """

    def __init__(self) -> None:
        self.looks = 0

    def is_set(self) -> bool:
        self.looks += 1
        return self.looks > 1


def sends_now(limiter: AdaptiveRateLimiter) -> bool:
    """Whether ``acquire`` lets a sender through without waiting (it then counts as in flight)."""
    try:
        limiter.acquire(StopAfterOneLook())  # type: ignore[arg-type]
    except IntercomCancelledError:
        return False
    return True


def headers(remaining: int, reset: float, limit: int = 100) -> dict[str, str]:
    return {"X-RateLimit-Remaining": str(remaining), "X-RateLimit-Reset": str(reset), "X-RateLimit-Limit": str(limit)}


# -- header_number --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [("1700000000", 1700000000.0), ("12.5", 12.5), ("nan", None), ("inf", None), ("x", None)]
)
def test_header_numbers_must_be_finite(value: str, expected: float | None) -> None:
    assert header_number({"X-RateLimit-Reset": value}, "X-RateLimit-Reset") == expected
    assert header_number({}, "X-RateLimit-Reset") is None


# -- rate_limit_send_delay ------------------------------------------------------------------------


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


# -- RateLimitState: what the answers said --------------------------------------------------------


def test_a_late_answer_from_the_same_window_never_raises_the_budget() -> None:
    state = RateLimitState()
    first = state.on_send(1000.0)
    second = state.on_send(1000.0)
    state.on_answer(headers(0, 1010), 200, second, now=1000.0)
    state.on_answer(headers(5, 1010), 200, first, now=1000.0)  # sent earlier, answered later: an older figure
    assert state.send_delay(1000.0) == 10.0
    assert state.window_left(1000.0) == 0


def test_requests_that_arrived_in_swapped_order_leave_the_lower_figure() -> None:
    # Sent a millisecond apart over two connections, the later one reached Intercom first: its
    # answer says 2 left, the earlier one's says 1. Taking the latest send's figure (2) would let
    # two more out, one of them a 429 (seen in CI).
    state = RateLimitState()
    first = state.on_send(1000.0)
    second = state.on_send(1000.001)
    state.on_answer(headers(2, 1001), 200, second, now=1000.002)
    state.on_answer(headers(1, 1001), 200, first, now=1000.002)
    assert state.window_left(1000.5) == 1
    state.on_send(1000.5)
    assert state.send_delay(1000.5) == pytest.approx(0.5)  # spent: wait for the window to end


def test_an_answer_from_an_earlier_window_says_nothing_about_this_one() -> None:
    state = RateLimitState()
    first = state.on_send(1010.0)
    second = state.on_send(1010.0)
    state.on_answer(headers(90, 1020), 200, second, now=1010.0)
    state.on_answer(headers(0, 1010), 200, first, now=1010.0)  # from the window that has ended
    assert state.window_left(1011.0) == 90


def test_requests_sent_after_the_answered_one_are_charged_to_the_budget() -> None:
    state = RateLimitState()
    first = state.on_send(1000.0)
    state.on_send(1000.1)
    state.on_send(1000.2)
    state.on_answer(headers(10, 1010), 200, first, now=1000.3)  # Intercom had not seen the two sent after it
    assert state.window_left(1000.3) == 8


def test_an_answer_counts_no_request_of_its_batch_for_sure_until_the_whole_batch_is_answered() -> None:
    # Sent together over separate connections, they reached Intercom in an order the answers do not
    # tell: the first answer may count the others, or not. Taking it that they came after it lets
    # too many out at the window's end (429s, seen in the bench with batched sends).
    state = RateLimitState()
    batch = [state.on_send(1000.0 + i * REORDER_SPAN / 4) for i in range(4)]
    state.on_answer(headers(7, 1010), 200, batch[2], now=1000.2)  # arrived last of the batch, say
    assert state.window_left(1000.2) == 3  # 7, less the four that may not be counted in it
    for seq, left in ((batch[0], 10), (batch[3], 8), (batch[1], 9)):
        state.on_answer(headers(left, 1010), 200, seq, now=1000.3)
    assert state.window_left(1000.3) == 7  # all answered: the lowest figure counts them all


def test_sends_wait_for_a_batchs_answers_only_when_the_budget_may_be_spent() -> None:
    state = RateLimitState()
    batch = [state.on_send(1000.0) for _ in range(4)]
    state.on_answer(headers(4, 1001), 200, batch[3], now=1000.2)
    # Four left if they arrived in the order sent (the pace counts on that), none for sure: wait.
    assert state.window_left(1000.2) == 0
    assert state.send_delay(1000.2) >= PROBE_POLL
    for seq, left in zip(batch[:3], (7, 6, 5), strict=True):
        state.on_answer(headers(left, 1001), 200, seq, now=1000.3)
    assert state.window_left(1000.3) == 4
    assert state.send_delay(1000.3) == 0


def test_a_batch_with_a_lost_answer_stays_charged_to_the_budget() -> None:
    state = RateLimitState()
    batch = [state.on_send(1000.0) for _ in range(3)]
    state.on_answer(headers(8, 1010), 200, batch[0], now=1000.2)
    state.on_answer(None, None, batch[1], now=1000.2)  # no answer: where it arrived, if at all, is unknown
    state.on_answer(headers(7, 1010), 200, batch[2], now=1000.2)
    assert state.window_left(1000.2) == 4


def test_a_429_stops_sending_until_its_window_ends_whatever_the_app_budget_says() -> None:
    # The workspace's shared budget can run out while the app's headers still show some left.
    state = RateLimitState()
    seq = state.on_send(1000.0)
    state.on_answer(headers(50, 1010), 429, seq, now=1000.0)
    assert state.send_delay(1000.0) == 10.0
    assert state.rate_limited == 1


def test_sending_resumes_at_the_full_limit_once_a_window_has_ended() -> None:
    # Windows are back to back: after one ends, the next starts with the whole limit.
    state = RateLimitState()
    seq = state.on_send(1000.0)
    state.on_answer(headers(0, 1010, limit=100), 200, seq, now=1000.0)
    assert state.send_delay(1009.0) == 1.0
    assert state.send_delay(1010.5) == 0
    assert state.window_left(1010.5) == 100


def test_a_429_after_a_projected_window_change_holds_until_intercoms_window_ends() -> None:
    # This clock runs ahead of Intercom's: it projected the next window at 1010.0, but Intercom is
    # still in the one ending at 1010 and says so with a 429 to a request sent at 1010.1.
    state = RateLimitState()
    seq = state.on_send(1000.0)
    state.on_answer(headers(0, 1010, limit=100), 200, seq, now=1000.0)
    assert state.send_delay(1010.1) == 0  # projected: the next window, with the full limit
    seq = state.on_send(1010.1)
    state.on_answer(headers(40, 1010, limit=100), 429, seq, 1010.1, now=1010.15)
    assert state.skew == pytest.approx(0.1 + PROBE_POLL)  # the send time's lead, not the latency
    assert state.send_delay(1010.1) > 0  # on Intercom's clock the window has not ended yet
    assert state.send_delay(1010.5) == 0  # now it has: sending resumes...
    assert (state.reset_at, state.remaining) == (1020, 100)  # ...in the next window, at the full limit


def test_answers_without_rate_limit_headers_leave_the_budget_unknown() -> None:
    state = RateLimitState()
    state.on_send(1000.0)
    state.on_answer({"X-RateLimit-Remaining": "nan", "X-RateLimit-Reset": "1010"}, 200, now=1000.0)
    state.on_send(1000.0)
    state.on_answer(None, None, now=1000.0)  # no response at all
    assert state.window_left(1000.0) is None
    assert state.send_delay(1000.0) == 0


# -- AdaptiveRateLimiter: the limiter shared by threads -------------------------------------------


def test_nothing_known_yet_sends_at_once() -> None:
    limiter = AdaptiveRateLimiter(clock=Clock())
    assert sends_now(limiter)
    assert sends_now(limiter)


def test_a_spent_window_holds_senders_until_it_ends() -> None:
    clock = Clock()
    limiter = AdaptiveRateLimiter(clock=clock)
    first = limiter.acquire()
    second = limiter.acquire()
    limiter.release(headers(0, 1010), 200, second)
    limiter.release(headers(5, 1010), 200, first)  # sent earlier, answered later: the budget stays spent
    assert not sends_now(limiter)
    clock.now = 1010.5  # the window has ended: sending resumes
    assert sends_now(limiter)
    assert limiter.sent == 2


def test_a_newer_window_replaces_the_old_budget_and_spreads_it() -> None:
    clock = Clock()
    limiter = AdaptiveRateLimiter(clock=clock)
    limiter.release(headers(0, 1010), 200, limiter.acquire())
    assert not sends_now(limiter)
    clock.now = 1010.2
    limiter.release(headers(20, 1020), 200, limiter.acquire())
    assert not sends_now(limiter)  # 20 left over 9.8 s: one send every ~0.5 s, so not yet...
    clock.now = 1010.7
    assert sends_now(limiter)  # ...but now


def test_max_requests_per_minute_spaces_the_sends() -> None:
    clock = Clock()
    limiter = AdaptiveRateLimiter(max_requests_per_minute=120, clock=clock)  # one every 0.5 s
    assert sends_now(limiter)
    limiter.release(None, None)
    clock.now = 1000.3
    assert not sends_now(limiter)
    clock.now = 1000.5
    assert sends_now(limiter)


def test_counts_answers_and_429s() -> None:
    limiter = AdaptiveRateLimiter(clock=Clock())
    limiter.acquire()
    limiter.release(None, None)  # no response at all
    limiter.acquire()
    limiter.release(headers(0, 1010), 429)
    assert (limiter.sent, limiter.rate_limited) == (2, 1)


def test_a_set_stop_event_sends_nothing() -> None:
    limiter = AdaptiveRateLimiter(clock=Clock())
    stop = threading.Event()
    stop.set()
    with pytest.raises(IntercomCancelledError, match="no further request is sent"):
        limiter.acquire(stop)
    assert sends_now(limiter)  # nothing was counted in flight by the refused sender


def test_a_stop_ends_a_wait_for_the_next_window() -> None:
    clock = Clock()
    limiter = AdaptiveRateLimiter(clock=clock)
    limiter.acquire()
    limiter.release(headers(0, 1010), 200)  # nothing left for 10 s of fake time
    clock.read.clear()
    stop = threading.Event()
    errors: list[BaseException] = []

    def waiter() -> None:
        try:
            limiter.acquire(stop)
        except IntercomCancelledError as err:
            errors.append(err)

    thread = threading.Thread(target=waiter)
    thread.start()
    assert clock.read.wait(timeout=10)  # it has looked at the clock, so it is waiting (or about to)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert len(errors) == 1


def test_threads_sharing_a_limiter_lose_no_count() -> None:
    limiter = AdaptiveRateLimiter(clock=Clock())

    def worker() -> None:
        for _ in range(200):
            limiter.acquire()
            limiter.release(None, None)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert limiter.sent == 1600
    # Nothing is left in flight: a window's budget is then all there is to spend.
    limiter.acquire()
    limiter.release(headers(10, 1010), 200)
    assert limiter.state.window_left(1000.0) == 10
